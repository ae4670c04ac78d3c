"""The demo set-up of ``hawiya serve --demo``: a synthetic population and a demo caller."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from registry_store.model import (
    BirthDate,
    DatePrecision,
    Demographics,
    Name,
    Person,
    Residence,
    Sex,
)
from registry_store.store import RegistryStore
from server.callers import add_caller
from server.config import Config

__all__ = ["DEMO_CALLER", "DemoInfo", "demographics_from_row", "prepare_demo"]

log = logging.getLogger(__name__)

DEMO_CALLER = "demo-programme"
DEMO_KEY_FILE = "demo-api-key"
DEMO_SEED = 20261130


@dataclass(frozen=True, slots=True)
class DemoInfo:
    api_key: str
    example: Person


def demographics_from_row(row: dict) -> Demographics:
    """One row of a synthetic population (see :mod:`synthetic`) as register demographics."""
    precision = DatePrecision(row["birth_precision"])
    return Demographics(
        first_name=Name(row["first_name_latin"], row["first_name_arabic"]),
        last_name=Name(row["last_name_latin"], row["last_name_arabic"]),
        father_first_name=Name(row["father_first_name_latin"], row["father_first_name_arabic"]),
        mother_first_name=Name(row["mother_first_name_latin"], row["mother_first_name_arabic"]),
        sex=Sex(row["sex"]),
        birth_date=BirthDate(int(row["birth_year"]), int(row["birth_month"]), int(row["birth_day"]), precision),
        birth_place_code=row["birth_place_code"],
        cin=row["cin"],
        phone=row["phone"],
        residence=Residence(row["commune_code"], row["address"]),
    )


def _demo_key(config: Config) -> str:
    """The demo caller's key: created with the caller on first start, kept in the data dir."""
    key_path = config.data_dir / DEMO_KEY_FILE
    if key_path.exists():
        return key_path.read_text(encoding="ascii").strip()
    key = add_caller(
        config.effective_callers_file,
        DEMO_CALLER,
        ["Authentication/*", "Registry/*", "Residents/*"],
        ["EXACT", "PHONETIC", "FUZZY"],
        # The demo shows everything; a real programme's policy reads nothing it does not need.
        readable_attributes=["*"],
        reveal_unknown_idcs=True,
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key


def _load_population(store: RegistryStore, size: int) -> None:
    from synthetic import generate

    people, _ = generate(size, DEMO_SEED)
    log.info("demo: enrolling %d synthetic persons", len(people))
    for row in people.to_dict("records"):
        store.enrol(demographics_from_row(row), idempotency_key=f"demo-{DEMO_SEED}-{row['record_id']}")


def _example(store: RegistryStore) -> Person:
    fallback = None
    for person in store.iter_persons():
        d = person.demographics
        fallback = fallback or person
        adult = 0 < d.birth_date.year <= 2000
        if adult and d.birth_date.precision is DatePrecision.FULL and d.first_name.latin and d.last_name.latin:
            return person
    if fallback is None:
        raise RuntimeError("the demo register is empty")
    return fallback


def prepare_demo(config: Config, store: RegistryStore, size: int) -> DemoInfo:
    """Load the demo population if the register is empty, create the demo caller if absent."""
    key = _demo_key(config)
    if store.count_persons() == 0:
        _load_population(store, size)
    return DemoInfo(api_key=key, example=_example(store))


def example_command(target: str, info: DemoInfo, executable: str = "hawiya") -> str:
    """A ready-to-run authentication of the example demo person."""
    d = info.example.demographics
    b = d.birth_date
    date = {
        DatePrecision.FULL: f"{b.year:04d}-{b.month:02d}-{b.day:02d}",
        DatePrecision.YEAR_MONTH: f"{b.year:04d}-{b.month:02d}",
        DatePrecision.YEAR: f"{b.year:04d}",
    }.get(b.precision)
    parts = [
        executable,
        "client",
        "authenticate",
        "--target",
        target,
        "--api-key",
        info.api_key,
        "--idcs",
        info.example.idcs,
        "--first-name",
        _quote(d.first_name.latin),
        "--last-name",
        _quote(d.last_name.latin),
        "--sex",
        d.sex.value,
    ]
    if date:
        parts += ["--birth-date", date]
    return " ".join(parts)


def _quote(text: str) -> str:
    return f'"{text}"' if " " in text or "'" in text else text


def demo_key_path(data_dir: Path) -> Path:
    return data_dir / DEMO_KEY_FILE
