"""The whole-array kernels run serially below `PARALLEL_FROM` items and in parallel chunks above:
both paths give the same answer."""

from __future__ import annotations

import numpy as np

from dedup.training import _mean_posterior
from indexer.candidates import _pair_similarity
from matcher.comparison import Comparison, ComparisonLevel
from matcher.dates import compare_date_pairs
from matcher.kernels import PARALLEL_FROM
from matcher.model import FellegiSunterModel
from matcher.scoring import RecordTable, StringColumn, compute_gamma

NAMES = ["Mohammed", "Mohamed", "Mhamed", "Fatima Zahra", "Zahra Fatima", "", "محمد", "Youssef", "Yousef", "Said"]
LEVELS = Comparison(
    "name",
    (
        ComparisonLevel("null", "null"),
        ComparisonLevel("exact", "exact", tf_adjusted=True),
        ComparisonLevel("phonetic", "phonetic"),
        ComparisonLevel("jw92", "jaro_winkler_at_least", 0.92),
        ComparisonLevel("dl1", "damerau_levenshtein_at_most", 1),
        ComparisonLevel("ts80", "token_set_at_least", 0.8),
        ComparisonLevel("else", "else"),
    ),
)
MANY = 2 * PARALLEL_FROM + 17


def _chunked(function, *arrays, size: int = PARALLEL_FROM // 4):  # type: ignore[no-untyped-def]
    return np.concatenate([function(*(a[s : s + size] for a in arrays)) for s in range(0, len(arrays[0]), size)])


def test_levels_are_the_same_in_parallel_and_serially() -> None:
    rng = np.random.default_rng(3)
    raw = [NAMES[i] for i in rng.integers(0, len(NAMES), 500)]
    table = RecordTable({"name": StringColumn.build(raw, phonetic=lambda s: s[:2].lower())})
    left, right = rng.integers(0, 500, MANY), rng.integers(0, 500, MANY)
    whole = compute_gamma([LEVELS], table, left, right)
    parts = _chunked(lambda a, b: compute_gamma([LEVELS], table, a, b), left, right)
    assert np.array_equal(whole, parts)
    assert len(np.unique(whole)) >= 5


def test_dates_are_the_same_in_parallel_and_serially() -> None:
    rng = np.random.default_rng(4)
    n = 400
    year = rng.integers(1950, 1953, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 13, n)
    precision = rng.integers(0, 4, n)
    left, right = rng.integers(0, n, MANY), rng.integers(0, n, MANY)
    whole = compare_date_pairs(year, month, day, precision, left, right)
    parts = _chunked(lambda a, b: compare_date_pairs(year, month, day, precision, a, b), left, right)
    assert np.array_equal(whole, parts)
    assert len(np.unique(whole)) == 7


def test_evidence_is_the_same_in_parallel_and_serially() -> None:
    rng = np.random.default_rng(5)
    model = FellegiSunterModel(
        (LEVELS,),
        ((0.7, 0.1, 0.08, 0.06, 0.04, 0.02),),
        ((0.01, 0.01, 0.02, 0.03, 0.05, 0.88),),
        0.01,
    )
    gamma = rng.integers(0, LEVELS.n_levels, (MANY, 1)).astype(np.int8)
    tf = rng.uniform(0.001, 0.2, MANY)
    tf[rng.random(MANY) < 0.3] = np.nan
    whole = model.evidence(gamma, {"name": tf}, {"name": tf[::-1].copy()})
    parts = _chunked(lambda g, a, b: model.evidence(g, {"name": a}, {"name": b}), gamma, tf, tf[::-1].copy())
    assert np.array_equal(whole, parts)


def test_similarity_and_posterior_are_the_same_in_parallel_and_serially() -> None:
    rng = np.random.default_rng(6)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    left, right = rng.integers(0, 300, MANY), rng.integers(0, 300, MANY)
    whole = _pair_similarity(vectors, left, right)
    assert np.allclose(whole, np.einsum("ij,ij->i", vectors[left], vectors[right]), atol=1e-5)
    assert np.array_equal(whole, _chunked(lambda a, b: _pair_similarity(vectors, a, b), left, right))
    bits = rng.normal(0, 8, MANY)
    small = bits[: PARALLEL_FROM // 2]
    assert np.isclose(_mean_posterior(bits, -3.0), np.mean(1 / (1 + np.exp2(-(bits - 3.0)))), rtol=1e-9)
    assert np.isclose(_mean_posterior(small, -3.0), np.mean(1 / (1 + np.exp2(-(small - 3.0)))), rtol=1e-9)
