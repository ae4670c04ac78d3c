"""RegistryStore: RNP persons (append-only versions), IDCS allocation and the auth audit trail.

One class for both backends (SQLite, PostgreSQL) over SQLAlchemy Core. It is thread safe: every
call checks a connection out of the engine's pool for the duration of one transaction.

Every person write (enrolment, update) also appends to the `person_changes` journal in the same
transaction (see `registry_store.schema`), which `changes_since` reads: that is how each server
process keeps its in-memory candidate index in step with the writes of the others.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import random
import re
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from registry_store.bootstrap import ensure_schema
from registry_store.engine import WRITE_OPTION, create_store_engine, db_errors, unique_violation
from registry_store.errors import (
    DuplicateTransaction,
    IdcsAllocationFailed,
    IdempotencyConflict,
    InvalidField,
    PersonNotFound,
    StoreUnavailable,
    VersionConflict,
)
from registry_store.idcs import new_idcs, validate_idcs
from registry_store.model import AuditEntry, Demographics, Person, PersonStatus
from registry_store.rows import (
    audit_from_row,
    demographics_digest,
    demographics_row,
    person_from_row,
)
from registry_store.schema import (
    AUDIT_FIELD_MAX_LENGTHS,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    auth_audit,
    identities,
    person_changes,
    person_versions,
    schema_meta,
)

__all__ = ["EnrolResult", "RegistryStore", "audit_values", "checked_idcs_hash"]

logger = logging.getLogger(__name__)

# With 8 * 10**8 possible IDCSs a collision needs a register of tens of millions to be likely
# even once; eight draws in a row colliding means something else is wrong.
_MAX_IDCS_ATTEMPTS = 8
_MAX_AUDIT_LIMIT = 10_000
_MAX_CHANGES_LIMIT = 100_000
_PERSONS_PER_QUERY = 500  # IDCSs bound in one IN (...): well under SQLite's parameter limit
# PostgreSQL advisory lock keys; any constants work, the same in every process.
_PG_JOURNAL_LOCK = 0x686177696A726E6C  # "hawijrnl"
_PG_ENROLMENT_LOCK = 0x68617769656E726C  # "hawienrl"
_DEFAULT_LOCK_WAIT = 30.0
_HASH_RE = re.compile(r"[0-9a-f]{32,128}")

_pv = person_versions
_PERSON_COLUMNS = (*_pv.c, identities.c.created_at)

# Prebuilt statements: the hot path (find_person) only binds a parameter.
_LATEST_VERSION = (
    select(*_PERSON_COLUMNS)
    .join(identities, identities.c.idcs == _pv.c.idcs)
    .where(_pv.c.idcs == bindparam("idcs"))
    .order_by(_pv.c.version.desc())
    .limit(1)
)
_HISTORY = (
    select(*_PERSON_COLUMNS)
    .join(identities, identities.c.idcs == _pv.c.idcs)
    .where(_pv.c.idcs == bindparam("idcs"))
    .order_by(_pv.c.version.asc())
)
_IDENTITY_BY_KEY = select(identities.c.idcs, identities.c.request_digest).where(
    identities.c.idempotency_key == bindparam("key")
)


@dataclass(frozen=True, slots=True)
class EnrolResult:
    """The outcome of an enrolment: the person, and whether this call created it."""

    person: Person
    created: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_key(key: str | None) -> str | None:
    # "" is what proto3 sends for an absent string: it means no key.
    if key is None or key == "":
        return None
    if not isinstance(key, str):
        raise InvalidField("idempotency_key", "must be a string")
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidField(
            "idempotency_key",
            f"must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters",
        )
    return key


def _checked_audit_text(value: object, field: str, *, required: bool) -> str:
    max_length = AUDIT_FIELD_MAX_LENGTHS[field]
    if not isinstance(value, str) or not value.isprintable() or len(value) > max_length:
        raise InvalidField(field, f"must be at most {max_length} printable characters")
    if required and not value:
        raise InvalidField(field, "must not be empty")
    return value


def _checked_positive(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidField(field, "must be a positive integer")
    return value


def checked_idcs_hash(value: object, field: str = "idcs_hash") -> str:
    """A keyed IDCS hash as stored: 32 to 128 lowercase hex digits (never a raw IDCS)."""
    if not isinstance(value, str) or _HASH_RE.fullmatch(value) is None:
        raise InvalidField(field, "must be a keyed hash as 32 to 128 lowercase hex digits")
    return value


def audit_values(entry: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """An audit row checked for storage (see `RegistryStore.record_audit`).

    A row without ``created_at`` is given ``now`` (the current time if None): a writer of many
    rows passes one moment for the whole batch.
    """
    idcs_hash = entry.get("idcs_hash")
    values: dict[str, Any] = {
        "transaction_id": _checked_audit_text(entry.get("transaction_id"), "transaction_id", required=True),
        "caller_id": _checked_audit_text(entry.get("caller_id"), "caller_id", required=True),
        "idcs_hash": idcs_hash,
        "decision": _checked_audit_text(entry.get("decision"), "decision", required=True),
        "reason": _checked_audit_text(entry.get("reason", ""), "reason", required=False),
    }
    if not isinstance(idcs_hash, str) or _HASH_RE.fullmatch(idcs_hash) is None:
        raise InvalidField("idcs_hash", "must be a keyed hash as 32 to 128 lowercase hex digits")
    created_at = entry.get("created_at")
    if created_at is None:
        created_at = now or _now()
    elif not isinstance(created_at, datetime) or created_at.utcoffset() is None:
        raise InvalidField("created_at", "must be a timezone-aware datetime")
    values["created_at"] = created_at
    return values


class RegistryStore:
    """The RNP register over SQL. Create it with `RegistryStore.from_url`; close it when done."""

    def __init__(self, engine: Engine, *, rng: random.Random | None = None) -> None:
        """Wrap an engine made by `create_store_engine` whose schema is in place."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        # PostgreSQL single-statement reads need no transaction: autocommit saves the BEGIN and
        # ROLLBACK round trips on the authentication hot path.
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
        )
        self._rng = rng
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pool_size: int = 10,
        rng: random.Random | None = None,
        statement_timeout: float | None = None,
    ) -> RegistryStore:
        """Open the store at `url` (``sqlite:///path`` or ``postgresql+psycopg://...``).

        Creates the tables if absent and checks the schema version. `rng` seeds IDCS allocation
        and exists for tests only; the default draws from the operating system.
        `statement_timeout` (seconds) bounds every statement and wait (see `create_store_engine`).
        """
        engine = create_store_engine(url, pool_size=pool_size, statement_timeout=statement_timeout)
        try:
            version = ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        logger.info(
            "registry store opened: dialect=%s schema_version=%d pool_size=%d",
            engine.dialect.name,
            version,
            pool_size,
        )
        return cls(engine, rng=rng)

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """The backend: "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    @property
    def engine(self) -> Engine:
        """The underlying engine (for metrics on its pool and for tests)."""
        return self._engine

    def _read(self) -> Connection:
        if self._closed:
            raise StoreUnavailable("the registry store is closed")
        return self._reader.connect()

    def _write(self) -> AbstractContextManager[Connection]:
        if self._closed:
            raise StoreUnavailable("the registry store is closed")
        return self._writer.begin()

    def close(self) -> None:
        """Close every pooled connection; later calls raise StoreUnavailable."""
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> RegistryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @db_errors("ping")
    def ping(self) -> None:
        """Check the database answers; raise StoreUnavailable if not."""
        with self._read() as conn:
            conn.execute(select(1)).scalar_one()

    # -- persons ----------------------------------------------------------------------------------

    def _latest(self, conn: Connection, idcs: str) -> Person | None:
        row = conn.execute(_LATEST_VERSION, {"idcs": idcs}).mappings().first()
        return None if row is None else person_from_row(row)

    def _replay(self, conn: Connection, key: str, digest: str) -> Person | None:
        """The person enrolled under `key`, if any; IdempotencyConflict if for another payload."""
        found = conn.execute(_IDENTITY_BY_KEY, {"key": key}).first()
        if found is None:
            return None
        if found.request_digest != digest:
            raise IdempotencyConflict()
        person = self._latest(conn, found.idcs)
        if person is None:  # identities and version 1 are written in one transaction
            raise PersonNotFound()
        return person

    @staticmethod
    def _journal(conn: Connection, idcs: str, version: int, now: datetime) -> None:
        """Append a person write to the journal: the last statement of its transaction.

        On PostgreSQL a transaction-level lock is taken first and held to the commit, so journal
        numbers commit in the order they are drawn and a reader never sees number n + 1 before
        n (a rolled-back write leaves a gap no one waits for). SQLite serialises writers already.
        The lock is held only for the insert and the commit.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_JOURNAL_LOCK})
        conn.execute(insert(person_changes), {"idcs": idcs, "version": version, "written_at": now})

    def replay_enrolment(self, idempotency_key: str | None, demographics: Demographics) -> Person | None:
        """The person an earlier `enrol` with this key created, or None; writes nothing.

        IdempotencyConflict if the key was used with other demographics.
        """
        key = _checked_key(idempotency_key)
        if key is None:
            return None
        digest = demographics_digest(demographics)
        with db_errors("replay_enrolment"), self._read() as conn:
            return self._replay(conn, key, digest)

    @db_errors("enrol")
    def enrol(self, demographics: Demographics, *, idempotency_key: str | None = None) -> EnrolResult:
        """Register a new person under a fresh random IDCS, at most once per idempotency key.

        A key already used with the same demographics returns that person (created=False); with
        different demographics it raises IdempotencyConflict and writes nothing. An empty key is
        no key.
        """
        key = _checked_key(idempotency_key)
        row = demographics_row(demographics)
        digest = demographics_digest(demographics)
        for _attempt in range(_MAX_IDCS_ATTEMPTS):
            idcs = new_idcs(self._rng)
            now = _now()
            try:
                with self._write() as conn:
                    if key is not None:
                        replay = self._replay(conn, key, digest)
                        if replay is not None:
                            return EnrolResult(person=replay, created=False)
                    conn.execute(
                        insert(identities),
                        {
                            "idcs": idcs,
                            "created_at": now,
                            "idempotency_key": key,
                            "request_digest": digest,
                        },
                    )
                    conn.execute(
                        insert(person_versions),
                        {
                            **row,
                            "idcs": idcs,
                            "version": 1,
                            "status": PersonStatus.ACTIVE.value,
                            "merged_into": None,
                            "written_at": now,
                        },
                    )
                    self._journal(conn, idcs, 1, now)
            except IntegrityError as exc:
                violated = unique_violation(exc)
                if violated == "identities.idempotency_key" and key is not None:
                    # A concurrent call with the same key committed first (PostgreSQL; SQLite
                    # writers are serialised by BEGIN IMMEDIATE): answer as a retry.
                    with self._read() as conn:
                        replay = self._replay(conn, key, digest)
                    if replay is not None:
                        logger.debug("enrol: a concurrent call with the same key won the race")
                        return EnrolResult(person=replay, created=False)
                    continue  # the winner rolled back after all: try again
                if violated == "identities.idcs":
                    logger.warning("enrol: allocated idcs already taken, drawing another")
                    continue
                raise
            person = Person(
                idcs=idcs,
                version=1,
                demographics=demographics,
                status=PersonStatus.ACTIVE,
                merged_into="",
                created_at=now,
                updated_at=now,
            )
            return EnrolResult(person=person, created=True)
        raise IdcsAllocationFailed(f"enrol: no free idcs found in {_MAX_IDCS_ATTEMPTS} attempts")

    @db_errors("find_person")
    def find_person(self, idcs: str) -> Person | None:
        """The latest version of the person with this IDCS, or None."""
        validate_idcs(idcs)
        with self._read() as conn:
            return self._latest(conn, idcs)

    def get_person(self, idcs: str) -> Person:
        """The latest version of the person with this IDCS; PersonNotFound if none."""
        person = self.find_person(idcs)
        if person is None:
            raise PersonNotFound()
        return person

    @db_errors("get_history")
    def get_history(self, idcs: str) -> list[Person]:
        """Every version of the person, oldest first; PersonNotFound if none."""
        validate_idcs(idcs)
        with self._read() as conn:
            rows = conn.execute(_HISTORY, {"idcs": idcs}).mappings().all()
        if not rows:
            raise PersonNotFound()
        return [person_from_row(r) for r in rows]

    @db_errors("update_person")
    def update_person(
        self,
        idcs: str,
        demographics: Demographics,
        *,
        status: PersonStatus | None = None,
        merged_into: str = "",
        expected_version: int | None = None,
    ) -> Person:
        """Write version n+1 of the person (rows are never updated in place) and return it.

        `status` None keeps the current status. `merged_into` is required with status MERGED
        (kept from the current version if it is already merged) and refused otherwise; it must
        be another registered IDCS. With `expected_version`, a person whose latest version is
        not that one raises VersionConflict and nothing is written. Concurrent updates of one
        person are serialised (a row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).
        """
        validate_idcs(idcs)
        row = demographics_row(demographics)
        if status is not None and not isinstance(status, PersonStatus):
            raise InvalidField("status", "must be a PersonStatus")
        if merged_into:
            validate_idcs(merged_into, "merged_into")
            if merged_into == idcs:
                raise InvalidField("merged_into", "must differ from idcs")
        if expected_version is not None:
            _checked_positive(expected_version, "expected_version")
        now = _now()
        try:
            with self._write() as conn:
                created_at = conn.execute(
                    select(identities.c.created_at).where(identities.c.idcs == idcs).with_for_update(key_share=True)
                ).scalar_one_or_none()
                if created_at is None:
                    raise PersonNotFound()
                current = self._latest(conn, idcs)
                if current is None:
                    raise PersonNotFound()
                if expected_version is not None and expected_version != current.version:
                    raise VersionConflict()
                new_status = current.status if status is None else status
                target = self._merge_target(conn, current, new_status, merged_into)
                version = current.version + 1
                conn.execute(
                    insert(person_versions),
                    {
                        **row,
                        "idcs": idcs,
                        "version": version,
                        "status": new_status.value,
                        "merged_into": target or None,
                        "written_at": now,
                    },
                )
                self._journal(conn, idcs, version, now)
        except IntegrityError as exc:
            if unique_violation(exc) == "person_versions.version":
                raise VersionConflict("another update was written at the same time") from None
            raise
        return Person(
            idcs=idcs,
            version=version,
            demographics=demographics,
            status=new_status,
            merged_into=target,
            created_at=created_at,
            updated_at=now,
        )

    @staticmethod
    def _merge_target(conn: Connection, current: Person, new_status: PersonStatus, merged_into: str) -> str:
        if new_status is not PersonStatus.MERGED:
            if merged_into:
                raise InvalidField("merged_into", "only allowed with status merged")
            return ""
        if not merged_into:
            if current.status is PersonStatus.MERGED and current.merged_into:
                return current.merged_into
            raise InvalidField("merged_into", "required with status merged")
        exists = conn.execute(select(identities.c.idcs).where(identities.c.idcs == merged_into)).first()
        if exists is None:
            raise PersonNotFound("merged_into")
        return merged_into

    def find_persons(self, idcs: Collection[str]) -> dict[str, Person]:
        """The latest version of each person among `idcs` that is registered, by IDCS."""
        wanted = sorted({validate_idcs(i) for i in idcs})
        found: dict[str, Person] = {}
        for start in range(0, len(wanted), _PERSONS_PER_QUERY):
            chunk = wanted[start : start + _PERSONS_PER_QUERY]
            latest = (
                select(_pv.c.idcs, func.max(_pv.c.version).label("version"))
                .where(_pv.c.idcs.in_(chunk))
                .group_by(_pv.c.idcs)
                .subquery()
            )
            stmt = (
                select(*_PERSON_COLUMNS)
                .join(latest, (latest.c.idcs == _pv.c.idcs) & (latest.c.version == _pv.c.version))
                .join(identities, identities.c.idcs == _pv.c.idcs)
            )
            with db_errors("find_persons"), self._read() as conn:
                rows = conn.execute(stmt).mappings().all()
            for r in rows:
                person = person_from_row(r)
                found[person.idcs] = person
        return found

    # -- the journal of person writes, and the enrolment lock -------------------------------------

    @db_errors("change_watermark")
    def change_watermark(self) -> int:
        """The number of the latest person write in the journal (0 if none)."""
        with self._read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(person_changes.c.seq), 0))).scalar_one())

    @db_errors("changes_since")
    def changes_since(self, after: int, limit: int = 10_000) -> list[tuple[int, str, int]]:
        """(number, IDCS, version written) of the person writes numbered above `after`, in order,
        at most `limit`.

        A reader that remembers the last number it saw and asks again from there sees every
        enrolment and update exactly once, whichever process wrote it (see `_journal`).
        """
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise InvalidField("after", "must be a journal number, 0 or more")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_CHANGES_LIMIT:
            raise InvalidField("limit", f"must be an integer from 1 to {_MAX_CHANGES_LIMIT}")
        stmt = (
            select(person_changes.c.seq, person_changes.c.idcs, person_changes.c.version)
            .where(person_changes.c.seq > after)
            .order_by(person_changes.c.seq)
            .limit(limit)
        )
        with self._read() as conn:
            return [(int(seq), str(idcs), int(version)) for seq, idcs, version in conn.execute(stmt).all()]

    @db_errors("register_created_at")
    def register_created_at(self) -> datetime:
        """When this database's schema was created: tells one register from another (or a re-created one)."""
        with self._read() as conn:
            return conn.execute(select(schema_meta.c.created_at).where(schema_meta.c.id == 1)).scalar_one()

    @contextlib.contextmanager
    def enrolment_lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the register's one enrolment lock: across every process and machine using it.

        The 1:N duplicate search decides on what is registered: two processes enrolling the same
        new person at once would each find nothing and both enrol. Decisions are serialised
        under this lock (a PostgreSQL session advisory lock; on SQLite, whose database is a
        local file, an exclusive ``flock`` on ``<database>.enrol-lock`` beside it). Waits at most
        `timeout` seconds (default 30), then raises StoreUnavailable. Threads of one process
        exclude each other too (each call has its own session, or its own open file description).
        """
        if self._closed:
            raise StoreUnavailable("the registry store is closed")
        deadline = time.monotonic() + (_DEFAULT_LOCK_WAIT if timeout is None else max(0.0, timeout))
        if self.dialect == "postgresql":
            with self._pg_lock(deadline):
                yield
        else:
            with self._file_lock(deadline):
                yield

    @contextlib.contextmanager
    def _pg_lock(self, deadline: float) -> Iterator[None]:
        with db_errors("enrolment_lock"):
            conn = self._reader.connect()
        try:
            wait = 0.002
            while True:
                with db_errors("enrolment_lock"):
                    if conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _PG_ENROLMENT_LOCK}).scalar():
                        break
                if time.monotonic() + wait > deadline:
                    raise StoreUnavailable("enrolment lock: another enrolment held it too long")
                time.sleep(wait)
                wait = min(wait * 2, 0.05)
            try:
                yield
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_ENROLMENT_LOCK})
                except SQLAlchemyError:
                    # Never hand a connection that may still hold the lock back to the pool.
                    conn.invalidate()
        finally:
            conn.close()

    @contextlib.contextmanager
    def _file_lock(self, deadline: float) -> Iterator[None]:
        path = Path(f"{self._engine.url.database}.enrol-lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreUnavailable("enrolment lock: cannot open the lock file") from exc
        try:
            wait = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() + wait > deadline:
                        raise StoreUnavailable("enrolment lock: another enrolment held it too long") from None
                    time.sleep(wait)
                    wait = min(wait * 2, 0.02)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @db_errors("count_persons")
    def count_persons(self) -> int:
        """How many persons (IDCSs) are registered."""
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(identities)).scalar_one())

    def iter_persons(self, batch_size: int = 1000) -> Iterator[Person]:
        """Every person's latest version, in IDCS order, read `batch_size` persons at a time.

        Each batch is its own short read, so a long iteration holds no connection or lock; a
        person enrolled meanwhile is seen if its IDCS sorts after the current batch.
        """
        _checked_positive(batch_size, "batch_size")
        return self._iter_persons(batch_size)

    def _iter_persons(self, batch_size: int) -> Iterator[Person]:
        after = ""
        while True:
            latest = (
                select(_pv.c.idcs, func.max(_pv.c.version).label("version"))
                .where(_pv.c.idcs > after)
                .group_by(_pv.c.idcs)
                .order_by(_pv.c.idcs)
                .limit(batch_size)
                .subquery()
            )
            stmt = (
                select(*_PERSON_COLUMNS)
                .join(latest, (latest.c.idcs == _pv.c.idcs) & (latest.c.version == _pv.c.version))
                .join(identities, identities.c.idcs == _pv.c.idcs)
                .order_by(_pv.c.idcs)
            )
            with db_errors("iter_persons"), self._read() as conn:
                rows = conn.execute(stmt).mappings().all()
            for r in rows:
                yield person_from_row(r)
            if len(rows) < batch_size:
                return
            after = rows[-1]["idcs"]

    # -- authentication audit -----------------------------------------------------------------

    def record_audit(
        self,
        *,
        transaction_id: str,
        caller_id: str,
        idcs_hash: str,
        decision: str,
        reason: str,
        created_at: datetime | None = None,
    ) -> None:
        """Append one authentication to the audit trail (DuplicateTransaction if its id exists).

        `idcs_hash` must be a keyed hash of the IDCS as lowercase hex (32 to 128 characters),
        which also guarantees a raw IDCS can never be written here.
        """
        self.record_audits(
            [
                {
                    "transaction_id": transaction_id,
                    "caller_id": caller_id,
                    "idcs_hash": idcs_hash,
                    "decision": decision,
                    "reason": reason,
                    "created_at": created_at,
                }
            ]
        )

    @db_errors("record_audits")
    def record_audits(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append several audit rows in one transaction: all are written or none.

        Each entry has the keyword arguments of `record_audit`. Used by `AuditLog` to commit the
        audit rows of concurrent calls together (group commit).
        """
        rows = [audit_values(entry) for entry in entries]
        if not rows:
            return
        try:
            with self._write() as conn:
                conn.execute(insert(auth_audit), rows)
        except IntegrityError as exc:
            if unique_violation(exc) == "auth_audit.transaction_id":
                raise DuplicateTransaction() from None
            raise

    @db_errors("audit_entries")
    def audit_entries(self, *, idcs_hash: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Audit rows, newest first, optionally only those of one IDCS hash; at most `limit`."""
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= _MAX_AUDIT_LIMIT:
            raise InvalidField("limit", f"must be an integer from 0 to {_MAX_AUDIT_LIMIT}")
        if limit == 0:
            return []
        stmt = select(auth_audit)
        if idcs_hash is not None:
            stmt = stmt.where(auth_audit.c.idcs_hash == idcs_hash)
        stmt = stmt.order_by(auth_audit.c.created_at.desc(), auth_audit.c.id.desc()).limit(limit)
        with self._read() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [audit_from_row(r) for r in rows]

    @db_errors("count_audit")
    def count_audit(self) -> int:
        """How many authentications the audit trail holds."""
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(auth_audit)).scalar_one())
