"""ComplaintStore: complaints (réclamations) about RNP and RSU records, with an append-only history.

A complaint is one `complaints` row, never updated, and one `complaint_transitions` row per
status change, the filing included (None -> OPEN). Its status is its last transition's, so
nothing is ever overwritten and every change keeps its time, reason and actor. The lifecycle is
`social_model.COMPLAINT_TRANSITIONS`: OPEN -> IN_REVIEW -> RESOLVED or REJECTED; anything else is
IllegalTransition. Two agents changing one complaint at once are serialised (a row lock on
PostgreSQL, BEGIN IMMEDIATE on SQLite) and the second sees the first's change; the transitions'
primary key backs this up.

Listing pages through complaints in filing order with an opaque token (the last row's position
and a digest of the filters, so a token cannot be replayed with other filters).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select
from sqlalchemy.exc import IntegrityError

from registry_store.engine import WRITE_OPTION, db_errors, unique_violation
from registry_store.errors import (
    ComplaintNotFound,
    HouseholdNotFound,
    IdempotencyConflict,
    IllegalTransition,
    InvalidField,
    PersonNotFound,
    StoreUnavailable,
)
from registry_store.idcs import validate_idcs
from registry_store.schema import (
    COMPLAINT_ACTOR_MAX_LENGTH,
    COMPLAINT_REASON_MAX_LENGTH,
    COMPLAINT_TEXT_MAX_LENGTH,
    complaint_transitions,
    complaints,
    households,
    identities,
)
from registry_store.social_model import (
    CLOSED_STATUSES,
    COMPLAINT_TRANSITIONS,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    ComplaintSubjectKind,
)
from registry_store.social_rows import (
    checked_key,
    checked_public_id,
    checked_text,
    complaint_digest,
    complaint_from_rows,
    new_public_id,
)
from registry_store.store import RegistryStore

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "ComplaintPage", "ComplaintStore", "FileResult"]

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_TOKEN_FORMAT = 1

_c, _t = complaints, complaint_transitions
_NEEDS_IDCS = frozenset({ComplaintSubjectKind.PERSON_DATA, ComplaintSubjectKind.MEMBERSHIP, ComplaintSubjectKind.MERGE})
_NEEDS_HOUSEHOLD = frozenset({ComplaintSubjectKind.HOUSEHOLD_INDEX, ComplaintSubjectKind.MEMBERSHIP})

_later = complaint_transitions.alias("later")
_LAST_SEQ = select(func.max(_later.c.seq)).where(_later.c.complaint_id == _c.c.complaint_id).scalar_subquery()


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome of filing: the complaint, and whether this call created it."""

    complaint: Complaint
    created: bool


@dataclass(frozen=True, slots=True)
class ComplaintPage:
    """One page of a listing and the token of the next ("" after the last page)."""

    complaints: tuple[Complaint, ...]
    next_page_token: str


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_subject(subject: object, field: str) -> ComplaintSubject:
    if not isinstance(subject, ComplaintSubject):
        raise InvalidField(field, "must be a ComplaintSubject")
    if not isinstance(subject.kind, ComplaintSubjectKind):
        raise InvalidField(f"{field}.kind", "must be a ComplaintSubjectKind")
    kind = subject.kind.name
    if subject.kind in _NEEDS_IDCS:
        validate_idcs(subject.idcs, f"{field}.idcs")
    elif subject.idcs:
        raise InvalidField(f"{field}.idcs", f"must be empty for a {kind} complaint")
    if subject.kind in _NEEDS_HOUSEHOLD:
        checked_public_id(subject.household_id, f"{field}.household_id")
    elif subject.household_id:
        raise InvalidField(f"{field}.household_id", f"must be empty for a {kind} complaint")
    return subject


def _checked_actor(value: object, field: str) -> str:
    actor = checked_text(value, field, max_length=COMPLAINT_ACTOR_MAX_LENGTH, required=True)
    if not actor.isprintable():
        raise InvalidField(field, "must be printable")
    return actor


def _filters_digest(status: ComplaintStatus | None, household_id: str | None) -> str:
    text = f"{status.value if status else ''}|{household_id or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_token(after: int, filters: str) -> str:
    raw = json.dumps({"v": _TOKEN_FORMAT, "after": after, "f": filters}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, filters: str) -> int:
    problem = InvalidField("page_token", "is not a token of a previous ListComplaints page with the same filters")
    if not isinstance(token, str) or len(token) > 200:
        raise problem
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise problem from None
    if not isinstance(data, dict) or data.get("v") != _TOKEN_FORMAT or data.get("f") != filters:
        raise problem
    after = data.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise problem
    return after


