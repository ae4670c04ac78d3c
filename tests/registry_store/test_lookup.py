"""The exact look-up of active persons by identity, on every backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from registry_store import (
    BirthDate,
    DatePrecision,
    Demographics,
    InvalidField,
    Name,
    PersonStatus,
    RegistryStore,
    Residence,
    find_active_by_identity,
)

Make = Callable[[int], Demographics]


def test_the_enrolled_demographics_find_the_person(store: RegistryStore, demographics: Make) -> None:
    people = [store.enrol(demographics(i)).person for i in range(12)]
    for i, person in enumerate(people):
        assert find_active_by_identity(store, demographics(i)) == [person.idcs]


def test_contact_details_are_not_compared(store: RegistryStore, demographics: Make) -> None:
    person = store.enrol(demographics(1)).person
    moved = dataclasses.replace(demographics(1), phone="+212699999999", residence=Residence("9999", "ailleurs"))
    assert find_active_by_identity(store, moved) == [person.idcs]


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": Name("fatima zahra", "فاطمة الزهراء")},  # case is compared as stored
        {"last_name": Name("Bennani", "")},  # a script the register has must be given
        {"father_first_name": Name("Hamza", "حمزة")},
        {"cin": ""},
        {"birth_place_code": "999.99"},
        {"birth_date": BirthDate(1942, precision=DatePrecision.YEAR)},
    ],
)
def test_any_identity_difference_finds_nobody(store: RegistryStore, demographics: Make, change: dict) -> None:
    store.enrol(demographics(1))
    assert find_active_by_identity(store, dataclasses.replace(demographics(1), **change)) == []


def test_only_the_latest_active_version_counts(store: RegistryStore, demographics: Make) -> None:
    person = store.enrol(demographics(1)).person
    renamed = dataclasses.replace(demographics(1), last_name=Name("Tazi", "التازي"))
    store.update_person(person.idcs, renamed)
    assert find_active_by_identity(store, demographics(1)) == []
    assert find_active_by_identity(store, renamed) == [person.idcs]
    store.update_person(person.idcs, renamed, status=PersonStatus.DECEASED)
    assert find_active_by_identity(store, renamed) == []


def test_duplicates_are_all_returned_up_to_the_limit(store: RegistryStore, demographics: Make) -> None:
    twins = sorted(store.enrol(demographics(5)).person.idcs for _ in range(3))
    assert find_active_by_identity(store, demographics(5)) == twins[:2]
    assert find_active_by_identity(store, demographics(5), limit=10) == twins
    with pytest.raises(InvalidField):
        find_active_by_identity(store, demographics(5), limit=0)
