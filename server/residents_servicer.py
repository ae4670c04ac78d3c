"""The Residents gRPC servicer: convert protobuf <-> domain and delegate, nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from hawiya.v1 import authentication_pb2 as auth_pb
from hawiya.v1 import residents_pb2 as pb
from hawiya.v1 import residents_pb2_grpc as pb_grpc
from registry_store.security import FROZEN_REASON, LOCKED_REASON, LockState
from server.errors import InvalidField
from server.interceptors import CURRENT_CALLER
from server.residents import ResidentsService

__all__ = ["ResidentsServicer"]

# Timestamp's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799
_DECISION = {"YES": auth_pb.DECISION_YES, "NO": auth_pb.DECISION_NO}
_REASON = {
    "MATCHED": auth_pb.REASON_CODE_MATCHED,
    "DEMOGRAPHIC_MISMATCH": auth_pb.REASON_CODE_DEMOGRAPHIC_MISMATCH,
    LOCKED_REASON: auth_pb.REASON_CODE_LOCKED,
    FROZEN_REASON: auth_pb.REASON_CODE_ATTEMPTS_EXCEEDED,
}


def _until(request: pb.LockAuthenticationRequest | pb.UnlockAuthenticationRequest) -> datetime | None:
    if not request.HasField("until"):
        return None
    stamp = request.until
    if not _MIN_SECONDS <= stamp.seconds <= _MAX_SECONDS or not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidField("until", "is not a valid timestamp")
    return stamp.ToDatetime(tzinfo=UTC)


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _state(state: LockState) -> pb.LockState:
    return pb.LockState(locked=state.locked, until=_timestamp(state.until), changed_at=_timestamp(state.changed_at))


class ResidentsServicer(pb_grpc.ResidentsServicer):
    def __init__(self, service: ResidentsService) -> None:
        self._service = service

    def LockAuthentication(  # noqa: N802 - gRPC method name
        self, request: pb.LockAuthenticationRequest, context: grpc.ServicerContext
    ) -> pb.LockAuthenticationResponse:
        state = self._service.lock(CURRENT_CALLER.get().caller_id, request.idcs, _until(request))
        return pb.LockAuthenticationResponse(state=_state(state))

    def UnlockAuthentication(  # noqa: N802
        self, request: pb.UnlockAuthenticationRequest, context: grpc.ServicerContext
    ) -> pb.UnlockAuthenticationResponse:
        state = self._service.unlock(CURRENT_CALLER.get().caller_id, request.idcs, _until(request))
        return pb.UnlockAuthenticationResponse(state=_state(state))

    def GetAuthHistory(  # noqa: N802
        self, request: pb.GetAuthHistoryRequest, context: grpc.ServicerContext
    ) -> pb.GetAuthHistoryResponse:
        page = self._service.history(request.idcs, request.page_size, request.page_token)
        return pb.GetAuthHistoryResponse(
            entries=[
                pb.AuthHistoryEntry(
                    transaction_id=e.transaction_id,
                    caller_id=e.caller_id,
                    at=_timestamp(e.created_at),
                    decision=_DECISION.get(e.decision, auth_pb.DECISION_UNSPECIFIED),
                    reason=_REASON.get(e.reason, auth_pb.REASON_CODE_UNSPECIFIED),
                )
                for e in page.entries
            ],
            next_page_token=page.next_page_token,
        )
