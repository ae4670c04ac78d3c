"""Training a Fellegi–Sunter model on the records themselves (no labels), and scoring pairs with it.

u comes from random pairs (nearly all of them different people). m is learnt by EM in rounds, as
Splink trains: each round runs over the pairs that share one identifier's exact value (CIN,
phone; social security number, date of birth) and leaves that field out, since its agreement
there is forced, not evidence; a field's m is the mean over the rounds that learnt it. λ is then
found by EM over the candidate pairs with m and u fixed, so that a probability is that of a
candidate pair. No label enters training or the threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from dedup.features import RecordFeatures
from matcher.kernels import PARALLEL_FROM
from matcher.model import FellegiSunterModel
from matcher.training import term_frequencies, train

__all__ = [
    "ComparedPairs",
    "ScoredPairs",
    "compare_pairs",
    "estimate_prior",
    "groups_pairs",
    "pair_evidence",
    "random_pairs",
    "score_pairs",
    "train_model",
    "u_sample_size",
    "value_codes",
    "weigh_pairs",
]

IntArray = npt.NDArray[np.int64]
MAX_TRAINING_BLOCK = 1_000


def value_codes(values: Sequence[Any] | npt.NDArray[Any]) -> IntArray:
    """Integer code of each value, -1 where it is missing ("" or 0)."""
    array = np.asarray(values, dtype=object)
    codes = pd.factorize(array)[0].astype(np.int64)
    codes[(array == "") | (array == 0)] = -1
    return codes


def groups_pairs(codes: IntArray, max_block: int | None = None) -> tuple[IntArray, IntArray, int]:
    """Every pair (i < j) of records with the same non-negative code, and how many blocks were too big.

    Blocks are handled by size: all blocks of size s form a (blocks × s) matrix of record indices,
    whose upper-triangle columns give the pairs, so no Python loop runs per block.
    """
    idx = np.flatnonzero(codes >= 0)
    idx = idx[np.argsort(codes[idx], kind="stable")]
    sorted_codes = codes[idx]
    if idx.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, 0
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, sorted_codes.size])
    lefts: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    rights: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    skipped = 0
    for size in np.unique(sizes):
        if size < 2:
            continue
        if max_block is not None and size > max_block:
            skipped += int(np.sum(sizes == size))
            continue
        members = idx[starts[sizes == size][:, None] + np.arange(size)]
        upper_i, upper_j = np.triu_indices(int(size), 1)
        a, b = members[:, upper_i].ravel(), members[:, upper_j].ravel()
        lefts.append(np.minimum(a, b))
        rights.append(np.maximum(a, b))
    return np.concatenate(lefts), np.concatenate(rights), skipped


def random_pairs(n_records: int, n: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """About ``n`` pairs (i < j) drawn uniformly among all pairs of ``n_records`` records."""
    a = rng.integers(0, n_records, size=n)
    b = rng.integers(0, n_records, size=n)
    keep = a != b
    return np.minimum(a, b)[keep], np.maximum(a, b)[keep]


def u_sample_size(n_records: int, wanted: int) -> int:
    """How many random pairs estimate u: ``wanted``, but no more than 20 per record (at least 1,000)."""
    return min(wanted, max(n_records * 20, 1000))


def estimate_prior(bayes_bits: npt.NDArray[np.float64], start: float = 0.1, tol: float = 1e-9) -> float:
    """λ of a set of pairs by EM with m and u fixed: the mean posterior, iterated to a fixed point."""
    prior = start
    bits = np.ascontiguousarray(bayes_bits, dtype=np.float64)
    for _ in range(10_000):
        updated = float(np.clip(_mean_posterior(bits, np.log2(prior) - np.log2(1 - prior)), 1e-12, 1 - 1e-12))
        if abs(updated - prior) < tol:
            return updated
        prior = updated
    return prior


def _mean_posterior(bits: npt.NDArray[np.float64], prior_bits: float) -> float:
    """The mean of `weight_to_probability` of ``prior_bits + bits``, in parallel for many pairs."""
    if bits.size < PARALLEL_FROM:
        return float(_posterior_sum(bits, prior_bits)) / max(bits.size, 1)
    return float(_posterior_sum_parallel(bits, prior_bits)) / bits.size


@numba.njit(nogil=True, cache=True, inline="always")
def _posterior(w):
    small = np.exp2(-abs(w))
    return 1.0 / (1.0 + small) if w >= 0 else small / (1.0 + small)


@numba.njit(nogil=True, cache=True)
def _posterior_sum(bits, prior_bits):
    total = 0.0
    for p in range(bits.size):
        total += _posterior(prior_bits + bits[p])
    return total


@numba.njit(parallel=True, nogil=True, cache=True)
def _posterior_sum_parallel(bits, prior_bits):
    total = 0.0
    for p in numba.prange(bits.size):
        total += _posterior(prior_bits + bits[p])
    return total


@dataclass(frozen=True)
class ComparedPairs:
    """Pairs with their comparison vectors, and whether first and last names were compared crosswise."""

    left: IntArray
    right: IntArray
    gamma: npt.NDArray[np.int8]
    crossed: npt.NDArray[np.bool_]

    @classmethod
    def concatenate(cls, parts: Sequence[ComparedPairs]) -> ComparedPairs:
        return cls(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in ("left", "right", "gamma", "crossed"))
        )


@dataclass(frozen=True)
class ScoredPairs:
    """Pairs with their comparison vectors, match weights (bits) and probabilities."""

    left: IntArray
    right: IntArray
    gamma: npt.NDArray[np.int8]
    weights: npt.NDArray[np.float64]
    probabilities: npt.NDArray[np.float64]


def compare_pairs(features: RecordFeatures, left: IntArray, right: IntArray) -> ComparedPairs:
    """The comparison vectors of pairs of ``features``' records."""
    gamma, crossed = features.gamma_crossed(left, right)
    return ComparedPairs(np.asarray(left, np.int64), np.asarray(right, np.int64), gamma, crossed)


