"""Spelling variants: particles, compounds, Arabic orthography and typos."""

from __future__ import annotations

import random

import pytest

from synthetic.spelling import (
    arabic_typo,
    arabic_variants,
    compound_variants,
    keyboard_neighbours,
    keyboard_typo,
    particle_forms,
)


def damerau_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance, ignoring case (Fatna → Aftna is one transposition)."""
    a, b = a.lower(), b.lower()
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@pytest.mark.parametrize(
    ("particle", "stem", "expected"),
    [
        ("el", "Alaoui", {"Alaoui", "El Alaoui", "Elalaoui", "Lalaoui", "El-Alaoui"}),
        ("el", "Saadi", {"Saadi", "Es-Saadi", "Essaadi"}),
        ("el", "Cherkaoui", {"Ech-Cherkaoui", "Echcherkaoui"}),
        ("ben", "Ali", {"Ben Ali", "Benali", "Ben-Ali"}),
        ("ait", "Ali", {"Ait Ali", "Aitali", "Ait-Ali", "Aït Ali"}),
        ("ou", "Haddou", {"Ouhaddou", "Ou Haddou"}),
        ("ould", "Salem", {"Ould Salem", "Ouldsalem"}),
    ],
)
def test_particle_forms(particle: str, stem: str, expected: set[str]) -> None:
    assert expected <= set(particle_forms(particle, stem))


def test_no_darija_l_form_for_consonant_stems() -> None:
    assert "Ltazi" not in particle_forms("el", "Tazi")
    assert particle_forms("xx", "Tazi") == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Fatima Zahra", {"Fatimazahra", "Fatima-Zahra", "Fatima"}),
        ("Abdelkader", {"Abd El Kader", "Abdel Kader"}),
        ("Abd El Kader", {"Abdelkader"}),
        ("Noureddine", {"Nour Eddine", "Nour-Eddine"}),
        ("Nour Eddine", {"Noureddine", "Nour"}),
        ("Mohamed Amine", {"Amine", "Mohamedamine"}),
        ("Moulay Ahmed", {"Ahmed"}),
        ("Fatimazahra", {"Fatima Zahra"}),
    ],
)
def test_compound_variants(name: str, expected: set[str]) -> None:
    variants = set(compound_variants(name))
    assert expected <= variants
    assert name not in variants


@pytest.mark.parametrize("name", ["Mohammed", "Abdellah", "Abdeslam", "Fatima"])
def test_simple_names_have_no_compound_variants(name: str) -> None:
    assert compound_variants(name) == ()


def test_abd_names_are_never_shortened_to_abd() -> None:
    assert "Abd" not in compound_variants("Abd El Kader")


@pytest.mark.parametrize(
    ("arabic", "particle", "expected"),
    [
        ("أحمد", None, "احمد"),
        ("إبراهيم", None, "ابراهيم"),
        ("آمال", None, "امال"),
        ("فاطمة", None, "فاطمه"),
        ("مصطفى", None, "مصطفي"),
        ("علي", None, "على"),
        ("عبد القادر", None, "عبدالقادر"),
        ("نور الدين", None, "نورالدين"),
        ("العلوي", "el", "علوي"),
        ("بنعلي", "ben", "بن علي"),
        ("امحمد", None, "أمحمد"),
    ],
)
def test_arabic_variants(arabic: str, particle: str | None, expected: str) -> None:
    assert expected in arabic_variants(arabic, particle)


def test_arabic_variants_leave_unrelated_names_alone() -> None:
    # بناني is not Ben + Nani: without the particle it must not be split.
    assert "بن اني" not in arabic_variants("بناني")
    assert "علوي" not in arabic_variants("العلوي")  # article only dropped for el-surnames


def test_keyboard_neighbours_are_azerty() -> None:
    assert set(keyboard_neighbours("a")) == set("zq")
    assert set(keyboard_neighbours("s")) == set("qdzewx")
    assert set(keyboard_neighbours("M")) == set("lp")


def test_keyboard_typo_is_one_edit() -> None:
    rnd = random.Random(5)
    names = ["Mohammed", "Fatima Zahra", "Khadija", "Benjelloun", "Ait Ali", "Youssef"]
    for _ in range(500):
        name = rnd.choice(names)
        typo = keyboard_typo(name, rnd)
        assert typo != name
        assert damerau_distance(name, typo) == 1, (name, typo)


def test_arabic_typo_changes_one_letter() -> None:
    rnd = random.Random(2)
    for name in ("يوسف", "بنعلي", "عبد الغني", "كريم"):
        for _ in range(20):
            typo = arabic_typo(name, rnd)
            assert len(typo) == len(name)
            assert sum(a != b for a, b in zip(typo, name, strict=True)) == 1
    assert arabic_typo("ومل", rnd) == "ومل"  # no dotted letter to confuse
