"""Authentication of a claimed identity: compare claimed attributes with the register, audit.

Matching is exact after normalisation for now (case, accents, spacing, punctuation; dates
under the lesser of the two precisions). An unknown IDCS, or a person who cannot be
authenticated (deceased, merged), answers exactly like a mismatch of every claimed attribute.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from matcher.normalise import normalise_name
from registry_store.idcs import validate_idcs
from registry_store.model import (
    BirthDate,
    DatePrecision,
    Demographics,
    Name,
    PersonStatus,
    Sex,
)
from registry_store.store import RegistryStore

__all__ = [
    "ATTRIBUTES",
    "AttributeResult",
    "AuthOutcome",
    "AuthenticationService",
    "claimed_attributes",
]

log = logging.getLogger(__name__)

# The claimable attributes, in the order answers list them.
ATTRIBUTES = (
    "first_name",
    "last_name",
    "father_first_name",
    "mother_first_name",
    "sex",
    "birth_date",
    "birth_place_code",
    "cin",
    "phone",
    "residence",
)
_NAMES = frozenset(ATTRIBUTES[:4])
_PRECISION_RANK = {
    DatePrecision.UNKNOWN: 0,
    DatePrecision.YEAR: 1,
    DatePrecision.YEAR_MONTH: 2,
    DatePrecision.FULL: 3,
}

YES, NO = "YES", "NO"
MATCHED, DEMOGRAPHIC_MISMATCH = "MATCHED", "DEMOGRAPHIC_MISMATCH"
EXACT = "EXACT"


@dataclass(frozen=True, slots=True)
class AttributeResult:
    attribute: str
    matched: bool
    mode: str


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    decision: str
    reason: str
    matches: tuple[AttributeResult, ...]
    transaction_id: str


def claimed_attributes(claimed: Demographics) -> list[str]:
    """The attributes set in a claim, in answer order."""
    empty = Demographics()
    return [a for a in ATTRIBUTES if getattr(claimed, a) != getattr(empty, a)]


def _name_matches(claimed: Name, registered: Name) -> bool:
    """Every script the caller gave must equal the registered name in that script."""
    pairs = [(c, r) for c, r in ((claimed.latin, registered.latin), (claimed.arabic, registered.arabic)) if c]
    return bool(pairs) and all(r and normalise_name(c) == normalise_name(r) for c, r in pairs)


def _date_matches(claimed: BirthDate, registered: BirthDate) -> bool:
    """Equal in every part both dates know."""
    rank = min(_PRECISION_RANK[claimed.precision], _PRECISION_RANK[registered.precision])
    if rank == 0:
        return False
    parts = [(claimed.year, registered.year), (claimed.month, registered.month), (claimed.day, registered.day)]
    return all(c == r for c, r in parts[:rank])


def _attribute_matches(attribute: str, claimed: Demographics, registered: Demographics) -> bool:
    if attribute in _NAMES:
        return _name_matches(getattr(claimed, attribute), getattr(registered, attribute))
    if attribute == "birth_date":
        return _date_matches(claimed.birth_date, registered.birth_date)
    if attribute == "sex":
        return claimed.sex is not Sex.UNSPECIFIED and claimed.sex == registered.sex
    if attribute == "residence":
        c, r = claimed.residence, registered.residence
        return all(
            not cv or normalise_name(cv) == normalise_name(rv)
            for cv, rv in ((c.commune_code, r.commune_code), (c.address, r.address))
        )
    # birth_place_code, cin, phone: already canonical after validation
    value = getattr(claimed, attribute)
    return bool(value) and value == getattr(registered, attribute)


class AuthenticationService:
    """Answers authentication requests against the register and writes the audit trail."""

    def __init__(self, store: RegistryStore, hash_idcs: Callable[[str], str]) -> None:
        self._store = store
        self._hash_idcs = hash_idcs

    def authenticate(self, caller_id: str, idcs: str, claimed: Demographics) -> AuthOutcome:
        idcs = validate_idcs(idcs, field="idcs")
        attributes = claimed_attributes(claimed)
        person = self._store.find_person(idcs)
        registered = person.demographics if person is not None and person.status is PersonStatus.ACTIVE else None
        matches = tuple(
            AttributeResult(a, registered is not None and _attribute_matches(a, claimed, registered), EXACT)
            for a in attributes
        )
        ok = registered is not None and all(m.matched for m in matches)
        outcome = AuthOutcome(
            decision=YES if ok else NO,
            reason=MATCHED if ok else DEMOGRAPHIC_MISMATCH,
            matches=matches,
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
            outcome.transaction_id,
            caller_id,
            id_hash[:12],
            len(attributes),
            outcome.decision,
        )
        return outcome
