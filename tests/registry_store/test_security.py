"""Residents' locks, the brute-force freeze (through the audit writer's gate) and residents' history."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from registry_store import AuthSecurity, InvalidField, RegistryStore, SecurityPolicy
from registry_store.audit import AuditLog
from registry_store.errors import StoreUnavailable
from registry_store.schema import auth_audit, auth_security
from registry_store.security import (
    FAILURE_REASON,
    FROZEN_REASON,
    LOCKED_REASON,
    SecurityState,
    Verdict,
    effective_lock,
    gate,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _hash(i: int) -> str:
    return f"{i:064x}"


def _row(i: int, matched: bool, caller: str = "test") -> dict[str, str]:
    return {
        "transaction_id": uuid.uuid4().hex,
        "caller_id": caller,
        "idcs_hash": _hash(i),
        "decision": "YES" if matched else "NO",
        "reason": "MATCHED" if matched else FAILURE_REASON,
    }


# -- the pure rules ------------------------------------------------------------------------------


def test_a_lock_holds_until_its_end_then_flips() -> None:
    assert effective_lock(True, None, NOW) == (True, None)
    assert effective_lock(True, NOW + timedelta(hours=1), NOW) == (True, NOW + timedelta(hours=1))
    assert effective_lock(True, NOW, NOW) == (False, None)  # a timed lock unlocks itself
    assert effective_lock(False, NOW - timedelta(seconds=1), NOW) == (True, None)  # a temporary unlock ends


def test_gate_freezes_at_the_limit_and_answers_later_rows_no() -> None:
    policy = SecurityPolicy(max_failed_attempts=3, attempt_window_seconds=60, freeze_seconds=30)
    rows = [_row(1, False), _row(1, False), _row(2, True), _row(1, False), _row(1, True)]
    verdicts, frozen = gate(rows, {}, {_hash(1): 0}, policy, NOW)
    assert verdicts == [
        Verdict("NO", FAILURE_REASON),
        Verdict("NO", FAILURE_REASON),
        Verdict("YES", "MATCHED"),
        Verdict("NO", FAILURE_REASON),  # the third failure is answered as it is, and freezes
        Verdict("NO", FROZEN_REASON),  # a right answer after it is refused
    ]
    assert frozen == {_hash(1): NOW + timedelta(seconds=30)}


def test_gate_counts_stored_failures_and_respects_locks_and_freezes() -> None:
    policy = SecurityPolicy(max_failed_attempts=3)
    states = {
        _hash(1): SecurityState(locked=True),
        _hash(2): SecurityState(frozen_until=NOW + timedelta(seconds=1)),
        _hash(3): SecurityState(frozen_until=NOW - timedelta(seconds=1)),  # a freeze that ended
    }
    rows = [_row(1, True), _row(2, True), _row(3, True), _row(4, False)]
    verdicts, frozen = gate(rows, states, {_hash(4): 2}, policy, NOW)
    assert [v.reason for v in verdicts] == [LOCKED_REASON, FROZEN_REASON, "MATCHED", FAILURE_REASON]
    assert set(frozen) == {_hash(4)}


def test_policy_is_checked() -> None:
    with pytest.raises(InvalidField):
        SecurityPolicy(max_failed_attempts=0)
    with pytest.raises(InvalidField):
        SecurityPolicy(freeze_seconds=0)


# -- locks in the register ---------------------------------------------------------------------


def test_lock_and_unlock_forms(store: RegistryStore) -> None:
    security = AuthSecurity(store)
    h = _hash(7)
    assert security.state(h, now=NOW).locked is False
    state = security.set_lock(h, locked=True, changed_by="portal", now=NOW)
    assert (state.locked, state.until) == (True, None)
    assert security.state(h, now=NOW + timedelta(days=3650)).locked is True
    # A temporary unlock locks again at its end.
    security.set_lock(h, locked=False, until=NOW + timedelta(minutes=10), changed_by="portal", now=NOW)
    assert security.state(h, now=NOW + timedelta(minutes=5)).locked is False
    assert security.state(h, now=NOW + timedelta(minutes=10)).locked is True
    # A plain unlock is for good.
    security.set_lock(h, locked=False, changed_by="portal", now=NOW)
    assert security.state(h, now=NOW + timedelta(days=1)).locked is False
    # Unlocking what is not locked, until a time, is a plain unlock.
    state = security.set_lock(h, locked=False, until=NOW + timedelta(minutes=1), changed_by="portal", now=NOW)
    assert (state.locked, state.until) == (False, None)
    # A lock with an end unlocks itself.
    security.set_lock(h, locked=True, until=NOW + timedelta(hours=1), changed_by="portal", now=NOW)
    assert security.state(h, now=NOW + timedelta(minutes=59)).locked is True
    assert security.state(h, now=NOW + timedelta(hours=1)).locked is False
    with pytest.raises(InvalidField, match="until"):
        security.set_lock(h, locked=True, until=NOW - timedelta(seconds=1), changed_by="portal", now=NOW)
    with pytest.raises(InvalidField, match="idcs_hash"):
        security.set_lock("2000000001", locked=True, changed_by="portal")


def test_locks_and_freezes_through_the_audit_writer(store: RegistryStore) -> None:
    policy = SecurityPolicy(max_failed_attempts=3, attempt_window_seconds=600, freeze_seconds=600)
    log = AuditLog(store, security=policy)
    security = AuthSecurity(store)
    try:
        assert log.record(**_row(1, True)) == Verdict("YES", "MATCHED")
        security.set_lock(_hash(1), locked=True, changed_by="portal")
        assert log.record(**_row(1, True)) == Verdict("NO", LOCKED_REASON)
        security.set_lock(_hash(1), locked=False, changed_by="portal")
        assert log.record(**_row(1, True)).decision == "YES"

        # Failures from several callers count together; the limit's failure freezes.
        for caller in ("a", "b", "c"):
            assert log.record(**_row(2, False, caller)).reason == FAILURE_REASON
        assert log.record(**_row(2, True)) == Verdict("NO", FROZEN_REASON)
        assert security.state(_hash(2)).frozen_until is not None
        # Frozen answers are not failures: they do not extend the freeze.
        with store.engine.connect() as conn:
            frozen = conn.execute(sa.text("SELECT frozen_until FROM auth_security")).scalars().all()
        assert len(frozen) == 2
        # Another IDCS is not affected.
        assert log.record(**_row(3, True)).decision == "YES"
    finally:
        log.close()
    # The stored rows carry the final decisions.
    reasons = [e.reason for e in store.audit_entries(idcs_hash=_hash(2), limit=10)]
    assert reasons == [FROZEN_REASON, FAILURE_REASON, FAILURE_REASON, FAILURE_REASON]


def test_a_freeze_ends_and_counting_restarts(store: RegistryStore) -> None:
    policy = SecurityPolicy(max_failed_attempts=2, attempt_window_seconds=3600, freeze_seconds=3600)
    log = AuditLog(store, security=policy)
    try:
        log.record(**_row(5, False))
        log.record(**_row(5, False))
        assert log.record(**_row(5, True)).reason == FROZEN_REASON
        # The freeze ends (moved into the past, after the failures, which stay in the window):
        # the failures before it no longer count.
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            conn.execute(sa.update(auth_audit).values(created_at=now - timedelta(minutes=10)))
            conn.execute(sa.update(auth_security).values(frozen_until=now - timedelta(seconds=1)))
        assert log.record(**_row(5, True)).decision == "YES"
        assert log.record(**_row(5, False)).reason == FAILURE_REASON
        assert log.record(**_row(5, True)).decision == "YES"  # one failure after the freeze: not frozen
    finally:
        log.close()


def test_concurrent_failures_freeze_once(store: RegistryStore) -> None:
    policy = SecurityPolicy(max_failed_attempts=10, attempt_window_seconds=600, freeze_seconds=600)
    log = AuditLog(store, security=policy)
    reasons: list[str] = []

    def work() -> None:
        for _ in range(10):
            reasons.append(log.record(**_row(9, False)).reason)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    # One writer per process: the count is exact.
    assert reasons.count(FAILURE_REASON) == 10 and reasons.count(FROZEN_REASON) == 40


def _refuse_freezes(store: RegistryStore) -> None:
    """Make the database refuse every new row of auth_security (a freeze, here)."""
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_freeze BEFORE INSERT ON auth_security BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION refuse_freeze() RETURNS trigger LANGUAGE plpgsql"
                " AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_freeze BEFORE INSERT ON auth_security"
                " FOR EACH ROW EXECUTE FUNCTION refuse_freeze()"
            )


def test_a_batch_whose_freeze_is_refused_writes_none_of_its_rows(store: RegistryStore) -> None:
    """A batch's rows and the freeze they decide are written together or not at all."""
    policy = SecurityPolicy(max_failed_attempts=2, attempt_window_seconds=600, freeze_seconds=600)
    log = AuditLog(store, security=policy)
    try:
        assert log.record(**_row(6, False)).reason == FAILURE_REASON
        _refuse_freezes(store)
        # The limit's failure, with a genuine claim of another IDCS in the same batch.
        with pytest.raises(StoreUnavailable):
            log.record_many([_row(6, False), _row(7, True)])
    finally:
        log.close()
    assert [e.reason for e in store.audit_entries(idcs_hash=_hash(6), limit=10)] == [FAILURE_REASON]
    assert store.audit_entries(idcs_hash=_hash(7), limit=10) == []
    assert AuthSecurity(store).state(_hash(6)).frozen_until is None