class ComplaintStore:
    """Complaints over the register's database; shares the RegistryStore's connection pool."""

    def __init__(self, registry: RegistryStore) -> None:
        self._engine = registry.engine
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})

    def _read(self) -> Connection:
        return self._engine.connect()

    def _write(self) -> AbstractContextManager[Connection]:
        return self._writer.begin()

    # -- reads ------------------------------------------------------------------------------------

    @staticmethod
    def _load_many(conn: Connection, rows: Sequence[Any]) -> list[Complaint]:
        ids = [r["complaint_id"] for r in rows]
        if not ids:
            return []
        history: dict[str, list[Any]] = {}
        for t in conn.execute(select(_t).where(_t.c.complaint_id.in_(ids))).mappings():
            history.setdefault(t["complaint_id"], []).append(t)
        return [complaint_from_rows(r, history[r["complaint_id"]]) for r in rows]

    @classmethod
    def _load(cls, conn: Connection, complaint_id: str) -> Complaint | None:
        row = conn.execute(select(_c).where(_c.c.complaint_id == complaint_id)).mappings().first()
        return None if row is None else cls._load_many(conn, [row])[0]

    @db_errors("get_complaint")
    def get_complaint(self, complaint_id: str, *, field: str = "complaint_id") -> Complaint:
        """The complaint with its whole history; ComplaintNotFound if none."""
        checked_public_id(complaint_id, field)
        with self._read() as conn:
            complaint = self._load(conn, complaint_id)
        if complaint is None:
            raise ComplaintNotFound(field)
        return complaint

    @db_errors("list_complaints")
    def list_complaints(
        self,
        *,
        status: ComplaintStatus | None = None,
        household_id: str | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> ComplaintPage:
        """Complaints in filing order, optionally only those in `status` or about `household_id`.

        `page_size` 0 means DEFAULT_PAGE_SIZE; larger than MAX_PAGE_SIZE means MAX_PAGE_SIZE. Pass
        the returned token, with the same filters, for the next page.
        """
        if status is not None and not isinstance(status, ComplaintStatus):
            raise InvalidField("status", "must be a ComplaintStatus")
        if household_id:
            checked_public_id(household_id, "household_id")
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 0:
            raise InvalidField("page_size", "must be 0 (the default) or a positive integer")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        filters = _filters_digest(status, household_id or None)
        after = _decode_token(page_token, filters) if page_token else 0
        stmt = select(_c).select_from(_c).where(_c.c.id > after)
        if household_id:
            stmt = stmt.where(_c.c.subject_household_id == household_id)
        if status is not None:
            stmt = stmt.join(_t, and_(_t.c.complaint_id == _c.c.complaint_id, _t.c.seq == _LAST_SEQ)).where(
                _t.c.to_status == status.value
            )
        stmt = stmt.order_by(_c.c.id).limit(size + 1)
        with self._read() as conn:
            rows = conn.execute(stmt).mappings().all()
            page = self._load_many(conn, rows[:size])
        token = _encode_token(int(rows[size - 1]["id"]), filters) if len(rows) > size else ""
        return ComplaintPage(tuple(page), token)

    @db_errors("count_complaints")
    def count_complaints(self) -> int:
        """How many complaints were filed."""
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(_c)).scalar_one())

    # -- writes -----------------------------------------------------------------------------------

    def _replay(self, conn: Connection, key: str, digest: str) -> Complaint | None:
        found = conn.execute(select(_c.c.complaint_id, _c.c.request_digest).where(_c.c.idempotency_key == key)).first()
        if found is None:
            return None
        if found.request_digest != digest:
            raise IdempotencyConflict("complaint")
        return self._load(conn, found.complaint_id)

    @staticmethod
    def _check_subject_exists(conn: Connection, subject: ComplaintSubject, field: str) -> None:
        if subject.idcs:
            found = conn.execute(select(identities.c.idcs).where(identities.c.idcs == subject.idcs)).first()
            if found is None:
                raise PersonNotFound(f"{field}.idcs")
        if subject.household_id:
            found = conn.execute(
                select(households.c.household_id).where(households.c.household_id == subject.household_id)
            ).first()
            if found is None:
                raise HouseholdNotFound(f"{field}.household_id")

    @db_errors("file_complaint")
    def file_complaint(
        self,
        subject: ComplaintSubject,
        text: str,
        *,
        filed_by: str,
        idempotency_key: str | None = None,
        field: str = "subject",
    ) -> FileResult:
        """File a complaint (status OPEN) at most once per idempotency key.

        The subject's IDCS must be registered (PersonNotFound) and its household too
        (HouseholdNotFound); `filed_by` is the caller id, recorded as the first transition's actor.
        """
        key = checked_key(idempotency_key)
        checked = _checked_subject(subject, field)
        body = checked_text(text, "text", max_length=COMPLAINT_TEXT_MAX_LENGTH, required=True, multiline=True)
        actor = _checked_actor(filed_by, "filed_by")
        digest = complaint_digest(checked, body)
        complaint_id = new_public_id()
        now = _now()
        try:
            with self._write() as conn:
                if key is not None:
                    replay = self._replay(conn, key, digest)
                    if replay is not None:
                        return FileResult(replay, created=False)
                self._check_subject_exists(conn, checked, field)
                conn.execute(
                    insert(_c),
                    {
                        "complaint_id": complaint_id,
                        "subject_kind": checked.kind.value,
                        "subject_idcs": checked.idcs or None,
                        "subject_household_id": checked.household_id or None,
                        "text": body,
                        "filed_by": actor,
                        "created_at": now,
                        "idempotency_key": key,
                        "request_digest": digest,
                    },
                )
                conn.execute(
                    insert(_t),
                    {
                        "complaint_id": complaint_id,
                        "seq": 1,
                        "from_status": None,
                        "to_status": ComplaintStatus.OPEN.value,
                        "reason": "",
                        "actor": actor,
                        "changed_at": now,
                    },
                )
                complaint = self._load(conn, complaint_id)
        except IntegrityError as exc:
            if unique_violation(exc) == "complaints.idempotency_key" and key is not None:
                with self._read() as conn:
                    replay = self._replay(conn, key, digest)
                if replay is not None:
                    return FileResult(replay, created=False)
                raise StoreUnavailable("file_complaint: a concurrent filing rolled back; retry") from None
            raise
        if complaint is None:  # written above in the same transaction
            raise ComplaintNotFound()
        logger.debug("complaint filed: kind=%s", checked.kind.value)
        return FileResult(complaint, created=True)

    @db_errors("change_complaint_status")
    def change_status(self, complaint_id: str, status: ComplaintStatus, *, reason: str, actor: str) -> Complaint:
        """Append a transition to `status`; IllegalTransition if the lifecycle does not allow it.

        A reason is required to close a complaint (RESOLVED, REJECTED).
        """
        checked_public_id(complaint_id, "complaint_id")
        if not isinstance(status, ComplaintStatus):
            raise InvalidField("status", "must be a ComplaintStatus")
        why = checked_text(
            reason,
            "reason",
            max_length=COMPLAINT_REASON_MAX_LENGTH,
            required=status in CLOSED_STATUSES,
            multiline=True,
        )
        who = _checked_actor(actor, "actor")
        now = _now()
        try:
            with self._write() as conn:
                found = conn.execute(
                    select(_c.c.complaint_id).where(_c.c.complaint_id == complaint_id).with_for_update()
                ).first()
                if found is None:
                    raise ComplaintNotFound()
                last = conn.execute(
                    select(_t.c.seq, _t.c.to_status, _t.c.changed_at)
                    .where(_t.c.complaint_id == complaint_id)
                    .order_by(_t.c.seq.desc())
                    .limit(1)
                ).one()
                current = ComplaintStatus(last.to_status)
                if status not in COMPLAINT_TRANSITIONS[current]:
                    raise IllegalTransition(
                        f"a complaint {current.name} cannot become {status.name}"
                        + (" (it is closed)" if current in CLOSED_STATUSES else "")
                    )
                conn.execute(
                    insert(_t),
                    {
                        "complaint_id": complaint_id,
                        "seq": last.seq + 1,
                        "from_status": current.value,
                        "to_status": status.value,
                        "reason": why,
                        "actor": who,
                        # Clocks of several servers may disagree a little: a history never goes back.
                        "changed_at": max(now, last.changed_at),
                    },
                )
                complaint = self._load(conn, complaint_id)
        except IntegrityError as exc:
            if unique_violation(exc) == "complaint_transitions.seq":
                raise IllegalTransition("the complaint changed at the same time; read it again") from None
            raise
        if complaint is None:
            raise ComplaintNotFound()
        logger.debug("complaint status changed: %s -> %s", current.value, status.value)
        return complaint
