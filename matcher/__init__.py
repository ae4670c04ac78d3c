"""Pure matching: normalisation of names and comparison of attributes (no I/O)."""

from matcher.errors import MatcherError
from matcher.normalise import normalise_arabic, normalise_latin, normalise_name

__all__ = ["MatcherError", "normalise_arabic", "normalise_latin", "normalise_name"]
