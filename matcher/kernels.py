"""Numba kernels scoring arrays of string pairs: Jaro-Winkler, Damerau-Levenshtein and token set.

Strings travel as one flat buffer of uint32 codepoints plus int64 offsets (`encode_strings`):
string ``k`` is ``codes[offsets[k]:offsets[k + 1]]``. A batch of pairs is two index arrays,
``left`` into one encoding and ``right`` into another, so a million pairs are scored in one call
without Python loops: the pairs are cut into chunks, chunks run in parallel (`prange`) with the
GIL released, and each chunk allocates its scratch buffers once rather than once per pair.

Each kernel reproduces the definition of its plain-Python twin in `matcher.kernels_reference`
(tests compare them on seeded random inputs). Strings are compared codepoint by codepoint, as
given: normalise them first (`matcher.normalise`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numba
import numpy as np
import numpy.typing as npt
from numba import njit, prange
from numba.cpython.unsafe.numbers import trailing_zeros

from matcher.errors import MatcherError

__all__ = [
    "PARALLEL_FROM",
    "chunking",
    "compile_kernels",
    "damerau_levenshtein_pairs",
    "damerau_levenshtein_similarity_pairs",
    "encode_strings",
    "jaro_winkler_pairs",
    "max_kernel_threads",
    "run_chunked",
    "set_kernel_threads",
    "token_set_similarity_pairs",
]

_Int = TypeVar("_Int", bound=np.integer)

# Keep in step with matcher.kernels_reference (tests check that they agree).
_WINKLER_PREFIX_WEIGHT = 0.1
_WINKLER_MAX_PREFIX = 4
_WINKLER_THRESHOLD = 0.7

# Chunks per thread: more than one evens out chunks that happen to hold long strings; a floor on
# the chunk size keeps scratch allocation negligible for small batches.
_CHUNKS_PER_THREAD = 4
_MIN_CHUNK = 64
# Below this many items the whole-array kernels of the matcher (levels, dates, evidence) run on
# the calling thread: starting a parallel region costs from tens of microseconds to milliseconds
# on a busy machine, more than a few thousand pairs take, and enrolment scores a handful.
PARALLEL_FROM = 1 << 14
# Per-character lookups (Jaro's position sets, Damerau-Levenshtein's last rows) index an array
# directly for codepoints below this bound (ASCII, Latin, Greek, Cyrillic, Arabic and its
# supplement) and take a slower path for the rest.
_DIRECT_CODEPOINTS = 0x800
_EMPTY_KEY = 0  # never a key of the hash table, since only codepoints >= _DIRECT_CODEPOINTS go there


def encode_strings(strings: Sequence[str]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Encode strings as one flat codepoint buffer and ``len(strings) + 1`` offsets.

    >>> codes, offsets = encode_strings(["ali", "", "علي"])
    >>> offsets.tolist()
    [0, 3, 3, 6]
    """
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # One encode of the joined text; surrogatepass keeps lone surrogates as their own codepoint.
    raw = "".join(strings).encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(raw, dtype="<u4").astype(np.uint32)
    return codes, offsets


def max_kernel_threads() -> int:
    """The most threads the kernels can use in this process (``NUMBA_NUM_THREADS``, by default
    the CPU count)."""
    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def set_kernel_threads(n: int) -> None:
    """Cap the threads the kernels use, from the calling thread on.

    Numba keeps this setting per calling thread: a server capping its workers calls this in every
    thread that scores (or sets ``NUMBA_NUM_THREADS`` before Numba is imported, which is the
    ceiling for ``n``).
    """
    ceiling = max_kernel_threads()
    if not 1 <= n <= ceiling:
        raise MatcherError(f"kernel threads must be between 1 and {ceiling} (NUMBA_NUM_THREADS), got {n}")
    numba.set_num_threads(n)


def _run(parallel: Any, serial: Any, args: tuple[Any, ...]) -> Any:
    """A kernel over the checked arguments: serially for a batch of one chunk, else in parallel."""
    if args[4].size <= _MIN_CHUNK:
        return serial(*args)
    return parallel(*args, numba.get_num_threads())


