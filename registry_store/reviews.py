"""ReviewStore: the enrolments the 1:N duplicate search did not let through, and the review queue.

When an enrolment's demographics match an existing person above the high threshold, the
enrolment is refused as a DUPLICATE (the desk is given the existing IDCS); between the two
thresholds it is a POSSIBLE_DUPLICATE, held for review: no IDCS is allocated and the request
waits, pending, in this queue. Both are recorded here (one `enrolment_reviews` row with the
submitted demographics, and the persons found with their match probabilities, best first, in
`enrolment_review_candidates`) under the request's idempotency key, so that a retry of the
request gets the same answer as the first attempt, even if the register has changed since.
A DUPLICATE row is born closed (there is nothing to review); a POSSIBLE_DUPLICATE row pending.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from registry_store.engine import WRITE_OPTION, db_errors, unique_violation
from registry_store.errors import IdempotencyConflict, InvalidField
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics
from registry_store.rows import demographics_digest, demographics_from_row, demographics_row
from registry_store.schema import enrolment_review_candidates, enrolment_reviews, identities
from registry_store.social_rows import checked_key, checked_public_id, new_public_id
from registry_store.store import RegistryStore

__all__ = [
    "MAX_REVIEW_CANDIDATES",
    "EnrolmentReview",
    "HoldResult",
    "ReviewCandidate",
    "ReviewOutcome",
    "ReviewStatus",
    "ReviewStore",
]

logger = logging.getLogger(__name__)

MAX_REVIEW_CANDIDATES = 100
_MAX_LIST = 1000

_r, _rc = enrolment_reviews, enrolment_review_candidates


class ReviewOutcome(enum.Enum):
    """Why an enrolment was not let through."""

    DUPLICATE = "duplicate"
    POSSIBLE_DUPLICATE = "possible_duplicate"


class ReviewStatus(enum.Enum):
    """PENDING: held for review; CLOSED: nothing (more) to review."""

    PENDING = "pending"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ReviewCandidate:
    """An existing person the search found, and the probability that it is the same person."""

    idcs: str
    probability: float


@dataclass(frozen=True, slots=True)
class EnrolmentReview:
    """An enrolment refused as a duplicate or held as a possible one."""

    review_id: str
    outcome: ReviewOutcome
    status: ReviewStatus
    demographics: Demographics
    candidates: tuple[ReviewCandidate, ...]  # best first
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HoldResult:
    """The review, and whether this call recorded it (False: a retry of an earlier request)."""

    review: EnrolmentReview
    created: bool


def _checked_candidates(candidates: Sequence[ReviewCandidate]) -> list[ReviewCandidate]:
    if not isinstance(candidates, Sequence) or not 1 <= len(candidates) <= MAX_REVIEW_CANDIDATES:
        raise InvalidField("candidates", f"must be 1 to {MAX_REVIEW_CANDIDATES} candidates")
    checked = []
    for i, candidate in enumerate(candidates):
        if not isinstance(candidate, ReviewCandidate):
            raise InvalidField(f"candidates[{i}]", "must be a ReviewCandidate")
        validate_idcs(candidate.idcs, f"candidates[{i}].idcs")
        p = candidate.probability
        if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p) or not 0.0 <= p <= 1.0:
            raise InvalidField(f"candidates[{i}].probability", "must be a number from 0 to 1")
        checked.append(ReviewCandidate(candidate.idcs, float(p)))
    return checked


def _review_from_rows(row: Any, candidates: Sequence[Any]) -> EnrolmentReview:
    return EnrolmentReview(
        review_id=row["review_id"],
        outcome=ReviewOutcome(row["outcome"]),
        status=ReviewStatus(row["status"]),
        demographics=demographics_from_row(row),
        candidates=tuple(
            ReviewCandidate(c["idcs"], float(c["probability"])) for c in sorted(candidates, key=lambda c: c["ordinal"])
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class ReviewStore:
    """Held and refused enrolments over the register's database; shares its connection pool."""

    def __init__(self, registry: RegistryStore) -> None:
        self._engine = registry.engine
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})

    def _read(self) -> Connection:
        return self._engine.connect()

    def _write(self) -> AbstractContextManager[Connection]:
        return self._writer.begin()

    @staticmethod
    def _load_many(conn: Connection, rows: Sequence[Any]) -> list[EnrolmentReview]:
        ids = [r["review_id"] for r in rows]
        if not ids:
            return []
        found: dict[str, list[Any]] = {}
        for c in conn.execute(select(_rc).where(_rc.c.review_id.in_(ids))).mappings():
            found.setdefault(c["review_id"], []).append(c)
        return [_review_from_rows(r, found.get(r["review_id"], [])) for r in rows]

    def _replay(self, conn: Connection, key: str, digest: str) -> EnrolmentReview | None:
        row = conn.execute(select(_r).where(_r.c.idempotency_key == key)).mappings().first()
        if row is None:
            return None
        if row["request_digest"] != digest:
            raise IdempotencyConflict()
        return self._load_many(conn, [row])[0]

    def replay(self, idempotency_key: str | None, demographics: Demographics) -> EnrolmentReview | None:
        """The review an earlier request with this key was answered with, or None; writes nothing.

        IdempotencyConflict if the key was used with other demographics.
        """
        key = checked_key(idempotency_key)
        if key is None:
            return None
        digest = demographics_digest(demographics)
        with db_errors("replay_review"), self._read() as conn:
            return self._replay(conn, key, digest)

    @db_errors("record_review")
    def record(
        self,
        idempotency_key: str,
        demographics: Demographics,
        outcome: ReviewOutcome,
        candidates: Sequence[ReviewCandidate],
    ) -> HoldResult:
        """Record an enrolment refused (DUPLICATE) or held (POSSIBLE_DUPLICATE), once per key.

        A key already recorded with the same demographics returns that review (created=False);
        with other demographics, or a key that already enrolled a person, IdempotencyConflict.
        """
        key = checked_key(idempotency_key)
        if key is None:
            raise InvalidField("idempotency_key", "is required to hold an enrolment")
        if not isinstance(outcome, ReviewOutcome):
            raise InvalidField("outcome", "must be a ReviewOutcome")
        checked = _checked_candidates(candidates)
        row = demographics_row(demographics)
        digest = demographics_digest(demographics)
        status = ReviewStatus.PENDING if outcome is ReviewOutcome.POSSIBLE_DUPLICATE else ReviewStatus.CLOSED
        now = datetime.now(UTC)
        review_id = new_public_id()
        try:
            with self._write() as conn:
                replay = self._replay(conn, key, digest)
                if replay is not None:
                    return HoldResult(replay, created=False)
                enrolled = conn.execute(select(identities.c.idcs).where(identities.c.idempotency_key == key)).first()
                if enrolled is not None:
                    raise IdempotencyConflict()
                conn.execute(
                    insert(_r),
                    {
                        **row,
                        "review_id": review_id,
                        "idempotency_key": key,
                        "request_digest": digest,
                        "outcome": outcome.value,
                        "status": status.value,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                conn.execute(
                    insert(_rc),
                    [
                        {"review_id": review_id, "ordinal": i, "idcs": c.idcs, "probability": c.probability}
                        for i, c in enumerate(checked)
                    ],
                )
        except IntegrityError as exc:
            if unique_violation(exc) == "enrolment_reviews.idempotency_key":
                # A concurrent request with the same key committed first: answer as a retry.
                with self._read() as conn:
                    replay = self._replay(conn, key, digest)
                if replay is not None:
                    return HoldResult(replay, created=False)
            raise
        review = EnrolmentReview(
            review_id=review_id,
            outcome=outcome,
            status=status,
            demographics=demographics,
            candidates=tuple(checked),
            created_at=now,
            updated_at=now,
        )
        logger.info("enrolment held: outcome=%s candidates=%d", outcome.value, len(checked))
        return HoldResult(review, created=True)

    @db_errors("find_review")
    def find(self, review_id: str) -> EnrolmentReview | None:
        """The review with this id, or None."""
        checked_public_id(review_id, "review_id")
        with self._read() as conn:
            row = conn.execute(select(_r).where(_r.c.review_id == review_id)).mappings().first()
            return None if row is None else self._load_many(conn, [row])[0]

    @db_errors("pending_reviews")
    def pending(self, limit: int = 100) -> list[EnrolmentReview]:
        """The oldest `limit` enrolments held for review, oldest first."""
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_LIST:
            raise InvalidField("limit", f"must be an integer from 1 to {_MAX_LIST}")
        stmt = select(_r).where(_r.c.status == ReviewStatus.PENDING.value).order_by(_r.c.id).limit(limit)
        with self._read() as conn:
            rows = conn.execute(stmt).mappings().all()
            return self._load_many(conn, rows)

    @db_errors("count_reviews")
    def count(self, status: ReviewStatus | None = None) -> int:
        """How many enrolments were refused or held (only those in `status`, if given)."""
        stmt = select(func.count()).select_from(_r)
        if status is not None:
            if not isinstance(status, ReviewStatus):
                raise InvalidField("status", "must be a ReviewStatus")
            stmt = stmt.where(_r.c.status == status.value)
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())
