"""Typed errors of the registry store; every one derives from StoreError.

Messages name the field or the operation, never a value: no IDCS, name, date or phone number
ever appears in an error message raised here.
"""

# The names are the API the server maps to status codes (PersonNotFound, VersionConflict, ...);
# they read better without an "Error" suffix, which the StoreError base already conveys.

from __future__ import annotations

__all__ = [
    "DuplicateTransaction",
    "IdcsAllocationFailed",
    "IdempotencyConflict",
    "InvalidField",
    "InvalidIdcs",
    "InvalidStoreUrl",
    "PersonNotFound",
    "SchemaMismatch",
    "StoreError",
    "StoreUnavailable",
    "VersionConflict",
]


class StoreError(Exception):
    """Base of every error raised by registry_store."""


class InvalidField(StoreError):
    """A value given to the store cannot be stored; `field` names it (never its value)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidIdcs(InvalidField):
    """An IDCS is not 10 ASCII digits with a valid Verhoeff check digit."""

    def __init__(self, field: str = "idcs") -> None:
        super().__init__(field, "must be 10 digits with a valid check digit")


class PersonNotFound(StoreError):
    """No person is registered under the given IDCS."""

    def __init__(self, field: str = "idcs") -> None:
        super().__init__(f"{field}: no person is registered under this idcs")
        self.field = field


class IdempotencyConflict(StoreError):
    """An idempotency key was reused with a different payload."""

    field = "idempotency_key"

    def __init__(self) -> None:
        super().__init__("idempotency_key: already used for a different enrolment")


class VersionConflict(StoreError):
    """The person's current version is not the one the caller expected."""

    field = "expected_version"

    def __init__(self, reason: str = "the person has changed since this version") -> None:
        super().__init__(f"expected_version: {reason}")


class DuplicateTransaction(StoreError):
    """An audit row with this transaction id already exists."""

    field = "transaction_id"

    def __init__(self) -> None:
        super().__init__("transaction_id: an audit row with this transaction id already exists")


class IdcsAllocationFailed(StoreError):
    """No free IDCS was found within the bounded number of attempts (should never happen)."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or refused the operation for operational reasons."""


class SchemaMismatch(StoreError):
    """The database holds a schema version this code does not understand."""


class InvalidStoreUrl(StoreError):
    """The store URL is malformed or names an unsupported backend."""
