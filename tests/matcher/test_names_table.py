"""The table of must-match and must-not-match Moroccan name pairs (tests/matcher/name_pairs.py)."""

from __future__ import annotations

import pytest

from matcher.names import names_equivalent
from tests.matcher.name_pairs import MUST_MATCH, MUST_NOT_MATCH, table_pass_rates


def test_table_is_large_enough_and_has_no_duplicates() -> None:
    assert len(MUST_MATCH) >= 180
    assert len(MUST_NOT_MATCH) >= 120
    assert len(MUST_MATCH) + len(MUST_NOT_MATCH) >= 300
    pairs = [frozenset(p[:2]) for p in (*MUST_MATCH, *MUST_NOT_MATCH)]
    assert len(pairs) == len(set(pairs)), "a pair is listed twice"
    assert not {frozenset(p[:2]) for p in MUST_MATCH} & {frozenset(p[:2]) for p in MUST_NOT_MATCH}


def test_phonetic_mode_meets_the_goal() -> None:
    rates = table_pass_rates("phonetic")
    assert rates.kept_apart == rates.must_not_match, f"different names matched: {rates.confused}"
    assert rates.match_rate >= 0.98, f"missed ({rates.matched}/{rates.must_match}): {rates.missed}"


def test_exact_mode_never_matches_different_names() -> None:
    rates = table_pass_rates("exact")
    assert rates.confused == ()


@pytest.mark.parametrize(("a", "b", "why"), MUST_MATCH + MUST_NOT_MATCH)
def test_pairs_are_symmetric_and_exact_implies_phonetic(a: str, b: str, why: str) -> None:
    for mode in ("exact", "phonetic"):
        assert names_equivalent(a, b, mode) == names_equivalent(b, a, mode), why
    if names_equivalent(a, b, "exact"):
        assert names_equivalent(a, b, "phonetic"), why