def test_gate_reads_large_batches(store: RegistryStore) -> None:
    log = AuditLog(store, security=SecurityPolicy(max_failed_attempts=2))
    try:
        rows = [_row(i, False) for i in range(1000)] + [_row(i, False) for i in range(1000)]
        verdicts = log.record_many(rows)
        assert len(verdicts) == 2000
        assert all(v.reason == FAILURE_REASON for v in verdicts)
        assert log.record(**_row(999, True)).reason == FROZEN_REASON
    finally:
        log.close()


def test_audit_wait_is_bounded(sqlite_store: RegistryStore) -> None:
    from registry_store.errors import StoreUnavailable

    log = AuditLog(sqlite_store)
    blocker = sqlite_store.engine.raw_connection()
    try:
        blocker.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        with pytest.raises(StoreUnavailable, match="in time"):
            log.record_many([_row(1, True)], timeout=0.3)
    finally:
        blocker.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        blocker.close()
        log.close()


# -- history -------------------------------------------------------------------------------------


def test_history_is_one_residents_own_newest_first_paginated(store: RegistryStore) -> None:
    log = AuditLog(store)
    try:
        mine = [_row(11, i % 3 != 0, f"caller-{i % 2}") for i in range(7)]
        for row in mine:
            log.record(**row)
            log.record(**_row(12, True))  # someone else's, interleaved
    finally:
        log.close()
    security = AuthSecurity(store)
    page = security.history(_hash(11), page_size=3)
    seen = [e.transaction_id for e in page.entries]
    while page.next_page_token:
        page = security.history(_hash(11), page_size=3, page_token=page.next_page_token)
        seen += [e.transaction_id for e in page.entries]
    assert seen == [r["transaction_id"] for r in reversed(mine)]
    assert security.history(_hash(13)).entries == []
    first = security.history(_hash(11), page_size=3)
    with pytest.raises(InvalidField, match="page_token"):
        security.history(_hash(12), page_size=3, page_token=first.next_page_token)  # bound to its hash
    for bad in ("x", "!!!", "MS4tMS4w"):
        with pytest.raises(InvalidField, match="page_token"):
            security.history(_hash(11), page_token=bad)
    with pytest.raises(InvalidField, match="page_size"):
        security.history(_hash(11), page_size=0)


