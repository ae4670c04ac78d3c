"""Authentication of a claimed identity: the registered person's match profile, the matcher's
decision under the caller's rules, and one durable audit row per answer.

An unknown IDCS, or a person who cannot be authenticated (deceased, merged), is compared as
"nobody": every claimed attribute answers *not matched*, exactly as a complete mismatch does.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from matcher.authentication import MatchMode, MatchRule, decide
from matcher.errors import MatcherError
from registry_store.audit import AuditLog
from registry_store.errors import StoreError
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics
from server.errors import ServerError
from server.identity import identity_from_demographics
from server.metrics import STORE_QUERY_SECONDS
from server.profiles import ProfileSource

__all__ = ["AttributeResult", "AuthOutcome", "AuthenticationService"]

log = logging.getLogger(__name__)

_AUDIT_SECONDS = STORE_QUERY_SECONDS.labels("audit_commit")

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


class AuthenticationService:
    """Answers authentication requests against the register and writes the audit trail."""

    def __init__(self, profiles: ProfileSource, audit: AuditLog, hash_idcs: Callable[[str], str]) -> None:
        self._profiles = profiles
        self._audit = audit
        self._hash_idcs = hash_idcs

    def _answer(
        self, caller_id: str, idcs: str, claimed: Demographics, rules: Mapping[str, MatchRule]
    ) -> tuple[AuthOutcome, dict[str, str]]:
        """The decision and its audit row (not yet written)."""
        idcs = validate_idcs(idcs, field="idcs")
        id_hash = self._hash_idcs(idcs)
        decision = decide(identity_from_demographics(claimed), self._profiles.get(idcs, id_hash), rules)
        outcome = AuthOutcome(
            decision=YES if decision.accepted else NO,
            reason=MATCHED if decision.accepted else DEMOGRAPHIC_MISMATCH,
            matches=tuple(AttributeResult(m.attribute, m.matched, m.mode) for m in decision.matches),
            transaction_id=uuid.uuid4().hex,
        )
        row = {
            "transaction_id": outcome.transaction_id,
            "caller_id": caller_id,
            "idcs_hash": id_hash,
            "decision": outcome.decision,
            "reason": outcome.reason,
        }
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "authenticate txn=%s caller=%s id=%s… attributes=%d decision=%s",
                outcome.transaction_id, caller_id, id_hash[:12], len(outcome.matches), outcome.decision,
            )  # fmt: skip
        return outcome, row

    def authenticate(
        self, caller_id: str, idcs: str, claimed: Demographics, rules: Mapping[str, MatchRule]
    ) -> AuthOutcome:
        """One answer, returned only once its audit row is durable."""
        outcome, row = self._answer(caller_id, idcs, claimed, rules)
        begin = time.perf_counter()
        self._audit.record(**row)
        _AUDIT_SECONDS.observe(time.perf_counter() - begin)
        return outcome

    def authenticate_many(
        self, caller_id: str, items: Sequence[tuple[str, Demographics, Mapping[str, MatchRule]]]
    ) -> list[AuthOutcome | Exception]:
        """Several answers with their audit rows committed together (all or none).

        An item that cannot be answered (a malformed IDCS) gets its exception in its place; if
        the audit cannot be written, every answered item gets the store's error instead.
        """
        results: list[AuthOutcome | Exception] = []
        rows = []
        for idcs, claimed, rules in items:
            try:
                outcome, row = self._answer(caller_id, idcs, claimed, rules)
            except (StoreError, ServerError, MatcherError) as exc:
                results.append(exc)
                continue
            results.append(outcome)
            rows.append(row)
        if rows:
            try:
                begin = time.perf_counter()
                self._audit.record_many(rows)
                _AUDIT_SECONDS.observe(time.perf_counter() - begin)
            except StoreError as exc:
                return [r if isinstance(r, Exception) else exc for r in results]
        return results
