"""gRPC servicers: convert protobuf ↔ domain and delegate, nothing more."""

from __future__ import annotations

import grpc

from hawiya.v1 import (
    authentication_pb2,
    authentication_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
)
from registry_store.idcs import validate_idcs
from server.authentication import AuthenticationService
from server.convert import (
    claimed_from_proto,
    demographics_from_proto,
    person_to_proto,
    status_from_proto,
)
from server.enrolment import ENROLLED, RegistryService
from server.errors import InvalidField
from server.interceptors import CURRENT_CALLER
from server.metrics import AUTH_DECISIONS

__all__ = ["AuthenticationServicer", "RegistryServicer"]

_ATTRIBUTE = {
    name: authentication_pb2.Attribute.Value(f"ATTRIBUTE_{name.upper()}")
    for name in (
        "first_name",
        "last_name",
        "father_first_name",
        "mother_first_name",
        "sex",
        "birth_date",
        "birth_place_code",
        "cin",
        "phone",
        "residence",
    )
}
_DECISION = {"YES": authentication_pb2.DECISION_YES, "NO": authentication_pb2.DECISION_NO}
_REASON = {
    "MATCHED": authentication_pb2.REASON_CODE_MATCHED,
    "DEMOGRAPHIC_MISMATCH": authentication_pb2.REASON_CODE_DEMOGRAPHIC_MISMATCH,
}
_MODE = {"EXACT": authentication_pb2.MATCH_MODE_EXACT}
_OUTCOME = {
    ENROLLED: registry_pb2.ENROL_OUTCOME_ENROLLED,
    "ALREADY_ENROLLED": registry_pb2.ENROL_OUTCOME_ALREADY_ENROLLED,
}
_POLICY_RULES = ("default_rule", "first_name", "last_name", "father_first_name", "mother_first_name")


def _check_policy(policy: authentication_pb2.MatchPolicy) -> None:
    """Only EXACT matching exists until the matcher lands; other modes are refused by name."""
    for rule in _POLICY_RULES:
        mode = getattr(policy, rule).mode
        if mode not in (authentication_pb2.MATCH_MODE_UNSPECIFIED, authentication_pb2.MATCH_MODE_EXACT):
            raise InvalidField(f"policy.{rule}.mode", "only EXACT matching is available on this server")


class AuthenticationServicer(authentication_pb2_grpc.AuthenticationServicer):
    def __init__(self, service: AuthenticationService) -> None:
        self._service = service

    def Authenticate(  # noqa: N802 - gRPC method name
        self, request: authentication_pb2.AuthenticateRequest, context: grpc.ServicerContext
    ) -> authentication_pb2.AuthenticateResponse:
        caller = CURRENT_CALLER.get()
        # IDCS first: a typo is refused before anything else is looked at.
        idcs = validate_idcs(request.idcs, field="idcs")
        claimed = claimed_from_proto(request.claimed)
        _check_policy(request.policy)
        outcome = self._service.authenticate(caller.caller_id, idcs, claimed)
        AUTH_DECISIONS.labels(outcome.decision, outcome.reason).inc()
        return authentication_pb2.AuthenticateResponse(
            decision=_DECISION[outcome.decision],
            matches=[
                authentication_pb2.AttributeMatch(
                    attribute=_ATTRIBUTE[m.attribute], matched=m.matched, mode=_MODE[m.mode]
                )
                for m in outcome.matches
            ],
            transaction_id=outcome.transaction_id,
            reason=_REASON[outcome.reason],
        )


class RegistryServicer(registry_pb2_grpc.RegistryServicer):
    def __init__(self, service: RegistryService) -> None:
        self._service = service

    def Enrol(  # noqa: N802
        self, request: registry_pb2.EnrolRequest, context: grpc.ServicerContext
    ) -> registry_pb2.EnrolResponse:
        demographics = demographics_from_proto(request.demographics)
        result = self._service.enrol(request.idempotency_key, demographics)
        return registry_pb2.EnrolResponse(outcome=_OUTCOME[result.outcome], person=person_to_proto(result.person))

    def GetPerson(  # noqa: N802
        self, request: registry_pb2.GetPersonRequest, context: grpc.ServicerContext
    ) -> registry_pb2.GetPersonResponse:
        person, versions = self._service.get(request.idcs, request.version)
        return registry_pb2.GetPersonResponse(person=person_to_proto(person), versions=versions)

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
        return registry_pb2.UpdatePersonResponse(person=person_to_proto(person))
