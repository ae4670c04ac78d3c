"""RNP persons, IDCS allocation and the authentication audit trail, over SQLite or PostgreSQL."""

from registry_store.errors import (
    DuplicateTransaction,
    IdcsAllocationFailed,
    IdempotencyConflict,
    InvalidField,
    InvalidIdcs,
    InvalidStoreUrl,
    PersonNotFound,
    SchemaMismatch,
    StoreError,
    StoreUnavailable,
    VersionConflict,
)
from registry_store.idcs import is_valid_idcs, new_idcs, validate_idcs, verhoeff_check_digit
from registry_store.model import (
    AuditEntry,
    BirthDate,
    DatePrecision,
    Demographics,
    Name,
    Person,
    PersonStatus,
    Residence,
    Sex,
)
from registry_store.rows import demographics_digest
from registry_store.schema import SCHEMA_VERSION
from registry_store.store import EnrolResult, RegistryStore

__all__ = [
    "SCHEMA_VERSION",
    "AuditEntry",
    "BirthDate",
    "DatePrecision",
    "Demographics",
    "DuplicateTransaction",
    "EnrolResult",
    "IdcsAllocationFailed",
    "IdempotencyConflict",
    "InvalidField",
    "InvalidIdcs",
    "InvalidStoreUrl",
    "Name",
    "Person",
    "PersonNotFound",
    "PersonStatus",
    "RegistryStore",
    "Residence",
    "SchemaMismatch",
    "Sex",
    "StoreError",
    "StoreUnavailable",
    "VersionConflict",
    "demographics_digest",
    "is_valid_idcs",
    "new_idcs",
    "validate_idcs",
    "verhoeff_check_digit",
]
