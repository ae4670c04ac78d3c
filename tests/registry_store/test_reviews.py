"""Held and refused enrolments, the journal of person writes and the enrolment lock, on every backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from registry_store import Demographics, IdempotencyConflict, InvalidField, Name, PersonStatus, RegistryStore
from registry_store.errors import StoreUnavailable
from registry_store.reviews import ReviewCandidate, ReviewOutcome, ReviewStatus, ReviewStore

Make = Callable[[int], Demographics]


def test_a_held_enrolment_is_recorded_once_per_key(store: RegistryStore, demographics: Make) -> None:
    existing = store.enrol(demographics(1)).person
    reviews = ReviewStore(store)
    candidates = [ReviewCandidate(existing.idcs, 0.73)]
    first = reviews.record("desk-key-0001", demographics(2), ReviewOutcome.POSSIBLE_DUPLICATE, candidates)
    assert first.created
    review = first.review
    assert review.status is ReviewStatus.PENDING and review.outcome is ReviewOutcome.POSSIBLE_DUPLICATE
    assert review.candidates == (ReviewCandidate(existing.idcs, 0.73),)
    again = reviews.record("desk-key-0001", demographics(2), ReviewOutcome.POSSIBLE_DUPLICATE, candidates)
    assert not again.created and again.review == review
    assert reviews.replay("desk-key-0001", demographics(2)) == review
    assert reviews.find(review.review_id) == review
    assert reviews.pending() == [review]
    assert reviews.count() == 1 and reviews.count(ReviewStatus.PENDING) == 1
    with pytest.raises(IdempotencyConflict):
        reviews.replay("desk-key-0001", demographics(3))
    with pytest.raises(IdempotencyConflict):
        reviews.record("desk-key-0001", demographics(3), ReviewOutcome.DUPLICATE, candidates)
    assert store.count_persons() == 1  # nothing was enrolled


def test_a_duplicate_is_recorded_closed_with_its_candidates_in_order(store: RegistryStore, demographics: Make) -> None:
    a, b = store.enrol(demographics(1)).person, store.enrol(demographics(2)).person
    reviews = ReviewStore(store)
    held = reviews.record(
        "desk-key-0002",
        demographics(1),
        ReviewOutcome.DUPLICATE,
        [ReviewCandidate(b.idcs, 0.999), ReviewCandidate(a.idcs, 0.95)],
    ).review
    assert held.status is ReviewStatus.CLOSED
    assert [c.idcs for c in held.candidates] == [b.idcs, a.idcs]
    assert reviews.find(held.review_id) == held
    assert reviews.pending() == [] and reviews.count(ReviewStatus.CLOSED) == 1


def test_review_input_is_checked(store: RegistryStore, demographics: Make) -> None:
    person = store.enrol(demographics(1), idempotency_key="enrolled-key-1").person
    reviews = ReviewStore(store)
    ok = [ReviewCandidate(person.idcs, 0.5)]
    for candidates, field in (
        ([], "candidates"),
        ([ReviewCandidate(person.idcs, 1.5)], "candidates[0].probability"),
        ([ReviewCandidate(person.idcs, float("nan"))], "candidates[0].probability"),
        ([ReviewCandidate("1234567890", 0.5)], "candidates[0].idcs"),
    ):
        with pytest.raises(InvalidField) as err:
            reviews.record("desk-key-0003", demographics(2), ReviewOutcome.DUPLICATE, candidates)
        assert err.value.field == field
    with pytest.raises(InvalidField):
        reviews.record("", demographics(2), ReviewOutcome.DUPLICATE, ok)
    # A key that already enrolled a person cannot also hold an enrolment.
    with pytest.raises(IdempotencyConflict):
        reviews.record("enrolled-key-1", demographics(1), ReviewOutcome.DUPLICATE, ok)


def test_the_journal_numbers_every_person_write_in_order(store: RegistryStore, demographics: Make) -> None:
    assert store.change_watermark() == 0 and store.changes_since(0) == []
    a = store.enrol(demographics(1)).person
    b = store.enrol(demographics(2)).person
    store.update_person(a.idcs, replace(demographics(1), phone="0600000001"))
    store.update_person(b.idcs, demographics(2), status=PersonStatus.MERGED, merged_into=a.idcs)
    changes = store.changes_since(0)
    assert [(idcs, version) for _, idcs, version in changes] == [(a.idcs, 1), (b.idcs, 1), (a.idcs, 2), (b.idcs, 2)]
    numbers = [seq for seq, _, _ in changes]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert store.change_watermark() == numbers[-1]
    assert store.changes_since(numbers[1]) == changes[2:]
    assert store.changes_since(0, limit=1) == changes[:1]
    # A retried enrolment writes nothing, so it is not in the journal either.
    store.enrol(demographics(3), idempotency_key="journal-key-1")
    store.enrol(demographics(3), idempotency_key="journal-key-1")
    assert len(store.changes_since(0)) == 5
    with pytest.raises(InvalidField):
        store.changes_since(-1)


def test_find_persons_reads_latest_versions(store: RegistryStore, demographics: Make) -> None:
    people = [store.enrol(demographics(i)).person for i in range(3)]
    updated = store.update_person(people[0].idcs, replace(demographics(0), first_name=Name("Mhamed", "امحمد")))
    found = store.find_persons([p.idcs for p in people] + [people[0].idcs])
    assert found == {updated.idcs: updated, people[1].idcs: people[1], people[2].idcs: people[2]}
    assert store.find_persons([]) == {}


def test_replay_enrolment_writes_nothing(store: RegistryStore, demographics: Make) -> None:
    assert store.replay_enrolment("replay-key-1", demographics(1)) is None
    person = store.enrol(demographics(1), idempotency_key="replay-key-1").person
    assert store.replay_enrolment("replay-key-1", demographics(1)) == person
    with pytest.raises(IdempotencyConflict):
        store.replay_enrolment("replay-key-1", demographics(2))
    assert store.count_persons() == 1


def test_the_enrolment_lock_excludes_other_holders(make_store: Callable[..., RegistryStore]) -> None:
    one, other = make_store(), make_store()  # two stores: as two processes would hold them
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with one.enrolment_lock(timeout=5):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable), other.enrolment_lock(timeout=0.2):
            pass
        assert time.monotonic() - started >= 0.15
    finally:
        release.set()
        thread.join()
    with other.enrolment_lock(timeout=1):  # free again once released
        pass
