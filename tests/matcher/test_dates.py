"""Dates of birth: each level on known pairs, the array version against the scalar one, bad input."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from matcher.dates import (
    DateLevel,
    DatePrecision,
    PartialDate,
    compare_date_pairs,
    compare_dates,
    compare_dates_arrays,
    precision_codes,
)
from matcher.errors import MatcherError

SEED = 20_240_612


def full(year: int, month: int, day: int) -> PartialDate:
    return PartialDate(year, month, day, "full")


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (full(1987, 3, 12), full(1987, 3, 12), DateLevel.EXACT),
        (PartialDate(1987, 3, 0, "year_month"), PartialDate(1987, 3, 0, "year_month"), DateLevel.EXACT),
        (PartialDate(1987, 0, 0, "year"), PartialDate(1987, 5, 9, "year"), DateLevel.EXACT),
        (PartialDate(1987, 0, 0, "year"), full(1987, 3, 12), DateLevel.COMPATIBLE),
        (PartialDate(1987, 3, 0, "year_month"), full(1987, 3, 12), DateLevel.COMPATIBLE),
        (PartialDate(1987, 3, 0, "year_month"), PartialDate(1987, 0, 0, "year"), DateLevel.COMPATIBLE),
        (full(1987, 3, 12), full(1987, 12, 3), DateLevel.DAY_MONTH_SWAPPED),
        (full(1987, 1, 10), full(1987, 10, 1), DateLevel.DAY_MONTH_SWAPPED),
        (full(1987, 11, 12), full(1987, 12, 11), DateLevel.DAY_MONTH_SWAPPED),
        (full(1987, 3, 12), full(1987, 3, 13), DateLevel.ONE_DIGIT_OFF),
        (full(1987, 3, 12), full(1997, 3, 12), DateLevel.ONE_DIGIT_OFF),
        (full(1987, 3, 12), full(1987, 8, 12), DateLevel.ONE_DIGIT_OFF),
        (PartialDate(1987, 0, 0, "year"), PartialDate(1989, 0, 0, "year"), DateLevel.ONE_DIGIT_OFF),
        (PartialDate(1987, 0, 0, "year"), full(1988, 7, 1), DateLevel.ONE_DIGIT_OFF),
        (PartialDate(1987, 4, 0, "year_month"), full(1987, 5, 30), DateLevel.ONE_DIGIT_OFF),
        (full(1987, 12, 30), full(1988, 11, 2), DateLevel.WITHIN_ONE_YEAR),
        (full(1987, 3, 12), full(1988, 3, 12), DateLevel.ONE_DIGIT_OFF),
        (full(1989, 3, 12), full(1990, 3, 12), DateLevel.WITHIN_ONE_YEAR),
        (full(1989, 3, 12), full(1990, 3, 13), DateLevel.DIFFERENT),
        (PartialDate(1989, 12, 0, "year_month"), PartialDate(1990, 12, 0, "year_month"), DateLevel.WITHIN_ONE_YEAR),
        (PartialDate(1989, 0, 0, "year"), PartialDate(1990, 0, 0, "year"), DateLevel.WITHIN_ONE_YEAR),
        (full(1987, 3, 12), full(1990, 6, 25), DateLevel.DIFFERENT),
        (full(1987, 3, 25), full(1987, 6, 14), DateLevel.WITHIN_ONE_YEAR),
        (PartialDate(0, 0, 0, "unknown"), full(1987, 3, 12), DateLevel.MISSING),
        (PartialDate(0, 0, 0, "unknown"), PartialDate(0, 0, 0, "unknown"), DateLevel.MISSING),
    ],
)
def test_levels(a: PartialDate, b: PartialDate, level: DateLevel) -> None:
    assert compare_dates(a, b) is level
    assert compare_dates(b, a) is level
    arrays = compare_dates_arrays(*_columns([a]), *_columns([b]))
    assert arrays.tolist() == [int(level)]


def _columns(dates: list[PartialDate]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([d.year for d in dates], dtype=np.int64),
        np.array([d.month for d in dates], dtype=np.int64),
        np.array([d.day for d in dates], dtype=np.int64),
        precision_codes([d.precision for d in dates]),
    )


def _random_date(rng: random.Random) -> PartialDate:
    precision = rng.choice(["full", "full", "full", "year_month", "year", "unknown"])
    return PartialDate(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 31), precision)


def _near(rng: random.Random, date: PartialDate) -> PartialDate:
    """A date close to ``date``: copied, swapped, one digit changed, a year on, or a precision lost."""
    year, month, day = date.year, date.month, date.day
    roll = rng.randrange(6)
    if roll == 1 and day <= 12:
        month, day = day, month
    elif roll == 2:
        digits = list(f"{year:04d}{month:02d}{day:02d}")
        pos = rng.randrange(8)
        digits[pos] = str(rng.randrange(10))
        text = "".join(digits)
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
        if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1):
            year, month, day = date.year, date.month, date.day
    elif roll == 3:
        year += rng.choice((-1, 1))
        day = max(1, day - rng.randrange(3))
    precision = date.precision if roll != 4 else rng.choice(["full", "year_month", "year", "unknown"])
    return PartialDate(year, month, day, precision)


def test_arrays_match_scalar_on_random_pairs() -> None:
    rng = random.Random(SEED)
    left = [_random_date(rng) for _ in range(5_000)]
    right = [_near(rng, d) if rng.random() < 0.8 else _random_date(rng) for d in left]
    levels = compare_dates_arrays(*_columns(left), *_columns(right))
    assert levels.dtype == np.int8
    expected = [int(compare_dates(a, b)) for a, b in zip(left, right, strict=True)]
    assert levels.tolist() == expected
    # The sample reaches every level.
    assert set(expected) == {int(level) for level in DateLevel}


def test_pairs_of_one_set_match_scalar() -> None:
    rng = random.Random(SEED + 1)
    first = [_random_date(rng) for _ in range(3_000)]
    dates = first + [_near(rng, d) if rng.random() < 0.8 else _random_date(rng) for d in first]
    left = np.array([rng.randrange(len(dates)) for _ in range(2_000)] + list(range(3_000)))
    right = np.array([rng.randrange(len(dates)) for _ in range(2_000)] + list(range(3_000, 6_000)))
    levels = compare_date_pairs(*_columns(dates), left, right)
    expected = [int(compare_dates(dates[i], dates[j])) for i, j in zip(left, right, strict=True)]
    assert levels.tolist() == expected
    assert set(expected) == {int(level) for level in DateLevel}
    with pytest.raises(MatcherError, match="index the 6000 dates"):
        compare_date_pairs(*_columns(dates), [0], [6_000])
    with pytest.raises(MatcherError, match=r"^month\[1\] must be between 1 and 12"):
        compare_date_pairs([1987, 1987], [1, 13], [1, 1], [3, 3], [0], [1])


def test_fields_beyond_the_precision_are_ignored() -> None:
    assert compare_dates(PartialDate(1987, 99, -4, "year"), PartialDate(1987, 0, 0, "year")) is DateLevel.EXACT
    assert compare_dates(PartialDate(0, 0, 0, "unknown"), PartialDate(-5, 0, 0, "unknown")) is DateLevel.MISSING
    levels = compare_dates_arrays([1987], [99], [-4], [DatePrecision.YEAR], [1987], [0], [0], [DatePrecision.YEAR])
    assert levels.tolist() == [DateLevel.EXACT]


def test_no_pairs() -> None:
    empty = np.array([], dtype=np.int64)
    levels = compare_dates_arrays(empty, empty, empty, empty, empty, empty, empty, empty)
    assert levels.shape == (0,)
    assert levels.dtype == np.int8


def test_precision_names() -> None:
    assert precision_codes(["full", "year", "unknown", "year_month", "full"]).tolist() == [3, 1, 0, 2, 3]
    assert precision_codes([]).shape == (0,)
    assert [p.label for p in DatePrecision] == ["unknown", "year", "year_month", "full"]
    assert DatePrecision.parse("year_month") is DatePrecision.YEAR_MONTH


@pytest.mark.parametrize("name", ["FULL", "day", "", "year-month"])
def test_unknown_precision_names_are_rejected(name: str) -> None:
    with pytest.raises(MatcherError, match="date precision must be one of"):
        DatePrecision.parse(name)
    with pytest.raises(MatcherError, match="date precision"):
        precision_codes(["full", name])


@pytest.mark.parametrize(
    ("year", "month", "day", "precision", "field"),
    [
        (0, 1, 1, "year", "year"),
        (10_000, 1, 1, "full", "year"),
        (1987, 0, 1, "year_month", "month"),
        (1987, 13, 1, "full", "month"),
        (1987, 2, 0, "full", "day"),
        (1987, 2, 32, "full", "day"),
    ],
)
def test_out_of_range_fields_are_rejected(year: int, month: int, day: int, precision: str, field: str) -> None:
    with pytest.raises(MatcherError, match=f"^{field} must be"):
        PartialDate(year, month, day, precision)
    code = int(DatePrecision.parse(precision))
    with pytest.raises(MatcherError, match=rf"^{field}_b\[1\] must be"):
        compare_dates_arrays([1987, 1987], [1, 1], [1, 1], [3, 3], [1987, year], [1, month], [1, day], [3, code])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"precision_a": [7]}, r"precision_a\[0\] must be a DatePrecision code"),
        ({"year_a": [1987.5]}, "year_a must hold integers"),
        ({"day_b": [[1]]}, "day_b must be one-dimensional"),
        ({"month_a": [1, 2]}, "must have one length"),
        ({"year_b": [1987, 1988], "month_b": [1, 1], "day_b": [1, 1], "precision_b": [3, 3]}, "same length"),
    ],
)
def test_bad_arrays_are_rejected(arguments: dict[str, Any], message: str) -> None:
    columns: dict[str, Any] = {
        "year_a": [1987],
        "month_a": [1],
        "day_a": [1],
        "precision_a": [3],
        "year_b": [1987],
        "month_b": [1],
        "day_b": [1],
        "precision_b": [3],
    }
    columns.update(arguments)
    with pytest.raises(MatcherError, match=message):
        compare_dates_arrays(**columns)
