"""Normalisation: case, accents, spacing, punctuation in Latin; diacritics, tatweel in Arabic."""

from __future__ import annotations

import pytest

from matcher.normalise import normalise_arabic, normalise_latin, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Saïd", "said"),
        ("  EL-ALAOUI ", "el alaoui"),
        ("Fayçal", "faycal"),
        ("M'hamed", "m hamed"),
        ("Fatima  Zahra", "fatima zahra"),
        ("Aït\u200eAli", "aitali"),
        ("", ""),
    ],
)
def test_latin(raw: str, expected: str) -> None:
    assert normalise_latin(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("مُحَمَّد", "محمد"),
        ("محمـــد", "محمد"),
        ("عبد  القادر", "عبد القادر"),
        ("\u200fفاطمة", "فاطمة"),
        ("أحمد", "احمد"),
    ],
)
def test_arabic(raw: str, expected: str) -> None:
    assert normalise_arabic(raw) == expected


def test_different_names_stay_different() -> None:
    assert normalise_name("Said") != normalise_name("Saida")
    assert normalise_name("فاطمة") != normalise_name("فاطمه")  # taa marbuta is the matcher's job
