"""Authentication security state: residents' locks, the brute-force freeze, and residents' history.

Everything here is keyed by the keyed hash of the IDCS and lives in the register, never only in
Redis or in a process, so a lock or a freeze holds across restarts, several workers and a Redis
flush.

* **Locks** (`auth_security.locked`, `lock_until`): a resident locks authentication on their
  IDCS, indefinitely or until a time, and unlocks it, for good or until a time (then it locks
  again). A locked IDCS is answered no.
* **Failed attempts** are not counted in a table of their own: they *are* the audit rows with
  reason DEMOGRAPHIC_MISMATCH. When a failure brings an IDCS's failures within the attempt window
  (and since its last freeze ended) to the limit, `frozen_until` is set: until then every
  authentication of that IDCS is answered no, whoever the caller.
* **The gate** (`gate`) applies both to a batch of audit rows about to be written. The audit
  writer (`audit.AuditLog`) reads the batch's security state and failure counts in the same
  transaction that inserts the rows, so checking costs no round trip of its own per call and a
  lock committed before that transaction starts is always seen. On SQLite the writers of every
  process are serialised (BEGIN IMMEDIATE), so the count is exact; on PostgreSQL the writers of
  several worker processes do not see each other's uncommitted rows, so the limit can be passed
  by the failures in flight at the moment it is reached (a few, not a brute force).

The gate's queries run on the writer's own driver connection; `SECURITY_SQL` holds their text
for each backend (fixed table and column names, values as parameters).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registry_store.engine import WRITE_OPTION, db_errors
from registry_store.errors import InvalidField
from registry_store.model import AuditEntry
from registry_store.rows import audit_from_row
from registry_store.schema import AUDIT_FIELD_MAX_LENGTHS, auth_audit, auth_security
from registry_store.store import RegistryStore, checked_idcs_hash

__all__ = [
    "FAILURE_REASON",
    "FROZEN_REASON",
    "LOCKED_REASON",
    "MAX_HISTORY_PAGE",
    "AuthSecurity",
    "HistoryPage",
    "LockState",
    "SecurityPolicy",
    "SecurityState",
    "Verdict",
    "effective_lock",
    "gate",
]

# Audit reasons. FAILURE_REASON rows are the failed attempts that count towards a freeze.
FAILURE_REASON = "DEMOGRAPHIC_MISMATCH"
LOCKED_REASON = "AUTH_LOCKED"
FROZEN_REASON = "ATTEMPTS_EXCEEDED"
NO = "NO"

MAX_HISTORY_PAGE = 500
_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SecurityPolicy:
    """The brute-force limit: `max_failed_attempts` failures within `attempt_window_seconds`
    (across all callers) freeze authentication of that IDCS for `freeze_seconds`."""

    max_failed_attempts: int = 10
    attempt_window_seconds: float = 3600.0
    freeze_seconds: float = 1800.0

    def __post_init__(self) -> None:
        if self.max_failed_attempts < 1:
            raise InvalidField("max_failed_attempts", "must be at least 1")
        if self.attempt_window_seconds <= 0 or self.freeze_seconds <= 0:
            raise InvalidField("attempt_window_seconds", "the window and the freeze must be positive")


@dataclass(frozen=True, slots=True)
class SecurityState:
    """One IDCS's row of `auth_security` as stored (None when it has none)."""

    locked: bool = False
    lock_until: datetime | None = None
    frozen_until: datetime | None = None
    lock_changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LockState:
    """A resident's lock as it is at `as_of`: locked or not, and until when (None: until changed)."""

    locked: bool
    until: datetime | None
    changed_at: datetime | None
    frozen_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The gate's decision on one audit row: the decision and reason to write and answer."""

    decision: str
    reason: str


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A page of one resident's authentications, newest first, and the token of the next page."""

    entries: list[AuditEntry]
    next_page_token: str


def effective_lock(locked: bool, until: datetime | None, now: datetime) -> tuple[bool, datetime | None]:
    """(locked now, until when) of a stored lock: its state holds until `until`, then flips."""
    if until is not None and now >= until:
        return not locked, None
    return locked, until


