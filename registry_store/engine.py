"""SQLAlchemy engines for the supported backends, their durability settings, and error mapping.

SQLite (the embedded default) is opened in WAL mode with full fsync, foreign keys on and a 30 s
busy timeout; write transactions begin with BEGIN IMMEDIATE so that concurrent writers queue on
the busy timeout instead of deadlocking when a reader tries to upgrade to a writer. PostgreSQL is
opened through psycopg 3 with a pre-pinged pool, and its durability settings are checked at start.

Every database error leaving the store goes through `db_errors`, written once here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from registry_store.errors import InvalidField, InvalidStoreUrl, StoreError, StoreUnavailable

__all__ = [
    "WRITE_OPTION",
    "create_store_engine",
    "db_errors",
    "durability_problems",
    "normalise_url",
    "unique_violation",
    "warn_if_not_durable",
]

logger = logging.getLogger(__name__)

# Execution option that marks a connection as a writer (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "hawiya_write"

_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})
_POSTGRES_DRIVERS = frozenset({"postgresql", "postgres", "postgresql+psycopg"})
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_CONNECT_TIMEOUT_S = 10
_POOL_TIMEOUT_S = 30
_DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")

# PostgreSQL constraint names (see schema.METADATA's naming convention) and SQLite's
# "UNIQUE constraint failed: <columns>" texts, both mapped to one label per unique key.
_PG_UNIQUE_LABELS = {
    "pk_identities": "identities.idcs",
    "uq_identities_idempotency_key": "identities.idempotency_key",
    "pk_person_versions": "person_versions.version",
    "uq_auth_audit_transaction_id": "auth_audit.transaction_id",
    "pk_households": "households.household_id",
    "uq_households_idempotency_key": "households.idempotency_key",
    "pk_household_versions": "household_versions.version",
    "pk_household_active_members": "household_active_members.idcs",
    "uq_complaints_complaint_id": "complaints.complaint_id",
    "uq_complaints_idempotency_key": "complaints.idempotency_key",
    "pk_complaint_transitions": "complaint_transitions.seq",
    "uq_enrolment_reviews_review_id": "enrolment_reviews.review_id",
    "uq_enrolment_reviews_idempotency_key": "enrolment_reviews.idempotency_key",
}
_SQLITE_UNIQUE_LABELS = {
    "identities.idcs": "identities.idcs",
    "identities.idempotency_key": "identities.idempotency_key",
    "person_versions.idcs, person_versions.version": "person_versions.version",
    "auth_audit.transaction_id": "auth_audit.transaction_id",
    "households.household_id": "households.household_id",
    "households.idempotency_key": "households.idempotency_key",
    "household_versions.household_id, household_versions.version": "household_versions.version",
    "household_active_members.idcs": "household_active_members.idcs",
    "complaints.complaint_id": "complaints.complaint_id",
    "complaints.idempotency_key": "complaints.idempotency_key",
    "complaint_transitions.complaint_id, complaint_transitions.seq": "complaint_transitions.seq",
    "enrolment_reviews.review_id": "enrolment_reviews.review_id",
    "enrolment_reviews.idempotency_key": "enrolment_reviews.idempotency_key",
}
_SQLITE_UNIQUE_PREFIX = "UNIQUE constraint failed: "


def normalise_url(url: str) -> URL:
    """Parse a store URL and pin its driver; raise InvalidStoreUrl for anything unsupported.

    Accepts ``sqlite:///path`` and ``postgresql+psycopg://`` (``postgresql://`` and
    ``postgres://`` are rewritten to psycopg). The URL itself never appears in a message: it may
    hold a password.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidStoreUrl("store url: must be a non-empty string")
    try:
        parsed = make_url(url.strip())
    except (sa_exc.ArgumentError, ValueError, TypeError):
        raise InvalidStoreUrl("store url: cannot be parsed") from None
    driver = parsed.drivername.lower()
    if driver in _SQLITE_DRIVERS:
        database = parsed.database or ""
        if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
            # Each pooled connection would get its own empty in-memory database.
            raise InvalidStoreUrl("store url: in-memory SQLite is not supported, give a file path")
        return parsed.set(drivername="sqlite+pysqlite")
    if driver in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    raise InvalidStoreUrl(f"store url: unsupported scheme {driver!r}, use sqlite:///path or postgresql+psycopg://")


