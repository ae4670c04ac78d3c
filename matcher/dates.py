"""Comparison of dates of birth known to different precisions, as agreement levels.

A date of birth is plain integers plus a precision: ``"full"`` (year, month and day),
``"year_month"``, ``"year"`` or ``"unknown"``; fields finer than the precision are ignored. Two
dates are compared under the lesser of their precisions and given the first level that holds:

=================== ==========================================================================
MISSING             either date is unknown
EXACT               same precision, equal
COMPATIBLE          different precisions, equal under the lesser (1987 and 1987-03-12)
DAY_MONTH_SWAPPED   both full, same year, day and month swapped (1987-03-12 and 1987-12-03;
                    only possible when both are at most 12)
ONE_DIGIT_OFF       exactly one digit differs in YYYYMMDD (YYYYMM, YYYY under a lesser
                    precision): 1987-03-12 and 1987-03-13, 1987 and 1997
WITHIN_ONE_YEAR     at most a year apart under the lesser precision: 1987-12-30 and 1988-11-02
DIFFERENT           none of the above
=================== ==========================================================================

Day-of-month validity (February 30) is not checked: such dates occur in registers and compare
as they are written. Level values follow Splink's convention: -1 for missing, then larger for
closer agreement, so arrays of levels are small signed integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numba
import numpy as np
import numpy.typing as npt

from matcher.errors import MatcherError
from matcher.kernels import chunking, run_chunked

__all__ = [
    "DateLevel",
    "DatePrecision",
    "PartialDate",
    "compare_date_pairs",
    "compare_dates",
    "compare_dates_arrays",
    "precision_codes",
]


class DatePrecision(IntEnum):
    """How much of a date is known; larger is more. Names, lower-cased, are the precision strings."""

    UNKNOWN = 0
    YEAR = 1
    YEAR_MONTH = 2
    FULL = 3

    @classmethod
    def parse(cls, name: str) -> DatePrecision:
        """The precision called ``name`` ("full", "year_month", "year" or "unknown")."""
        if isinstance(name, str) and name.islower():
            try:
                return cls[name.upper()]
            except KeyError:
                pass
        choices = ", ".join(repr(p.label) for p in cls)
        raise MatcherError(f"date precision must be one of {choices}, got {name!r}")

    @property
    def label(self) -> str:
        return self.name.lower()


class DateLevel(IntEnum):
    """Agreement level of two dates of birth; see the module docstring for the definitions."""

    MISSING = -1
    DIFFERENT = 0
    WITHIN_ONE_YEAR = 1
    ONE_DIGIT_OFF = 2
    DAY_MONTH_SWAPPED = 3
    COMPATIBLE = 4
    EXACT = 5


_MAX_YEAR = 9999  # four digits, so that dates write as YYYYMMDD


@dataclass(frozen=True)
class PartialDate:
    """A date of birth known to ``precision``; fields finer than the precision are ignored."""

    year: int
    month: int
    day: int
    precision: str

    def __post_init__(self) -> None:
        level = DatePrecision.parse(self.precision)
        if level >= DatePrecision.YEAR and not 1 <= self.year <= _MAX_YEAR:
            raise MatcherError(f"year must be between 1 and {_MAX_YEAR}, got {self.year}")
        if level >= DatePrecision.YEAR_MONTH and not 1 <= self.month <= 12:
            raise MatcherError(f"month must be between 1 and 12, got {self.month}")
        if level >= DatePrecision.FULL and not 1 <= self.day <= 31:
            raise MatcherError(f"day must be between 1 and 31, got {self.day}")


def _digits(date: PartialDate, precision: DatePrecision) -> str:
    """The date written YYYYMMDD, YYYYMM or YYYY, for a precision at most its own."""
    text = f"{date.year:04d}{date.month:02d}{date.day:02d}"
    return text[: {DatePrecision.YEAR: 4, DatePrecision.YEAR_MONTH: 6, DatePrecision.FULL: 8}[precision]]


# How far apart, as YYYYMMDD, YYYYMM or YYYY integers, two dates a year apart are.
_ONE_YEAR = {DatePrecision.YEAR: 1, DatePrecision.YEAR_MONTH: 100, DatePrecision.FULL: 10_000}


def compare_dates(a: PartialDate, b: PartialDate) -> DateLevel:
    """The agreement level of two dates of birth (symmetric in a and b).

    >>> compare_dates(PartialDate(1987, 0, 0, "year"), PartialDate(1987, 3, 12, "full")).name
    'COMPATIBLE'
    """
    pa, pb = DatePrecision.parse(a.precision), DatePrecision.parse(b.precision)
    common = min(pa, pb)
    if common == DatePrecision.UNKNOWN:
        return DateLevel.MISSING
    da, db = _digits(a, common), _digits(b, common)
    if da == db:
        return DateLevel.EXACT if pa == pb else DateLevel.COMPATIBLE
    if common == DatePrecision.FULL and (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return DateLevel.DAY_MONTH_SWAPPED
    if sum(x != y for x, y in zip(da, db, strict=True)) == 1:
        return DateLevel.ONE_DIGIT_OFF
    # YYYYMMDD integers order like dates, and adding 10000 moves a date on by exactly a year.
    if abs(int(da) - int(db)) <= _ONE_YEAR[common]:
        return DateLevel.WITHIN_ONE_YEAR
    return DateLevel.DIFFERENT


def precision_codes(names: Sequence[str]) -> npt.NDArray[np.int8]:
    """`DatePrecision` codes of precision strings, for `compare_dates_arrays`."""
    values = np.asarray(names, dtype=str)
    unique, inverse = np.unique(values, return_inverse=True)
    codes = np.array([DatePrecision.parse(str(name)) for name in unique], dtype=np.int8)
    return codes[inverse.reshape(-1)]


def compare_dates_arrays(
    year_a: npt.ArrayLike,
    month_a: npt.ArrayLike,
    day_a: npt.ArrayLike,
    precision_a: npt.ArrayLike,
    year_b: npt.ArrayLike,
    month_b: npt.ArrayLike,
    day_b: npt.ArrayLike,
    precision_b: npt.ArrayLike,
) -> npt.NDArray[np.int8]:
    """`compare_dates` over arrays of pairs: `DateLevel` values as int8.

    Precisions are `DatePrecision` codes (see `precision_codes`); all arrays are one-dimensional
    and of one length.
    """
    ya, ma, da, pa = _checked_dates(year_a, month_a, day_a, precision_a, "a")
    yb, mb, db, pb = _checked_dates(year_b, month_b, day_b, precision_b, "b")
    if ya.shape != yb.shape:
        raise MatcherError(f"dates a and b must have the same length, got {ya.size} and {yb.size}")
    return _levels_elementwise(ya, ma, da, pa, yb, mb, db, pb)


def compare_date_pairs(
    year: npt.ArrayLike,
    month: npt.ArrayLike,
    day: npt.ArrayLike,
    precision: npt.ArrayLike,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> npt.NDArray[np.int8]:
    """`compare_dates_arrays` of records ``left[p]`` and ``right[p]`` of one set of dates, every
    p: one parallel pass, no per-pair arrays gathered first."""
    y, m, d, p = _checked_dates(year, month, day, precision, "")
    li = np.ascontiguousarray(left, dtype=np.int64)
    ri = np.ascontiguousarray(right, dtype=np.int64)
    if li.shape != ri.shape or li.ndim != 1:
        raise MatcherError(f"left and right must be one-dimensional and of one length, got {li.shape} and {ri.shape}")
    if li.size and (min(li.min(), ri.min()) < 0 or max(li.max(), ri.max()) >= y.size):
        raise MatcherError(f"left and right must index the {y.size} dates")
    return _levels_of_pairs(y, m, d, p, li, ri)


# The kernels below take checked arrays: integers in range, precision codes 0 to 3.
_ONE_YEAR_BY_CODE = np.array([0, *_ONE_YEAR.values()], dtype=np.int64)


@numba.njit(cache=True, nogil=True, inline="always")
def _key(year, month, day, precision):
    """The date as YYYYMMDD, YYYYMM or YYYY (0 when unknown)."""
    if precision == 3:
        return year * 10_000 + month * 100 + day
    if precision == 2:
        return year * 100 + month
    if precision == 1:
        return year
    return 0


@numba.njit(cache=True, nogil=True, inline="always")
def _level(ya, ma, da, pa, yb, mb, db, pb, one_year):
    """`compare_dates` on integers: the first level that holds, strongest first."""
    common = min(pa, pb)
    if common == 0:
        return -1  # MISSING
    ka = _key(ya, ma, da, common)
    kb = _key(yb, mb, db, common)
    if ka == kb:
        return 5 if pa == pb else 4  # EXACT, COMPATIBLE
    if common == 3 and ya == yb and ma == db and da == mb:
        return 3  # DAY_MONTH_SWAPPED
    differing = 0
    x, y = ka, kb
    for _ in range(8):
        if x % 10 != y % 10:
            differing += 1
        x //= 10
        y //= 10
    if differing == 1:
        return 2  # ONE_DIGIT_OFF
    if abs(ka - kb) <= one_year[common]:
        return 1  # WITHIN_ONE_YEAR
    return 0  # DIFFERENT


def _levels_elementwise(ya, ma, da, pa, yb, mb, db, pb):
    out = np.empty(ya.size, dtype=np.int8)
    run_chunked(_elementwise_range, _elementwise_parallel, ya.size, ya, ma, da, pa, yb, mb, db, pb, out)
    return out


@numba.njit(cache=True, nogil=True)
def _elementwise_range(ya, ma, da, pa, yb, mb, db, pb, out, start, stop):
    for i in range(start, stop):
        out[i] = _level(ya[i], ma[i], da[i], pa[i], yb[i], mb[i], db[i], pb[i], _ONE_YEAR_BY_CODE)


@numba.njit(cache=True, nogil=True, parallel=True)
def _elementwise_parallel(ya, ma, da, pa, yb, mb, db, pb, out, n_threads):
    n = ya.size
    chunks, size = chunking(n, n_threads)
    for c in numba.prange(chunks):
        _elementwise_range(ya, ma, da, pa, yb, mb, db, pb, out, c * size, min(n, (c + 1) * size))


def _levels_of_pairs(year, month, day, precision, left, right):
    out = np.empty(left.size, dtype=np.int8)
    run_chunked(_pairs_range, _pairs_parallel, left.size, year, month, day, precision, left, right, out)
    return out


@numba.njit(cache=True, nogil=True)
def _pairs_range(year, month, day, precision, left, right, out, start, stop):
    for k in range(start, stop):
        i = left[k]
        j = right[k]
        out[k] = _level(
            year[i], month[i], day[i], precision[i], year[j], month[j], day[j], precision[j], _ONE_YEAR_BY_CODE
        )


@numba.njit(cache=True, nogil=True, parallel=True)
def _pairs_parallel(year, month, day, precision, left, right, out, n_threads):
    n = left.size
    chunks, size = chunking(n, n_threads)
    for c in numba.prange(chunks):
        _pairs_range(year, month, day, precision, left, right, out, c * size, min(n, (c + 1) * size))


def _checked_dates(
    year: npt.ArrayLike, month: npt.ArrayLike, day: npt.ArrayLike, precision: npt.ArrayLike, side: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """The four arrays as int64 (precision int8), checked; errors name ``<field>_<side>`` (just
    the field when ``side`` is empty)."""

    def label(name: str) -> str:
        return f"{name}_{side}" if side else name

    fields = {}
    for name, values in (("year", year), ("month", month), ("day", day), ("precision", precision)):
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise MatcherError(f"{label(name)} must be one-dimensional, got shape {arr.shape}")
        if arr.size and arr.dtype.kind not in "iub":
            raise MatcherError(f"{label(name)} must hold integers, got {arr.dtype}")
        fields[name] = arr.astype(np.int64)
    y, m, d, p = fields["year"], fields["month"], fields["day"], fields["precision"]
    if not y.shape == m.shape == d.shape == p.shape:
        names = ", ".join(label(n) for n in ("year", "month", "day"))
        raise MatcherError(f"{names} and {label('precision')} must have one length")
    checks = (
        ("precision", (p < DatePrecision.UNKNOWN) | (p > DatePrecision.FULL), "a DatePrecision code (0 to 3)"),
        ("year", (p >= DatePrecision.YEAR) & ((y < 1) | (y > _MAX_YEAR)), f"between 1 and {_MAX_YEAR}"),
        ("month", (p >= DatePrecision.YEAR_MONTH) & ((m < 1) | (m > 12)), "between 1 and 12"),
        ("day", (p >= DatePrecision.FULL) & ((d < 1) | (d > 31)), "between 1 and 31"),
    )
    for name, bad, expected in checks:
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise MatcherError(f"{label(name)}[{index}] must be {expected}, got {fields[name][index]}")
    return y, m, d, p.astype(np.int8)
