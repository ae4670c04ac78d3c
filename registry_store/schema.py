"""The SQL schema of the registry store (SQLAlchemy Core), and its version.

Bump SCHEMA_VERSION whenever a table changes; a store refuses to open a database written under a
different version (SchemaMismatch) rather than guess.

Persons are append-only: `identities` holds one row per IDCS (the IDCS's uniqueness lives in its
primary key), `person_versions` one row per version of the person's data, never updated in place.
`auth_audit` deliberately has no column for a name, a date or an IDCS: only a keyed hash of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import DateTime, TypeDecorator

__all__ = [
    "AUDIT_FIELD_MAX_LENGTHS",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "METADATA",
    "SCHEMA_VERSION",
    "UtcDateTime",
    "auth_audit",
    "identities",
    "metadata",
    "person_versions",
    "schema_meta",
]

SCHEMA_VERSION = 1

IDEMPOTENCY_KEY_MAX_LENGTH = 128
AUDIT_FIELD_MAX_LENGTHS = {
    "transaction_id": 64,
    "caller_id": 128,
    "idcs_hash": 128,
    "decision": 32,
    "reason": 128,
}

# Named constraints, so that both backends report (and a later migration can drop) the same names.
METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

metadata = METADATA  # lower-case alias, as SQLAlchemy's own examples spell it


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (UTC), on every backend.

    SQLite has no timestamp type and drops the offset, so values are converted to UTC before
    they are written and tagged UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

schema_meta = Table(
    "schema_meta",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("schema_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

identities = Table(
    "identities",
    METADATA,
    Column("idcs", CHAR(10), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("idempotency_key", String(IDEMPOTENCY_KEY_MAX_LENGTH), nullable=True, unique=True),
    Column("request_digest", String(64), nullable=False),
)

person_versions = Table(
    "person_versions",
    METADATA,
    Column("idcs", CHAR(10), ForeignKey("identities.idcs"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("first_name_latin", Text, nullable=False),
    Column("first_name_arabic", Text, nullable=False),
    Column("last_name_latin", Text, nullable=False),
    Column("last_name_arabic", Text, nullable=False),
    Column("father_first_name_latin", Text, nullable=False),
    Column("father_first_name_arabic", Text, nullable=False),
    Column("mother_first_name_latin", Text, nullable=False),
    Column("mother_first_name_arabic", Text, nullable=False),
    Column("sex", CHAR(1), nullable=False),
    Column("birth_year", Integer, nullable=False),
    Column("birth_month", Integer, nullable=False),
    Column("birth_day", Integer, nullable=False),
    Column("birth_precision", String(16), nullable=False),
    Column("birth_place_code", Text, nullable=False),
    Column("cin", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("commune_code", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("merged_into", CHAR(10), nullable=True),
    Column("written_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("idcs", "version"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("sex IN ('U', 'M', 'F')", name="sex"),
    CheckConstraint("birth_precision IN ('unknown', 'year', 'year_month', 'full')", name="birth_precision"),
    CheckConstraint("status IN ('active', 'deceased', 'merged')", name="status"),
    CheckConstraint(
        "(status = 'merged' AND merged_into IS NOT NULL) OR (status <> 'merged' AND merged_into IS NULL)",
        name="merged_into",
    ),
    Index(None, "cin"),
)

auth_audit = Table(
    "auth_audit",
    METADATA,
    Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    Column(
        "transaction_id",
        String(AUDIT_FIELD_MAX_LENGTHS["transaction_id"]),
        nullable=False,
        unique=True,
    ),
    Column("caller_id", String(AUDIT_FIELD_MAX_LENGTHS["caller_id"]), nullable=False),
    Column("idcs_hash", String(AUDIT_FIELD_MAX_LENGTHS["idcs_hash"]), nullable=False),
    Column("decision", String(AUDIT_FIELD_MAX_LENGTHS["decision"]), nullable=False),
    Column("reason", String(AUDIT_FIELD_MAX_LENGTHS["reason"]), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "idcs_hash", "created_at"),
)
