"""Match profiles for authentication: read through the cache, one at a time or a batch at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_store.cache import LocalProfileCache
from registry_store.errors import StoreError
from registry_store.idcs import new_idcs
from registry_store.store import RegistryStore
from server.idhash import IdHasher
from server.profiles import ProfileSource
from tests.server.enrolment_people import MOHAMMED, distinct

HASH = IdHasher(b"k" * 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RegistryStore]:
    opened = RegistryStore.from_url(f"sqlite:///{tmp_path / 'hawiya.db'}")
    yield opened
    opened.close()


def _people(*idcs: str) -> list[tuple[str, str]]:
    return [(i, HASH(i)) for i in idcs]


def test_a_batch_answers_as_single_lookups_do(store: RegistryStore) -> None:
    first = store.enrol(MOHAMMED).person.idcs
    second = store.enrol(distinct(1)).person.idcs
    unknown = next(i for i in iter(new_idcs, None) if i not in (first, second))
    batch = ProfileSource(store, LocalProfileCache()).get_many(_people(second, unknown, first, second))
    one_by_one = ProfileSource(store, LocalProfileCache())
    expected = [one_by_one.get(i, h) for i, h in _people(second, unknown, first, second)]
    assert batch == expected
    assert batch[1] is None and batch[0] is not None and batch[0] != batch[2]
    assert ProfileSource(store, LocalProfileCache()).get_many([]) == []


def test_a_register_failure_fails_only_the_people_the_cache_missed(store: RegistryStore) -> None:
    cached = store.enrol(MOHAMMED).person.idcs
    missed = store.enrol(distinct(1)).person.idcs
    source = ProfileSource(store, LocalProfileCache())
    profile = source.get(cached, HASH(cached))
    with store.engine.begin() as conn:  # the register becomes unreadable
        conn.exec_driver_sql("ALTER TABLE person_versions RENAME TO person_versions_away")
    try:
        found = source.get_many(_people(missed, cached))
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE person_versions_away RENAME TO person_versions")
    assert isinstance(found[0], StoreError)
    assert found[1] == profile
    assert source.get_many(_people(missed))[0] is not None  # read again once the register is back
