"""Synthetic population of the Moroccan register: families of people and one record each."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from synthetic._args import check_count, check_seed
from synthetic.errors import InvalidArgumentError
from synthetic.names import NameTable, cohort_of, female_table, male_table, surname_table
from synthetic.places import draw, places, sample_homes
from synthetic.schema import REFERENCE_DATE, empty_population, frame

__all__ = ["Families", "generate_families", "generate_population"]

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Mixed into the seed so that population and noise draws with the same seed are independent.
_SALT = 0x504F50

# Age pyramid in 5-year bands (relative weights) for the family's middle child, tuned so that
# the generated people match RGPH 2024: under 15 = 26.5 %, 15-59 = 59.7 %, 60 and over = 13.8 %
# (spreading siblings around that age moves some children up).
_AGE_BANDS: tuple[tuple[int, float], ...] = (
    (0, 9.2),
    (5, 9.4),
    (10, 9.3),
    (15, 8.3),
    (20, 7.7),
    (25, 7.4),
    (30, 7.3),
    (35, 7.0),
    (40, 6.5),
    (45, 5.7),
    (50, 5.1),
    (55, 4.7),
    (60, 4.0),
    (65, 3.2),
    (70, 2.3),
    (75, 1.6),
    (80, 1.0),
    (85, 0.55),
    (90, 0.2),
    (95, 0.05),
)
# Sibling groups present in the register: probability of 1..5 children per family. About
# 37 % of people have at least one sibling in the data set: the matcher's hard negatives.
_FAMILY_SIZE_P = (0.82, 0.10, 0.05, 0.02, 0.01)
_TWIN_SHARE = 0.04  # of families with 2+ children, the two eldest are twins
_SIBLING_GAP_YEARS = (1.2, 4.0)
_MALE_SHARE = 0.497
# Siblings' surnames are copied from the family, but some were transcribed again.
_SIBLING_OWN_SPELLING = 0.10
# Amazigh and Hassani given names are rarer than surnames of that origin in the same province.
_FIRST_NAME_ORIGIN_FACTOR = 0.5
_FATHER_AGE_GAP = (24.0, 40.0)
_MOTHER_AGE_GAP = (18.0, 32.0)
_FATHER_UNKNOWN = 0.015
_MOTHER_UNKNOWN = 0.01
_PARENTS_LATIN_MISSING = 0.08  # parents' names only in Arabic, as on the birth act
_BIRTH_PLACE_MISSING = 0.005
# Homes: the family home is in the birth province this often; adults of 25 and over have
# usually left it, for a home in their birth province or (by migration weight) elsewhere.
_HOME_IN_BIRTH_PROVINCE = 0.65
_LEAVES_HOME_AGE = 25
_STAYS_HOME = 0.35
_OWN_HOME_IN_BIRTH_PROVINCE = 0.45
_PHONE_ADULT = 0.88
_PHONE_TEEN = 0.35  # aged 15 to 17
_MOBILE_07_SHARE = 0.35  # 07 numbers, the rest 06
_CIN_ADULT_AGE = 18
_CIN_FIVE_DIGITS = 0.15  # older cards with a 5-digit number
# Dates of birth: civil registration was generalised only from 1976, so older people often
# have a year only (RNP shows 00/00/YYYY), and some systems stored 01/01/YYYY instead.
_YEAR_ONLY_BEFORE_1960 = 0.80
_YEAR_ONLY_1960, _YEAR_ONLY_1975 = 0.55, 0.08  # linear in between
_YEAR_ONLY_1976_1989 = 0.01
_YEAR_ONLY_LATER = 0.002
_UNKNOWN_BEFORE_1950 = 0.03  # of year-only dates: not even the year is known
_YEAR_MONTH = (0.03, 0.003)  # born before 1976, later
_JAN1_DEFAULT = (0.10, 0.005)  # born before 1976, later
# Redraw rounds for unique CIN and phone numbers; each round removes nearly all collisions.
_UNIQUE_ROUNDS = 200
_PRECISIONS = np.array(["full", "year_month", "year", "unknown"], dtype=object)


@dataclass(frozen=True)
class Families:
    """A generated population and the family of each record (siblings share a number)."""

    records: pd.DataFrame
    family: npt.NDArray[np.int64]


def generate_population(n: int, seed: int) -> pd.DataFrame:
    """Generate ``n`` people, one record each, deterministically for ``seed``.

    Columns are ``schema.COLUMNS``; ``record_id`` is ``r0000001``... and ``entity_id`` is
    ``e0000001``... in the same order. Missing strings are "" and missing integers 0.
    About a third of the people have siblings in the data (same surname, parents and birth
    place; a few twins share the date of birth too): ``generate_families`` says who.
    """
    return generate_families(n, seed).records


def generate_families(n: int, seed: int) -> Families:
    """``generate_population(n, seed)`` together with each record's family number."""
    n = check_count("n", n)
    seed = check_seed("seed", seed)
    if n == 0:
        return Families(empty_population(), np.zeros(0, dtype=np.int64))
    rng = np.random.default_rng([seed, _SALT])
    pl = places()
    male_t, female_t, surname_t = male_table(), female_table(), surname_table()

    # Families: contiguous runs of siblings.
    sizes = _family_sizes(rng, n)
    n_fam = len(sizes)
    fam = np.repeat(np.arange(n_fam), sizes)
    fam_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    pos = np.arange(n) - fam_start[fam]
    size = sizes[fam]
    birth_prov = draw(rng, pl.birth_p, n_fam)

    # Ages: siblings spread around a family age drawn from the pyramid.
    gap = rng.uniform(*_SIBLING_GAP_YEARS, n_fam)
    half_span = (sizes - 1) / 2 * gap
    center = np.clip(_sample_ages(rng, n_fam), half_span, 100.0 - half_span)
    age = center[fam] + (pos - (size - 1) / 2) * gap[fam]
    twin_fams = np.flatnonzero((sizes >= 2) & (rng.random(n_fam) < _TWIN_SHARE))
    twins, twin_src = fam_start[twin_fams] + 1, fam_start[twin_fams]
    age[twins] = age[twin_src]

    ref = np.datetime64(REFERENCE_DATE, "D")
    birth = ref - np.floor(age * 365.2425).astype(np.int64).astype("timedelta64[D]")
    true_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    true_month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    true_day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    adult = birth <= np.datetime64(_years_before(REFERENCE_DATE, _CIN_ADULT_AGE), "D")
    teen = ~adult & (birth <= np.datetime64(_years_before(REFERENCE_DATE, 15), "D"))
    year, month, day, precision = _recorded_dates(rng, true_year, true_month, true_day, twins, twin_src)

    # Names.
    male = rng.random(n) < _MALE_SHARE
    cohort = cohort_of(true_year)
    first_origin = _origin(rng, birth_prov[fam], _FIRST_NAME_ORIGIN_FACTOR)
    first_idx = _first_names(rng, male, cohort, first_origin, fam, size, male_t, female_t)
    first_latin = np.empty(n, dtype=object)
    first_arabic = np.empty(n, dtype=object)
    for table, mask in ((male_t, male), (female_t, ~male)):
        idx = np.flatnonzero(mask)
        first_latin[idx] = table.spell(rng, first_idx[idx])
        first_arabic[idx] = table.arabic[first_idx[idx]]

    surname_idx = surname_t.draw(rng, np.zeros(n_fam, np.int64), _origin(rng, birth_prov, 1.0))
    last_latin = surname_t.spell(rng, surname_idx)[fam]
    own = np.flatnonzero((size > 1) & (rng.random(n) < _SIBLING_OWN_SPELLING))
    last_latin[own] = surname_t.spell(rng, surname_idx[fam[own]])
    last_arabic = surname_t.arabic[surname_idx][fam]

    family_year = REFERENCE_DATE.year - np.round(center).astype(np.int64)
    parent_origin = _origin(rng, birth_prov, _FIRST_NAME_ORIGIN_FACTOR)
    latin_missing = rng.random(n_fam) < _PARENTS_LATIN_MISSING
    father_latin, father_arabic = _parent_names(
        rng, male_t, family_year, _FATHER_AGE_GAP, parent_origin, _FATHER_UNKNOWN, latin_missing
    )
    mother_latin, mother_arabic = _parent_names(
        rng, female_t, family_year, _MOTHER_AGE_GAP, parent_origin, _MOTHER_UNKNOWN, latin_missing
    )

    # Homes: the family's, or the adult's own.
    home_prov = np.where(rng.random(n_fam) < _HOME_IN_BIRTH_PROVINCE, birth_prov, draw(rng, pl.migration_p, n_fam))
    own_home = np.flatnonzero((age >= _LEAVES_HOME_AGE) & (rng.random(n) >= _STAYS_HOME))
    own_prov = np.where(
        rng.random(len(own_home)) < _OWN_HOME_IN_BIRTH_PROVINCE,
        birth_prov[fam[own_home]],
        draw(rng, pl.migration_p, len(own_home)),
    )
    communes, addresses = sample_homes(rng, np.concatenate([home_prov, own_prov]))
    home = fam.copy()
    home[own_home] = n_fam + np.arange(len(own_home))
    residence = np.concatenate([home_prov, own_prov])[home]

    birth_place = pl.codes[birth_prov].copy()
    birth_place[rng.random(n_fam) < _BIRTH_PLACE_MISSING] = ""

    ids = np.arange(1, n + 1, dtype=np.int64)
    width = max(7, len(str(n)))
    # Families were built as runs of consecutive rows; shuffle them so that siblings do not get
    # neighbouring record ids.
    order = rng.permutation(n)
    columns = {
        "first_name_latin": first_latin,
        "first_name_arabic": first_arabic,
        "last_name_latin": last_latin,
        "last_name_arabic": last_arabic,
        "father_first_name_latin": father_latin[fam],
        "father_first_name_arabic": father_arabic[fam],
        "mother_first_name_latin": mother_latin[fam],
        "mother_first_name_arabic": mother_arabic[fam],
        "sex": np.where(male, "M", "F").astype(object),
        "birth_year": year,
        "birth_month": month,
        "birth_day": day,
        "birth_precision": _PRECISIONS[precision],
        "birth_place_code": birth_place[fam],
        "cin": _cins(rng, adult, residence),
        "phone": _phones(rng, adult, teen),
        "commune_code": communes[home],
        "address": addresses[home],
    }
    records = frame(
        {
            "record_id": "r" + digits(ids, width),
            "entity_id": "e" + digits(ids, width),
            **{name: values[order] for name, values in columns.items()},
        }
    )
    return Families(records, fam[order])


