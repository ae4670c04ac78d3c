"""The audit log's group commit: concurrent calls' audit rows are committed together.

Every answered authentication must have its audit row durably written *before* the answer
leaves. One transaction per call spends most of a call's time committing (with
``synchronous=FULL`` each commit waits for the disk), so calls hand their row to one writer
thread that commits whatever rows are waiting in one transaction, and each call waits only for
the commit that carries its row. Under load the batches grow by themselves; an idle server
writes a batch of one at once.

The writer thread keeps one driver (DBAPI) connection of its own and sends a prepared INSERT
with ``executemany``: per commit that costs about a fifth of the CPU of going through the
SQLAlchemy connection pool and execution layer (measured on SQLite: 62 µs against 312 µs of
user time per single-row commit), which matters because every authentication waits for one.

With a `SecurityPolicy`, the same batch is also the security gate (`security.gate`): the writer
reads the batch's locks, freezes and failure counts, decides each row's final decision (a locked
or frozen IDCS is answered no), inserts the rows with it, stores any new freeze, and commits;
each call gets its row's `Verdict` back. A lock committed before the batch's read is always
seen, and checking adds one statement per batch, not a round trip per call. (On SQLite all of it
is one transaction; on PostgreSQL, the read, then one statement for the rest: see
`_DriverWriter._transaction`.)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exc as sa_exc

from registry_store.errors import DuplicateTransaction, StoreError, StoreUnavailable
from registry_store.security import SecurityPolicy, Verdict, gate, gate_queries, read_gate_rows
from registry_store.store import RegistryStore, audit_values

__all__ = ["AuditLog"]

logger = logging.getLogger(__name__)


class _Done:
    """Set once, by the writer, when a batch is committed; waited for by every call in the batch.

    One raw lock, held from creation until `set`: a waiter takes it and hands it on at once, so
    each waiter wakes the next. A `threading.Event` (a Condition, a lock per waiter and Python
    code to notify each) did the same with more of the interpreter's time, which the writer and
    the calls share: its creation and `set` were 10.6% of the server's GIL-holding samples under
    unary Authenticate load (py-spy --gil, benchmarks/auth_throughput.py). With this lock the
    handler threads switched about one time fewer per call (18.2-18.4 -> 16.6-17.4); the
    server's CPU per call moved less than the machine's noise (three interleaved runs each).
    """

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        self._lock.release()

    def wait(self, timeout: float | None) -> bool:
        """Whether it was set within `timeout` seconds (None: however long it takes)."""
        if not self._lock.acquire(timeout=-1 if timeout is None else min(timeout, threading.TIMEOUT_MAX)):
            return False
        self._lock.release()
        return True


class _Batch:
    __slots__ = ("done", "error", "rows", "verdicts")

    def __init__(self) -> None:
        self.rows: list[Mapping[str, Any]] = []
        self.verdicts: list[Verdict] = []
        self.done = _Done()
        self.error: BaseException | None = None


class AuditLog:
    """Group-committing writer of audit rows into a `RegistryStore`.

    `security` turns on the security gate (locks and the brute-force limit); without it every
    row is written with the decision it carries.
    """

    def __init__(self, store: RegistryStore, *, max_batch: int = 1000, security: SecurityPolicy | None = None) -> None:
        self._store = store
        self._writer = _DriverWriter(store, security)
        self._max_batch = max_batch
        self._lock = threading.Condition()
        self._pending = _Batch()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def record(self, **entry: Any) -> Verdict:
        """Append one row (the keyword arguments of `RegistryStore.record_audit`), durably.

        Returns once the transaction carrying it has committed, with the decision and reason
        written; raises the store's error (StoreUnavailable when the database is down) if it
        could not be written.
        """
        return self.record_many([entry])[0]

    def record_many(self, entries: Sequence[Mapping[str, Any]], *, timeout: float | None = None) -> list[Verdict]:
        """Append several rows, committed in the same transaction; returns once they are.

        Returns each row's verdict, in order. If the commit has not happened within `timeout`
        seconds, raises StoreUnavailable (the rows may still be written later).
        """
        if not entries:
            return []
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the audit log is closed")
            batch = self._pending
            start = len(batch.rows)
            batch.rows.extend(entries)
            self._lock.notify()
        if not batch.done.wait(timeout):
            raise StoreUnavailable("record_audits: the audit trail was not written in time")
        if batch.error is not None:
            raise batch.error
        return batch.verdicts[start : start + len(entries)]

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending.rows and not self._closed:
                    self._lock.wait()
                if not self._pending.rows and self._closed:
                    return
                batch, self._pending = self._pending, _Batch()
            self._commit(batch)

    def _commit(self, batch: _Batch) -> None:
        try:
            for start in range(0, len(batch.rows), self._max_batch):
                batch.verdicts += self._writer.write(batch.rows[start : start + self._max_batch])
        except StoreError as exc:
            batch.error = exc
        except Exception as exc:  # a bug must fail the waiting calls, not hang them
            logger.exception("audit batch failed")
            batch.error = StoreUnavailable("the audit trail could not be written")
            batch.error.__cause__ = exc
        finally:
            batch.done.set()

    def close(self) -> None:
        """Commit what is pending, then stop the writer."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join()
        self._writer.close()


