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

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.comparison import Comparison
from matcher.dates import DateLevel, compare_date_pairs, precision_codes
from matcher.errors import GammaError
from matcher.kernels import (
    chunking,
    damerau_levenshtein_pairs,
    encode_strings,
    jaro_winkler_pairs,
    run_chunked,
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
        raw: Sequence[str] | npt.NDArray[np.object_],
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
            # Ids in order of first appearance either way: uniques are in that order.
            phonetic_ids = _factorise(keys_uniques)[inverse]
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
    levels = compare_date_pairs(col.year, col.month, col.day, col.precision, left, right)
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


# Level kinds decided from the prepared ids alone, and the string measures (computed once per
# distinct pair of values).
_ID_KINDS = frozenset({"exact", "phonetic"})
_PENDING = -1


def _id_levels(ids, phonetic, left, right, kinds, else_level):
    """Each pair's level among the leading exact/phonetic levels (``kinds``), 0 when a value is
    missing; ``else_level`` where none holds (-1: a string measure decides later)."""
    out = np.empty(left.size, dtype=np.int8)
    run_chunked(_id_levels_range, _id_levels_parallel, left.size, ids, phonetic, left, right, kinds, else_level, out)
    return out


@numba.njit(nogil=True, cache=True)
def _id_levels_range(ids, phonetic, left, right, kinds, else_level, out, start, stop):
    for p in range(start, stop):
        i = left[p]
        j = right[p]
        a = ids[i]
        b = ids[j]
        level = else_level
        if a < 0 or b < 0:
            level = 0
        else:
            for k in range(kinds.size):
                if kinds[k] == 0:
                    holds = a == b
                else:
                    holds = phonetic[i] >= 0 and phonetic[i] == phonetic[j]
                if holds:
                    level = k + 1
                    break
        out[p] = level


@numba.njit(parallel=True, nogil=True, cache=True)
def _id_levels_parallel(ids, phonetic, left, right, kinds, else_level, out, n_threads):
    n = left.size
    chunks, size = chunking(n, n_threads)
    for c in numba.prange(chunks):
        _id_levels_range(ids, phonetic, left, right, kinds, else_level, out, c * size, min(n, (c + 1) * size))


@numba.njit(nogil=True, cache=True)
def _distinct_pairs(ids, left, right, undecided):
    """The distinct (value, value) pairs of the ``undecided`` pairs, in order of first
    appearance, and for each undecided pair the index of its distinct pair: a hash table, where
    a sort of a million pairs would cost several times more."""
    n = undecided.size
    span = np.int64(1)
    if ids.size and ids.max() >= 1:
        span = np.int64(ids.max() + 1)
    pair_keys = np.empty(n, dtype=np.int64)
    # The gathers first, in a loop of their own: interleaved with the probes they ran at half
    # the speed.
    for q in range(n):
        p = undecided[q]
        pair_keys[q] = ids[left[p]] * span + ids[right[p]]
    size = 16
    bits = 4
    while size < 2 * n:
        size *= 2
        bits += 1
    slots = np.full(size, -1, dtype=np.int32)
    keys = np.empty(n, dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    count = 0
    for q in range(n):
        key = pair_keys[q]
        # Fibonacci hashing: the top bits of the product.
        h = np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits))
        while True:
            d = slots[h]
            if d < 0:
                slots[h] = count
                keys[count] = key
                inverse[q] = count
                count += 1
                break
            if keys[d] == key:
                inverse[q] = d
                break
            h = (h + 1) & (size - 1)
    keys = keys[:count]
    return keys // span, keys % span, inverse


@numba.njit(nogil=True, cache=True, inline="always")
def _holds(kind, limit, row, d, ids, phonetic, i, j, values):
    if kind == 0:
        return ids[i] == ids[j]
    if kind == 1:
        return phonetic[i] >= 0 and phonetic[i] == phonetic[j]
    if kind == 4:  # a distance
        return values[row, d] <= limit
    return values[row, d] >= limit


def _measure_levels(
    gamma, undecided, inverse, ids, phonetic, left, right, kinds, limits, rows, values, first, else_level
):
    """Each undecided pair's level, walking levels ``first``… (kinds, limits and the row of
    ``values`` holding a string measure by distinct pair)."""
    args = (gamma, undecided, inverse, ids, phonetic, left, right, kinds, limits, rows, values, first, else_level)
    run_chunked(_measure_levels_range, _measure_levels_parallel, undecided.size, *args)


@numba.njit(nogil=True, cache=True)
def _measure_levels_range(
    gamma, undecided, inverse, ids, phonetic, left, right, kinds, limits, rows, values, first, else_level, start, stop
):
    for q in range(start, stop):
        p = undecided[q]
        level = else_level
        for k in range(first, kinds.size):
            if _holds(kinds[k], limits[k], rows[k], inverse[q], ids, phonetic, left[p], right[p], values):
                level = k + 1
                break
        gamma[p] = level


