"""Row conversion, storability checks and the canonical demographics digest."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import pytest

from registry_store import (
    BirthDate,
    DatePrecision,
    Demographics,
    InvalidField,
    Name,
    Residence,
    Sex,
    demographics_digest,
)
from registry_store.rows import demographics_from_row, demographics_row

_FIXED = Demographics(
    first_name=Name("Mohammed", "محمد"),
    last_name=Name("El Alaoui", "العلوي"),
    father_first_name=Name("Ahmed", "أحمد"),
    mother_first_name=Name("Fatima", "فاطمة"),
    sex=Sex.MALE,
    birth_date=BirthDate(1985, 3, 14, DatePrecision.FULL),
    birth_place_code="141.01",
    cin="BK123456",
    phone="+212612345678",
    residence=Residence("0141", "12 rue Fès"),
)


def test_digest_is_pinned() -> None:
    # The digest of stored enrolments must never change silently: a new canonical form turns
    # every retried enrolment into an IdempotencyConflict. Bump rows._DIGEST_FORMAT on purpose.
    canonical = (
        '{"address":"12 rue Fès","birth_day":14,"birth_month":3,"birth_place_code":"141.01",'
        '"birth_precision":"full","birth_year":1985,"cin":"BK123456","commune_code":"0141",'
        '"father_first_name_arabic":"أحمد","father_first_name_latin":"Ahmed",'
        '"first_name_arabic":"محمد","first_name_latin":"Mohammed","format":1,'
        '"last_name_arabic":"العلوي","last_name_latin":"El Alaoui",'
        '"mother_first_name_arabic":"فاطمة","mother_first_name_latin":"Fatima",'
        '"phone":"+212612345678","sex":"M"}'
    )
    assert demographics_digest(_FIXED) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert demographics_digest(_FIXED) == ("0bf03a89aa1437b70816233d766169103a180f62d08792d91f2970a075612929")


def test_digest_equal_for_equal_demographics(demographics: Callable[[int], Demographics]) -> None:
    assert demographics_digest(demographics(5)) == demographics_digest(demographics(5))
    assert demographics_digest(_FIXED) == demographics_digest(dataclasses.replace(_FIXED))
    assert len(demographics_digest(_FIXED)) == 64


_CHANGES = {
    "first_name.latin": dataclasses.replace(_FIXED, first_name=Name("Mohamed", "محمد")),
    "first_name.arabic": dataclasses.replace(_FIXED, first_name=Name("Mohammed", "محمّد")),
    "last_name": dataclasses.replace(_FIXED, last_name=Name("Alaoui", "العلوي")),
    "father": dataclasses.replace(_FIXED, father_first_name=Name("Ahmad", "أحمد")),
    "mother": dataclasses.replace(_FIXED, mother_first_name=Name("Fatima", "فاطمه")),
    "sex": dataclasses.replace(_FIXED, sex=Sex.UNSPECIFIED),
    "birth_day": dataclasses.replace(_FIXED, birth_date=BirthDate(1985, 3, 15, DatePrecision.FULL)),
    "precision": dataclasses.replace(_FIXED, birth_date=BirthDate(1985, 3, 14, DatePrecision.YEAR_MONTH)),
    "birth_place": dataclasses.replace(_FIXED, birth_place_code="141.02"),
    "cin": dataclasses.replace(_FIXED, cin="BK123457"),
    "phone": dataclasses.replace(_FIXED, phone="+212612345679"),
    "commune": dataclasses.replace(_FIXED, residence=Residence("0142", "12 rue Fès")),
    "address": dataclasses.replace(_FIXED, residence=Residence("0141", "12 rue Fes")),
    # Swapping values between fields must not collide either.
    "swap": dataclasses.replace(_FIXED, first_name=Name("El Alaoui", "العلوي"), last_name=Name("Mohammed", "محمد")),
    "latin/arabic split": dataclasses.replace(_FIXED, first_name=Name("Mohammedمحمد", "")),
}


@pytest.mark.parametrize("change", sorted(_CHANGES))
def test_digest_changes_with_every_field(change: str) -> None:
    assert demographics_digest(_CHANGES[change]) != demographics_digest(_FIXED)


def test_row_round_trip(demographics: Callable[[int], Demographics]) -> None:
    for d in [_FIXED, Demographics(), *(demographics(i) for i in range(30))]:
        assert demographics_from_row(demographics_row(d)) == d


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (dataclasses.replace(_FIXED, first_name=Name("Mo\x00hammed", "")), "first_name.latin"),
        (dataclasses.replace(_FIXED, last_name=Name("", "\ud800")), "last_name.arabic"),
        (dataclasses.replace(_FIXED, cin=123), "cin"),
        (dataclasses.replace(_FIXED, residence=Residence("", "a\x00b")), "residence.address"),
        (
            dataclasses.replace(_FIXED, birth_date=BirthDate(1985, 13, 1, DatePrecision.FULL)),
            "birth_date.month",
        ),
        (
            dataclasses.replace(_FIXED, birth_date=BirthDate(10**12, 1, 1, DatePrecision.FULL)),
            "birth_date.year",
        ),
        (
            dataclasses.replace(_FIXED, birth_date=BirthDate(True, 1, 1, DatePrecision.FULL)),
            "birth_date.year",
        ),
        (
            dataclasses.replace(_FIXED, birth_date=BirthDate(1985, 1, -1, DatePrecision.FULL)),
            "birth_date.day",
        ),
        (dataclasses.replace(_FIXED, sex="M"), "sex"),
        (dataclasses.replace(_FIXED, birth_date=BirthDate(1985, 1, 1, "full")), "birth_date.precision"),  # type: ignore[arg-type]
        ("not demographics", "demographics"),
    ],
)
def test_unstorable_values_name_their_field(bad: Demographics, field: str) -> None:
    with pytest.raises(InvalidField) as info:
        demographics_row(bad)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    with pytest.raises(InvalidField):
        demographics_digest(bad)
