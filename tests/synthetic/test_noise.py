"""add_duplicates / make_duplicates: truth, rates, and every kind of noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthetic import (
    COLUMNS,
    NOISE_KINDS,
    NOISE_PROBABILITIES,
    Duplicates,
    InvalidArgumentError,
    add_duplicates,
    generate_population,
    make_duplicates,
)
from synthetic.reference import female_first_names, male_first_names, surnames
from synthetic.spelling import arabic_variants, compound_variants, particle_forms

from .conftest import DUPLICATE_RATE
from .test_spelling import damerau_distance

NAME_FIELDS = [
    "first_name_latin",
    "first_name_arabic",
    "last_name_latin",
    "last_name_arabic",
    "father_first_name_latin",
    "father_first_name_arabic",
    "mother_first_name_latin",
    "mother_first_name_arabic",
]
NAME_KINDS = {
    "transliteration",
    "particle",
    "compound",
    "typo",
    "arabic_variant",
    "arabic_typo",
    "latin_missing",
    "arabic_missing",
    "name_swap",
    "missing_parents",
}
DATE_KINDS = {"day_month_swap", "year_only", "jan1_default", "year_off"}


@pytest.fixture(scope="module")
def pairs(people: pd.DataFrame, duplicates: Duplicates) -> pd.DataFrame:
    """Each duplicate record beside its source record (columns suffixed _dup / _src), with the
    set of noise kinds logged for it."""
    records = duplicates.records
    new = records.iloc[len(people) :].set_index("record_id")
    by_entity = people.set_index("entity_id")
    dup = new.add_suffix("_dup")
    src = by_entity.loc[new["entity_id"].to_numpy()].reset_index().add_suffix("_src")
    src.index = new.index
    out = dup.join(src)
    logged = duplicates.noise.drop_duplicates("record_id").set_index("record_id")
    assert (out.loc[logged.index, "record_id_src"] == logged["source_record_id"]).all()
    kinds = duplicates.noise.groupby("record_id")["kind"].agg(frozenset)
    out["kinds"] = [kinds.get(i, frozenset()) for i in out.index]
    return out


def _with(pairs: pd.DataFrame, kind: str, without: set[str] | None = None) -> pd.DataFrame:
    """Pairs that received ``kind`` and none of ``without``."""
    excluded = without or set()
    rows = pairs[pairs["kinds"].map(lambda k: kind in k and not (k & excluded))]
    assert len(rows) > 10, kind
    return rows


def test_originals_are_kept_and_truth_is_consistent(people: pd.DataFrame, duplicates: Duplicates) -> None:
    records, truth = duplicates.records, duplicates.truth
    pd.testing.assert_frame_equal(records.iloc[: len(people)], people)
    assert tuple(records.columns) == COLUMNS
    assert (records.dtypes == people.dtypes).all()
    assert list(truth.columns) == ["record_id", "entity_id"]
    assert len(truth) == len(records)
    assert truth["record_id"].is_unique
    assert (truth["record_id"].to_numpy() == records["record_id"].to_numpy()).all()
    assert (truth["entity_id"].to_numpy() == records["entity_id"].to_numpy()).all()
    assert set(truth["entity_id"]) == set(people["entity_id"])


def test_new_record_ids_follow_the_existing_ones(people: pd.DataFrame, duplicates: Duplicates) -> None:
    new = duplicates.records["record_id"].iloc[len(people) :]
    assert new.iloc[0] == f"r{len(people) + 1:07d}"
    assert new.str.fullmatch(r"r\d{7}").all()


def test_duplicate_rate(people: pd.DataFrame, duplicates: Duplicates) -> None:
    new = duplicates.records.iloc[len(people) :]
    copies = new["entity_id"].value_counts()
    assert len(copies) == round(DUPLICATE_RATE * len(people))  # exactly rate * n people
    assert 0.08 <= (copies >= 2).mean() <= 0.22  # some get 2 or 3
    assert copies.max() <= 3


def test_every_noise_kind_occurs(duplicates: Duplicates) -> None:
    counts = duplicates.noise["kind"].value_counts()
    assert set(counts.index) == set(NOISE_KINDS)
    assert (counts >= 20).all(), counts.to_dict()


def test_probabilities_are_respected(pairs: pd.DataFrame) -> None:
    for kind, source_field in (("missing_phone", "phone"), ("missing_cin", "cin")):
        eligible = pairs[pairs[f"{source_field}_src"] != ""]
        share = eligible["kinds"].map(lambda k, kind=kind: kind in k).mean()
        assert abs(share - NOISE_PROBABILITIES[kind]) < 0.03, (kind, share)
    share = pairs["kinds"].map(lambda k: "moved" in k).mean()
    assert abs(share - NOISE_PROBABILITIES["moved"]) < 0.03


def test_transliteration(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "transliteration", NAME_KINDS - {"transliteration"})
    tables = {
        "first": {e.arabic: e for e in (*male_first_names(), *female_first_names())},
        "last": {e.arabic: e for e in surnames()},
        "father_first": {e.arabic: e for e in male_first_names()},
    }
    for _, row in rows.iterrows():
        changed = [f for f in tables if row[f"{f}_name_latin_dup"] != row[f"{f}_name_latin_src"]]
        assert len(changed) == 1
        f = changed[0]
        assert row[f"{f}_name_arabic_dup"] == row[f"{f}_name_arabic_src"]
        assert row[f"{f}_name_latin_dup"] in tables[f][row[f"{f}_name_arabic_src"]].latin


def test_particle(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "particle", NAME_KINDS - {"particle", "arabic_variant", "arabic_typo"})
    family = {e.arabic: e for e in surnames()}
    for _, row in rows.iterrows():
        e = family[row["last_name_arabic_src"]]
        assert e.particle is not None and e.stem is not None
        assert row["last_name_latin_dup"] != row["last_name_latin_src"]
        assert row["last_name_latin_dup"] in particle_forms(e.particle, e.stem)


def test_compound(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "compound", NAME_KINDS - {"compound", "arabic_variant", "arabic_typo"})
    for _, row in rows.iterrows():
        assert row["first_name_latin_dup"] in compound_variants(row["first_name_latin_src"])
    shortened = rows["first_name_latin_dup"].str.contains(" |-") == False  # noqa: E712
    assert shortened.any()


def test_typo(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "typo", NAME_KINDS - {"typo", "arabic_variant", "arabic_typo"})
    for _, row in rows.iterrows():
        distances = [
            damerau_distance(row[f"{f}_src"], row[f"{f}_dup"]) for f in ("first_name_latin", "last_name_latin")
        ]
        assert sorted(distances) == [0, 1]


def test_arabic_variant(pairs: pd.DataFrame) -> None:
    rows = _with(
        pairs, "arabic_variant", NAME_KINDS - {"arabic_variant"} - {"transliteration", "particle", "compound", "typo"}
    )
    family = {e.arabic: e for e in surnames()}
    for _, row in rows.iterrows():
        changed = [f for f in NAME_FIELDS if f.endswith("arabic") and row[f"{f}_dup"] != row[f"{f}_src"]]
        assert len(changed) == 1
        f = changed[0]
        entry = family.get(row[f"{f}_src"]) if f == "last_name_arabic" else None
        assert row[f"{f}_dup"] in arabic_variants(row[f"{f}_src"], entry.particle if entry else None)


def test_arabic_typo(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "arabic_typo", NAME_KINDS - {"arabic_typo", "transliteration", "particle", "compound", "typo"})
    for _, row in rows.iterrows():
        changed = [f for f in ("first_name_arabic", "last_name_arabic") if row[f"{f}_dup"] != row[f"{f}_src"]]
        assert len(changed) == 1


def test_latin_and_arabic_missing(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "latin_missing")
    assert (rows["first_name_latin_dup"] == "").all() and (rows["last_name_latin_dup"] == "").all()
    assert ((rows["first_name_arabic_dup"] != "") | (rows["last_name_arabic_dup"] != "")).all()
    rows = _with(pairs, "arabic_missing")
    assert (rows["first_name_arabic_dup"] == "").all() and (rows["last_name_arabic_dup"] == "").all()
    assert ((rows["first_name_latin_dup"] != "") | (rows["last_name_latin_dup"] != "")).all()
    assert not pairs["kinds"].map(lambda k: {"latin_missing", "arabic_missing"} <= k).any()


def test_name_swap(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "name_swap", NAME_KINDS - {"name_swap"})
    for script in ("latin", "arabic"):
        assert (rows[f"first_name_{script}_dup"] == rows[f"last_name_{script}_src"]).all()
        assert (rows[f"last_name_{script}_dup"] == rows[f"first_name_{script}_src"]).all()


def test_day_month_swap_only_when_day_is_at_most_12(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "day_month_swap", DATE_KINDS - {"day_month_swap"})
    assert (rows["birth_precision_src"] == "full").all()
    assert (rows["birth_day_src"] <= 12).all()
    assert (rows["birth_day_dup"] == rows["birth_month_src"]).all()
    assert (rows["birth_month_dup"] == rows["birth_day_src"]).all()
    assert (rows["birth_day_src"] != rows["birth_month_src"]).all()
    # No duplicate anywhere has a day/month swap of a source whose day is above 12.
    swapped = (
        (pairs["birth_day_dup"] == pairs["birth_month_src"])
        & (pairs["birth_month_dup"] == pairs["birth_day_src"])
        & (pairs["birth_day_src"] != pairs["birth_month_src"])
    )
    assert (pairs.loc[swapped, "birth_day_src"] <= 12).all()


def test_year_only_and_jan1_default(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "year_only", DATE_KINDS - {"year_only"})
    assert rows["birth_precision_src"].isin(["full", "year_month"]).all()
    assert (rows["birth_precision_dup"] == "year").all()
    assert (rows[["birth_month_dup", "birth_day_dup"]] == 0).all().all()
    assert (rows["birth_year_dup"] == rows["birth_year_src"]).all()
    rows = _with(pairs, "jan1_default", DATE_KINDS - {"jan1_default"})
    assert (rows["birth_precision_src"] == "year").all()
    assert (rows["birth_precision_dup"] == "full").all()
    assert (rows[["birth_month_dup", "birth_day_dup"]] == 1).all().all()


def test_year_off_by_one_digit(pairs: pd.DataFrame) -> None:
    rows = _with(pairs, "year_off", DATE_KINDS - {"year_off"})
    for src, dup in zip(rows["birth_year_src"], rows["birth_year_dup"], strict=True):
        assert abs(src - dup) in (1, 10)
        assert sum(a != b for a, b in zip(str(src), str(dup), strict=True)) == 1


def test_missing_fields(pairs: pd.DataFrame) -> None:
    for kind, fields in (("missing_phone", ["phone"]), ("missing_cin", ["cin"])):
        rows = _with(pairs, kind)
        for f in fields:
            assert (rows[f"{f}_src"] != "").all() and (rows[f"{f}_dup"] == "").all()
    rows = _with(pairs, "missing_parents")
    parents = ["father_first_name_arabic", "mother_first_name_arabic"]
    blanked = [(rows[f"{f}_src"] != "") & (rows[f"{f}_dup"] == "") for f in parents]
    assert (blanked[0] | blanked[1]).all()


def test_unlogged_fields_are_unchanged(pairs: pd.DataFrame) -> None:
    def same(field: str, unless: set[str]) -> None:
        rows = pairs[pairs["kinds"].map(lambda k: not (k & unless))]
        assert (rows[f"{field}_dup"] == rows[f"{field}_src"]).all(), field

    for field in ("entity_id", "sex", "birth_place_code"):
        same(field, set())
    same("phone", {"missing_phone"})
    same("cin", {"missing_cin"})
    same("address", {"moved"})
    same("commune_code", {"moved"})
    for field in ("birth_year", "birth_month", "birth_day", "birth_precision"):
        same(field, DATE_KINDS)
    for field in NAME_FIELDS:
        same(field, NAME_KINDS)
    exact = pairs[pairs["kinds"].map(len) == 0]
    assert len(exact) > 0  # exact double registrations exist too


def test_deterministic_for_a_seed() -> None:
    people = generate_population(3_000, 9)
    a = make_duplicates(people, 0.4, 1)
    b = make_duplicates(people, 0.4, 1)
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_frame_equal(a.noise, b.noise)
    c = make_duplicates(people, 0.4, 2)
    assert not a.records.equals(c.records)


def test_add_duplicates_returns_records_and_truth() -> None:
    people = generate_population(500, 4)
    records, truth = add_duplicates(people, 0.5, 4)
    d = make_duplicates(people, 0.5, 4)
    pd.testing.assert_frame_equal(records, d.records)
    pd.testing.assert_frame_equal(truth, d.truth)


def test_edge_rates_and_sizes() -> None:
    people = generate_population(200, 5)
    records, truth = add_duplicates(people, 0.0, 5)
    pd.testing.assert_frame_equal(records, people)
    assert len(truth) == 200
    records, _ = add_duplicates(people, 1.0, 5)
    assert set(records["entity_id"].iloc[200:]) == set(people["entity_id"])
    empty = generate_population(0, 5)
    records, truth = add_duplicates(empty, 0.5, 5)
    assert len(records) == 0 and len(truth) == 0 and tuple(records.columns) == COLUMNS


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan"), True, "0.1", None])
def test_invalid_rate(rate: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        add_duplicates(generate_population(10, 1), rate, 1)  # type: ignore[arg-type]
    assert info.value.argument == "rate"


def test_invalid_people_and_seed() -> None:
    people = generate_population(10, 1)
    with pytest.raises(InvalidArgumentError) as info:
        add_duplicates(people.drop(columns=["cin"]), 0.1, 1)
    assert info.value.argument == "people" and "cin" in str(info.value)
    with pytest.raises(InvalidArgumentError) as info:
        add_duplicates(people.to_dict(), 0.1, 1)
    assert info.value.argument == "people"
    with pytest.raises(InvalidArgumentError) as info:
        add_duplicates(people, 0.1, -3)
    assert info.value.argument == "seed"


def test_foreign_record_ids_do_not_collide() -> None:
    people = generate_population(50, 2)
    people["record_id"] = [f"x{i}" for i in range(50)]
    records, truth = add_duplicates(people, 1.0, 2)
    assert truth["record_id"].is_unique
    assert records["record_id"].iloc[50] == "r0000001"
    assert np.all(records["record_id"].iloc[:50].to_numpy() == people["record_id"].to_numpy())
