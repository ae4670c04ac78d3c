"""The Maghreb phonetic key: one key for the spellings of a name in both scripts."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import phonetic
from matcher.errors import MatcherError
from matcher.phonetic import latin_form, phonetic_key, phonetic_keys
from tests.matcher.test_arabic import ARABIC_TEXT


@pytest.mark.parametrize(
    "spellings",
    [
        ("Mohammed", "Mohamed", "Mohamad", "Muhammad", "محمد"),
        ("Youssef", "Yousef", "Youssouf", "يوسف"),
        ("Abdelkader", "Abdelkadir", "Abd El Kader", "عبد القادر", "عبدالقادر"),
        ("Fatima Zahra", "Fatimazahra", "Fatim-Zahra", "Fatima Ezzahra", "فاطمة الزهراء"),
        ("Noureddine", "Nour Eddine", "Nourdine", "نور الدين"),
        ("El Alaoui", "Alaoui", "Elalaoui", "Lalaoui", "العلوي"),
        ("Ben Ali", "Benali", "بن علي", "بنعلي"),
        ("Ait Ali", "Aitali", "آيت علي"),
        ("Moulay Ahmed", "Ahmed", "أحمد", "مولاي احمد"),
    ],
)
def test_spellings_of_one_name_share_a_key(spellings: tuple[str, ...]) -> None:
    assert len({phonetic_key(s) for s in spellings}) == 1, {s: phonetic_key(s) for s in spellings}


@pytest.mark.parametrize(
    "names",
    [
        ("Mohammed", "Mahmoud", "Hamid", "Hamed", "M'hamed", "Ahmed"),
        ("Said", "Saida", "Saad", "Saadia"),
        ("Amine", "Amina"),
        ("محمد", "محمود", "حميد", "حامد", "امحمد", "أحمد"),
    ],
)
def test_different_names_have_different_keys(names: tuple[str, ...]) -> None:
    assert len({phonetic_key(n) for n in names}) == len(names)


def test_keys_per_unit_in_order() -> None:
    assert phonetic_keys("Mohamed Amine El Alaoui") == ("muhamad", "amin", "alaui")
    assert phonetic_keys("عبد القادر بنعلي") == ("abdlkdar", "banali")
    assert phonetic_keys("Mohamed محمد") == ("muhamad", "muhamad")
    assert phonetic_keys("") == ()
    assert phonetic_key("Mohamed Amine") == "muhamadamin"


def test_latin_form_transliterates_the_compared_arabic_words() -> None:
    assert latin_form("مولاي عبد القادر العلوي") == " abdelkader alaoui "
    assert latin_form("Mohamed") == "Mohamed"


def test_non_text_is_a_matcher_error() -> None:
    with pytest.raises(MatcherError, match="name must be a string"):
        phonetic_keys(None)  # type: ignore[arg-type]


@settings(deadline=None, derandomize=True, max_examples=300)
@given(ARABIC_TEXT | st.text())
def test_keys_never_raise_and_are_words(text: str) -> None:
    keys = phonetic_keys(text)
    assert all(k and " " not in k for k in keys)
    assert phonetic_key(text) == "".join(keys)


def test_docstring_examples() -> None:
    assert doctest.testmod(phonetic).failed == 0
