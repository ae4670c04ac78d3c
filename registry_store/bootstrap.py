"""Creating the schema in an empty database and checking the version of an existing one."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, inspect, select

from registry_store.engine import WRITE_OPTION, db_errors, warn_if_not_durable
from registry_store.errors import SchemaMismatch
from registry_store.schema import METADATA, SCHEMA_VERSION, schema_meta

__all__ = ["ensure_schema"]

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every process opening the database.
_PG_BOOTSTRAP_LOCK = 0x68617769  # "hawi"


@db_errors("open")
def ensure_schema(engine: Engine) -> int:
    """Create missing tables, record SCHEMA_VERSION in a new database, check it in an old one.

    Runs in one write transaction (on PostgreSQL under an advisory lock) so that several worker
    processes starting together do not race to create the same tables. Returns the version.
    """
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_BOOTSTRAP_LOCK})")
        existing = set(inspect(conn).get_table_names())
        if existing & set(METADATA.tables) and schema_meta.name not in existing:
            raise SchemaMismatch("open: the database has registry tables but no schema_meta table")
        METADATA.create_all(conn, checkfirst=True)
        version = conn.execute(select(schema_meta.c.schema_version).where(schema_meta.c.id == 1)).scalar_one_or_none()
        if version is None:
            conn.execute(insert(schema_meta).values(id=1, schema_version=SCHEMA_VERSION, created_at=datetime.now(UTC)))
            logger.info("created registry schema version %d", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"open: the database holds schema version {version}, this code needs version {SCHEMA_VERSION}"
            )
        if conn.dialect.name == "postgresql":
            warn_if_not_durable(conn)
    return SCHEMA_VERSION