def digits(values: IntArray, width: int) -> ObjArray:
    """Zero-padded decimal strings of non-negative integers, without a Python loop."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    codes = ((values[:, None] // powers) % 10 + 48).astype(np.uint8)
    return codes.view(f"S{width}").ravel().astype(f"U{width}").astype(object)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _family_sizes(rng: np.random.Generator, n: int) -> IntArray:
    mean = float(np.dot(np.arange(1, len(_FAMILY_SIZE_P) + 1), _FAMILY_SIZE_P))
    sizes = draw(rng, np.array(_FAMILY_SIZE_P), int(n / mean * 1.1) + 10) + 1
    total = np.cumsum(sizes)
    n_fam = int(np.searchsorted(total, n)) + 1
    while n_fam > len(sizes):  # extremely unlikely: not enough families drawn
        sizes = np.concatenate([sizes, draw(rng, np.array(_FAMILY_SIZE_P), n) + 1])
        total = np.cumsum(sizes)
        n_fam = int(np.searchsorted(total, n)) + 1
    sizes = sizes[:n_fam].copy()
    sizes[-1] -= int(total[n_fam - 1]) - n
    return sizes.astype(np.int64)


def _sample_ages(rng: np.random.Generator, size: int) -> FloatArray:
    starts = np.array([b[0] for b in _AGE_BANDS], dtype=np.float64)
    band = draw(rng, np.array([b[1] for b in _AGE_BANDS]), size)
    return starts[band] + 5.0 * rng.random(size)


def _recorded_dates(
    rng: np.random.Generator,
    year: IntArray,
    month: IntArray,
    day: IntArray,
    twins: IntArray,
    twin_src: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """How each true date of birth is written in the register (twins alike)."""
    u = rng.random((4, len(year)))
    u[:, twins] = u[:, twin_src]
    ramp = _YEAR_ONLY_1960 + (year - 1960) * (_YEAR_ONLY_1975 - _YEAR_ONLY_1960) / 15
    p_year = np.select(
        [year < 1960, year < 1976, year < 1990],
        [np.full(len(year), _YEAR_ONLY_BEFORE_1960), ramp, np.full(len(year), _YEAR_ONLY_1976_1989)],
        _YEAR_ONLY_LATER,
    )
    old = year < 1976
    year_only = u[0] < p_year
    unknown = year_only & (year < 1950) & (u[1] < _UNKNOWN_BEFORE_1950)
    year_only &= ~unknown
    year_month = ~year_only & ~unknown & (u[2] < np.where(old, *_YEAR_MONTH))
    jan1 = ~year_only & ~unknown & ~year_month & (u[3] < np.where(old, *_JAN1_DEFAULT))
    precision = np.select([year_month, year_only, unknown], [1, 2, 3], 0).astype(np.int64)
    out_year = np.where(unknown, 0, year)
    out_month = np.where(year_only | unknown, 0, np.where(jan1, 1, month))
    out_day = np.where(year_only | unknown | year_month, 0, np.where(jan1, 1, day))
    return out_year, out_month, out_day, precision


def _origin(rng: np.random.Generator, province: IntArray, factor: float) -> IntArray:
    """Origin component per person: 0 any name, 1 Amazigh, 2 Hassani, by province shares."""
    pl = places()
    a = pl.amazigh_share[province] * factor
    h = pl.hassani_share[province] * factor
    u = rng.random(len(province))
    return np.select([u < a, u < a + h], [1, 2], 0).astype(np.int64)


def _first_names(
    rng: np.random.Generator,
    male: BoolArray,
    cohort: IntArray,
    origin: IntArray,
    fam: IntArray,
    size: IntArray,
    male_t: NameTable,
    female_t: NameTable,
) -> IntArray:
    """Given-name entry per person; siblings get different names."""
    out = np.zeros(len(male), dtype=np.int64)
    todo = np.arange(len(male))
    for _ in range(8):
        for table, sex in ((male_t, True), (female_t, False)):
            idx = todo[male[todo] == sex]
            out[idx] = table.draw(rng, cohort[idx], origin[idx])
        key = fam * 2048 + male * 1024 + out
        todo = np.flatnonzero(pd.Series(key).duplicated().to_numpy() & (size > 1))
        if len(todo) == 0:
            break
    return out


def _parent_names(
    rng: np.random.Generator,
    table: NameTable,
    family_year: IntArray,
    age_gap: tuple[float, float],
    origin: IntArray,
    unknown_share: float,
    latin_missing: BoolArray,
) -> tuple[ObjArray, ObjArray]:
    """One parent's given name per family, in Latin and Arabic ("" when unknown)."""
    n = len(family_year)
    parent_year = family_year - rng.uniform(*age_gap, n).astype(np.int64)
    idx = table.draw(rng, cohort_of(parent_year), origin)
    latin = table.spell(rng, idx)
    arabic = table.arabic[idx].copy()
    unknown = rng.random(n) < unknown_share
    latin[unknown | latin_missing] = ""
    arabic[unknown] = ""
    return latin, arabic


