"""Reading and writing population and truth tables as Parquet or CSV, chosen by extension."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from synthetic.errors import PopulationFileError, UnsupportedFormatError
from synthetic.schema import INT_COLUMNS

__all__ = ["read_population", "write_population"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv",)


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _PARQUET:
        return "parquet"
    if suffix in _CSV:
        return "csv"
    raise UnsupportedFormatError(str(path))


def write_population(path: str | os.PathLike[str], df: pd.DataFrame) -> Path:
    """Write ``df`` (records or truth) to ``path`` atomically; returns the path written.

    ``.parquet``/``.pq`` give Parquet (pyarrow), ``.csv`` gives UTF-8 CSV without an index.
    The file is written next to its destination and renamed into place, so a reader never
    sees half a file.
    """
    target = Path(path)
    fmt = _format(target)
    tmp_name = ""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        os.close(fd)
        if fmt == "parquet":
            df.to_parquet(tmp_name, engine="pyarrow", index=False)
        else:
            df.to_csv(tmp_name, index=False, encoding="utf-8")
        os.replace(tmp_name, target)
    except (OSError, ValueError, pa.ArrowException) as exc:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise PopulationFileError(str(target), f"cannot write: {exc}") from exc
    return target


def read_population(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table written by ``write_population``: strings stay strings ("" not NaN), and
    ``birth_year``, ``birth_month`` and ``birth_day`` are int64."""
    source = Path(path)
    fmt = _format(source)
    try:
        if fmt == "parquet":
            return pd.read_parquet(source, engine="pyarrow")
        df = pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise PopulationFileError(str(source), f"cannot read: {exc}") from exc
    for column in INT_COLUMNS:
        if column in df.columns:
            try:
                df[column] = df[column].astype(np.int64)
            except (TypeError, ValueError) as exc:
                raise PopulationFileError(str(source), f"column {column} is not all integers") from exc
    return df
