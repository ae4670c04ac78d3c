"""Enrolment and maintenance of persons: the domain side of the Registry service.

An enrolment is, in order: the idempotency key checked; under the register's enrolment lock
(`PersonIndex.exclusive`: one decision at a time, across every process), a retry of an earlier
request answered as it was (ALREADY_ENROLLED with the person, or the DUPLICATE /
POSSIBLE_DUPLICATE it got, from the review store); then the 1:N search (`server.identify`), and
the decision on the best match's probability: from the high threshold, DUPLICATE (the existing
IDCSs are returned, the refusal recorded under the key); from the low one, POSSIBLE_DUPLICATE
(held for review, no IDCS); below, an IDCS is allocated, the person stored and added to the
candidate index. An update is written, then the index follows it (through the register's
journal, as it follows other processes' writes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from registry_store.errors import PersonNotFound, StoreError
from registry_store.idcs import validate_idcs
from registry_store.model import Demographics, Person, PersonStatus
from registry_store.reviews import EnrolmentReview, ReviewCandidate, ReviewOutcome, ReviewStore
from registry_store.store import RegistryStore
from server.errors import InvalidField
from server.identify import Identifier, Match
from server.metrics import ENROL_OUTCOMES
from server.profiles import ProfileSource

__all__ = [
    "ALREADY_ENROLLED",
    "DUPLICATE",
    "ENROLLED",
    "POSSIBLE_DUPLICATE",
    "DuplicatePolicy",
    "EnrolOutcome",
    "RegistryService",
    "validate_idempotency_key",
]

log = logging.getLogger(__name__)

ENROLLED, ALREADY_ENROLLED = "ENROLLED", "ALREADY_ENROLLED"
DUPLICATE, POSSIBLE_DUPLICATE = "DUPLICATE", "POSSIBLE_DUPLICATE"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,128}$")
_HELD = {ReviewOutcome.DUPLICATE: DUPLICATE, ReviewOutcome.POSSIBLE_DUPLICATE: POSSIBLE_DUPLICATE}


@dataclass(frozen=True, slots=True)
class DuplicatePolicy:
    """The thresholds on the match probability (HAWIYA_DUPLICATE_HIGH, HAWIYA_DUPLICATE_LOW)."""

    high: float = 0.9
    low: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.low <= self.high <= 1.0:
            raise ValueError("the thresholds must satisfy 0 < low <= high <= 1")

    def decide(self, matches: Sequence[Match]) -> tuple[str, tuple[Match, ...]]:
        """The outcome for matches ranked best first, and the matches the answer names."""
        above_high = tuple(m for m in matches if m.probability >= self.high)
        if above_high:
            return DUPLICATE, above_high
        above_low = tuple(m for m in matches if m.probability >= self.low)
        if above_low:
            return POSSIBLE_DUPLICATE, above_low
        return ENROLLED, ()


@dataclass(frozen=True, slots=True)
class EnrolOutcome:
    """What an enrolment answers: the person (ENROLLED, ALREADY_ENROLLED), or the existing
    persons it matches (DUPLICATE, POSSIBLE_DUPLICATE) and the review id of a held one."""

    outcome: str
    person: Person | None = None
    matches: tuple[Match, ...] = ()
    review_id: str = ""


def validate_idempotency_key(key: str, field: str = "idempotency_key") -> str:
    if not _IDEMPOTENCY_KEY.match(key):
        raise InvalidField(field, "is required: 8 to 128 printable ASCII characters without spaces")
    return key


def _held(review: EnrolmentReview) -> EnrolOutcome:
    matches = tuple(Match(c.idcs, c.probability) for c in review.candidates)
    review_id = review.review_id if review.outcome is ReviewOutcome.POSSIBLE_DUPLICATE else ""
    return EnrolOutcome(_HELD[review.outcome], matches=matches, review_id=review_id)


class RegistryService:
    """Enrols persons (allocating their IDCS unless they are registered already), reads and versions them."""

    def __init__(
        self,
        store: RegistryStore,
        profiles: ProfileSource,
        hash_idcs: Callable[[str], str],
        identifier: Identifier,
        reviews: ReviewStore,
        policy: DuplicatePolicy | None = None,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._hash_idcs = hash_idcs
        self._identifier = identifier
        self._reviews = reviews
        self._policy = policy or DuplicatePolicy()

    def enrol(self, idempotency_key: str, demographics: Demographics) -> EnrolOutcome:
        key = validate_idempotency_key(idempotency_key)
        with self._identifier.index.exclusive():
            result = self._decide(key, demographics)
        ENROL_OUTCOMES.labels(result.outcome.lower()).inc()
        if result.person is not None:
            # The new IDCS may have been looked up (and cached as unknown) before it was allocated.
            self._profiles.invalidate(self._hash_idcs(result.person.idcs))
        log.info("enrol outcome=%s matches=%d", result.outcome, len(result.matches))
        return result

    def _decide(self, key: str, demographics: Demographics) -> EnrolOutcome:
        """Under the enrolment lock: a retry's first answer, else the search and the decision."""
        replayed = self._store.replay_enrolment(key, demographics)
        if replayed is not None:
            return EnrolOutcome(ALREADY_ENROLLED, replayed)
        review = self._reviews.replay(key, demographics)
        if review is not None:
            return _held(review)
        outcome, matches = self._policy.decide(self._identifier.search(demographics, call="enrol"))
        if outcome == ENROLLED:
            enrolled = self._store.enrol(demographics, idempotency_key=key)
            if enrolled.created:
                self._identifier.index.added(enrolled.person)
            return EnrolOutcome(ENROLLED if enrolled.created else ALREADY_ENROLLED, enrolled.person)
        held = ReviewOutcome.DUPLICATE if outcome == DUPLICATE else ReviewOutcome.POSSIBLE_DUPLICATE
        candidates = [ReviewCandidate(m.idcs, m.probability) for m in matches]
        return _held(self._reviews.record(key, demographics, held, candidates).review)

    def identify(self, demographics: Demographics, max_results: int, min_probability: float) -> list[Match]:
        """Ranked candidates for some demographics (the Identify call)."""
        return self._identifier.identify(demographics, max_results, min_probability)

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
        index = self._identifier.index
        if index.ready:
            try:
                index.refresh()
            except StoreError as exc:
                # The update is committed; the index applies it at its next refresh.
                log.warning("the candidate index could not follow an update yet (%s)", type(exc).__name__)
        log.info("update version=%d", person.version)
        return person
