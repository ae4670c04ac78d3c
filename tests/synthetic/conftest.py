"""Shared seeded data sets for the synthetic tests (built once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from synthetic import Duplicates, Families, generate_families, make_duplicates

POPULATION_SIZE = 30_000
SEED = 20_240_917
DUPLICATE_RATE = 0.3


@pytest.fixture(scope="session")
def families() -> Families:
    return generate_families(POPULATION_SIZE, SEED)


@pytest.fixture(scope="session")
def people(families: Families) -> pd.DataFrame:
    return families.records


@pytest.fixture(scope="session")
def duplicates(people: pd.DataFrame) -> Duplicates:
    return make_duplicates(people, DUPLICATE_RATE, SEED)
