"""Request validation: each malformed field is refused with its path, values are canonicalised."""

from __future__ import annotations

from datetime import date

import pytest

from hawiya.v1 import person_pb2 as p
from registry_store.model import DatePrecision, Sex
from server.convert import claimed_from_proto, demographics_from_proto, person_to_proto
from server.errors import InvalidField

TODAY = date(2026, 11, 30)


def _full(**overrides: object) -> p.Demographics:
    d = p.Demographics(
        first_name=p.PersonName(latin="Mohamed Amine", arabic="محمد أمين"),
        last_name=p.PersonName(latin="Aït Ouahmane", arabic="آيت واحمان"),
        sex=p.SEX_MALE,
        birth_date=p.BirthDate(year=1950, precision=p.DATE_PRECISION_YEAR),
        cin="be 123456",
        phone="+212 6 12 34 56 78",
    )
    for name, value in overrides.items():
        if isinstance(value, p.BirthDate):
            d.birth_date.CopyFrom(value)
        else:
            setattr(d, name, value)
    return d


def test_valid_record_is_canonicalised() -> None:
    d = demographics_from_proto(_full(), today=TODAY)
    assert d.cin == "BE123456" and d.phone == "0612345678"
    assert d.sex is Sex.MALE and d.birth_date.precision is DatePrecision.YEAR and d.birth_date.year == 1950


@pytest.mark.parametrize(
    ("birth", "field"),
    [
        (p.BirthDate(year=1950, month=2, precision=p.DATE_PRECISION_YEAR), "demographics.birth_date"),
        (p.BirthDate(year=1800, precision=p.DATE_PRECISION_YEAR), "demographics.birth_date.year"),
        (p.BirthDate(year=2023, month=2, day=29, precision=p.DATE_PRECISION_FULL), "demographics.birth_date.day"),
        (p.BirthDate(year=2026, month=12, day=1, precision=p.DATE_PRECISION_FULL), "demographics.birth_date"),
        (p.BirthDate(year=2000, month=13, precision=p.DATE_PRECISION_YEAR_MONTH), "demographics.birth_date.month"),
        (p.BirthDate(year=2000, precision=p.DATE_PRECISION_UNSPECIFIED), "demographics.birth_date.precision"),
        (p.BirthDate(year=2000, precision=17), "demographics.birth_date.precision"),
        (p.BirthDate(year=1, precision=p.DATE_PRECISION_UNKNOWN), "demographics.birth_date"),
    ],
)
def test_bad_dates_name_the_field(birth: p.BirthDate, field: str) -> None:
    with pytest.raises(InvalidField) as err:
        demographics_from_proto(_full(birth_date=birth), today=TODAY)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cin": "123"}, "demographics.cin"),
        ({"phone": "0812345678"}, "demographics.phone"),
        ({"sex": 9}, "demographics.sex"),
        ({"birth_place_code": "a b"}, "demographics.birth_place_code"),
    ],
)
def test_bad_scalars_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidField) as err:
        demographics_from_proto(_full(**overrides), today=TODAY)
    assert err.value.field == field


def test_names_must_be_in_their_script() -> None:
    d = _full()
    d.first_name.latin = "محمد"
    with pytest.raises(InvalidField) as err:
        demographics_from_proto(d, today=TODAY)
    assert err.value.field == "demographics.first_name.latin"
    d = _full()
    d.last_name.arabic = "Alaoui"
    with pytest.raises(InvalidField) as err:
        demographics_from_proto(d, today=TODAY)
    assert err.value.field == "demographics.last_name.arabic"
    d = _full()
    d.first_name.latin = "A\x00b"
    with pytest.raises(InvalidField):
        demographics_from_proto(d, today=TODAY)


def test_messages_do_not_repeat_values() -> None:
    with pytest.raises(InvalidField) as err:
        demographics_from_proto(_full(cin="ZZZ999999999"), today=TODAY)
    assert "ZZZ999999999" not in str(err.value)


def test_claims_may_be_partial_but_not_empty() -> None:
    claimed = claimed_from_proto(p.Demographics(sex=p.SEX_FEMALE), today=TODAY)
    assert claimed.sex is Sex.FEMALE
    with pytest.raises(InvalidField) as err:
        claimed_from_proto(p.Demographics(), today=TODAY)
    assert err.value.field == "claimed"


def test_person_round_trip() -> None:
    from datetime import UTC, datetime

    from registry_store.model import Person, PersonStatus

    d = demographics_from_proto(_full(), today=TODAY)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    msg = person_to_proto(Person("2345678901", 3, d, PersonStatus.ACTIVE, "", now, now))
    assert demographics_from_proto(msg.demographics, today=TODAY) == d
    assert msg.version == 3 and msg.created_at.seconds == int(now.timestamp())


def test_script_fast_paths_accept_nothing_the_full_check_refuses() -> None:
    import unicodedata

    from server import convert

    def full_check(ch: str, arabic: bool) -> bool:
        if ch in " -'’.\u0640\u200c\u200d\u200e\u200f":
            return True
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Mc"):
            return True
        in_arabic = "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufefc"
        return cat.startswith("L") and in_arabic == arabic

    for code in range(0x20, 0x2100):
        ch = chr(code)
        for arabic, fast in ((False, convert._PLAIN_LATIN), (True, convert._PLAIN_ARABIC)):
            if fast.fullmatch(ch):
                assert full_check(ch, arabic), (hex(code), arabic)


def test_a_person_shows_only_the_readable_attributes() -> None:
    from datetime import UTC, datetime

    from registry_store.model import Person, PersonStatus

    d = demographics_from_proto(_full(), today=TODAY)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    person = Person("2345678901", 3, d, PersonStatus.ACTIVE, "", now, now)
    # By default nothing but the IDCS, the status and the version.
    assert person_to_proto(person, frozenset()) == p.Person(idcs="2345678901", status=p.PERSON_STATUS_ACTIVE, version=3)
    some = person_to_proto(person, frozenset({"last_name", "birth_date", "created_at"}))
    assert [f.name for f, _ in some.demographics.ListFields()] == ["last_name", "birth_date"]
    assert some.HasField("created_at") and not some.HasField("updated_at")
    assert person_to_proto(person, None) == person_to_proto(person)  # None: everything
