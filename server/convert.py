"""Conversion between the protobuf messages and the domain records, with field validation.

Every check raises :class:`InvalidField` with the field's path in the request, so the
caller learns which field is wrong; messages never repeat the value (it may be personal data).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from hawiya.v1 import person_pb2
from registry_store.model import (
    BirthDate,
    DatePrecision,
    Demographics,
    Name,
    Person,
    PersonStatus,
    Residence,
    Sex,
)
from server.callers import DEMOGRAPHIC_ATTRIBUTES, RECORD_ATTRIBUTES
from server.errors import InvalidField

__all__ = [
    "claimed_from_proto",
    "demographics_from_proto",
    "person_to_proto",
    "status_from_proto",
]

MAX_NAME_CHARS = 100
MAX_ADDRESS_CHARS = 200
MIN_BIRTH_YEAR = 1850

_CIN = re.compile(r"^[A-Z]{1,2}[0-9]{1,7}$")
_PHONE = re.compile(r"^0[5-7][0-9]{8}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")

_SEX = {
    person_pb2.SEX_UNSPECIFIED: Sex.UNSPECIFIED,
    person_pb2.SEX_MALE: Sex.MALE,
    person_pb2.SEX_FEMALE: Sex.FEMALE,
}
_SEX_OUT = {v: k for k, v in _SEX.items()}
_PRECISION = {
    person_pb2.DATE_PRECISION_FULL: DatePrecision.FULL,
    person_pb2.DATE_PRECISION_YEAR_MONTH: DatePrecision.YEAR_MONTH,
    person_pb2.DATE_PRECISION_YEAR: DatePrecision.YEAR,
    person_pb2.DATE_PRECISION_UNKNOWN: DatePrecision.UNKNOWN,
}
_PRECISION_OUT = {v: k for k, v in _PRECISION.items()}
_STATUS = {
    person_pb2.PERSON_STATUS_ACTIVE: PersonStatus.ACTIVE,
    person_pb2.PERSON_STATUS_DECEASED: PersonStatus.DECEASED,
    person_pb2.PERSON_STATUS_MERGED: PersonStatus.MERGED,
}
_STATUS_OUT = {v: k for k, v in _STATUS.items()}


# --- scalar checks -----------------------------------------------------------------------


# Fast paths for the usual names: strings these accept, the character loop below accepts too.
_PLAIN_LATIN = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f \-'’.]*")
_PLAIN_ARABIC = re.compile(r"[\u0620-\u063f\u0641-\u064a\u066e-\u066f\u0671-\u06d3 \-.\u064b-\u065f\u0670\u0640]*")


def _script_ok(text: str, arabic: bool) -> bool:
    """Letters of one script, plus spaces, hyphens, apostrophes, dots and combining marks."""
    if (_PLAIN_ARABIC if arabic else _PLAIN_LATIN).fullmatch(text):
        return True
    for ch in text:
        if ch in " -'’.\u0640\u200c\u200d\u200e\u200f":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Mc"):
            continue
        if not cat.startswith("L"):
            return False
        is_arabic = "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufefc"
        if is_arabic != arabic:
            return False
    return True


def _name(msg: person_pb2.PersonName, field: str) -> Name:
    latin, arabic = msg.latin.strip(), msg.arabic.strip()
    for text, script, sub in ((latin, False, "latin"), (arabic, True, "arabic")):
        if len(text) > MAX_NAME_CHARS:
            raise InvalidField(f"{field}.{sub}", f"must be at most {MAX_NAME_CHARS} characters")
        if text and not _script_ok(text, arabic=script):
            which = "Arabic" if script else "Latin"
            raise InvalidField(
                f"{field}.{sub}", f"must contain only {which}-script letters, spaces, hyphens and apostrophes"
            )
    return Name(latin=latin, arabic=arabic)


def _birth_date(msg: person_pb2.BirthDate, field: str, today: date) -> BirthDate:
    precision = _PRECISION.get(msg.precision)
    if precision is None:
        raise InvalidField(f"{field}.precision", "must be FULL, YEAR_MONTH, YEAR or UNKNOWN")
    year, month, day = msg.year, msg.month, msg.day
    if precision is DatePrecision.UNKNOWN:
        if year or month or day:
            raise InvalidField(field, "year, month and day must be 0 when the precision is UNKNOWN")
        return BirthDate(precision=precision)
    if not MIN_BIRTH_YEAR <= year <= today.year:
        raise InvalidField(f"{field}.year", f"must be between {MIN_BIRTH_YEAR} and {today.year}")
    if precision is DatePrecision.YEAR:
        if month or day:
            raise InvalidField(field, "month and day must be 0 when the precision is YEAR")
        return BirthDate(year=year, precision=precision)
    if not 1 <= month <= 12:
        raise InvalidField(f"{field}.month", "must be between 1 and 12")
    if precision is DatePrecision.YEAR_MONTH:
        if day:
            raise InvalidField(f"{field}.day", "must be 0 when the precision is YEAR_MONTH")
        if (year, month) > (today.year, today.month):
            raise InvalidField(field, "must not be in the future")
        return BirthDate(year=year, month=month, precision=precision)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise InvalidField(f"{field}.day", "is not a day of that month")
    if date(year, month, day) > today:
        raise InvalidField(field, "must not be in the future")
    return BirthDate(year=year, month=month, day=day, precision=precision)


def _cin(raw: str, field: str) -> str:
    cin = raw.replace(" ", "").upper()
    if cin and not _CIN.match(cin):
        raise InvalidField(field, "must be 1-2 letters followed by 1-7 digits, e.g. BE123456")
    return cin


def _phone(raw: str, field: str) -> str:
    phone = re.sub(r"[\s.\-()]", "", raw)
    if phone.startswith("+212"):
        phone = "0" + phone[4:]
    elif phone.startswith("00212"):
        phone = "0" + phone[5:]
    if phone and not _PHONE.match(phone):
        raise InvalidField(field, "must be a Moroccan number: 10 digits starting 05, 06 or 07 (or +212)")
    return phone


def _code(raw: str, field: str) -> str:
    code = raw.strip()
    if code and not _CODE.match(code):
        raise InvalidField(field, "must be 1-16 letters, digits, '.', '_' or '-'")
    return code


def _address(raw: str, field: str) -> str:
    address = " ".join(raw.split())
    if len(address) > MAX_ADDRESS_CHARS:
        raise InvalidField(field, f"must be at most {MAX_ADDRESS_CHARS} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in address):
        raise InvalidField(field, "must not contain control characters")
    return address


# --- messages ----------------------------------------------------------------------------


def _demographics(msg: person_pb2.Demographics, field: str, today: date) -> Demographics:
    sex = _SEX.get(msg.sex)
    if sex is None:
        raise InvalidField(f"{field}.sex", "must be SEX_MALE or SEX_FEMALE")
    birth = _birth_date(msg.birth_date, f"{field}.birth_date", today) if msg.HasField("birth_date") else BirthDate()
    return Demographics(
        first_name=_name(msg.first_name, f"{field}.first_name"),
        last_name=_name(msg.last_name, f"{field}.last_name"),
        father_first_name=_name(msg.father_first_name, f"{field}.father_first_name"),
        mother_first_name=_name(msg.mother_first_name, f"{field}.mother_first_name"),
        sex=sex,
        birth_date=birth,
        birth_place_code=_code(msg.birth_place_code, f"{field}.birth_place_code"),
        cin=_cin(msg.cin, f"{field}.cin"),
        phone=_phone(msg.phone, f"{field}.phone"),
        residence=Residence(
            commune_code=_code(msg.residence.commune_code, f"{field}.residence.commune_code"),
            address=_address(msg.residence.address, f"{field}.residence.address"),
        ),
    )


def demographics_from_proto(
    msg: person_pb2.Demographics, field: str = "demographics", today: date | None = None
) -> Demographics:
    """A full record for enrolment or update: names, sex and a birth date precision required."""
    today = today or datetime.now(UTC).date()
    result = _demographics(msg, field, today)
    if result.first_name.is_empty():
        raise InvalidField(f"{field}.first_name", "is required (Latin or Arabic script)")
    if result.last_name.is_empty():
        raise InvalidField(f"{field}.last_name", "is required (Latin or Arabic script)")
    if result.sex is Sex.UNSPECIFIED:
        raise InvalidField(f"{field}.sex", "is required")
    if not msg.HasField("birth_date") or msg.birth_date.precision == person_pb2.DATE_PRECISION_UNSPECIFIED:
        raise InvalidField(f"{field}.birth_date.precision", "is required (UNKNOWN when no date is known)")
    return result


_NOTHING_CLAIMED = Demographics()  # built once: a Demographics costs about 6 µs (measured)


def claimed_from_proto(msg: person_pb2.Demographics, field: str = "claimed", today: date | None = None) -> Demographics:
    """Claimed attributes for authentication: any subset, at least one."""
    today = today or datetime.now(UTC).date()
    if msg.HasField("birth_date") and msg.birth_date.precision == person_pb2.DATE_PRECISION_UNSPECIFIED:
        raise InvalidField(f"{field}.birth_date.precision", "is required when a birth date is claimed")
    result = _demographics(msg, field, today)
    if result == _NOTHING_CLAIMED:
        raise InvalidField(field, "at least one attribute must be claimed")
    return result


def status_from_proto(value: int, field: str = "status") -> PersonStatus | None:
    """None for UNSPECIFIED (keep the current status)."""
    if value == person_pb2.PERSON_STATUS_UNSPECIFIED:
        return None
    status = _STATUS.get(value)
    if status is None:
        raise InvalidField(field, "is not a known person status")
    return status


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def person_to_proto(person: Person, readable: frozenset[str] | None = None) -> person_pb2.Person:
    """The person as a message; with `readable`, only those attributes besides IDCS, status, version."""
    message = _person_message(person)
    if readable is None:
        return message
    for name in DEMOGRAPHIC_ATTRIBUTES:
        if name not in readable:
            message.demographics.ClearField(name)
    if not readable.intersection(DEMOGRAPHIC_ATTRIBUTES):
        message.ClearField("demographics")
    for name in RECORD_ATTRIBUTES:
        if name not in readable:
            message.ClearField(name)
    return message


def _person_message(person: Person) -> person_pb2.Person:
    d = person.demographics
    return person_pb2.Person(
        idcs=person.idcs,
        demographics=person_pb2.Demographics(
            first_name=person_pb2.PersonName(latin=d.first_name.latin, arabic=d.first_name.arabic),
            last_name=person_pb2.PersonName(latin=d.last_name.latin, arabic=d.last_name.arabic),
            father_first_name=person_pb2.PersonName(latin=d.father_first_name.latin, arabic=d.father_first_name.arabic),
            mother_first_name=person_pb2.PersonName(latin=d.mother_first_name.latin, arabic=d.mother_first_name.arabic),
            sex=_SEX_OUT[d.sex],
            birth_date=person_pb2.BirthDate(
                year=d.birth_date.year,
                month=d.birth_date.month,
                day=d.birth_date.day,
                precision=_PRECISION_OUT[d.birth_date.precision],
            ),
            birth_place_code=d.birth_place_code,
            cin=d.cin,
            phone=d.phone,
            residence=person_pb2.Residence(commune_code=d.residence.commune_code, address=d.residence.address),
        ),
        status=_STATUS_OUT[person.status],
        merged_into=person.merged_into,
        version=person.version,
        created_at=_timestamp(person.created_at),
        updated_at=_timestamp(person.updated_at),
    )
