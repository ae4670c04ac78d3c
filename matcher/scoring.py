"""Comparison vectors ("gamma") of record pairs: one agreement level per comparison, per pair.

Records are first prepared column by column into a :class:`RecordTable` (strings normalised
and encoded once, values and phonetic keys factorised to integer ids, dates as integer
arrays). Then :func:`compute_gamma` evaluates every comparison's levels over whole arrays of
pairs with the Numba kernels: no Python loop runs per pair. Linking two files is done by
putting both in one table and pairing indices across the two halves.

Work per distinct value, not per record: names repeat heavily in a population (a million
records hold a few thousand first names), so normalisation and phonetic keys are computed on
the unique values and broadcast back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.comparison import Comparison
from matcher.dates import DateLevel, compare_dates_arrays, precision_codes
from matcher.errors import GammaError
from matcher.kernels import (
    damerau_levenshtein_pairs,
    encode_strings,
    jaro_winkler_pairs,
    token_set_similarity_pairs,
)
from matcher.normalise import normalise_name

__all__ = ["DateColumn", "RecordTable", "StringColumn", "compute_gamma"]

Normaliser = Callable[[str], str]


@dataclass(frozen=True, eq=False)
class StringColumn:
    """One text field of every record, normalised, encoded and factorised."""

    values: npt.NDArray[np.object_]  # normalised text, "" when missing
    ids: npt.NDArray[np.int64]  # same id ⇔ same normalised text (0, 1, ...); -1 when missing
    # encode_strings of the distinct texts, in id order: the kernels compare ids, so a name
    # shared by a hundred thousand records is encoded once.
    codes: npt.NDArray[np.uint32]
    offsets: npt.NDArray[np.int64]
    phonetic_ids: npt.NDArray[np.int64] | None  # same id ⇔ same phonetic key; -1 when none

    @classmethod
    def build(
        cls,
        raw: Sequence[str],
        normalise: Normaliser = normalise_name,
        phonetic: Normaliser | None = None,
    ) -> StringColumn:
        # Hash-factorised (not sorted): names and codes repeat a lot, and sorting a million
        # Python strings costs seconds.
        codes_raw, uniques_raw = pd.factorize(np.asarray(raw, dtype=object), use_na_sentinel=False)
        uniques = np.array(["" if u is None or u != u else str(u) for u in uniques_raw], dtype=object)
        inverse = codes_raw.astype(np.int64)
        normalised_uniques = np.array([normalise(str(u)) for u in uniques], dtype=object)
        values = normalised_uniques[inverse]
        # Distinct normalised texts (two raw spellings may normalise alike), "" left out.
        distinct_of_unique, distinct = pd.factorize(normalised_uniques)
        kept = distinct != ""
        renumber = np.full(len(distinct), -1, dtype=np.int64)
        renumber[kept] = np.arange(int(kept.sum()), dtype=np.int64)
        ids = renumber[distinct_of_unique][inverse] if len(inverse) else np.zeros(0, dtype=np.int64)
        codes, offsets = encode_strings([str(v) for v in distinct[kept]])
        phonetic_ids = None
        if phonetic is not None:
            # Keys from the raw text: normalisation drops apostrophes that keys read (M'bark ≠ Mbark).
            keys_uniques = np.array(
                [phonetic(str(u)) if n else "" for u, n in zip(uniques, normalised_uniques, strict=True)], dtype=object
            )
            phonetic_ids = _factorise(keys_uniques[inverse])
        return cls(values, ids, codes, offsets, phonetic_ids)


@dataclass(frozen=True, eq=False)
class DateColumn:
    """One date-of-birth field of every record: integer parts and a precision code."""

    year: npt.NDArray[np.int64]
    month: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    precision: npt.NDArray[np.int8]  # matcher.dates.DatePrecision codes

    @classmethod
    def build(
        cls,
        year: npt.ArrayLike,
        month: npt.ArrayLike,
        day: npt.ArrayLike,
        precision: Sequence[str],
    ) -> DateColumn:
        return cls(
            np.asarray(year, dtype=np.int64),
            np.asarray(month, dtype=np.int64),
            np.asarray(day, dtype=np.int64),
            precision_codes(list(precision)),
        )


@dataclass(frozen=True, eq=False)
class RecordTable:
    """Prepared columns of a set of records, by field name."""

    columns: Mapping[str, StringColumn | DateColumn]

    def __post_init__(self) -> None:
        sizes = {name: len(_length_of(col)) for name, col in self.columns.items()}
        if len(set(sizes.values())) > 1:
            raise GammaError(f"columns have different lengths: {sizes}")

    @property
    def n_records(self) -> int:
        return len(_length_of(next(iter(self.columns.values())))) if self.columns else 0


def _length_of(col: StringColumn | DateColumn) -> npt.NDArray[np.generic]:
    return col.ids if isinstance(col, StringColumn) else col.year


def _factorise(values: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """Same id ⇔ same value; "" (missing) is -1, every real value a distinct id ≥ 0."""
    ids, uniques = pd.factorize(values)
    ids = ids.astype(np.int64)
    empty = np.flatnonzero(uniques == "")
    if empty.size:
        ids[ids == empty[0]] = -1
    return ids


# DateLevel → whether each date level kind holds for it.
_DATE_KIND_HOLDS: Mapping[str, frozenset[int]] = {
    "exact": frozenset({DateLevel.EXACT}),
    "date_exact": frozenset({DateLevel.EXACT}),
    "date_compatible": frozenset({DateLevel.EXACT, DateLevel.COMPATIBLE}),
    "date_swapped": frozenset({DateLevel.DAY_MONTH_SWAPPED}),
    "date_one_digit": frozenset({DateLevel.ONE_DIGIT_OFF}),
    "date_within_year": frozenset({DateLevel.WITHIN_ONE_YEAR, DateLevel.ONE_DIGIT_OFF, DateLevel.DAY_MONTH_SWAPPED}),
}


def _date_gamma(
    comparison: Comparison, col: DateColumn, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.int8]:
    levels = compare_dates_arrays(
        col.year[left], col.month[left], col.day[left], col.precision[left],
        col.year[right], col.month[right], col.day[right], col.precision[right],
    )  # fmt: skip
    last = comparison.n_levels - 1
    # A lookup from DateLevel (offset by 1 so MISSING is index 0) to the comparison's level.
    lut = np.full(len(DateLevel), last, dtype=np.int8)
    lut[0] = 0
    for date_level in DateLevel:
        if date_level is DateLevel.MISSING:
            continue
        for index, level in enumerate(comparison.levels[1:-1], start=1):
            holds = _DATE_KIND_HOLDS.get(level.kind)
            if holds is None:
                raise GammaError(f"{comparison.field}: level kind {level.kind!r} does not apply to dates")
            if date_level in holds:
                lut[date_level + 1] = index
                break
    return lut[levels.astype(np.int64) + 1]


def _string_gamma(
    comparison: Comparison, col: StringColumn, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.int8]:
    """Levels tried strongest first, each only on the pairs no stronger level took: the string
    kernels run on the pairs that are not already equal (most candidate pairs are)."""
    gamma = np.full(left.size, comparison.n_levels - 1, dtype=np.int8)
    id_l, id_r = col.ids[left], col.ids[right]
    gamma[(id_l < 0) | (id_r < 0)] = 0
    undecided = np.flatnonzero(gamma != 0)
    # A kernel's values, by pair, over the pairs undecided when it first ran (later levels look
    # at a subset of those).
    cache: dict[str, npt.NDArray[np.float64]] = {}

    def similarity(kind: str, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        if kind not in cache:
            # Once per distinct pair of values: names repeat, so candidate pairs share a few
            # thousand (first name, first name) pairs between them.
            base = np.int64(col.ids.max() + 1)
            distinct, inverse = np.unique(col.ids[left[rows]] * base + col.ids[right[rows]], return_inverse=True)
            args = (col.codes, col.offsets, col.codes, col.offsets, distinct // base, distinct % base)
            if kind == "jaro_winkler_at_least":
                values = jaro_winkler_pairs(*args).astype(np.float64)
            elif kind == "token_set_at_least":
                values = token_set_similarity_pairs(*args).astype(np.float64)
            else:
                values = damerau_levenshtein_pairs(*args).astype(np.float64)
            by_pair = np.empty(left.size, dtype=np.float64)
            by_pair[rows] = values[inverse.reshape(-1)]
            cache[kind] = by_pair
        return cache[kind][rows]

    for index in range(1, comparison.n_levels - 1):
        if undecided.size == 0:
            break
        level = comparison.levels[index]
        a, b = left[undecided], right[undecided]
        if level.kind == "exact":
            holds = col.ids[a] == col.ids[b]
        elif level.kind == "phonetic":
            if col.phonetic_ids is None:
                raise GammaError(f"{comparison.field}: a phonetic level needs phonetic keys in the table")
            p_l, p_r = col.phonetic_ids[a], col.phonetic_ids[b]
            holds = (p_l == p_r) & (p_l >= 0)
        elif level.kind in ("jaro_winkler_at_least", "token_set_at_least"):
            holds = similarity(level.kind, undecided) >= float(np.float32(level.threshold))
        elif level.kind == "damerau_levenshtein_at_most":
            holds = similarity(level.kind, undecided) <= float(level.threshold or 0)
        else:
            raise GammaError(f"{comparison.field}: level kind {level.kind!r} does not apply to text")
        gamma[undecided[holds]] = index
        undecided = undecided[~holds]
    return gamma


def compute_gamma(
    comparisons: Sequence[Comparison],
    table: RecordTable,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> npt.NDArray[np.int8]:
    """The (pairs × comparisons) int8 matrix of agreement levels of records ``left[i]``, ``right[i]``."""
    left_idx = np.asarray(left, dtype=np.int64).reshape(-1)
    right_idx = np.asarray(right, dtype=np.int64).reshape(-1)
    if left_idx.shape != right_idx.shape:
        raise GammaError(f"left and right must have the same length, got {left_idx.size} and {right_idx.size}")
    if left_idx.size and (
        min(left_idx.min(), right_idx.min()) < 0 or max(left_idx.max(), right_idx.max()) >= table.n_records
    ):
        raise GammaError(f"pair indices must lie in [0, {table.n_records})")
    gamma = np.empty((left_idx.size, len(comparisons)), dtype=np.int8)
    for j, comparison in enumerate(comparisons):
        col = table.columns.get(comparison.field)
        if col is None:
            raise GammaError(f"{comparison.field}: no such column in the record table")
        if isinstance(col, DateColumn):
            gamma[:, j] = _date_gamma(comparison, col, left_idx, right_idx)
        else:
            gamma[:, j] = _string_gamma(comparison, col, left_idx, right_idx)
    return gamma
