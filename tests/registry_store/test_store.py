"""The RegistryStore contract, run against every backend (the `store` fixture: sqlite, postgresql)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from registry_store import (
    Demographics,
    DuplicateTransaction,
    EnrolResult,
    IdempotencyConflict,
    InvalidField,
    InvalidIdcs,
    Name,
    Person,
    PersonNotFound,
    PersonStatus,
    RegistryStore,
    SchemaMismatch,
    StoreError,
    StoreUnavailable,
    VersionConflict,
    is_valid_idcs,
    new_idcs,
)
from registry_store.schema import auth_audit, identities, person_versions, schema_meta

Make = Callable[[int], Demographics]

_AUDIT_KEY = b"test-audit-key"


def _hash(idcs: str) -> str:
    return hmac.new(_AUDIT_KEY, idcs.encode(), hashlib.sha256).hexdigest()


def _unknown_idcs(store: RegistryStore) -> str:
    rng = random.Random(1)
    while True:
        idcs = new_idcs(rng)
        if store.find_person(idcs) is None:
            return idcs


def _count_rows(store: RegistryStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# -- enrol and read ---------------------------------------------------------------------------


def test_enrol_then_read_back(store: RegistryStore, demographics: Make) -> None:
    d = demographics(1)
    result = store.enrol(d)
    person = result.person
    assert result.created is True
    assert is_valid_idcs(person.idcs)
    assert person.version == 1
    assert person.status is PersonStatus.ACTIVE
    assert person.merged_into == ""
    assert person.demographics == d
    assert person.created_at.tzinfo is not None
    assert person.created_at.utcoffset() == timedelta(0)
    assert person.updated_at == person.created_at
    assert store.get_person(person.idcs) == person
    assert store.find_person(person.idcs) == person
    assert store.get_history(person.idcs) == [person]
    assert store.count_persons() == 1


def test_enrol_allocates_distinct_idcs(store: RegistryStore, demographics: Make) -> None:
    people = [store.enrol(demographics(i)).person for i in range(40)]
    assert len({p.idcs for p in people}) == 40
    assert all(is_valid_idcs(p.idcs) for p in people)
    assert store.count_persons() == 40
    for i, p in enumerate(people):
        assert store.get_person(p.idcs).demographics == demographics(i)


def test_every_field_round_trips(store: RegistryStore, demographics: Make) -> None:
    unusual = dataclasses.replace(
        demographics(4),
        first_name=Name("Aïcha 'Lalla'", "عائشة\u200c"),  # apostrophe, diaeresis, ZWNJ
        last_name=Name("", "آيت بن إبراهيم"),
        cin="",
    )
    for d in [Demographics(), unusual, *(demographics(i) for i in range(6))]:
        person = store.enrol(d).person
        assert store.get_person(person.idcs).demographics == d


def test_unknown_idcs(store: RegistryStore, demographics: Make) -> None:
    store.enrol(demographics(1))
    unknown = _unknown_idcs(store)
    assert store.find_person(unknown) is None
    with pytest.raises(PersonNotFound) as info:
        store.get_person(unknown)
    assert info.value.field == "idcs"
    assert unknown not in str(info.value)
    with pytest.raises(PersonNotFound):
        store.get_history(unknown)


@pytest.mark.parametrize("bad", ["", "123", "2345678901", "２３４５６７８９０１", " 234567890"])
def test_malformed_idcs_refused_before_lookup(store: RegistryStore, bad: str) -> None:
    for call in (store.find_person, store.get_person, store.get_history):
        with pytest.raises(InvalidIdcs) as info:
            call(bad)
        assert info.value.field == "idcs"
        if bad.strip():
            assert bad not in str(info.value)


def test_unstorable_demographics_refused_on_every_backend(store: RegistryStore, demographics: Make) -> None:
    bad = dataclasses.replace(demographics(1), first_name=Name("Mo\x00hammed", ""))
    with pytest.raises(InvalidField) as info:
        store.enrol(bad)
    assert info.value.field == "first_name.latin"
    assert store.count_persons() == 0


# -- versions -----------------------------------------------------------------------------------


def test_update_writes_a_new_version(store: RegistryStore, demographics: Make) -> None:
    v1 = store.enrol(demographics(1)).person
    moved = dataclasses.replace(demographics(1), phone="+212700000001")
    v2 = store.update_person(v1.idcs, moved)
    assert v2.version == 2
    assert v2.demographics == moved
    assert v2.status is PersonStatus.ACTIVE
    assert v2.created_at == v1.created_at
    assert v2.updated_at >= v1.updated_at
    assert store.get_person(v1.idcs) == v2
    assert store.get_history(v1.idcs) == [v1, v2]
    v3 = store.update_person(v1.idcs, moved, status=PersonStatus.DECEASED, expected_version=2)
    assert v3.version == 3
    assert v3.status is PersonStatus.DECEASED
    assert store.get_history(v1.idcs) == [v1, v2, v3]
    # Append-only: one row per version, the first still holding the original data.
    assert _count_rows(store, person_versions) == 3
    assert _count_rows(store, identities) == 1
    assert store.count_persons() == 1


def test_update_keeps_status_when_not_given(store: RegistryStore, demographics: Make) -> None:
    p = store.enrol(demographics(1)).person
    store.update_person(p.idcs, demographics(1), status=PersonStatus.DECEASED)
    assert store.update_person(p.idcs, demographics(2)).status is PersonStatus.DECEASED


def test_version_conflict_writes_nothing(store: RegistryStore, demographics: Make) -> None:
    p = store.enrol(demographics(1)).person
    store.update_person(p.idcs, demographics(2), expected_version=1)
    with pytest.raises(VersionConflict) as info:
        store.update_person(p.idcs, demographics(3), expected_version=1)
    assert info.value.field == "expected_version"
    with pytest.raises(VersionConflict):
        store.update_person(p.idcs, demographics(3), expected_version=7)
    history = store.get_history(p.idcs)
    assert [v.version for v in history] == [1, 2]
    assert history[-1].demographics == demographics(2)


def test_update_unknown_person(store: RegistryStore, demographics: Make) -> None:
    with pytest.raises(PersonNotFound):
        store.update_person(_unknown_idcs(store), demographics(1))
    with pytest.raises(InvalidIdcs):
        store.update_person("1234567890", demographics(1))
    assert _count_rows(store, person_versions) == 0


def test_merge(store: RegistryStore, demographics: Make) -> None:
    kept = store.enrol(demographics(1)).person
    dup = store.enrol(demographics(2)).person
    with pytest.raises(InvalidField) as info:
        store.update_person(dup.idcs, demographics(2), status=PersonStatus.MERGED)
    assert info.value.field == "merged_into"
    with pytest.raises(InvalidField):
        store.update_person(dup.idcs, demographics(2), merged_into=kept.idcs)  # still active
    with pytest.raises(InvalidField):
        store.update_person(dup.idcs, demographics(2), status=PersonStatus.MERGED, merged_into=dup.idcs)
    with pytest.raises(PersonNotFound) as not_found:
        store.update_person(
            dup.idcs,
            demographics(2),
            status=PersonStatus.MERGED,
            merged_into=_unknown_idcs(store),
        )
    assert not_found.value.field == "merged_into"
    with pytest.raises(InvalidIdcs) as bad:
        store.update_person(dup.idcs, demographics(2), status=PersonStatus.MERGED, merged_into="2345678901")
    assert bad.value.field == "merged_into"
    assert len(store.get_history(dup.idcs)) == 1

    merged = store.update_person(dup.idcs, demographics(2), status=PersonStatus.MERGED, merged_into=kept.idcs)
    assert merged.status is PersonStatus.MERGED
    assert merged.merged_into == kept.idcs
    assert store.get_person(dup.idcs) == merged
    # Still merged (into the same IDCS) when a later update gives no status.
    again = store.update_person(dup.idcs, demographics(3))
    assert (again.status, again.merged_into) == (PersonStatus.MERGED, kept.idcs)
    reactivated = store.update_person(dup.idcs, demographics(3), status=PersonStatus.ACTIVE)
    assert (reactivated.status, reactivated.merged_into) == (PersonStatus.ACTIVE, "")


def test_iter_persons_yields_latest_versions(store: RegistryStore, demographics: Make) -> None:
    people = {store.enrol(demographics(i)).person.idcs: i for i in range(7)}
    updated = sorted(people)[:2]
    for idcs in updated:
        store.update_person(idcs, demographics(100 + people[idcs]))
    listed = list(store.iter_persons(batch_size=3))
    assert [p.idcs for p in listed] == sorted(people)
    for p in listed:
        if p.idcs in updated:
            assert (p.version, p.demographics) == (2, demographics(100 + people[p.idcs]))
        else:
            assert (p.version, p.demographics) == (1, demographics(people[p.idcs]))
    assert list(store.iter_persons(batch_size=7)) == listed
    assert list(store.iter_persons()) == listed
    with pytest.raises(InvalidField):
        store.iter_persons(batch_size=0)


def test_iter_persons_on_empty_store(store: RegistryStore) -> None:
    assert list(store.iter_persons()) == []
    assert store.count_persons() == 0


# -- idempotency --------------------------------------------------------------------------------


def test_retry_with_same_key_returns_the_same_person(store: RegistryStore, demographics: Make) -> None:
    first = store.enrol(demographics(1), idempotency_key="desk-7/req-1")
    again = store.enrol(demographics(1), idempotency_key="desk-7/req-1")
    assert first.created is True
    assert again == EnrolResult(person=first.person, created=False)
    assert store.count_persons() == 1


def test_retry_after_update_returns_the_latest_version(store: RegistryStore, demographics: Make) -> None:
    first = store.enrol(demographics(1), idempotency_key="k").person
    v2 = store.update_person(first.idcs, demographics(9))
    assert store.enrol(demographics(1), idempotency_key="k") == EnrolResult(v2, created=False)


def test_same_key_different_payload_conflicts_and_writes_nothing(store: RegistryStore, demographics: Make) -> None:
    first = store.enrol(demographics(1), idempotency_key="k-1").person
    with pytest.raises(IdempotencyConflict) as info:
        store.enrol(demographics(2), idempotency_key="k-1")
    assert info.value.field == "idempotency_key"
    assert store.count_persons() == 1
    assert _count_rows(store, person_versions) == 1
    assert store.get_history(first.idcs) == [first]


def test_distinct_keys_and_no_key_create_distinct_persons(store: RegistryStore, demographics: Make) -> None:
    a = store.enrol(demographics(1), idempotency_key="a").person
    b = store.enrol(demographics(1), idempotency_key="b").person
    c = store.enrol(demographics(1)).person
    d = store.enrol(demographics(1), idempotency_key="").person  # proto's "absent"
    assert len({a.idcs, b.idcs, c.idcs, d.idcs}) == 4
    assert store.count_persons() == 4


def test_overlong_key_refused(store: RegistryStore, demographics: Make) -> None:
    with pytest.raises(InvalidField) as info:
        store.enrol(demographics(1), idempotency_key="k" * 129)
    assert info.value.field == "idempotency_key"
    assert store.enrol(demographics(1), idempotency_key="k" * 128).created
    assert store.count_persons() == 1


def test_idcs_collision_is_retried(
    make_store: Callable[..., RegistryStore],
    demographics: Make,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Two stores drawing the same IDCS sequence: the second's first draw is taken.
    first = make_store(rng=random.Random(42)).enrol(demographics(1)).person
    second_store = make_store(rng=random.Random(42))
    with caplog.at_level(logging.WARNING, logger="registry_store"):
        second = second_store.enrol(demographics(2)).person
    assert second.idcs != first.idcs
    assert is_valid_idcs(second.idcs)
    assert second_store.count_persons() == 2
    assert any("idcs already taken" in r.getMessage() for r in caplog.records)
    assert not any(first.idcs in r.getMessage() for r in caplog.records)


# -- concurrency --------------------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_retries_create_each_person_once(store: RegistryStore, demographics: Make) -> None:
    n = 1000
    people = [demographics(i) for i in range(n)]
    # Each enrolment is sent twice, back to back, so the two copies race on different threads.
    order = [i for i in range(n) for _ in range(2)]

    def enrol(i: int) -> tuple[int, EnrolResult]:
        return i, store.enrol(people[i], idempotency_key=f"batch-1/{i}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(enrol, order))

    by_key: dict[int, list[EnrolResult]] = {}
    for i, result in results:
        by_key.setdefault(i, []).append(result)
    assert store.count_persons() == n
    assert _count_rows(store, person_versions) == n
    idcs_seen = set()
    for i, pair in by_key.items():
        assert len(pair) == 2
        assert pair[0].person.idcs == pair[1].person.idcs
        assert sorted(r.created for r in pair) == [False, True]
        assert pair[0].person.demographics == people[i]
        idcs_seen.add(pair[0].person.idcs)
    assert len(idcs_seen) == n
    assert {p.idcs for p in store.iter_persons()} == idcs_seen


def test_concurrent_updates_with_the_same_expected_version(store: RegistryStore, demographics: Make) -> None:
    p = store.enrol(demographics(1)).person
    barrier = threading.Barrier(8)

    def update(k: int) -> Person | None:
        barrier.wait()
        try:
            return store.update_person(p.idcs, demographics(10 + k), expected_version=1)
        except VersionConflict:
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(update, range(8)))
    winners = [o for o in outcomes if o is not None]
    assert len(winners) == 1
    assert [v.version for v in store.get_history(p.idcs)] == [1, 2]
    assert store.get_person(p.idcs) == winners[0]


def test_concurrent_unconditional_updates_all_land(store: RegistryStore, demographics: Make) -> None:
    p = store.enrol(demographics(1)).person
    barrier = threading.Barrier(8)

    def update(k: int) -> int:
        barrier.wait()
        return store.update_person(p.idcs, demographics(10 + k)).version

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = sorted(pool.map(update, range(8)))
    assert versions == list(range(2, 10))
    assert [v.version for v in store.get_history(p.idcs)] == list(range(1, 10))


# -- audit --------------------------------------------------------------------------------------


def test_audit_trail(store: RegistryStore) -> None:
    t0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    a, b = _hash("2345678904"), _hash("2876543219")
    store.record_audit(transaction_id="t1", caller_id="cnss", idcs_hash=a, decision="yes", reason="", created_at=t0)
    store.record_audit(
        transaction_id="t2",
        caller_id="amo",
        idcs_hash=b,
        decision="no",
        reason="details_mismatch",
        created_at=t0 + timedelta(seconds=1),
    )
    # Any offset is accepted and read back in UTC.
    store.record_audit(
        transaction_id="t3",
        caller_id="cnss",
        idcs_hash=a,
        decision="no",
        reason="locked",
        created_at=datetime(2025, 1, 1, 13, 0, 2, tzinfo=timezone(timedelta(hours=1))),
    )
    assert store.count_audit() == 3
    entries = store.audit_entries()
    assert [e.transaction_id for e in entries] == ["t3", "t2", "t1"]
    assert entries[0].created_at == t0 + timedelta(seconds=2)
    assert entries[0].created_at.utcoffset() == timedelta(0)
    assert (entries[1].caller_id, entries[1].decision, entries[1].reason) == (
        "amo",
        "no",
        "details_mismatch",
    )
    assert [e.transaction_id for e in store.audit_entries(idcs_hash=a)] == ["t3", "t1"]
    assert [e.transaction_id for e in store.audit_entries(limit=1)] == ["t3"]
    assert store.audit_entries(limit=0) == []
    assert store.audit_entries(idcs_hash=_hash("2999999999")) == []


def test_audit_default_timestamp_is_now(store: RegistryStore) -> None:
    before = datetime.now(UTC)
    store.record_audit(transaction_id="t", caller_id="c", idcs_hash=_hash("x"), decision="yes", reason="")
    (entry,) = store.audit_entries()
    assert before <= entry.created_at <= datetime.now(UTC)


def test_audit_rows_hold_no_raw_idcs(store: RegistryStore, demographics: Make) -> None:
    person = store.enrol(demographics(1)).person
    store.record_audit(
        transaction_id="tx-1",
        caller_id="cnss",
        idcs_hash=_hash(person.idcs),
        decision="no",
        reason="details_mismatch",
    )
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(auth_audit)).all()
    values = [str(v) for row in rows for v in row]
    assert rows
    assert not any(person.idcs in v for v in values)
    assert not any(person.demographics.first_name.latin in v for v in values)
    # A raw IDCS (or anything but a long lowercase hex hash) is refused outright.
    for not_a_hash in (person.idcs, _hash(person.idcs).upper(), "abc", ""):
        with pytest.raises(InvalidField) as info:
            store.record_audit(
                transaction_id="tx-2",
                caller_id="cnss",
                idcs_hash=not_a_hash,
                decision="no",
                reason="",
            )
        assert info.value.field == "idcs_hash"
    assert store.count_audit() == 1


def test_audit_validation(store: RegistryStore) -> None:
    ok = {
        "transaction_id": "t",
        "caller_id": "c",
        "idcs_hash": _hash("2345678904"),
        "decision": "yes",
        "reason": "",
    }
    store.record_audit(**ok)  # type: ignore[arg-type]
    with pytest.raises(DuplicateTransaction) as dup:
        store.record_audit(**ok)  # type: ignore[arg-type]
    assert dup.value.field == "transaction_id"
    with pytest.raises(InvalidField) as naive:
        store.record_audit(**{**ok, "transaction_id": "t2"}, created_at=datetime(2025, 1, 1))  # type: ignore[arg-type]
    assert naive.value.field == "created_at"
    for field, bad in [("transaction_id", ""), ("caller_id", "x" * 129), ("reason", "a\x00b")]:
        with pytest.raises(InvalidField) as info:
            store.record_audit(**{**ok, "transaction_id": "t3", field: bad})  # type: ignore[arg-type]
        assert info.value.field == field
    with pytest.raises(InvalidField):
        store.audit_entries(limit=-1)
    assert store.count_audit() == 1


# -- lifecycle ----------------------------------------------------------------------------------


def test_data_survives_reopening(make_store: Callable[..., RegistryStore], demographics: Make) -> None:
    first = make_store()
    person = first.enrol(demographics(1), idempotency_key="k").person
    first.close()
    second = make_store()
    assert second.get_person(person.idcs) == person
    assert second.enrol(demographics(1), idempotency_key="k").created is False


def test_ping_and_close(store: RegistryStore, demographics: Make) -> None:
    store.ping()
    assert store.dialect in ("sqlite", "postgresql")
    store.close()
    with pytest.raises(StoreUnavailable):
        store.ping()
    with pytest.raises(StoreUnavailable):
        store.enrol(demographics(1))
    store.close()  # idempotent


def test_schema_version_mismatch(make_store: Callable[..., RegistryStore]) -> None:
    store = make_store()
    with store.engine.begin() as conn:
        conn.execute(sa.update(schema_meta).values(schema_version=99))
    with pytest.raises(SchemaMismatch) as info:
        make_store()
    assert "99" in str(info.value)
    assert isinstance(info.value, StoreError)


def test_tables_without_schema_meta_are_refused(
    make_store: Callable[..., RegistryStore],
) -> None:
    store = make_store()
    with store.engine.begin() as conn:
        schema_meta.drop(conn)
    with pytest.raises(SchemaMismatch):
        make_store()


def test_no_personal_data_in_logs(store: RegistryStore, demographics: Make, caplog: pytest.LogCaptureFixture) -> None:
    d = demographics(3)
    with caplog.at_level(logging.DEBUG, logger="registry_store"):
        p = store.enrol(d, idempotency_key="k").person
        store.enrol(d, idempotency_key="k")
        store.update_person(p.idcs, d, expected_version=1)
        with pytest.raises(VersionConflict):
            store.update_person(p.idcs, d, expected_version=1)
        store.get_history(p.idcs)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (p.idcs, d.first_name.latin, d.last_name.arabic, d.phone, d.cin, "1940"):
        assert secret not in text
