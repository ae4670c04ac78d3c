"""The one table that turns domain exceptions into gRPC status codes.

Every error class the lower packages raise has an entry (a test checks this). Anything not in
the table is a bug: it becomes INTERNAL with a generic message, and the traceback is logged.
"""

from __future__ import annotations

import re

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from dedup import errors as dedup_errors
from dedup.errors import DedupError
from indexer import errors as indexer_errors
from indexer.errors import IndexerError
from matcher import errors as matcher_errors
from matcher.clustering import ClusteringError
from matcher.errors import MatcherError
from registry_store import errors as store_errors
from server import errors as server_errors
from synthetic.errors import SyntheticError

__all__ = ["EXISTENCE_ERRORS", "STATUS_TABLE", "status_for"]

ERROR_DOMAIN = "hawiya.ma"

# Most specific first: the first entry the exception is an instance of wins.
STATUS_TABLE: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (server_errors.InvalidField, grpc.StatusCode.INVALID_ARGUMENT),
    (server_errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (server_errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (server_errors.RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (server_errors.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (server_errors.IndexNotReady, grpc.StatusCode.UNAVAILABLE),
    (server_errors.JobNotFound, grpc.StatusCode.NOT_FOUND),
    (server_errors.JobLimitReached, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (server_errors.JobStateConflict, grpc.StatusCode.FAILED_PRECONDITION),
    (server_errors.ServerStopping, grpc.StatusCode.UNAVAILABLE),
    (store_errors.InvalidIdcs, grpc.StatusCode.INVALID_ARGUMENT),
    (store_errors.UnknownMember, grpc.StatusCode.INVALID_ARGUMENT),
    (store_errors.AmbiguousMember, grpc.StatusCode.INVALID_ARGUMENT),
    (store_errors.InvalidField, grpc.StatusCode.INVALID_ARGUMENT),
    (store_errors.DuplicateTransaction, grpc.StatusCode.INTERNAL),
    (store_errors.IdcsAllocationFailed, grpc.StatusCode.INTERNAL),
    (store_errors.IdempotencyConflict, grpc.StatusCode.INVALID_ARGUMENT),
    (store_errors.VersionConflict, grpc.StatusCode.FAILED_PRECONDITION),
    (store_errors.PersonNotFound, grpc.StatusCode.NOT_FOUND),
    (store_errors.HouseholdNotFound, grpc.StatusCode.NOT_FOUND),
    (store_errors.ComplaintNotFound, grpc.StatusCode.NOT_FOUND),
    (store_errors.MemberAlreadyActive, grpc.StatusCode.FAILED_PRECONDITION),
    (store_errors.MembershipConflict, grpc.StatusCode.FAILED_PRECONDITION),
    (store_errors.MemberNotActive, grpc.StatusCode.FAILED_PRECONDITION),
    (store_errors.IllegalTransition, grpc.StatusCode.FAILED_PRECONDITION),
    (store_errors.StoreUnavailable, grpc.StatusCode.UNAVAILABLE),
    # Start-up errors: they never reach a call, but are listed so the table is complete.
    (server_errors.ConfigError, grpc.StatusCode.INTERNAL),
    (server_errors.CallersFileError, grpc.StatusCode.INTERNAL),
    (server_errors.JobFileError, grpc.StatusCode.INTERNAL),
    (store_errors.SchemaMismatch, grpc.StatusCode.INTERNAL),
    (store_errors.InvalidStoreUrl, grpc.StatusCode.INTERNAL),
    (store_errors.IndexFormulaError, grpc.StatusCode.INTERNAL),
    (store_errors.StoreError, grpc.StatusCode.INTERNAL),
    (matcher_errors.ComparisonSpecError, grpc.StatusCode.INTERNAL),
    (matcher_errors.GammaError, grpc.StatusCode.INTERNAL),
    (ClusteringError, grpc.StatusCode.INTERNAL),
    (matcher_errors.ModelFormatError, grpc.StatusCode.INTERNAL),
    (matcher_errors.ModelError, grpc.StatusCode.INTERNAL),
    (matcher_errors.TrainingError, grpc.StatusCode.INTERNAL),
    (MatcherError, grpc.StatusCode.INTERNAL),
    # The indexer serves batch jobs and the server's own index: its errors are ours, not a caller's.
    (indexer_errors.BlockingRuleError, grpc.StatusCode.INTERNAL),
    (indexer_errors.CandidateSettingsError, grpc.StatusCode.INTERNAL),
    (indexer_errors.IndexFileError, grpc.StatusCode.INTERNAL),
    (indexer_errors.IndexStateError, grpc.StatusCode.INTERNAL),
    (indexer_errors.RecordsError, grpc.StatusCode.INTERNAL),
    (indexer_errors.VectorShapeError, grpc.StatusCode.INTERNAL),
    (IndexerError, grpc.StatusCode.INTERNAL),
    # The data-quality report runs in `hawiya quality` and a background thread, never in a call.
    (dedup_errors.QualityFileError, grpc.StatusCode.INTERNAL),
    (dedup_errors.UnknownColumn, grpc.StatusCode.INTERNAL),
    (dedup_errors.ReportFormatError, grpc.StatusCode.INTERNAL),
    (dedup_errors.QualityError, grpc.StatusCode.INTERNAL),
    # The batch engine runs in a dedup job's own process: its input errors end the job FAILED,
    # naming the column or file; listed with the codes they mean should a call ever raise them.
    (dedup_errors.InputFileError, grpc.StatusCode.INVALID_ARGUMENT),
    (dedup_errors.MissingColumn, grpc.StatusCode.INVALID_ARGUMENT),
    (dedup_errors.ModelFileError, grpc.StatusCode.INVALID_ARGUMENT),
    (dedup_errors.DedupInputError, grpc.StatusCode.INVALID_ARGUMENT),
    (dedup_errors.DedupCancelled, grpc.StatusCode.CANCELLED),
    (dedup_errors.ConfigError, grpc.StatusCode.INTERNAL),
    (DedupError, grpc.StatusCode.INTERNAL),
    (SyntheticError, grpc.StatusCode.INTERNAL),
    (server_errors.ServerError, grpc.StatusCode.INTERNAL),
)

# Errors that tell whether an IDCS is registered: a caller whose policy does not allow it to
# learn that gets, instead, the PERMISSION_DENIED of an RPC it may not call (see server.callers).
EXISTENCE_ERRORS: tuple[type[BaseException], ...] = (store_errors.PersonNotFound, store_errors.UnknownMember)

_REASONS = {
    grpc.StatusCode.RESOURCE_EXHAUSTED: "RATE_LIMITED",
    grpc.StatusCode.DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
    grpc.StatusCode.INVALID_ARGUMENT: "INVALID_ARGUMENT",
    grpc.StatusCode.UNAUTHENTICATED: "UNAUTHENTICATED",
    grpc.StatusCode.PERMISSION_DENIED: "PERMISSION_DENIED",
    grpc.StatusCode.FAILED_PRECONDITION: "FAILED_PRECONDITION",
    grpc.StatusCode.NOT_FOUND: "NOT_FOUND",
    grpc.StatusCode.UNAVAILABLE: "UNAVAILABLE",
}


def _violation_type(kind: type[BaseException]) -> str:
    """MemberAlreadyActive -> MEMBER_ALREADY_ACTIVE."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).upper()


def _status(
    code: grpc.StatusCode,
    message: str,
    field: str | None,
    kind: type[BaseException] | None = None,
    exc: BaseException | None = None,
) -> grpc.Status:
    details = []
    if field is not None and code is grpc.StatusCode.INVALID_ARGUMENT:
        bad = error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field=field, description=message)]
        )
        packed = any_pb2.Any()
        packed.Pack(bad)
        details.append(packed)
    elif field is not None and code is grpc.StatusCode.FAILED_PRECONDITION and kind is not None:
        # google.rpc's detail for a refused precondition: the subject is the request field it is about.
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=_violation_type(kind), subject=field, description=message
                )
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(failure)
        details.append(packed)
    retry_after = getattr(exc, "retry_after", None) if exc is not None else None
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED and isinstance(retry_after, float):
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(retry_after * 1e9))
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        details.append(packed)
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=_REASONS.get(code, "INTERNAL"), domain=ERROR_DOMAIN))
    details.append(info)
    proto = status_pb2.Status(code=code.value[0], message=message, details=details)
    return rpc_status.to_status(proto)


def status_for(exc: BaseException) -> tuple[grpc.Status, bool]:
    """The status to answer with, and whether the error is unexpected (to be logged)."""
    for kind, code in STATUS_TABLE:
        if isinstance(exc, kind):
            if code is grpc.StatusCode.INTERNAL:
                break
            field = getattr(exc, "field", None)
            return _status(code, str(exc), field if isinstance(field, str) else None, type(exc), exc), False
    return _status(grpc.StatusCode.INTERNAL, "internal error", None), True
