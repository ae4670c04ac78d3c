"""gRPC servicers: convert protobuf ↔ domain and delegate, nothing more."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

import grpc

from hawiya.v1 import (
    authentication_pb2,
    authentication_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
)
from matcher.authentication import NAME_ATTRIBUTES, MatchMode, MatchRule
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics
from server.authentication import AuthenticationService, AuthOutcome
from server.callers import DEMOGRAPHIC_ATTRIBUTES, Caller
from server.convert import (
    claimed_from_proto,
    demographics_from_proto,
    person_to_proto,
    status_from_proto,
)
from server.deadline import remaining
from server.enrolment import ALREADY_ENROLLED, DUPLICATE, ENROLLED, POSSIBLE_DUPLICATE, RegistryService
from server.errors import InvalidField
from server.identify import Match
from server.interceptors import CURRENT_CALLER
from server.metrics import AUTH_DECISIONS
from server.ratelimit import RateLimiter
from server.status import status_for
from server.turns import StreamTurns, hand_over_at

__all__ = ["AuthenticationServicer", "RegistryServicer"]

log = logging.getLogger(__name__)

_ATTRIBUTE = {name: authentication_pb2.Attribute.Value(f"ATTRIBUTE_{name.upper()}") for name in DEMOGRAPHIC_ATTRIBUTES}
_DECISION = {"YES": authentication_pb2.DECISION_YES, "NO": authentication_pb2.DECISION_NO}
_REASON = {
    "MATCHED": authentication_pb2.REASON_CODE_MATCHED,
    "DEMOGRAPHIC_MISMATCH": authentication_pb2.REASON_CODE_DEMOGRAPHIC_MISMATCH,
    "AUTH_LOCKED": authentication_pb2.REASON_CODE_LOCKED,
    "ATTEMPTS_EXCEEDED": authentication_pb2.REASON_CODE_ATTEMPTS_EXCEEDED,
}
_MODE_OUT = {
    MatchMode.EXACT: authentication_pb2.MATCH_MODE_EXACT,
    MatchMode.PHONETIC: authentication_pb2.MATCH_MODE_PHONETIC,
    MatchMode.FUZZY: authentication_pb2.MATCH_MODE_FUZZY,
}
_MODE_IN = {v: k for k, v in _MODE_OUT.items()}
_OUTCOME = {
    ENROLLED: registry_pb2.ENROL_OUTCOME_ENROLLED,
    ALREADY_ENROLLED: registry_pb2.ENROL_OUTCOME_ALREADY_ENROLLED,
    DUPLICATE: registry_pb2.ENROL_OUTCOME_DUPLICATE,
    POSSIBLE_DUPLICATE: registry_pb2.ENROL_OUTCOME_POSSIBLE_DUPLICATE,
}


def _mode(value: int, field: str) -> MatchMode | None:
    if value == authentication_pb2.MATCH_MODE_UNSPECIFIED:
        return None
    mode = _MODE_IN.get(value)
    if mode is None:
        raise InvalidField(field, "must be EXACT, PHONETIC or FUZZY")
    return mode


def _mode_label(outcome: AuthOutcome) -> str:
    """The name match mode of an answer, for metrics: one of five bounded values."""
    modes = {m.mode for m in outcome.matches if m.attribute in NAME_ATTRIBUTES}
    if not modes:
        return "none"
    return next(iter(modes)).value if len(modes) == 1 else "mixed"


def rules_from_policy(policy: authentication_pb2.MatchPolicy, caller: Caller) -> Mapping[str, MatchRule]:
    """One rule per name attribute: its own if set, else the policy's default, else the caller's.

    The rules of a (caller, policy) pair seen lately are reused: a programme sends the same
    policy with every claim (a stream re-verifying a list, with every item), and building them
    costs about 10 µs a claim (measured), a serialisation of the policy about 1 µs. Only valid
    policies are kept, at most `_RULES_KEPT` of them. The key holds the caller's id, and the entry
    the caller itself, so no other Caller (one reloaded from the callers file with another
    policy) can have that id while the entry lives.
    """
    key = (id(caller), policy.SerializeToString(deterministic=True))
    kept = _RULES.get(key)
    if kept is not None:
        return kept[1]
    rules = MappingProxyType(_rules_from_policy(policy, caller))
    if len(_RULES) >= _RULES_KEPT:
        _RULES.clear()
    _RULES[key] = (caller, rules)
    return rules


_RULES_KEPT = 1024
_RULES: dict[tuple[int, bytes], tuple[Caller, Mapping[str, MatchRule]]] = {}


def _rules_from_policy(policy: authentication_pb2.MatchPolicy, caller: Caller) -> dict[str, MatchRule]:
    default = policy.default_rule
    rules = {}
    for attribute in NAME_ATTRIBUTES:
        own = getattr(policy, attribute)
        chosen, where = (own, f"policy.{attribute}") if own.mode else (default, "policy.default_rule")
        rules[attribute] = caller.rule(_mode(chosen.mode, f"{where}.mode"), chosen.min_score, where)
    return rules


class AuthenticationServicer(authentication_pb2_grpc.AuthenticationServicer):
    def __init__(
        self, service: AuthenticationService, limiter: RateLimiter | None = None, *, stream_concurrency: int = 1
    ) -> None:
        self._service = service
        self._limiter = limiter or RateLimiter(())
        self._stream_turns = StreamTurns(stream_concurrency)

    def Authenticate(  # noqa: N802 - gRPC method name
        self, request: authentication_pb2.AuthenticateRequest, context: grpc.ServicerContext
    ) -> authentication_pb2.AuthenticateResponse:
        caller = CURRENT_CALLER.get()
        idcs, claimed, rules = _authentication_request(request, caller)
        outcome = self._service.authenticate(
            caller.caller_id, idcs, claimed, rules, reveal_reason=caller.reveal_denial_reason
        )
        return _answer(outcome)

    def AuthenticateStream(  # noqa: N802
        self,
        request_iterator: Iterator[authentication_pb2.AuthenticateStreamRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[authentication_pb2.AuthenticateStreamResponse]:
        caller = CURRENT_CALLER.get()
        for chunk in request_iterator:
            if not 1 <= len(chunk.items) <= MAX_CHUNK_ITEMS:
                raise InvalidField("items", f"a chunk holds 1 to {MAX_CHUNK_ITEMS} items")
            self._limiter.acquire(caller, len(chunk.items), remaining())  # a limited stream waits without a turn
            with self._stream_turns:
                response = self._answer_chunk(chunk, caller)
            yield response  # the turn is not held while the answer is sent and the next chunk read

    def _answer_chunk(
        self, chunk: authentication_pb2.AuthenticateStreamRequest, caller: Caller
    ) -> authentication_pb2.AuthenticateStreamResponse:
        """One chunk's answers, in its order; a bad item gets its error in its place (in a turn)."""
        answers: list[authentication_pb2.AuthenticateItemResult | None] = []
        requests = []
        today = datetime.now(UTC).date()  # a birth date must not be later: one reading per chunk
        for n, item in enumerate(chunk.items):
            hand_over_at(n)
            if len(item.item_id) > MAX_ITEM_ID:
                too_long = InvalidField("item_id", f"must be at most {MAX_ITEM_ID} characters")
                answers.append(_item_error(item.item_id[:MAX_ITEM_ID], too_long))
                continue
            try:
                requests.append(_authentication_request(item.request, caller, today))
                answers.append(None)
            except Exception as exc:  # every error of one item stays with that item
                answers.append(_item_error(item.item_id, exc))
        results = iter(
            self._service.authenticate_many(
                caller.caller_id, requests, reveal_reason=caller.reveal_denial_reason, between_items=hand_over_at
            )
        )
        response = authentication_pb2.AuthenticateStreamResponse()
        slot = response.results.add  # answers are written in place, not built and then copied
        for item, answer in zip(chunk.items, answers, strict=True):
            if answer is None:
                result = next(results)
                if isinstance(result, Exception):
                    response.results.append(_item_error(item.item_id, result))
                else:
                    _answer(result, slot(item_id=item.item_id).response)
            else:
                response.results.append(answer)
        return response


