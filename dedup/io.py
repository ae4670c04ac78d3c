"""Reading the records to deduplicate: a CSV or Parquet file, a column map, and row checks.

`read_frame` reads a file (errors name the path, never a line of it); `prepare_records` brings a
frame to the columns a `DedupConfig` reads: text stripped with ``""`` for missing, date parts as
integers with 0 for missing. A value that cannot be used (a birth year that is not a number, a
month of 13, an unknown precision) is a `RowProblem` naming the row and the column, never the
value; the value is treated as missing and every other row and column is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dedup.config import DATE_COLUMNS, DedupConfig
from dedup.errors import DedupInputError, InputFileError, MissingColumn
from dedup.quality.columns import BIRTH_PRECISIONS, _integer, _text

__all__ = [
    "INPUT_SUFFIXES",
    "PreparedRecords",
    "RowProblem",
    "apply_column_map",
    "parse_column_map",
    "prepare_records",
    "read_frame",
]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv",)
# The file kinds `read_frame` reads, by suffix (lowercase).
INPUT_SUFFIXES = _PARQUET + _CSV
ErrorFactory = Callable[[str, str], Exception]


def read_frame(
    path: str | os.PathLike[str],
    error: ErrorFactory = InputFileError,
    columns: Collection[str] | None = None,
    *,
    compact: bool = False,
) -> pd.DataFrame:
    """Read a CSV (UTF-8, with a header; every cell as text) or Parquet file; with ``columns``,
    only those of them the file has (a million records' unused text columns cost gigabytes).
    ``compact`` reads text columns as categoricals: each distinct name is one Python string,
    not one per record.

    Errors are ``error(path, message)``; the message names the kind of failure, never a value.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in _PARQUET + _CSV:
        raise error(str(file), "unsupported file extension (use .csv, .parquet or .pq)")
    if not file.is_file():
        raise error(str(file), "no such file")
    try:
        if suffix in _PARQUET:
            names = None
            if columns is not None:
                names = [c for c in pq.read_schema(file).names if c in set(columns)]
            if not compact:
                return pd.read_parquet(file, engine="pyarrow", columns=names)
            table = pq.read_table(file, columns=names)
            for i, field in enumerate(table.schema):
                if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                    table = table.set_column(i, field.name, pc.dictionary_encode(table.column(i)))
            return table.to_pandas()
        wanted = None if columns is None else set(columns)
        return pd.read_csv(
            file,
            dtype="category" if compact else str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
            usecols=None if wanted is None else (lambda c: c in wanted),
        )
    except UnicodeDecodeError as exc:
        raise error(str(file), "is not UTF-8 text") from exc
    except OSError as exc:
        raise error(str(file), f"cannot read: {exc.strerror or type(exc).__name__}") from exc
    except (ValueError, pa.ArrowException) as exc:
        # Parser messages can quote a line of the file: only the kind of error is shown.
        kind = "Parquet" if suffix in _PARQUET else "CSV"
        raise error(str(file), f"is not a readable {kind} file ({type(exc).__name__})") from exc


def parse_column_map(items: Sequence[str]) -> dict[str, str]:
    """``["prenom=first_name_latin", ...]`` → ``{"prenom": "first_name_latin"}`` (file column → column read)."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise MissingColumn(item, "a column map entry is FILE_COLUMN=FIELD")
        mapping[source] = target
    return mapping


def apply_column_map(frame: pd.DataFrame, column_map: Mapping[str, str] | None) -> pd.DataFrame:
    """Rename the file's columns (``{file column: column the config reads}``)."""
    mapping = dict(column_map or {})
    for source in mapping:
        if source not in frame.columns:
            raise MissingColumn(source, "is in the column map but not in the input")
    return frame.rename(columns=mapping)


@dataclass(frozen=True)
class RowProblem:
    """A value that could not be used: its row (1 = the first record) and column, and why."""

    row: int
    column: str
    problem: str

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "problem": self.problem}


@dataclass(frozen=True)
class PreparedRecords:
    """The records as the run reads them, their ids (``record_id``, or the row number), and the problems."""

    frame: pd.DataFrame
    record_ids: npt.NDArray[np.object_]
    problems: tuple[RowProblem, ...]


