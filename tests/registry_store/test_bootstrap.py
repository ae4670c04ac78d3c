"""Schema creation and the forward migration of version 1, 2 and 3 databases, on every backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from registry_store import (
    SCHEMA_VERSION,
    Demographics,
    HouseholdMember,
    HouseholdStore,
    RegistryStore,
    Relation,
    SchemaMismatch,
)
from registry_store.bootstrap import MIGRATIONS
from registry_store.reviews import ReviewCandidate, ReviewOutcome, ReviewStore
from registry_store.schema import (
    DUPLICATE_SEARCH_TABLES,
    PERSON_LOOKUP_INDEX,
    RSU_TABLES,
    SECURITY_TABLES,
    schema_meta,
)
from tests.registry_store.rsu_data import COMFORTABLE, URBAN

Make = Callable[[int], Demographics]


def _as_version_1(store: RegistryStore) -> None:
    """Turn a fresh database into what version 1 of the code created."""
    with store.engine.begin() as conn:
        for table in (*reversed(DUPLICATE_SEARCH_TABLES), *SECURITY_TABLES, *reversed(RSU_TABLES)):
            table.drop(conn)
        PERSON_LOOKUP_INDEX.drop(conn)
        conn.execute(sa.update(schema_meta).values(schema_version=1))


def _as_version_2(store: RegistryStore) -> None:
    """Turn a fresh database into what version 2 of the code created."""
    with store.engine.begin() as conn:
        for table in (*reversed(DUPLICATE_SEARCH_TABLES), *SECURITY_TABLES):
            table.drop(conn)
        conn.execute(sa.update(schema_meta).values(schema_version=2))


def _as_version_3(store: RegistryStore) -> None:
    """Turn a fresh database into what version 3 of the code created."""
    with store.engine.begin() as conn:
        for table in reversed(DUPLICATE_SEARCH_TABLES):
            table.drop(conn)
        conn.execute(sa.update(schema_meta).values(schema_version=3))


def _version(store: RegistryStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(schema_meta.c.schema_version)).scalar_one())


def test_current_version_is_4_with_migrations_from_1_2_and_3() -> None:
    assert SCHEMA_VERSION == 4
    assert sorted(MIGRATIONS) == [1, 2, 3]


def test_version_1_database_is_migrated_forward(make_store: Callable[..., RegistryStore], demographics: Make) -> None:
    old = make_store()
    person = old.enrol(demographics(1)).person
    _as_version_1(old)
    names = set(sa.inspect(old.engine).get_table_names())
    assert not names & {t.name for t in RSU_TABLES}
    old.close()

    new = make_store()
    assert _version(new) == 4
    inspector = sa.inspect(new.engine)
    added = (*RSU_TABLES, *SECURITY_TABLES, *DUPLICATE_SEARCH_TABLES)
    assert {t.name for t in added} <= set(inspector.get_table_names())
    indexed = {i["name"] for i in inspector.get_indexes("person_versions")}
    assert PERSON_LOOKUP_INDEX.name in indexed
    assert new.get_person(person.idcs) == person
    household = HouseholdStore(new).register_household(
        [HouseholdMember(person.idcs, Relation.HEAD)], URBAN, COMFORTABLE
    )
    assert household.created
    new.close()
    assert _version(make_store()) == 4  # opening again changes nothing


def test_version_2_database_is_migrated_forward(make_store: Callable[..., RegistryStore], demographics: Make) -> None:
    from registry_store import AuthSecurity

    old = make_store()
    person = old.enrol(demographics(1)).person
    _as_version_2(old)
    assert "auth_security" not in set(sa.inspect(old.engine).get_table_names())
    old.close()
    new = make_store()
    assert _version(new) == 4
    assert new.get_person(person.idcs) == person
    assert AuthSecurity(new).set_lock("ab" * 32, locked=True, changed_by="portal").locked


def test_version_3_database_is_migrated_forward(make_store: Callable[..., RegistryStore], demographics: Make) -> None:
    old = make_store()
    person = old.enrol(demographics(1)).person
    _as_version_3(old)
    assert not {t.name for t in DUPLICATE_SEARCH_TABLES} & set(sa.inspect(old.engine).get_table_names())
    old.close()
    new = make_store()
    assert _version(new) == 4
    assert new.get_person(person.idcs) == person
    # The journal starts empty (persons already registered are read whole) and follows new writes.
    assert new.change_watermark() == 0
    other = new.enrol(demographics(2)).person
    assert [idcs for _, idcs, _ in new.changes_since(0)] == [other.idcs]
    held = ReviewStore(new).record(
        "migrated-key", demographics(3), ReviewOutcome.DUPLICATE, [ReviewCandidate(person.idcs, 0.99)]
    )
    assert held.created


@pytest.mark.parametrize("version", [0, 5])
def test_unknown_versions_are_refused(make_store: Callable[..., RegistryStore], version: int) -> None:
    store = make_store()
    with store.engine.begin() as conn:
        conn.execute(sa.update(schema_meta).values(schema_version=version))
    with pytest.raises(SchemaMismatch, match=f"version {version}"):
        make_store()
