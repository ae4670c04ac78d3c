"""The SQL schema as each backend actually created it."""

from __future__ import annotations

import sqlalchemy as sa

from registry_store import SCHEMA_VERSION, RegistryStore
from registry_store.schema import METADATA, UtcDateTime, auth_audit


def test_tables_keys_and_indexes(store: RegistryStore) -> None:
    inspector = sa.inspect(store.engine)
    assert set(inspector.get_table_names()) >= {
        "schema_meta",
        "identities",
        "person_versions",
        "auth_audit",
    }
    assert inspector.get_pk_constraint("identities")["constrained_columns"] == ["idcs"]
    assert inspector.get_pk_constraint("person_versions")["constrained_columns"] == [
        "idcs",
        "version",
    ]
    uniques = {
        table: [u["column_names"] for u in inspector.get_unique_constraints(table)]
        for table in ("identities", "auth_audit")
    }
    assert uniques["identities"] == [["idempotency_key"]]
    assert uniques["auth_audit"] == [["transaction_id"]]
    indexes = {
        table: {tuple(i["column_names"]): bool(i["unique"]) for i in inspector.get_indexes(table)}
        for table in ("person_versions", "auth_audit")
    }
    assert indexes["person_versions"].get(("cin",)) is False
    assert indexes["auth_audit"].get(("idcs_hash", "created_at")) is False
    fks = inspector.get_foreign_keys("person_versions")
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in fks] == [(["idcs"], "identities")]


def test_schema_version_recorded(store: RegistryStore) -> None:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, schema_version FROM schema_meta")).all()
    assert [tuple(r) for r in rows] == [(1, SCHEMA_VERSION)]


def test_audit_table_has_no_personal_data_columns() -> None:
    assert {c.name for c in auth_audit.columns} == {
        "id",
        "transaction_id",
        "caller_id",
        "idcs_hash",
        "decision",
        "reason",
        "created_at",
    }


def test_timestamps_are_timezone_aware_everywhere() -> None:
    timestamps = [
        (table.name, column.name, column.type)
        for table in METADATA.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.DateTime | UtcDateTime)
    ]
    # 4 of the RNP and audit, 5 of the RSU (version 2), 3 of the locks (version 3), 3 of the journal
    # and the enrolment reviews (version 4)
    assert len(timestamps) == 15
    for table, column, type_ in timestamps:
        assert isinstance(type_, UtcDateTime), (table, column)


def test_security_table_holds_only_hashes_and_times() -> None:
    from registry_store.schema import auth_security

    assert {c.name for c in auth_security.columns} == {
        "idcs_hash",
        "locked",
        "lock_until",
        "lock_changed_at",
        "lock_changed_by",
        "frozen_until",
    }
    assert not auth_security.foreign_keys  # a lock can be set on any well-formed IDCS