_COLUMNS = ("transaction_id", "caller_id", "idcs_hash", "decision", "reason", "created_at")


# SQLite: the writer's commits copy the WAL back into the database file (a checkpoint) once it
# holds this many pages, not SQLite's default 1,000. A checkpoint runs inside the commit that
# crosses the mark, and every call waiting for the writer waits for it. Audit rows written at
# 1,000 a second from 8 threads, on a 100,000-row table: p99 4.3-6.0 ms with 1,000 pages, 1.4-1.6
# ms with 100, the CPU per row unchanged within the noise. Unary Authenticate paced at 800-1,070
# calls a second (benchmarks/auth_throughput.py, embedded, five interleaved pairs of runs): p99
# 3.3-4.6 ms before, 2.1-3.2 ms after. (Other tails remain: 5.2-18.7 ms in 5 of 12 runs after.)
# (Checkpointing from a thread of its own was worse, p99 2.2-2.3 ms, and needs the writer's help:
# under steady writes such a checkpoint never catches up, and the WAL never starts again.)
_WAL_CHECKPOINT_PAGES = 100

# Hashes per gate read: two IN lists of this many stay far below SQLite's parameter limit.
_GATE_CHUNK = 400

# PostgreSQL: a batch's rows in one statement, whatever their number (one array per column). A
# batch's new freezes, if any, go in the same statement (`_DriverWriter._pg_write`): a statement
# alone in autocommit mode is its own transaction, so the rows and the freezes are written, or
# nothing is.
_PG_ROWS = (
    f"INSERT INTO auth_audit ({', '.join(_COLUMNS)})"  # noqa: S608 (fixed names, values as parameters)
    " SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[],"
    " %s::timestamptz[])"
)


class _StaleConnection(Exception):
    """The kept connection failed before any statement went through (private to the writer)."""


