"""Latin name tokens: titles, the article, particles, Abd- and -eddine compounds, two-part names."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import particles
from matcher.particles import NameToken, fold_latin, latin_name_tokens, split_particles


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.role) for t in split_particles(text)]


def test_fold_latin_joins_apostrophes_and_keeps_normalise_latin_otherwise() -> None:
    assert fold_latin("M'hamed") == "mhamed"
    assert fold_latin("  Saïd  EL-ALAOUI ") == "said el alaoui"
    assert fold_latin("Fayçal") == "faycal"
    assert fold_latin("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Elalaoui", [("el", "article"), ("alaoui", "name")]),
        ("El-Alaoui", [("el", "article"), ("alaoui", "name")]),
        ("Es-Saadi", [("es", "article"), ("saadi", "name")]),
        ("Essaadi", [("es", "article"), ("saadi", "name")]),
        ("Echcherkaoui", [("ech", "article"), ("cherkaoui", "name")]),
        ("Lalaoui", [("l", "article"), ("alaoui", "name")]),
        ("Lhoussaine", [("l", "article"), ("houssaine", "name")]),
        ("Louafi", [("l", "article"), ("ouafi", "name")]),
        ("Benali", [("ben", "particle"), ("ali", "name")]),
        ("Bin Ali", [("ben", "particle"), ("ali", "name")]),
        ("Aitali", [("ait", "particle"), ("ali", "name")]),
        ("Ayt Ali", [("ait", "particle"), ("ali", "name")]),
        ("Ouldsalem", [("ould", "particle"), ("salem", "name")]),
        ("Oubrahim", [("ou", "particle"), ("brahim", "name")]),
        ("Benelhassan", [("ben", "particle"), ("el", "article"), ("hassan", "name")]),
        ("Moulay Ahmed", [("moulay", "title"), ("ahmed", "name")]),
        ("My Ahmed", [("my", "title"), ("ahmed", "name")]),
        ("Abdelkader", [("abd", "particle"), ("el", "article"), ("kader", "name")]),
        ("Abderrahim", [("abd", "particle"), ("el", "article"), ("rahim", "name")]),
        ("Abdel Rahim", [("abd", "particle"), ("el", "article"), ("rahim", "name")]),
        ("Nour Eddine", [("nour", "name"), ("eddine", "tail")]),
        ("Fatimaezzahra", [("fatima", "name"), ("ez", "article"), ("zahra", "name")]),
        ("Nourelhouda", [("nour", "name"), ("el", "article"), ("houda", "name")]),
    ],
)
def test_split_particles(text: str, expected: list[tuple[str, str]]) -> None:
    assert _tokens(text) == expected


@pytest.mark.parametrize(
    "word",
    # Surnames and names that merely begin with the letters of a particle or the article.
    ["Bennani", "Benjelloun", "Belkacem", "Alaoui", "Alami", "Allal", "Elias", "Elham", "Essam", "Enass",
     "Latifa", "Laila", "Lamia", "Idriss", "Oussama", "Oumaima", "Abdou", "Bouchra", "Ezzeddine"],
)  # fmt: skip
def test_words_that_only_look_like_particles_stay_whole(word: str) -> None:
    assert split_particles(word) == (NameToken(fold_latin(word), "name"),)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ben Ali", "Benali"),
        ("Ben-Ali", "Bin Ali"),
        ("Ben El Hassan", "Belhassan"),
        ("Ait Ali", "Aitali"),
        ("Abd El Kader", "Abdelkader"),
        ("Abd Al Kader", "Abdulkader"),
        ("Abd Er-Rahim", "Abderrahim"),
        ("Abd Allah", "Abdallah"),
        ("Nour-Eddine", "Noureddine"),
        ("Fatima Ezzahra", "Fatimazahra"),
        ("Moulay Ahmed El Alaoui", "Ahmed Alaoui"),
        ("Lamrani", "El Amrani"),
    ],
)
def test_exact_tokens_agree_on_spacing_particles_and_titles(a: str, b: str) -> None:
    assert latin_name_tokens(a) == latin_name_tokens(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Abdelatif", "Abdellatif"), ("Nourdine", "Noureddine"), ("Fatim Zahra", "Fatima Zahra"), ("Mohamed", "Mohammed")],
)
def test_exact_tokens_keep_spelling_differences(a: str, b: str) -> None:
    assert latin_name_tokens(a) != latin_name_tokens(b)


def test_a_name_that_is_only_a_title_or_article_keeps_it() -> None:
    assert latin_name_tokens("Sidi") == ("sidi",)
    assert latin_name_tokens("El") == ("el",)
    assert latin_name_tokens("Ben") == ("ben",)
    assert latin_name_tokens("") == ()


@settings(deadline=None, derandomize=True, max_examples=300)
@given(st.text())
def test_fold_latin_is_idempotent(text: str) -> None:
    once = fold_latin(text)
    assert fold_latin(once) == once


@settings(deadline=None, derandomize=True, max_examples=300)
@given(st.text(alphabet=st.sampled_from("abdeilmnorstuyzhk -'")) | st.text())
def test_exact_tokens_are_idempotent(text: str) -> None:
    once = latin_name_tokens(text)
    assert latin_name_tokens(" ".join(once)) == once


def test_docstring_examples() -> None:
    assert doctest.testmod(particles).failed == 0
