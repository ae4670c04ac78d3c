"""Errors raised by the indexer."""

from __future__ import annotations

from pathlib import Path


class IndexerError(Exception):
    """Base of every error the indexer raises."""


class BlockingRuleError(IndexerError):
    """A blocking rule is not a valid spec (unknown key, bad cap) or its JSON cannot be read;
    names the rule when known."""

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        self.rule = rule
        super().__init__(f"blocking rule {rule!r}: {message}" if rule is not None else message)


class CandidateSettingsError(IndexerError):
    """Candidate settings are not valid (a number out of range, an unknown key or source);
    names the setting."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        self.setting = setting
        super().__init__(f"candidate setting {setting!r}: {message}" if setting is not None else message)


class RecordsError(IndexerError):
    """A batch of records cannot be used: a column is missing or the columns differ in length;
    names the column."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        self.column = column
        super().__init__(f"column {column!r}: {message}" if column is not None else message)


class VectorShapeError(IndexerError):
    """Vectors or ids handed to the index have the wrong shape, dimension, type or count;
    names the argument."""

    def __init__(self, message: str, *, argument: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}")


class IndexStateError(IndexerError):
    """The operation does not fit the index as it is (an untrained or empty index searched,
    removal from an index type that cannot remove, an id added twice)."""


class IndexFileError(IndexerError):
    """A saved index cannot be written or read: missing, corrupt, another format version, or its
    sidecar does not match the index file; names the path."""

    def __init__(self, message: str, *, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")
