"""generate_population: schema, determinism and the realism the matcher is tested against."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from synthetic import (
    COLUMNS,
    INT_COLUMNS,
    REFERENCE_DATE,
    STRING_COLUMNS,
    Families,
    InvalidArgumentError,
    SyntheticError,
    generate_population,
)
from synthetic.reference import female_first_names, male_first_names, provinces, surnames


def _age(df: pd.DataFrame) -> pd.Series:
    """Age in whole years at the reference date; month/day 0 count as the end of the year."""
    month = df["birth_month"].where(df["birth_month"] > 0, 12)
    day = df["birth_day"].where(df["birth_day"] > 0, 31)
    before = (month > REFERENCE_DATE.month) | ((month == REFERENCE_DATE.month) & (day > REFERENCE_DATE.day))
    return (REFERENCE_DATE.year - df["birth_year"] - before.astype(int)).where(df["birth_year"] > 0)


def test_columns_and_dtypes(people: pd.DataFrame) -> None:
    assert tuple(people.columns) == COLUMNS
    for column in STRING_COLUMNS:
        assert pd.api.types.is_string_dtype(people[column]), column
        assert not people[column].isna().any(), column
    for column in INT_COLUMNS:
        assert people[column].dtype == np.int64, column


def test_ids(people: pd.DataFrame) -> None:
    assert people["record_id"].is_unique and people["entity_id"].is_unique
    assert people["record_id"].iloc[0] == "r0000001"
    assert people["record_id"].str.fullmatch(r"r\d{7}").all()
    assert people["entity_id"].str.fullmatch(r"e\d{7}").all()


def test_deterministic_for_a_seed() -> None:
    a = generate_population(2_000, 42)
    pd.testing.assert_frame_equal(a, generate_population(2_000, 42))
    b = generate_population(2_000, 43)
    assert not a["first_name_latin"].equals(b["first_name_latin"])


def test_sizes_are_exact() -> None:
    for n in (0, 1, 2, 7, 1_001):
        df = generate_population(n, 3)
        assert len(df) == n
        assert tuple(df.columns) == COLUMNS


@pytest.mark.parametrize(
    ("n", "seed", "argument"),
    [(-1, 0, "n"), (1.5, 0, "n"), (True, 0, "n"), ("10", 0, "n"), (10, -1, "seed"), (10, 2.0, "seed")],
)
def test_invalid_arguments(n: object, seed: object, argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        generate_population(n, seed)  # type: ignore[arg-type]
    assert info.value.argument == argument
    assert argument in str(info.value)
    assert isinstance(info.value, SyntheticError)


def test_age_pyramid(people: pd.DataFrame) -> None:
    age = _age(people).dropna()
    assert 0.23 <= (age < 15).mean() <= 0.29  # RGPH 2024: 26.5 %
    assert 0.115 <= (age >= 60).mean() <= 0.16  # RGPH 2024: 13.8 %
    assert age.min() >= 0 and age.max() <= 101


def test_sex_ratio(people: pd.DataFrame) -> None:
    assert set(people["sex"]) == {"M", "F"}
    assert 0.47 <= (people["sex"] == "M").mean() <= 0.53


def test_birth_precision_is_consistent_with_fields(people: pd.DataFrame) -> None:
    precision = people["birth_precision"]
    assert set(precision) <= {"full", "year_month", "year", "unknown"}
    y, m, d = people["birth_year"], people["birth_month"], people["birth_day"]
    full = precision == "full"
    assert ((y > 0) & (m.between(1, 12)) & (d >= 1)).where(full, True).all()
    for i in np.flatnonzero(full.to_numpy())[:2000]:
        datetime.date(int(y.iloc[i]), int(m.iloc[i]), int(d.iloc[i]))  # a real calendar date
    assert ((d == 0) & (m > 0)).where(precision == "year_month", True).all()
    assert ((d == 0) & (m == 0) & (y > 0)).where(precision == "year", True).all()
    assert ((d == 0) & (m == 0) & (y == 0)).where(precision == "unknown", True).all()
    dated = people[full]
    born = pd.to_datetime(dict(year=dated.birth_year, month=dated.birth_month, day=dated.birth_day))
    assert (born <= pd.Timestamp(REFERENCE_DATE)).all()


def test_older_people_mostly_have_a_year_only(people: pd.DataFrame) -> None:
    y, precision = people["birth_year"], people["birth_precision"]
    before_1960 = precision[(y > 0) & (y < 1960)]
    assert len(before_1960) > 1_000
    assert 0.70 <= (before_1960 == "year").mean() <= 0.90
    transition = precision[(y >= 1960) & (y <= 1975)]
    assert 0.15 <= (transition == "year").mean() <= 0.45
    assert (precision[y >= 1990] == "year").mean() < 0.01
    jan1 = (people["birth_month"] == 1) & (people["birth_day"] == 1) & (y < 1976)
    assert jan1.sum() > 0.03 * ((y > 0) & (y < 1976)).sum()  # 01/01 defaults


def test_only_adults_have_a_cin(people: pd.DataFrame) -> None:
    age = _age(people)
    has_cin = people["cin"] != ""
    known = age.notna()
    assert has_cin[known & (age >= 19)].all()
    assert not has_cin[known & (age < 18)].any()
    assert has_cin[people["birth_year"] == 0].all()  # unknown dates: very old people
    cins = people.loc[has_cin, "cin"]
    assert cins.is_unique
    assert cins.str.fullmatch(r"[A-Z]{1,2}\d{5,6}").all()
    all_prefixes = {x for p in provinces() for x in p.cin_prefixes}
    assert set(cins.str.extract(r"^([A-Z]+)", expand=False)) <= all_prefixes


def test_phones(people: pd.DataFrame) -> None:
    age = _age(people)
    phones = people.loc[people["phone"] != "", "phone"]
    assert phones.is_unique
    assert phones.str.fullmatch(r"0[67]\d{8}").all()
    assert 0.84 <= (people.loc[age >= 19, "phone"] != "").mean() <= 0.92
    assert (people.loc[age < 14, "phone"] == "").all()


def test_first_names_match_sex_and_spelling(people: pd.DataFrame) -> None:
    male = {e.arabic: e for e in male_first_names()}
    female = {e.arabic: e for e in female_first_names()}
    for sex, table in (("M", male), ("F", female)):
        rows = people[people["sex"] == sex]
        assert rows["first_name_arabic"].isin(table).all(), sex
        pairs = zip(rows["first_name_arabic"], rows["first_name_latin"], strict=True)
        assert all(latin in table[arabic].latin for arabic, latin in pairs)


def test_spellings_are_mostly_the_common_one(people: pd.DataFrame) -> None:
    table = {e.arabic: e for e in (*male_first_names(), *female_first_names())}
    first = people["first_name_arabic"].map(lambda a: table[a].latin[0])
    multi = people["first_name_arabic"].map(lambda a: len(table[a].latin) > 1)
    share = (people.loc[multi, "first_name_latin"] == first[multi]).mean()
    assert 0.55 <= share <= 0.75


def test_surnames_and_parents(people: pd.DataFrame) -> None:
    family = {e.arabic: e for e in surnames()}
    male = {e.arabic: e for e in male_first_names()}
    female = {e.arabic: e for e in female_first_names()}
    pairs = zip(people["last_name_arabic"], people["last_name_latin"], strict=True)
    assert all(latin in family[arabic].latin for arabic, latin in pairs)
    father = people["father_first_name_arabic"]
    mother = people["mother_first_name_arabic"]
    assert father[father != ""].isin(male).all()
    assert mother[mother != ""].isin(female).all()
    assert (father == "").mean() < 0.03 and (mother == "").mean() < 0.03
    latin_only_missing = (people["father_first_name_latin"] == "") & (father != "")
    assert 0.03 < latin_only_missing.mean() < 0.15


def test_common_name_combinations_repeat(people: pd.DataFrame) -> None:
    full = people["first_name_arabic"] + " " + people["last_name_arabic"]
    counts = full.value_counts()
    assert counts.index[0] in {"محمد العلوي", "محمد الإدريسي"}
    assert counts.iloc[0] >= 0.001 * len(people)
    assert (people["first_name_arabic"] == "محمد").mean() > 0.04


def test_siblings_share_surname_parents_and_birth_place(families: Families) -> None:
    df = families.records.assign(family=families.family)
    size = df.groupby("family")["record_id"].transform("size")
    assert 0.28 <= (size > 1).mean() <= 0.45
    shared = ["last_name_arabic", "father_first_name_arabic", "mother_first_name_arabic", "birth_place_code"]
    siblings = df[size > 1]
    assert (siblings.groupby("family")[shared].nunique() == 1).all().all()
    # Siblings never share a given name.
    assert not siblings.duplicated(["family", "first_name_arabic"]).any()
    # Some twins: siblings with the same full date of birth.
    full = siblings[siblings["birth_precision"] == "full"]
    twins = full.duplicated(["family", "birth_year", "birth_month", "birth_day"]).sum()
    families_with_siblings = siblings["family"].nunique()
    assert 0.01 * families_with_siblings <= twins <= 0.08 * families_with_siblings
    # Siblings are not neighbours in record order.
    ordered = df["family"].to_numpy()
    assert (ordered[1:] == ordered[:-1]).mean() < 0.01


def test_places(people: pd.DataFrame) -> None:
    codes = {p.code for p in provinces()}
    place = people["birth_place_code"]
    assert place[place != ""].isin(codes).all()
    assert (place == "").mean() < 0.02
    assert people["commune_code"].str.fullmatch(r"P\d{2}\.\d{3}").all()
    assert (people["address"] != "").all()
    by_place = place.value_counts(normalize=True)
    casablanca = next(p.code for p in provinces() if p.name_fr == "Casablanca")
    assert by_place.index[0] == casablanca


def test_amazigh_surnames_concentrate_in_the_souss(people: pd.DataFrame) -> None:
    region = {p.code: p.region for p in provinces()}
    amazigh = {e.arabic for e in surnames() if e.origin == "amazigh"}
    is_amazigh = people["last_name_arabic"].isin(amazigh)
    where = people["birth_place_code"].map(region)
    souss = is_amazigh[where == "Souss-Massa"].mean()
    casa = is_amazigh[where == "Casablanca-Settat"].mean()
    assert souss > 3 * casa
