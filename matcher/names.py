"""Whether two written names are the same name: exactly (after matching normalisation) or phonetically.

Authentication compares a claimed name with the registered one under the caller's policy:

* ``exact``: the same words after the full matching normalisation of their script — case,
  accents, punctuation, spacing, hamza and the other Arabic letter variants, titles and the
  article left out, particles and compounds joined (`canonical_name`). Order matters and the
  two names must be in the same script: exact matching never transliterates.
* ``phonetic``: the same phonetic keys (`phonetic.phonetic_keys`) as multisets, so the order of
  the words does not matter (a first and a last name typed the other way round), either
  script on either side. A compound written as one word on one side and several on the other
  also matches when the keys written together agree (Mohamed Amine = Mohamedamine).

A name with nothing to compare (empty, or only punctuation) is equivalent to nothing, not even
another empty name: an empty claim is no evidence of identity.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Literal, get_args

from matcher.arabic import ARABIC_LETTERS, arabic_name_tokens
from matcher.errors import MatcherError
from matcher.particles import latin_name_tokens
from matcher.phonetic import phonetic_keys

__all__ = ["NameMode", "Script", "canonical_name", "name_script", "names_equivalent"]

NameMode = Literal["exact", "phonetic"]
Script = Literal["latin", "arabic", "mixed", "none"]

_ARABIC = re.compile(f"[{ARABIC_LETTERS}]")
_ARABIC_RUN = re.compile(f"[{ARABIC_LETTERS}]+(?:[^\\w{ARABIC_LETTERS}]*[{ARABIC_LETTERS}]+)*")
_OTHER_LETTER = re.compile(f"[^\\W\\d_{ARABIC_LETTERS}]")


def _check(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise MatcherError(f"{what} must be a string, not {type(text).__name__}")
    return text


def name_script(text: str) -> Script:
    """Which script the letters of a name are in: latin (or any non-Arabic), arabic, mixed, none."""
    text = _check(text, "name")
    arabic = _ARABIC.search(text) is not None
    other = _OTHER_LETTER.search(text) is not None
    if arabic and other:
        return "mixed"
    return "arabic" if arabic else "latin" if other else "none"


@functools.lru_cache(maxsize=1 << 16)
def canonical_name(text: str) -> str:
    """The name as exact mode compares it: each script's tokens normalised, separated by spaces.

    >>> canonical_name("Moulay Abd-El-Kader  BEN ALI"), canonical_name("عبد القادر بن علي")
    ('abdelkader benali', 'عبدالقادر بنعلي')
    """
    text = _check(text, "name")
    words: list[str] = []
    pos = 0
    for m in _ARABIC_RUN.finditer(text):
        words.extend(latin_name_tokens(text[pos : m.start()]))
        words.extend(arabic_name_tokens(m.group()))
        pos = m.end()
    words.extend(latin_name_tokens(text[pos:]))
    return " ".join(words)


def _joined(keys: tuple[str, ...]) -> str:
    text = "".join(keys)
    return "".join(ch for i, ch in enumerate(text) if i == 0 or text[i - 1] != ch)


def names_equivalent(a: str, b: str, mode: NameMode) -> bool:
    """True when the two names are the same name under ``mode`` (see the module docstring).

    >>> names_equivalent("Mohammed El Alaoui", "محمد العلوي", "phonetic")
    True
    >>> names_equivalent("Mohammed", "Mahmoud", "phonetic"), names_equivalent("Said", "Saida", "phonetic")
    (False, False)
    """
    a, b = _check(a, "first name to compare"), _check(b, "second name to compare")
    if mode == "exact":
        left, right = canonical_name(a), canonical_name(b)
        return bool(left) and left == right
    if mode == "phonetic":
        ka, kb = phonetic_keys(a), phonetic_keys(b)
        if not ka or not kb:
            return False
        return Counter(ka) == Counter(kb) or _joined(ka) == _joined(kb)
    raise MatcherError(f"name comparison mode must be one of {get_args(NameMode)}, not {mode!r}")
