"""The data-quality checks: a fixed vocabulary of named checks per field, and their vectorised kernels.

Every check is a row of `CHECKS` (field, check, category, the columns it needs, what it
counts); a kernel counts, over a prepared table (`columns.prepare`), how many rows (or
households) the check applies to and how many of those fail it. A check whose columns the table
does not have is not run. Field and check names are a closed vocabulary: they are the labels of
the server's ``hawiya_data_quality_ratio`` gauge, so nothing taken from the data ever becomes one.

Categories:

* **completeness** ``missing``: the field is empty (a date: no year, month or day, and an
  unknown precision). Counted over every row (``relation``: over the rows with a household).
* **validity**: the value is well formed: the IDCS's shape and Verhoeff check digit; sex and
  relation codes; date of birth a calendar date, consistent with its precision, not in the
  future, not before 1900; CIN (1-2 capital letters and 1-7 digits, as stored);
  phone (10 digits starting 05, 06 or 07, as stored); place codes (1-16 letters, digits, ``.``,
  ``_`` or ``-``, the register's format; the reference list is the authority's); names in the
  script of their column and made of letters (plus spaces, apostrophes, hyphens and dots).
  Counted over the rows where the field is filled.
* **consistency**: records that contradict themselves or their household: a CIN held by a
  person certainly under ``adult_age`` at ``as_of`` (even if born on the earliest day the
  recorded precision allows; counted over those persons); several heads,
  or none, in a household; a child or grandchild born before the head; a head's parent born
  after the head; a child born before one of the head's parents; a spouse more than
  ``spouse_age_gap_years`` from the head; an IDCS in several households; a member whose IDCS is
  not, or no longer, an active RNP person. Household ages use birth years, so a child born the
  same year as the head is not counted.

Sex against first name is not checked: the matcher keeps no sex of names, and the synthetic
name lists are not a source of truth.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedup.quality.columns import MEMBER_STATUSES, NAME_COLUMNS, RELATIONS, SEXES
from matcher.names import name_script

__all__ = [
    "CATEGORIES",
    "CHECKS",
    "CIN_FORMAT",
    "MIN_BIRTH_YEAR",
    "PHONE_FORMAT",
    "Category",
    "Check",
    "Counts",
    "QualitySettings",
    "check_names",
    "count",
    "matches",
    "valid_idcs",
]

Category = Literal["completeness", "validity", "consistency", "duplicates"]
CATEGORIES: tuple[Category, ...] = ("completeness", "validity", "consistency", "duplicates")

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """The limits the checks use; stored in every report so that its figures can be reproduced."""

    as_of: date  # "in the future" and "a minor" are judged at this day
    adult_age: int = 18
    spouse_age_gap_years: int = 30

    def to_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "adult_age": self.adult_age,
            "spouse_age_gap_years": self.spouse_age_gap_years,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> QualitySettings:
        return cls(
            as_of=date.fromisoformat(str(data["as_of"])),
            adult_age=int(str(data["adult_age"])),
            spouse_age_gap_years=int(str(data["spouse_age_gap_years"])),
        )


@dataclass(frozen=True, slots=True)
class Check:
    """One named check of one field."""

    field: str
    check: str
    category: Category
    needs: tuple[str, ...]  # columns the table must have for the check to run
    description: str

    @property
    def key(self) -> str:
        return f"{self.field}/{self.check}"


@dataclass(frozen=True, slots=True)
class Counts:
    """How many rows (or households) a check applied to, and how many of those failed it."""

    checked: int
    failed: int


# --- the vocabulary --------------------------------------------------------------------------

_BIRTH = ("birth_year",)
_MEMBERS = ("household_id", "relation")
_AGES = (*_MEMBERS, "birth_year")

_MISSING_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("idcs", ("idcs",)),
    *((c, (c,)) for c in NAME_COLUMNS),
    ("sex", ("sex",)),
    ("birth_date", _BIRTH),
    ("birth_place_code", ("birth_place_code",)),
    ("cin", ("cin",)),
    ("phone", ("phone",)),
    ("commune_code", ("commune_code",)),
    ("address", ("address",)),
    ("relation", ("household_id", "relation")),
)

CHECKS: tuple[Check, ...] = (
    *(Check(f, "missing", "completeness", needs, "the field is empty") for f, needs in _MISSING_FIELDS),
    Check("idcs", "format", "validity", ("idcs",), "not 10 digits starting 2-9"),
    Check("idcs", "check_digit", "validity", ("idcs",), "well-formed IDCS whose Verhoeff check digit is wrong"),
    *(
        Check(c, "script", "validity", (c,), f"not written in {'Latin' if c.endswith('_latin') else 'Arabic'} script")
        for c in NAME_COLUMNS
    ),
    *(Check(c, "characters", "validity", (c,), "digits, symbols or control characters") for c in NAME_COLUMNS),
    Check("sex", "code", "validity", ("sex",), "not M or F"),
    Check("birth_date", "calendar", "validity", _BIRTH, "the year, month and day given are not a calendar date"),
    Check(
        "birth_date",
        "precision",
        "validity",
        (*_BIRTH, "birth_precision"),
        "precision not full/year_month/year/unknown, or not matching the parts given",
    ),
    Check("birth_date", "future", "validity", _BIRTH, "after the as-of day"),
    Check("birth_date", "before_1900", "validity", _BIRTH, "a year before 1900"),
    Check("birth_date", "invalid", "validity", _BIRTH, "any of calendar, precision, future, before_1900"),
    Check("birth_place_code", "format", "validity", ("birth_place_code",), "not 1-16 letters, digits, '.', '_', '-'"),
    Check("commune_code", "format", "validity", ("commune_code",), "not 1-16 letters, digits, '.', '_', '-'"),
    Check("cin", "format", "validity", ("cin",), "not 1-2 capital letters followed by 1-7 digits"),
    Check("phone", "format", "validity", ("phone",), "not 10 digits starting 05, 06 or 07"),
    Check("relation", "code", "validity", _MEMBERS, "not a relation to the head of the RSU's list"),
    Check("cin", "minor_with_cin", "consistency", ("cin", *_BIRTH), "a person under the adult age with a CIN"),
    Check("household", "several_heads", "consistency", _MEMBERS, "households with more than one head"),
    Check("household", "no_head", "consistency", _MEMBERS, "households without a head"),
    Check("relation", "child_older_than_head", "consistency", _AGES, "a child born before the head"),
    Check("relation", "grandchild_older_than_head", "consistency", _AGES, "a grandchild born before the head"),
    Check("relation", "parent_younger_than_head", "consistency", _AGES, "a head's parent born after the head"),
    Check(
        "relation",
        "child_older_than_heads_parent",
        "consistency",
        _AGES,
        "a child born before one of the head's parents",
    ),
    Check(
        "relation", "spouse_age_gap", "consistency", _AGES, "a spouse further from the head than the set gap (30 years)"
    ),
    Check("idcs", "in_several_households", "consistency", ("idcs", "household_id"), "an IDCS in several households"),
    Check("idcs", "not_in_rnp", "consistency", ("idcs", "member_status"), "a member IDCS that is not in the RNP"),
    Check(
        "idcs",
        "not_active_in_rnp",
        "consistency",
        ("idcs", "member_status"),
        "a member who is deceased or merged in the RNP",
    ),
)


def check_names() -> frozenset[tuple[str, str]]:
    """Every (field, check) pair a report may hold, duplicates included: the gauges' label set."""
    return frozenset((c.field, c.check) for c in CHECKS) | {("record", "suspected_duplicate")}