MAX_CHUNK_ITEMS = 1000
MAX_ITEM_ID = 64


def _authentication_request(
    request: authentication_pb2.AuthenticateRequest, caller: Caller, today: date | None = None
) -> tuple[str, Demographics, Mapping[str, MatchRule]]:
    # IDCS first: a typo is refused before anything else is looked at.
    idcs = validate_idcs(request.idcs, field="idcs")
    return idcs, claimed_from_proto(request.claimed, today=today), rules_from_policy(request.policy, caller)


# The decision counter's children, bound once per label set (decision × reason × mode: at most
# 40): `.labels()` per call costs a lock and a tuple of strings.
_DECISION_COUNTERS: dict[tuple[str, str, str], Any] = {}


def _count_decision(outcome: AuthOutcome) -> None:
    labels = (outcome.decision, outcome.reason, _mode_label(outcome))
    counter = _DECISION_COUNTERS.get(labels)
    if counter is None:
        counter = _DECISION_COUNTERS.setdefault(labels, AUTH_DECISIONS.labels(*labels))
    counter.inc()


def _answer(
    outcome: AuthOutcome, out: authentication_pb2.AuthenticateResponse | None = None
) -> authentication_pb2.AuthenticateResponse:
    """The answer as a message; written into ``out`` (a stream's result slot) if given."""
    _count_decision(outcome)
    if out is None:
        out = authentication_pb2.AuthenticateResponse()
    out.decision = _DECISION[outcome.decision]
    add = out.matches.add
    for m in outcome.matches:
        add(attribute=_ATTRIBUTE[m.attribute], matched=m.matched, mode=_MODE_OUT[m.mode])
    out.transaction_id = outcome.transaction_id
    out.reason = _REASON[outcome.reason]
    return out


