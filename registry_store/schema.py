"""The SQL schema of the registry store (SQLAlchemy Core), and its version.

Bump SCHEMA_VERSION whenever a table changes; a store refuses to open a database written under a
different version (SchemaMismatch) rather than guess.

Persons are append-only: `identities` holds one row per IDCS (the IDCS's uniqueness lives in its
primary key), `person_versions` one row per version of the person's data, never updated in place.
`auth_audit` deliberately has no column for a name, a date or an IDCS: only a keyed hash of it.

Households (RSU, schema version 2) follow the same pattern: `households` holds one row per
household, `household_versions` one row per version (residence, variables and the index with the
version of the formula that computed it) and `household_members` the members of each version.
`household_active_members` is the one table that is not append-only: it holds, for each person
who is an active member of a household, that household (its latest version's members); its
primary key on the IDCS is what guarantees, on both backends and under concurrency, that a person
is an active member of at most one household. It is rewritten in the same transaction as every
household version, and can be rebuilt from the latest versions. Complaints are `complaints` (one
row each, never updated) and `complaint_transitions` (one row per status change, the filing
included); a complaint's status is its latest transition's.

`auth_security` (schema version 3) holds, per keyed IDCS hash, the resident's authentication lock
(locked or not, until when) and the freeze the brute-force limit sets (frozen_until). It is keyed
by the hash, not the IDCS, and has no foreign key to `identities`: a lock can be set on any
well-formed IDCS, so that locking answers the same whether the IDCS is registered or not. It is
the register's copy of the security state and the only one: neither Redis nor a process keeps it.
Failed attempts are not counted here: they are the audit rows themselves (see `security.py`).

`person_changes` (schema version 4) is the journal of person writes: one row per version written
(enrolment or update), in the same transaction, numbered by a database sequence. Its writers
take a transaction-level lock just before the insert (PostgreSQL; SQLite serialises writers
anyway), so sequence numbers commit in order and a reader that has seen number n has seen every
write before it: each server process follows it to keep its in-memory candidate index in step
with the other processes' enrolments and updates. `enrolment_reviews` holds the enrolments the
1:N duplicate search did not let through: DUPLICATE (closed: the desk was given the existing
IDCS) and POSSIBLE_DUPLICATE (pending: held for review, no IDCS allocated), with the submitted
demographics, the idempotency key that makes a retry give the same answer, and, in
`enrolment_review_candidates`, the existing persons found with their match probabilities.

Version history: 1 persons and the audit trail; 2 adds the households and complaints tables and
an index on person_versions for the exact look-up of a person by demographics; 3 adds
`auth_security`; 4 adds `person_changes` and the enrolment reviews (`bootstrap` migrates older
databases forward).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Dialect,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.types import DateTime, TypeDecorator

from registry_store.index_formula import FORMULA_VERSION_MAX_LENGTH
from registry_store.social_model import (
    Area,
    ComplaintStatus,
    ComplaintSubjectKind,
    CookingFuel,
    DwellingType,
    Electricity,
    HouseholdChange,
    HouseholdStatus,
    Relation,
    Sanitation,
    Tenure,
    WaterSource,
)

__all__ = [
    "AUDIT_FAILURES_INDEX",
    "AUDIT_FIELD_MAX_LENGTHS",
    "COMPLAINT_ACTOR_MAX_LENGTH",
    "COMPLAINT_REASON_MAX_LENGTH",
    "COMPLAINT_TEXT_MAX_LENGTH",
    "DUPLICATE_SEARCH_TABLES",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "METADATA",
    "PERSON_LOOKUP_INDEX",
    "PUBLIC_ID_LENGTH",
    "RSU_TABLES",
    "SCHEMA_VERSION",
    "SECURITY_TABLES",
    "UtcDateTime",
    "auth_audit",
    "auth_security",
    "complaint_transitions",
    "complaints",
    "enrolment_review_candidates",
    "enrolment_reviews",
    "household_active_members",
    "household_members",
    "household_versions",
    "households",
    "identities",
    "metadata",
    "person_changes",
    "person_versions",
    "schema_meta",
]

SCHEMA_VERSION = 4

IDEMPOTENCY_KEY_MAX_LENGTH = 128
AUDIT_FIELD_MAX_LENGTHS = {
    "transaction_id": 64,
    "caller_id": 128,
    "idcs_hash": 128,
    "decision": 32,
    "reason": 128,
}
PUBLIC_ID_LENGTH = 32  # household and complaint ids: 32 lowercase hex digits
COMPLAINT_TEXT_MAX_LENGTH = 4000
COMPLAINT_REASON_MAX_LENGTH = 1000
COMPLAINT_ACTOR_MAX_LENGTH = 128

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
# Schema version 2: the exact look-up of a person by demographics (registry_store.lookup) filters
# on every identity column; this index narrows it to a surname and a birth year in either script.
PERSON_LOOKUP_INDEX = Index(
    None, person_versions.c.last_name_latin, person_versions.c.last_name_arabic, person_versions.c.birth_year
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

# Schema version 3: the failed authentications of an IDCS within the attempt window are counted
# on every authentication (registry_store.security); this partial index holds only the failures,
# so the count reads a few index entries and no table rows. The reason is the literal
# security.FAILURE_REASON (a partial index serves only queries that name its predicate's value).
AUDIT_FAILURES_INDEX = Index(
    "ix_auth_audit_failures",
    auth_audit.c.idcs_hash,
    auth_audit.c.created_at,
    sqlite_where=auth_audit.c.reason == literal_column("'DEMOGRAPHIC_MISMATCH'"),
    postgresql_where=auth_audit.c.reason == literal_column("'DEMOGRAPHIC_MISMATCH'"),
)

# Schema version 3: the resident's lock and the brute-force freeze, one row per IDCS hash that
# ever had either. The lock's state holds until lock_until (NULL: indefinitely), then flips: a
# lock with an end unlocks itself, a temporary unlock (locked false, lock_until set) locks again.
auth_security = Table(
    "auth_security",
    METADATA,
    Column("idcs_hash", String(AUDIT_FIELD_MAX_LENGTHS["idcs_hash"]), primary_key=True),
    Column("locked", Boolean(create_constraint=False), nullable=False),
    Column("lock_until", UtcDateTime, nullable=True),
    Column("lock_changed_at", UtcDateTime, nullable=True),
    Column("lock_changed_by", String(AUDIT_FIELD_MAX_LENGTHS["caller_id"]), nullable=True),
    Column("frozen_until", UtcDateTime, nullable=True),
)

# The tables schema version 3 added.
SECURITY_TABLES = (auth_security,)


# -- schema version 4: the journal of person writes, and the enrolments held by the 1:N search --

person_changes = Table(
    "person_changes",
    METADATA,
    Column("seq", _BIG_ID, primary_key=True, autoincrement=True),
    Column("idcs", CHAR(10), ForeignKey("identities.idcs"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)


def _demographic_columns() -> list[Column[Any]]:
    """The demographics columns of person_versions, for another table that stores a record."""
    texts = [
        f"{name}_{script}"
        for name in ("first_name", "last_name", "father_first_name", "mother_first_name")
        for script in ("latin", "arabic")
    ]
    return [
        *(Column(name, Text, nullable=False) for name in texts),
        Column("sex", CHAR(1), nullable=False),
        Column("birth_year", Integer, nullable=False),
        Column("birth_month", Integer, nullable=False),
        Column("birth_day", Integer, nullable=False),
        Column("birth_precision", String(16), nullable=False),
        *(
            Column(name, Text, nullable=False)
            for name in ("birth_place_code", "cin", "phone", "commune_code", "address")
        ),
    ]


enrolment_reviews = Table(
    "enrolment_reviews",
    METADATA,
    # Insertion order, for listing the queue; the public id is review_id.
    Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    Column("review_id", CHAR(PUBLIC_ID_LENGTH), nullable=False, unique=True),
    Column("idempotency_key", String(IDEMPOTENCY_KEY_MAX_LENGTH), nullable=False, unique=True),
    Column("request_digest", String(64), nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("status", String(16), nullable=False),
    *_demographic_columns(),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("outcome IN ('duplicate', 'possible_duplicate')", name="outcome"),
    CheckConstraint("status IN ('pending', 'closed')", name="status"),
    CheckConstraint("sex IN ('U', 'M', 'F')", name="sex"),
    CheckConstraint("birth_precision IN ('unknown', 'year', 'year_month', 'full')", name="birth_precision"),
    Index(None, "status", "id"),
)

enrolment_review_candidates = Table(
    "enrolment_review_candidates",
    METADATA,
    Column("review_id", CHAR(PUBLIC_ID_LENGTH), ForeignKey("enrolment_reviews.review_id"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("idcs", CHAR(10), ForeignKey("identities.idcs"), nullable=False),
    Column("probability", Double, nullable=False),
    PrimaryKeyConstraint("review_id", "ordinal"),
    CheckConstraint("ordinal >= 0", name="ordinal"),
    CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
)

# The tables schema version 4 added, in creation order.
DUPLICATE_SEARCH_TABLES = (person_changes, enrolment_reviews, enrolment_review_candidates)


# -- the social registry (RSU), schema version 2 ------------------------------------------------


def _one_of(column: str, values: type[enum.Enum], name: str | None = None) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


households = Table(
    "households",
    METADATA,
    Column("household_id", CHAR(PUBLIC_ID_LENGTH), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("idempotency_key", String(IDEMPOTENCY_KEY_MAX_LENGTH), nullable=True, unique=True),
    Column("request_digest", String(64), nullable=False),
)

household_versions = Table(
    "household_versions",
    METADATA,
    Column("household_id", CHAR(PUBLIC_ID_LENGTH), ForeignKey("households.household_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("change_kind", String(16), nullable=False),
    Column("member_count", Integer, nullable=False),
    Column("commune_code", Text, nullable=False),
    Column("area", String(8), nullable=False),
    Column("dwelling_type", String(24), nullable=False),
    Column("tenure", String(16), nullable=False),
    Column("rooms", Integer, nullable=False),
    Column("water_source", String(24), nullable=False),
    Column("electricity", String(24), nullable=False),
    Column("sanitation", String(24), nullable=False),
    Column("cooking_fuel", String(24), nullable=False),
    # The assets owned, as their enum values in Asset order, comma-separated ("" for none).
    Column("assets", Text, nullable=False),
    Column("monthly_expenses_mad", BigInteger, nullable=False),
    Column("index_value", Double, nullable=True),
    Column("index_formula_version", String(FORMULA_VERSION_MAX_LENGTH), nullable=True),
    Column("index_computed_at", UtcDateTime, nullable=True),
    Column("written_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("household_id", "version"),
    CheckConstraint("version >= 1", name="version_positive"),
    _one_of("status", HouseholdStatus),
    _one_of("change_kind", HouseholdChange),
    _one_of("area", Area),
    _one_of("dwelling_type", DwellingType),
    _one_of("tenure", Tenure),
    _one_of("water_source", WaterSource),
    _one_of("electricity", Electricity),
    _one_of("sanitation", Sanitation),
    _one_of("cooking_fuel", CookingFuel),
    CheckConstraint("rooms BETWEEN 1 AND 50", name="rooms"),
    CheckConstraint("monthly_expenses_mad >= 0", name="monthly_expenses_mad"),
    CheckConstraint(
        "(status = 'active' AND member_count >= 1 AND index_value IS NOT NULL"
        " AND index_formula_version IS NOT NULL AND index_computed_at IS NOT NULL)"
        " OR (status = 'dissolved' AND member_count = 0 AND index_value IS NULL"
        " AND index_formula_version IS NULL AND index_computed_at IS NULL)",
        name="status_members_index",
    ),
)

household_members = Table(
    "household_members",
    METADATA,
    Column("household_id", CHAR(PUBLIC_ID_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("idcs", CHAR(10), ForeignKey("identities.idcs"), nullable=False),
    Column("relation", String(16), nullable=False),
    PrimaryKeyConstraint("household_id", "version", "ordinal"),
    UniqueConstraint("household_id", "version", "idcs"),
    ForeignKeyConstraint(
        ["household_id", "version"], ["household_versions.household_id", "household_versions.version"]
    ),
    CheckConstraint("ordinal >= 0", name="ordinal"),
    _one_of("relation", Relation),
    Index(None, "idcs"),
)

household_active_members = Table(
    "household_active_members",
    METADATA,
    # The primary key is the rule: one active household per person.
    Column("idcs", CHAR(10), ForeignKey("identities.idcs"), primary_key=True),
    Column("household_id", CHAR(PUBLIC_ID_LENGTH), ForeignKey("households.household_id"), nullable=False),
    Column("since_version", Integer, nullable=False),
    Index(None, "household_id"),
)

complaints = Table(
    "complaints",
    METADATA,
    # Insertion order, for stable pagination; the public id is complaint_id.
    Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    Column("complaint_id", CHAR(PUBLIC_ID_LENGTH), nullable=False, unique=True),
    Column("subject_kind", String(16), nullable=False),
    Column("subject_idcs", CHAR(10), ForeignKey("identities.idcs"), nullable=True),
    Column("subject_household_id", CHAR(PUBLIC_ID_LENGTH), ForeignKey("households.household_id"), nullable=True),
    Column("text", Text, nullable=False),
    Column("filed_by", String(COMPLAINT_ACTOR_MAX_LENGTH), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("idempotency_key", String(IDEMPOTENCY_KEY_MAX_LENGTH), nullable=True, unique=True),
    Column("request_digest", String(64), nullable=False),
    _one_of("subject_kind", ComplaintSubjectKind),
    CheckConstraint(
        "(subject_kind IN ('person_data', 'merge') AND subject_idcs IS NOT NULL AND subject_household_id IS NULL)"
        " OR (subject_kind = 'household_index' AND subject_idcs IS NULL AND subject_household_id IS NOT NULL)"
        " OR (subject_kind = 'membership' AND subject_idcs IS NOT NULL AND subject_household_id IS NOT NULL)",
        name="subject",
    ),
    Index(None, "subject_household_id", "id"),
    Index(None, "subject_idcs"),
)

complaint_transitions = Table(
    "complaint_transitions",
    METADATA,
    Column("complaint_id", CHAR(PUBLIC_ID_LENGTH), ForeignKey("complaints.complaint_id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(COMPLAINT_ACTOR_MAX_LENGTH), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("complaint_id", "seq"),
    _one_of("to_status", ComplaintStatus),
    CheckConstraint(
        "(seq = 1 AND from_status IS NULL AND to_status = 'open')"
        " OR (seq > 1 AND from_status IN ('open', 'in_review', 'resolved', 'rejected'))",
        name="sequence",
    ),
)

# The tables schema version 2 added, in creation order.
RSU_TABLES = (
    households,
    household_versions,
    household_members,
    household_active_members,
    complaints,
    complaint_transitions,
)
