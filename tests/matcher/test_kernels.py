"""Numba kernels against their plain-Python twins on seeded random pairs, known values and bad input."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
import pytest

from matcher import kernels_reference as ref
from matcher.errors import MatcherError
from matcher.kernels import (
    compile_kernels,
    damerau_levenshtein_pairs,
    damerau_levenshtein_similarity_pairs,
    encode_strings,
    jaro_winkler_pairs,
    max_kernel_threads,
    set_kernel_threads,
    token_set_similarity_pairs,
)

SEED = 20_240_611

Kernel = Callable[..., npt.NDArray[np.generic]]
KERNELS: list[tuple[str, Kernel, Callable[[str, str], float], type[np.generic]]] = [
    ("jaro_winkler", jaro_winkler_pairs, ref.jaro_winkler, np.float32),
    ("damerau_levenshtein", damerau_levenshtein_pairs, ref.damerau_levenshtein, np.int32),
    (
        "damerau_levenshtein_similarity",
        damerau_levenshtein_similarity_pairs,
        ref.damerau_levenshtein_similarity,
        np.float32,
    ),
    ("token_set", token_set_similarity_pairs, ref.token_set_similarity, np.float32),
]

# Alphabets: tiny ones make ambiguous matches and transpositions likely; the separators exercise
# tokens; Arabic and codepoints above U+0800 (CJK, Arabic presentation forms) take the kernels'
# other lookup paths.
ALPHABETS = [
    "ab",
    "abc -",
    "abcdefghijklmnopqrstuvwxyz  ",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي ",
    "a\u4e00\u4e01\ufefb\ufe8d -",
    "ab\u0645\u062d\U0001f600 ",
]
LENGTHS = [(0, 0), (1, 1), (2, 6), (5, 20), (15, 40), (60, 70), (63, 66)]


def _random_string(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _mutate(rng: random.Random, text: str, alphabet: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(0, 3)):
        edit = rng.randrange(4)
        pos = rng.randrange(len(chars) + 1)
        if edit == 0 and pos < len(chars):
            chars[pos] = rng.choice(alphabet)
        elif edit == 1 and pos < len(chars):
            del chars[pos]
        elif edit == 2:
            chars.insert(pos, rng.choice(alphabet))
        elif pos + 1 < len(chars):
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    return "".join(chars)


@dataclass(frozen=True)
class Pairs:
    left_strings: list[str]
    right_strings: list[str]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]

    def encoded(
        self,
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
        return (*encode_strings(self.left_strings), *encode_strings(self.right_strings))

    def strings(self) -> list[tuple[str, str]]:
        return [(self.left_strings[i], self.right_strings[j]) for i, j in zip(self.left, self.right, strict=True)]


@pytest.fixture(scope="module")
def pairs() -> Pairs:
    """About 2,000 pairs: random, mutated copies, identical, empty, one-character and very long
    strings, with the two sides indexed in different orders."""
    rng = random.Random(SEED)
    a: list[str] = []
    b: list[str] = []
    for _ in range(1_800):
        alphabet = rng.choice(ALPHABETS)
        lo, hi = rng.choice(LENGTHS)
        x = _random_string(rng, alphabet, rng.randint(lo, hi))
        roll = rng.random()
        if roll < 0.45:
            y = _mutate(rng, x, alphabet)
        elif roll < 0.55:
            y = x
        else:
            y = _random_string(rng, alphabet, rng.randint(lo, hi))
        a.append(x)
        b.append(y)
    for _ in range(12):  # very long: the kernels' long-string paths, scratch regrowth mid-chunk
        alphabet = rng.choice(ALPHABETS)
        x = _random_string(rng, alphabet, rng.randint(100, 300))
        a.append(x)
        b.append(_mutate(rng, x, alphabet) if rng.random() < 0.5 else _random_string(rng, alphabet, 250))
    fixed = [
        ("", ""),
        ("", "a"),
        ("a", ""),
        ("a", "a"),
        ("a", "b"),
        ("محمد", "محمد"),
        ("محمد", "محمود"),
        (" ", ""),
        ("- -", "  "),
        ("fatima zahra el alaoui", "el alaoui fatima-zahra"),
    ]
    a += [x for x, _ in fixed]
    b += [y for _, y in fixed]
    # Shuffle the right side's storage so that left[p] != right[p] in general.
    order = list(range(len(b)))
    rng.shuffle(order)
    b_stored = [b[k] for k in order]
    position = {k: pos for pos, k in enumerate(order)}
    left = np.arange(len(a), dtype=np.int64)
    right = np.array([position[k] for k in range(len(a))], dtype=np.int64)
    return Pairs(a, b_stored, left, right)


def _expected(reference: Callable[[str, str], float], dtype: type[np.generic], pairs: Pairs) -> npt.NDArray[np.generic]:
    return np.array([reference(x, y) for x, y in pairs.strings()], dtype=np.float64).astype(dtype)


@pytest.mark.parametrize(("name", "kernel", "reference", "dtype"), KERNELS, ids=[k[0] for k in KERNELS])
def test_kernel_matches_its_twin(
    name: str, kernel: Kernel, reference: Callable[[str, str], float], dtype: type[np.generic], pairs: Pairs
) -> None:
    out = kernel(*pairs.encoded(), pairs.left, pairs.right)
    assert out.dtype == dtype
    expected = _expected(reference, dtype, pairs)
    # Same float64 operations in the same order, so equal to the bit after rounding to float32.
    mismatch = np.flatnonzero(out != expected)
    strings = pairs.strings()
    assert mismatch.size == 0, [(strings[k], out[k], expected[k]) for k in mismatch[:5]]


@pytest.mark.parametrize(("name", "kernel", "reference", "dtype"), KERNELS, ids=[k[0] for k in KERNELS])
def test_repeated_and_reordered_indices(
    name: str, kernel: Kernel, reference: Callable[[str, str], float], dtype: type[np.generic], pairs: Pairs
) -> None:
    rng = np.random.default_rng(SEED)
    left = rng.integers(0, len(pairs.left_strings), size=500)
    right = rng.integers(0, len(pairs.right_strings), size=500)
    shuffled = Pairs(pairs.left_strings, pairs.right_strings, left, right)
    np.testing.assert_array_equal(kernel(*shuffled.encoded(), left, right), _expected(reference, dtype, shuffled))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # Winkler's classic examples.
        ("martha", "marhta", 0.9611111),
        ("dwayne", "duane", 0.84),
        ("dixon", "dicksonx", 0.8133333),
        ("abc", "bca", 0.0),
        ("", "", 1.0),
        ("", "x", 0.0),
        ("x", "x", 1.0),
    ],
)
def test_jaro_winkler_known_values(a: str, b: str, expected: float) -> None:
    codes_a, offs_a = encode_strings([a])
    codes_b, offs_b = encode_strings([b])
    out = jaro_winkler_pairs(codes_a, offs_a, codes_b, offs_b, [0], [0])
    assert out[0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("ca", "abc", 2),  # true Damerau: optimal string alignment would say 3
        ("martha", "marhta", 1),
        ("benjelloun", "benjeloun", 1),
        ("", "alaoui", 6),
        ("محمد", "مجمد", 1),
        ("idrissi", "idrissi", 0),
    ],
)
def test_damerau_levenshtein_known_values(a: str, b: str, distance: int) -> None:
    codes_a, offs_a = encode_strings([a])
    codes_b, offs_b = encode_strings([b])
    assert damerau_levenshtein_pairs(codes_a, offs_a, codes_b, offs_b, [0], [0])[0] == distance
    similarity = damerau_levenshtein_similarity_pairs(codes_a, offs_a, codes_b, offs_b, [0], [0])[0]
    assert similarity == pytest.approx(1 - distance / max(len(a), len(b), 1), abs=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("fatima zahra el alaoui", "el alaoui fatima-zahra", 1.0),
        ("fatima", "fatima zahra", 12 / 17),
        ("mohamed amine", "amine mohammed", (15 * ref.jaro_winkler("mohamed", "mohammed") + 10) / 25),
        ("", "-", 1.0),
        ("ali", "", 0.0),
    ],
)
def test_token_set_known_values(a: str, b: str, expected: float) -> None:
    codes_a, offs_a = encode_strings([a])
    codes_b, offs_b = encode_strings([b])
    out = token_set_similarity_pairs(codes_a, offs_a, codes_b, offs_b, [0], [0])
    assert out[0] == pytest.approx(expected, abs=1e-6)
    assert ref.token_set_similarity(a, b) == pytest.approx(expected)


def test_agrees_with_rapidfuzz(pairs: Pairs) -> None:
    distance = pytest.importorskip("rapidfuzz.distance")
    encoded = pairs.encoded()
    strings = pairs.strings()
    jw = jaro_winkler_pairs(*encoded, pairs.left, pairs.right)
    theirs = np.array([distance.JaroWinkler.normalized_similarity(x, y) for x, y in strings])
    np.testing.assert_allclose(jw, theirs, atol=1e-6)
    dl = damerau_levenshtein_pairs(*encoded, pairs.left, pairs.right)
    np.testing.assert_array_equal(dl, [distance.DamerauLevenshtein.distance(x, y) for x, y in strings])


@pytest.mark.parametrize(("name", "kernel", "reference", "dtype"), KERNELS, ids=[k[0] for k in KERNELS])
def test_one_thread_and_all_threads_agree(
    name: str, kernel: Kernel, reference: Callable[[str, str], float], dtype: type[np.generic], pairs: Pairs
) -> None:
    before = numba.get_num_threads()
    try:
        set_kernel_threads(1)
        one = kernel(*pairs.encoded(), pairs.left, pairs.right)
        set_kernel_threads(max_kernel_threads())
        everyone = kernel(*pairs.encoded(), pairs.left, pairs.right)
    finally:
        set_kernel_threads(before)
    np.testing.assert_array_equal(one, everyone)


@pytest.mark.parametrize(("name", "kernel", "reference", "dtype"), KERNELS, ids=[k[0] for k in KERNELS])
def test_no_pairs(
    name: str, kernel: Kernel, reference: Callable[[str, str], float], dtype: type[np.generic], pairs: Pairs
) -> None:
    out = kernel(*pairs.encoded(), np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert out.shape == (0,)
    assert out.dtype == dtype


def test_encode_strings_round_trip() -> None:
    strings = ["", "ali", "عَلي", "a\U0001f600b", "\ud800", "fatima-zahra el alaoui", ""]
    codes, offsets = encode_strings(strings)
    assert codes.dtype == np.uint32
    assert offsets.dtype == np.int64
    assert offsets.tolist()[0] == 0
    assert offsets[-1] == codes.size
    decoded = ["".join(map(chr, codes[offsets[k] : offsets[k + 1]])) for k in range(len(strings))]
    assert decoded == strings


def test_encode_no_strings() -> None:
    codes, offsets = encode_strings([])
    assert codes.size == 0
    assert offsets.tolist() == [0]


def test_plain_integer_lists_are_accepted() -> None:
    codes, offsets = encode_strings(["ab", "ba"])
    out = jaro_winkler_pairs(codes.tolist(), offsets.tolist(), codes, offsets, [0, 1], [0, 0])
    np.testing.assert_array_equal(out, np.array([1.0, 0.0], dtype=np.float32))


def test_read_only_inputs_are_accepted() -> None:
    codes, offsets = encode_strings(["ab", "ba"])
    codes.flags.writeable = False
    offsets.flags.writeable = False
    out = damerau_levenshtein_pairs(codes, offsets, codes, offsets, [0, 1], [1, 1])
    assert out.tolist() == [1, 0]


def _bad_arguments() -> list[tuple[str, dict[str, object], str]]:
    return [
        ("left out of range", {"left": [0, 5]}, "left must index"),
        ("negative right", {"right": [-1, 0]}, "right must index"),
        ("unequal lengths", {"right": [0]}, "same length"),
        ("float indices", {"left": [0.0, 1.0]}, "left must hold integers"),
        ("two-dimensional", {"left": [[0, 1]]}, "left must be one-dimensional"),
        ("negative codes", {"codes_a": np.array([97, -98, 98, 97], dtype=np.int64)}, "codes_a must hold integers"),
        ("float codes", {"codes_b": np.array([97.0, 98.0, 98.0, 97.0])}, "codes_b must hold integers"),
        ("offsets past codes", {"offs_b": [0, 2, 9]}, "offs_b must be non-decreasing"),
        ("decreasing offsets", {"offs_a": [0, 3, 2]}, "offs_a must be non-decreasing"),
        ("no offsets", {"offs_a": np.array([], dtype=np.int64)}, "at least one offset"),
    ]


@pytest.mark.parametrize(("case", "override", "message"), _bad_arguments(), ids=[c[0] for c in _bad_arguments()])
@pytest.mark.parametrize(("name", "kernel", "reference", "dtype"), KERNELS, ids=[k[0] for k in KERNELS])
def test_rejects_bad_arguments(
    case: str,
    override: dict[str, object],
    message: str,
    name: str,
    kernel: Kernel,
    reference: Callable[[str, str], float],
    dtype: type[np.generic],
) -> None:
    codes, offsets = encode_strings(["ab", "ba"])
    arguments: dict[str, object] = {
        "codes_a": codes,
        "offs_a": offsets,
        "codes_b": codes,
        "offs_b": offsets,
        "left": [0, 1],
        "right": [1, 0],
    }
    arguments.update(override)
    with pytest.raises(MatcherError, match=message):
        kernel(**arguments)


@pytest.mark.parametrize("threads", [0, -1, 10_000])
def test_set_kernel_threads_rejects_out_of_range(threads: int) -> None:
    with pytest.raises(MatcherError, match="kernel threads"):
        set_kernel_threads(threads)


def test_set_kernel_threads_caps_the_calling_thread() -> None:
    before = numba.get_num_threads()
    try:
        set_kernel_threads(1)
        assert numba.get_num_threads() == 1
    finally:
        set_kernel_threads(before)
    assert 1 <= before <= max_kernel_threads()


def test_compile_kernels() -> None:
    compile_kernels()


def test_twin_constants_match_kernel_constants() -> None:
    from matcher import kernels

    assert kernels._WINKLER_PREFIX_WEIGHT == ref.WINKLER_PREFIX_WEIGHT
    assert kernels._WINKLER_MAX_PREFIX == ref.WINKLER_MAX_PREFIX
    assert kernels._WINKLER_THRESHOLD == ref.WINKLER_THRESHOLD
    separators = {chr(c) for c in range(0x3000) if kernels._is_separator(c)}
    assert separators == ref.TOKEN_SEPARATORS
