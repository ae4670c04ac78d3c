"""Conversion between the SocialRegistry protobuf messages and the RSU records, with field validation.

Every check raises :class:`InvalidField` with the field's path in the request
(``household.variables.rooms``, ``household.members[2].relation``); messages never repeat the
value. Enum tables are built from the domain enums by name: a domain value missing from the
contract fails at import, and tests/server/test_social_convert.py checks the other direction.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from hawiya.v1 import social_registry_pb2 as pb
from registry_store.social_model import (
    Area,
    Asset,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    ComplaintSubjectKind,
    CookingFuel,
    DwellingType,
    Electricity,
    Household,
    HouseholdChange,
    HouseholdResidence,
    HouseholdStatus,
    Relation,
    Sanitation,
    SocioEconomicVariables,
    Tenure,
    WaterSource,
)
from server.convert import demographics_from_proto
from server.errors import InvalidField
from server.social_registry import HouseholdDraft, MemberDraft

__all__ = [
    "COMPLAINT_STATUS",
    "RELATION",
    "complaint_status_filter",
    "complaint_status_from_proto",
    "complaint_to_proto",
    "household_draft_from_proto",
    "household_to_proto",
    "relation_from_proto",
    "subject_from_proto",
]

E = TypeVar("E", bound=enum.Enum)

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")


def _table(proto_enum: Any, prefix: str, domain: type[E]) -> dict[int, E]:
    """proto number -> domain member, matched by name (``RELATION_HEAD`` <-> ``Relation.HEAD``)."""
    return {proto_enum.Value(f"{prefix}_{member.name}"): member for member in domain}


RELATION = _table(pb.Relation, "RELATION", Relation)
AREA = _table(pb.Area, "AREA", Area)
DWELLING_TYPE = _table(pb.DwellingType, "DWELLING_TYPE", DwellingType)
TENURE = _table(pb.Tenure, "TENURE", Tenure)
WATER_SOURCE = _table(pb.WaterSource, "WATER_SOURCE", WaterSource)
ELECTRICITY = _table(pb.Electricity, "ELECTRICITY", Electricity)
SANITATION = _table(pb.Sanitation, "SANITATION", Sanitation)
COOKING_FUEL = _table(pb.CookingFuel, "COOKING_FUEL", CookingFuel)
ASSET = _table(pb.Asset, "ASSET", Asset)
HOUSEHOLD_STATUS = _table(pb.HouseholdStatus, "HOUSEHOLD_STATUS", HouseholdStatus)
HOUSEHOLD_CHANGE = _table(pb.HouseholdChange, "HOUSEHOLD_CHANGE", HouseholdChange)
SUBJECT_KIND = _table(pb.ComplaintSubjectKind, "COMPLAINT_SUBJECT_KIND", ComplaintSubjectKind)
COMPLAINT_STATUS = _table(pb.ComplaintStatus, "COMPLAINT_STATUS", ComplaintStatus)


def _out(table: dict[int, E]) -> dict[E, int]:
    return {member: number for number, member in table.items()}


_RELATION_OUT = _out(RELATION)
_AREA_OUT = _out(AREA)
_ASSET_OUT = _out(ASSET)
_STATUS_OUT = _out(HOUSEHOLD_STATUS)
_CHANGE_OUT = _out(HOUSEHOLD_CHANGE)
_KIND_OUT = _out(SUBJECT_KIND)
_COMPLAINT_STATUS_OUT = _out(COMPLAINT_STATUS)
_VARIABLES_OUT: dict[str, dict[Any, int]] = {
    "dwelling_type": _out(DWELLING_TYPE),
    "tenure": _out(TENURE),
    "water_source": _out(WATER_SOURCE),
    "electricity": _out(ELECTRICITY),
    "sanitation": _out(SANITATION),
    "cooking_fuel": _out(COOKING_FUEL),
}


def _required(table: dict[int, E], value: int, field: str) -> E:
    if value == 0:
        raise InvalidField(field, "is required")
    member = table.get(value)
    if member is None:
        raise InvalidField(field, "is not a known value")
    return member


def relation_from_proto(value: int, field: str = "relation") -> Relation:
    return _required(RELATION, value, field)


# --- households --------------------------------------------------------------------------


def _members(messages: Iterable[pb.HouseholdMember], field: str) -> tuple[MemberDraft, ...]:
    drafts = []
    for i, msg in enumerate(messages):
        path = f"{field}.members[{i}]"
        relation = relation_from_proto(msg.relation, f"{path}.relation")
        given = msg.WhichOneof("person")
        if given == "idcs":
            drafts.append(MemberDraft(field=path, relation=relation, idcs=msg.idcs))
        elif given == "demographics":
            demographics = demographics_from_proto(msg.demographics, f"{path}.demographics")
            drafts.append(MemberDraft(field=path, relation=relation, demographics=demographics))
        else:
            raise InvalidField(path, "give the member's idcs, or their demographics to look them up")
    return tuple(drafts)


def _residence(msg: pb.HouseholdResidence, field: str) -> HouseholdResidence:
    code = msg.commune_code.strip()
    if not code:
        raise InvalidField(f"{field}.commune_code", "is required")
    if not _CODE.match(code):
        raise InvalidField(f"{field}.commune_code", "must be 1-16 letters, digits, '.', '_' or '-'")
    return HouseholdResidence(commune_code=code, area=_required(AREA, msg.area, f"{field}.area"))


def _variables(msg: pb.SocioEconomicVariables, field: str) -> SocioEconomicVariables:
    if not 1 <= msg.rooms <= 50:
        raise InvalidField(f"{field}.rooms", "is required: the rooms used for living or sleeping, 1 to 50")
    if not msg.HasField("monthly_expenses_mad"):
        raise InvalidField(f"{field}.monthly_expenses_mad", "is required (0 is a value)")
    if not 0 <= msg.monthly_expenses_mad <= 10_000_000:
        raise InvalidField(f"{field}.monthly_expenses_mad", "must be 0 to 10000000 dirhams")
    assets: set[Asset] = set()
    for i, value in enumerate(msg.assets):
        asset = _required(ASSET, value, f"{field}.assets[{i}]")
        if asset in assets:
            raise InvalidField(f"{field}.assets[{i}]", "is listed twice")
        assets.add(asset)
    return SocioEconomicVariables(
        dwelling_type=_required(DWELLING_TYPE, msg.dwelling_type, f"{field}.dwelling_type"),
        tenure=_required(TENURE, msg.tenure, f"{field}.tenure"),
        rooms=msg.rooms,
        water_source=_required(WATER_SOURCE, msg.water_source, f"{field}.water_source"),
        electricity=_required(ELECTRICITY, msg.electricity, f"{field}.electricity"),
        sanitation=_required(SANITATION, msg.sanitation, f"{field}.sanitation"),
        cooking_fuel=_required(COOKING_FUEL, msg.cooking_fuel, f"{field}.cooking_fuel"),
        assets=frozenset(assets),
        monthly_expenses_mad=msg.monthly_expenses_mad,
    )


def household_draft_from_proto(msg: pb.Household, present: bool, field: str = "household") -> HouseholdDraft:
    """The members, residence and variables of a request's household (`present`: HasField)."""
    if not present:
        raise InvalidField(field, "is required")
    if not msg.HasField("residence"):
        raise InvalidField(f"{field}.residence", "is required")
    if not msg.HasField("variables"):
        raise InvalidField(f"{field}.variables", "is required")
    return HouseholdDraft(
        members=_members(msg.members, field),
        residence=_residence(msg.residence, f"{field}.residence"),
        variables=_variables(msg.variables, f"{field}.variables"),
    )


