"""Typed errors of the registry store; every one derives from StoreError.

Messages name the field or the operation, never a value: no IDCS, name, date or phone number
ever appears in an error message raised here.
"""

# The names are the API the server maps to status codes (PersonNotFound, VersionConflict, ...);
# they read better without an "Error" suffix, which the StoreError base already conveys.

from __future__ import annotations

__all__ = [
    "AmbiguousMember",
    "ComplaintNotFound",
    "DuplicateTransaction",
    "HouseholdNotFound",
    "IdcsAllocationFailed",
    "IdempotencyConflict",
    "IllegalTransition",
    "IndexFormulaError",
    "InvalidField",
    "InvalidIdcs",
    "InvalidStoreUrl",
    "MemberAlreadyActive",
    "MemberNotActive",
    "MembershipConflict",
    "PersonNotFound",
    "SchemaMismatch",
    "StoreError",
    "StoreUnavailable",
    "UnknownMember",
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

    def __init__(self, what: str = "enrolment") -> None:
        super().__init__(f"idempotency_key: already used for a different {what}")


class VersionConflict(StoreError):
    """The record's current version is not the one the caller expected."""

    field = "expected_version"

    def __init__(
        self, reason: str = "the person has changed since this version", field: str = "expected_version"
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


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


# -- the social registry (RSU): households and complaints -------------------------------------


class HouseholdNotFound(StoreError):
    """No household is registered under the given household id."""

    def __init__(self, field: str = "household_id") -> None:
        super().__init__(f"{field}: no household is registered under this id")
        self.field = field


class ComplaintNotFound(StoreError):
    """No complaint is registered under the given complaint id."""

    def __init__(self, field: str = "complaint_id") -> None:
        super().__init__(f"{field}: no complaint is registered under this id")
        self.field = field


class UnknownMember(InvalidField):
    """A household member names no RNP person: `field` is the member's path in the request."""

    def __init__(self, field: str, reason: str = "no RNP person is registered under this idcs") -> None:
        super().__init__(field, reason)


class AmbiguousMember(InvalidField):
    """A member given by demographics matches several RNP persons; the caller must give the IDCS."""

    def __init__(self, field: str) -> None:
        super().__init__(field, "several active RNP persons match these demographics exactly: give the member's idcs")


class MemberNotActive(StoreError):
    """A household member is registered in the RNP but not active there (deceased or merged)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: the person is not active in the RNP (deceased or merged)")
        self.field = field


class MembershipConflict(StoreError):
    """A change of membership breaks a household rule given the households' current state."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MemberAlreadyActive(MembershipConflict):
    """The person is already an active member of another household (one household at a time)."""

    def __init__(self, field: str) -> None:
        super().__init__(field, "the person is already an active member of another household")


class IllegalTransition(StoreError):
    """A complaint cannot move from its current status to the requested one."""

    def __init__(self, reason: str, field: str = "status") -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class IndexFormulaError(StoreError):
    """The socio-economic index formula file is unreadable or invalid; names the file and the key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")
        self.source = source
        self.key = key
