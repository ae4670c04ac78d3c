"""A phonetic key of our own for Maghreb names, the same for the usual spellings in both scripts.

`phonetic_keys(name)` gives one key per compared unit of a name, in order:

1. Arabic-script parts are folded and tokenised (`arabic.arabic_name_tokens`: hamza, ة, ى,
   diacritics, titles and the article out, particles and compounds joined) and transliterated
   (`transliterate.transliterate_word`), so محمد, Mohammed and Muhammad meet in Latin.
2. The Latin name is cut into units (`particles`): titles and the article dropped; Ben/Ait/Ould…
   joined to their name; Abd- names, -eddine names and two-part given names (Fatima Zahra) as
   one unit whichever way they are spaced or hyphenated.
3. Each unit gets a key:

   * a plain word: its spelling key (`spelling`: consonant classes ch/sh, j/dj, k/q/g, gh/rh,
     ou/w/u/o; a/e one vowel, i another; doubled letters single; silent final e; the hamza
     ending -ae/-aa; prothetic i) after the variant table has folded spellings the rules must
     keep apart elsewhere (Khaled → Khalid: Hamed stays apart from Hamid);
   * a particle with its name (Benali): the spelling key of the joined spelling;
   * an Abd- name: ``abdl`` + the key of the divine name, with the sun-letter l folded into the
     article (Abdellatif = Abdelatif) and the Darija loss of its first short vowel folded
     (Abdelkrim = Abdelkarim, Abdeslam = Abdessalam, Abdenbi = Abdennabi);
   * an -eddine name: the key of its first part + ``din`` (Noureddine = Nourdine = Nour Eddine;
     Izz/Ezz/Azz, Seif/Saif are one first part);
   * a two-part given name: the keys of both parts together (Fatima Zahra = Fatim-Zahra =
     Fatima Ezzahra = Fatimazahra = Fatima Zohra).

What stays apart: Mohammed ``muhamad``, Mahmoud ``mahmud``, Hamid ``hamid``, Hamed ``hamad``,
M'hamed ``mhamad``, Ahmed ``ahmad``; Said ``said`` / Saida ``saida`` / Saad ``sad`` / Saadia
``sadia``; Amine ``amin`` / Amina ``amina``; Hassan ``hasan`` / Hussein ``husin`` / Hassna
``hasna``. Known limits are listed in `spelling`: a Latin *Hamid* written for حامد, *Saleh*
(صالح) against *Salah* (صلاح), *Mhamed* written for محمد.
"""

from __future__ import annotations

import functools
import re

from matcher.arabic import ARABIC_LETTERS, arabic_name_tokens
from matcher.errors import MatcherError
from matcher.particles import canonical_units, unit_key
from matcher.transliterate import transliterate_word

__all__ = ["latin_form", "phonetic_key", "phonetic_keys"]

_ARABIC_RUN = re.compile(f"[{ARABIC_LETTERS}]+(?:[^\\w{ARABIC_LETTERS}]*[{ARABIC_LETTERS}]+)*")


def _check(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise MatcherError(f"{what} must be a string, not {type(text).__name__}")
    return text


def latin_form(name: str) -> str:
    """The name with its Arabic parts replaced by the transliteration of their compared words."""
    name = _check(name, "name")
    if _ARABIC_RUN.search(name) is None:
        return name
    out: list[str] = []
    pos = 0
    for m in _ARABIC_RUN.finditer(name):
        out.append(name[pos : m.start()])
        out.extend(transliterate_word(w) for w in arabic_name_tokens(m.group()))
        pos = m.end()
    out.append(name[pos:])
    return " ".join(out)


@functools.lru_cache(maxsize=1 << 16)
def phonetic_keys(name: str) -> tuple[str, ...]:
    """The phonetic key of each compared unit of a name in either script (or both), in order.

    >>> phonetic_keys("Moulay Abd El-Kader Ben Ali"), phonetic_keys("عبد القادر بنعلي")
    (('abdlkdar', 'banali'), ('abdlkdar', 'banali'))
    """
    units = canonical_units(latin_form(name))
    return tuple(key for key in (unit_key(u) for u in units) if key)


def phonetic_key(name: str) -> str:
    """The phonetic key of one name (a given name or a surname) in either script.

    A name that is several units (Mohamed Amine) gets its unit keys written together, so a
    compound spaced or joined has one key.

    >>> phonetic_key("Mohammed"), phonetic_key("محمد"), phonetic_key("M'hamed")
    ('muhamad', 'muhamad', 'mhamad')
    """
    return "".join(phonetic_keys(name))
