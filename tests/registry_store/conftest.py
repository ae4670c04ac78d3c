"""Fixtures for the registry_store contract suite: one store per backend, seeded demographics."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry_store import (
    BirthDate,
    DatePrecision,
    Demographics,
    Name,
    RegistryStore,
    Residence,
    Sex,
)
from registry_store.engine import normalise_url
from registry_store.schema import METADATA

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hawiya_test"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

_FIRST = [
    ("Mohammed", "محمد"),
    ("Fatima Zahra", "فاطمة الزهراء"),
    ("Youssef", "يوسف"),
    ("Khadija", "خديجة"),
    ("Hamza", "حمزة"),
    ("Aicha", "عائشة"),
    ("Zakaria", "زكرياء"),
    ("Salma", "سلمى"),
]
_LAST = [
    ("El Alaoui", "العلوي"),
    ("Bennani", "بناني"),
    ("Ait Ouahmane", "آيت وحمان"),
    ("Tazi", "التازي"),
    ("Ben Abdellah", "بن عبد الله"),
    ("Idrissi", "الإدريسي"),
]


def pg_url() -> str:
    return os.environ.get("HAWIYA_TEST_PG_URL", DEFAULT_PG_URL)


def reset_postgres(url: str) -> None:
    """Drop the registry tables so that each test starts from an empty database."""
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            METADATA.drop_all(conn)
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL given by HAWIYA_TEST_PG_URL is unreachable ({type(exc).__name__});"
            " start it or deselect these tests with -m 'not postgres'"
        )
    finally:
        engine.dispose()


def make_demographics(i: int) -> Demographics:
    """A deterministic, distinct person for each i (distinct CIN, phone and address)."""
    first = _FIRST[i % len(_FIRST)]
    last = _LAST[(i // len(_FIRST)) % len(_LAST)]
    father = _FIRST[(i * 7 + 3) % len(_FIRST)]
    mother = _FIRST[(i * 5 + 1) % len(_FIRST)]
    precision = [DatePrecision.FULL, DatePrecision.YEAR, DatePrecision.YEAR_MONTH][i % 3]
    year = 1940 + i % 80
    month = 0 if precision is DatePrecision.YEAR else 1 + i % 12
    day = 1 + i % 28 if precision is DatePrecision.FULL else 0
    return Demographics(
        first_name=Name(*first),
        last_name=Name(*last),
        father_first_name=Name(*father),
        mother_first_name=Name(*mother),
        sex=Sex.FEMALE if i % 2 else Sex.MALE,
        birth_date=BirthDate(year=year, month=month, day=day, precision=precision),
        birth_place_code=f"{141 + i % 50:03d}.01",
        cin=f"BK{i:06d}",
        phone=f"+2126{i:08d}",
        residence=Residence(commune_code=f"{i % 1500:04d}", address=f"{i} derb Sidi Ahmed, Fès"),
    )


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    url = pg_url()
    reset_postgres(url)
    return url


@pytest.fixture
def pg_store_url() -> str:
    """The URL of an empty PostgreSQL store (for PostgreSQL-only tests)."""
    url = pg_url()
    reset_postgres(url)
    return url


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., RegistryStore]]:
    """Open stores on the test's backend; every one is closed at teardown."""
    opened: list[RegistryStore] = []

    def _make(**kwargs: object) -> RegistryStore:
        store = RegistryStore.from_url(store_url, **kwargs)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield _make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., RegistryStore]) -> RegistryStore:
    """An empty store on each backend (parametrized: sqlite, postgresql)."""
    return make_store()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[RegistryStore]:
    """An empty SQLite store, for the SQLite-specific tests."""
    store = RegistryStore.from_url(f"sqlite:///{tmp_path / 'registry.db'}")
    yield store
    store.close()


@pytest.fixture
def demographics() -> Callable[[int], Demographics]:
    """The make_demographics factory, as a fixture."""
    return make_demographics
