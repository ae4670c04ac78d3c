"""Arabic-to-Latin transliteration of names in the French-Moroccan style of the civil registers.

A word is looked up first in the table of common names (`name_data.ARABIC_NAMES`: محمد →
mohamed, فاطمة → fatima, يوسف → youssef), because Arabic does not write short vowels and no
rule can tell محمد (Mohamed) from a hypothetical "Mahmed". Other words go through:

* compounds: عبدال… → abd + the article + the divine name (عبد القادر → abdelkader, عبد الرحيم →
  abderrahim, with the article assimilated before a sun letter); …الدين → …eddine; joined
  particles (بن, بل, بو, أبو, آيت, ولد, أولاد, بنت, إد) → ben, bel, bou, abou, ait, ould, oulad,
  bent, id + the name;
* the article: el before a moon letter (العلوي → el alaoui), e + the doubled consonant before a
  sun letter (السعدي → essaadi, الزهراء → ezzahra);
* letters, French-style: ش ch, خ kh, غ gh, ج j, ق k (Moroccan ڭ g), و ou, ي i or y, ث ت ط t,
  ذ ض ظ د d, ص س s (ss between vowels), ح ه h, ع a or nothing, final ة a (t after ا: نجاة →
  najat), final ى a;
* short vowels, guessed by syllable: *a* after a consonant that cannot close a syllable,
  *e* before a final consonant (أحمد → ahmed, يوسف → yousef); an initial ا is *i* in the
  إفعال/افتعال pattern (إكرام → ikram, ابتسام → ibtissam) and *a* otherwise.

The guesses are not always the clerk's spelling, but the phonetic key folds what they miss (a/e,
doubled letters); what it cannot fold is a wrong vowel class, which is why the table exists.
"""

from __future__ import annotations

import functools
import re

from matcher.arabic import ARABIC_LETTERS, KNOWN_ARABIC, fold_arabic, split_arabic_particles
from matcher.name_data import ARABIC_NAMES
from matcher.normalise import normalise_latin

__all__ = ["transliterate", "transliterate_word"]

_TABLE = {fold_arabic(arabic): latin for arabic, latin in ARABIC_NAMES}
_CONSONANTS = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "d", "ر": "r",
    "ز": "z", "س": "s", "ش": "ch", "ص": "s", "ض": "d", "ط": "t", "ظ": "d", "غ": "gh", "ف": "f",
    "ق": "k", "ك": "k", "ڭ": "g", "ل": "l", "م": "m", "ن": "n", "ه": "h", "پ": "p", "ڤ": "v",
    "چ": "ch",
}  # fmt: skip
_SUN = frozenset("تثدذرزسشصضطظلن")
_LONG = frozenset("اوي")
_AIN = "ع"
_PARTICLE_PREFIXES = (
    ("اولاد", "oulad", True),
    ("ايت", "ait", True),
    ("بنت", "bent", False),
    ("ولد", "ould", False),
    ("ابو", "abou", False),
    ("بن", "ben", False),
    ("بل", "bel", False),
    ("بو", "bou", False),
    ("اد", "id", False),
)
_ABD_TAILS = {"له": "lah", "الله": "lah", "اله": "ilah"}
_ARABIC_RUN = re.compile(f"[{ARABIC_LETTERS}]+(?:[^\\w{ARABIC_LETTERS}]*[{ARABIC_LETTERS}]+)*")
_SS = re.compile(r"(?<=[aeiou])s(?=[aeiou])")


def _initial_alif(letters: str) -> str:
    # إفعال / افتعال verbal nouns (Ikram, Ihsane, Ibtissam) start with i: two consonants,
    # then an alif that is followed by a consonant. Elatives (Ahmed, Akram, Anouar) have no alif.
    if len(letters) >= 5 and letters[1] not in _LONG and letters[2] not in _LONG and "ا" in letters[3:-1]:
        return "i"
    return "a"


def _units(letters: str) -> list[tuple[str, str]]:
    """Each letter as (kind, latin): kind V (vowel), C (consonant), A (ain)."""
    units: list[tuple[str, str]] = []
    n = len(letters)
    start = 0
    if n >= 3 and letters[0] == "ا" and letters[1] in ("و", "ي") and letters[2] not in _LONG:
        # أو- is the Amazigh "son of" (Oubrahim), إي- a long i (Idder, Itto, Ihab).
        units.append(("V", "ou" if letters[1] == "و" else "i"))
        start = 2
    for i, ch in enumerate(letters[start:], start):
        nxt = letters[i + 1] if i + 1 < n else ""
        if ch == "ا":
            units.append(("V", _initial_alif(letters) if i == 0 else "a"))
        elif ch == "و":
            glide = i == 0 or nxt == "ا" or (nxt in ("ي", "ه") and i + 2 == n)
            units.append(("C" if glide else "V", "ou"))
        elif ch == "ي":
            units.append(("C", "y") if i == 0 or nxt in ("ا", "و") else ("V", "i"))
        elif ch == "ه" and i == n - 1 and i > 0:
            units.append(("C", "t") if letters[i - 1] == "ا" else ("V", "a"))
        elif ch == _AIN:
            units.append(("A", ""))
        elif ch in _CONSONANTS:
            units.append(("C", _CONSONANTS[ch]))
    return units


