"""Errors raised by the batch dedup engine and its data-quality report.

Messages name the path, column or check, never a value: no name, date, IDCS, CIN or phone
number ever appears in a message raised here.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DedupCancelled",
    "DedupError",
    "DedupInputError",
    "InputFileError",
    "MissingColumn",
    "ModelFileError",
    "QualityError",
    "QualityFileError",
    "ReportFormatError",
    "UnknownColumn",
]


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


class ConfigError(DedupError):
    """A dedup configuration is not valid; ``key`` names the setting."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class DedupInputError(DedupError):
    """The records to deduplicate cannot be used; ``field`` names the path, column or option."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InputFileError(DedupInputError):
    """The input file is missing or unreadable; ``path`` names it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}", field="input")
        self.path = path


class MissingColumn(DedupInputError):
    """A column the configuration needs is not in the input (after the column map)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"column {column!r}: {message}", field=column)
        self.column = column


class ModelFileError(DedupInputError):
    """A saved model cannot be read or does not fit the configuration's fields."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}", field="model")
        self.path = path


class DedupCancelled(DedupError):
    """The run was cancelled (its cancel event was set); nothing was written to the output."""