def _writers_lock_file(store: RegistryStore) -> int | None:
    """The open lock file the SQLite database's audit writers take turns on (None: nothing to share).

    SQLite lets one writer in at a time. Without this lock, the audit writers of several worker
    processes meet at ``BEGIN IMMEDIATE``, and the one refused sleeps in SQLite's busy handler
    (1, 2, 5, 10, 15, 20, 25 ms... between tries) while the other, with rows still waiting, takes
    the database again and again. Two processes, each with four threads recording one row at a
    time back to back on one file for 8 s (three runs): without the lock, 112-133 rows waited over
    25 ms and the longest 1.56-1.94 s; with it, none over 25 ms and the longest 12-19 ms, the p99
    3.4-4.2 ms against 2.0-2.5 ms (turns taken in order: each process waits for the other's commit),
    and the same 4,500-6,000 rows/s. One process alone: p99 2.0-2.2 ms. Through the server, two
    embedded workers under unary Authenticate back to back (benchmarks/auth_throughput.py's
    client, three interleaved rounds): p99 20.8-30.6 ms with the lock, 40.6-59.1 ms without.
    (A SQLite store is always a file: the store refuses an in-memory database.)
    """
    if store.dialect != "sqlite":
        return None
    try:
        return os.open(f"{store.engine.url.database}.audit-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StoreUnavailable("audit writer: cannot open the writers' lock file") from exc


class _DriverWriter:
    """Inserts audit rows through one DBAPI connection, reconnecting after a failure."""

    def __init__(self, store: RegistryStore, security: SecurityPolicy | None = None) -> None:
        self._store = store
        self._security = security
        self._sqlite = store.dialect == "sqlite"
        self._lock_file = _writers_lock_file(store)
        # SQLite's INSERT (PostgreSQL's is _PG_ROWS). Fixed table and column names, values as
        # parameters: nothing of a request is spliced in.
        marks = ", ".join("?" for _ in _COLUMNS)
        self._sql = f"INSERT INTO auth_audit ({', '.join(_COLUMNS)}) VALUES ({marks})"  # noqa: S608
        self._dbapi: Any = store.engine.dialect.dbapi
        self._connection: Any = None
        self._reading = False  # nothing written yet in the current attempt (a retry is safe)

    def _time(self, moment: datetime) -> Any:
        """A timestamp as a parameter: SQLite stores SQLAlchemy's DateTime text (naive UTC)."""
        if self._sqlite:
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return moment

    def _parse_time(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    def _gate_reads(self, values: list[dict[str, Any]]) -> tuple[datetime, list[tuple[str, tuple[Any, ...]]]]:
        """The moment of the check, and the gate's read statements with their parameters."""
        assert self._security is not None
        now = datetime.now(UTC)
        since = self._time(now - timedelta(seconds=self._security.attempt_window_seconds))
        hashes = list(dict.fromkeys(v["idcs_hash"] for v in values))
        reads = []
        for start in range(0, len(hashes), _GATE_CHUNK):
            chunk = hashes[start : start + _GATE_CHUNK]
            read, _ = gate_queries(self._store.dialect, len(chunk))
            reads.append((read, (*chunk, since, *chunk)))
        return now, reads

    def _verdicts(
        self, values: list[dict[str, Any]], now: datetime | None, found: list[Any]
    ) -> tuple[list[Verdict], dict[str, datetime]]:
        if self._security is None or now is None:
            return [Verdict(v["decision"], v["reason"]) for v in values], {}
        states, failures = read_gate_rows(found, self._parse_time)
        return gate(values, states, failures, self._security, now)

    def _rows(
        self, values: list[dict[str, Any]], verdicts: list[Verdict], batch_time: datetime
    ) -> list[tuple[Any, ...]]:
        """The INSERT's parameters, in the order of _COLUMNS, with each row's final verdict.

        The rows stamped with the batch's moment (all of them, but for a caller's own
        ``created_at``) share one converted value.
        """
        when, batch_value = self._time, self._time(batch_time)
        return [
            (
                v["transaction_id"],
                v["caller_id"],
                v["idcs_hash"],
                out.decision,
                out.reason,
                batch_value if v["created_at"] is batch_time else when(v["created_at"]),
            )
            for v, out in zip(values, verdicts, strict=True)
        ]

    def _freezes(self, freezes: dict[str, datetime]) -> tuple[str, list[tuple[Any, ...]]]:
        logger.warning("authentication frozen after repeated failures: %d id(s)", len(freezes))
        return gate_queries(self._store.dialect, 0)[1], [(h, False, self._time(t)) for h, t in freezes.items()]

    def write(self, entries: Sequence[Mapping[str, Any]]) -> list[Verdict]:
        """Write a batch; its rows are stamped with one moment, taken and converted once.

        (Taken and converted per row, the time was about a quarter of the writer's CPU per row: a
        batch of 1,000 rows on a fresh table cost 14.4-15.7 µs a row, now 10.7-12.1 µs.)
        """
        batch_time = datetime.now(UTC)
        values = [audit_values(e, batch_time) for e in entries]  # invalid rows fail before anything is sent
        with self._turn():
            try:
                return self._attempt(values, batch_time)
            except _StaleConnection:
                # The kept connection died while idle (PostgreSQL restarted): nothing was written
                # on it, so the batch is tried once more on a new one rather than failed.
                logger.info("audit writer: reconnecting to the database")
                return self._attempt(values, batch_time)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn among the database's audit writers (SQLite), for one batch.

        Waited for without a bound: it is held only for a transaction, which SQLite's own busy
        timeout bounds, unless the process holding it is stopped, when it also holds SQLite's
        write lock. A process that dies releases it.
        """
        if self._lock_file is None:
            yield
            return
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def _attempt(self, values: list[dict[str, Any]], batch_time: datetime) -> list[Verdict]:
        reused = self._connection is not None
        self._reading = True
        try:
            if self._connection is None:
                self._connection = self._connect()
                self._configure(self._connection)  # kept first: if this fails, _discard closes it
            return self._transaction(values, batch_time)
        except self._dbapi.IntegrityError as exc:
            self._discard()
            if self._duplicate_transaction(exc):
                raise DuplicateTransaction() from None
            # A constraint of the table itself refused the rows (nothing of a request can do
            # that): the trail cannot be written, so the call must not be answered.
            raise StoreUnavailable("record_audits: the audit trail could not be written") from None
        except self._dbapi.Error as exc:
            self._discard()
            lost = isinstance(exc, self._dbapi.OperationalError | self._dbapi.InterfaceError)
            if reused and self._reading and lost and not self._sqlite:
                raise _StaleConnection() from exc
            raise StoreUnavailable("record_audits: the audit trail could not be written") from exc

    def _transaction(self, values: list[dict[str, Any]], batch_time: datetime) -> list[Verdict]:
        """The gate's reads, then the rows with their verdicts and any freeze, committed.

        On SQLite, one transaction, taken with the write lock up front. On PostgreSQL, the
        connection is in autocommit mode: each read, then one statement that writes the rows and
        the freezes (`_pg_write`), two round trips for a batch where BEGIN, the read,
        the INSERT and COMMIT took four. Reading outside the writing transaction changes nothing
        under PostgreSQL's default READ COMMITTED, where each statement sees what was committed
        before it began, inside a transaction or not: a lock committed before the read is seen,
        and two workers' batches counted the same failures concurrently before as now. Measured on a
        local server, this writer alone (two interleaved rounds): a batch of one took 154-176 µs
        of CPU and 0.63-0.66 ms, against 234-249 µs and 0.76-0.77 ms; a batch of 100, 12.8-13.1
        µs of CPU a row against 16.7-25.1. Through the server (benchmarks/auth_throughput.py,
        PostgreSQL, two interleaved rounds): Authenticate paced at 554-589 calls/s had p99
        14.1-16.3 ms and 0-1 calls over 25 ms, against 24.4-36.4 ms and 58-143; streams
        answered 6,393-6,959 items/s against 5,269-6,060. Against a database on another machine
        each round trip saved is also a network round trip. (Sending the four in psycopg
        pipelines, two round trips as well, was measured slower: 1.0-1.7 ms against 0.9-1.0 ms
        per batch of one.)
        """
        cursor = self._connection.cursor()
        try:
            if self._sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            now, found = None, []
            if self._security is not None:
                now, reads = self._gate_reads(values)
                for read, parameters in reads:
                    cursor.execute(read, parameters)
                    found += cursor.fetchall()
            self._reading = False  # from here on, rows may be written: never retried
            verdicts, freezes = self._verdicts(values, now, found)
            rows = self._rows(values, verdicts, batch_time)
            if self._sqlite:
                cursor.executemany(self._sql, rows)
                if freezes:
                    cursor.executemany(*self._freezes(freezes))
                cursor.execute("COMMIT")
            else:
                cursor.execute(*self._pg_write(rows, freezes))
        finally:
            cursor.close()
        return verdicts

    def _pg_write(self, rows: list[tuple[Any, ...]], freezes: dict[str, datetime]) -> tuple[str, list[Any]]:
        """PostgreSQL's one statement for a batch: its rows by column, then any freezes by column."""
        columns: list[Any] = [list(column) for column in zip(*rows, strict=True)]
        if not freezes:
            return _PG_ROWS, columns
        freeze, frozen = self._freezes(freezes)
        return f"WITH written AS ({_PG_ROWS}) {freeze}", columns + [list(c) for c in zip(*frozen, strict=True)]

    def _duplicate_transaction(self, exc: BaseException) -> bool:
        diag = getattr(exc, "diag", None)
        if diag is not None:
            return getattr(diag, "constraint_name", None) == "uq_auth_audit_transaction_id"
        return "auth_audit.transaction_id" in str(exc)

    def _connect(self) -> Any:
        # A connection of the engine's pool, detached: it is ours for good and keeps the
        # engine's connect-time settings (SQLite pragmas; PostgreSQL timeouts).
        try:
            fairy = self._store.engine.raw_connection()
        except sa_exc.DBAPIError as exc:
            raise StoreUnavailable("record_audits: the database is unavailable") from exc
        fairy.detach()
        return fairy.dbapi_connection

    def _configure(self, connection: Any) -> None:
        """The writer's own settings, on each new connection."""
        if self._sqlite:
            connection.execute(f"PRAGMA wal_autocheckpoint={_WAL_CHECKPOINT_PAGES}")
        else:
            # psycopg prepares a statement on its fifth run, and PostgreSQL would then keep one
            # generic plan for it. The gate's read got its generic plan while the audit table
            # was new and empty: a scan of the whole table, kept while the table grew (13 ms a
            # read at 100,000 rows in benchmarks/auth_throughput.py; Authenticate paced at 298
            # calls/s then answered 270/s, median 250 ms). So this connection's statements are
            # planned for each run with its values, but parsed once: a batch of one row took
            # 0.59-0.61 ms, against 0.66 ms when the read was sent unprepared each time.
            connection.execute("SET plan_cache_mode = force_custom_plan")
            connection.commit()
            connection.autocommit = True  # see _transaction

    def _discard(self) -> None:
        if self._connection is not None:
            try:
                if not self._sqlite or self._connection.in_transaction:
                    self._connection.rollback()
                self._connection.close()
            except self._dbapi.Error:
                pass
        self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except self._dbapi.Error:
                pass
            self._connection = None
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None