def _unique(rng: np.random.Generator, group: IntArray, low: IntArray, high: IntArray, space: int) -> IntArray:
    """Integers in [low, high) redrawn until every (group, value) pair is unique."""
    values = rng.integers(low, high)
    for _ in range(_UNIQUE_ROUNDS):
        dup = np.flatnonzero(pd.Series(group * space + values).duplicated().to_numpy())
        if len(dup) == 0:
            return values
        values[dup] = rng.integers(low[dup], high[dup])
    raise InvalidArgumentError("n", f"too many people for the identifier number space ({len(values)} numbers)")


def _cins(rng: np.random.Generator, adult: BoolArray, residence: IntArray) -> ObjArray:
    """CIN for adults: a letter prefix of the residence province's issuing city + digits."""
    pl = places()
    out = np.full(len(adult), "", dtype=object)
    idx = np.flatnonzero(adult)
    prov = residence[idx]
    slot = pl.cin_offsets[prov] + (rng.random(len(idx)) * pl.cin_counts[prov]).astype(np.int64)
    prefix = pl.cin_prefix_ids[slot]
    five = rng.random(len(idx)) < _CIN_FIVE_DIGITS
    low = np.where(five, 10_000, 100_000)
    high = np.where(five, 100_000, 1_000_000)
    number = _unique(rng, prefix, low, high, 10_000_000)
    out[idx] = pl.cin_prefixes[prefix] + number.astype(str).astype(object)
    return out


def _phones(rng: np.random.Generator, adult: BoolArray, teen: BoolArray) -> ObjArray:
    """Unique 06/07 mobile numbers for most adults and some teenagers."""
    n = len(adult)
    u = rng.random(n)
    has = (adult & (u < _PHONE_ADULT)) | (teen & (u < _PHONE_TEEN))
    idx = np.flatnonzero(has)
    seven = (rng.random(len(idx)) < _MOBILE_07_SHARE).astype(np.int64)
    number = _unique(rng, seven, np.zeros(len(idx), np.int64), np.full(len(idx), 100_000_000), 100_000_000)
    out = np.full(n, "", dtype=object)
    out[idx] = np.where(seven == 1, "07", "06").astype(object) + digits(number, 8)
    return out
