"""Conversion between the social registry's records and table rows, and the checks that make a value storable.

Every check raises InvalidField naming the field (a path such as ``household.members[2].idcs``),
never repeating the value.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from registry_store.errors import InvalidField
from registry_store.schema import IDEMPOTENCY_KEY_MAX_LENGTH, PUBLIC_ID_LENGTH
from registry_store.social_model import (
    Area,
    Asset,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    ComplaintSubjectKind,
    ComplaintTransition,
    CookingFuel,
    DwellingType,
    Electricity,
    Household,
    HouseholdChange,
    HouseholdMember,
    HouseholdResidence,
    HouseholdStatus,
    Relation,
    Sanitation,
    SocioEconomicIndex,
    SocioEconomicVariables,
    Tenure,
    WaterSource,
)

__all__ = [
    "MAX_EXPENSES_MAD",
    "MAX_ROOMS",
    "checked_key",
    "checked_positive",
    "checked_public_id",
    "checked_text",
    "complaint_digest",
    "complaint_from_rows",
    "household_digest",
    "household_from_rows",
    "new_public_id",
    "residence_row",
    "transition_from_row",
    "variables_row",
]

# Bump when a canonical form changes: a changed digest turns retries made before the change
# into IdempotencyConflicts.
_DIGEST_FORMAT = 1
MAX_ROOMS = 50
MAX_EXPENSES_MAD = 10_000_000
_PUBLIC_ID = re.compile(f"[0-9a-f]{{{PUBLIC_ID_LENGTH}}}")
_ASSET_SEPARATOR = ","


def new_public_id() -> str:
    """A fresh household or complaint id: 128 random bits as 32 lowercase hex digits."""
    return secrets.token_hex(PUBLIC_ID_LENGTH // 2)


def checked_public_id(value: object, field: str) -> str:
    if not isinstance(value, str) or _PUBLIC_ID.fullmatch(value) is None:
        raise InvalidField(field, f"must be {PUBLIC_ID_LENGTH} lowercase hex digits")
    return value


def checked_key(key: object) -> str | None:
    """An idempotency key, or None for none ("" is what proto3 sends for an absent string)."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidField("idempotency_key", f"must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters")
    return key


