"""The packaged reference data: scripts, uniqueness, sizes and consistency."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from synthetic.reference import (
    PARTICLES,
    NameEntry,
    address_parts,
    female_first_names,
    male_first_names,
    provinces,
    surnames,
)
from synthetic.spelling import particle_forms

ARABIC = re.compile(r"^[\u0621-\u064A]+( [\u0621-\u064A]+)*$")
LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ]+([ '\-][A-Za-zÀ-ÖØ-öø-ÿ]+)*$")
DATA_FILES = (
    "male_first_names.json",
    "female_first_names.json",
    "surnames.json",
    "provinces.json",
    "addresses.json",
)
NAME_LISTS = {
    "male_first_names": male_first_names,
    "female_first_names": female_first_names,
    "surnames": surnames,
}


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate JSON keys {keys}"
    return dict(pairs)


@pytest.mark.parametrize("filename", DATA_FILES)
def test_data_file_has_no_duplicate_json_keys(filename: str) -> None:
    text = resources.files("synthetic.data").joinpath(filename).read_text(encoding="utf-8")
    json.loads(text, object_pairs_hook=_pairs_without_duplicates)


@pytest.mark.parametrize("name", sorted(NAME_LISTS))
def test_names_are_in_the_right_script_and_unique(name: str) -> None:
    entries: tuple[NameEntry, ...] = NAME_LISTS[name]()
    arabic = [e.arabic for e in entries]
    assert len(arabic) == len(set(arabic)), Counter(arabic).most_common(3)
    for e in entries:
        assert ARABIC.match(e.arabic), e.arabic
        assert e.latin and len(e.latin) == len(set(e.latin)), e.latin
        for variant in e.latin:
            assert LATIN.match(variant), (e.arabic, variant)
        assert e.weight > 0


def test_list_sizes() -> None:
    assert len(male_first_names()) >= 150
    assert len(female_first_names()) >= 150
    assert len(surnames()) >= 250


def test_male_and_female_names_do_not_overlap() -> None:
    male = {e.arabic for e in male_first_names()}
    female = {e.arabic for e in female_first_names()}
    assert not male & female


def test_key_names_and_variants_are_present() -> None:
    male = {e.arabic: e for e in male_first_names()}
    female = {e.arabic: e for e in female_first_names()}
    family = {e.arabic: e for e in surnames()}
    assert male["محمد"].latin[0] == "Mohammed" and "Mohamed" in male["محمد"].latin
    # M'hamed is a different name from Mohammed.
    assert "M'hamed" in male["امحمد"].latin and "M'hamed" not in male["محمد"].latin
    assert {"Abdelkader", "Abd El Kader"} <= set(male["عبد القادر"].latin)
    assert {"Noureddine", "Nour Eddine"} <= set(male["نور الدين"].latin)
    assert {"Fatima Zahra", "Fatimazahra", "Fatima Ezzahra"} <= set(female["فاطمة الزهراء"].latin)
    assert {"Brahim", "Lahcen", "Mbarek"} <= {v for e in male.values() for v in e.latin}
    assert {"Fatna", "Itto", "Tudert"} <= {v for e in female.values() for v in e.latin}
    assert {"El Alaoui", "Alaoui", "Elalaoui", "Lalaoui"} <= set(family["العلوي"].latin)
    assert {"Benali", "Ben Ali"} <= set(family["بنعلي"].latin)
    assert {"Ait Ali", "Aitali"} <= set(family["آيت علي"].latin)
    assert {"Es-Saadi", "Essaadi", "Saadi"} <= set(family["السعدي"].latin)
    latin_surnames = {v for e in family.values() for v in e.latin}
    for common in (
        "Idrissi",
        "Bennani",
        "Tazi",
        "Fassi",
        "Berrada",
        "Benjelloun",
        "Amrani",
        "Chraibi",
        "Ouazzani",
        "Ouhaddou",
        "Ould Salem",
    ):
        assert common in latin_surnames, common


def test_weights_are_zipf_like() -> None:
    for entries, top in ((male_first_names(), "محمد"), (female_first_names(), "فاطمة")):
        weights = sorted((e.weight for e in entries), reverse=True)
        by_name = {e.arabic: e.weight for e in entries}
        assert by_name[top] == weights[0]
        assert weights[0] >= 5 * weights[len(weights) // 2]


def test_surname_particles_match_their_latin_spellings() -> None:
    for e in surnames():
        assert (e.particle is None) == (e.stem is None)
        if e.particle is not None and e.stem is not None:
            assert e.particle in PARTICLES
            assert set(particle_forms(e.particle, e.stem)) & set(e.latin), e.arabic


def test_provinces() -> None:
    provs = provinces()
    assert len(provs) == 75
    assert len({p.code for p in provs}) == 75
    assert len({p.name_fr for p in provs}) == 75
    assert len({p.name_ar for p in provs}) == 75
    assert len({p.region for p in provs}) == 12
    assert 30_000_000 < sum(p.population for p in provs) < 40_000_000
    for p in provs:
        assert ARABIC.match(p.name_ar) and ARABIC.match(p.region_ar), p.code
        assert all(re.fullmatch(r"[A-Z]{1,2}", x) for x in p.cin_prefixes), p.code
    prefixes = {p.name_fr: p.cin_prefixes[0] for p in provs}
    expected = {
        "Rabat": "A",
        "Casablanca": "B",
        "Fès": "C",
        "Meknès": "D",
        "Marrakech": "E",
        "Oujda-Angad": "F",
        "Kénitra": "G",
        "Agadir Ida-Outanane": "J",
        "Tanger-Assilah": "K",
        "Tétouan": "L",
    }
    assert {k: prefixes[k] for k in expected} == expected
    assert {"BE", "BH", "BJ", "BK"} <= set(next(p for p in provs if p.name_fr == "Casablanca").cin_prefixes)
    souss = [p.amazigh_share for p in provs if p.region == "Souss-Massa"]
    casa = [p.amazigh_share for p in provs if p.region == "Casablanca-Settat"]
    assert min(souss) > max(casa)


def test_address_parts_are_non_empty() -> None:
    parts = address_parts()
    assert parts.street_names and parts.quarters and parts.douar_stems
