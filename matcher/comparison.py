"""Comparison specs: for each field, the ordered levels of agreement a pair of records can fall in.

A comparison is data, not code (as Splink's settings are): a field name and a tuple of levels.
The kernels turn two records into one level index per field (the comparison vector, "gamma");
the model turns gamma into evidence. Levels are tried in order and the first that holds wins,
so they run from the strongest agreement to the weakest:

- level 0 is always ``null``: one side is missing, the pair gives no evidence (weight 0);
- levels 1 … K-2 are the kinds of agreement, strongest first;
- the last level is always ``else``: the values differ beyond every threshold.

Gamma is stored as ``int8``, so a comparison has at most 127 levels.

Level kinds (closed vocabulary; the kernels implement each, the threshold's meaning is fixed):

==============================  =========  ===================================================
kind                            threshold  holds when
==============================  =========  ===================================================
``null``                        none       either value is missing (level 0 only)
``exact``                       none       normalised values are equal
``phonetic``                    none       phonetic keys are equal (Arabic and Latin alike)
``jaro_winkler_at_least``       (0, 1]     Jaro–Winkler similarity ≥ threshold
``damerau_levenshtein_at_most`` int ≥ 0    Damerau–Levenshtein distance ≤ threshold
``token_set_at_least``          (0, 1]     token-set similarity (order-free) ≥ threshold
``date_exact``                  none       same full date
``date_compatible``             none       equal at the coarser precision (year only, year+month)
``date_swapped``                none       day and month swapped
``date_one_digit``              none       dates differ by one digit (a typing slip)
``date_within_year``            none       dates within a year of each other
``else``                        none       anything else (last level only)
==============================  =========  ===================================================

Term-frequency adjustment (``tf_adjusted``) may be set on agreement levels of a comparison that
has an ``exact`` or ``date_exact`` level; that level's u probability is the one the value's own
frequency replaces (see ``matcher.model``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from matcher.errors import ComparisonSpecError, GammaError

__all__ = [
    "EXACT_KINDS",
    "LEVEL_KINDS",
    "MAX_LEVELS",
    "THRESHOLD_KINDS",
    "Comparison",
    "ComparisonLevel",
    "check_gamma",
]

MAX_LEVELS: Final = 127  # gamma is int8

# Kinds whose threshold is required, and the (low, high, low inclusive) range it must lie in.
THRESHOLD_KINDS: Final[Mapping[str, tuple[float, float, bool]]] = {
    "jaro_winkler_at_least": (0.0, 1.0, False),
    "damerau_levenshtein_at_most": (0.0, math.inf, True),
    "token_set_at_least": (0.0, 1.0, False),
}
LEVEL_KINDS: Final[frozenset[str]] = frozenset(
    {
        "null",
        "exact",
        "phonetic",
        "date_exact",
        "date_compatible",
        "date_swapped",
        "date_one_digit",
        "date_within_year",
        "else",
        *THRESHOLD_KINDS,
    }
)
# Levels whose u is the reference a term-frequency adjustment replaces by the value's frequency.
EXACT_KINDS: Final[frozenset[str]] = frozenset({"exact", "date_exact"})

_LEVEL_KEYS: Final = frozenset({"label", "kind", "threshold", "tf_adjusted"})
_COMPARISON_KEYS: Final = frozenset({"field", "levels"})


@dataclass(frozen=True)
class ComparisonLevel:
    """One level of agreement: a label for explanations, its kind, its threshold, TF flag."""

    label: str
    kind: str
    threshold: float | None = None
    tf_adjusted: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label:
            raise ComparisonSpecError(f"level label must be a non-empty string, got {self.label!r}")
        where = f"level {self.label!r}"
        if self.kind not in LEVEL_KINDS:
            raise ComparisonSpecError(f"{where}: unknown kind {self.kind!r} (known: {sorted(LEVEL_KINDS)})")
        if not isinstance(self.tf_adjusted, bool):
            raise ComparisonSpecError(f"{where}: tf_adjusted must be true or false, got {self.tf_adjusted!r}")
        if self.kind in THRESHOLD_KINDS:
            # Thresholds compare as floats everywhere; keep one type so JSON round trips are exact.
            object.__setattr__(self, "threshold", self._checked_threshold(where))
        elif self.threshold is not None:
            raise ComparisonSpecError(f"{where}: kind {self.kind!r} takes no threshold, got {self.threshold!r}")
        if self.tf_adjusted and self.kind in {"null", "else"}:
            raise ComparisonSpecError(f"{where}: a {self.kind!r} level cannot be term-frequency adjusted")

    def _checked_threshold(self, where: str) -> float:
        value = self.threshold
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ComparisonSpecError(f"{where}: kind {self.kind!r} needs a finite number as threshold, got {value!r}")
        low, high, low_inclusive = THRESHOLD_KINDS[self.kind]
        if not ((low <= value if low_inclusive else low < value) and value <= high):
            bracket = "[" if low_inclusive else "("
            raise ComparisonSpecError(f"{where}: threshold {value!r} is outside {bracket}{low}, {high}]")
        if self.kind == "damerau_levenshtein_at_most" and value != int(value):
            raise ComparisonSpecError(f"{where}: an edit distance threshold must be whole, got {value!r}")
        return float(value)

    def to_dict(self) -> dict[str, Any]:
        """The level as JSON-ready data."""
        return {"label": self.label, "kind": self.kind, "threshold": self.threshold, "tf_adjusted": self.tf_adjusted}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComparisonLevel:
        """Read a level written by ``to_dict``; unknown keys are refused so typos do not pass silently."""
        if not isinstance(data, Mapping):
            raise ComparisonSpecError(f"a level must be an object, got {type(data).__name__}")
        unknown = set(data) - _LEVEL_KEYS
        if unknown:
            raise ComparisonSpecError(f"level {data.get('label')!r}: unknown keys {sorted(unknown)}")
        if "label" not in data or "kind" not in data:
            raise ComparisonSpecError(f"level {data.get('label')!r}: 'label' and 'kind' are required")
        return cls(
            label=data["label"],
            kind=data["kind"],
            threshold=data.get("threshold"),
            tf_adjusted=data.get("tf_adjusted", False),
        )


@dataclass(frozen=True)
class Comparison:
    """The levels of one field, from ``null`` (level 0) through agreements to ``else`` (last)."""

    field: str
    levels: tuple[ComparisonLevel, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.field, str) or not self.field:
            raise ComparisonSpecError(f"field must be a non-empty string, got {self.field!r}")
        field = self.field
        if not isinstance(self.levels, tuple) or not all(isinstance(lv, ComparisonLevel) for lv in self.levels):
            raise ComparisonSpecError("levels must be a tuple of ComparisonLevel", field=field)
        # null + at least one agreement + else: fewer levels could never give evidence.
        if not 3 <= len(self.levels) <= MAX_LEVELS:
            raise ComparisonSpecError(f"needs 3 to {MAX_LEVELS} levels, got {len(self.levels)}", field=field)
        if self.levels[0].kind != "null":
            raise ComparisonSpecError(f"level 0 must be of kind 'null', got {self.levels[0].kind!r}", field=field)
        if self.levels[-1].kind != "else":
            raise ComparisonSpecError(
                f"the last level must be of kind 'else', got {self.levels[-1].kind!r}", field=field
            )
        for index, level in enumerate(self.levels[1:-1], start=1):
            if level.kind in {"null", "else"}:
                raise ComparisonSpecError(f"level {index} ({level.label!r}) cannot be {level.kind!r}", field=field)
        labels = [level.label for level in self.levels]
        if len(set(labels)) != len(labels):
            raise ComparisonSpecError(f"level labels must be unique, got {labels}", field=field)
        if self.tf_adjusted and self.exact_level is None:
            raise ComparisonSpecError(
                "term-frequency adjustment needs an 'exact' or 'date_exact' level whose u it replaces", field=field
            )

    @property
    def n_levels(self) -> int:
        """Number of levels, null and else included (gamma takes values 0 … n_levels-1)."""
        return len(self.levels)

    @property
    def tf_adjusted(self) -> bool:
        """Whether any level of this comparison is term-frequency adjusted."""
        return any(level.tf_adjusted for level in self.levels)

    @property
    def exact_level(self) -> int | None:
        """Index of the first ``exact``/``date_exact`` level (the TF reference), if any."""
        return next((i for i, level in enumerate(self.levels) if level.kind in EXACT_KINDS), None)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready data."""
        return {"field": self.field, "levels": [level.to_dict() for level in self.levels]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """Read a comparison written by ``to_dict``; errors name the field."""
        if not isinstance(data, Mapping):
            raise ComparisonSpecError(f"a comparison must be an object, got {type(data).__name__}")
        field = data.get("field")
        unknown = set(data) - _COMPARISON_KEYS
        if unknown:
            raise ComparisonSpecError(f"unknown keys {sorted(unknown)}", field=str(field))
        levels = data.get("levels")
        if not isinstance(field, str) or not isinstance(levels, Sequence) or isinstance(levels, str):
            raise ComparisonSpecError("'field' (a string) and 'levels' (a list) are required", field=str(field))
        try:
            parsed = tuple(ComparisonLevel.from_dict(level) for level in levels)
        except ComparisonSpecError as exc:
            raise ComparisonSpecError(str(exc), field=field) from exc
        return cls(field=field, levels=parsed)


def check_gamma(gamma: npt.NDArray[np.integer[Any]], comparisons: Sequence[Comparison]) -> None:
    """Refuse a gamma matrix that is not (pairs × comparisons) of integer levels within range.

    Checked column by column with vectorised min/max, so it costs one pass over the matrix.
    """
    if not isinstance(gamma, np.ndarray) or gamma.ndim != 2:
        raise GammaError(f"gamma must be a 2-D numpy array (pairs × fields), got {type(gamma).__name__}")
    if not np.issubdtype(gamma.dtype, np.integer):
        raise GammaError(f"gamma must hold integer levels, got dtype {gamma.dtype}")
    if gamma.shape[1] != len(comparisons):
        raise GammaError(f"gamma has {gamma.shape[1]} columns for {len(comparisons)} comparisons")
    if gamma.shape[0] == 0:
        return
    low = gamma.min(axis=0)
    high = gamma.max(axis=0)
    for column, comparison in enumerate(comparisons):
        if low[column] < 0 or high[column] >= comparison.n_levels:
            raise GammaError(
                f"levels must lie in 0…{comparison.n_levels - 1}, found {int(low[column])}…{int(high[column])}",
                field=comparison.field,
            )