def pair_evidence(model: FellegiSunterModel, features: RecordFeatures, pairs: ComparedPairs) -> npt.NDArray[np.float64]:
    """The fields' total weight of each compared pair (term frequencies from the model's tables),
    without the prior (see `FellegiSunterModel.evidence`)."""
    tf_left: dict[str, npt.NDArray[np.float64]] = {}
    tf_right: dict[str, npt.NDArray[np.float64]] = {}
    for field in features.tf_fields:
        tf_left[field], tf_right[field] = features.term_frequencies(
            model, field, pairs.left, pairs.right, pairs.crossed
        )
    return model.evidence(pairs.gamma, tf_left, tf_right)


def weigh_pairs(
    model: FellegiSunterModel,
    features: RecordFeatures,
    pairs: ComparedPairs,
    evidence: npt.NDArray[np.float64] | None = None,
) -> ScoredPairs:
    """Match weights and probabilities of compared pairs; ``evidence``, when given, is
    `pair_evidence` of a model with the same m, u and term frequencies (training's)."""
    if evidence is None:
        evidence = pair_evidence(model, features, pairs)
    weights = model.with_prior(evidence)
    return ScoredPairs(pairs.left, pairs.right, pairs.gamma, weights.astype(np.float64), model.probabilities(weights))


def score_pairs(model: FellegiSunterModel, features: RecordFeatures, left: IntArray, right: IntArray) -> ScoredPairs:
    """Compare and weigh pairs of ``features``' records with ``model``."""
    return weigh_pairs(model, features, compare_pairs(features, left, right))


def train_model(
    features: RecordFeatures,
    keys: dict[str, npt.NDArray[Any]],
    candidates: ComparedPairs,
    seed: int = 0,
    check: Callable[[], None] | None = None,
) -> tuple[FellegiSunterModel, list[dict[str, Any]], npt.NDArray[np.float64]]:
    """u from random pairs, m by EM in the config's rounds, λ of the candidates; each round's
    figures; and the candidates' evidence (`pair_evidence`), which scoring them reuses.

    ``keys`` holds the values of each training round's key column; ``check`` is called between
    steps (a cancel raises from it).
    """
    check = check or (lambda: None)
    config = features.config
    comparisons = features.comparisons
    rng = np.random.default_rng(seed)
    rand_left, rand_right = random_pairs(features.n, u_sample_size(features.n, config.random_pairs), rng)
    gamma_random = features.gamma(rand_left, rand_right)
    check()
    tf_tables = {field: term_frequencies(features.tf_record_values(field)) for field in features.tf_fields}
    learnt: dict[str, list[npt.NDArray[np.float64]]] = {c.field: [] for c in comparisons}
    stats: list[dict[str, Any]] = []
    trained: FellegiSunterModel | None = None
    rounds = [
        (spec.key, spec.exclude, *groups_pairs(value_codes(keys[spec.key]), MAX_TRAINING_BLOCK))
        for spec in config.training
    ]
    if all(r[2].size == 0 for r in rounds):
        # No two records share any round's key (a small file, or the identifiers are empty):
        # one round over the candidate pairs themselves, learning every field.
        if candidates.left.size == 0:
            raise ValueError("nothing to learn from: no training key is shared and there are no candidate pairs")
        rounds.append(("candidate pairs", (), candidates.left, candidates.right, 0))
    for key, exclude, left, right, skipped in rounds:
        check()
        stats.append({"key": key, "pairs": int(left.size), "blocks_skipped": skipped})
        if left.size == 0:
            continue
        trained = train(
            gamma_random, features.gamma(left, right), comparisons, tf_tables=tf_tables, exclude_fields=exclude
        )
        for comparison, m_round in zip(comparisons, trained.m, strict=True):
            if comparison.field not in exclude:
                learnt[comparison.field].append(np.asarray(m_round))
        stats[-1]["lambda"] = trained.prior
    if trained is None:  # unreachable: some round has pairs
        raise ValueError("no training round found a pair sharing its key")
    m: list[tuple[float, ...]] = []
    for comparison, m_default in zip(comparisons, trained.m, strict=True):
        if learnt[comparison.field]:
            mean = np.mean(learnt[comparison.field], axis=0)
            m.append(tuple((mean / mean.sum()).tolist()))
        else:  # every round that could learn it found no pairs: EM's starting values
            m.append(tuple(m_default))
    provisional = FellegiSunterModel(comparisons, tuple(m), trained.u, 0.5, trained.tf_tables)
    evidence = pair_evidence(provisional, features, candidates)
    prior = estimate_prior(evidence) if evidence.size else 0.5
    model = FellegiSunterModel(comparisons, tuple(m), trained.u, prior, trained.tf_tables)
    return model, stats, evidence
