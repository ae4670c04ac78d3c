"""Pair-list helpers: ranges and the union of pairs from several sources."""

from __future__ import annotations

import numpy as np
import pytest

from indexer._pairs import ranges, union_pairs


def test_ranges() -> None:
    out = ranges(np.array([5, 0, 9], np.int64), np.array([2, 3, 0], np.int64))
    assert out.tolist() == [5, 6, 0, 1, 2]
    assert ranges(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []


@pytest.mark.parametrize("bits", [3, 40])  # packed into one sort, and the argsort fallback
def test_union_keeps_each_pair_once_with_all_its_sources(bits: int) -> None:
    rng = np.random.default_rng(bits)
    n = 50 if bits < 10 else 3_000_000
    lefts, rights, masks = [], [], []
    expected: dict[tuple[int, int], int] = {}
    for source in range(bits if bits < 10 else 3):
        bit = 1 << (source if bits < 10 else 39 - source)
        a = rng.integers(0, min(n, 60), 40)
        b = rng.integers(0, min(n, 60), 40)
        keep = a != b
        left, right = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
        lefts.append(left)
        rights.append(right)
        masks.append(np.full(len(left), bit, np.uint64))
        for pair in zip(left.tolist(), right.tolist(), strict=True):
            expected[pair] = expected.get(pair, 0) | bit
    left, right, mask = union_pairs(lefts, rights, masks, n)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == sorted(expected)
    assert mask.tolist() == [expected[p] for p in sorted(expected)]


def test_union_of_nothing() -> None:
    left, right, mask = union_pairs([], [], [], 10)
    assert len(left) == len(right) == len(mask) == 0
