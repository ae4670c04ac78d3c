"""Deterministic 64-bit hashing of strings and integers, and factorising values, over whole arrays.

Blocking keys and name-vector buckets must be the same in every process, batch and index, so
Python's salted ``hash`` is out; these are splitmix64 rounds over code points, compiled by Numba.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["MISSING", "factorize", "hash_strings", "int_factorize", "mix"]

IntArray = npt.NDArray[np.int64]
KeyArray = npt.NDArray[np.uint64]

# The hash of a missing value; real values never hash to it.
MISSING: Final = np.uint64(0)


def hash_strings(values: Sequence[str] | npt.NDArray[np.str_]) -> KeyArray:
    """A deterministic 64-bit hash of each string: its code points, two per splitmix64 round,
    then its length; never 0, which means missing. The same for a string whatever the other
    strings in the call.

    One compiled pass over the strings' code points (`_hash_code_points`): a query of one record
    hashes a few short strings, where a numpy round per pair of characters cost more than the
    hashing (enrolment's blocking keys: 0.39 of 0.96 s for 100 queries, measured with cProfile).
    """
    if len(values) == 0:
        return np.zeros(0, np.uint64)
    text = np.array(values, dtype=str)
    width = text.dtype.itemsize // 4
    lengths = np.strings.str_len(text).astype(np.int64)
    points = text.view(np.uint32).reshape(len(text), width) if width else np.zeros((len(text), 0), np.uint32)
    return _hash_code_points(points, lengths)


@numba.njit(nogil=True, cache=True, inline="always")
def _mix_one(x: np.uint64) -> np.uint64:
    """splitmix64's finaliser (uint64 arithmetic wraps, as wanted; every constant is a uint64,
    or Numba would compute in floating point)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@numba.njit(nogil=True, cache=True)
def _hash_code_points(points: npt.NDArray[np.uint32], lengths: IntArray) -> KeyArray:  # pragma: no cover - compiled
    """Row i's hash: code points (i, 2k) and (i, 2k+1) mixed in per round while 2k < its length
    (a missing second point is 0), then the length; 0 becomes 1."""
    n, width = points.shape
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = np.uint64(0x243F6A8885A308D3)
        length = lengths[i]
        for j in range(0, length, 2):
            pair = np.uint64(points[i, j]) << np.uint64(32)
            if j + 1 < width:
                pair = pair | np.uint64(points[i, j + 1])
            h = _mix_one(h ^ pair)
        h = _mix_one(h ^ np.uint64(length))
        out[i] = h if h != MISSING else np.uint64(1)
    return out


@numba.vectorize(["uint64(uint64)"], nopython=True, cache=True)
def _mix_ufunc(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    return _mix_one(x)


_MIX = _mix_ufunc.ufunc  # the plain numpy ufunc: 0.5 µs a call on one key, against Numba's wrapper's 1.5


def mix(x: KeyArray) -> KeyArray:
    """splitmix64's finaliser on every element of an array, as a compiled ufunc (measured on one
    key: 0.5 µs, against 7.5 µs for the formula's five numpy operations)."""
    return _MIX(x)


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
