"""Where the tables of a data-quality report come from: a CSV or Parquet file, or the registers' records.

The register functions take the records the store yields (``RegistryStore.iter_persons()``,
``HouseholdStore.iter_households()``) rather than the store, so this package reads no database.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dedup import io as dedup_io
from dedup.demographics import register_columns
from dedup.errors import MissingColumn, QualityFileError, UnknownColumn
from dedup.quality.columns import KNOWN_COLUMNS
from dedup.quality.duplicates import DuplicateEstimator
from dedup.quality.report import QualityReport, assess

if TYPE_CHECKING:
    from registry_store.model import Demographics, Person
    from registry_store.social_model import Household

__all__ = ["assess_registers", "members_frame", "parse_column_map", "persons_frame", "read_table"]


def parse_column_map(items: Sequence[str]) -> dict[str, str]:
    """``["prenom=first_name_latin", ...]`` → ``{"prenom": "first_name_latin"}`` (file column → field)."""
    try:
        mapping = dedup_io.parse_column_map(items)
    except MissingColumn as exc:
        raise UnknownColumn(exc.column, "a column map entry is FILE_COLUMN=FIELD") from exc
    for target in mapping.values():
        if target not in KNOWN_COLUMNS:
            raise UnknownColumn(target, f"is not a field of the report ({', '.join(KNOWN_COLUMNS)})")
    return mapping


def read_table(path: str | os.PathLike[str], column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8, with a header) or Parquet file, renaming columns by ``column_map``.

    Every CSV cell is read as text (the checks decide what is a valid number); columns the
    report does not know are kept but ignored. Errors name the path or the column, never a value.
    """
    file = Path(path)
    frame = dedup_io.read_frame(file, error=QualityFileError)
    mapping = dict(column_map or {})
    for source, target in mapping.items():
        if source not in frame.columns:
            raise UnknownColumn(source, f"is not a column of {file}")
        if target not in KNOWN_COLUMNS:
            raise UnknownColumn(target, "is not a field of the report")
    frame = frame.rename(columns=mapping)
    if not any(c in KNOWN_COLUMNS for c in frame.columns):
        raise QualityFileError(
            str(file), "has none of the report's columns: map yours with --column-map FILE_COLUMN=FIELD"
        )
    return frame


def persons_frame(persons: Iterable[Person]) -> pd.DataFrame:
    """RNP persons as a table: ``idcs``, the register columns (`dedup.demographics`), ``status``."""
    idcs: list[str] = []
    status: list[str] = []

    def demographics() -> Iterator[Demographics]:
        for person in persons:
            idcs.append(person.idcs)
            status.append(person.status.value)
            yield person.demographics

    columns = register_columns(demographics())  # fills idcs and status as it reads
    return pd.DataFrame(
        {"idcs": np.array(idcs, dtype=object), **columns, "status": np.array(status, dtype=object)}, copy=False
    )


def members_frame(households: Iterable[Household], persons: pd.DataFrame) -> pd.DataFrame:
    """RSU household members, one row each, with their RNP sex, date of birth and status.

    ``persons`` is `persons_frame` of the RNP; a member whose IDCS it lacks gets
    ``member_status`` ``missing`` and no date of birth.
    """
    ids: list[str] = []
    members: list[str] = []
    relations: list[str] = []
    for household in households:
        for member in household.members:
            ids.append(household.household_id)
            members.append(member.idcs)
            relations.append(member.relation.value)
    # Typed columns: with no household at all, bare lists would make float64 columns that the
    # merge below refuses to join to the persons' text IDCS.
    text = {"household_id": ids, "idcs": members, "relation": relations}
    frame = pd.DataFrame({name: np.array(values, dtype=object) for name, values in text.items()})
    facts = ["sex", "birth_year", "birth_month", "birth_day", "birth_precision", "status"]
    known = persons[["idcs", *facts]].drop_duplicates("idcs")
    frame = frame.merge(known, on="idcs", how="left")
    frame["member_status"] = frame.pop("status").fillna("missing")
    for column in ("birth_year", "birth_month", "birth_day"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("sex", "birth_precision"):
        frame[column] = frame[column].fillna("")
    return frame


def assess_registers(
    persons: Iterable[Person],
    households: Iterable[Household] | None = None,
    *,
    include_rnp: bool = True,
    as_of: date | None = None,
    estimator: DuplicateEstimator | None = None,
) -> tuple[QualityReport, ...]:
    """The RNP's report (merged IDCSs left out: they are retired records) and, given households, the RSU's.

    ``include_rnp=False`` gives only the RSU's (the persons are still read: the members' dates
    of birth and statuses come from them).
    """
    people = persons_frame(persons)
    reports = []
    if include_rnp:
        active = people[people["status"] != "merged"]
        reports.append(assess(active, dataset="rnp", source="RNP register", as_of=as_of, estimator=estimator))
    if households is not None:
        members = members_frame(households, people)
        reports.append(assess(members, dataset="rsu", source="RSU register", as_of=as_of, estimator=estimator))
    return tuple(reports)
