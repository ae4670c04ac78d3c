"""Clusters from scored pairs: links above the threshold join, the chain guard refuses weak joins, ids are stable."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from matcher.clustering import ClusteringError, cluster_pairs
from matcher.errors import MatcherError

SEED = 20_250_301
IntArray = npt.NDArray[np.int64]


def _partition(ids: IntArray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(ids == c).tolist()) for c in np.unique(ids)}


def _canonical(labels: list[int]) -> IntArray:
    """Labels renumbered 0, 1, … in order of each cluster's first record."""
    seen: dict[int, int] = {}
    return np.array([seen.setdefault(label, len(seen)) for label in labels], dtype=np.int64)


def _reference(
    n: int, left: IntArray, right: IntArray, prob: npt.NDArray[np.float64], threshold: float, min_mean: float
) -> tuple[IntArray, int]:
    """The plain-Python twin: links strongest first (ties in the given order); two clusters merge
    only if the mean probability of every scored pair between them is at least ``min_mean``."""
    label = list(range(n))
    refused = 0
    for k in sorted(range(len(prob)), key=lambda k: -prob[k]):
        if prob[k] < threshold:
            break
        a, b = label[left[k]], label[right[k]]
        if a == b:
            continue
        between = [prob[e] for e in range(len(prob)) if {label[left[e]], label[right[e]]} == {a, b}]
        if sum(between) / len(between) < min_mean:
            refused += 1
            continue
        label = [a if x == b else x for x in label]
    return _canonical(label), refused


def test_pairs_at_or_above_the_threshold_join_and_the_others_do_not() -> None:
    ids, refused = cluster_pairs(5, [0, 2, 3], [1, 3, 4], [0.9, 0.5, 0.49], threshold=0.5)
    assert ids.tolist() == [0, 0, 1, 1, 2]  # 2–3 sits exactly on the threshold: a link
    assert refused == 0
    assert ids.dtype == np.int64


def test_a_chain_through_a_pair_scored_as_different_people_is_refused() -> None:
    a, b, c = 0, 1, 2
    ids, refused = cluster_pairs(3, [a, b, a], [b, c, c], [0.95, 0.95, 0.01], threshold=0.5)
    assert ids[a] != ids[c]
    assert refused >= 1
    # One of the two strong links still holds: B is with A or with C.
    assert ids[b] in (ids[a], ids[c])


def test_a_chain_whose_ends_were_never_compared_joins() -> None:
    ids, refused = cluster_pairs(3, [0, 1], [1, 2], [0.95, 0.95], threshold=0.5)
    assert ids.tolist() == [0, 0, 0]
    assert refused == 0


def test_the_guard_follows_min_mean_not_only_the_threshold() -> None:
    # A–B 0.95, B–C 0.95, A–C 0.30: the mean between {A, B} and C is 0.625.
    pairs = ([0, 1, 0], [1, 2, 2], [0.95, 0.95, 0.30])
    joined, refused_low = cluster_pairs(3, *pairs, threshold=0.5, min_mean=0.6)
    assert joined.tolist() == [0, 0, 0] and refused_low == 0
    split, refused_high = cluster_pairs(3, *pairs, threshold=0.5, min_mean=0.7)
    assert split[0] != split[2] and refused_high == 1


def test_records_without_a_link_are_singletons_numbered_in_order() -> None:
    ids, refused = cluster_pairs(4, [], [], [], threshold=0.5)
    assert ids.tolist() == [0, 1, 2, 3]
    assert refused == 0
    ids, _ = cluster_pairs(4, [0, 1], [3, 2], [0.2, 0.1], threshold=0.5)
    assert ids.tolist() == [0, 1, 2, 3]


def test_ids_are_numbered_by_first_record_whatever_the_order_of_the_pairs() -> None:
    left = np.array([4, 1, 7, 5])
    right = np.array([5, 3, 6, 4])
    prob = np.array([0.9, 0.8, 0.7, 0.9])
    expected = [0, 1, 2, 1, 3, 3, 4, 4]
    rng = np.random.default_rng(SEED)
    for _ in range(10):
        order = rng.permutation(left.size)
        swap = rng.random(left.size) < 0.5  # either record may be on the left
        a = np.where(swap, right, left)[order]
        b = np.where(swap, left, right)[order]
        ids, _ = cluster_pairs(8, a, b, prob[order], threshold=0.5)
        assert ids.tolist() == expected


@pytest.mark.parametrize("seed", range(8))
def test_the_kernel_matches_its_plain_python_twin_on_seeded_random_pairs(seed: int) -> None:
    rng = np.random.default_rng(SEED + seed)
    n = int(rng.integers(5, 40))
    k = int(rng.integers(0, 3 * n))
    left = rng.integers(0, n, size=k)
    right = rng.integers(0, n, size=k)
    keep = left != right
    left, right = left[keep], right[keep]
    # Coarse probabilities make ties, which both sides must break in the pairs' order.
    prob = np.round(rng.random(left.size), 1)
    for threshold, min_mean in ((0.5, 0.5), (0.5, 0.7), (0.3, 0.0), (0.8, 0.5)):
        ids, refused = cluster_pairs(n, left, right, prob, threshold, min_mean)
        expected_ids, expected_refused = _reference(n, left, right, prob, threshold, min_mean)
        assert ids.tolist() == expected_ids.tolist(), (threshold, min_mean)
        assert refused == expected_refused, (threshold, min_mean)


def test_without_the_guard_clusters_are_the_connected_components_of_the_links() -> None:
    rng = np.random.default_rng(SEED)
    n = 300
    left = rng.integers(0, n, size=400)
    right = rng.integers(0, n, size=400)
    prob = rng.random(400)
    ids, refused = cluster_pairs(n, left, right, prob, threshold=0.6, min_mean=0.0)
    assert refused == 0
    # Components by repeated relabelling to the smallest label among linked records.
    label = np.arange(n)
    links = prob >= 0.6
    while True:
        low = np.minimum(label[left[links]], label[right[links]])
        updated = label.copy()
        np.minimum.at(updated, left[links], low)
        np.minimum.at(updated, right[links], low)
        if np.array_equal(updated, label):
            break
        label = updated
    assert _partition(ids) == _partition(label)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, [0], [3], [0.9]), r"row numbers must lie in \[0, 3\)"),
        ((3, [-1], [2], [0.9]), r"row numbers must lie in \[0, 3\)"),
        ((3, [0], [1], [1.5]), r"probabilities must lie in \[0, 1\]"),
        ((3, [0], [1], [-0.1]), r"probabilities must lie in \[0, 1\]"),
        ((3, [0], [1], [float("nan")]), r"probabilities must lie in \[0, 1\]"),
        ((3, [0, 1], [1], [0.9, 0.9]), "1-d of one length"),
        ((3, [0], [1], [0.9, 0.8]), "1-d of one length"),
        ((3, [[0]], [[1]], [[0.9]]), "1-d of one length"),
    ],
)
def test_invalid_pairs_raise_a_clustering_error(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ClusteringError, match=message) as caught:
        n, left, right, prob = args
        cluster_pairs(n, left, right, prob, threshold=0.5)
    assert isinstance(caught.value, MatcherError)


@pytest.mark.parametrize(("threshold", "min_mean", "name"), [(1.5, None, "threshold"), (0.5, -0.1, "min_mean")])
def test_an_out_of_range_threshold_or_guard_names_itself(threshold: float, min_mean: float | None, name: str) -> None:
    with pytest.raises(ClusteringError, match=name):
        cluster_pairs(2, [0], [1], [0.9], threshold, min_mean)