@numba.njit(parallel=True, nogil=True, cache=True)
def _measure_levels_parallel(
    gamma, undecided, inverse, ids, phonetic, left, right, kinds, limits, rows, values, first, else_level, n_threads
):
    n = undecided.size
    chunks, size = chunking(n, n_threads)
    for c in numba.prange(chunks):
        _measure_levels_range(
            gamma, undecided, inverse, ids, phonetic, left, right, kinds, limits, rows, values, first, else_level,
            c * size, min(n, (c + 1) * size),
        )  # fmt: skip


@numba.njit(nogil=True, cache=True)
def _reaching(undecided, inverse, n_distinct, ids, phonetic, left, right, kinds, limits, rows, values, first, stop):
    """Which distinct pairs have an undecided pair that no level ``first``…``stop - 1`` takes."""
    needed = np.zeros(n_distinct, dtype=np.bool_)
    for q in range(undecided.size):
        p = undecided[q]
        taken = False
        for k in range(first, stop):
            if _holds(kinds[k], limits[k], rows[k], inverse[q], ids, phonetic, left[p], right[p], values):
                taken = True
                break
        if not taken:
            needed[inverse[q]] = True
    return needed


_KIND_CODES: Mapping[str, int] = {
    "exact": 0,
    "phonetic": 1,
    "jaro_winkler_at_least": 2,
    "token_set_at_least": 3,
    "damerau_levenshtein_at_most": 4,
}
_MEASURE_KERNELS = {
    "jaro_winkler_at_least": jaro_winkler_pairs,
    "token_set_at_least": token_set_similarity_pairs,
    "damerau_levenshtein_at_most": damerau_levenshtein_pairs,
}


def _string_gamma(
    comparison: Comparison, col: StringColumn, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.int8]:
    """Levels tried strongest first, each only on the pairs no stronger level took.

    The leading exact and phonetic levels are decided in one parallel pass over the pairs. The
    pairs they leave are reduced to their distinct pairs of values (names repeat: a million
    candidate pairs share a few hundred thousand (name, name) pairs); each string measure runs
    once per distinct pair that reaches its first level, and a last parallel pass gives every
    such pair its level.
    """
    levels = comparison.levels[1:-1]
    kinds = [level.kind for level in levels]
    for kind in kinds:
        if kind not in _KIND_CODES:
            raise GammaError(f"{comparison.field}: level kind {kind!r} does not apply to text")
    if "phonetic" in kinds and col.phonetic_ids is None:
        raise GammaError(f"{comparison.field}: a phonetic level needs phonetic keys in the table")
    phonetic = col.phonetic_ids if col.phonetic_ids is not None else np.zeros(0, dtype=np.int64)
    lead = 0
    while lead < len(kinds) and kinds[lead] in _ID_KINDS:
        lead += 1
    else_level = comparison.n_levels - 1
    lead_codes = np.array([_KIND_CODES[k] for k in kinds[:lead]], dtype=np.int64)
    gamma = _id_levels(col.ids, phonetic, left, right, lead_codes, else_level if lead == len(kinds) else _PENDING)
    if lead == len(kinds):
        return gamma
    undecided = np.flatnonzero(gamma == _PENDING)
    distinct_a, distinct_b, inverse = _distinct_pairs(col.ids, left, right, undecided)
    codes = np.array([_KIND_CODES[k] for k in kinds], dtype=np.int64)
    # Similarities are float32 and are compared with the threshold as a float32.
    limits = np.array(
        [float(lv.threshold or 0) if lv.kind == "damerau_levenshtein_at_most" else float(np.float32(lv.threshold or 0))
         for lv in levels],
        dtype=np.float64,
    )  # fmt: skip
    measures = list(dict.fromkeys(k for k in kinds if k in _MEASURE_KERNELS))
    rows = np.array([measures.index(k) if k in _MEASURE_KERNELS else 0 for k in kinds], dtype=np.int64)
    values = np.full((len(measures), len(distinct_a)), np.nan)
    for row, measure in enumerate(measures):
        first_level = kinds.index(measure)
        if first_level == lead:
            wanted = np.arange(len(distinct_a))
        else:
            needed = _reaching(
                undecided, inverse, len(distinct_a), col.ids, phonetic, left, right, codes, limits, rows, values,
                lead, first_level,
            )  # fmt: skip
            wanted = np.flatnonzero(needed)
        args = (col.codes, col.offsets, col.codes, col.offsets, distinct_a[wanted], distinct_b[wanted])
        values[row, wanted] = _MEASURE_KERNELS[measure](*args)
    _measure_levels(
        gamma, undecided, inverse, col.ids, phonetic, left, right, codes, limits, rows, values, lead, else_level
    )
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
