"""Authentication of a claimed identity: the registered person's match profile, the matcher's
decision under the caller's rules, the security gate, and one durable audit row per answer.

An unknown IDCS, or a person who cannot be authenticated (deceased, merged), is compared as
"nobody": every claimed attribute answers *not matched*, exactly as a complete mismatch does.
A locked IDCS (the resident's lock) and a frozen one (too many failed attempts) are answered the
same way. The answers are byte-identical (but for the transaction id), and take the same time:
every path does the same work. An unknown IDCS is compared with a stand-in profile (`_STAND_IN`)
and a locked or frozen one with its own, and only then are the results discarded; the lock,
the freeze and the failure count are read, for every call alike, by the audit writer in the
transaction that writes the call's audit row (registry_store.security), so no path makes a query
the others do not.

A caller whose policy has ``reveal_denial_reason`` is told REASON_CODE_LOCKED or
REASON_CODE_ATTEMPTS_EXCEEDED instead of DEMOGRAPHIC_MISMATCH.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

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
from matcher.errors import MatcherError
from registry_store.audit import AuditLog
from registry_store.errors import StoreError
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics
from registry_store.security import FAILURE_REASON, FROZEN_REASON, LOCKED_REASON, Verdict
from server.deadline import remaining
from server.errors import ServerError
from server.identity import identity_from_demographics
from server.metrics import AUTH_SECURITY_DENIALS, STORE_QUERY_SECONDS
from server.profiles import ProfileSource

__all__ = ["AttributeResult", "AuthOutcome", "AuthenticationService"]

log = logging.getLogger(__name__)

_AUDIT_SECONDS = STORE_QUERY_SECONDS.labels("audit_commit")

YES, NO = "YES", "NO"
MATCHED, DEMOGRAPHIC_MISMATCH = "MATCHED", FAILURE_REASON
LOCKED, ATTEMPTS_EXCEEDED = LOCKED_REASON, FROZEN_REASON

# What an unknown IDCS is compared with, so that it costs what a registered one does. Every
# attribute is filled (names in both scripts), so every claimed attribute is compared; the
# result is always discarded.
_STAND_IN = prepare_profile(
    Identity(
        first_name=NameValue("Abdelkader Mohammed", "عبد القادر محمد"),
        last_name=NameValue("El Ouazzani Touhami", "الوزاني التهامي"),
        father_first_name=NameValue("Abderrahmane", "عبد الرحمن"),
        mother_first_name=NameValue("Fatima Zahra", "فاطمة الزهراء"),
        sex="M",
        birth_date=DateValue(1961, 7, 14, "full"),
        birth_place_code="P000",
        cin="ZZ999999",
        phone="0600000000",
        commune_code="C000",
        address="stand-in",
    )
)


class _RandomBytes:
    """Bytes from the operating system's random generator, drawn a block at a time, each used once.

    `os.urandom` releases the GIL around its system call, and under load every release lets
    another thread take the GIL, which the caller must then wait to get back: two context
    switches. A streamed verification draws an id for every item; drawing 4,000 bytes at a time
    makes that one system call per 400 ids (benchmarks/auth_throughput.py, AuthenticateStream:
    the server's context switches per item went from 1.5 on SQLite and 1.8 on PostgreSQL to 1.2 on
    both). The bytes are as unpredictable as os.urandom's. A forked child starts with an empty
    buffer, so two processes never hand out the same bytes.
    """

    def __init__(self, block: int = 4000) -> None:
        self._block = block
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()  # new in a child: another thread may have held it at the fork
        self._data = b""
        self._position = 0

    def __call__(self, n: int) -> bytes:
        with self._lock:
            start = self._position
            if start + n > len(self._data):
                self._data, start = os.urandom(max(self._block, n)), 0
            self._position = start + n
            return self._data[start : start + n]


_random_bytes = _RandomBytes()


def new_transaction_id() -> str:
    """A UUID version 7 (RFC 9562) as 32 hex digits: the Unix time in milliseconds, then 74 random bits.

    Ids that grow with time are added at the right edge of the audit table's unique index, so
    a commit of many rows changes a few index pages instead of one page per row; with random
    ids the commit of a batch of 100 cost 20-24 µs of CPU a row, with ordered ones 13 µs
    (measured on SQLite). The random bits come from the operating system (`_RandomBytes`): an
    id cannot be guessed from another.
    """
    rand = int.from_bytes(_random_bytes(10))
    millis = time.time_ns() // 1_000_000
    value = (millis & _MILLIS_MASK) << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64 | 0b10 << 62 | rand & _RAND_B_MASK
    return f"{value:032x}"


_MILLIS_MASK = (1 << 48) - 1
_RAND_B_MASK = (1 << 62) - 1


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
        self,
        caller_id: str,
        id_hash: str,
        profile: MatchProfile | None,
        claimed: Demographics,
        rules: Mapping[str, MatchRule],
    ) -> tuple[AuthOutcome, dict[str, str]]:
        """The matcher's answer and its audit row (not yet through the gate, not yet written)."""
        decision = decide(identity_from_demographics(claimed), profile or _STAND_IN, rules)
        known = profile is not None
        accepted = decision.accepted and known
        outcome = AuthOutcome(
            decision=YES if accepted else NO,
            reason=MATCHED if accepted else DEMOGRAPHIC_MISMATCH,
            matches=tuple(AttributeResult(m.attribute, m.matched and known, m.mode) for m in decision.matches),
            transaction_id=new_transaction_id(),
        )
        row = {
            "transaction_id": outcome.transaction_id,
            "caller_id": caller_id,
            "idcs_hash": id_hash,
            "decision": outcome.decision,
            "reason": outcome.reason,
        }
        return outcome, row

    @staticmethod
    def _final(
        outcome: AuthOutcome, verdict: Verdict, reveal_reason: bool, caller_id: str, id_hash: str
    ) -> AuthOutcome:
        """The answer after the gate: a locked or frozen IDCS is answered as a complete mismatch."""
        if verdict.reason in (LOCKED, ATTEMPTS_EXCEEDED):
            AUTH_SECURITY_DENIALS.labels(verdict.reason).inc()
            outcome = AuthOutcome(
                decision=NO,
                reason=verdict.reason if reveal_reason else DEMOGRAPHIC_MISMATCH,
                matches=tuple(AttributeResult(m.attribute, False, m.mode) for m in outcome.matches),
                transaction_id=outcome.transaction_id,
            )
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "authenticate txn=%s caller=%s id=%s… attributes=%d decision=%s",
                outcome.transaction_id, caller_id, id_hash[:12], len(outcome.matches), outcome.decision,
            )  # fmt: skip
        return outcome

    def authenticate(
        self,
        caller_id: str,
        idcs: str,
        claimed: Demographics,
        rules: Mapping[str, MatchRule],
        *,
        reveal_reason: bool = False,
    ) -> AuthOutcome:
        """One answer, returned only once its audit row is durable."""
        idcs = validate_idcs(idcs, field="idcs")
        id_hash = self._hash_idcs(idcs)
        outcome, row = self._answer(caller_id, id_hash, self._profiles.get(idcs, id_hash), claimed, rules)
        begin = time.perf_counter()
        (verdict,) = self._audit.record_many([row], timeout=remaining())
        _AUDIT_SECONDS.observe(time.perf_counter() - begin)
        return self._final(outcome, verdict, reveal_reason, caller_id, row["idcs_hash"])

    def authenticate_many(
        self,
        caller_id: str,
        items: Sequence[tuple[str, Demographics, Mapping[str, MatchRule]]],
        *,
        reveal_reason: bool = False,
        between_items: Callable[[int], None] | None = None,
    ) -> list[AuthOutcome | Exception]:
        """Several answers with their audit rows committed together (all or none).

        An item that cannot be answered (a malformed IDCS) gets its exception in its place; if
        the audit cannot be written, every answered item gets the store's error instead.
        `between_items` is called with each item's position before it is matched (the servicer
        passes `server.turns.hand_over_at`).
        """
        answered: list[AuthOutcome | Exception | None] = []
        people = []
        for idcs, _, _ in items:
            try:
                valid = validate_idcs(idcs, field="idcs")
            except StoreError as exc:
                answered.append(exc)
                continue
            answered.append(None)
            people.append((valid, self._hash_idcs(valid)))
        # The profiles of the whole batch in one cache round trip (Redis: one MGET).
        found = iter(zip(people, self._profiles.get_many(people), strict=True))
        rows = []
        for k, (_, claimed, rules) in enumerate(items):
            if between_items is not None:
                between_items(k)
            if answered[k] is not None:
                continue
            (_, id_hash), profile = next(found)
            try:
                if isinstance(profile, StoreError):
                    raise profile
                outcome, row = self._answer(caller_id, id_hash, profile, claimed, rules)
            except (StoreError, ServerError, MatcherError) as exc:
                answered[k] = exc
                continue
            answered[k] = outcome
            rows.append(row)
        results = cast("list[AuthOutcome | Exception]", answered)  # every None was filled in above
        if rows:
            try:
                begin = time.perf_counter()
                verdicts = iter(self._audit.record_many(rows, timeout=remaining()))
                _AUDIT_SECONDS.observe(time.perf_counter() - begin)
            except StoreError as exc:
                return [r if isinstance(r, Exception) else exc for r in results]
            rows_left = iter(rows)
            results = [
                r
                if isinstance(r, Exception)
                else self._final(r, next(verdicts), reveal_reason, caller_id, next(rows_left)["idcs_hash"])
                for r in results
            ]
        return results