def _sqlite_on_connect(
    dbapi_connection: Any, _record: ConnectionPoolEntry, busy_timeout_ms: int = _SQLITE_BUSY_TIMEOUT_MS
) -> None:
    # Take BEGIN away from the sqlite3 module (it would not emit it for SELECT or DDL);
    # _sqlite_on_begin emits our own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            logger.warning("sqlite journal_mode is %s, not wal; readers will block writers", mode)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that reads, then writes,
    # fails with SQLITE_BUSY (no busy wait) when another writer committed in between.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def create_store_engine(url: str, *, pool_size: int = 10, statement_timeout: float | None = None) -> Engine:
    """Create the engine for `url` with the settings described in the module docstring.

    `statement_timeout` (seconds) bounds how long one statement, a wait for a lock or for a
    pooled connection may take: PostgreSQL's ``statement_timeout`` (the server cancels the
    statement), SQLite's busy timeout, the pool's checkout timeout and PostgreSQL's connect
    timeout are all capped at it. None keeps the defaults (no statement timeout).
    """
    if not isinstance(pool_size, int) or isinstance(pool_size, bool) or pool_size < 1:
        raise InvalidField("pool_size", "must be a positive integer")
    if statement_timeout is not None and not (isinstance(statement_timeout, int | float) and statement_timeout > 0):
        raise InvalidField("statement_timeout", "must be a positive number of seconds")
    cap = float("inf") if statement_timeout is None else float(statement_timeout)
    parsed = normalise_url(url)
    common: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_timeout": min(_POOL_TIMEOUT_S, cap),
        # Keep values (IDCS, names) out of SQLAlchemy's exception texts and logs.
        "hide_parameters": True,
    }
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database or ""
        if not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable("open: cannot create the SQLite database folder") from exc
        busy_ms = int(min(_SQLITE_BUSY_TIMEOUT_MS, cap * 1000))
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
            **common,
        )

        def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            _sqlite_on_connect(dbapi_connection, record, busy_ms)

        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = max(1, int(min(_PG_CONNECT_TIMEOUT_S, cap)))
    if statement_timeout is not None and "options" not in parsed.query:
        connect_args["options"] = f"-c statement_timeout={max(1, int(statement_timeout * 1000))}"
    if "application_name" not in parsed.query:
        connect_args["application_name"] = "hawiya"
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **common)


def durability_problems(settings: Mapping[str, str]) -> list[str]:
    """Names of the PostgreSQL durability settings that are off (or missing) in `settings`."""
    return [
        name for name in _DURABILITY_SETTINGS if str(settings.get(name, "off")).strip().lower() in ("off", "false", "0")
    ]


def warn_if_not_durable(conn: Connection) -> list[str]:
    """Log a WARNING for each PostgreSQL durability setting that is off; return their names."""
    query = text("SELECT name, setting FROM pg_settings WHERE name IN :names").bindparams(
        bindparam("names", expanding=True)
    )
    rows = conn.execute(query, {"names": list(_DURABILITY_SETTINGS)}).all()
    problems = durability_problems({str(name): str(setting) for name, setting in rows})
    for name in problems:
        logger.warning("postgresql setting %s is off: committed registrations may be lost in a crash", name)
    return problems


def unique_violation(exc: sa_exc.IntegrityError) -> str | None:
    """Which unique key an IntegrityError violated, as "table.column", or None if another."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:
        if getattr(orig, "sqlstate", None) != "23505":
            return None
        return _PG_UNIQUE_LABELS.get(str(getattr(diag, "constraint_name", "") or ""))
    text = str(orig)
    if text.startswith(_SQLITE_UNIQUE_PREFIX):
        return _SQLITE_UNIQUE_LABELS.get(text[len(_SQLITE_UNIQUE_PREFIX) :].strip())
    return None


@contextmanager
def db_errors(operation: str) -> Iterator[None]:
    """Map SQLAlchemy and driver errors raised inside to StoreError subclasses.

    Usable as a decorator (``@db_errors("enrol")``) or a ``with`` block. Connection-level errors
    become StoreUnavailable, chained to the original (their texts hold no personal data). Other
    database errors become a plain StoreError *not* chained to the original, because PostgreSQL
    puts the offending values in its messages ("Key (idcs)=(...) already exists", "Failing row
    contains ..."); only the error class and SQLSTATE are logged.
    """
    try:
        yield
    except StoreError:
        raise
    except (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,
    ) as exc:
        raise StoreUnavailable(f"{operation}: the database is unavailable") from exc
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(f"{operation}: the database connection was lost") from exc
        logger.error(
            "%s: database error %s sqlstate=%s",
            operation,
            type(exc.orig).__name__,
            getattr(exc.orig, "sqlstate", None),
        )
        raise StoreError(f"{operation}: database error") from None
    except sa_exc.SQLAlchemyError as exc:
        raise StoreError(f"{operation}: database error ({type(exc).__name__})") from exc