def _timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def household_to_proto(household: Household) -> pb.Household:
    v = household.variables
    out = pb.Household(
        household_id=household.household_id,
        version=household.version,
        status=_STATUS_OUT[household.status],
        members=[pb.HouseholdMember(idcs=m.idcs, relation=_RELATION_OUT[m.relation]) for m in household.members],
        residence=pb.HouseholdResidence(
            commune_code=household.residence.commune_code, area=_AREA_OUT[household.residence.area]
        ),
        variables=pb.SocioEconomicVariables(
            **{name: table[getattr(v, name)] for name, table in _VARIABLES_OUT.items()},
            rooms=v.rooms,
            assets=[_ASSET_OUT[a] for a in Asset if a in v.assets],
            monthly_expenses_mad=v.monthly_expenses_mad,
        ),
        change=_CHANGE_OUT[household.change],
        created_at=_timestamp(household.created_at),
        updated_at=_timestamp(household.updated_at),
    )
    if household.index is not None:
        out.index.CopyFrom(
            pb.SocioEconomicIndex(
                value=household.index.value,
                formula_version=household.index.formula_version,
                computed_at=_timestamp(household.index.computed_at),
            )
        )
    return out


# --- complaints --------------------------------------------------------------------------


def subject_from_proto(msg: pb.ComplaintSubject, present: bool, field: str = "subject") -> ComplaintSubject:
    """The subject's kind and references; which references a kind needs is checked by the store."""
    if not present:
        raise InvalidField(field, "is required")
    return ComplaintSubject(
        kind=_required(SUBJECT_KIND, msg.kind, f"{field}.kind"),
        idcs=msg.idcs,
        household_id=msg.household_id,
    )


def complaint_status_from_proto(value: int, field: str = "status") -> ComplaintStatus:
    """A status to move to (UNSPECIFIED refused)."""
    return _required(COMPLAINT_STATUS, value, field)


def complaint_status_filter(value: int, field: str = "status") -> ComplaintStatus | None:
    """A status filter: UNSPECIFIED is any status."""
    return None if value == 0 else _required(COMPLAINT_STATUS, value, field)


def complaint_to_proto(complaint: Complaint) -> pb.Complaint:
    out = pb.Complaint(
        complaint_id=complaint.complaint_id,
        subject=pb.ComplaintSubject(
            kind=_KIND_OUT[complaint.subject.kind],
            idcs=complaint.subject.idcs,
            household_id=complaint.subject.household_id,
        ),
        text=complaint.text,
        status=_COMPLAINT_STATUS_OUT[complaint.status],
        filed_by=complaint.filed_by,
        history=[
            pb.ComplaintTransition(
                from_status=0 if t.from_status is None else _COMPLAINT_STATUS_OUT[t.from_status],
                to_status=_COMPLAINT_STATUS_OUT[t.to_status],
                reason=t.reason,
                actor=t.actor,
                at=_timestamp(t.at),
            )
            for t in complaint.history
        ],
        filed_at=_timestamp(complaint.filed_at),
    )
    closed = complaint.closed_at
    if closed is not None:
        out.closed_at.CopyFrom(_timestamp(closed))
    return out
