"""Store URLs, backend settings (SQLite pragmas, BEGIN IMMEDIATE, PostgreSQL durability), errors."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry_store import (
    Demographics,
    InvalidField,
    InvalidStoreUrl,
    RegistryStore,
    StoreError,
    StoreUnavailable,
    new_idcs,
)
from registry_store.engine import (
    WRITE_OPTION,
    create_store_engine,
    db_errors,
    durability_problems,
    normalise_url,
    warn_if_not_durable,
)
from registry_store.schema import person_versions

Make = Callable[[int], Demographics]


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgres://u:p@db:5432/rnp", "postgresql+psycopg"),
        ("postgresql://u:p@db/rnp", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/rnp", "postgresql+psycopg"),
        ("sqlite:///hawiya-data/rnp.db", "sqlite+pysqlite"),
        ("sqlite+pysqlite:////var/lib/hawiya/rnp.db", "sqlite+pysqlite"),
    ],
)
def test_supported_urls(url: str, driver: str) -> None:
    parsed = normalise_url(url)
    assert parsed.drivername == driver
    assert parsed.database == sa.make_url(url).database


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:s3cret@db/rnp",
        "postgresql+psycopg2://u:s3cret@db/rnp",
        "oracle://u:s3cret@db",
        "redis://localhost:6379/0",
        "not a url s3cret",
        "",
        "   ",
        "sqlite://",
        "sqlite:///:memory:",
    ],
)
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(InvalidStoreUrl) as info:
        RegistryStore.from_url(url)
    assert "s3cret" not in str(info.value)
    assert isinstance(info.value, StoreError)


def test_pool_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(InvalidField) as info:
        RegistryStore.from_url(f"sqlite:///{tmp_path / 'x.db'}", pool_size=0)
    assert info.value.field == "pool_size"


def test_sqlite_creates_the_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "hawiya-data" / "nested" / "rnp.db"
    with RegistryStore.from_url(f"sqlite:///{path}") as store:
        store.ping()
    assert path.exists()


def test_unreachable_postgresql_is_unavailable() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        RegistryStore.from_url("postgresql://postgres:s3cret@127.0.0.1:1/hawiya_test")
    assert time.monotonic() - started < 15
    assert "s3cret" not in str(info.value)
    assert isinstance(info.value.__cause__, sa.exc.OperationalError)


def test_every_call_maps_an_unreachable_database_to_unavailable(demographics: Make) -> None:
    # A store whose database went away after start-up (no PostgreSQL needed: port 1 refuses).
    dead = RegistryStore(create_store_engine("postgresql://postgres@127.0.0.1:1/hawiya_test"))
    idcs = new_idcs(random.Random(0))
    calls: list[Callable[[], object]] = [
        dead.ping,
        dead.count_persons,
        dead.count_audit,
        lambda: dead.find_person(idcs),
        lambda: dead.get_person(idcs),
        lambda: dead.get_history(idcs),
        lambda: dead.update_person(idcs, demographics(1)),
        lambda: dead.enrol(demographics(1), idempotency_key="k"),
        lambda: list(dead.iter_persons()),
        lambda: dead.audit_entries(),
        lambda: dead.record_audit(transaction_id="t", caller_id="c", idcs_hash="ab" * 32, decision="no", reason=""),
    ]
    try:
        for call in calls:
            with pytest.raises(StoreUnavailable):
                call()
    finally:
        dead.close()


@pytest.mark.postgres
def test_postgresql_dropped_connections_are_replaced(pg_store_url: str, demographics: Make) -> None:
    with RegistryStore.from_url(pg_store_url, pool_size=1) as store:
        person = store.enrol(demographics(1)).person
        with store.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        admin = sa.create_engine(normalise_url(pg_store_url))
        try:
            with admin.connect() as conn:
                assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
        # The pool's pre-ping notices the dead connection and opens a new one.
        assert store.get_person(person.idcs) == person


def test_sqlite_pragmas_are_in_effect(sqlite_store: RegistryStore) -> None:
    engine = sqlite_store.engine
    # Two connections at once: every pooled connection gets the pragmas, not just the first.
    with engine.connect() as a, engine.connect() as b:
        for conn in (a, b):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sqlite_writes_begin_immediate_and_reads_do_not(sqlite_store: RegistryStore, demographics: Make) -> None:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.strip().upper())

    sa.event.listen(sqlite_store.engine, "before_cursor_execute", record)
    try:
        person = sqlite_store.enrol(demographics(1)).person
        enrol_statements = list(statements)
        statements.clear()
        sqlite_store.get_person(person.idcs)
        read_statements = list(statements)
    finally:
        sa.event.remove(sqlite_store.engine, "before_cursor_execute", record)
    assert enrol_statements[0] == "BEGIN IMMEDIATE"
    assert read_statements[0] == "BEGIN"


def test_sqlite_writers_queue_while_readers_proceed(sqlite_store: RegistryStore, demographics: Make) -> None:
    person = sqlite_store.enrol(demographics(1)).person
    engine = sqlite_store.engine.execution_options(**{WRITE_OPTION: True})
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            sqlite_store.enrol(demographics(2))
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            done.set()

    with engine.begin() as conn:  # holds the write lock
        conn.execute(sa.select(1))
        thread = threading.Thread(target=writer)
        thread.start()
        assert not done.wait(0.5)  # the other writer waits on the lock...
        assert sqlite_store.get_person(person.idcs) == person  # ...while reads go on (WAL)
    thread.join(10)
    assert done.is_set()
    assert errors == []
    assert sqlite_store.count_persons() == 2


def test_foreign_keys_enforced(store: RegistryStore, demographics: Make) -> None:
    from registry_store.rows import demographics_row

    row = {
        **demographics_row(demographics(1)),
        "idcs": new_idcs(random.Random(0)),
        "version": 1,
        "status": "active",
        "merged_into": None,
        "written_at": datetime.now(UTC),
    }
    with pytest.raises(sa.exc.IntegrityError) as info, store.engine.begin() as conn:
        conn.execute(sa.insert(person_versions).values(**row))
    assert "foreign key" in str(info.value.orig).lower()


def test_durability_problems() -> None:
    on = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    assert durability_problems(on) == []
    assert durability_problems({**on, "synchronous_commit": "local"}) == []
    assert durability_problems({**on, "fsync": "off"}) == ["fsync"]
    assert durability_problems({**on, "synchronous_commit": "off", "full_page_writes": "off"}) == [
        "synchronous_commit",
        "full_page_writes",
    ]
    assert durability_problems({}) == ["fsync", "synchronous_commit", "full_page_writes"]


@pytest.mark.postgres
def test_postgresql_durability_check_logs_each_setting_off(pg_store_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = sa.create_engine(normalise_url(pg_store_url))
    try:
        with engine.connect() as conn:
            actual = {
                name: conn.exec_driver_sql(f"SHOW {name}").scalar_one()
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            }
            with caplog.at_level(logging.WARNING, logger="registry_store"):
                problems = warn_if_not_durable(conn)
    finally:
        engine.dispose()
    assert problems == durability_problems(actual)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == len(problems)
    for name, message in zip(problems, warned, strict=True):
        assert name in message


def test_db_errors_mapping() -> None:
    operational = sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    with pytest.raises(StoreUnavailable) as unavailable, db_errors("ping"):
        raise operational
    assert unavailable.value.__cause__ is operational
    assert str(unavailable.value).startswith("ping:")

    # Other driver errors may quote values (PostgreSQL's DETAIL): not chained, not echoed.
    leaky = sa.exc.IntegrityError("INSERT", {}, Exception("Key (idcs)=(2345678904) exists"))
    with pytest.raises(StoreError) as generic, db_errors("enrol"):
        raise leaky
    assert type(generic.value) is StoreError
    assert generic.value.__cause__ is None
    assert "2345678904" not in str(generic.value)

    with pytest.raises(KeyError), db_errors("x"):
        raise KeyError("not a database error")
