"""Spelling keys: the letter rules that fold the French-Moroccan spellings of one Latin name together.

A spelling key is written in a small alphabet: the vowels ``a`` (a, e, â…), ``i`` (i, ee, ei, y
used as a vowel) and ``u`` (o, u, ou, oo, w), and one letter per consonant class. The rules, in
the order they apply to one word:

1. Silent final *e* after a consonant or an i is dropped (Amine = Amin, Hassane = Hassan,
   Rabie = Rabi).
2. Consonant classes: ch/sh/sch → ``c`` (ش); kh → ``x`` (خ); gh, and rh not after r → ``g``
   (غ: Ghita = Rhita); dj/j and g before e/i/y → ``j`` (Djamel = Jamal, Gilali = Jilali);
   k, q, ck, qu, gu before e/i, and other g → ``k`` (Kacem = Qacem, Guessous = Kessous: the
   Darija g of ق/ڭ); c before o/u → ``k`` (Yacoub = Yakoub), other c and ç → ``s``
   (Youcef = Youssef, Fayçal = Faycal = Faisal); th → ``t``,
   dh → ``d``, ph → ``f``, x → ``ks``.
3. Vowels: a and e are one class (Ahmed = Ahmad, Jamel = Jamal); o, u, ou, oo and w are one
   class (Mohamed = Muhammad, Walid = Oualid); i, ee, ei stay apart from a (Hamid ≠ Hamed,
   Samir ≠ Samer). Final *ae* is the hamza ending (Asmae = Asmaa = Asma); *ae* before a
   consonant is ائ (Wael = Wail, Ismael = Ismail).
4. y is a consonant at the start or between vowels (Youssef, Ayoub), a vowel after a consonant
   (Zakarya = Zakaria, Yahya = Yahia) and before a consonant (Faycal = Faisal); y after i and
   before a vowel is silent (Zakariya = Zakaria).
5. Doubled letters are single (Mohammed = Mohamed, Saad = Sad); final h after a vowel is
   silent (Sarah = Sara, Rabeh = Rabah); the diphthong aw before a consonant is ou
   (Taoufik = Toufik, Faouzia = Fouzia).
6. A prothetic i/e before two consonants is dropped (Idriss = Driss, Ibrahim = Brahim,
   Emhamed = Mhamed, Ilham = Elham); an initial e before one consonant is i (Emad = Imad).

What the rules keep apart on purpose: a vowel between the first two consonants (Mohamed
``muhamad`` ≠ M'hamed ``mhamad``), the final *-a* of feminine names (Said ≠ Saida, Amine ≠
Amina), i against a/e (Hamid ≠ Hamed, Salim ≠ Salem) and the long ou (Mahmoud ≠ Mohamed).
Names whose usual spellings differ only in those ways (Khalid/Khaled, Youssef/Youssouf) are
folded by the variant table in `name_data` through `name_key`, not by the rules.

Known limits: a Latin *Hamid* written for حامد meets حميد, not حامد; *Saleh* (صالح) and *Salah*
(صلاح) share a key, as do *Hamed* (حامد) and *Hamad* (حماد); *Mhamed* written for محمد stays
with M'hamed; *Kamel* is taken as the Algerian spelling of Kamal, not as Kamil (كامل); e/i in an
unstressed first syllable (Nesrine/Nisrine) and Egyptian spellings (Naguib) meet only where the
variant table lists them.
"""

from __future__ import annotations

import functools

from matcher.name_data import ARABIC_NAMES, VARIANT_GROUPS
from matcher.normalise import normalise_latin

__all__ = ["is_known_name", "name_key", "spelling_key"]

_VOWEL_LETTERS = frozenset("aeiouy")
_KEY_VOWELS = frozenset("aEiu")
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʻʾʿ′"))


def _fold(word: str) -> str:
    # Apostrophes join (M'hamed = Mhamed); everything else that is not a letter or digit goes.
    return "".join(normalise_latin(word.translate(_APOSTROPHES)).split())


