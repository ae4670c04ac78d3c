"""Comparison specs: validation naming the field, JSON round trip, gamma checks."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from matcher.comparison import LEVEL_KINDS, Comparison, ComparisonLevel, check_gamma
from matcher.errors import ComparisonSpecError, GammaError, MatcherError


def _first_name() -> Comparison:
    return Comparison(
        "first_name",
        (
            ComparisonLevel("null", "null"),
            ComparisonLevel("exact", "exact", tf_adjusted=True),
            ComparisonLevel("phonetic", "phonetic"),
            ComparisonLevel("jw_0.92", "jaro_winkler_at_least", 0.92),
            ComparisonLevel("dl_2", "damerau_levenshtein_at_most", 2),
            ComparisonLevel("tokens", "token_set_at_least", 0.8),
            ComparisonLevel("else", "else"),
        ),
    )


def _dob() -> Comparison:
    kinds = ["date_exact", "date_compatible", "date_swapped", "date_one_digit", "date_within_year"]
    return Comparison(
        "dob",
        (ComparisonLevel("null", "null"), *(ComparisonLevel(k, k) for k in kinds), ComparisonLevel("else", "else")),
    )


def _levels(*middle: ComparisonLevel) -> tuple[ComparisonLevel, ...]:
    return (ComparisonLevel("null", "null"), *middle, ComparisonLevel("else", "else"))


def test_properties() -> None:
    name, dob = _first_name(), _dob()
    assert name.n_levels == 7 and dob.n_levels == 7
    assert name.tf_adjusted and not dob.tf_adjusted
    assert name.exact_level == 1 and dob.exact_level == 1
    assert isinstance(name.levels[4].threshold, float) and name.levels[4].threshold == 2.0


@pytest.mark.parametrize("make", [_first_name, _dob])
def test_json_round_trip_is_exact(make: Callable[[], Comparison]) -> None:
    comparison = make()
    text = json.dumps(comparison.to_dict())
    again = Comparison.from_dict(json.loads(text))
    assert again == comparison
    assert json.dumps(again.to_dict()) == text


def test_every_documented_kind_is_usable() -> None:
    thresholds = {"jaro_winkler_at_least": 0.9, "damerau_levenshtein_at_most": 1, "token_set_at_least": 0.5}
    middle = [ComparisonLevel(k, k, thresholds.get(k)) for k in sorted(LEVEL_KINDS - {"null", "else"})]
    assert Comparison("any", _levels(*middle)).n_levels == len(LEVEL_KINDS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label": "x", "kind": "soundex"}, "unknown kind"),
        ({"label": "x", "kind": "jaro_winkler_at_least"}, "needs a finite number"),
        ({"label": "x", "kind": "jaro_winkler_at_least", "threshold": float("nan")}, "needs a finite number"),
        ({"label": "x", "kind": "jaro_winkler_at_least", "threshold": 1.5}, "outside"),
        ({"label": "x", "kind": "token_set_at_least", "threshold": 0}, "outside"),
        ({"label": "x", "kind": "damerau_levenshtein_at_most", "threshold": -1}, "outside"),
        ({"label": "x", "kind": "damerau_levenshtein_at_most", "threshold": 1.5}, "whole"),
        ({"label": "x", "kind": "damerau_levenshtein_at_most", "threshold": True}, "finite number"),
        ({"label": "x", "kind": "exact", "threshold": 0.9}, "takes no threshold"),
        ({"label": "x", "kind": "exact", "tf_adjusted": 1}, "true or false"),
        ({"label": "x", "kind": "else", "tf_adjusted": True}, "cannot be term-frequency adjusted"),
        ({"label": "", "kind": "exact"}, "label"),
    ],
)
def test_bad_levels_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ComparisonSpecError, match=message):
        ComparisonLevel(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ((ComparisonLevel("exact", "exact"), ComparisonLevel("else", "else")), "needs 3"),
        (
            (ComparisonLevel("exact", "exact"), ComparisonLevel("p", "phonetic"), ComparisonLevel("else", "else")),
            "level 0 must be of kind 'null'",
        ),
        (
            (ComparisonLevel("null", "null"), ComparisonLevel("exact", "exact"), ComparisonLevel("p", "phonetic")),
            "last level must be of kind 'else'",
        ),
        (_levels(ComparisonLevel("exact", "exact"), ComparisonLevel("n2", "null")), "cannot be 'null'"),
        (_levels(ComparisonLevel("exact", "exact"), ComparisonLevel("exact", "phonetic")), "unique"),
        (_levels(ComparisonLevel("p", "phonetic", tf_adjusted=True)), "needs an 'exact' or 'date_exact' level"),
        (tuple(_levels(*(ComparisonLevel(f"l{i}", "phonetic") for i in range(126)))), "needs 3 to 127"),
    ],
)
def test_bad_comparisons_are_refused_naming_the_field(levels: tuple[ComparisonLevel, ...], message: str) -> None:
    with pytest.raises(ComparisonSpecError, match=message) as caught:
        Comparison("last_name", levels)
    assert caught.value.field == "last_name"
    assert "last_name" in str(caught.value)
    assert isinstance(caught.value, MatcherError)


def test_from_dict_names_the_field_of_a_bad_level() -> None:
    data = _first_name().to_dict()
    data["levels"][3]["threshold"] = 7
    with pytest.raises(ComparisonSpecError, match="outside") as caught:
        Comparison.from_dict(data)
    assert caught.value.field == "first_name"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["levels"][1].update(treshold=0.5),
        lambda d: d.update(extra=1),
        lambda d: d.pop("levels"),
        lambda d: d["levels"][1].pop("kind"),
        lambda d: d.update(levels="exact"),
    ],
)
def test_from_dict_refuses_unknown_or_missing_keys(mutate: object) -> None:
    data = _first_name().to_dict()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ComparisonSpecError, match="first_name"):
        Comparison.from_dict(data)


def test_from_dict_refuses_non_objects() -> None:
    with pytest.raises(ComparisonSpecError):
        Comparison.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ComparisonSpecError):
        ComparisonLevel.from_dict("exact")  # type: ignore[arg-type]


def test_check_gamma_accepts_levels_in_range() -> None:
    gamma = np.array([[0, 0], [6, 6], [3, 1]], dtype=np.int8)
    check_gamma(gamma, [_first_name(), _dob()])
    check_gamma(np.zeros((0, 2), dtype=np.int8), [_first_name(), _dob()])


@pytest.mark.parametrize(
    ("gamma", "message", "field"),
    [
        (np.zeros(3, dtype=np.int8), "2-D", None),
        (np.zeros((3, 2), dtype=np.float32), "integer", None),
        (np.zeros((3, 3), dtype=np.int8), "3 columns for 2", None),
        (np.array([[0, 7]], dtype=np.int8), "0…6", "dob"),
        (np.array([[-1, 0]], dtype=np.int8), "0…6", "first_name"),
    ],
)
def test_check_gamma_refuses(gamma: np.ndarray, message: str, field: str | None) -> None:
    with pytest.raises(GammaError, match=message) as caught:
        check_gamma(gamma, [_first_name(), _dob()])
    assert caught.value.field == field
