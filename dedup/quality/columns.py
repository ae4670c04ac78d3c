"""The table the data-quality checks read: its columns, and how any input frame is brought to it.

Person columns are those of the synthetic register records (``synthetic.schema.COLUMNS``, which
is also the batch files' layout) plus ``idcs``. An RSU extract adds one row per household member:
``household_id``, ``relation`` (to the head, `RELATIONS`) and optionally ``member_status`` (the
member's RNP status, or ``missing`` when the IDCS is not in the RNP). Household checks take the
head's birth year from the head's own row, so a members table needs ``birth_year`` on every row.

Missing values are ``""`` in text columns and ``0`` in the date columns; a date part that is
not an integer at all becomes ``-1``, which every date check counts as invalid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "BIRTH_PRECISIONS",
    "INT_COLUMNS",
    "KNOWN_COLUMNS",
    "MEMBER_STATUSES",
    "NAME_COLUMNS",
    "RELATIONS",
    "SEXES",
    "TEXT_COLUMNS",
    "prepare",
]

NAME_COLUMNS: tuple[str, ...] = (
    "first_name_latin",
    "first_name_arabic",
    "last_name_latin",
    "last_name_arabic",
    "father_first_name_latin",
    "father_first_name_arabic",
    "mother_first_name_latin",
    "mother_first_name_arabic",
)
TEXT_COLUMNS: tuple[str, ...] = (
    "record_id",
    "entity_id",
    "idcs",
    *NAME_COLUMNS,
    "sex",
    "birth_precision",
    "birth_place_code",
    "cin",
    "phone",
    "commune_code",
    "address",
    "household_id",
    "relation",
    "member_status",
)
INT_COLUMNS: tuple[str, ...] = ("birth_year", "birth_month", "birth_day")
KNOWN_COLUMNS: tuple[str, ...] = (*TEXT_COLUMNS, *INT_COLUMNS)

# The registers' code lists (registry_store.model / social_model; a test keeps them equal).
SEXES: tuple[str, ...] = ("M", "F")
BIRTH_PRECISIONS: tuple[str, ...] = ("full", "year_month", "year", "unknown")
RELATIONS: tuple[str, ...] = (
    "head",
    "spouse",
    "child",
    "parent",
    "sibling",
    "grandchild",
    "other_relative",
    "non_relative",
)
# "missing": the member's IDCS is not in the RNP at all.
MEMBER_STATUSES: tuple[str, ...] = ("active", "deceased", "merged", "missing")

_UNPARSEABLE = -1


# Below this many values, text is cleaned by a Python loop: a duplicate search prepares its query
# and a few candidates, where pandas' factorise and mask machinery cost ~0.4 ms a column.
_FEW = 64


def _one_text(value: object) -> str:
    """One value as the general path of `_text` makes it: missing → "", anything else → str, stripped."""
    if isinstance(value, str):
        return value.strip()
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value).strip()


def _text(values: pd.Series) -> pd.Series:
    if values.dtype == object and len(values) <= _FEW:
        return pd.Series([_one_text(v) for v in values.to_numpy()], index=values.index, dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=False) in ("string", "empty"):
            # A dictionary-encoded column (the dedup engine reads text so): strip each category
            # once and gather by code; -1 (missing) takes the last entry, "".
            stripped = np.array([c.strip() for c in categories] + [""], dtype=object)
            return pd.Series(stripped[values.cat.codes.to_numpy()], index=values.index)
    out = values.astype(object)
    if pd.api.types.infer_dtype(out, skipna=False) not in ("string", "empty"):
        out = out.where(out.notna(), "").map(lambda v: v if isinstance(v, str) else str(v))
    # Stripped once per distinct value: names and codes repeat a lot.
    codes, uniques = pd.factorize(out.to_numpy(dtype=object))
    stripped = np.array([u.strip() for u in uniques] + [""], dtype=object)  # [-1]: none
    return pd.Series(stripped[codes], index=values.index)


def _integer(values: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(values.dtype) and not isinstance(values.dtype, pd.CategoricalDtype):
        return values.fillna(0).astype(np.int64)
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(np.full(len(values), _UNPARSEABLE, dtype=np.int64), index=values.index)
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values == np.floor(values)) & (values.abs() < 1e9)
        filled = values.fillna(0).where(whole | values.isna(), _UNPARSEABLE)
        return filled.astype(np.int64)
    text = _text(values)
    number = pd.to_numeric(text, errors="coerce")
    whole = number.notna() & (number == np.floor(number)) & (number.abs() < 1e9)
    out = np.where(text == "", 0, np.where(whole, number.fillna(0), _UNPARSEABLE))
    return pd.Series(out.astype(np.int64), index=values.index)


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The known columns of ``frame`` as the checks read them (a new frame, index 0..n-1).

    Text columns become stripped ``str`` with ``""`` for missing; date parts become int64 with
    0 for missing and -1 for a value that is not a whole number. Other columns are dropped.
    """
    frame = frame.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for column in KNOWN_COLUMNS:
        if column in frame.columns:
            values = frame[column]
            out[column] = _integer(values) if column in INT_COLUMNS else _text(values)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
