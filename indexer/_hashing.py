"""Deterministic 64-bit hashing of strings and integers, and factorising values, over whole arrays.

Blocking keys and name-vector buckets must be the same in every process, batch and index, so
Python's salted ``hash`` is out; these are splitmix64 rounds over code points in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["MISSING", "factorize", "hash_strings", "int_factorize", "mix"]

IntArray = npt.NDArray[np.int64]
KeyArray = npt.NDArray[np.uint64]

# The hash of a missing value; real values never hash to it.
MISSING: Final = np.uint64(0)


def hash_strings(values: Sequence[str] | npt.NDArray[np.str_]) -> KeyArray:
    """A deterministic 64-bit hash of each string: its code points, two per splitmix64 round,
    then its length; never 0, which means missing. Vectorised over the strings, and the same
    for a string whatever the other strings in the call."""
    if len(values) == 0:
        return np.zeros(0, np.uint64)
    text = np.array(values, dtype=str)
    width = text.dtype.itemsize // 4
    lengths = np.strings.str_len(text).astype(np.int64)
    h = np.full(len(text), np.uint64(0x243F6A8885A308D3), dtype=np.uint64)
    if width:
        points = text.view(np.uint32).reshape(len(text), width).astype(np.uint64)
        if width % 2:
            points = np.concatenate((points, np.zeros((len(text), 1), np.uint64)), axis=1)
        for j in range(0, points.shape[1], 2):
            step = mix(h ^ ((points[:, j] << np.uint64(32)) | points[:, j + 1]))
            h = np.where(lengths > j, step, h)
    h = mix(h ^ lengths.astype(np.uint64))
    h[h == MISSING] = np.uint64(1)
    return h


def mix(x: KeyArray) -> KeyArray:
    """splitmix64's finaliser, on whole arrays (uint64 arithmetic wraps, as wanted)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def factorize(values: Sequence[Any]) -> tuple[IntArray, list[Any]]:
    """Codes into the distinct values (in order of first appearance) and those values."""
    index = {v: i for i, v in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    return codes, list(index)


def int_factorize(values: IntArray) -> tuple[IntArray, IntArray]:
    """Codes into the distinct integers (in sorted order) and, for each distinct integer, the
    index of one row holding it. Sort-based: no Python loop."""
    if len(values) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return codes, order[new]
