"""Arabic-script names: letter folding, the article, titles, particles and compound spacing."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import arabic
from matcher.arabic import arabic_name_tokens, fold_arabic, split_arabic_particles
from matcher.normalise import normalise_arabic

# Arabic letters, hamza seats, diacritics, tatweel, Persian letters, marks and spaces.
ARABIC_TEXT = st.text(alphabet=st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآؤئةىـًٌٍَُِّْٰیکھ\u200f\u200c ال عبد بن"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آيت", "ايت"),
        ("مؤمن", "مومن"),
        ("عائشة", "عايشه"),
        ("فاطمة", "فاطمه"),
        ("مصطفى", "مصطفي"),
        ("أسماء", "اسما"),
        ("مُحَمَّد", "محمد"),
        ("محمـــد", "محمد"),
        ("علی", "علي"),
        ("کريم", "كريم"),
        ("\u200fمحمد\u200e", "محمد"),
        ("ﻣﺤﻤﺪ", "محمد"),  # presentation forms
        ("عبد  القادر،", "عبد القادر"),
        ("", ""),
    ],
)
def test_fold_arabic(raw: str, expected: str) -> None:
    assert fold_arabic(raw) == expected


def test_fold_goes_further_than_normalise_arabic() -> None:
    assert normalise_arabic("فاطمة") != normalise_arabic("فاطمه")
    assert fold_arabic("فاطمة") == fold_arabic("فاطمه")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("العلوي", [("ال", "article"), ("علوي", "name")]),
        ("مولاي أحمد", [("مولاي", "title"), ("احمد", "name")]),
        ("عبدالقادر", [("عبد", "particle"), ("ال", "article"), ("قادر", "name")]),
        ("نورالدين", [("نور", "name"), ("الدين", "tail")]),
        ("بنعلي", [("بن", "particle"), ("علي", "name")]),
        ("ابن علي", [("بن", "particle"), ("علي", "name")]),
        ("آيت علي", [("ايت", "particle"), ("علي", "name")]),
        ("إلياس", [("الياس", "name")]),
        ("بناني", [("بناني", "name")]),
        ("بلال", [("بلال", "name")]),
    ],
)
def test_split_arabic_particles(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.text, t.role) for t in split_arabic_particles(text)] == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("عبد القادر", "عبدالقادر"),
        ("بن علي", "بنعلي"),
        ("ابن علي", "بنعلي"),
        ("نور الدين", "نورالدين"),
        ("العلوي", "علوي"),
        ("مولاي أحمد العلوي", "احمد علوي"),
        ("بن الحسن", "بلحسن"),
        ("عبد الله", "عبدالله"),
        ("عبد الإله", "عبدالاله"),
        ("آيت علي", "أيت علي"),
    ],
)
def test_exact_tokens_agree_on_spacing_particles_and_titles(a: str, b: str) -> None:
    assert arabic_name_tokens(a) == arabic_name_tokens(b)


def test_exact_tokens_keep_different_names_apart() -> None:
    assert arabic_name_tokens("عبد الله") != arabic_name_tokens("عبد الإله")
    assert arabic_name_tokens("بناني") != arabic_name_tokens("بنعلي")
    assert arabic_name_tokens("محمد") != arabic_name_tokens("امحمد")
    assert arabic_name_tokens("الياس") == ("الياس",)


@settings(deadline=None, derandomize=True, max_examples=300)
@given(ARABIC_TEXT | st.text())
def test_fold_arabic_is_idempotent(text: str) -> None:
    once = fold_arabic(text)
    assert fold_arabic(once) == once


@settings(deadline=None, derandomize=True, max_examples=300)
@given(ARABIC_TEXT)
def test_exact_tokens_are_idempotent(text: str) -> None:
    once = arabic_name_tokens(text)
    assert arabic_name_tokens(" ".join(once)) == once


def test_docstring_examples() -> None:
    assert doctest.testmod(arabic).failed == 0
