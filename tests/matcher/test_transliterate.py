"""Arabic-to-Latin transliteration in the French-Moroccan style."""

from __future__ import annotations

import doctest
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher.transliterate  # noqa: F401 - loads the module for sys.modules below
from matcher.arabic import ARABIC_LETTERS
from matcher.transliterate import transliterate, transliterate_word
from tests.matcher.test_arabic import ARABIC_TEXT


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        ("محمد", "mohamed"),
        ("يوسف", "youssef"),
        ("عبد القادر", "abdelkader"),
        ("عبد الرحيم", "abderrahim"),
        ("عبد الله", "abdellah"),
        ("عبد الإله", "abdelilah"),
        ("فاطمة الزهراء", "fatima ezzahra"),
        ("نور الدين", "noureddine"),
        ("العلوي", "el alaoui"),
        ("السعدي", "essaadi"),
        ("الشرقاوي", "echcherkaoui"),
        ("بن علي", "ben ali"),
        ("آيت علي", "ait ali"),
        ("مولاي أحمد", "moulay ahmed"),
        ("مُحَمَّد", "mohamed"),
    ],
)
def test_common_names(arabic: str, latin: str) -> None:
    assert transliterate(arabic) == latin


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        # Words not in the table: the letter and syllable rules.
        ("بنجلون", "benjelloun"),
        ("حمداوي", "hamdaoui"),
        ("بوعزة", "bouazza"),
        ("سعدية", "saadia"),
        ("ربيعة", "rabia"),
        ("نجاة", "najat"),
        ("منصور", "mansour"),
        ("انتصار", "intissar"),
        ("ابتهال", "ibtihal"),
        ("اوبراهيم", "oubrahim"),
        ("ڭروج", "garouj"),
        ("شكيب", "chakib"),
        ("بشير", "bachir"),
    ],
)
def test_letter_rules(arabic: str, latin: str) -> None:
    assert transliterate_word(arabic) == latin


def test_latin_parts_are_folded_and_kept() -> None:
    assert transliterate("Mohamed محمد") == "mohamed mohamed"
    assert transliterate("") == ""
    assert transliterate("،؛") == ""


_ARABIC = re.compile(f"[{ARABIC_LETTERS}]")


@settings(deadline=None, derandomize=True, max_examples=300)
@given(ARABIC_TEXT | st.text())
def test_output_is_latin_and_stable(text: str) -> None:
    once = transliterate(text)
    assert _ARABIC.search(once) is None
    assert transliterate(once) == once


def test_docstring_examples() -> None:
    assert doctest.testmod(sys.modules["matcher.transliterate"]).failed == 0