def _scan(word: str) -> list[str]:
    """Turn a folded word into key symbols (``E`` marks a raw e until the prothetic rule has run)."""
    out: list[str] = []
    n = len(word)
    i = 0
    while i < n:
        c = word[i]
        two = word[i : i + 2]
        after = word[i + 2] if i + 2 < n else ""
        if word.startswith("sch", i):
            out.append("c")
            i += 3
        elif two in ("ch", "sh"):
            out.append("c")
            i += 2
        elif two == "kh":
            out.append("x")
            i += 2
        elif two == "gh" or (two == "rh" and (i == 0 or word[i - 1] != "r")):
            out.append("g")
            i += 2
        elif two == "dj":
            out.append("j")
            i += 2
        elif two == "dh":
            out.append("d")
            i += 2
        elif two == "th":
            out.append("t")
            i += 2
        elif two == "ph":
            out.append("f")
            i += 2
        elif two == "ck" or (two == "qu" and after in _VOWEL_LETTERS) or (two == "gu" and after in ("e", "i", "y")):
            out.append("k")
            i += 2
        elif c == "q":
            out.append("k")
            i += 1
        elif c == "g":
            out.append("j" if i + 1 < n and word[i + 1] in ("e", "i", "y") else "k")
            i += 1
        elif c == "c":
            # French c is hard before o and u (Yacoub); elsewhere it is s, or a ç that lost
            # its cedilla (Faycal).
            out.append("k" if i + 1 < n and word[i + 1] in ("o", "u") else "s")
            i += 1
        elif c == "x":
            out.extend(("k", "s"))
            i += 1
        elif two in ("ou", "oo"):
            out.append("u")
            i += 2
        elif c in ("o", "u", "w"):
            out.append("u")
            i += 1
        elif two in ("ee", "ei"):
            out.append("i")
            i += 2
        elif two == "ey" and after not in _VOWEL_LETTERS:
            out.append("i")
            i += 2
        elif two == "ae":
            # Final ae is the hamza ending (اء); ae before a consonant is ائ (Wael = Wail).
            out.extend(("a", "i") if after and after not in _VOWEL_LETTERS else ("a",))
            i += 2
        elif c == "a":
            out.append("a")
            i += 1
        elif c == "e":
            out.append("E")
            i += 1
        elif c == "i":
            out.append("i")
            i += 1
        elif c == "y":
            j = i
            while j < n and word[j] == "y":
                j += 1
            next_is_vowel = j < n and word[j] in "aeiou"
            prev = out[-1] if out else ""
            if next_is_vowel and not prev:
                out.append("y")
            elif next_is_vowel and prev == "i":
                pass
            elif next_is_vowel and prev in _KEY_VOWELS:
                out.append("y")
            else:
                out.append("i")
            i = j
        else:
            out.append(c)
            i += 1
    return out


def _collapse(symbols: list[str]) -> list[str]:
    out: list[str] = []
    for s in symbols:
        if not out or out[-1] != s:
            out.append(s)
    return out


def _opens_diphthong(symbols: list[str], k: int) -> bool:
    return (
        symbols[k] in ("a", "E")
        and k + 2 < len(symbols)
        and symbols[k + 1] == "u"
        and symbols[k + 2] not in _KEY_VOWELS
    )


@functools.lru_cache(maxsize=1 << 18)
def spelling_key(word: str) -> str:
    """The letter-rule key of one Latin word (case, accents, apostrophes and spaces ignored).

    >>> spelling_key("Mohammed"), spelling_key("Muhammad"), spelling_key("M'hamed")
    ('muhamad', 'muhamad', 'mhamad')
    """
    w = _fold(word)
    if len(w) >= 3 and w[-1] == "e" and (w[-2] not in _VOWEL_LETTERS or (w[-2] == "i" and len(w) >= 4)):
        w = w[:-1]
    symbols = _collapse(_scan(w))
    if len(symbols) >= 2 and symbols[-1] == "h" and symbols[-2] in _KEY_VOWELS:
        symbols.pop()
    # The diphthong aw is written aou, aw, ou or o before a consonant: Taoufik = Toufik,
    # Faouzia = Fouzia, Chaouki = Chouki. Before a vowel the w is a consonant and stays.
    symbols = [s for k, s in enumerate(symbols) if not _opens_diphthong(symbols, k)]
    if len(symbols) >= 3 and symbols[0] in ("i", "E"):
        if symbols[1] not in _KEY_VOWELS and symbols[2] not in _KEY_VOWELS:
            symbols = symbols[1:]
        elif symbols[0] == "E" and symbols[1] not in _KEY_VOWELS:
            symbols[0] = "i"
    return "".join(_collapse(["a" if s == "E" else s for s in symbols]))


def _build_aliases() -> tuple[dict[str, str], dict[str, str]]:
    spelling_alias: dict[str, str] = {}
    canonical_of_key: dict[str, set[str]] = {}
    for group in VARIANT_GROUPS:
        canonical = _fold(group[0])
        for member in group:
            spelling_alias[_fold(member)] = canonical
            canonical_of_key.setdefault(spelling_key(member), set()).add(canonical)
    # A key that some other known name also has must not be pulled into a group (Saleh and
    # Salah share a key): such members are aliased by their exact spelling only.
    grouped = set(spelling_alias)
    outside = {spelling_key(latin) for _, latin in ARABIC_NAMES if _fold(latin) not in grouped}
    key_alias = {
        key: spelling_key(next(iter(canonicals)))
        for key, canonicals in canonical_of_key.items()
        if len(canonicals) == 1 and key not in outside
    }
    return spelling_alias, key_alias


_SPELLING_ALIAS, _KEY_ALIAS = _build_aliases()
_KNOWN_KEYS = frozenset(
    {spelling_key(latin) for _, latin in ARABIC_NAMES if " " not in latin}
    | {spelling_key(member) for group in VARIANT_GROUPS for member in group}
)


@functools.lru_cache(maxsize=1 << 18)
def name_key(word: str) -> str:
    """The spelling key of one word after the variant table has folded its known spellings.

    >>> name_key("Khaled") == name_key("Khalid"), name_key("Hamed") == name_key("Hamid")
    (True, False)
    """
    w = _fold(word)
    key = spelling_key(_SPELLING_ALIAS.get(w, w))
    return _KEY_ALIAS.get(key, key)


def is_known_name(word: str) -> bool:
    """True when the word spells (by its letter-rule key) one of the common names in `name_data`."""
    return spelling_key(word) in _KNOWN_KEYS
