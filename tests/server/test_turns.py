"""Turns of AuthenticateStream chunks in one worker, and the hand-over between matched items."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from matcher.authentication import MatchMode, MatchRule
from registry_store import RegistryStore
from registry_store.audit import AuditLog
from registry_store.cache import LocalProfileCache
from server import turns
from server.authentication import AuthenticationService
from server.deadline import DEADLINE
from server.errors import DeadlineExceeded
from server.idhash import IdHasher
from server.profiles import ProfileSource
from server.turns import HAND_OVER_EVERY, StreamTurns, hand_over_at
from tests.dedup.quality_data import person


def _waited() -> float:
    return REGISTRY.get_sample_value("hawiya_stream_chunks_waited_total") or 0.0  # this process's own count


def test_a_chunk_waits_for_the_turn_another_holds() -> None:
    turns = StreamTurns(1)
    held, order = threading.Event(), []
    before = _waited()

    def second() -> None:
        held.wait(10)
        with turns:
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with turns:
        held.set()
        time.sleep(0.2)  # the second chunk is waiting meanwhile
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"]
    assert _waited() - before == 1


def test_two_turns_let_two_chunks_in_at_once() -> None:
    turns = StreamTurns(2)
    before = _waited()
    token = DEADLINE.set(time.monotonic() + 1)  # one turn too few fails at the deadline, not hangs
    try:
        with turns, turns:
            pass
    finally:
        DEADLINE.reset(token)
    assert _waited() == before


def test_a_chunk_waits_no_longer_than_its_deadline() -> None:
    turns = StreamTurns(1)
    failed: list[BaseException] = []

    def late() -> None:  # a thread has a context of its own: its deadline is its own
        DEADLINE.set(time.monotonic() + 0.2)
        try:
            with turns:
                pass
        except DeadlineExceeded as exc:
            failed.append(exc)

    with turns:
        thread = threading.Thread(target=late)
        thread.start()
        thread.join(10)
    assert len(failed) == 1
    with turns:  # the turn the late chunk never got is not lost
        pass


@pytest.mark.parametrize("items", [1, HAND_OVER_EVERY, 3 * HAND_OVER_EVERY + 1])
def test_the_interpreter_is_handed_over_every_few_items(
    tmp_path: Path, items: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RegistryStore.from_url(f"sqlite:///{tmp_path / 'hawiya.db'}")
    audit = AuditLog(store)
    try:
        idcs = store.enrol(person(0, 1980)).person.idcs
        hasher = IdHasher(b"k" * 32)
        service = AuthenticationService(ProfileSource(store, LocalProfileCache()), audit, hasher)
        claimed = person(0, 1980)
        rules = {"first_name": MatchRule(MatchMode.EXACT)}
        calls: list[int] = []
        monkeypatch.setattr(turns, "hand_over", lambda: calls.append(1))  # counted, not slept
        outcomes = service.authenticate_many("test", [(idcs, claimed, rules)] * items, between_items=hand_over_at)
    finally:
        audit.close()
        store.close()
    assert [o.decision for o in outcomes] == ["YES"] * items  # type: ignore[union-attr]
    assert len(calls) == (items - 1) // HAND_OVER_EVERY