def checked_positive(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidField(field, "must be a positive integer")
    return value


def checked_text(value: object, field: str, *, max_length: int, required: bool, multiline: bool = False) -> str:
    """Text both backends store alike: no NUL, valid Unicode, no control characters but newlines."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if required and not value.strip():
        raise InvalidField(field, "is required")
    if len(value) > max_length:
        raise InvalidField(field, f"must be at most {max_length} characters")
    allowed = "\n\r\t" if multiline else ""
    if any((ch < " " and ch not in allowed) or ch == "\x7f" for ch in value):
        raise InvalidField(field, "must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidField(field, "must be valid Unicode text") from None
    return value


def _enum(value: object, kind: type, field: str) -> Any:
    if not isinstance(value, kind):
        raise InvalidField(field, f"must be a {kind.__name__}")
    return value


def residence_row(residence: HouseholdResidence, field: str) -> dict[str, Any]:
    if not isinstance(residence, HouseholdResidence):
        raise InvalidField(field, "must be a HouseholdResidence")
    return {
        "commune_code": checked_text(residence.commune_code, f"{field}.commune_code", max_length=16, required=True),
        "area": _enum(residence.area, Area, f"{field}.area").value,
    }


def variables_row(v: SocioEconomicVariables, field: str) -> dict[str, Any]:
    """The household_versions columns of `v`, checking each can be stored."""
    if not isinstance(v, SocioEconomicVariables):
        raise InvalidField(field, "must be SocioEconomicVariables")
    if not isinstance(v.rooms, int) or isinstance(v.rooms, bool) or not 1 <= v.rooms <= MAX_ROOMS:
        raise InvalidField(f"{field}.rooms", f"must be an integer from 1 to {MAX_ROOMS}")
    expenses = v.monthly_expenses_mad
    if not isinstance(expenses, int) or isinstance(expenses, bool) or not 0 <= expenses <= MAX_EXPENSES_MAD:
        raise InvalidField(f"{field}.monthly_expenses_mad", f"must be an integer from 0 to {MAX_EXPENSES_MAD}")
    if not isinstance(v.assets, frozenset) or not all(isinstance(a, Asset) for a in v.assets):
        raise InvalidField(f"{field}.assets", "must be a frozenset of Asset")
    return {
        "dwelling_type": _enum(v.dwelling_type, DwellingType, f"{field}.dwelling_type").value,
        "tenure": _enum(v.tenure, Tenure, f"{field}.tenure").value,
        "rooms": v.rooms,
        "water_source": _enum(v.water_source, WaterSource, f"{field}.water_source").value,
        "electricity": _enum(v.electricity, Electricity, f"{field}.electricity").value,
        "sanitation": _enum(v.sanitation, Sanitation, f"{field}.sanitation").value,
        "cooking_fuel": _enum(v.cooking_fuel, CookingFuel, f"{field}.cooking_fuel").value,
        "assets": _ASSET_SEPARATOR.join(a.value for a in Asset if a in v.assets),
        "monthly_expenses_mad": expenses,
    }


def _variables_from_row(row: Mapping[Any, Any]) -> SocioEconomicVariables:
    assets = row["assets"]
    return SocioEconomicVariables(
        dwelling_type=DwellingType(row["dwelling_type"]),
        tenure=Tenure(row["tenure"]),
        rooms=row["rooms"],
        water_source=WaterSource(row["water_source"]),
        electricity=Electricity(row["electricity"]),
        sanitation=Sanitation(row["sanitation"]),
        cooking_fuel=CookingFuel(row["cooking_fuel"]),
        assets=frozenset(Asset(a) for a in assets.split(_ASSET_SEPARATOR)) if assets else frozenset(),
        monthly_expenses_mad=row["monthly_expenses_mad"],
    )


def household_from_rows(
    version_row: Mapping[Any, Any], member_rows: Sequence[Mapping[Any, Any]], created_at: datetime
) -> Household:
    """Rebuild a Household from its household_versions row and its household_members rows."""
    index = None
    if version_row["index_value"] is not None:
        index = SocioEconomicIndex(
            value=float(version_row["index_value"]),
            formula_version=version_row["index_formula_version"],
            computed_at=version_row["index_computed_at"],
        )
    members = sorted(member_rows, key=lambda r: r["ordinal"])
    return Household(
        household_id=version_row["household_id"],
        version=version_row["version"],
        status=HouseholdStatus(version_row["status"]),
        change=HouseholdChange(version_row["change_kind"]),
        members=tuple(HouseholdMember(idcs=m["idcs"], relation=Relation(m["relation"])) for m in members),
        residence=HouseholdResidence(commune_code=version_row["commune_code"], area=Area(version_row["area"])),
        variables=_variables_from_row(version_row),
        index=index,
        created_at=created_at,
        updated_at=version_row["written_at"],
    )


def _digest(canonical: Mapping[Any, Any]) -> str:
    text = json.dumps({"format": _DIGEST_FORMAT, **canonical}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def household_digest(
    members: Sequence[HouseholdMember], residence_values: Mapping[Any, Any], variable_values: Mapping[Any, Any]
) -> str:
    """SHA-256 of a canonical form of a registration: equal requests give equal digests."""
    return _digest(
        {
            "members": [[m.idcs, m.relation.value] for m in members],
            "residence": dict(residence_values),
            "variables": dict(variable_values),
        }
    )


def complaint_digest(subject: ComplaintSubject, text: str) -> str:
    return _digest(
        {"kind": subject.kind.value, "idcs": subject.idcs, "household_id": subject.household_id, "text": text}
    )


def transition_from_row(row: Mapping[Any, Any]) -> ComplaintTransition:
    return ComplaintTransition(
        from_status=None if row["from_status"] is None else ComplaintStatus(row["from_status"]),
        to_status=ComplaintStatus(row["to_status"]),
        reason=row["reason"],
        actor=row["actor"],
        at=row["changed_at"],
    )


def complaint_from_rows(row: Mapping[Any, Any], transition_rows: Sequence[Mapping[Any, Any]]) -> Complaint:
    """Rebuild a Complaint from its complaints row and its transitions (any order)."""
    history = sorted(transition_rows, key=lambda r: r["seq"])
    return Complaint(
        complaint_id=row["complaint_id"],
        subject=ComplaintSubject(
            kind=ComplaintSubjectKind(row["subject_kind"]),
            idcs=row["subject_idcs"] or "",
            household_id=row["subject_household_id"] or "",
        ),
        text=row["text"],
        filed_by=row["filed_by"],
        history=tuple(transition_from_row(t) for t in history),
    )
