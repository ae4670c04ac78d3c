"""The audit log's group commit: every row durable before its call returns, failures surface."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from registry_store import RegistryStore
from registry_store.audit import _WAL_CHECKPOINT_PAGES, AuditLog, _Done, _DriverWriter
from registry_store.errors import StoreUnavailable


def _row(i: int) -> dict[str, str]:
    return {
        "transaction_id": uuid.uuid4().hex,
        "caller_id": "test",
        "idcs_hash": f"{i:064x}",
        "decision": "NO",
        "reason": "DEMOGRAPHIC_MISMATCH",
    }


def test_concurrent_rows_are_all_written_once(store: RegistryStore) -> None:
    log = AuditLog(store)
    before = store.count_audit()

    def work(n: int) -> None:
        for i in range(50):
            log.record(**_row(n * 50 + i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    assert store.count_audit() - before == 400


def test_a_failed_commit_fails_the_waiting_calls(store: RegistryStore) -> None:
    log = AuditLog(store)
    log.record(**_row(1))
    with store.engine.begin() as conn:  # the audit table becomes unwritable
        conn.exec_driver_sql("ALTER TABLE auth_audit RENAME TO auth_audit_away")
    try:
        with pytest.raises(StoreUnavailable):
            log.record(**_row(2))
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE auth_audit_away RENAME TO auth_audit")
    log.record(**_row(3))  # and the writer recovers without a restart
    log.close()
    assert store.count_audit() == 2


def test_a_batch_is_stamped_with_one_moment_and_a_given_moment_is_kept(store: RegistryStore) -> None:
    own = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    rows = [_row(1), {**_row(2), "created_at": own}, _row(3)]
    log = AuditLog(store)
    before = datetime.now(UTC)
    log.record_many(rows)
    after = datetime.now(UTC)
    log.close()
    stamps = {e.transaction_id: e.created_at for e in store.audit_entries()}  # UtcDateTime: aware, in UTC
    first, given, third = (stamps[r["transaction_id"]] for r in rows)
    assert given == own
    assert first == third
    assert before <= first <= after


def test_closed_log_refuses(store: RegistryStore) -> None:
    log = AuditLog(store)
    log.close()
    with pytest.raises(StoreUnavailable):
        log.record(**_row(2))


def test_a_batch_wakes_every_call_waiting_for_it_and_only_once_set() -> None:
    done = _Done()
    assert not done.wait(0) and not done.wait(0.05)  # not set: the wait times out
    woken: list[int] = []
    waiters = [
        threading.Thread(target=lambda k=k: woken.append(k) if done.wait(None) else None, daemon=True) for k in range(6)
    ]
    for t in waiters:
        t.start()
    assert woken == []
    done.set()
    for t in waiters:
        t.join(timeout=10)
    assert sorted(woken) == list(range(6))
    assert done.wait(0) and done.wait(None)  # set for good: a later wait returns at once


def test_the_sqlite_wal_is_copied_back_in_small_steps(sqlite_store: RegistryStore) -> None:
    # Each commit of one row appends a few pages to the WAL; the writer's checkpoint at
    # _WAL_CHECKPOINT_PAGES copies them back and the next commit starts the WAL again from its
    # beginning, so the file never holds much more than that many pages. (SQLite's default,
    # 1,000 pages, let it grow past 4 MB here, and every call waited for the long checkpoint.)
    database = Path(sqlite_store.engine.url.database or "")
    wal = database.with_name(database.name + "-wal")
    log = AuditLog(sqlite_store)
    largest = 0
    try:
        for i in range(400):
            log.record(**_row(i))
            largest = max(largest, wal.stat().st_size)
    finally:
        log.close()
    assert sqlite_store.count_audit() == 400
    frame = 24 + 4096  # a WAL frame: its header and one page
    assert largest > 20 * frame  # the WAL was written to
    assert largest < 2 * _WAL_CHECKPOINT_PAGES * frame, largest


def test_the_sqlite_audit_writers_of_one_database_take_turns(sqlite_store: RegistryStore) -> None:
    # Another worker process's writer holds its turn (the lock file beside the database, through
    # an open file of its own): this writer waits for it rather than meeting the other at SQLite's
    # busy handler, and writes its rows once the turn is released.
    log = AuditLog(sqlite_store)
    other = os.open(f"{sqlite_store.engine.url.database}.audit-lock", os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(StoreUnavailable, match="not written in time"):
            log.record_many([_row(1)], timeout=0.3)
        assert sqlite_store.count_audit() == 0
        fcntl.flock(other, fcntl.LOCK_UN)
        log.record_many([_row(2)], timeout=10)
    finally:
        os.close(other)
        log.close()
    assert sqlite_store.count_audit() == 2  # the row that waited was written when its turn came


def test_a_connection_that_cannot_be_set_up_is_closed_and_the_call_fails(
    sqlite_store: RegistryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []

    def refuse(self: _DriverWriter, connection: sqlite3.Connection) -> None:
        opened.append(connection)
        raise sqlite3.OperationalError("disk I/O error")

    log = AuditLog(sqlite_store)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(_DriverWriter, "_configure", refuse)
            with pytest.raises(StoreUnavailable):
                log.record(**_row(1))
        (connection,) = opened
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            connection.execute("SELECT 1")
        log.record(**_row(2))  # the next batch connects and sets up afresh
    finally:
        log.close()
    assert sqlite_store.count_audit() == 1
