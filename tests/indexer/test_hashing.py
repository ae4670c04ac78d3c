"""The deterministic hashes of blocking keys and name buckets: fixed values, and a plain reference.

Saved candidate-index snapshots and every worker's keys depend on these exact values: a change
of formula would silently split the blocks of an index built before it from the queries after.
"""

from __future__ import annotations

import random

import numpy as np

from indexer._hashing import MISSING, hash_strings, mix

_MASK = (1 << 64) - 1


def _mix_reference(x: int) -> int:
    """splitmix64's finaliser on one Python integer."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _hash_reference(text: str) -> int:
    """The documented formula, one string at a time: code points two per round, then the length."""
    points = [ord(c) for c in text] + [0]
    h = 0x243F6A8885A308D3
    for j in range(0, len(text), 2):
        h = _mix_reference(h ^ (points[j] << 32 | points[j + 1]))
    h = _mix_reference(h ^ len(text))
    return h or 1


# Values the hashes had when the first snapshots were written (an empty string, odd and even
# lengths, Arabic, Tifinagh, a character beyond the BMP, a string longer than the others).
FIXED = {
    "": 16852473371444490038,
    "a": 1833382316112616707,
    "ab": 8628364970970183948,
    "abc": 7709238536235198857,
    "MOHAMMED": 13475869266170857577,
    "محمد": 6391161255301879562,
    "عبد القادر": 6890590908903904037,
    "El Ouazzani Touhami": 18095779947844839747,
    "x" * 41: 13818853373430786616,
    "ⴰⵎⴰⵣⵉⵖ": 4421083924854711226,
    "😀": 10179209877260739954,
}


def test_hashes_keep_their_fixed_values() -> None:
    assert [int(h) for h in hash_strings(list(FIXED))] == list(FIXED.values())
    assert [int(h) for h in mix(np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64))] == [
        0,
        6238072747940578789,
        2720858781877447050,
        13029008266876403067,
    ]


def test_hashes_follow_the_reference_over_random_strings() -> None:
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFZ'-" + "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ⴰⴱⴳ" + "é😀"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(2000)]
    hashed = hash_strings(texts)
    assert hashed.dtype == np.uint64
    assert [int(h) for h in hashed] == [_hash_reference(t) for t in texts]
    # A string hashes alike alone, among longer strings, and in a numpy array of strings.
    assert all(int(hash_strings([t])[0]) == int(h) for t, h in zip(texts[:50], hashed[:50], strict=True))
    assert np.array_equal(hash_strings(np.array(texts, dtype=str)), hashed)
    assert MISSING not in hashed


def test_mix_follows_the_reference() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 2**64 - 1, size=1000, dtype=np.uint64, endpoint=True)
    assert [int(v) for v in mix(values)] == [_mix_reference(int(v)) for v in values]
    assert mix(np.zeros(0, np.uint64)).shape == (0,)


def test_only_empty_input_hashes_to_nothing() -> None:
    assert hash_strings([]).shape == (0,)
    assert hash_strings(["", ""]).tolist() == [FIXED[""], FIXED[""]]
