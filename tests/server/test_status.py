"""Every error class of every package has an entry in the one status table."""

from __future__ import annotations

import importlib

import grpc
import pytest

from server.status import STATUS_TABLE, status_for

BASES = [
    ("server.errors", "ServerError"),
    ("registry_store.errors", "StoreError"),
    ("matcher.errors", "MatcherError"),
    ("indexer.errors", "IndexerError"),
    ("dedup.errors", "DedupError"),
]
# The synthetic generator never runs inside a call (only in `hawiya synth` and the demo set-up):
# its base class is listed, its subclasses need no entries of their own.


def _all_subclasses(cls: type) -> set[type]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _all_subclasses(sub)
    return found


@pytest.mark.parametrize(("module", "name"), BASES)
def test_every_error_class_has_an_entry(module: str, name: str) -> None:
    base = getattr(importlib.import_module(module), name)
    listed = {kind for kind, _ in STATUS_TABLE}
    missing = sorted(c.__qualname__ for c in _all_subclasses(base) if c not in listed)
    assert not missing, f"add to server/status.py: {missing}"


def test_synthetic_errors_are_covered_by_their_base() -> None:
    from synthetic.errors import SyntheticError

    assert any(kind is SyntheticError for kind, _ in STATUS_TABLE)


def test_invalid_field_carries_bad_request() -> None:
    from google.rpc import error_details_pb2, status_pb2

    from server.errors import InvalidField

    status, unexpected = status_for(InvalidField("claimed.phone", "must be 10 digits"))
    assert not unexpected and status.code is grpc.StatusCode.INVALID_ARGUMENT
    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    proto = status_pb2.Status.FromString(raw)
    bad = error_details_pb2.BadRequest()
    assert proto.details[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["claimed.phone"]


def test_unknown_exceptions_become_internal_without_detail() -> None:
    status, unexpected = status_for(KeyError("secret value"))
    assert unexpected and status.code is grpc.StatusCode.INTERNAL
    assert "secret" not in status.details


def _details(status: grpc.Status) -> list[object]:
    from google.rpc import error_details_pb2, status_pb2

    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    found: list[object] = []
    for detail in status_pb2.Status.FromString(raw).details:
        for kind in (error_details_pb2.BadRequest, error_details_pb2.PreconditionFailure):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found.append(message)
    return found


def test_social_registry_errors() -> None:
    from google.rpc import error_details_pb2

    from registry_store import errors

    unknown, _ = status_for(errors.UnknownMember("household.members[2].idcs"))
    assert unknown.code is grpc.StatusCode.INVALID_ARGUMENT
    (bad,) = _details(unknown)
    assert isinstance(bad, error_details_pb2.BadRequest)
    assert [v.field for v in bad.field_violations] == ["household.members[2].idcs"]

    taken, _ = status_for(errors.MemberAlreadyActive("household.members[1].idcs"))
    assert taken.code is grpc.StatusCode.FAILED_PRECONDITION
    (failure,) = _details(taken)
    assert isinstance(failure, error_details_pb2.PreconditionFailure)
    assert [(v.type, v.subject) for v in failure.violations] == [("MEMBER_ALREADY_ACTIVE", "household.members[1].idcs")]

    for error, code in [
        (errors.AmbiguousMember("household.members[0].demographics"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.MemberNotActive("household.members[0].idcs"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.MembershipConflict("relation", "already has a head"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.IllegalTransition("a complaint OPEN cannot become RESOLVED"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.HouseholdNotFound(), grpc.StatusCode.NOT_FOUND),
        (errors.ComplaintNotFound(), grpc.StatusCode.NOT_FOUND),
    ]:
        status, unexpected = status_for(error)
        assert (status.code, unexpected) == (code, False)
    formula, unexpected = status_for(errors.IndexFormulaError("/etc/hawiya/weights.json", "version", "bad"))
    assert formula.code is grpc.StatusCode.INTERNAL and unexpected and "weights" not in formula.details


def test_rate_limits_and_deadlines() -> None:
    from google.rpc import error_details_pb2, status_pb2

    from server.errors import DeadlineExceeded, RateLimited

    status, unexpected = status_for(RateLimited("amo", 0.25))
    assert not unexpected and status.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in status_pb2.Status.FromString(raw).details)
    assert retry.retry_delay.ToMilliseconds() == 250
    status, unexpected = status_for(DeadlineExceeded("too long"))
    assert not unexpected and status.code is grpc.StatusCode.DEADLINE_EXCEEDED


def test_existence_errors_are_listed() -> None:
    from registry_store import errors
    from server.status import EXISTENCE_ERRORS

    assert errors.PersonNotFound in EXISTENCE_ERRORS and errors.UnknownMember in EXISTENCE_ERRORS
