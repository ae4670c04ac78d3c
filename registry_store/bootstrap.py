"""Creating the schema in an empty database, and migrating an older one forward to SCHEMA_VERSION."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, inspect, select, update

from registry_store.engine import WRITE_OPTION, db_errors, warn_if_not_durable
from registry_store.errors import SchemaMismatch
from registry_store.schema import (
    AUDIT_FAILURES_INDEX,
    DUPLICATE_SEARCH_TABLES,
    METADATA,
    PERSON_LOOKUP_INDEX,
    RSU_TABLES,
    SCHEMA_VERSION,
    SECURITY_TABLES,
    schema_meta,
)

__all__ = ["MIGRATIONS", "ensure_schema"]

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every process opening the database.
_PG_BOOTSTRAP_LOCK = 0x68617769  # "hawi"


def _migrate_1_to_2(conn: Connection) -> None:
    """Version 2: the social registry's tables, and the index of the person look-up."""
    for table in RSU_TABLES:
        table.create(conn, checkfirst=True)
    # On PostgreSQL this blocks writes to person_versions while the index builds (once).
    PERSON_LOOKUP_INDEX.create(conn, checkfirst=True)


def _migrate_2_to_3(conn: Connection) -> None:
    """Version 3: the residents' authentication locks, the brute-force freezes, the failures' index."""
    for table in SECURITY_TABLES:
        table.create(conn, checkfirst=True)
    # On PostgreSQL this blocks audit writes while the index builds (once).
    AUDIT_FAILURES_INDEX.create(conn, checkfirst=True)


def _migrate_3_to_4(conn: Connection) -> None:
    """Version 4: the journal of person writes and the enrolments held by the 1:N duplicate search.

    The journal starts empty: the persons already registered are read whole when a server builds
    its candidate index, and the journal only has to carry the writes made after that.
    """
    for table in DUPLICATE_SEARCH_TABLES:
        table.create(conn, checkfirst=True)


# version n -> the step that turns a version n database into version n + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}


@db_errors("open")
def ensure_schema(engine: Engine) -> int:
    """Create the schema in a new database; migrate an older one forward; refuse a newer one.

    Runs in one write transaction (on PostgreSQL under an advisory lock) so that several worker
    processes starting together do not race to create or migrate the same tables, and a failed
    migration leaves the database as it was. Returns the version.
    """
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            # A migration (an index over every person) may take longer than a call may.
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_BOOTSTRAP_LOCK})")
        existing = set(inspect(conn).get_table_names())
        if existing & set(METADATA.tables) and schema_meta.name not in existing:
            raise SchemaMismatch("open: the database has registry tables but no schema_meta table")
        version = None
        if schema_meta.name in existing:
            version = conn.execute(
                select(schema_meta.c.schema_version).where(schema_meta.c.id == 1)
            ).scalar_one_or_none()
        if version is None:
            METADATA.create_all(conn, checkfirst=True)
            conn.execute(insert(schema_meta).values(id=1, schema_version=SCHEMA_VERSION, created_at=datetime.now(UTC)))
            logger.info("created registry schema version %d", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            _migrate(conn, version)
        else:
            METADATA.create_all(conn, checkfirst=True)
        if conn.dialect.name == "postgresql":
            warn_if_not_durable(conn)
    return SCHEMA_VERSION


def _migrate(conn: Connection, version: int) -> None:
    start = version
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            break
        step(conn)
        version += 1
    if version != SCHEMA_VERSION:
        raise SchemaMismatch(
            f"open: the database holds schema version {start}, this code needs version {SCHEMA_VERSION}"
            " and can only migrate older versions forward"
        )
    conn.execute(update(schema_meta).where(schema_meta.c.id == 1).values(schema_version=version))
    logger.info("migrated registry schema from version %d to %d", start, version)
