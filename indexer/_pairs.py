"""Pair lists over whole arrays: ranges, and the union of pairs found by several sources."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["ranges", "union_pairs"]

IntArray = npt.NDArray[np.int64]
MaskArray = npt.NDArray[np.uint64]


def ranges(starts: IntArray, sizes: IntArray) -> IntArray:
    """``concatenate([arange(s, s + z) for s, z in zip(starts, sizes)])`` without a Python loop."""
    total = int(sizes.sum())
    first = np.cumsum(sizes) - sizes
    return np.repeat(starts - first, sizes) + np.arange(total, dtype=np.int64)


def union_pairs(
    lefts: Sequence[IntArray], rights: Sequence[IntArray], masks: Sequence[MaskArray], n: int
) -> tuple[IntArray, IntArray, MaskArray]:
    """Pairs ``left < right`` of rows below ``n`` from several lists, each kept once with the
    OR of its source bits, sorted by (left, right)."""
    if not lefts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint64)
    left, right, mask = np.concatenate(lefts), np.concatenate(rights), np.concatenate(masks)
    if len(left) == 0:
        return left, right, mask
    width = max(n, 1)
    code = left * np.int64(width) + right
    bits = int(mask.max()).bit_length()
    if (width * width) << bits < 1 << 63:
        # The source bits fit below the pair code: one plain sort (several times faster than an
        # argsort) brings each pair's entries together.
        packed = np.sort((code << np.int64(bits)) | mask.astype(np.int64))
        code = packed >> np.int64(bits)
        mask = (packed & np.int64((1 << bits) - 1)).astype(np.uint64)
    else:
        order = np.argsort(code)
        code, mask = code[order], mask[order]
    starts = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1])))
    merged = np.bitwise_or.reduceat(mask, starts)
    code = code[starts]
    return code // width, code % width, merged
