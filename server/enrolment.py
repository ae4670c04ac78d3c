"""Enrolment and maintenance of persons: the domain side of the Registry service."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from registry_store.errors import PersonNotFound
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics, Person, PersonStatus
from registry_store.store import RegistryStore
from server.errors import InvalidField
from server.profiles import ProfileSource

__all__ = ["ALREADY_ENROLLED", "ENROLLED", "EnrolOutcome", "RegistryService", "validate_idempotency_key"]

log = logging.getLogger(__name__)

ENROLLED, ALREADY_ENROLLED = "ENROLLED", "ALREADY_ENROLLED"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,128}$")


@dataclass(frozen=True, slots=True)
class EnrolOutcome:
    outcome: str
    person: Person


def validate_idempotency_key(key: str, field: str = "idempotency_key") -> str:
    if not _IDEMPOTENCY_KEY.match(key):
        raise InvalidField(field, "is required: 8 to 128 printable ASCII characters without spaces")
    return key


class RegistryService:
    """Enrols persons (allocating their IDCS), reads and versions them."""

    def __init__(self, store: RegistryStore, profiles: ProfileSource, hash_idcs: Callable[[str], str]) -> None:
        self._store = store
        self._profiles = profiles
        self._hash_idcs = hash_idcs

    def enrol(self, idempotency_key: str, demographics: Demographics) -> EnrolOutcome:
        key = validate_idempotency_key(idempotency_key)
        result = self._store.enrol(demographics, idempotency_key=key)
        # The new IDCS may have been looked up (and cached as unknown) before it was allocated.
        self._profiles.invalidate(self._hash_idcs(result.person.idcs))
        log.info("enrol created=%s version=%d", result.created, result.person.version)
        return EnrolOutcome(ENROLLED if result.created else ALREADY_ENROLLED, result.person)

    def get(self, idcs: str, version: int = 0) -> tuple[Person, list[int]]:
        idcs = validate_idcs(idcs, field="idcs")
        if version < 0:
            raise InvalidField("version", "must be 0 (latest) or a version number")
        history = self._store.get_history(idcs)
        versions = [p.version for p in history]
        if version == 0:
            return history[-1], versions
        for person in history:
            if person.version == version:
                return person, versions
        raise InvalidField("version", "no such version of this person")

    def update(
        self,
        idcs: str,
        demographics: Demographics,
        *,
        status: PersonStatus | None,
        merged_into: str,
        expected_version: int,
    ) -> Person:
        idcs = validate_idcs(idcs, field="idcs")
        if expected_version < 0:
            raise InvalidField("expected_version", "must be 0 (any) or a version number")
        if status is PersonStatus.MERGED:
            merged_into = validate_idcs(merged_into, field="merged_into")
            if merged_into == idcs:
                raise InvalidField("merged_into", "must be another person's IDCS")
            if self._store.find_person(merged_into) is None:
                raise PersonNotFound("merged_into")
        elif merged_into:
            raise InvalidField("merged_into", "may only be set with status MERGED")
        person = self._store.update_person(
            idcs,
            demographics,
            status=status,
            merged_into=merged_into,
            expected_version=expected_version or None,
        )
        self._profiles.invalidate(self._hash_idcs(idcs))
        log.info("update version=%d", person.version)
        return person