def gate(
    rows: Sequence[Mapping[str, Any]],
    states: Mapping[str, SecurityState],
    failures: Mapping[str, int],
    policy: SecurityPolicy,
    now: datetime,
) -> tuple[list[Verdict], dict[str, datetime]]:
    """The verdict on each row, in order, and the freezes to store (hash → frozen_until).

    `rows` are audit rows with their matcher decision and reason; `states` the stored security
    state of their hashes; `failures` each hash's failures counted in the window (after its last
    freeze). A locked or frozen IDCS is answered NO with LOCKED_REASON or FROZEN_REASON; a
    failure that brings the count to the limit is answered as it is, and freezes the IDCS for
    every later row.
    """
    counts = dict(failures)
    frozen: dict[str, datetime] = {}
    verdicts = []
    for row in rows:
        idcs_hash = row["idcs_hash"]
        state = states.get(idcs_hash, _NO_STATE)
        until = frozen.get(idcs_hash, state.frozen_until)
        if effective_lock(state.locked, state.lock_until, now)[0]:
            verdicts.append(Verdict(NO, LOCKED_REASON))
        elif until is not None and now < until:
            verdicts.append(Verdict(NO, FROZEN_REASON))
        else:
            verdicts.append(Verdict(row["decision"], row["reason"]))
            if row["reason"] == FAILURE_REASON:
                counts[idcs_hash] = counts.get(idcs_hash, 0) + 1
                if counts[idcs_hash] >= policy.max_failed_attempts:
                    frozen[idcs_hash] = now + timedelta(seconds=policy.freeze_seconds)
                    counts[idcs_hash] = 0
    return verdicts, frozen


_NO_STATE = SecurityState()


@functools.lru_cache(maxsize=64)
def gate_queries(dialect: str, hashes: int) -> tuple[str, str]:
    """(read, freeze) SQL for the audit writer's driver connection, `hashes` distinct hashes.

    The read returns, for each hash, its security row (kind 0) and its failure count (kind 1):
    failures are rows with reason FAILURE_REASON written after `since` and after the hash's last
    freeze ended (read through the partial index schema.AUDIT_FAILURES_INDEX, whose predicate
    names the reason literally). Parameters: the hashes, then `since`, then the hashes again.
    """
    mark = "?" if dialect == "sqlite" else "%s"
    marks = ", ".join(mark for _ in range(hashes))
    # Fixed table and column names and a constant, values as parameters: nothing of a request
    # is spliced in.
    read = (
        "SELECT 0, idcs_hash, locked, lock_until, frozen_until, NULL FROM auth_security"  # noqa: S608
        f" WHERE idcs_hash IN ({marks})"
        " UNION ALL"
        " SELECT 1, a.idcs_hash, NULL, NULL, NULL, count(*) FROM auth_audit a"
        " LEFT JOIN auth_security s ON s.idcs_hash = a.idcs_hash"
        f" WHERE a.reason = '{FAILURE_REASON}' AND a.created_at > {mark} AND a.idcs_hash IN ({marks})"
        " AND (s.frozen_until IS NULL OR a.created_at > s.frozen_until)"
        " GROUP BY a.idcs_hash"
    )
    # SQLite: one row's freeze, sent with executemany. PostgreSQL: all of a batch's freezes in one
    # statement, a column array each (hashes, locked, frozen_until), which the audit writer sends
    # within the statement that writes the batch's rows (audit._DriverWriter._pg_write).
    rows = (
        f"VALUES ({mark}, {mark}, {mark})"
        if dialect == "sqlite"
        else f"SELECT * FROM unnest({mark}::varchar[], {mark}::boolean[], {mark}::timestamptz[])"  # noqa: S608
    )
    freeze = (
        f"INSERT INTO auth_security (idcs_hash, locked, frozen_until) {rows}"
        " ON CONFLICT (idcs_hash) DO UPDATE SET frozen_until = excluded.frozen_until"
    )
    return read, freeze


def read_gate_rows(rows: Iterable[Sequence[Any]], parse_time: Any) -> tuple[dict[str, SecurityState], dict[str, int]]:
    """The states and failure counts of `gate_queries`' read, as `gate` takes them."""
    states: dict[str, SecurityState] = {}
    failures: dict[str, int] = {}
    for kind, idcs_hash, locked, lock_until, frozen_until, count in rows:
        if int(kind) == 0:
            states[idcs_hash] = SecurityState(bool(locked), parse_time(lock_until), parse_time(frozen_until))
        else:
            failures[idcs_hash] = int(count)
    return states, failures