# --- kernels ---------------------------------------------------------------------------------

# Older dates are accepted by the register (1850) but are nearly always a typing error.
MIN_BIRTH_YEAR = 1900

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}")
CIN_FORMAT = re.compile(r"[A-Z]{1,2}[0-9]{1,7}")
PHONE_FORMAT = re.compile(r"0[5-7][0-9]{8}")
_IDCS_SHAPE = re.compile(r"[2-9][0-9]{9}")
_NAME_PUNCTUATION = frozenset(" '’-.")

# Verhoeff's tables: multiplication in D5 and the position permutation. registry_store.idcs
# holds the reference implementation (one IDCS at a time); a test compares the two.
_D = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int8,
)
_P = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ],
    dtype=np.int8,
)


def valid_idcs(values: npt.NDArray[np.object_]) -> tuple[BoolArray, BoolArray]:
    """(well formed, well formed with a right check digit) for each IDCS string, vectorised."""
    shaped = matches(values, _IDCS_SHAPE)
    digits = np.frombuffer("".join(values[shaped]).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
    c = np.zeros(len(digits), dtype=np.int8)
    for i in range(10):
        c = _D[c, _P[i % 8, digits[:, 9 - i]]]
    valid = np.zeros(len(values), dtype=bool)
    valid[shaped] = c == 0
    return shaped, valid


def matches(values: npt.NDArray[np.object_], pattern: re.Pattern[str]) -> BoolArray:
    return np.fromiter((pattern.fullmatch(v) is not None for v in values), dtype=bool, count=len(values))


def _per_unique(values: npt.NDArray[np.object_], function: Callable[[str], object]) -> npt.NDArray[np.object_]:
    """``function`` of each value, computed once per distinct value (names repeat a lot)."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return np.empty(0, dtype=object)
    results = np.array([function(u) for u in uniques], dtype=object)
    return results[codes]


def _bad_name_characters(name: str) -> bool:
    return any(not (unicodedata.category(ch)[0] in "LM" or ch in _NAME_PUNCTUATION) for ch in name)


def _days_in_month(year: IntArray, month: IntArray) -> IntArray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)[np.clip(month, 0, 12)]
    return np.where(leap & (month == 2), 29, days)


class _Table:
    """A prepared table and the per-row facts several checks share, each computed once."""

    def __init__(self, frame: pd.DataFrame, settings: QualitySettings) -> None:
        self.frame = frame
        self.settings = settings
        self.n = len(frame)
        self._filled: dict[str, BoolArray] = {}

    def text(self, column: str) -> npt.NDArray[np.object_]:
        return self.frame[column].to_numpy(dtype=object)

    def ints(self, column: str) -> IntArray:
        if column not in self.frame.columns:
            return np.zeros(self.n, dtype=np.int64)
        return self.frame[column].to_numpy(dtype=np.int64)

    def filled(self, column: str) -> BoolArray:
        if column not in self._filled:
            self._filled[column] = self.text(column) != ""
        return self._filled[column]

    # dates

    @functools.cached_property
    def year(self) -> IntArray:
        return self.ints("birth_year")

    @functools.cached_property
    def month(self) -> IntArray:
        return self.ints("birth_month")

    @functools.cached_property
    def day(self) -> IntArray:
        return self.ints("birth_day")

    @functools.cached_property
    def precision(self) -> npt.NDArray[np.object_] | None:
        return self.text("birth_precision") if "birth_precision" in self.frame.columns else None

    @functools.cached_property
    def dated(self) -> BoolArray:
        blank = (self.year == 0) & (self.month == 0) & (self.day == 0)
        if self.precision is not None:
            blank &= np.isin(self.precision, ["", "unknown"])
        return ~blank

    @functools.cached_property
    def calendar_bad(self) -> BoolArray:
        y, m, d = self.year, self.month, self.day
        bad = (y < 0) | (m < 0) | (m > 12) | (d < 0) | (d > 31)
        bad |= (m == 0) & (d > 0)
        bad |= (y == 0) & ((m > 0) | (d > 0))
        bad |= (m >= 1) & (d >= 1) & (d > _days_in_month(y, m))
        return bad & self.dated

    @functools.cached_property
    def precision_bad(self) -> BoolArray:
        if self.precision is None:
            return np.zeros(self.n, dtype=bool)
        y, m, d, p = self.year > 0, self.month > 0, self.day > 0, self.precision
        fits = (
            ((p == "full") & y & m & d)
            | ((p == "year_month") & y & m & ~d)
            | ((p == "year") & y & ~m & ~d)
            | ((p == "unknown") & ~y & ~m & ~d)
        )
        return ~fits & self.dated

    @functools.cached_property
    def earliest(self) -> IntArray:
        """The earliest day the recorded date allows, as YYYYMMDD."""
        return self.year * 10000 + np.clip(self.month, 1, 12) * 100 + np.clip(self.day, 1, 31)

    @functools.cached_property
    def future(self) -> BoolArray:
        today = self.settings.as_of
        return self.dated & (self.year > 0) & (self.earliest > today.year * 10000 + today.month * 100 + today.day)

    @functools.cached_property
    def too_old(self) -> BoolArray:
        return self.dated & (self.year > 0) & (self.year < MIN_BIRTH_YEAR)

    @functools.cached_property
    def date_bad(self) -> BoolArray:
        return self.calendar_bad | self.precision_bad | self.future | self.too_old

    # households

    @functools.cached_property
    def household(self) -> npt.NDArray[np.object_]:
        return self.text("household_id")

    @functools.cached_property
    def heads_per_row(self) -> IntArray:
        """How many heads each row's household has (0 for rows without a household id)."""
        head = (self.text("relation") == "head").astype(np.int64)
        counts = pd.Series(head).groupby(self.household).transform("sum").to_numpy(dtype=np.int64)
        return np.where(self.household != "", counts, 0)

    @functools.cached_property
    def head_year(self) -> IntArray:
        """The birth year of the row's household head (0 when unknown or not one head)."""
        relation = self.text("relation")
        heads = (relation == "head") & (self.heads_per_row == 1) & (self.year > 0) & ~self.date_bad
        by_household = pd.Series(self.year[heads], index=self.household[heads])
        return pd.Series(self.household).map(by_household).fillna(0).to_numpy(dtype=np.int64)

    def relation_ages(self, relation: str) -> tuple[BoolArray, IntArray]:
        """Rows of ``relation`` whose own and head's birth years are known, and the head's year."""
        usable = (self.text("relation") == relation) & (self.year > 0) & ~self.date_bad & (self.head_year > 0)
        return usable, self.head_year


def _rows(applies: BoolArray, fails: BoolArray) -> Counts:
    return Counts(int(applies.sum()), int((applies & fails).sum()))


def _missing(column: str) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        if column == "birth_date":
            return Counts(t.n, int((~t.dated).sum()))
        if column == "relation":
            members = t.filled("household_id")
            return _rows(members, ~t.filled("relation"))
        return Counts(t.n, int((~t.filled(column)).sum()))

    return kernel


def _pattern(column: str, pattern: re.Pattern[str]) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        filled = t.filled(column)
        return _rows(filled, ~matches(t.text(column), pattern))

    return kernel


def _script(column: str) -> Callable[[_Table], Counts]:
    expected = "latin" if column.endswith("_latin") else "arabic"

    def kernel(t: _Table) -> Counts:
        return _rows(t.filled(column), _per_unique(t.text(column), name_script) != expected)

    return kernel


def _characters(column: str) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        return _rows(t.filled(column), _per_unique(t.text(column), _bad_name_characters).astype(bool))

    return kernel


def _idcs_format(t: _Table) -> Counts:
    shaped, _ = valid_idcs(t.text("idcs"))
    return _rows(t.filled("idcs"), ~shaped)


def _idcs_check_digit(t: _Table) -> Counts:
    shaped, valid = valid_idcs(t.text("idcs"))
    return _rows(shaped, ~valid)


def _code(column: str, codes: tuple[str, ...]) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        return _rows(t.filled(column), ~np.isin(t.text(column), list(codes)))

    return kernel


def _relation_code(t: _Table) -> Counts:
    members = t.filled("household_id") & t.filled("relation")
    return _rows(members, ~np.isin(t.text("relation"), list(RELATIONS)))


def _date(flag: str) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        return _rows(t.dated, getattr(t, flag))

    return kernel


def _minor_with_cin(t: _Table) -> Counts:
    s = t.settings.as_of
    cutoff = (s.year - t.settings.adult_age) * 10000 + s.month * 100 + s.day
    minor = t.dated & (t.year > 0) & ~t.date_bad & (t.earliest > cutoff)
    return _rows(minor, t.filled("cin"))


def _heads(t: _Table, *, several: bool) -> Counts:
    members = t.household != ""
    per_household = pd.Series(t.heads_per_row[members]).groupby(t.household[members]).first()
    heads = per_household.to_numpy(dtype=np.int64)
    return Counts(len(heads), int((heads > 1).sum() if several else (heads == 0).sum()))


def _born_before_head(relation: str) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        usable, head_year = t.relation_ages(relation)
        return _rows(usable, t.year < head_year)

    return kernel


def _parent_younger_than_head(t: _Table) -> Counts:
    usable, head_year = t.relation_ages("parent")
    return _rows(usable, t.year > head_year)


def _child_older_than_heads_parent(t: _Table) -> Counts:
    relation = t.text("relation")
    parents = (relation == "parent") & (t.household != "") & (t.year > 0) & ~t.date_bad
    youngest_parent = pd.Series(t.year[parents]).groupby(t.household[parents]).max()
    parent_year = pd.Series(t.household).map(youngest_parent).fillna(0).to_numpy(dtype=np.int64)
    usable = (relation == "child") & (t.household != "") & (t.year > 0) & ~t.date_bad & (parent_year > 0)
    return _rows(usable, t.year < parent_year)


def _spouse_age_gap(t: _Table) -> Counts:
    usable, head_year = t.relation_ages("spouse")
    return _rows(usable, np.abs(t.year - head_year) > t.settings.spouse_age_gap_years)


def _in_several_households(t: _Table) -> Counts:
    rows = t.filled("idcs") & (t.household != "")
    idcs = t.text("idcs")[rows]
    spread = pd.Series(t.household[rows]).groupby(idcs).transform("nunique").to_numpy(dtype=np.int64)
    fails = np.zeros(t.n, dtype=bool)
    fails[rows] = spread > 1
    return _rows(rows, fails)


def _member_status(*, known: bool) -> Callable[[_Table], Counts]:
    def kernel(t: _Table) -> Counts:
        status = t.text("member_status")
        listed = t.filled("idcs") & np.isin(status, list(MEMBER_STATUSES))
        if not known:
            return _rows(listed, status == "missing")
        return _rows(listed & (status != "missing"), status != "active")

    return kernel


_KERNELS: dict[tuple[str, str], Callable[[_Table], Counts]] = {
    **{(f, "missing"): _missing(f) for f, _ in _MISSING_FIELDS},
    ("idcs", "format"): _idcs_format,
    ("idcs", "check_digit"): _idcs_check_digit,
    **{(c, "script"): _script(c) for c in NAME_COLUMNS},
    **{(c, "characters"): _characters(c) for c in NAME_COLUMNS},
    ("sex", "code"): _code("sex", SEXES),
    ("birth_date", "calendar"): _date("calendar_bad"),
    ("birth_date", "precision"): _date("precision_bad"),
    ("birth_date", "future"): _date("future"),
    ("birth_date", "before_1900"): _date("too_old"),
    ("birth_date", "invalid"): _date("date_bad"),
    ("birth_place_code", "format"): _pattern("birth_place_code", _CODE),
    ("commune_code", "format"): _pattern("commune_code", _CODE),
    ("cin", "format"): _pattern("cin", CIN_FORMAT),
    ("phone", "format"): _pattern("phone", PHONE_FORMAT),
    ("relation", "code"): _relation_code,
    ("cin", "minor_with_cin"): _minor_with_cin,
    ("household", "several_heads"): functools.partial(_heads, several=True),
    ("household", "no_head"): functools.partial(_heads, several=False),
    ("relation", "child_older_than_head"): _born_before_head("child"),
    ("relation", "grandchild_older_than_head"): _born_before_head("grandchild"),
    ("relation", "parent_younger_than_head"): _parent_younger_than_head,
    ("relation", "child_older_than_heads_parent"): _child_older_than_heads_parent,
    ("relation", "spouse_age_gap"): _spouse_age_gap,
    ("idcs", "in_several_households"): _in_several_households,
    ("idcs", "not_in_rnp"): _member_status(known=False),
    ("idcs", "not_active_in_rnp"): _member_status(known=True),
}


def count(frame: pd.DataFrame, settings: QualitySettings) -> tuple[list[tuple[Check, Counts]], list[Check]]:
    """Run every check whose columns ``frame`` (prepared) has: (check, counts) pairs, and the checks not run."""
    table = _Table(frame, settings)
    done: list[tuple[Check, Counts]] = []
    not_run: list[Check] = []
    for check in CHECKS:
        if all(c in frame.columns for c in check.needs):
            done.append((check, _KERNELS[(check.field, check.check)](table)))
        else:
            not_run.append(check)
    return done, not_run
