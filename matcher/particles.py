"""Latin-script name tokens: titles, the article, particles (Ben, Ait, Ould…) and compound names.

A name is folded (`fold_latin`), cut into words, and each word is split into tagged tokens
(`split_particles`). The rules, decided from the research note:

* **Titles** (Moulay, My, Sidi, Si, Lalla) are tokens of their own and are left out of
  comparisons, unless the name is nothing but a title.
* **The article** is left out of comparisons: as a word (El, Al, L, Es, Ech, Er, Et, Ez, Ed, En…),
  attached as *el-* (Elalaoui → el + alaoui; not Elias, Elham), assimilated before a sun
  consonant (Essaadi, Es-Saadi → es + saadi; a single consonant needs five letters after it, so
  Essam and Enass stay whole), and as Darija *L-*: before a consonant always (Lhoussaine →
  l + houssaine) and before a vowel only when what follows is a common name and the whole word
  is not (Lalaoui → l + alaoui, Lamrani → l + amrani, but Latifa, Laila, Lamia stay whole),
  and before *oua* (Louafi → l + ouafi).
  Attached *al-* is never split: Alaoui, Alami and Allal begin with the root, not the article.
* **Particles** (Ben/Bin/Ibn, Bent, Bel, Ait/Ayt, Id, Ou, Ould, Oulad, Bou, Abou) are joined to
  the name that follows for comparison, so Ben Ali = Benali = Ben-Ali = Bin Ali, and Ben El
  Hassan = Belhassan (*bel* is *ben el*). An attached particle is split off as a token only when
  the rest is a common name and the whole word is not (Benali → ben + ali, but Bennani,
  Benjelloun, Belkacem stay whole); comparison keys do not depend on that choice because the
  parts are joined again.
* **Abd-** names are one unit: Abd El Kader = Abdel Kader = Abdelkader = Abdulkader, Abd Er
  Rahim = Abderrahim.
* **-eddine** written apart is joined to the name before it (Nour Eddine, Nour-Eddine →
  noureddine), and known two-part given names are one unit (Fatima Zahra = Fatima-Ezzahra =
  Fatimazahra; Nour El Houda = Nourelhouda).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from matcher.name_data import (
    ABD_FORMS,
    DIN_HEAD_VARIANTS,
    DIN_TAILS,
    EL_EXCEPTIONS,
    LATIN_ARTICLES,
    LATIN_PARTICLES,
    LATIN_TITLES,
    PAIR_COMPOUNDS,
)
from matcher.normalise import normalise_latin
from matcher.spelling import is_known_name, name_key

__all__ = [
    "NameToken",
    "Role",
    "Unit",
    "canonical_units",
    "fold_latin",
    "latin_name_tokens",
    "split_particles",
    "unit_key",
]

Role = Literal["title", "article", "particle", "name", "tail"]

_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʻʾʿ′"))
_VOWELS = frozenset("aeiouy")
_ABD = re.compile(r"abd(?P<rest>.+)")
_ABD_ARTICLE = re.compile(r"(?:e|a|u|ou|i|o)?l(?=..)")
_TAIL_ARTICLE = re.compile(r"(?:a|e|u|ou)l(?=..)")
_ABD_ASSIMILATED = re.compile(r"(?:e|a|u|ou)(?=ch|sh|[tdrzsn])")
_ASSIMILATED_DOUBLE = re.compile(r"e(ch|sh|[tdrzsn])\1")
_ASSIMILATED_SINGLE = re.compile(r"e(ch|sh|[tdrzsn])[aeiou]")
_DIN = re.compile(r"(?P<head>.{2,}?)(?:[aeiu]|ou)?d{1,2}(?:i|ee|y)n{1,2}e?")
_FATIMA_ZAHRA = re.compile(r"(?P<head>fat[ie]?m[ae]?)(?P<sep>[ae]?z)?(?P<tail>z[ao]hr(?:a|ae|aa|ah|e)?)")
_NOUR_PAIR = re.compile(
    r"(?P<head>n(?:ou|o|u)r)(?P<sep>[aeu]?l)?(?P<tail>houda|hoda|huda|imane|iman|islam|yakine|yaqine)"
)
_DIN_HEADS = {variant: group[0] for group in DIN_HEAD_VARIANTS for variant in group}
# Attached particles tried longest first so that "ould" wins over "ou".
_ATTACHED = ("abou", "ould", "ben", "bel", "ait", "ayt", "bou", "ou", "id")


@dataclass(frozen=True, slots=True)
class NameToken:
    """One token of a name and what it is: a title, the article, a particle, a name, or -eddine."""

    text: str
    role: Role


def fold_latin(text: str) -> str:
    """`normalise_latin`, except that apostrophes join instead of separating (M'hamed → mhamed).

    >>> fold_latin("M'HAMED  Aït-Ali")
    'mhamed ait ali'
    """
    return normalise_latin(text.translate(_APOSTROPHES))


def _collapse_initial_double(word: str) -> str:
    for digraph in ("chch", "shsh"):
        if word.startswith(digraph):
            return word[2:]
    return word[1:] if len(word) >= 2 and word[0] == word[1] and word[0] not in _VOWELS else word


def _split_abd(word: str) -> tuple[NameToken, ...] | None:
    m = _ABD.fullmatch(word)
    if m is None:
        return None
    rest = m["rest"]
    art = _ABD_ARTICLE.match(rest)
    if art is not None:
        return NameToken("abd", "particle"), NameToken("el", "article"), NameToken(rest[art.end() :], "name")
    assimilated = _ABD_ASSIMILATED.match(rest)
    if assimilated is not None and len(rest) - assimilated.end() >= 3:
        tail = _collapse_initial_double(rest[assimilated.end() :])
        return NameToken("abd", "particle"), NameToken("el", "article"), NameToken(tail, "name")
    if rest[0] not in _VOWELS and len(rest) >= 3:
        return NameToken("abd", "particle"), NameToken(rest, "name")
    return None


def _split_pair(word: str) -> tuple[NameToken, ...] | None:
    for pattern in (_FATIMA_ZAHRA, _NOUR_PAIR):
        m = pattern.fullmatch(word)
        if m is not None:
            middle = (NameToken(m["sep"], "article"),) if m["sep"] else ()
            return NameToken(m["head"], "name"), *middle, NameToken(m["tail"], "name")
    return None


def _last_name(tokens: tuple[NameToken, ...]) -> str:
    names = [t.text for t in tokens if t.role == "name"]
    return names[-1] if names else ""


def _split_attached_particle(word: str) -> tuple[NameToken, ...] | None:
    if is_known_name(word):
        return None
    for particle in _ATTACHED:
        rest = word[len(particle) :]
        if not word.startswith(particle) or len(rest) < 3:
            continue
        parts = _segment_word(rest)
        if any(t.role == "title" for t in parts):
            continue
        if is_known_name(rest) or is_known_name(_last_name(parts)):
            return (NameToken(LATIN_PARTICLES[particle], "particle"), *parts)
    return None


def _split_article(word: str) -> tuple[NameToken, ...] | None:
    if word.startswith("el") and len(word) >= 5 and word not in EL_EXCEPTIONS:
        return (NameToken("el", "article"), *_segment_word(word[2:]))
    m = _ASSIMILATED_DOUBLE.match(word)
    if m is not None and len(word) - 1 - len(m[1]) >= 4:
        return (NameToken("e" + m[1], "article"), *_segment_word(word[1 + len(m[1]) :]))
    m = _ASSIMILATED_SINGLE.match(word)
    if m is not None and len(word) - 1 >= 5:
        return (NameToken("e" + m[1], "article"), *_segment_word(word[1:]))
    if word.startswith("l") and len(word) >= 4:
        second = word[1]
        if second not in _VOWELS and second not in "lw":
            return (NameToken("l", "article"), *_segment_word(word[1:]))
        if second in _VOWELS and len(word) >= 5 and is_known_name(word[1:]) and not is_known_name(word):
            return (NameToken("l", "article"), *_segment_word(word[1:]))
        if word.startswith("loua") and len(word) >= 6 and not is_known_name(word):
            # L + w-initial name: Louafi (الوافي), Louardi (الوردي), Louazzani (الوزاني).
            return (NameToken("l", "article"), *_segment_word(word[1:]))
    return None


@functools.lru_cache(maxsize=1 << 18)
def _segment_word(word: str) -> tuple[NameToken, ...]:
    """Split one folded word (no spaces) into tagged tokens; see the module docstring for the rules."""
    if not word:
        return ()
    if word in LATIN_TITLES:
        return (NameToken(word, "title"),)
    if word in LATIN_ARTICLES:
        return (NameToken(word, "article"),)
    if word in LATIN_PARTICLES:
        return (NameToken(LATIN_PARTICLES[word], "particle"),)
    if word in ABD_FORMS:
        if word == "abd":
            return (NameToken("abd", "particle"),)
        return NameToken("abd", "particle"), NameToken("el", "article")
    if word in DIN_TAILS:
        return (NameToken(word, "tail"),)
    din = _DIN.fullmatch(word)
    if din is not None and din["head"] in _DIN_HEADS:
        # Ezzeddine is عز الدين, not the article before "zeddine".
        return (NameToken(word, "name"),)
    for splitter in (_split_abd, _split_pair, _split_article, _split_attached_particle):
        parts = splitter(word)
        if parts is not None:
            return parts
    return (NameToken(word, "name"),)


def split_particles(text: str) -> tuple[NameToken, ...]:
    """Fold a Latin name and split it into tagged tokens.

    >>> [(t.text, t.role) for t in split_particles("Moulay Abdelkader Elalaoui")]  # doctest: +NORMALIZE_WHITESPACE
    [('moulay', 'title'), ('abd', 'particle'), ('el', 'article'), ('kader', 'name'),
     ('el', 'article'), ('alaoui', 'name')]
    """
    return tuple(token for word in fold_latin(text).split() for token in _segment_word(word))


# --- Units: what comparisons see once titles and articles are gone and particles are joined ---

UnitKind = Literal["name", "joined", "abd", "din", "pair"]


@dataclass(frozen=True, slots=True)
class Unit:
    """One compared part of a name: a plain name, a particle joined to a name, an Abd- name
    (``parts`` = the divine name), an -eddine name (``parts`` = the first part) or a two-part
    given name (``parts`` = both)."""

    kind: UnitKind
    parts: tuple[str, ...]
    article: bool = False


_PAIR_KEYS = {name_key(head): frozenset(name_key(t) for t in tails) for head, tails in PAIR_COMPOUNDS.items()}


def _is_pair(head: str, tail: str) -> bool:
    return name_key(tail) in _PAIR_KEYS.get(name_key(head), ())


def _unit_text(unit: Unit) -> str:
    """The spelling a unit is compared under in exact mode."""
    if unit.kind == "abd":
        return "abd" + ("el" if unit.article else "") + unit.parts[0]
    if unit.kind == "din":
        return unit.parts[0] + "eddine"
    return "".join(unit.parts)


def _abd_unit(tail: str, article: bool) -> Unit:
    fused = _TAIL_ARTICLE.match(tail) if not article else None
    if fused is not None:
        # Abd Allah, Abd Alaziz: the article is fused to the divine name, not split off.
        tail, article = tail[fused.end() :], True
    # The unit is whatever its joined spelling parses as, so that Abd + Eddine and Abdeddine,
    # or Abd + A and Abda, are one thing in exact and in phonetic mode alike.
    joined = "abd" + ("el" if article else "") + tail
    parts = _split_abd(joined)
    if parts is None:
        return Unit("name", (joined,))
    return Unit("abd", (parts[-1].text,), article=any(t.role == "article" for t in parts))


def _build_units(tokens: tuple[NameToken, ...]) -> tuple[Unit, ...]:
    """Drop titles and articles, join particles to their name, -eddine to its head, and pairs."""
    kept = [t for t in tokens if t.role != "title"] or list(tokens)
    units: list[Unit] = []
    chain: list[str] = []
    abd_article = False
    articles: list[str] = []
    for token in kept:
        if token.role == "article":
            articles.append(token.text)
            if chain and chain[-1] == "ben":
                chain[-1] = "bel"
            elif chain and chain[-1] == "abd":
                abd_article = True
            continue
        if token.role == "particle":
            chain.append(token.text)
            continue
        if token.role == "tail" and not chain and units and units[-1].kind in ("name", "joined"):
            units[-1] = Unit("din", (_unit_text(units[-1]),))
            continue
        core = Unit("name", (token.text,))
        if chain and chain[-1] == "abd":
            core = _abd_unit(token.text, abd_article)
            chain.pop()
        unit = Unit("joined", ("".join(chain) + _unit_text(core),)) if chain else core
        chain, abd_article = [], False
        if units and unit.kind == "name" and units[-1].kind == "name" and _is_pair(units[-1].parts[0], token.text):
            units[-1] = Unit("pair", (units[-1].parts[0], token.text))
        else:
            units.append(unit)
    units.extend(Unit("name", (p,)) for p in chain)
    if not units and articles:
        units = [Unit("name", (a,)) for a in articles]
    return tuple(units)


@functools.lru_cache(maxsize=1 << 16)
def canonical_units(text: str) -> tuple[Unit, ...]:
    """The units of a Latin name as its canonical words parse, so that both comparison modes
    are functions of the exact-mode words (equal exact words give equal phonetic keys).

    Writing the units out and parsing them again is repeated until the words are stable,
    which makes the exact words idempotent even for odd input (Abd Eddine → abdeddine →
    abd + el + dine); real names are stable after one parse.
    """
    units = _build_units(split_particles(text))
    for _ in range(4):
        again = _build_units(split_particles(" ".join(_unit_text(u) for u in units)))
        if tuple(map(_unit_text, again)) == tuple(map(_unit_text, units)):
            return again
        units = again
    return units


def latin_name_tokens(text: str) -> tuple[str, ...]:
    """The words a Latin name is compared under in exact mode: folded, titles and articles left
    out, particles joined, Abd- and -eddine compounds and two-part given names written as one.

    >>> latin_name_tokens("Moulay Abd El-Kader Ben Ali")
    ('abdelkader', 'benali')
    """
    return tuple(_unit_text(u) for u in canonical_units(text))


def _din_head_key(head: str) -> str:
    return name_key(_DIN_HEADS.get(head, head))


def _abd_tail_key(tail: str) -> str:
    key = name_key(tail)
    if key.startswith("l"):
        # Abdellatif and Abdelatif: the l of the article and the sun-letter l are one sound.
        key = key[1:]
    if len(key) >= 3 and key[0] not in "aiu" and key[1] == "a" and key[2] not in "aiu":
        # Darija drops the first short vowel of the divine name: Abdelkrim, Abdeslam, Abdenbi.
        key = key[0] + key[2:]
    return key


def _word_key(word: str) -> str:
    """The phonetic key of one plain name word, with -eddine compounds written together."""
    din = _DIN.fullmatch(word)
    if din is not None:
        return _collapse_key(_din_head_key(din["head"]) + "din")
    return name_key(word)


def _collapse_key(key: str) -> str:
    return "".join(ch for i, ch in enumerate(key) if i == 0 or key[i - 1] != ch)


def unit_key(unit: Unit) -> str:
    """The phonetic key of one unit (see `phonetic` for what the keys mean)."""
    if unit.kind in ("name", "joined"):
        return _word_key(unit.parts[0])
    if unit.kind == "abd":
        return _collapse_key("abdl" + _abd_tail_key(unit.parts[0]))
    if unit.kind == "din":
        return _word_key(_unit_text(unit))
    return name_key(unit.parts[0]) + name_key(unit.parts[1])
