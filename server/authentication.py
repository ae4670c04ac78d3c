"""Authentication of a claimed identity: the registered person's match profile, the matcher's
decision under the caller's rules, and one audit row per answer.

An unknown IDCS, or a person who cannot be authenticated (deceased, merged), is compared as
"nobody": every claimed attribute answers *not matched*, exactly as a complete mismatch does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from matcher.authentication import (
    DateValue,
    Identity,
    MatchMode,
    MatchProfile,
    MatchRule,
    NameValue,
    decide,
    prepare_profile,
)
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics, Name, PersonStatus
from registry_store.store import RegistryStore

__all__ = ["AttributeResult", "AuthOutcome", "AuthenticationService", "identity_from_demographics"]

log = logging.getLogger(__name__)

YES, NO = "YES", "NO"
MATCHED, DEMOGRAPHIC_MISMATCH = "MATCHED", "DEMOGRAPHIC_MISMATCH"


@dataclass(frozen=True, slots=True)
class AttributeResult:
    attribute: str
    matched: bool
    mode: MatchMode


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    decision: str
    reason: str
    matches: tuple[AttributeResult, ...]
    transaction_id: str


def _name(name: Name) -> NameValue:
    return NameValue(name.latin, name.arabic)


def identity_from_demographics(d: Demographics) -> Identity:
    """The register's record (or a claim) as the matcher sees it."""
    b = d.birth_date
    return Identity(
        first_name=_name(d.first_name),
        last_name=_name(d.last_name),
        father_first_name=_name(d.father_first_name),
        mother_first_name=_name(d.mother_first_name),
        sex="" if d.sex.value == "U" else d.sex.value,
        birth_date=DateValue(b.year, b.month, b.day, b.precision.value),
        birth_place_code=d.birth_place_code,
        cin=d.cin,
        phone=d.phone,
        commune_code=d.residence.commune_code,
        address=d.residence.address,
    )


class AuthenticationService:
    """Answers authentication requests against the register and writes the audit trail."""

    def __init__(self, store: RegistryStore, hash_idcs: Callable[[str], str]) -> None:
        self._store = store
        self._hash_idcs = hash_idcs

    def _profile(self, idcs: str) -> MatchProfile | None:
        person = self._store.find_person(idcs)
        if person is None or person.status is not PersonStatus.ACTIVE:
            return None
        return prepare_profile(identity_from_demographics(person.demographics))

    def authenticate(
        self, caller_id: str, idcs: str, claimed: Demographics, rules: Mapping[str, MatchRule]
    ) -> AuthOutcome:
        idcs = validate_idcs(idcs, field="idcs")
        decision = decide(identity_from_demographics(claimed), self._profile(idcs), rules)
        outcome = AuthOutcome(
            decision=YES if decision.accepted else NO,
            reason=MATCHED if decision.accepted else DEMOGRAPHIC_MISMATCH,
            matches=tuple(AttributeResult(m.attribute, m.matched, m.mode) for m in decision.matches),
            transaction_id=uuid.uuid4().hex,
        )
        id_hash = self._hash_idcs(idcs)
        self._store.record_audit(
            transaction_id=outcome.transaction_id,
            caller_id=caller_id,
            idcs_hash=id_hash,
            decision=outcome.decision,
            reason=outcome.reason,
        )
        log.info(
            "authenticate txn=%s caller=%s id=%s… attributes=%d decision=%s",
            outcome.transaction_id, caller_id, id_hash[:12], len(outcome.matches), outcome.decision,
        )  # fmt: skip
        return outcome
