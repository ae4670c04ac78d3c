"""Domain records of the social registry (RSU): households, their socio-economic variables, complaints.

Enum values are the strings stored in the database and used as keys in the index formula file
(`index_formula`), so renaming one is a schema change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "CATEGORICAL_VARIABLES",
    "CLOSED_STATUSES",
    "COMPLAINT_TRANSITIONS",
    "Area",
    "Asset",
    "Complaint",
    "ComplaintStatus",
    "ComplaintSubject",
    "ComplaintSubjectKind",
    "ComplaintTransition",
    "CookingFuel",
    "DwellingType",
    "Electricity",
    "Household",
    "HouseholdChange",
    "HouseholdMember",
    "HouseholdResidence",
    "HouseholdStatus",
    "Relation",
    "Sanitation",
    "SocioEconomicIndex",
    "SocioEconomicVariables",
    "Tenure",
    "WaterSource",
]


class Relation(enum.Enum):
    """A member's relation to the head of the household."""

    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDCHILD = "grandchild"
    OTHER_RELATIVE = "other_relative"
    NON_RELATIVE = "non_relative"


class Area(enum.Enum):
    """Urban or rural milieu of residence."""

    URBAN = "urban"
    RURAL = "rural"


class DwellingType(enum.Enum):
    """The kind of dwelling a household lives in."""

    VILLA = "villa"
    APARTMENT = "apartment"
    MODERN_HOUSE = "modern_house"
    TRADITIONAL_HOUSE = "traditional_house"
    RURAL_HOUSE = "rural_house"
    MAKESHIFT = "makeshift"
    OTHER = "other"


class Tenure(enum.Enum):
    """On what terms the household occupies its dwelling."""

    OWNER = "owner"
    TENANT = "tenant"
    HOUSED_FREE = "housed_free"
    OTHER = "other"


class WaterSource(enum.Enum):
    """Main source of drinking water."""

    PIPED_IN_DWELLING = "piped_in_dwelling"
    PUBLIC_TAP = "public_tap"
    WELL_OR_SPRING = "well_or_spring"
    OTHER = "other"


class Electricity(enum.Enum):
    """Access to electricity."""

    GRID_OWN_METER = "grid_own_meter"
    GRID_SHARED = "grid_shared"
    OFF_GRID = "off_grid"
    NONE = "none"


class Sanitation(enum.Enum):
    """Waste water disposal."""

    SEWER = "sewer"
    SEPTIC_TANK = "septic_tank"
    PIT_LATRINE = "pit_latrine"
    NONE = "none"


class CookingFuel(enum.Enum):
    """Main cooking fuel."""

    BUTANE_GAS = "butane_gas"
    ELECTRICITY = "electricity"
    WOOD_OR_CHARCOAL = "wood_or_charcoal"
    OTHER = "other"


class Asset(enum.Enum):
    """A durable asset a household may own."""

    REFRIGERATOR = "refrigerator"
    TELEVISION = "television"
    WASHING_MACHINE = "washing_machine"
    COMPUTER = "computer"
    INTERNET = "internet"
    CAR = "car"
    MOTORCYCLE = "motorcycle"
    AIR_CONDITIONER = "air_conditioner"
    LIVESTOCK = "livestock"


class HouseholdStatus(enum.Enum):
    """Active while the household has members; dissolved once every member has left."""

    ACTIVE = "active"
    DISSOLVED = "dissolved"


class HouseholdChange(enum.Enum):
    """What wrote a household version."""

    REGISTERED = "registered"
    UPDATED = "updated"
    MEMBER_LEFT = "member_left"
    MEMBER_JOINED = "member_joined"


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    """One member: an RNP person and their relation to the head."""

    idcs: str
    relation: Relation


@dataclass(frozen=True, slots=True)
class HouseholdResidence:
    """Where a household lives: a commune code and the urban/rural milieu."""

    commune_code: str
    area: Area


@dataclass(frozen=True, slots=True)
class SocioEconomicVariables:
    """The collected variables the socio-economic index is computed from (all required)."""

    dwelling_type: DwellingType
    tenure: Tenure
    rooms: int  # rooms for living or sleeping, 1..50
    water_source: WaterSource
    electricity: Electricity
    sanitation: Sanitation
    cooking_fuel: CookingFuel
    assets: frozenset[Asset]  # the assets owned; any other is not owned
    monthly_expenses_mad: int  # declared monthly consumption expenses, whole dirhams


# The categorical variables and their enums, in the order the index formula adds their weights.
CATEGORICAL_VARIABLES: dict[str, type[enum.Enum]] = {
    "dwelling_type": DwellingType,
    "tenure": Tenure,
    "water_source": WaterSource,
    "electricity": Electricity,
    "sanitation": Sanitation,
    "cooking_fuel": CookingFuel,
}


@dataclass(frozen=True, slots=True)
class SocioEconomicIndex:
    """An index value and the formula version that computed it, at a time."""

    value: float
    formula_version: str
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class Household:
    """One version of an RSU household."""

    household_id: str
    version: int
    status: HouseholdStatus
    change: HouseholdChange
    members: tuple[HouseholdMember, ...]
    residence: HouseholdResidence
    variables: SocioEconomicVariables
    index: SocioEconomicIndex | None  # None when dissolved
    created_at: datetime  # when the household was registered
    updated_at: datetime  # when this version was written

    @property
    def head(self) -> str | None:
        """The head's IDCS, or None for a dissolved household."""
        return next((m.idcs for m in self.members if m.relation is Relation.HEAD), None)


class ComplaintSubjectKind(enum.Enum):
    """What a complaint is about."""

    PERSON_DATA = "person_data"
    HOUSEHOLD_INDEX = "household_index"
    MEMBERSHIP = "membership"
    MERGE = "merge"


class ComplaintStatus(enum.Enum):
    """Where a complaint is in its lifecycle."""

    OPEN = "open"
    IN_REVIEW = "in_review"
    RESOLVED = "resolved"
    REJECTED = "rejected"


# The lifecycle: open -> in review -> resolved or rejected. Closed complaints are final.
COMPLAINT_TRANSITIONS: dict[ComplaintStatus, frozenset[ComplaintStatus]] = {
    ComplaintStatus.OPEN: frozenset({ComplaintStatus.IN_REVIEW}),
    ComplaintStatus.IN_REVIEW: frozenset({ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED}),
    ComplaintStatus.RESOLVED: frozenset(),
    ComplaintStatus.REJECTED: frozenset(),
}
CLOSED_STATUSES = frozenset({ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class ComplaintSubject:
    """The records a complaint names: an IDCS, a household id, or both, by kind."""

    kind: ComplaintSubjectKind
    idcs: str = ""
    household_id: str = ""


@dataclass(frozen=True, slots=True)
class ComplaintTransition:
    """One change of status; the filing is the first, from None to OPEN."""

    from_status: ComplaintStatus | None
    to_status: ComplaintStatus
    reason: str
    actor: str  # the caller id that made the change
    at: datetime


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint with its whole history (never rewritten)."""

    complaint_id: str
    subject: ComplaintSubject
    text: str
    filed_by: str
    history: tuple[ComplaintTransition, ...]

    @property
    def status(self) -> ComplaintStatus:
        return self.history[-1].to_status

    @property
    def filed_at(self) -> datetime:
        return self.history[0].at

    @property
    def closed_at(self) -> datetime | None:
        """When it was resolved or rejected; None while it is open or in review."""
        last = self.history[-1]
        return last.at if last.to_status in CLOSED_STATUSES else None

    @property
    def time_to_resolution(self) -> timedelta | None:
        closed = self.closed_at
        return None if closed is None else closed - self.filed_at