def _time_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _checked_time(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidField(field, "must be a timezone-aware datetime")
    return value.astimezone(UTC)


class AuthSecurity:
    """Residents' locks and authentication history over the register's database.

    It shares the RegistryStore's connection pool; closing the RegistryStore closes it too.
    """

    def __init__(self, registry: RegistryStore) -> None:
        self._registry = registry
        self._engine: Engine = registry.engine
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})

    def _insert(self, conn: Connection) -> Any:
        return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(auth_security)

    @db_errors("set_auth_lock")
    def set_lock(
        self,
        idcs_hash: str,
        *,
        locked: bool,
        until: datetime | None = None,
        changed_by: str,
        now: datetime | None = None,
    ) -> LockState:
        """Lock (or unlock) authentication of one IDCS, indefinitely or until `until`.

        Locking until a time unlocks by itself then. Unlocking until a time is a temporary
        unlock of a locked IDCS: it locks again at `until` (indefinitely); unlocking one that is
        not locked, or whose lock ends before `until`, is a plain unlock. The freeze of the
        brute-force limit is not touched. Returns the state now in force.
        """
        idcs_hash = checked_idcs_hash(idcs_hash)
        now = _checked_time(now, "now") or datetime.now(UTC)
        until = _checked_time(until, "until")
        if until is not None and not now < until < _FAR_FUTURE:
            raise InvalidField("until", "must be in the future (and before the year 9000)")
        if not isinstance(changed_by, str) or not 0 < len(changed_by) <= AUDIT_FIELD_MAX_LENGTHS["caller_id"]:
            raise InvalidField("changed_by", "must be a caller id")
        with self._writer.begin() as conn:
            # Make sure the row exists, then lock it: concurrent changes of one IDCS are serialised.
            conn.execute(self._insert(conn).values(idcs_hash=idcs_hash, locked=False).on_conflict_do_nothing())
            row = conn.execute(
                select(auth_security).where(auth_security.c.idcs_hash == idcs_hash).with_for_update()
            ).one()
            if not locked and until is not None:
                now_locked, ends = effective_lock(row.locked, _time_or_none(row.lock_until), now)
                if not now_locked or (ends is not None and ends <= until):
                    until = None  # a plain unlock
            conn.execute(
                update(auth_security)
                .where(auth_security.c.idcs_hash == idcs_hash)
                .values(locked=locked, lock_until=until, lock_changed_at=now, lock_changed_by=changed_by)
            )
            frozen_until = _time_or_none(row.frozen_until)
        return LockState(locked, until, now, frozen_until if frozen_until and frozen_until > now else None)

    @db_errors("auth_lock_state")
    def state(self, idcs_hash: str, *, now: datetime | None = None) -> LockState:
        """The lock in force now for one IDCS (not locked if it never had one)."""
        idcs_hash = checked_idcs_hash(idcs_hash)
        now = _checked_time(now, "now") or datetime.now(UTC)
        with self._engine.connect() as conn:
            row = conn.execute(select(auth_security).where(auth_security.c.idcs_hash == idcs_hash)).first()
        if row is None:
            return LockState(False, None, None)
        locked, until = effective_lock(row.locked, _time_or_none(row.lock_until), now)
        frozen_until = _time_or_none(row.frozen_until)
        still_frozen = frozen_until if frozen_until and frozen_until > now else None
        return LockState(locked, until, _time_or_none(row.lock_changed_at), still_frozen)

    @db_errors("auth_history")
    def history(self, idcs_hash: str, *, page_size: int = 50, page_token: str = "") -> HistoryPage:
        """One resident's authentications, newest first, `page_size` at a time.

        Only rows of this IDCS hash are ever read; a page token is bound to the hash it was
        issued for (InvalidField "page_token" otherwise).
        """
        idcs_hash = checked_idcs_hash(idcs_hash)
        if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_HISTORY_PAGE:
            raise InvalidField("page_size", f"must be 1 to {MAX_HISTORY_PAGE}")
        before = _parse_token(page_token, idcs_hash) if page_token else None
        stmt = select(auth_audit).where(auth_audit.c.idcs_hash == idcs_hash)
        if before is not None:
            stmt = stmt.where(auth_audit.c.id < before)
        stmt = stmt.order_by(auth_audit.c.id.desc()).limit(page_size + 1)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        more = len(rows) > page_size
        rows = rows[:page_size]
        token = _token(int(rows[-1]["id"]), idcs_hash) if more else ""
        return HistoryPage([audit_from_row(r) for r in rows], token)


def _binding(idcs_hash: str) -> str:
    """What ties a page token to the history it came from (a token only positions a page)."""
    return hashlib.sha256(idcs_hash.encode("ascii")).hexdigest()[:12]


def _token(before_id: int, idcs_hash: str) -> str:
    text = f"1.{before_id}.{_binding(idcs_hash)}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def _parse_token(token: str, idcs_hash: str) -> int:
    bad = InvalidField("page_token", "is not a token this history returned")
    if not isinstance(token, str) or len(token) > 64 or not token.isascii():
        raise bad
    try:
        version, before, bound = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii").split(".")
        before_id = int(before)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if version != "1" or bound != _binding(idcs_hash) or before_id < 1:
        raise bad
    return before_id
