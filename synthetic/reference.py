"""Reference tables of Moroccan names, provinces and address pieces, loaded from JSON."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from synthetic.errors import ReferenceDataError

__all__ = [
    "ERAS",
    "ORIGINS",
    "PARTICLES",
    "AddressParts",
    "NameEntry",
    "Province",
    "address_parts",
    "female_first_names",
    "male_first_names",
    "provinces",
    "surnames",
]

ERAS: tuple[str, ...] = ("old", "mid", "young")
ORIGINS: tuple[str, ...] = ("amazigh", "hassani")
PARTICLES: tuple[str, ...] = ("el", "ben", "bel", "ait", "ou", "id", "ould")


@dataclass(frozen=True)
class NameEntry:
    """One name: its Arabic spelling (the reference) and its Latin transcriptions.

    ``latin`` is ordered most common first. ``weight`` is a relative frequency. ``era`` and
    ``origin`` shift the draw by birth cohort and province; ``particle`` and ``stem`` say how
    a surname's particle can be rewritten (El Alaoui / Alaoui / Elalaoui).
    """

    arabic: str
    latin: tuple[str, ...]
    weight: float
    era: str | None = None
    origin: str | None = None
    particle: str | None = None
    stem: str | None = None


@dataclass(frozen=True)
class Province:
    """A prefecture or province with what the generator needs to place people in it."""

    code: str
    name_fr: str
    name_ar: str
    kind: str
    region: str
    region_ar: str
    population: int
    city: str
    cin_prefixes: tuple[str, ...]
    amazigh_share: float
    hassani_share: float
    urban_share: float
    comment: str = ""


@dataclass(frozen=True)
class AddressParts:
    """Pieces that addresses are assembled from."""

    street_types: tuple[str, ...]
    street_names: tuple[str, ...]
    quarters: tuple[str, ...]
    residences: tuple[str, ...]
    douar_stems: tuple[str, ...]


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"duplicate JSON keys {dupes}")
    return dict(pairs)


def load_json(filename: str) -> Any:
    """Parse a packaged data file, rejecting duplicate object keys."""
    try:
        text = resources.files("synthetic.data").joinpath(filename).read_text(encoding="utf-8")
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except (OSError, ValueError) as exc:
        raise ReferenceDataError(filename, f"cannot load: {exc}") from exc


def _entries(filename: str) -> list[dict[str, Any]]:
    doc = load_json(filename)
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise ReferenceDataError(filename, "expected an object with an 'entries' list")
    return doc["entries"]


def _name_entries(filename: str) -> tuple[NameEntry, ...]:
    out: list[NameEntry] = []
    seen: set[str] = set()
    for i, raw in enumerate(_entries(filename)):
        try:
            entry = NameEntry(
                arabic=str(raw["arabic"]),
                latin=tuple(str(v) for v in raw["latin"]),
                weight=float(raw["weight"]),
                era=raw.get("era"),
                origin=raw.get("origin"),
                particle=raw.get("particle"),
                stem=raw.get("stem"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceDataError(filename, f"entry {i} is malformed: {exc!r}") from exc
        where = f"entry {i} ({entry.arabic})"
        if entry.arabic in seen:
            raise ReferenceDataError(filename, f"{where}: duplicate Arabic name")
        seen.add(entry.arabic)
        if not entry.latin or len(set(entry.latin)) != len(entry.latin):
            raise ReferenceDataError(filename, f"{where}: empty or repeated Latin variants")
        if not entry.weight > 0:
            raise ReferenceDataError(filename, f"{where}: weight must be > 0")
        if entry.era is not None and entry.era not in ERAS:
            raise ReferenceDataError(filename, f"{where}: unknown era {entry.era!r}")
        if entry.origin is not None and entry.origin not in ORIGINS:
            raise ReferenceDataError(filename, f"{where}: unknown origin {entry.origin!r}")
        if (entry.particle is None) != (entry.stem is None):
            raise ReferenceDataError(filename, f"{where}: particle and stem go together")
        if entry.particle is not None and entry.particle not in PARTICLES:
            raise ReferenceDataError(filename, f"{where}: unknown particle {entry.particle!r}")
        out.append(entry)
    return tuple(out)


@functools.cache
def male_first_names() -> tuple[NameEntry, ...]:
    """Male given names."""
    return _name_entries("male_first_names.json")


@functools.cache
def female_first_names() -> tuple[NameEntry, ...]:
    """Female given names."""
    return _name_entries("female_first_names.json")


@functools.cache
def surnames() -> tuple[NameEntry, ...]:
    """Family names."""
    return _name_entries("surnames.json")


@functools.cache
def provinces() -> tuple[Province, ...]:
    """The 75 prefectures and provinces."""
    filename = "provinces.json"
    out: list[Province] = []
    for i, raw in enumerate(_entries(filename)):
        try:
            province = Province(
                code=str(raw["code"]),
                name_fr=str(raw["name_fr"]),
                name_ar=str(raw["name_ar"]),
                kind=str(raw["kind"]),
                region=str(raw["region"]),
                region_ar=str(raw["region_ar"]),
                population=int(raw["population"]),
                city=str(raw["city"]),
                cin_prefixes=tuple(str(p) for p in raw["cin_prefixes"]),
                amazigh_share=float(raw["amazigh_share"]),
                hassani_share=float(raw["hassani_share"]),
                urban_share=float(raw["urban_share"]),
                comment=str(raw.get("comment", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReferenceDataError(filename, f"entry {i} is malformed: {exc!r}") from exc
        shares = (province.amazigh_share, province.hassani_share, province.urban_share)
        if (
            province.population <= 0
            or not province.cin_prefixes
            or not all(0.0 <= s <= 1.0 for s in shares)
            or province.amazigh_share + province.hassani_share > 1.0
        ):
            raise ReferenceDataError(filename, f"entry {i} ({province.code}): bad values")
        out.append(province)
    codes = [p.code for p in out]
    if len(set(codes)) != len(codes):
        raise ReferenceDataError(filename, "duplicate province codes")
    return tuple(out)


@functools.cache
def address_parts() -> AddressParts:
    """Street, quarter, residence and douar names."""
    filename = "addresses.json"
    doc = load_json(filename)
    try:
        parts = AddressParts(
            street_types=tuple(doc["street_types"]),
            street_names=tuple(doc["street_names"]),
            quarters=tuple(doc["quarters"]),
            residences=tuple(doc["residences"]),
            douar_stems=tuple(doc["douar_stems"]),
        )
    except (KeyError, TypeError) as exc:
        raise ReferenceDataError(filename, f"malformed: {exc!r}") from exc
    if not all((parts.street_types, parts.street_names, parts.quarters, parts.residences, parts.douar_stems)):
        raise ReferenceDataError(filename, "every list must be non-empty")
    return parts