def _item_error(item_id: str, exc: Exception) -> authentication_pb2.AuthenticateItemResult:
    """One item's failure, with the status the status table gives it; field paths under "request."."""
    status, unexpected = status_for(exc)
    if unexpected:
        log.error("unexpected error in a streamed item", exc_info=exc)
    field = getattr(exc, "field", None) if status.code is grpc.StatusCode.INVALID_ARGUMENT else None
    fields = [field if field == "item_id" else f"request.{field}"] if field else []
    return authentication_pb2.AuthenticateItemResult(
        item_id=item_id,
        error=authentication_pb2.ItemError(code=status.code.value[0], message=status.details, fields=fields),
    )


class RegistryServicer(registry_pb2_grpc.RegistryServicer):
    def __init__(self, service: RegistryService) -> None:
        self._service = service

    def Enrol(  # noqa: N802
        self, request: registry_pb2.EnrolRequest, context: grpc.ServicerContext
    ) -> registry_pb2.EnrolResponse:
        demographics = demographics_from_proto(request.demographics)
        result = self._service.enrol(request.idempotency_key, demographics)
        response = registry_pb2.EnrolResponse(
            outcome=_OUTCOME[result.outcome],
            matches=[_match(m) for m in result.matches],
            review_id=result.review_id,
        )
        if result.person is not None:
            response.person.CopyFrom(person_to_proto(result.person, CURRENT_CALLER.get().readable_attributes))
        return response

    def Identify(  # noqa: N802
        self, request: registry_pb2.IdentifyRequest, context: grpc.ServicerContext
    ) -> registry_pb2.IdentifyResponse:
        demographics = claimed_from_proto(request.demographics, field="demographics")
        found = self._service.identify(demographics, request.max_results, request.min_probability)
        return registry_pb2.IdentifyResponse(candidates=[_match(m) for m in found])

    def GetPerson(  # noqa: N802
        self, request: registry_pb2.GetPersonRequest, context: grpc.ServicerContext
    ) -> registry_pb2.GetPersonResponse:
        person, versions = self._service.get(request.idcs, request.version)
        readable = CURRENT_CALLER.get().readable_attributes
        return registry_pb2.GetPersonResponse(person=person_to_proto(person, readable), versions=versions)

    def UpdatePerson(  # noqa: N802
        self, request: registry_pb2.UpdatePersonRequest, context: grpc.ServicerContext
    ) -> registry_pb2.UpdatePersonResponse:
        idcs = validate_idcs(request.idcs, field="idcs")
        demographics = demographics_from_proto(request.demographics)
        person = self._service.update(
            idcs,
            demographics,
            status=status_from_proto(request.status),
            merged_into=request.merged_into,
            expected_version=request.expected_version,
        )
        readable = CURRENT_CALLER.get().readable_attributes
        return registry_pb2.UpdatePersonResponse(person=person_to_proto(person, readable))


def _match(match: Match) -> registry_pb2.IdentityMatch:
    return registry_pb2.IdentityMatch(
        idcs=match.idcs,
        probability=match.probability,
        levels=[registry_pb2.FieldLevel(field=name, level=level) for name, level in match.levels],
    )
