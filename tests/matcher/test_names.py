"""Whether two written names are the same name, exactly or phonetically."""

from __future__ import annotations

import doctest
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import names
from matcher.errors import MatcherError
from matcher.names import canonical_name, name_script, names_equivalent
from tests.matcher.name_pairs import MUST_MATCH
from tests.matcher.test_arabic import ARABIC_TEXT


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohamed  EL-ALAOUI", "mohamed el alaoui"),
        ("Abd El Kader", "Abdelkader"),
        ("Ben Ali", "Benali"),
        ("Moulay Ahmed", "Ahmed"),
        ("Fatima-Ezzahra", "Fatima Zahra"),
        ("أحمد", "احمد"),
        ("فاطمة", "فاطمه"),
        ("عبد القادر", "عبدالقادر"),
        ("مُحَمَّد", "محمـد"),
    ],
)
def test_exact(a: str, b: str) -> None:
    assert names_equivalent(a, b, "exact")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohamed", "Mohammed"),
        ("Mohamed Amine", "Amine Mohamed"),
        ("محمد", "Mohamed"),
        ("Said", "Saida"),
    ],
)
def test_exact_is_strict(a: str, b: str) -> None:
    assert not names_equivalent(a, b, "exact")


def test_phonetic_ignores_order_and_script() -> None:
    assert names_equivalent("Alaoui Mohammed", "محمد العلوي", "phonetic")
    assert names_equivalent("Mohamed Amine", "Mohamedamine", "phonetic")
    assert not names_equivalent("Mohamed Amine", "Mohamed", "phonetic")


def test_nothing_to_compare_is_never_equivalent() -> None:
    for mode in ("exact", "phonetic"):
        assert not names_equivalent("", "", mode)
        assert not names_equivalent(" - ", "Ali", mode)


def test_bad_input_is_a_matcher_error() -> None:
    with pytest.raises(MatcherError, match="mode"):
        names_equivalent("Ali", "Ali", "fuzzy")  # type: ignore[arg-type]
    with pytest.raises(MatcherError, match="must be a string"):
        names_equivalent("Ali", 3, "exact")  # type: ignore[arg-type]
    with pytest.raises(MatcherError):
        canonical_name(b"Ali")  # type: ignore[arg-type]


def test_canonical_name() -> None:
    assert canonical_name("Moulay Abd-El-Kader  BEN ALI") == "abdelkader benali"
    assert canonical_name("عبد القادر بن علي") == "عبدالقادر بنعلي"
    assert canonical_name("Mohamed محمد") == "mohamed محمد"


@pytest.mark.parametrize(
    ("text", "script"),
    [("Mohamed", "latin"), ("محمد", "arabic"), ("Mohamed محمد", "mixed"), ("", "none"), ("12 -", "none")],
)
def test_name_script(text: str, script: str) -> None:
    assert name_script(text) == script


def _noisy(name: str, rng: random.Random) -> str:
    """The same name as a clerk might type it: case, spacing, hyphens, tatweel, diacritics."""
    out = []
    for ch in name:
        if ch == " ":
            out.append(rng.choice([" ", "  ", "-", " - "]))
        elif ch.isascii() and ch.isalpha():
            out.append(ch.upper() if rng.random() < 0.3 else ch.lower())
        else:
            out.append(ch + (rng.choice(["", "", "\u0640", "\u064e"]) if "\u0621" <= ch <= "\u064a" else ""))
    return rng.choice(["", " ", "\u200f"]) + "".join(out) + rng.choice(["", " ", "."])


def test_noise_never_breaks_either_mode() -> None:
    rng = random.Random(20_240_601)
    for a, b, _ in MUST_MATCH:
        for name in (a, b):
            noisy = _noisy(name, rng)
            assert names_equivalent(name, noisy, "exact"), (name, noisy)
            assert names_equivalent(name, noisy, "phonetic"), (name, noisy)


@settings(deadline=None, derandomize=True, max_examples=300)
@given(ARABIC_TEXT | st.text(), ARABIC_TEXT | st.text())
def test_never_raises_symmetric_and_exact_implies_phonetic(a: str, b: str) -> None:
    for mode in ("exact", "phonetic"):
        assert names_equivalent(a, b, mode) == names_equivalent(b, a, mode)
    if names_equivalent(a, b, "exact"):
        assert names_equivalent(a, b, "phonetic")
    if canonical_name(a):
        assert names_equivalent(a, a, "exact")
        assert names_equivalent(a, a, "phonetic")


@settings(deadline=None, derandomize=True, max_examples=300)
@given(ARABIC_TEXT | st.text())
def test_canonical_name_is_idempotent(text: str) -> None:
    once = canonical_name(text)
    assert canonical_name(once) == once


def test_docstring_examples() -> None:
    assert doctest.testmod(names).failed == 0
