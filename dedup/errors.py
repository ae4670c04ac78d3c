"""Errors raised by the batch dedup engine and its data-quality report.

Messages name the path, column or check, never a value: no name, date, IDCS, CIN or phone
number ever appears in a message raised here.
"""

from __future__ import annotations

__all__ = ["DedupError", "QualityError", "QualityFileError", "ReportFormatError", "UnknownColumn"]


class DedupError(Exception):
    """Base of every error the dedup engine raises."""


class QualityError(DedupError):
    """Base of the errors of the data-quality report."""


class QualityFileError(QualityError):
    """A table to assess cannot be read, or the report cannot be written; ``path`` names the file."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class UnknownColumn(QualityError):
    """A column map names a column the table does not have, or a field the report does not know."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"column {column!r}: {message}")
        self.column = column


class ReportFormatError(QualityError):
    """A saved report is not a data-quality report of a format version this code reads."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
