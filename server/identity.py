"""The register's demographics as the matcher sees them (registry_store model → matcher types)."""

from __future__ import annotations

from matcher.authentication import DateValue, Identity, NameValue
from registry_store.model import Demographics, Name, Sex

__all__ = ["identity_from_demographics"]


def _name(name: Name) -> NameValue:
    return NameValue(name.latin, name.arabic)


def identity_from_demographics(d: Demographics) -> Identity:
    """A registered record, or a claim, as a matcher `Identity` (empty fields stay empty)."""
    b = d.birth_date
    return Identity(
        first_name=_name(d.first_name),
        last_name=_name(d.last_name),
        father_first_name=_name(d.father_first_name),
        mother_first_name=_name(d.mother_first_name),
        sex="" if d.sex is Sex.UNSPECIFIED else d.sex.value,
        birth_date=DateValue(b.year, b.month, b.day, b.precision.value),
        birth_place_code=d.birth_place_code,
        cin=d.cin,
        phone=d.phone,
        commune_code=d.residence.commune_code,
        address=d.residence.address,
    )
