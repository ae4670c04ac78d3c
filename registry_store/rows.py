"""Conversion between domain records and table rows, and the canonical demographics digest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from registry_store.errors import InvalidField
from registry_store.model import (
    AuditEntry,
    BirthDate,
    DatePrecision,
    Demographics,
    Name,
    Person,
    PersonStatus,
    Residence,
    Sex,
)

__all__ = [
    "audit_from_row",
    "demographics_digest",
    "demographics_from_row",
    "demographics_row",
    "person_from_row",
]

# Bump when the canonical form changes: a changed digest would turn retried enrolments made
# before the change into IdempotencyConflicts.
_DIGEST_FORMAT = 1

_NAME_FIELDS = ("first_name", "last_name", "father_first_name", "mother_first_name")
_INT_RANGES = {"year": (0, 9999), "month": (0, 12), "day": (0, 31)}


def _text(value: object, field: str) -> str:
    # PostgreSQL rejects NUL in text and neither backend can store lone surrogates; refuse them
    # here so that both backends accept exactly the same values.
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if "\x00" in value:
        raise InvalidField(field, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidField(field, "must be valid Unicode text") from None
    return value


def _int(value: object, field: str, part: str) -> int:
    low, high = _INT_RANGES[part]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidField(field, f"must be an integer from {low} to {high}")
    return value


def demographics_row(d: Demographics) -> dict[str, Any]:
    """Flatten `d` into person_versions column values, checking each can be stored."""
    if not isinstance(d, Demographics):
        raise InvalidField("demographics", "must be a Demographics record")
    row: dict[str, Any] = {}
    for name_field in _NAME_FIELDS:
        name: Name = getattr(d, name_field)
        row[f"{name_field}_latin"] = _text(name.latin, f"{name_field}.latin")
        row[f"{name_field}_arabic"] = _text(name.arabic, f"{name_field}.arabic")
    if not isinstance(d.sex, Sex):
        raise InvalidField("sex", "must be a Sex")
    row["sex"] = d.sex.value
    bd = d.birth_date
    if not isinstance(bd.precision, DatePrecision):
        raise InvalidField("birth_date.precision", "must be a DatePrecision")
    for part in ("year", "month", "day"):
        row[f"birth_{part}"] = _int(getattr(bd, part), f"birth_date.{part}", part)
    row["birth_precision"] = bd.precision.value
    row["birth_place_code"] = _text(d.birth_place_code, "birth_place_code")
    row["cin"] = _text(d.cin, "cin")
    row["phone"] = _text(d.phone, "phone")
    row["commune_code"] = _text(d.residence.commune_code, "residence.commune_code")
    row["address"] = _text(d.residence.address, "residence.address")
    return row


def demographics_digest(d: Demographics) -> str:
    """SHA-256 hex of a canonical JSON of `d`: equal demographics give equal digests.

    Strings are taken exactly as given (no case or Unicode normalisation), so a retry must send
    the same bytes to be recognised as the same enrolment.
    """
    canonical = {"format": _DIGEST_FORMAT, **demographics_row(d)}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def demographics_from_row(row: Mapping[Any, Any]) -> Demographics:
    """Rebuild Demographics from a person_versions row."""
    names = {f: Name(latin=row[f"{f}_latin"], arabic=row[f"{f}_arabic"]) for f in _NAME_FIELDS}
    return Demographics(
        **names,
        sex=Sex(row["sex"]),
        birth_date=BirthDate(
            year=row["birth_year"],
            month=row["birth_month"],
            day=row["birth_day"],
            precision=DatePrecision(row["birth_precision"]),
        ),
        birth_place_code=row["birth_place_code"],
        cin=row["cin"],
        phone=row["phone"],
        residence=Residence(commune_code=row["commune_code"], address=row["address"]),
    )


def person_from_row(row: Mapping[Any, Any]) -> Person:
    """Rebuild a Person from a person_versions row joined with its identity's created_at."""
    return Person(
        idcs=row["idcs"],
        version=row["version"],
        demographics=demographics_from_row(row),
        status=PersonStatus(row["status"]),
        merged_into=row["merged_into"] or "",
        created_at=row["created_at"],
        updated_at=row["written_at"],
    )


def audit_from_row(row: Mapping[Any, Any]) -> AuditEntry:
    """Rebuild an AuditEntry from an auth_audit row."""
    return AuditEntry(
        transaction_id=row["transaction_id"],
        caller_id=row["caller_id"],
        idcs_hash=row["idcs_hash"],
        decision=row["decision"],
        reason=row["reason"],
        created_at=row["created_at"],
    )