def run_chunked(serial: Any, parallel: Any, n: int, *args: Any) -> None:
    """Run a whole-array kernel over its ``n`` items: ``serial(*args, 0, n)`` on the calling thread
    below PARALLEL_FROM items, else ``parallel(*args, n_threads)``, which splits them by `chunking`.

    The matcher's, indexer's and dedup's whole-array kernels (levels, dates, evidence, pair
    similarity) go through here; the string kernels through `_run`, whose serial version takes
    no range. (The thread count is passed in, not read inside the kernel: a parallel kernel that
    calls numba.get_num_threads() cannot be cached.)
    """
    if n < PARALLEL_FROM:
        serial(*args, 0, n)
    else:
        parallel(*args, numba.get_num_threads())


def jaro_winkler_pairs(
    codes_a: npt.ArrayLike,
    offs_a: npt.ArrayLike,
    codes_b: npt.ArrayLike,
    offs_b: npt.ArrayLike,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> npt.NDArray[np.float32]:
    """Jaro-Winkler similarity of strings ``left[p]`` of A and ``right[p]`` of B, for every p.

    Definition: `matcher.kernels_reference.jaro_winkler` (the same as rapidfuzz's
    ``JaroWinkler.normalized_similarity``).
    """
    return _run(_jaro_winkler_kernel, _jaro_winkler_serial, _checked(codes_a, offs_a, codes_b, offs_b, left, right))


def damerau_levenshtein_pairs(
    codes_a: npt.ArrayLike,
    offs_a: npt.ArrayLike,
    codes_b: npt.ArrayLike,
    offs_b: npt.ArrayLike,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> npt.NDArray[np.int32]:
    """True (unrestricted) Damerau-Levenshtein distance of every pair.

    Definition: `matcher.kernels_reference.damerau_levenshtein`; computed with Zhao and Sahni's
    linear-space algorithm after dropping the common prefix and suffix (which never changes
    the distance).
    """
    return _run(
        _damerau_levenshtein_kernel,
        _damerau_levenshtein_serial,
        _checked(codes_a, offs_a, codes_b, offs_b, left, right),
    )


def damerau_levenshtein_similarity_pairs(
    codes_a: npt.ArrayLike,
    offs_a: npt.ArrayLike,
    codes_b: npt.ArrayLike,
    offs_b: npt.ArrayLike,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> npt.NDArray[np.float32]:
    """``1 - distance / max(len(a), len(b))`` for every pair (1.0 for two empty strings)."""
    codes_a_, offs_a_, codes_b_, offs_b_, left_, right_ = _checked(codes_a, offs_a, codes_b, offs_b, left, right)
    distance = _run(
        _damerau_levenshtein_kernel, _damerau_levenshtein_serial, (codes_a_, offs_a_, codes_b_, offs_b_, left_, right_)
    )
    longest = np.maximum(offs_a_[left_ + 1] - offs_a_[left_], offs_b_[right_ + 1] - offs_b_[right_])
    similarity = np.ones(distance.shape, dtype=np.float64)
    np.subtract(1.0, distance / np.maximum(longest, 1), out=similarity, where=longest > 0)
    return similarity.astype(np.float32)


def token_set_similarity_pairs(
    codes_a: npt.ArrayLike,
    offs_a: npt.ArrayLike,
    codes_b: npt.ArrayLike,
    offs_b: npt.ArrayLike,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> npt.NDArray[np.float32]:
    """Order-free similarity of multi-word names for every pair.

    Tokens are split at spaces, tabs, line breaks, no-break spaces and hyphens; each token of one
    name is paired greedily, best Jaro-Winkler first, with a token of the other, and the score
    is the mean of the paired similarities weighted by token lengths, unpaired tokens counting as
    misses. Definition: `matcher.kernels_reference.token_set_similarity`.
    """
    return _run(_token_set_kernel, _token_set_serial, _checked(codes_a, offs_a, codes_b, offs_b, left, right))


def compile_kernels() -> None:
    """Compile (or load from the on-disk cache) every kernel, so the first real call is fast."""
    codes, offsets = encode_strings(["fatima zahra", "el alaoui fatima-zahra", "", "محمد"])
    pairs = np.array([0, 1, 2, 3], dtype=np.int64)
    jaro_winkler_pairs(codes, offsets, codes, offsets, pairs, pairs[::-1])
    damerau_levenshtein_similarity_pairs(codes, offsets, codes, offsets, pairs, pairs[::-1])
    token_set_similarity_pairs(codes, offsets, codes, offsets, pairs, pairs[::-1])


# --- argument checks: the kernels index without bounds checks, so nothing unchecked reaches them


def _as_int_array(values: npt.ArrayLike, dtype: type[_Int], name: str) -> npt.NDArray[_Int]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise MatcherError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.can_cast(arr.dtype, dtype, casting="safe"):
        limits = np.iinfo(dtype)
        if arr.dtype.kind not in "iu" or arr.min() < limits.min or arr.max() > limits.max:
            raise MatcherError(f"{name} must hold integers that fit {np.dtype(dtype).name}, got {arr.dtype}")
    out = np.ascontiguousarray(arr, dtype=dtype)
    # A read-only array would make Numba compile a second version of each kernel.
    return out if out.flags.writeable else out.copy()


def _checked_encoding(
    codes: npt.ArrayLike, offsets: npt.ArrayLike, side: str
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    codes_ = _as_int_array(codes, np.uint32, f"codes_{side}")
    offs = _as_int_array(offsets, np.int64, f"offs_{side}")
    if offs.size == 0:
        raise MatcherError(f"offs_{side} must hold at least one offset")
    if offs[0] < 0 or offs[-1] > codes_.size or np.any(offs[1:] < offs[:-1]):
        raise MatcherError(f"offs_{side} must be non-decreasing offsets into codes_{side} (size {codes_.size})")
    return codes_, offs


def _checked_index(index: npt.ArrayLike, n_strings: int, name: str) -> npt.NDArray[np.int64]:
    idx = _as_int_array(index, np.int64, name)
    if idx.size and (idx.min() < 0 or idx.max() >= n_strings):
        raise MatcherError(f"{name} must index the {n_strings} strings of its side")
    return idx


def _checked(
    codes_a: npt.ArrayLike,
    offs_a: npt.ArrayLike,
    codes_b: npt.ArrayLike,
    offs_b: npt.ArrayLike,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
) -> tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint32],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
]:
    ca, oa = _checked_encoding(codes_a, offs_a, "a")
    cb, ob = _checked_encoding(codes_b, offs_b, "b")
    li = _checked_index(left, oa.size - 1, "left")
    ri = _checked_index(right, ob.size - 1, "right")
    if li.shape != ri.shape:
        raise MatcherError(f"left and right must have the same length, got {li.size} and {ri.size}")
    return ca, oa, cb, ob, li, ri


# --- kernels


@njit(nogil=True, cache=True)
def chunking(n_pairs, n_threads):
    """(number of chunks, pairs per chunk) for a batch of n_pairs split over n_threads (every
    whole-array kernel's parallel version uses it)."""
    if n_pairs == 0:
        return 0, 1
    per_thread = n_threads * _CHUNKS_PER_THREAD
    size = max((n_pairs + per_thread - 1) // per_thread, _MIN_CHUNK)
    return (n_pairs + size - 1) // size, size


@njit(nogil=True, cache=True, inline="always")
def _same(a, a0, b, b0, n):
    for k in range(n):
        if a[a0 + k] != b[b0 + k]:
            return False
    return True


@njit(nogil=True, cache=True, inline="always")
def _jaro_matches_bits(a, a0, la, b, b0, lb, window, masks):
    """(matches, transpositions) of Jaro for la, lb <= 64, with matched positions as bit sets.

    Walks b and gives each character the first free equal character of a in its window, which
    pairs the same characters as walking a (the windows slide monotonically). masks is a uint64
    array over the direct codepoints, all zero on entry and on exit; it receives, for each
    character of a, the set of positions where it occurs.
    """
    one = np.uint64(1)
    for i in range(la):
        c = a[a0 + i]
        if c < _DIRECT_CODEPOINTS:
            masks[c] |= one << np.uint64(i)
    flags_a = np.uint64(0)
    flags_b = np.uint64(0)
    m = 0
    # Positions of a within the window of b[j]: bits j - window to j + window (window <= 31).
    in_window = (one << np.uint64(window + 1)) - one
    for j in range(min(lb, la + window)):
        c = b[b0 + j]
        if c < _DIRECT_CODEPOINTS:
            where = masks[c]
        else:
            where = np.uint64(0)
            for i in range(la):
                if a[a0 + i] == c:
                    where |= one << np.uint64(i)
        free = where & in_window & ~flags_a
        if free != 0:
            flags_a |= free & (~free + one)
            flags_b |= one << np.uint64(j)
            m += 1
        in_window = (in_window << one) | (one if j < window else np.uint64(0))
    for i in range(la):
        c = a[a0 + i]
        if c < _DIRECT_CODEPOINTS:
            masks[c] = 0
    t = 0
    while flags_a != 0:
        if a[a0 + trailing_zeros(flags_a)] != b[b0 + trailing_zeros(flags_b)]:  # type: ignore[call-arg]
            t += 1
        flags_a &= flags_a - one
        flags_b &= flags_b - one
    return m, t // 2


@njit(nogil=True, cache=True, inline="always")
def _jaro_matches_flags(a, a0, la, b, b0, lb, window, flags_a, flags_b):
    """(matches, transpositions) of Jaro for strings of any length; flags_* are byte scratch."""
    flags_a[:la] = 0
    flags_b[:lb] = 0
    m = 0
    for i in range(min(la, lb + window)):
        c = a[a0 + i]
        for j in range(max(i - window, 0), min(i + window + 1, lb)):
            if flags_b[j] == 0 and b[b0 + j] == c:
                flags_a[i] = 1
                flags_b[j] = 1
                m += 1
                break
    t = 0
    j = 0
    for i in range(la):
        if flags_a[i]:
            while flags_b[j] == 0:
                j += 1
            if a[a0 + i] != b[b0 + j]:
                t += 1
            j += 1
    return m, t // 2


@njit(nogil=True, cache=True, inline="always")
def _jaro_winkler(a, a0, la, b, b0, lb, masks, flags_a, flags_b):
    """Jaro-Winkler of a[a0:a0+la] and b[b0:b0+lb].

    masks: see `_jaro_matches_bits`; flags_*: byte scratch of at least la and lb bytes, used only
    when a string is longer than 64.
    """
    if la == 0 or lb == 0:
        return 1.0 if la == lb else 0.0
    if la == lb and _same(a, a0, b, b0, la):
        return 1.0
    window = max(max(la, lb) // 2 - 1, 0)
    if la <= 64 and lb <= 64:
        m, t = _jaro_matches_bits(a, a0, la, b, b0, lb, window, masks)
    else:
        m, t = _jaro_matches_flags(a, a0, la, b, b0, lb, window, flags_a, flags_b)
    if m == 0:
        return 0.0
    sim = (m / la + m / lb + (m - t) / m) / 3.0
    if sim > _WINKLER_THRESHOLD:
        prefix = 0
        for k in range(min(_WINKLER_MAX_PREFIX, la, lb)):
            if a[a0 + k] != b[b0 + k]:
                break
            prefix += 1
        sim += prefix * _WINKLER_PREFIX_WEIGHT * (1.0 - sim)
    return sim


# Each parallel kernel hands a chunk of pairs to a *_chunk function that owns the chunk's scratch:
# scratch allocated in a prange body itself would be hoisted out of the loop by Numba and shared by
# the threads (and freed under them when grown).


@njit(nogil=True, cache=True)
def _jaro_winkler_chunk(codes_a, offs_a, codes_b, offs_b, left, right, start, stop, out):
    masks = np.zeros(_DIRECT_CODEPOINTS, dtype=np.uint64)
    flags_a = np.zeros(64, dtype=np.uint8)
    flags_b = np.zeros(64, dtype=np.uint8)
    for p in range(start, stop):
        a0 = offs_a[left[p]]
        la = offs_a[left[p] + 1] - a0
        b0 = offs_b[right[p]]
        lb = offs_b[right[p] + 1] - b0
        if la > flags_a.size:
            flags_a = np.zeros(2 * la, dtype=np.uint8)
        if lb > flags_b.size:
            flags_b = np.zeros(2 * lb, dtype=np.uint8)
        out[p] = _jaro_winkler(codes_a, a0, la, codes_b, b0, lb, masks, flags_a, flags_b)


@njit(nogil=True, cache=True)
def _jaro_winkler_serial(codes_a, offs_a, codes_b, offs_b, left, right):
    # A batch of one chunk: no parallel region to start (it costs milliseconds on a busy machine).
    out = np.empty(left.size, dtype=np.float32)
    _jaro_winkler_chunk(codes_a, offs_a, codes_b, offs_b, left, right, 0, left.size, out)
    return out


@njit(parallel=True, nogil=True, cache=True)
def _jaro_winkler_kernel(codes_a, offs_a, codes_b, offs_b, left, right, n_threads):
    n = left.size
    out = np.empty(n, dtype=np.float32)
    n_chunks, size = chunking(n, n_threads)
    for c in prange(n_chunks):
        _jaro_winkler_chunk(codes_a, offs_a, codes_b, offs_b, left, right, c * size, min(n, (c + 1) * size), out)
    return out


@njit(nogil=True, cache=True, inline="always")
def _pow2_at_least(n):
    size = 1
    while size < n:
        size *= 2
    return size


@njit(nogil=True, cache=True, inline="always")
def _far_slot(keys, mask, c):
    """Slot of codepoint c in the open-addressing table keys[:mask + 1] (its own or the empty one)."""
    h = (np.uint64(c) * np.uint64(2654435761)) & np.uint64(mask)
    slot = np.int64(h)
    while keys[slot] != _EMPTY_KEY and keys[slot] != c:
        slot = (slot + 1) & mask
    return slot


@njit(nogil=True, cache=True, inline="always")
def _damerau_levenshtein(a, a0, la, b, b0, lb, r_this, r_prev, r_far, last_row, far_keys, far_rows):
    """Damerau-Levenshtein distance of a[a0:a0+la] and b[b0:b0+lb] (Zhao and Sahni, as in rapidfuzz).

    r_* are int32 scratch rows of at least lb + 2; last_row is an int32 array over the direct
    codepoints, all -1 on entry and on exit; far_keys/far_rows is a hash table of at least
    `_pow2_at_least(2 * la)` slots, all keys empty on entry and on exit.
    """
    while la > 0 and lb > 0 and a[a0] == b[b0]:
        a0 += 1
        b0 += 1
        la -= 1
        lb -= 1
    while la > 0 and lb > 0 and a[a0 + la - 1] == b[b0 + lb - 1]:
        la -= 1
        lb -= 1
    if la == 0:
        return lb
    if lb == 0:
        return la

    # Rows are shifted by one so that column -1 exists: row[j + 1] holds column j.
    big = max(la, lb) + 1
    r_far[: lb + 2] = big
    r_prev[: lb + 2] = big
    r_this[0] = big
    for j in range(lb + 1):
        r_this[j + 1] = j
    mask = _pow2_at_least(2 * la) - 1
    used_far = False

    for i in range(1, la + 1):
        r_this, r_prev = r_prev, r_this
        last_col = -1
        last_i2l1 = r_this[1]
        r_this[1] = i
        t = big
        ca = a[a0 + i - 1]
        for j in range(1, lb + 1):
            cb = b[b0 + j - 1]
            up = r_prev[j + 1] + 1
            left = r_this[j] + 1
            if ca == cb:
                temp = min(r_prev[j], up, left)
                last_col = j
                r_far[j + 1] = r_prev[j - 1]
                t = last_i2l1
            else:
                temp = min(r_prev[j] + 1, up, left)
                if cb < _DIRECT_CODEPOINTS:
                    k = last_row[cb]
                elif used_far:
                    slot = _far_slot(far_keys, mask, cb)
                    k = far_rows[slot] if far_keys[slot] == cb else -1
                else:
                    k = -1
                if j - last_col == 1:
                    temp = min(temp, r_far[j + 1] + i - k)
                elif i - k == 1:
                    temp = min(temp, t + j - last_col)
            last_i2l1 = r_this[j + 1]
            r_this[j + 1] = temp
        if ca < _DIRECT_CODEPOINTS:
            last_row[ca] = i
        else:
            slot = _far_slot(far_keys, mask, ca)
            far_keys[slot] = ca
            far_rows[slot] = i
            used_far = True
    distance = r_this[lb + 1]

    for i in range(la):
        if a[a0 + i] < _DIRECT_CODEPOINTS:
            last_row[a[a0 + i]] = -1
    if used_far:
        far_keys[: mask + 1] = _EMPTY_KEY
    return distance


@njit(nogil=True, cache=True)
def _damerau_levenshtein_chunk(codes_a, offs_a, codes_b, offs_b, left, right, start, stop, out):
    r_this = np.empty(64, dtype=np.int32)
    r_prev = np.empty(64, dtype=np.int32)
    r_far = np.empty(64, dtype=np.int32)
    last_row = np.full(_DIRECT_CODEPOINTS, -1, dtype=np.int32)
    far_keys = np.zeros(64, dtype=np.uint32)
    far_rows = np.empty(64, dtype=np.int32)
    for p in range(start, stop):
        a0 = offs_a[left[p]]
        la = offs_a[left[p] + 1] - a0
        b0 = offs_b[right[p]]
        lb = offs_b[right[p] + 1] - b0
        if lb + 2 > r_this.size:
            r_this = np.empty(2 * lb + 2, dtype=np.int32)
            r_prev = np.empty(2 * lb + 2, dtype=np.int32)
            r_far = np.empty(2 * lb + 2, dtype=np.int32)
        if _pow2_at_least(2 * la) > far_keys.size:
            far_keys = np.zeros(_pow2_at_least(2 * la), dtype=np.uint32)
            far_rows = np.empty(far_keys.size, dtype=np.int32)
        out[p] = _damerau_levenshtein(
            codes_a, a0, la, codes_b, b0, lb, r_this, r_prev, r_far, last_row, far_keys, far_rows
        )


@njit(nogil=True, cache=True)
def _damerau_levenshtein_serial(codes_a, offs_a, codes_b, offs_b, left, right):
    # A batch of one chunk: no parallel region to start (it costs milliseconds on a busy machine).
    out = np.empty(left.size, dtype=np.int32)
    _damerau_levenshtein_chunk(codes_a, offs_a, codes_b, offs_b, left, right, 0, left.size, out)
    return out


@njit(parallel=True, nogil=True, cache=True)
def _damerau_levenshtein_kernel(codes_a, offs_a, codes_b, offs_b, left, right, n_threads):
    n = left.size
    out = np.empty(n, dtype=np.int32)
    n_chunks, size = chunking(n, n_threads)
    for c in prange(n_chunks):
        _damerau_levenshtein_chunk(codes_a, offs_a, codes_b, offs_b, left, right, c * size, min(n, (c + 1) * size), out)
    return out


@njit(nogil=True, cache=True, inline="always")
def _is_separator(c):
    # Keep in step with matcher.kernels_reference.TOKEN_SEPARATORS.
    return c == 0x20 or c == 0x2D or c == 0x09 or c == 0x0A or c == 0x0D or c == 0xA0


@njit(nogil=True, cache=True, inline="always")
def _tokenise(codes, start, stop, starts, lengths):
    """Write the start and length of each token of codes[start:stop]; return how many."""
    n = 0
    inside = False
    for k in range(start, stop):
        if _is_separator(codes[k]):
            if inside:
                lengths[n] = k - starts[n]
                n += 1
                inside = False
        elif not inside:
            starts[n] = k
            inside = True
    if inside:
        lengths[n] = stop - starts[n]
        n += 1
    return n


@njit(nogil=True, cache=True, inline="always")
def _token_set(a, a0, la, b, b0, lb, scratch_i, scratch_f, masks, flags_a, flags_b):
    """Token-set similarity of a[a0:a0+la] and b[b0:b0+lb].

    scratch_i holds at least la + lb + 2 int64s, scratch_f at least
    ((la + 1) // 2) * ((lb + 1) // 2) float64s, flags_* at least la and lb bytes.
    """
    if la == lb and _same(a, a0, b, b0, la):
        return 1.0
    cap_a = (la + 1) // 2
    cap_b = (lb + 1) // 2
    starts_a = scratch_i[:cap_a]
    lengths_a = scratch_i[cap_a : 2 * cap_a]
    starts_b = scratch_i[2 * cap_a : 2 * cap_a + cap_b]
    lengths_b = scratch_i[2 * cap_a + cap_b : 2 * cap_a + 2 * cap_b]
    na = _tokenise(a, a0, a0 + la, starts_a, lengths_a)
    nb = _tokenise(b, b0, b0 + lb, starts_b, lengths_b)
    if na == 0 or nb == 0:
        return 1.0 if na == nb else 0.0
    if na == 1 and nb == 1:
        return _jaro_winkler(a, starts_a[0], lengths_a[0], b, starts_b[0], lengths_b[0], masks, flags_a, flags_b)

    sims = scratch_f[: na * nb]
    for i in range(na):
        for j in range(nb):
            sims[i * nb + j] = _jaro_winkler(
                a, starts_a[i], lengths_a[i], b, starts_b[j], lengths_b[j], masks, flags_a, flags_b
            )
    weight = 0
    for i in range(na):
        weight += lengths_a[i]
    for j in range(nb):
        weight += lengths_b[j]
    # Paired tokens are marked by a negative length, their weight having been counted above.
    total = 0.0
    for _ in range(min(na, nb)):
        best = -1.0
        bi = -1
        bj = -1
        for i in range(na):
            if lengths_a[i] < 0:
                continue
            for j in range(nb):
                if lengths_b[j] >= 0 and sims[i * nb + j] > best:
                    best = sims[i * nb + j]
                    bi = i
                    bj = j
        total += (lengths_a[bi] + lengths_b[bj]) * best
        lengths_a[bi] = -1
        lengths_b[bj] = -1
    return total / weight


@njit(nogil=True, cache=True)
def _token_set_chunk(codes_a, offs_a, codes_b, offs_b, left, right, start, stop, out):
    scratch_i = np.empty(256, dtype=np.int64)
    scratch_f = np.empty(256, dtype=np.float64)
    masks = np.zeros(_DIRECT_CODEPOINTS, dtype=np.uint64)
    flags_a = np.zeros(64, dtype=np.uint8)
    flags_b = np.zeros(64, dtype=np.uint8)
    for p in range(start, stop):
        a0 = offs_a[left[p]]
        la = offs_a[left[p] + 1] - a0
        b0 = offs_b[right[p]]
        lb = offs_b[right[p] + 1] - b0
        if la + lb + 2 > scratch_i.size:
            scratch_i = np.empty(2 * (la + lb + 2), dtype=np.int64)
        if ((la + 1) // 2) * ((lb + 1) // 2) > scratch_f.size:
            scratch_f = np.empty(2 * ((la + 1) // 2) * ((lb + 1) // 2), dtype=np.float64)
        if la > flags_a.size:
            flags_a = np.zeros(2 * la, dtype=np.uint8)
        if lb > flags_b.size:
            flags_b = np.zeros(2 * lb, dtype=np.uint8)
        out[p] = _token_set(codes_a, a0, la, codes_b, b0, lb, scratch_i, scratch_f, masks, flags_a, flags_b)


@njit(nogil=True, cache=True)
def _token_set_serial(codes_a, offs_a, codes_b, offs_b, left, right):
    # A batch of one chunk: no parallel region to start (it costs milliseconds on a busy machine).
    out = np.empty(left.size, dtype=np.float32)
    _token_set_chunk(codes_a, offs_a, codes_b, offs_b, left, right, 0, left.size, out)
    return out


@njit(parallel=True, nogil=True, cache=True)
def _token_set_kernel(codes_a, offs_a, codes_b, offs_b, left, right, n_threads):
    n = left.size
    out = np.empty(n, dtype=np.float32)
    n_chunks, size = chunking(n, n_threads)
    for c in prange(n_chunks):
        _token_set_chunk(codes_a, offs_a, codes_b, offs_b, left, right, c * size, min(n, (c + 1) * size), out)
    return out
