"""Households' data shared by the RSU tests: residences, variables, and households of enrolled persons."""

from __future__ import annotations

from collections.abc import Callable

from registry_store import (
    Area,
    Asset,
    CookingFuel,
    Demographics,
    DwellingType,
    Electricity,
    HouseholdMember,
    HouseholdResidence,
    RegistryStore,
    Relation,
    Sanitation,
    SocioEconomicVariables,
    Tenure,
    WaterSource,
)

URBAN = HouseholdResidence(commune_code="141.01.03", area=Area.URBAN)
RURAL = HouseholdResidence(commune_code="351.07.11", area=Area.RURAL)

COMFORTABLE = SocioEconomicVariables(
    dwelling_type=DwellingType.APARTMENT,
    tenure=Tenure.OWNER,
    rooms=4,
    water_source=WaterSource.PIPED_IN_DWELLING,
    electricity=Electricity.GRID_OWN_METER,
    sanitation=Sanitation.SEWER,
    cooking_fuel=CookingFuel.BUTANE_GAS,
    assets=frozenset({Asset.REFRIGERATOR, Asset.TELEVISION, Asset.WASHING_MACHINE, Asset.CAR}),
    monthly_expenses_mad=9000,
)
POOR = SocioEconomicVariables(
    dwelling_type=DwellingType.RURAL_HOUSE,
    tenure=Tenure.OWNER,
    rooms=2,
    water_source=WaterSource.WELL_OR_SPRING,
    electricity=Electricity.GRID_SHARED,
    sanitation=Sanitation.NONE,
    cooking_fuel=CookingFuel.WOOD_OR_CHARCOAL,
    assets=frozenset({Asset.LIVESTOCK}),
    monthly_expenses_mad=1500,
)


def enrol_people(store: RegistryStore, demographics: Callable[[int], Demographics], first: int, n: int) -> list[str]:
    """Enrol persons first .. first + n - 1 (the conftest's make_demographics); their IDCSs."""
    return [store.enrol(demographics(i)).person.idcs for i in range(first, first + n)]


def family(idcs: list[str]) -> list[HouseholdMember]:
    """A head, a spouse, then children."""
    relations = [Relation.HEAD, Relation.SPOUSE] + [Relation.CHILD] * max(0, len(idcs) - 2)
    return [HouseholdMember(i, r) for i, r in zip(idcs, relations, strict=False)]
