"""The Fellegi–Sunter model: weights, probabilities, term-frequency adjustment, JSON persistence."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from matcher.comparison import Comparison, ComparisonLevel
from matcher.errors import ComparisonSpecError, GammaError, MatcherError, ModelError, ModelFormatError
from matcher.model import (
    FORMAT_VERSION,
    FellegiSunterModel,
    TermFrequencyTable,
    probability_to_weight,
    weight_to_probability,
)

FIRST_NAME = Comparison(
    "first_name",
    (
        ComparisonLevel("null", "null"),
        ComparisonLevel("exact", "exact", tf_adjusted=True),
        ComparisonLevel("phonetic", "phonetic"),
        ComparisonLevel("jw_0.9", "jaro_winkler_at_least", 0.9),
        ComparisonLevel("else", "else"),
    ),
)
DOB = Comparison(
    "dob",
    (
        ComparisonLevel("null", "null"),
        ComparisonLevel("exact", "date_exact"),
        ComparisonLevel("one_digit", "date_one_digit"),
        ComparisonLevel("else", "else"),
    ),
)
SEX = Comparison(
    "sex", (ComparisonLevel("null", "null"), ComparisonLevel("exact", "exact"), ComparisonLevel("else", "else"))
)

M = ((0.8, 0.1, 0.06, 0.04), (0.85, 0.1, 0.05), (0.97, 0.03))
U = ((0.02, 0.03, 0.05, 0.9), (0.0005, 0.005, 0.9945), (0.5, 0.5))
FREQUENCIES = {"mohammed": 0.12, "fatima": 0.08, "zakaria": 0.0015, "ذكرياء": 0.0001, "rare": 0.00001}


def _model(**overrides: object) -> FellegiSunterModel:
    params: dict[str, object] = {
        "comparisons": (FIRST_NAME, DOB, SEX),
        "m": M,
        "u": U,
        "prior": 0.01,
        "tf_tables": (TermFrequencyTable.from_frequencies("first_name", FREQUENCIES, max_values=4),),
    }
    params.update(overrides)
    return FellegiSunterModel(**params)  # type: ignore[arg-type]


# -- weights -------------------------------------------------------------------------------------


def test_level_weights_are_log2_bayes_factors_and_null_is_zero() -> None:
    model = _model()
    for comparison, m, u in zip(model.comparisons, M, U, strict=True):
        expected = [0.0, *(math.log2(a / b) for a, b in zip(m, u, strict=True))]
        np.testing.assert_allclose(model.level_weights(comparison.field), expected)


def test_match_weight_is_prior_plus_field_weights() -> None:
    model = _model()
    gamma = np.array([[1, 1, 1], [4, 3, 2], [0, 0, 0], [2, 0, 1], [3, 2, 0]], dtype=np.int8)
    weights = model.match_weights(gamma)
    assert weights.dtype == np.float32 and weights.shape == (5,)
    prior = math.log2(0.01 / 0.99)
    expected = [
        prior + sum(model.level_weights(f)[level] for f, level in zip(model.fields, row, strict=True)) for row in gamma
    ]
    np.testing.assert_allclose(weights, expected, rtol=1e-6)
    assert weights[2] == pytest.approx(model.prior_weight)
    per_field = model.per_field_weights(gamma)
    assert per_field.dtype == np.float32 and per_field.shape == (5, 3)
    assert np.all(per_field[gamma == 0] == 0)
    np.testing.assert_allclose(per_field.sum(axis=1) + model.prior_weight, weights, rtol=1e-6)


def test_weights_fall_as_agreement_weakens() -> None:
    model = _model()
    for f, comparison in enumerate(model.comparisons):
        gamma = np.ones((comparison.n_levels - 1, 3), dtype=np.int8)
        gamma[:, f] = np.arange(1, comparison.n_levels)
        assert np.all(np.diff(model.match_weights(gamma)) < 0), comparison.field


def test_match_weights_accept_any_integer_dtype_and_empty_input() -> None:
    model = _model()
    gamma = np.array([[1, 2, 1]], dtype=np.int64)
    assert model.match_weights(gamma)[0] == model.match_weights(gamma.astype(np.int8))[0]
    assert model.match_weights(np.zeros((0, 3), dtype=np.int8)).shape == (0,)


def test_gamma_that_does_not_fit_is_refused_naming_the_field() -> None:
    with pytest.raises(GammaError, match="dob"):
        _model().match_weights(np.array([[1, 4, 1]], dtype=np.int8))
    with pytest.raises(GammaError, match="columns"):
        _model().match_weights(np.ones((2, 2), dtype=np.int8))


# -- probabilities -------------------------------------------------------------------------------


def test_probabilities_are_logistic_in_base_2() -> None:
    weights = np.array([-3000.0, -10.0, -1.0, 0.0, 1.0, 10.0, 3000.0])
    p = _model().probabilities(weights)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(np.diff(p) >= 0)
    assert p[0] == 0.0 and p[-1] == 1.0 and p[3] == 0.5
    np.testing.assert_allclose(p[1:-1], 1 / (1 + 2.0 ** -weights[1:-1]))
    np.testing.assert_allclose(probability_to_weight(weight_to_probability(weights[1:-1])), weights[1:-1])


def test_probability_to_weight_refuses_certainties() -> None:
    with pytest.raises(ModelError):
        probability_to_weight([0.5, 1.0])


def test_a_pair_with_no_evidence_gets_the_prior() -> None:
    model = _model()
    p = model.probabilities(model.match_weights(np.zeros((1, 3), dtype=np.int8)))
    assert p[0] == pytest.approx(0.01, rel=1e-6)


# -- term-frequency adjustment -------------------------------------------------------------------


def _exact_first_name(n: int) -> np.ndarray:
    gamma = np.zeros((n, 3), dtype=np.int8)
    gamma[:, 0] = 1
    return gamma


def test_agreeing_on_a_frequent_name_weighs_less_than_on_a_rare_one() -> None:
    model = _model()
    names = ["mohammed", "fatima", "zakaria", "ذكرياء"]
    tf = model.term_frequencies("first_name", names)
    weights = model.match_weights(_exact_first_name(4), {"first_name": tf}, {"first_name": tf})
    assert weights[0] < weights[1] < weights[2] < weights[3]
    unadjusted = model.match_weights(_exact_first_name(1))[0]
    assert weights[0] < unadjusted < weights[2]  # u_exact = 0.02 lies between the frequencies


def test_exact_weight_uses_the_value_frequency_as_u() -> None:
    model = _model()
    tf = np.array([0.12, 0.0015])
    fields = model.per_field_weights(_exact_first_name(2), {"first_name": tf}, {"first_name": tf})
    np.testing.assert_allclose(fields[:, 0], np.log2(0.8 / tf), rtol=1e-6)


def test_adjustment_is_capped() -> None:
    model = _model(tf_adjustment_cap=2.0)
    tf = np.array([1e-9, 0.9])
    fields = model.per_field_weights(_exact_first_name(2), {"first_name": tf})
    base = math.log2(0.8 / 0.02)
    np.testing.assert_allclose(fields[:, 0], [base + 2.0, base - 2.0], rtol=1e-6)


def test_adjustment_applies_only_to_tf_levels_and_known_frequencies() -> None:
    model = _model()
    gamma = np.array([[1, 0, 0], [2, 0, 0], [4, 0, 0], [0, 0, 0], [1, 0, 0]], dtype=np.int8)
    tf = np.array([0.12, 0.12, 0.12, 0.12, np.nan])
    adjusted = model.per_field_weights(gamma, {"first_name": tf})
    plain = model.per_field_weights(gamma)
    assert adjusted[0, 0] < plain[0, 0]
    np.testing.assert_array_equal(adjusted[1:], plain[1:])


def test_the_more_frequent_side_is_used() -> None:
    model = _model()
    left = np.array([0.12, np.nan, 0.001])
    right = np.array([0.001, 0.001, np.nan])
    fields = model.per_field_weights(_exact_first_name(3), {"first_name": left}, {"first_name": right})
    np.testing.assert_allclose(fields[:, 0], np.log2(0.8 / np.array([0.12, 0.001, 0.001])), rtol=1e-6)


def test_bad_term_frequencies_are_refused_naming_the_field() -> None:
    model = _model()
    gamma = _exact_first_name(2)
    with pytest.raises(GammaError, match="first_name"):
        model.match_weights(gamma, {"first_name": np.array([0.1])})
    with pytest.raises(GammaError, match="first_name"):
        model.match_weights(gamma, {"first_name": np.array([0.1, 0.0])})
    with pytest.raises(GammaError, match="dob"):
        model.match_weights(gamma, {"dob": np.array([0.1, 0.1])})
    with pytest.raises(ModelError, match="mother"):
        model.match_weights(gamma, {"mother": np.array([0.1, 0.1])})


def test_term_frequency_table_keeps_the_top_values_and_a_cautious_default() -> None:
    table = TermFrequencyTable.from_frequencies("first_name", FREQUENCIES, max_values=3)
    assert table.values == ("mohammed", "fatima", "zakaria")
    # The most frequent dropped value sets the default, so no unlisted value earns more.
    assert table.default == 0.0001
    found = table.lookup(["zakaria", "ذكرياء", "unknown", None, "", "mohammed"])
    np.testing.assert_array_equal(found[[0, 1, 2, 5]], [0.0015, 0.0001, 0.0001, 0.12])
    assert np.isnan(found[3]) and np.isnan(found[4])
    np.testing.assert_array_equal(table.lookup(np.array(["fatima", "x"])), [0.08, 0.0001])
    everything = TermFrequencyTable.from_frequencies("first_name", FREQUENCIES)
    assert everything.default == 0.00001 and len(everything.values) == 5


def test_term_frequencies_without_a_table_are_unknown() -> None:
    model = _model(tf_tables=())
    assert np.isnan(model.term_frequencies("first_name", ["mohammed"])).all()
    assert model.tf_table("first_name") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": ("a", "a"), "frequencies": (0.1, 0.1), "default": 0.1}, "distinct"),
        ({"values": ("a",), "frequencies": (0.1, 0.2), "default": 0.1}, "as many"),
        ({"values": ("a",), "frequencies": (1.5,), "default": 0.1}, "'a'"),
        ({"values": ("a",), "frequencies": (0.5,), "default": 0.0}, "default"),
        ({"values": (), "frequencies": (), "default": 0.1}, "at least one"),
    ],
)
def test_bad_term_frequency_tables_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        TermFrequencyTable(field="first_name", **kwargs)  # type: ignore[arg-type]


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"m": M[:2]}, "one probability vector per comparison"),
        ({"m": ((0.8, 0.1, 0.1), *M[1:])}, "first_name.*needs one probability per non-null level"),
        ({"u": (U[0], (0.5, 0.4, 0.05), U[2])}, "dob.*sum to 1"),
        ({"m": (M[0], M[1], (1.0, 0.0))}, "sex.*level 2"),
        ({"prior": 1.0}, "prior"),
        ({"prior": True}, "prior"),
        ({"tf_adjustment_cap": 0}, "tf_adjustment_cap"),
        ({"comparisons": (FIRST_NAME, DOB, FIRST_NAME)}, "unique"),
        ({"comparisons": ()}, "at least one"),
        ({"tf_tables": (TermFrequencyTable("dob", ("2000-01-01",), (0.01,), 0.001),)}, "no tf-adjusted level"),
        ({"tf_tables": (TermFrequencyTable("mother", ("a",), (0.01,), 0.001),)}, "not a compared field"),
    ],
)
def test_bad_parameters_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        _model(**overrides)


def test_numpy_parameters_are_stored_as_plain_floats() -> None:
    model = _model(m=tuple(np.array(v) for v in M), prior=np.float64(0.01))
    assert model == _model()
    assert all(type(p) is float for vector in model.m for p in vector) and type(model.prior) is float


# -- persistence ---------------------------------------------------------------------------------


def test_json_round_trip_is_exact() -> None:
    rng = np.random.default_rng(7)
    # Probabilities with every digit significant: a lossy float format would show.
    m = tuple(tuple(rng.dirichlet(np.ones(c.n_levels - 1)).tolist()) for c in (FIRST_NAME, DOB, SEX))
    model = _model(m=m, prior=float(rng.uniform(0, 0.1)))
    text = model.to_json()
    again = FellegiSunterModel.from_json(text)
    assert again == model
    assert again.to_json() == text
    gamma = rng.integers(0, 4, size=(1000, 3)).astype(np.int8)
    gamma[:, 2] = np.minimum(gamma[:, 2], 2)
    np.testing.assert_array_equal(again.match_weights(gamma), model.match_weights(gamma))
    assert "ذكرياء" in text  # Arabic values stay readable in the file


def test_json_layout_carries_version_and_per_level_probabilities() -> None:
    data = json.loads(_model().to_json())
    assert data["format"] == "hawiya.fellegi_sunter" and data["format_version"] == FORMAT_VERSION
    levels = data["comparisons"][1]["levels"]
    assert "m_probability" not in levels[0]
    assert [lv["m_probability"] for lv in levels[1:]] == list(M[1])
    assert data["term_frequencies"][0]["values"][0] == "mohammed"


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 0, "1", None, True])
def test_other_format_versions_are_refused_naming_the_version(version: object) -> None:
    data = json.loads(_model().to_json())
    data["format_version"] = version
    with pytest.raises(ModelFormatError, match=f"format version {version!r}") as caught:
        FellegiSunterModel.from_json(json.dumps(data))
    assert caught.value.version == version
    assert isinstance(caught.value, MatcherError)


def test_constructing_another_version_is_refused() -> None:
    with pytest.raises(ModelFormatError, match="version 2"):
        _model(format_version=2)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("{not json", ModelFormatError, "not valid JSON"),
        ("[]", ModelFormatError, "JSON object"),
        ('{"format": "splink", "format_version": 1}', ModelFormatError, "not a saved"),
        ('{"format": "hawiya.fellegi_sunter", "format_version": 1}', ModelFormatError, "malformed"),
    ],
)
def test_unreadable_files_are_refused(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        FellegiSunterModel.from_json(text)


def test_damaged_contents_are_refused_naming_the_field() -> None:
    data = json.loads(_model().to_json())
    data["comparisons"][1]["levels"][0]["m_probability"] = 0.5
    with pytest.raises(ModelFormatError, match="dob"):
        FellegiSunterModel.from_json(json.dumps(data))
    data = json.loads(_model().to_json())
    del data["comparisons"][2]["levels"][1]["u_probability"]
    with pytest.raises(ModelError, match="sex"):
        FellegiSunterModel.from_json(json.dumps(data))
    data = json.loads(_model().to_json())
    data["comparisons"][0]["levels"][3]["kind"] = "soundex"
    with pytest.raises(ComparisonSpecError, match="first_name"):
        FellegiSunterModel.from_json(json.dumps(data))
    data = json.loads(_model().to_json())
    data["term_frequencies"][0].pop("default")
    with pytest.raises(ModelFormatError):
        FellegiSunterModel.from_json(json.dumps(data))


def test_model_is_hashable_and_immutable() -> None:
    model = _model()
    assert hash(model) == hash(FellegiSunterModel.from_json(model.to_json()))
    with pytest.raises(AttributeError):
        model.prior = 0.5  # type: ignore[misc]
