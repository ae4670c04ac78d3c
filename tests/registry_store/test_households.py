"""The HouseholdStore contract, run against every backend (the `store` fixture: sqlite, postgresql)."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registry_store import (
    Demographics,
    Household,
    HouseholdChange,
    HouseholdMember,
    HouseholdNotFound,
    HouseholdStatus,
    HouseholdStore,
    IdempotencyConflict,
    IndexFormula,
    InvalidField,
    InvalidIdcs,
    MemberAlreadyActive,
    MemberNotActive,
    MembershipConflict,
    PersonStatus,
    RegistryStore,
    Relation,
    UnknownMember,
    VersionConflict,
    new_idcs,
)
from registry_store.schema import household_active_members, household_members, household_versions, households
from tests.registry_store.rsu_data import COMFORTABLE, POOR, RURAL, URBAN, enrol_people, family

Make = Callable[[int], Demographics]


@pytest.fixture
def homes(store: RegistryStore) -> HouseholdStore:
    return HouseholdStore(store)


def _rows(store: RegistryStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _unknown_idcs(store: RegistryStore) -> str:
    rng = random.Random(7)
    while True:
        idcs = new_idcs(rng)
        if store.find_person(idcs) is None:
            return idcs


def _mistype(idcs: str) -> str:
    return idcs[:4] + str((int(idcs[4]) + 1) % 10) + idcs[5:]


# -- register and read ------------------------------------------------------------------------


def test_register_then_read_back(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 4)
    result = homes.register_household(family(people), URBAN, COMFORTABLE, idempotency_key="hh-1")
    h = result.household
    assert result.created is True
    assert len(h.household_id) == 32 and int(h.household_id, 16) >= 0
    assert (h.version, h.status, h.change) == (1, HouseholdStatus.ACTIVE, HouseholdChange.REGISTERED)
    assert h.members == tuple(family(people))
    assert h.head == people[0]
    assert (h.residence, h.variables) == (URBAN, COMFORTABLE)
    assert h.index is not None
    assert h.index.value == homes.formula.compute(COMFORTABLE, URBAN.area, 4)
    assert h.index.formula_version == homes.formula.version == "illustrative-1"
    assert h.index.computed_at == h.updated_at == h.created_at
    assert h.created_at.utcoffset() == timedelta(0)
    assert homes.get_household(h.household_id) == h
    assert homes.get_household(h.household_id, 1) == h
    assert homes.household_versions(h.household_id) == [1]
    assert all(homes.active_household_of(p) == h.household_id for p in people)
    assert homes.count_households() == 1


def test_no_assets_and_every_value_round_trip(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    (head,) = enrol_people(store, demographics, 0, 1)
    bare = dataclasses.replace(POOR, assets=frozenset(), monthly_expenses_mad=0)
    h = homes.register_household([HouseholdMember(head, Relation.HEAD)], RURAL, bare).household
    assert homes.get_household(h.household_id).variables == bare


def test_registration_is_idempotent(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 3)
    first = homes.register_household(family(people), URBAN, COMFORTABLE, idempotency_key="hh-1")
    again = homes.register_household(family(people), URBAN, COMFORTABLE, idempotency_key="hh-1")
    assert again.created is False and again.household == first.household
    with pytest.raises(IdempotencyConflict):
        homes.register_household(family(people), URBAN, POOR, idempotency_key="hh-1")
    assert homes.count_households() == 1


@pytest.mark.parametrize(
    ("members", "field"),
    [
        (lambda p: [], "household.members"),
        (
            lambda p: [HouseholdMember(p[0], Relation.SPOUSE), HouseholdMember(p[1], Relation.CHILD)],
            "household.members",
        ),
        (lambda p: [HouseholdMember(p[0], Relation.HEAD), HouseholdMember(p[1], Relation.HEAD)], "household.members"),
        (
            lambda p: [HouseholdMember(p[0], Relation.HEAD), HouseholdMember(p[0], Relation.CHILD)],
            "household.members[1].idcs",
        ),
        (
            lambda p: [HouseholdMember(p[0], Relation.HEAD), HouseholdMember(p[1], "child")],
            "household.members[1].relation",
        ),
    ],
)
def test_household_shape_is_checked(
    store: RegistryStore, homes: HouseholdStore, demographics: Make, members: Callable, field: str
) -> None:
    people = enrol_people(store, demographics, 0, 2)
    with pytest.raises(InvalidField) as info:
        homes.register_household(members(people), URBAN, COMFORTABLE)
    assert info.value.field == field
    assert not any(p in str(info.value) for p in people)
    assert homes.count_households() == 0


def test_malformed_unknown_and_inactive_members_are_named(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    people = enrol_people(store, demographics, 0, 3)
    cases: list[tuple[str, type[Exception]]] = [
        (_mistype(people[2]), InvalidIdcs),
        ("12345", InvalidIdcs),
        (_unknown_idcs(store), UnknownMember),
    ]
    for bad, error in cases:
        members = [*family(people[:2]), HouseholdMember(bad, Relation.CHILD)]
        with pytest.raises(error) as info:
            homes.register_household(members, URBAN, COMFORTABLE)
        assert info.value.field == "household.members[2].idcs"  # type: ignore[attr-defined]
        assert bad not in str(info.value)
    store.update_person(people[2], demographics(2), status=PersonStatus.DECEASED)
    with pytest.raises(MemberNotActive) as dead:
        homes.register_household(family(people), URBAN, COMFORTABLE)
    assert dead.value.field == "household.members[2].idcs"
    assert homes.count_households() == 0
    assert _rows(store, household_active_members) == 0


def test_a_person_is_active_in_one_household_only(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    people = enrol_people(store, demographics, 0, 4)
    first = homes.register_household(family(people[:2]), URBAN, COMFORTABLE).household
    with pytest.raises(MemberAlreadyActive) as info:
        homes.register_household(family([people[2], people[1], people[3]]), URBAN, COMFORTABLE)
    assert info.value.field == "household.members[1].idcs"
    assert people[1] not in str(info.value)
    assert homes.count_households() == 1
    assert homes.active_household_of(people[2]) is None
    # Nor can an update take a person active elsewhere.
    other = homes.register_household(family(people[2:]), RURAL, POOR).household
    with pytest.raises(MemberAlreadyActive):
        homes.update_household(other.household_id, family([*people[2:], people[0]]), RURAL, POOR)
    assert homes.get_household(first.household_id) == first


# -- versions -----------------------------------------------------------------------------------


def test_update_writes_a_new_version(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 5)
    v1 = homes.register_household(family(people[:3]), URBAN, COMFORTABLE).household
    v2 = homes.update_household(v1.household_id, family([*people[:2], people[3]]), URBAN, POOR, expected_version=1)
    assert (v2.version, v2.change, v2.created_at) == (2, HouseholdChange.UPDATED, v1.created_at)
    assert v2.updated_at >= v1.updated_at
    assert v2.variables == POOR and v2.index is not None
    assert v2.index.value == homes.formula.compute(POOR, URBAN.area, 3) != v1.index.value  # type: ignore[union-attr]
    assert homes.get_household(v1.household_id, 1) == v1
    assert homes.household_versions(v1.household_id) == [1, 2]
    # The child who left is free; the one who came is active here.
    assert homes.active_household_of(people[2]) is None
    assert homes.active_household_of(people[3]) == v1.household_id
    homes.register_household([HouseholdMember(people[2], Relation.HEAD)], RURAL, POOR)
    with pytest.raises(VersionConflict) as stale:
        homes.update_household(v1.household_id, family(people[:2]), URBAN, POOR, expected_version=1)
    assert stale.value.field == "expected_version"
    assert homes.household_versions(v1.household_id) == [1, 2]


def test_update_errors(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 2)
    h = homes.register_household(family(people), URBAN, COMFORTABLE).household
    with pytest.raises(HouseholdNotFound) as missing:
        homes.update_household("0" * 32, family(people), URBAN, COMFORTABLE)
    assert missing.value.field == "household.household_id"
    with pytest.raises(InvalidField) as malformed:
        homes.update_household("not-an-id", family(people), URBAN, COMFORTABLE)
    assert malformed.value.field == "household.household_id"
    with pytest.raises(HouseholdNotFound):
        homes.get_household("f" * 32)
    with pytest.raises(InvalidField) as version:
        homes.get_household(h.household_id, 5)
    assert version.value.field == "version"
    with pytest.raises(InvalidField) as rooms:
        homes.update_household(h.household_id, family(people), URBAN, dataclasses.replace(POOR, rooms=0))
    assert rooms.value.field == "household.variables.rooms"


def test_update_to_no_members_dissolves(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 2)
    h = homes.register_household(family(people), URBAN, COMFORTABLE).household
    gone = homes.update_household(h.household_id, [], URBAN, COMFORTABLE)
    assert (gone.status, gone.members, gone.index) == (HouseholdStatus.DISSOLVED, (), None)
    assert all(homes.active_household_of(p) is None for p in people)
    assert homes.get_household(h.household_id, 1).members == h.members


# -- moves --------------------------------------------------------------------------------------


def test_move_keeps_both_histories(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 5)
    a = homes.register_household(family(people[:3]), URBAN, COMFORTABLE).household
    b = homes.register_household(family(people[3:]), RURAL, POOR).household
    left, joined = homes.move_member(people[2], a.household_id, b.household_id, Relation.OTHER_RELATIVE)
    assert (left.version, left.change) == (2, HouseholdChange.MEMBER_LEFT)
    assert (joined.version, joined.change) == (2, HouseholdChange.MEMBER_JOINED)
    assert [m.idcs for m in left.members] == people[:2]
    assert joined.members == (*b.members, HouseholdMember(people[2], Relation.OTHER_RELATIVE))
    assert left.index.value == homes.formula.compute(COMFORTABLE, URBAN.area, 2)  # type: ignore[union-attr]
    assert joined.index.value == homes.formula.compute(POOR, RURAL.area, 3)  # type: ignore[union-attr]
    assert (left.residence, left.variables, joined.residence, joined.variables) == (URBAN, COMFORTABLE, RURAL, POOR)
    assert left.updated_at == joined.updated_at  # one transaction
    assert homes.get_household(a.household_id, 1) == a
    assert homes.get_household(b.household_id, 1) == b
    assert homes.active_household_of(people[2]) == b.household_id


def test_move_rules(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 6)
    a = homes.register_household(family(people[:3]), URBAN, COMFORTABLE).household
    b = homes.register_household(family(people[3:5]), RURAL, POOR).household
    cases = [
        ((people[0], a, b, Relation.SPOUSE), "idcs"),  # the head, with others staying
        ((people[1], a, b, Relation.HEAD), "relation"),  # b has a head
        ((people[3], a, b, Relation.CHILD), "idcs"),  # not a member of a
        ((people[5], a, b, Relation.CHILD), "idcs"),  # in no household
    ]
    for (idcs, source, target, relation), field in cases:
        with pytest.raises(MembershipConflict) as info:
            homes.move_member(idcs, source.household_id, target.household_id, relation)
        assert info.value.field == field
        assert idcs not in str(info.value)
    with pytest.raises(InvalidField) as same:
        homes.move_member(people[1], a.household_id, a.household_id, Relation.CHILD)
    assert same.value.field == "to_household_id"
    with pytest.raises(HouseholdNotFound) as missing:
        homes.move_member(people[1], a.household_id, "0" * 32, Relation.CHILD)
    assert missing.value.field == "to_household_id"
    with pytest.raises(VersionConflict) as stale:
        homes.move_member(people[1], a.household_id, b.household_id, Relation.CHILD, to_expected_version=9)
    assert stale.value.field == "to_expected_version"
    assert homes.household_versions(a.household_id) == homes.household_versions(b.household_id) == [1]


def test_last_member_leaving_dissolves_and_a_dissolved_household_takes_a_head(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    people = enrol_people(store, demographics, 0, 3)
    alone = homes.register_household([HouseholdMember(people[0], Relation.HEAD)], URBAN, COMFORTABLE).household
    other = homes.register_household(family(people[1:]), RURAL, POOR).household
    left, _ = homes.move_member(people[0], alone.household_id, other.household_id, Relation.SIBLING)
    assert (left.status, left.members, left.index) == (HouseholdStatus.DISSOLVED, (), None)
    with pytest.raises(MembershipConflict) as info:
        homes.move_member(people[2], other.household_id, alone.household_id, Relation.CHILD)
    assert info.value.field == "relation"
    _, back = homes.move_member(people[2], other.household_id, alone.household_id, Relation.HEAD)
    assert (back.status, back.version, back.head) == (HouseholdStatus.ACTIVE, 3, people[2])


# -- the formula's version ---------------------------------------------------------------------


def test_each_index_records_the_formula_that_computed_it(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    people = enrol_people(store, demographics, 0, 2)
    v1 = homes.register_household(family(people), URBAN, COMFORTABLE).household
    data = IndexFormula.default().to_json()
    data["version"] = "test-2"
    data["areas"]["urban"]["intercept"] += 1.0
    revised = HouseholdStore(store, IndexFormula.from_json(json.loads(json.dumps(data))))
    v2 = revised.update_household(v1.household_id, family(people), URBAN, COMFORTABLE)
    assert v2.index is not None and v1.index is not None
    assert (v1.index.formula_version, v2.index.formula_version) == ("illustrative-1", "test-2")
    assert v2.index.value == pytest.approx(v1.index.value + 1.0)
    assert revised.get_household(v1.household_id, 1).index == v1.index


# -- concurrency --------------------------------------------------------------------------------


def test_concurrent_registrations_of_one_person(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    heads = enrol_people(store, demographics, 0, 8)
    (shared,) = enrol_people(store, demographics, 8, 1)
    barrier = threading.Barrier(8)

    def register(k: int) -> Household | str:
        barrier.wait()
        try:
            return homes.register_household(family([heads[k], shared]), URBAN, COMFORTABLE).household
        except MemberAlreadyActive as exc:
            return exc.field
        except MembershipConflict:
            return "retry"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(register, range(8)))
    winners = [o for o in outcomes if isinstance(o, Household)]
    assert len(winners) == 1
    assert set(outcomes) - set(winners) <= {"household.members[1].idcs", "retry"}
    assert homes.active_household_of(shared) == winners[0].household_id
    assert homes.count_households() == 1
    assert _rows(store, household_active_members) == 2


def test_concurrent_moves_of_one_person(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 10)
    source = homes.register_household(family(people[:2]), URBAN, COMFORTABLE).household
    targets = [homes.register_household([HouseholdMember(p, Relation.HEAD)], RURAL, POOR).household for p in people[2:]]
    barrier = threading.Barrier(len(targets))

    def move(k: int) -> bool:
        barrier.wait()
        try:
            homes.move_member(people[1], source.household_id, targets[k].household_id, Relation.SPOUSE)
        except (MembershipConflict, VersionConflict):
            return False
        return True

    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        moved = list(pool.map(move, range(len(targets))))
    assert moved.count(True) == 1
    winner = targets[moved.index(True)]
    assert homes.active_household_of(people[1]) == winner.household_id
    assert homes.household_versions(source.household_id) == [1, 2]
    assert [len(homes.household_versions(t.household_id)) for t in targets].count(2) == 1


def test_concurrent_updates_with_the_same_expected_version(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    people = enrol_people(store, demographics, 0, 2)
    h = homes.register_household(family(people), URBAN, COMFORTABLE).household
    barrier = threading.Barrier(6)

    def update(k: int) -> bool:
        barrier.wait()
        try:
            homes.update_household(
                h.household_id, family(people), URBAN, dataclasses.replace(POOR, rooms=k + 1), expected_version=1
            )
        except VersionConflict:
            return False
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(update, range(6))).count(True) == 1
    assert homes.household_versions(h.household_id) == [1, 2]


# -- iteration, rows, logs ----------------------------------------------------------------------


def test_iter_households_yields_latest_versions(
    store: RegistryStore, homes: HouseholdStore, demographics: Make
) -> None:
    people = enrol_people(store, demographics, 0, 7)
    made = [homes.register_household([HouseholdMember(p, Relation.HEAD)], URBAN, COMFORTABLE).household for p in people]
    updated = homes.update_household(made[3].household_id, [HouseholdMember(people[3], Relation.HEAD)], RURAL, POOR)
    seen = list(homes.iter_households(batch_size=2))
    assert [h.household_id for h in seen] == sorted(h.household_id for h in made)
    assert {h.household_id: h for h in seen}[updated.household_id] == updated
    assert list(HouseholdStore(store).iter_households()) == seen


def test_versions_are_append_only(store: RegistryStore, homes: HouseholdStore, demographics: Make) -> None:
    people = enrol_people(store, demographics, 0, 4)
    a = homes.register_household(family(people[:2]), URBAN, COMFORTABLE).household
    b = homes.register_household(family(people[2:]), URBAN, COMFORTABLE).household
    with store.engine.connect() as conn:
        before = conn.execute(sa.select(household_versions).order_by("household_id", "version")).all()
    homes.move_member(people[1], a.household_id, b.household_id, Relation.OTHER_RELATIVE)
    with store.engine.connect() as conn:
        after = conn.execute(sa.select(household_versions).order_by("household_id", "version")).all()
    assert set(before) <= set(after) and len(after) == 4
    assert _rows(store, households) == 2
    assert _rows(store, household_members) == 2 + 2 + 1 + 3


def test_no_personal_data_in_logs(
    store: RegistryStore, homes: HouseholdStore, demographics: Make, caplog: pytest.LogCaptureFixture
) -> None:
    people = enrol_people(store, demographics, 0, 4)
    with caplog.at_level(logging.DEBUG, logger="registry_store"):
        a = homes.register_household(family(people[:2]), URBAN, COMFORTABLE, idempotency_key="k-1").household
        b = homes.register_household(family(people[2:]), URBAN, COMFORTABLE).household
        homes.move_member(people[1], a.household_id, b.household_id, Relation.SIBLING)
        with pytest.raises(MemberAlreadyActive):
            homes.register_household(family(people[:1] + people[3:]), URBAN, COMFORTABLE)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    for secret in (*people, a.household_id, b.household_id, URBAN.commune_code):
        assert secret not in text
