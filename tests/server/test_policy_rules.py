"""A request's match policy becomes one rule per name attribute, within its caller's policy.

The rules of a (caller, policy) pair are reused across calls; these tests show that reuse never
hands one caller's rules to another, nor skips the checks of a policy. Scores are float32 on
the wire: the tests use exact binary fractions.
"""

from __future__ import annotations

import pytest

from hawiya.v1 import authentication_pb2
from matcher.authentication import NAME_ATTRIBUTES, MatchMode, MatchRule
from server.callers import Caller
from server.errors import InvalidField, PermissionDenied
from server.servicers import rules_from_policy

FUZZY = authentication_pb2.MATCH_MODE_FUZZY
PHONETIC = authentication_pb2.MATCH_MODE_PHONETIC


def _caller(caller_id: str, min_score: float = 0.85) -> Caller:
    modes = frozenset({MatchMode.EXACT, MatchMode.PHONETIC, MatchMode.FUZZY})
    return Caller(caller_id, "", frozenset({"Authentication/*"}), modes, MatchMode.EXACT, min_score)


def _policy(mode: int = 0, min_score: float = 0.0, last_name_mode: int = 0) -> authentication_pb2.MatchPolicy:
    policy = authentication_pb2.MatchPolicy(
        default_rule=authentication_pb2.AttributePolicy(mode=mode, min_score=min_score)
    )
    if last_name_mode:
        policy.last_name.mode = last_name_mode
    return policy


def test_each_attribute_gets_its_own_rule_else_the_default() -> None:
    rules = rules_from_policy(_policy(FUZZY, 0.875, last_name_mode=PHONETIC), _caller("a"))
    assert set(rules) == set(NAME_ATTRIBUTES)
    assert rules["last_name"] == MatchRule(MatchMode.PHONETIC)
    assert rules["first_name"] == MatchRule(MatchMode.FUZZY, 0.875)


def test_the_same_policy_of_the_same_caller_reuses_its_rules() -> None:
    caller = _caller("a")
    first = rules_from_policy(_policy(FUZZY), caller)
    assert rules_from_policy(_policy(FUZZY), caller) is first
    assert rules_from_policy(_policy(PHONETIC), caller)["first_name"] == MatchRule(MatchMode.PHONETIC)


def test_a_caller_never_gets_another_callers_rules() -> None:
    """Same policy bytes, callers with different default fuzzy scores (as after a reload)."""
    strict, lenient = _caller("a", min_score=0.9375), _caller("a", min_score=0.75)
    assert rules_from_policy(_policy(FUZZY), strict)["first_name"].min_score == 0.9375
    assert rules_from_policy(_policy(FUZZY), lenient)["first_name"].min_score == 0.75
    with pytest.raises(PermissionDenied):
        rules_from_policy(_policy(FUZZY, 0.875), strict)  # below strict's floor: refused every time
    assert rules_from_policy(_policy(FUZZY, 0.875), lenient)["first_name"].min_score == 0.875
    with pytest.raises(PermissionDenied):
        rules_from_policy(_policy(FUZZY, 0.875), strict)


def test_a_bad_policy_is_refused_every_time_and_the_rules_cannot_be_changed() -> None:
    caller = _caller("a")
    for _ in range(2):
        with pytest.raises(InvalidField, match="min_score"):
            rules_from_policy(_policy(FUZZY, 1.5), caller)
    rules = rules_from_policy(_policy(FUZZY), caller)
    with pytest.raises(TypeError):
        rules["first_name"] = MatchRule()  # type: ignore[index]
