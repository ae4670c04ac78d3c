"""Training without labels on simulated pairs whose true m, u and λ are known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from matcher.comparison import Comparison, ComparisonLevel
from matcher.errors import MatcherError, TrainingError
from matcher.model import FellegiSunterModel
from matcher.training import _aggregate, estimate_m_em, estimate_u, term_frequencies, train


def _comparison(field: str, *middle: ComparisonLevel) -> Comparison:
    return Comparison(field, (ComparisonLevel("null", "null"), *middle, ComparisonLevel("else", "else")))


COMPARISONS = (
    _comparison(
        "first_name",
        ComparisonLevel("exact", "exact", tf_adjusted=True),
        ComparisonLevel("phonetic", "phonetic"),
        ComparisonLevel("jw_0.9", "jaro_winkler_at_least", 0.9),
    ),
    _comparison(
        "last_name", ComparisonLevel("exact", "exact"), ComparisonLevel("jw_0.88", "jaro_winkler_at_least", 0.88)
    ),
    _comparison(
        "dob",
        ComparisonLevel("exact", "date_exact"),
        ComparisonLevel("one_digit", "date_one_digit"),
        ComparisonLevel("within_year", "date_within_year"),
    ),
    _comparison("sex", ComparisonLevel("exact", "exact")),
    _comparison("commune", ComparisonLevel("exact", "exact")),
)
# True parameters over the non-null levels (level 1 first); nulls are missing at random.
TRUE_M = (
    np.array([0.80, 0.10, 0.06, 0.04]),
    np.array([0.85, 0.10, 0.05]),
    np.array([0.75, 0.10, 0.10, 0.05]),
    np.array([0.97, 0.03]),
    np.array([0.70, 0.30]),
)
TRUE_U = (
    np.array([0.01, 0.02, 0.05, 0.92]),
    np.array([0.005, 0.03, 0.965]),
    np.array([0.0005, 0.005, 0.05, 0.9445]),
    np.array([0.50, 0.50]),
    np.array([0.05, 0.95]),
)
NULL_RATE = (0.05, 0.02, 0.10, 0.01, 0.20)
TRUE_PRIOR = 0.15


def simulate(n: int, prior: float, seed: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Gamma of n pairs, each a match with probability ``prior``, levels drawn from TRUE_M/TRUE_U."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < prior
    gamma = np.empty((n, len(COMPARISONS)), dtype=np.int8)
    for f in range(len(COMPARISONS)):
        draw = rng.random(n)
        level_if_match = np.searchsorted(np.cumsum(TRUE_M[f])[:-1], draw, side="right")
        level_if_not = np.searchsorted(np.cumsum(TRUE_U[f])[:-1], draw, side="right")
        gamma[:, f] = np.where(is_match, level_if_match, level_if_not) + 1
        gamma[rng.random(n) < NULL_RATE[f], f] = 0
    return gamma, is_match


@dataclass(frozen=True)
class Simulated:
    random: npt.NDArray[np.int8]
    blocked: npt.NDArray[np.int8]
    is_match: npt.NDArray[np.bool_]


@pytest.fixture(scope="module")
def data() -> Simulated:
    # Random pairs: about one in the population's size is a match, i.e. none at this scale.
    random, _ = simulate(500_000, 1e-6, seed=1)
    blocked, is_match = simulate(2_000_000, TRUE_PRIOR, seed=2)
    return Simulated(random=random, blocked=blocked, is_match=is_match)


@pytest.fixture(scope="module")
def model(data: Simulated) -> FellegiSunterModel:
    names = ["mohammed"] * 300 + ["fatima"] * 200 + ["zakaria"] * 3 + ["ذكرياء"] + [None, ""]
    return train(data.random, data.blocked, COMPARISONS, {"first_name": term_frequencies(names)})


# -- u ---------------------------------------------------------------------------------------------


def test_u_from_random_pairs_is_within_a_hundredth(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    for field, estimate, truth in zip(COMPARISONS, u, TRUE_U, strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.01, err_msg=field.field)
        assert estimate.sum() == pytest.approx(1.0)


def test_unseen_levels_get_a_floor() -> None:
    gamma = np.array([[1, 2, 4, 2, 2]] * 10 + [[0, 0, 0, 0, 0]] * 5, dtype=np.int8)
    u = estimate_u(gamma, COMPARISONS)
    assert all(np.all(v > 0) and v.sum() == pytest.approx(1.0) for v in u)
    assert u[0][1] == pytest.approx(0.05 / 1.15)  # half a pair in ten, three levels raised, renormalised
    fixed = estimate_u(gamma, COMPARISONS, floor=1e-4)
    assert fixed[0][1] == pytest.approx(1e-4, rel=1e-3)


def test_u_needs_data_in_every_field() -> None:
    gamma = np.ones((10, 5), dtype=np.int8)
    gamma[:, 3] = 0
    with pytest.raises(TrainingError, match="'sex'"):
        estimate_u(gamma, COMPARISONS)
    with pytest.raises(TrainingError, match="floor"):
        estimate_u(np.ones((10, 5), dtype=np.int8), COMPARISONS, floor=0.0)


# -- m and λ by EM ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prior_init", [0.01, 0.1, 0.5])
def test_em_recovers_m_and_prior_without_labels(data: Simulated, prior_init: float) -> None:
    u = estimate_u(data.random, COMPARISONS)
    result = estimate_m_em(data.blocked, COMPARISONS, u, prior_init=prior_init)
    assert result.converged and result.n_iter < 200
    for field, estimate, truth in zip(COMPARISONS, result.m, TRUE_M, strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.03, err_msg=field.field)
    observed = data.is_match.mean()
    assert abs(result.prior - observed) < 0.3 * observed
    assert result.u is not None and all(a is b for a, b in zip(result.u, u, strict=True))


def test_em_from_given_initial_m(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    flat = [np.full(k.n_levels - 1, 1 / (k.n_levels - 1)) for k in COMPARISONS]
    flat[0] = np.array([0.4, 0.3, 0.2, 0.1])  # symmetric starts cannot tell matches apart
    result = estimate_m_em(data.blocked[:400_000], COMPARISONS, u, initial_m=flat)
    for estimate, truth in zip(result.m, TRUE_M, strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.03)


def test_em_with_free_u_also_recovers_u(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    result = estimate_m_em(data.blocked, COMPARISONS, u, fix_u=False)
    assert result.converged
    for estimate, truth in zip(result.u, TRUE_U, strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.01)
    for estimate, truth in zip(result.m, TRUE_M, strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.03)


def test_em_never_lowers_the_likelihood(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    runs = [estimate_m_em(data.blocked[:200_000], COMPARISONS, u, max_iter=k) for k in (1, 2, 3, 5, 10)]
    likelihoods = [r.log_likelihood for r in runs]
    assert likelihoods == sorted(likelihoods)
    assert not runs[0].converged and runs[0].n_iter == 1


def test_all_null_pairs_change_nothing(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    blocked = data.blocked[:300_000]
    padded = np.vstack([blocked, np.zeros((100_000, len(COMPARISONS)), dtype=np.int8)])
    plain = estimate_m_em(blocked, COMPARISONS, u, tol=1e-10, max_iter=2000)
    with_nulls = estimate_m_em(padded, COMPARISONS, u, tol=1e-10, max_iter=2000)
    assert with_nulls.prior == pytest.approx(plain.prior, abs=1e-6)
    for a, b in zip(plain.m, with_nulls.m, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_excluded_field_keeps_its_m_and_gives_no_evidence(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    blocked = data.blocked.copy()
    blocked[:, 4] = 1  # as if blocked on commune: every pair agrees, EM could learn nothing from it
    initial = [np.array([0.7, 0.1, 0.1, 0.1]), TRUE_M[1], TRUE_M[2], TRUE_M[3], np.array([0.6, 0.4])]
    result = estimate_m_em(blocked, COMPARISONS, u, initial_m=initial, exclude_fields={"commune"})
    np.testing.assert_array_equal(result.m[4], [0.6, 0.4])
    for estimate, truth in zip(result.m[:4], TRUE_M[:4], strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.03)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prior_init": 0.0}, "prior_init"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": 0.0}, "tol"),
        ({"exclude_fields": {"mother"}}, "mother"),
        ({"initial_m": TRUE_M[:4]}, "one vector per comparison"),
        ({"initial_m": (*TRUE_M[:4], np.array([0.5, 0.3, 0.2]))}, "'commune'.*2 probabilities"),
        ({"initial_m": (*TRUE_M[:4], np.array([0.5, 0.6]))}, "'commune'.*sum to 1"),
    ],
)
def test_em_refuses_bad_arguments(data: Simulated, kwargs: dict[str, object], message: str) -> None:
    u = estimate_u(data.random, COMPARISONS)
    with pytest.raises(TrainingError, match=message):
        estimate_m_em(data.blocked[:1000], COMPARISONS, u, **kwargs)  # type: ignore[arg-type]


def test_em_refuses_empty_input_and_fields_null_throughout(data: Simulated) -> None:
    u = estimate_u(data.random, COMPARISONS)
    with pytest.raises(TrainingError, match="at least one"):
        estimate_m_em(data.blocked[:0], COMPARISONS, u)
    blocked = data.blocked[:1000].copy()
    blocked[:, 2] = 0
    with pytest.raises(TrainingError, match="'dob'"):
        estimate_m_em(blocked, COMPARISONS, u)
    assert estimate_m_em(blocked, COMPARISONS, u, exclude_fields=["dob"]).converged
    with pytest.raises(TrainingError, match="'last_name'"):
        estimate_m_em(data.blocked[:10], COMPARISONS, (*u[:1], u[0], *u[2:]))


@pytest.mark.parametrize("n_fields", [3, 11, 41])  # bincount, sort, and row-sort paths
def test_patterns_are_counted_exactly(n_fields: int) -> None:
    rng = np.random.default_rng(n_fields)
    n_levels = [3 + (f % 5) for f in range(n_fields)]
    # Few distinct rows repeated many times, as real gamma is.
    distinct = np.stack([rng.integers(0, k, size=50) for k in n_levels], axis=1).astype(np.int8)
    gamma = distinct[rng.integers(0, 50, size=20_000)]
    patterns, counts = _aggregate(gamma, n_levels)
    rows, row_counts = np.unique(gamma.astype(np.int64), axis=0, return_counts=True)
    order = np.lexsort(patterns.T[::-1])
    np.testing.assert_array_equal(patterns[order], rows)
    np.testing.assert_array_equal(counts[order], row_counts)


# -- the trained model ----------------------------------------------------------------------------


def test_trained_model_weights_fall_as_agreement_weakens(model: FellegiSunterModel) -> None:
    for comparison in model.comparisons:
        weights = model.level_weights(comparison.field)
        assert weights[0] == 0.0
        assert np.all(np.diff(weights[1:]) < 0), comparison.field


def test_trained_model_probabilities_are_calibrated(data: Simulated, model: FellegiSunterModel) -> None:
    p = model.probabilities(model.match_weights(data.blocked))
    assert np.all((p >= 0) & (p <= 1))
    bins = np.digitize(p, np.linspace(0, 1, 11)[1:-1])
    checked = 0
    for b in range(10):
        in_bin = bins == b
        if in_bin.sum() >= 1000:
            assert abs(p[in_bin].mean() - data.is_match[in_bin].mean()) <= 0.05, f"bin {b}"
            checked += 1
    assert checked >= 5


def test_trained_model_ranks_matches_above_non_matches(data: Simulated, model: FellegiSunterModel) -> None:
    weights = model.match_weights(data.blocked[:100_000])
    truth = data.is_match[:100_000]
    assert np.median(weights[truth]) > 5 > -5 > np.median(weights[~truth])


def test_trained_model_round_trips_and_adjusts_for_name_frequency(model: FellegiSunterModel) -> None:
    assert FellegiSunterModel.from_json(model.to_json()) == model
    table = model.tf_table("first_name")
    assert table is not None and table.values[0] == "mohammed"
    tf = model.term_frequencies("first_name", ["mohammed", "zakaria"])
    gamma = np.ones((2, len(COMPARISONS)), dtype=np.int8)
    weights = model.match_weights(gamma, {"first_name": tf}, {"first_name": tf})
    assert weights[0] < weights[1]


def test_train_refuses_unconverged_em(data: Simulated) -> None:
    with pytest.raises(TrainingError, match="did not converge"):
        train(data.random, data.blocked[:10_000], COMPARISONS, max_iter=1)
    loose = train(data.random, data.blocked[:10_000], COMPARISONS, max_iter=1, require_convergence=False)
    assert isinstance(loose, FellegiSunterModel)


# -- term frequencies -----------------------------------------------------------------------------


def test_term_frequencies_count_non_missing_values() -> None:
    freqs = term_frequencies(["mohammed", "mohammed", "zakaria", None, "", "محمد"])
    assert freqs == {"mohammed": 0.5, "zakaria": 0.25, "محمد": 0.25}
    assert term_frequencies(np.array(["a", "b", "a", "a"])) == {"a": 0.75, "b": 0.25}
    assert term_frequencies([None, ""]) == {}


def test_training_errors_are_matcher_errors() -> None:
    assert issubclass(TrainingError, MatcherError)
    with pytest.raises(TrainingError):
        term_frequencies(np.array([["a"]]))