# -- the audit writer and the engine on PostgreSQL ----------------------------------------------


@pytest.mark.postgres
def test_audit_writer_reconnects_after_losing_an_idle_connection(pg_store_url: str) -> None:
    store = RegistryStore.from_url(pg_store_url)
    log = AuditLog(store, security=SecurityPolicy())
    try:
        log.record(**_row(1, True))
        with store.engine.begin() as conn:  # PostgreSQL drops the writer's connection (a restart would)
            killed = conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'hawiya'"
            ).all()
        assert killed
        assert log.record(**_row(2, True)).decision == "YES"  # not failed: retried on a new connection
    finally:
        log.close()
        store.close()


@pytest.mark.postgres
def test_the_gate_read_is_planned_for_each_batch(pg_store_url: str) -> None:
    """Never from one kept generic plan: the plan made while auth_audit was empty scanned it whole."""
    store = RegistryStore.from_url(pg_store_url)
    log = AuditLog(store, security=SecurityPolicy())
    try:
        for i in range(12):  # psycopg prepares a statement on its fifth run
            log.record(**_row(i, False))
        kept = log._writer._connection.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        ).fetchall()
        reads = [(generic, custom) for s, generic, custom in kept if "FROM auth_security" in s]
        assert len(reads) == 1, kept  # kept, so parsed once
        generic, custom = reads[0]
        assert generic == 0 and custom >= 5, (generic, custom)
    finally:
        log.close()
        store.close()


@pytest.mark.postgres
def test_statement_timeout_bounds_every_statement(pg_store_url: str) -> None:
    from registry_store.engine import db_errors
    from registry_store.errors import StoreUnavailable

    store = RegistryStore.from_url(pg_store_url, statement_timeout=0.3)
    try:
        began = datetime.now(UTC)
        with pytest.raises(StoreUnavailable), db_errors("sleep"), store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_sleep(5)")
        assert datetime.now(UTC) - began < timedelta(seconds=2)
        store.ping()  # the pool is fine afterwards
    finally:
        store.close()


def test_sqlite_busy_wait_is_capped(tmp_path: object) -> None:
    from pathlib import Path

    from registry_store.errors import StoreUnavailable

    url = f"sqlite:///{Path(str(tmp_path)) / 'registry.db'}"
    store = RegistryStore.from_url(url, statement_timeout=0.3)
    blocker = RegistryStore.from_url(url)
    raw = blocker.engine.raw_connection()
    try:
        raw.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        began = datetime.now(UTC)
        with pytest.raises(StoreUnavailable):
            AuthSecurity(store).set_lock(_hash(1), locked=True, changed_by="portal")
        assert datetime.now(UTC) - began < timedelta(seconds=2)
    finally:
        raw.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        raw.close()
        blocker.close()
        store.close()