def _problems(mask: npt.NDArray[np.bool_], column: str, problem: str) -> list[RowProblem]:
    return [RowProblem(int(i) + 1, column, problem) for i in np.flatnonzero(mask)]


def _prepare_dates(frame: pd.DataFrame, out: dict[str, pd.Series], problems: list[RowProblem]) -> None:
    n = len(frame)
    limits = {"birth_year": (1850, 2100), "birth_month": (1, 12), "birth_day": (1, 31)}
    for column, (low, high) in limits.items():
        if column not in frame.columns:
            out[column] = pd.Series(np.zeros(n, dtype=np.int64))
            continue
        values = _integer(frame[column]).to_numpy()
        bad_number = values == -1
        problems += _problems(bad_number, column, "not a whole number")
        out_of_range = (values != 0) & ~bad_number & ((values < low) | (values > high))
        problems += _problems(out_of_range, column, f"outside {low}..{high}")
        out[column] = pd.Series(np.where(bad_number | out_of_range, 0, values).astype(np.int64))
    year, month, day = (out[c].to_numpy() for c in ("birth_year", "birth_month", "birth_day"))
    derived = np.where(
        year == 0,
        "unknown",
        np.where(month == 0, "year", np.where(day == 0, "year_month", "full")),
    ).astype(object)
    if "birth_precision" in frame.columns:
        given = _text(frame["birth_precision"]).to_numpy(dtype=object)
        unknown = (given != "") & ~np.isin(given, BIRTH_PRECISIONS)
        problems += _problems(unknown, "birth_precision", f"not one of {', '.join(BIRTH_PRECISIONS)}")
        # A precision finer than the parts present cannot hold: the parts decide.
        rank = {"unknown": 0, "year": 1, "year_month": 2, "full": 3}
        given_rank = np.array([rank.get(v, -1) for v in given])
        derived_rank = np.array([rank[v] for v in derived])
        keep = (given_rank >= 0) & (given_rank <= derived_rank)
        out["birth_precision"] = pd.Series(np.where(keep, given, derived).astype(object))
    else:
        out["birth_precision"] = pd.Series(derived)


def prepare_records(frame: pd.DataFrame, config: DedupConfig) -> PreparedRecords:
    """The columns ``config`` reads, checked; raises `MissingColumn` for a column it needs and lacks."""
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if n == 0:
        raise DedupInputError("the input holds no records", field="input")
    out: dict[str, pd.Series] = {}
    problems: list[RowProblem] = []
    for spec in config.fields:
        if spec.kind == "date":
            if "birth_year" not in frame.columns:
                raise MissingColumn("birth_year", "the date of birth needs it (and birth_month, birth_day)")
            continue
        present = [c for c in spec.columns() if c in frame.columns]
        if not present:
            wanted = " or ".join(repr(c) for c in spec.columns())
            raise MissingColumn(spec.columns()[0], f"field {spec.name!r} needs {wanted}; map yours with --column-map")
    for training in config.training:
        if training.key not in frame.columns:
            raise MissingColumn(training.key, "the training round keyed on it needs it")
    if any(spec.kind == "date" for spec in config.fields) or "birth_year" in frame.columns:
        _prepare_dates(frame, out, problems)
    needed = set(config.input_columns())
    for column in frame.columns:
        if column in needed and column not in out and column not in DATE_COLUMNS and column != "record_id":
            out[str(column)] = _text(frame[column])
    if "record_id" in frame.columns:
        ids = _text(frame["record_id"]).to_numpy(dtype=object)
        empty = ids == ""
        if empty.any():
            raise DedupInputError(
                f"record_id is empty in {int(empty.sum())} row(s), first row {int(np.argmax(empty)) + 1}", "record_id"
            )
        repeated = pd.Series(ids).duplicated()
        if repeated.any():
            first = int(np.argmax(repeated.to_numpy())) + 1
            raise DedupInputError(
                f"record_id repeats in {int(repeated.sum())} row(s), first at row {first}", "record_id"
            )
    else:
        ids = np.array([str(i) for i in range(1, n + 1)], dtype=object)
    prepared = pd.DataFrame(out)
    prepared.index = pd.RangeIndex(n)
    problems.sort(key=lambda p: (p.row, p.column))
    return PreparedRecords(prepared, ids, tuple(problems))