def _by_rules(word: str) -> str:
    units = _units(word)
    out: list[str] = []
    prev_vowel = False
    # In the إفعال/افتعال pattern the vowel after the second consonant is i too (Ibtissam, Intissar).
    short = "i" if units and units[0] == ("V", "i") and word[0] == "ا" and word[1] not in _LONG else "a"
    last = len(units) - 1
    for i, (kind, latin) in enumerate(units):
        nxt = units[i + 1][0] if i < last else ""
        if kind == "V":
            out.append(latin)
            prev_vowel = True
            continue
        if kind == "A":
            # ع is heard as a before a consonant or at the end, and is silent before a long vowel.
            if nxt != "V":
                out.append("a")
            prev_vowel = nxt != "V"
            continue
        out.append(latin)
        if nxt in ("", "V"):
            prev_vowel = False
            continue
        next_is_final = i + 1 == last
        if prev_vowel and not next_is_final:
            prev_vowel = False  # this consonant closes the syllable (Ah-med, Man-sour)
            continue
        if nxt == "A" and prev_vowel:
            prev_vowel = False
            continue
        out.append("e" if next_is_final else short)
        short = "a"
        prev_vowel = True
    return _SS.sub("ss", "".join(out))


def _article(word: str, latin: str) -> str:
    """The article before a name, assimilated before a sun letter: el kader, errahim, essaadi."""
    if word and word[0] in _SUN and latin:
        consonant = "ch" if latin.startswith("ch") else latin[0]
        return "e" + consonant
    return "el"


@functools.lru_cache(maxsize=1 << 18)
def transliterate_word(word: str) -> str:
    """Transliterate one Arabic word (folded first); compounds come out as one Latin word,
    except that an article before a moon letter is written apart (العلوي → "el alaoui").

    >>> transliterate_word("عبدالرحيم"), transliterate_word("نورالدين"), transliterate_word("أحمد")
    ('abderrahim', 'noureddine', 'ahmed')
    """
    word = fold_arabic(word).replace(" ", "")
    if not word:
        return ""
    if word in _TABLE:
        return _TABLE[word]
    if word.startswith("عبد") and len(word) >= 5:
        rest = word[3:]
        if rest.startswith("ال") and len(rest) >= 4:
            tail = rest[2:]
            latin = _ABD_TAILS.get(tail) or transliterate_word(tail)
            return "abd" + _article(tail, latin) + latin
        return "abd" + (_ABD_TAILS.get(rest) or transliterate_word(rest))
    if word.endswith("الدين") and len(word) >= 7:
        return transliterate_word(word[:-5]) + "eddine"
    if word.startswith("ال") and len(word) >= 4:
        name = word[2:]
        latin = transliterate_word(name)
        prefix = _article(name, latin)
        return prefix + latin if prefix != "el" else "el " + latin
    for prefix, latin, always in _PARTICLE_PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 2 and (always or rest in KNOWN_ARABIC):
            return latin + transliterate_word(rest)
    return _by_rules(word)


def _display_words(run: str) -> list[str]:
    """Arabic words with Abd- and -eddine compounds and the article joined back to their name."""
    words: list[str] = []
    pending = ""
    for token in split_arabic_particles(run):
        if token.role == "tail" and words and not pending:
            words[-1] += token.text
        elif token.role == "article" or (token.role == "particle" and token.text == "عبد"):
            pending += token.text
        elif token.role == "name" or token.role == "tail":
            words.append(pending + token.text)
            pending = ""
        else:
            if pending:
                words.append(pending)
                pending = ""
            words.append(token.text)
    if pending:
        words.append(pending)
    return words


def transliterate(text: str) -> str:
    """Write the Arabic parts of a name in Latin letters; Latin parts are folded and kept.

    >>> transliterate("فاطمة الزهراء العلوي")
    'fatima ezzahra el alaoui'
    """
    out: list[str] = []
    pos = 0
    for m in _ARABIC_RUN.finditer(text):
        out.append(normalise_latin(text[pos : m.start()]))
        out.extend(transliterate_word(w) for w in _display_words(m.group()))
        pos = m.end()
    out.append(normalise_latin(text[pos:]))
    # normalise_latin removes anything left that is not a letter (Arabic punctuation, digits of
    # other scripts are kept as they are); Arabic letters the tables do not know are dropped.
    return " ".join(" ".join(out).split())
