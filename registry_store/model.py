"""Domain records of the RNP register: persons, their demographics, and audit entries."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Sex(enum.Enum):
    """Sex as recorded on the birth act."""

    UNSPECIFIED = "U"
    MALE = "M"
    FEMALE = "F"


class DatePrecision(enum.Enum):
    """How much of a date of birth is known (older registrations often give only a year)."""

    UNKNOWN = "unknown"
    YEAR = "year"
    YEAR_MONTH = "year_month"
    FULL = "full"


class PersonStatus(enum.Enum):
    """Life-cycle status of an RNP person."""

    ACTIVE = "active"
    DECEASED = "deceased"
    MERGED = "merged"


@dataclass(frozen=True, slots=True)
class Name:
    """One name in both scripts; either may be empty."""

    latin: str = ""
    arabic: str = ""

    def is_empty(self) -> bool:
        return not self.latin and not self.arabic


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A date of birth with its precision; parts beyond the precision are 0."""

    year: int = 0
    month: int = 0
    day: int = 0
    precision: DatePrecision = DatePrecision.UNKNOWN


@dataclass(frozen=True, slots=True)
class Residence:
    """Where a person lives: a commune code and a free-text address."""

    commune_code: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class Demographics:
    """The attributes of a person that are registered and can be claimed."""

    first_name: Name = field(default_factory=Name)
    last_name: Name = field(default_factory=Name)
    father_first_name: Name = field(default_factory=Name)
    mother_first_name: Name = field(default_factory=Name)
    sex: Sex = Sex.UNSPECIFIED
    birth_date: BirthDate = field(default_factory=BirthDate)
    birth_place_code: str = ""
    cin: str = ""
    phone: str = ""
    residence: Residence = field(default_factory=Residence)


@dataclass(frozen=True, slots=True)
class Person:
    """One version of an RNP person."""

    idcs: str
    version: int
    demographics: Demographics
    status: PersonStatus
    merged_into: str
    created_at: datetime  # when the person was first enrolled
    updated_at: datetime  # when this version was written


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One answered authentication: no names, dates or raw IDCS, only a keyed hash."""

    transaction_id: str
    caller_id: str
    idcs_hash: str
    decision: str
    reason: str
    created_at: datetime
