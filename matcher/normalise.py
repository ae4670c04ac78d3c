"""Normalisation of names before comparison: case, accents, punctuation and spacing.

Kept deliberately conservative: two strings that normalise equal are the same name written
with different case, accents, punctuation or spacing, and nothing more. Transliteration,
particles and phonetic keys (which make *different* strings match) belong elsewhere.
Unicode NFKD decomposition also splits Arabic hamza seats into a bare letter and a combining
hamza or madda (أ, إ, آ → ا), which are dropped like Latin accents.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_arabic", "normalise_latin", "normalise_name"]

# Arabic harakat, shadda, sukun, superscript alef and Quranic marks are all combining marks
# (category Mn) and go with the accents; tatweel (U+0640) is a letter-like filler.
_TATWEEL = "\u0640"
# Invisible direction and joiner marks copied in from documents.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u061c\u2066\u2067\u2068\u2069\ufeff"))
_SEPARATORS = re.compile(r"[^\w]+|_+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_latin(text: str) -> str:
    """Lower-case, drop accents, turn punctuation and hyphens into spaces, collapse spaces.

    >>> normalise_latin("  Saïd  EL-ALAOUI ")
    'said el alaoui'
    """
    folded = _strip_marks(text.translate(_INVISIBLE)).casefold()
    return " ".join(_SEPARATORS.sub(" ", folded).split())


def normalise_arabic(text: str) -> str:
    """Drop diacritics, tatweel and invisible marks, punctuation to spaces, collapse spaces.

    >>> normalise_arabic("مُحَمَّـد")
    'محمد'
    """
    cleaned = text.translate(_INVISIBLE).replace(_TATWEEL, "")
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", cleaned) if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS.sub(" ", stripped).split())


def normalise_name(text: str) -> str:
    """Normalise a name in either script (Latin rules also leave Arabic letters intact)."""
    return normalise_arabic(normalise_latin(text))
