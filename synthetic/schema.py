"""Column layout of synthetic register records and the date they are observed at."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BIRTH_PRECISIONS",
    "COLUMNS",
    "INT_COLUMNS",
    "REFERENCE_DATE",
    "STRING_COLUMNS",
    "TRUTH_COLUMNS",
    "empty_population",
    "frame",
]

# Ages, CIN eligibility and "year off" corrections are computed against this fixed day rather
# than today, so a seed gives the same register whenever it is run.
REFERENCE_DATE = datetime.date(2025, 1, 1)

COLUMNS: tuple[str, ...] = (
    "record_id",
    "entity_id",
    "first_name_latin",
    "first_name_arabic",
    "last_name_latin",
    "last_name_arabic",
    "father_first_name_latin",
    "father_first_name_arabic",
    "mother_first_name_latin",
    "mother_first_name_arabic",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_precision",
    "birth_place_code",
    "cin",
    "phone",
    "commune_code",
    "address",
)

# Missing values are "" in string columns and 0 in integer columns, never NaN/None.
INT_COLUMNS: tuple[str, ...] = ("birth_year", "birth_month", "birth_day")
STRING_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in INT_COLUMNS)

TRUTH_COLUMNS: tuple[str, ...] = ("record_id", "entity_id")

# full: day, month and year; year_month: day is 0; year: month and day are 0;
# unknown: all three are 0.
BIRTH_PRECISIONS: tuple[str, ...] = ("full", "year_month", "year", "unknown")


def frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """Build a record frame in ``COLUMNS`` order: string columns as str, the others as int64."""
    data = {
        c: pd.Series(columns[c], dtype=np.int64) if c in INT_COLUMNS else pd.Series(columns[c], dtype=str)
        for c in COLUMNS
    }
    return pd.DataFrame(data)


def empty_population() -> pd.DataFrame:
    """A population frame with no rows and the right columns and dtypes."""
    return frame({c: np.zeros(0, dtype=np.int64 if c in INT_COLUMNS else object) for c in COLUMNS})
