"""Gamma over pair arrays equals the level-by-level definition evaluated pair by pair."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.comparison import Comparison, ComparisonLevel
from matcher.dates import DateLevel, PartialDate, compare_dates
from matcher.errors import GammaError
from matcher.kernels_reference import damerau_levenshtein, jaro_winkler, token_set_similarity
from matcher.normalise import normalise_name
from matcher.scoring import DateColumn, RecordTable, StringColumn, compute_gamma

NAMES = ["Mohammed", "Mohamed", "MOHAMED", "Mhamed", "Fatima Zahra", "Zahra Fatima", "Fatimazahra", "", "محمد",
         "Youssef", "Yousef", "Saida", "Said", "El Alaoui", "Alaoui", "Ben Ali", "Benali"]  # fmt: skip

NAME_LEVELS = Comparison(
    "name",
    (
        ComparisonLevel("null", "null"),
        ComparisonLevel("exact", "exact"),
        ComparisonLevel("phonetic", "phonetic"),
        ComparisonLevel("jw92", "jaro_winkler_at_least", 0.92),
        ComparisonLevel("dl1", "damerau_levenshtein_at_most", 1),
        ComparisonLevel("ts80", "token_set_at_least", 0.8),
        ComparisonLevel("else", "else"),
    ),
)
DATE_LEVELS = Comparison(
    "dob",
    (
        ComparisonLevel("null", "null"),
        ComparisonLevel("exact", "date_exact"),
        ComparisonLevel("compatible", "date_compatible"),
        ComparisonLevel("swapped", "date_swapped"),
        ComparisonLevel("one digit", "date_one_digit"),
        ComparisonLevel("else", "else"),
    ),
)


def _skeleton(name: str) -> str:
    """A stand-in phonetic key: consonants only (given the raw text, as keys are)."""
    return "".join(ch for ch in name.lower() if ch not in "aeiouy ")


def _expected_name_level(a: str, b: str) -> int:
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0
    checks = [
        na == nb,
        bool(_skeleton(a)) and _skeleton(a) == _skeleton(b),
        jaro_winkler(na, nb) >= np.float32(0.92),
        damerau_levenshtein(na, nb) <= 1,
        token_set_similarity(na, nb) >= np.float32(0.8),
    ]
    return next((i + 1 for i, ok in enumerate(checks) if ok), 6)


def test_string_levels_match_the_definition() -> None:
    rng = np.random.default_rng(7)
    raw = [NAMES[i] for i in rng.integers(0, len(NAMES), 400)]
    table = RecordTable({"name": StringColumn.build(raw, phonetic=_skeleton)})
    left, right = rng.integers(0, 400, 3000), rng.integers(0, 400, 3000)
    gamma = compute_gamma([NAME_LEVELS], table, left, right)
    expected = [_expected_name_level(raw[i], raw[j]) for i, j in zip(left, right, strict=True)]
    assert gamma[:, 0].tolist() == expected
    assert set(expected) >= {0, 1, 2, 6}


def test_string_levels_in_any_order_match_the_definition() -> None:
    """Measures before exact and phonetic levels, and a measure used twice: each level is still
    the first that holds, whatever order the levels come in."""
    levels = Comparison(
        "name",
        (
            ComparisonLevel("null", "null"),
            ComparisonLevel("ts95", "token_set_at_least", 0.95),
            ComparisonLevel("dl1", "damerau_levenshtein_at_most", 1),
            ComparisonLevel("phonetic", "phonetic"),
            ComparisonLevel("jw85", "jaro_winkler_at_least", 0.85),
            ComparisonLevel("exact", "exact"),
            ComparisonLevel("ts60", "token_set_at_least", 0.6),
            ComparisonLevel("else", "else"),
        ),
    )
    rng = np.random.default_rng(11)
    names = [*NAMES, "Oumaima", "Imama"]  # one phonetic key, two edits apart
    raw = [names[i] for i in rng.integers(0, len(names), 300)]
    table = RecordTable({"name": StringColumn.build(raw, phonetic=_skeleton)})
    left, right = rng.integers(0, 300, 4000), rng.integers(0, 300, 4000)
    gamma = compute_gamma([levels], table, left, right)

    def expected(a: str, b: str) -> int:
        na, nb = normalise_name(a), normalise_name(b)
        if not na or not nb:
            return 0
        checks = [
            token_set_similarity(na, nb) >= np.float32(0.95),
            damerau_levenshtein(na, nb) <= 1,
            bool(_skeleton(a)) and _skeleton(a) == _skeleton(b),
            jaro_winkler(na, nb) >= np.float32(0.85),
            na == nb,
            token_set_similarity(na, nb) >= np.float32(0.6),
        ]
        return next((i + 1 for i, ok in enumerate(checks) if ok), 7)

    wanted = [expected(raw[i], raw[j]) for i, j in zip(left, right, strict=True)]
    assert gamma[:, 0].tolist() == wanted
    assert set(wanted) >= {0, 1, 2, 3, 4, 6, 7}


def test_date_levels_follow_the_first_that_holds() -> None:
    dates = [(1987, 3, 12, "full"), (1987, 12, 3, "full"), (1987, 0, 0, "year"), (1987, 3, 13, "full"),
             (0, 0, 0, "unknown"), (1950, 0, 0, "year"), (1987, 3, 12, "full")]  # fmt: skip
    col = DateColumn.build(*zip(*dates, strict=True))  # type: ignore[arg-type]
    table = RecordTable({"dob": col})
    pairs = [(0, 6), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5)]
    gamma = compute_gamma([DATE_LEVELS], table, [p[0] for p in pairs], [p[1] for p in pairs])
    assert gamma[:, 0].tolist() == [1, 3, 2, 4, 0, 5]
    level = compare_dates(PartialDate(1987, 3, 12, "full"), PartialDate(1987, 12, 3, "full"))
    assert level is DateLevel.DAY_MONTH_SWAPPED


def test_bad_inputs_are_named() -> None:
    table = RecordTable({"name": StringColumn.build(["a", "b"])})
    with pytest.raises(GammaError, match="dob"):
        compute_gamma([DATE_LEVELS], table, [0], [1])
    with pytest.raises(GammaError, match="phonetic"):
        compute_gamma([NAME_LEVELS], table, [0], [1])
    with pytest.raises(GammaError, match="indices"):
        compute_gamma([NAME_LEVELS], table, [0], [2])
    with pytest.raises(GammaError, match="lengths"):
        RecordTable({"name": StringColumn.build(["a"]), "other": StringColumn.build(["a", "b"])})
