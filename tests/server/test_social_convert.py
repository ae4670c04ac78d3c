"""SocialRegistry messages <-> RSU records: complete enum tables, field paths, round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hawiya.v1 import person_pb2
from hawiya.v1 import social_registry_pb2 as pb
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
from server import social_convert as convert
from server.callers import KNOWN_RPCS, add_caller
from server.errors import InvalidField

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
VARIABLES = pb.SocioEconomicVariables(
    dwelling_type=pb.DWELLING_TYPE_TRADITIONAL_HOUSE,
    tenure=pb.TENURE_HOUSED_FREE,
    rooms=2,
    water_source=pb.WATER_SOURCE_PUBLIC_TAP,
    electricity=pb.ELECTRICITY_OFF_GRID,
    sanitation=pb.SANITATION_PIT_LATRINE,
    cooking_fuel=pb.COOKING_FUEL_WOOD_OR_CHARCOAL,
    assets=[pb.ASSET_MOTORCYCLE, pb.ASSET_TELEVISION],
    monthly_expenses_mad=0,
)
RESIDENCE = pb.HouseholdResidence(commune_code="351.07.11", area=pb.AREA_RURAL)


@pytest.mark.parametrize(
    ("proto_enum", "domain"),
    [
        (pb.Relation, Relation),
        (pb.Area, Area),
        (pb.DwellingType, DwellingType),
        (pb.Tenure, Tenure),
        (pb.WaterSource, WaterSource),
        (pb.Electricity, Electricity),
        (pb.Sanitation, Sanitation),
        (pb.CookingFuel, CookingFuel),
        (pb.Asset, Asset),
        (pb.HouseholdStatus, HouseholdStatus),
        (pb.HouseholdChange, HouseholdChange),
        (pb.ComplaintSubjectKind, ComplaintSubjectKind),
        (pb.ComplaintStatus, ComplaintStatus),
    ],
)
def test_every_proto_value_but_unspecified_is_a_domain_value(proto_enum: object, domain: type) -> None:
    values = proto_enum.DESCRIPTOR.values  # type: ignore[attr-defined]
    assert values[0].number == 0 and values[0].name.endswith("_UNSPECIFIED")
    assert len(values) - 1 == len(domain)
    prefix = values[0].name.removesuffix("UNSPECIFIED")
    assert {v.name.removeprefix(prefix) for v in values[1:]} == {m.name for m in domain}


def test_every_social_registry_rpc_can_be_granted(tmp_path: Path) -> None:
    methods = pb.DESCRIPTOR.services_by_name["SocialRegistry"].methods
    assert {f"SocialRegistry/{m.name}" for m in methods} <= set(KNOWN_RPCS)
    add_caller(tmp_path / "callers.toml", "rsu-desk", ["SocialRegistry/*"])
    add_caller(tmp_path / "callers.toml", "rsu-reader", ["SocialRegistry/GetHousehold"])


def _household(**changes: object) -> pb.Household:
    h = pb.Household(
        members=[
            pb.HouseholdMember(idcs="2345678904", relation=pb.RELATION_HEAD),
            pb.HouseholdMember(idcs="9876543210", relation=pb.RELATION_CHILD),
        ],
        residence=RESIDENCE,
        variables=VARIABLES,
    )
    for name, value in changes.items():
        if value is None:
            h.ClearField(name)
        else:
            getattr(h, name).CopyFrom(value)
    return h


def test_a_household_draft() -> None:
    draft = convert.household_draft_from_proto(_household(), True)
    assert [(m.field, m.idcs, m.relation) for m in draft.members] == [
        ("household.members[0]", "2345678904", Relation.HEAD),
        ("household.members[1]", "9876543210", Relation.CHILD),
    ]
    assert draft.residence == HouseholdResidence("351.07.11", Area.RURAL)
    assert draft.variables == SocioEconomicVariables(
        DwellingType.TRADITIONAL_HOUSE,
        Tenure.HOUSED_FREE,
        2,
        WaterSource.PUBLIC_TAP,
        Electricity.OFF_GRID,
        Sanitation.PIT_LATRINE,
        CookingFuel.WOOD_OR_CHARCOAL,
        frozenset({Asset.MOTORCYCLE, Asset.TELEVISION}),
        0,
    )


def _variables(**changes: object) -> pb.SocioEconomicVariables:
    v = pb.SocioEconomicVariables()
    v.CopyFrom(VARIABLES)
    for name, value in changes.items():
        if value is None:
            v.ClearField(name)
        elif name == "assets":
            del v.assets[:]
            v.assets.extend(value)  # type: ignore[arg-type]
        else:
            setattr(v, name, value)
    return v


@pytest.mark.parametrize(
    ("household", "field"),
    [
        (_household(residence=None), "household.residence"),
        (_household(variables=None), "household.variables"),
        (_household(residence=pb.HouseholdResidence(area=pb.AREA_URBAN)), "household.residence.commune_code"),
        (_household(residence=pb.HouseholdResidence(commune_code="a b", area=1)), "household.residence.commune_code"),
        (_household(residence=pb.HouseholdResidence(commune_code="141")), "household.residence.area"),
        (_household(residence=pb.HouseholdResidence(commune_code="141", area=9)), "household.residence.area"),
        (_household(variables=_variables(dwelling_type=0)), "household.variables.dwelling_type"),
        (_household(variables=_variables(tenure=0)), "household.variables.tenure"),
        (_household(variables=_variables(water_source=0)), "household.variables.water_source"),
        (_household(variables=_variables(electricity=0)), "household.variables.electricity"),
        (_household(variables=_variables(sanitation=0)), "household.variables.sanitation"),
        (_household(variables=_variables(cooking_fuel=77)), "household.variables.cooking_fuel"),
        (_household(variables=_variables(rooms=0)), "household.variables.rooms"),
        (_household(variables=_variables(rooms=51)), "household.variables.rooms"),
        (_household(variables=_variables(monthly_expenses_mad=None)), "household.variables.monthly_expenses_mad"),
        (_household(variables=_variables(monthly_expenses_mad=-1)), "household.variables.monthly_expenses_mad"),
        (_household(variables=_variables(assets=[1, 0])), "household.variables.assets[1]"),
        (_household(variables=_variables(assets=[2, 3, 2])), "household.variables.assets[2]"),
    ],
)
def test_household_fields_are_checked(household: pb.Household, field: str) -> None:
    with pytest.raises(InvalidField) as info:
        convert.household_draft_from_proto(household, True)
    assert info.value.field == field


def test_members_are_checked() -> None:
    with pytest.raises(InvalidField) as absent:
        convert.household_draft_from_proto(pb.Household(), False)
    assert absent.value.field == "household"
    neither = _household()
    neither.members.add(relation=pb.RELATION_CHILD)
    with pytest.raises(InvalidField) as info:
        convert.household_draft_from_proto(neither, True)
    assert info.value.field == "household.members[2]"
    unrelated = _household()
    unrelated.members.add(idcs="2345678904")
    with pytest.raises(InvalidField) as info:
        convert.household_draft_from_proto(unrelated, True)
    assert info.value.field == "household.members[2].relation"
    by_demographics = _household()
    by_demographics.members.add(
        relation=pb.RELATION_SPOUSE,
        demographics=person_pb2.Demographics(first_name=person_pb2.PersonName(latin="Nadia")),
    )
    with pytest.raises(InvalidField) as info:
        convert.household_draft_from_proto(by_demographics, True)
    assert info.value.field.startswith("household.members[2].demographics.")


def test_household_to_proto_round_trips() -> None:
    draft = convert.household_draft_from_proto(_household(), True)
    household = Household(
        household_id="ab" * 16,
        version=3,
        status=HouseholdStatus.ACTIVE,
        change=HouseholdChange.MEMBER_JOINED,
        members=tuple(HouseholdMember(m.idcs, m.relation) for m in draft.members),
        residence=draft.residence,
        variables=draft.variables,
        index=SocioEconomicIndex(9.123456, "illustrative-1", T0),
        created_at=T0 - timedelta(days=30),
        updated_at=T0,
    )
    out = convert.household_to_proto(household)
    assert out.variables == VARIABLES.__class__(
        **{**{f.name: getattr(VARIABLES, f.name) for f in VARIABLES.DESCRIPTOR.fields if f.name != "assets"}},
        assets=[pb.ASSET_TELEVISION, pb.ASSET_MOTORCYCLE],  # in Asset order
    )
    assert convert.household_draft_from_proto(out, True).variables == draft.variables
    assert (out.index.value, out.index.formula_version) == (9.123456, "illustrative-1")
    assert out.index.computed_at.ToDatetime(tzinfo=UTC) == T0
    assert (out.version, out.status, out.change) == (3, pb.HOUSEHOLD_STATUS_ACTIVE, pb.HOUSEHOLD_CHANGE_MEMBER_JOINED)
    dissolved = convert.household_to_proto(
        Household(**{**{f: getattr(household, f) for f in household.__slots__}, "members": (), "index": None})  # type: ignore[attr-defined]
    )
    assert not dissolved.HasField("index") and not dissolved.members


def test_complaints() -> None:
    with pytest.raises(InvalidField) as absent:
        convert.subject_from_proto(pb.ComplaintSubject(), False)
    assert absent.value.field == "subject"
    with pytest.raises(InvalidField) as kind:
        convert.subject_from_proto(pb.ComplaintSubject(idcs="2345678904"), True)
    assert kind.value.field == "subject.kind"
    assert convert.complaint_status_filter(0) is None
    with pytest.raises(InvalidField):
        convert.complaint_status_from_proto(0)
    history = (
        ComplaintTransition(None, ComplaintStatus.OPEN, "", "desk", T0),
        ComplaintTransition(ComplaintStatus.OPEN, ComplaintStatus.IN_REVIEW, "", "agent", T0 + timedelta(hours=1)),
    )
    subject = ComplaintSubject(ComplaintSubjectKind.MERGE, idcs="2345678904")
    open_one = convert.complaint_to_proto(Complaint("cd" * 16, subject, "text", "desk", history))
    assert open_one.status == pb.COMPLAINT_STATUS_IN_REVIEW and not open_one.HasField("closed_at")
    assert open_one.history[0].from_status == pb.COMPLAINT_STATUS_UNSPECIFIED
    closing = ComplaintTransition(
        ComplaintStatus.IN_REVIEW, ComplaintStatus.REJECTED, "no", "agent", T0 + timedelta(days=2)
    )
    closed = convert.complaint_to_proto(Complaint("cd" * 16, subject, "text", "desk", (*history, closing)))
    assert closed.closed_at.ToDatetime(tzinfo=UTC) - closed.filed_at.ToDatetime(tzinfo=UTC) == timedelta(days=2)
