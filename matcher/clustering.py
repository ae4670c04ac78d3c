"""Clusters of records from scored pairs, guarded against chains through weak links.

Plain connected components over the pairs above a threshold let one false link merge two
people's clusters, and a chain of links (A–B strong, B–C strong, A–C scored and clearly
different) merge records that the model itself says are different people. Here the links
are taken strongest first (union–find), and two clusters are merged only when the mean
probability of *every scored pair between them* is at least ``min_mean``: a link that would join
A's cluster to C's while A–C was scored low is refused, and so is the weaker link of a chain.
Pairs that were never scored (not candidates) give no evidence either way.

The cost of a merge is the scored pairs of the smaller cluster's members, so the whole run is
about O(pairs · log n) for the cluster sizes a register has (a few records per person).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from matcher.errors import MatcherError

__all__ = ["ClusteringError", "cluster_pairs"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class ClusteringError(MatcherError):
    """The pairs given to `cluster_pairs` are not valid (shapes, row numbers, probabilities)."""


@numba.njit(cache=True, nogil=True)
def _find(parent: IntArray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        nxt = parent[i]
        parent[i] = root
        i = nxt
    return root


@numba.njit(cache=True, nogil=True)
def _cluster(
    n: int,
    left: IntArray,
    right: IntArray,
    prob: FloatArray,
    order: IntArray,
    threshold: float,
    min_mean: float,
    offsets: IntArray,
    neighbours: IntArray,
    neighbour_prob: FloatArray,
) -> tuple[IntArray, int]:
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)
    next_member = np.arange(n)  # circular list of each cluster's members
    refused = 0
    for k in order:
        if prob[k] < threshold:
            break
        a = _find(parent, left[k])
        b = _find(parent, right[k])
        if a == b:
            continue
        if size[a] > size[b]:
            a, b = b, a
        # Every scored pair between the smaller cluster (a) and b.
        total = 0.0
        count = 0
        member = a
        while True:
            for e in range(offsets[member], offsets[member + 1]):
                if _find(parent, neighbours[e]) == b:
                    total += neighbour_prob[e]
                    count += 1
            member = next_member[member]
            if member == a:
                break
        if count > 0 and total / count < min_mean:
            refused += 1
            continue
        parent[a] = b
        size[b] += size[a]
        next_member[a], next_member[b] = next_member[b], next_member[a]  # splice the two circles
    roots = np.empty(n, dtype=np.int64)
    for i in range(n):
        roots[i] = _find(parent, i)
    return roots, refused


def cluster_pairs(
    n_records: int,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    probabilities: npt.ArrayLike,
    threshold: float,
    min_mean: float | None = None,
) -> tuple[IntArray, int]:
    """Cluster ids (0..clusters-1, numbered by each cluster's first record) of ``n_records`` records.

    ``left``/``right`` are the row numbers of *every* scored pair and ``probabilities`` theirs;
    pairs at or above ``threshold`` are links; ``min_mean`` (default ``threshold``) is the guard.
    Returns the cluster id of each record and how many links the guard refused.
    """
    a = np.asarray(left, dtype=np.int64)
    b = np.asarray(right, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    if not (a.shape == b.shape == p.shape and a.ndim == 1):
        raise ClusteringError(
            f"left, right and probabilities must be 1-d of one length, got {a.shape} {b.shape} {p.shape}"
        )
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= n_records):
        raise ClusteringError(f"row numbers must lie in [0, {n_records})")
    if np.isnan(p).any() or (p.size and (p.min() < 0 or p.max() > 1)):
        raise ClusteringError("probabilities must lie in [0, 1]")
    for name, value in (("threshold", threshold), ("min_mean", min_mean if min_mean is not None else threshold)):
        if not 0.0 <= value <= 1.0:
            raise ClusteringError(f"{name} must lie in [0, 1], got {value!r}")
    guard = threshold if min_mean is None else min_mean
    # Only records with a link can join a cluster, and the guard only reads pairs between two
    # clusters that merge: a pair with an unlinked end can never count. Leave those out.
    linked = np.zeros(n_records, dtype=bool)
    strong = p >= threshold
    linked[a[strong]] = True
    linked[b[strong]] = True
    useful = linked[a] & linked[b]
    a, b, p = a[useful], b[useful], p[useful]
    # Both directions of every scored pair, grouped by record (CSR).
    ends = np.concatenate((a, b))
    others = np.concatenate((b, a))
    both = np.concatenate((p, p))
    by_record = np.argsort(ends, kind="stable")
    offsets = np.zeros(n_records + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends, minlength=n_records), out=offsets[1:])
    order = np.argsort(-p, kind="stable").astype(np.int64)
    roots, refused = _cluster(
        n_records, a, b, p, order, float(threshold), float(guard), offsets, others[by_record], both[by_record]
    )
    _, ids = np.unique(roots, return_inverse=True)
    # Number clusters by their first record, so ids do not depend on the order of the pairs.
    first = np.full(int(ids.max()) + 1 if ids.size else 0, n_records, dtype=np.int64)
    np.minimum.at(first, ids, np.arange(n_records))
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[ids].astype(np.int64), int(refused)
