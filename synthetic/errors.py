"""Typed errors raised by the synthetic package."""

from __future__ import annotations

__all__ = [
    "InvalidArgumentError",
    "PopulationFileError",
    "ReferenceDataError",
    "SyntheticError",
    "UnsupportedFormatError",
]


class SyntheticError(Exception):
    """Base class of every error raised by ``synthetic``."""


class InvalidArgumentError(SyntheticError, ValueError):
    """An argument is out of range or of the wrong type; ``argument`` names it."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


class UnsupportedFormatError(SyntheticError, ValueError):
    """A file name whose extension is neither Parquet nor CSV; ``path`` names it."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: unsupported file extension (use .parquet, .pq or .csv)")
        self.path = path


class PopulationFileError(SyntheticError):
    """A population file could not be read or written; ``path`` names it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class ReferenceDataError(SyntheticError):
    """A packaged reference data file is malformed; ``filename`` names it."""

    def __init__(self, filename: str, message: str) -> None:
        super().__init__(f"{filename}: {message}")
        self.filename = filename
