"""The ComplaintStore contract, run against every backend (the `store` fixture: sqlite, postgresql)."""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registry_store import (
    Complaint,
    ComplaintNotFound,
    ComplaintStatus,
    ComplaintStore,
    ComplaintSubject,
    ComplaintSubjectKind,
    Demographics,
    HouseholdNotFound,
    HouseholdStore,
    IdempotencyConflict,
    IllegalTransition,
    InvalidField,
    InvalidIdcs,
    PersonNotFound,
    RegistryStore,
    new_idcs,
)
from registry_store.complaints import DEFAULT_PAGE_SIZE
from registry_store.schema import complaint_transitions, complaints
from tests.registry_store.rsu_data import COMFORTABLE, URBAN, enrol_people, family

Make = Callable[[int], Demographics]
OPEN, IN_REVIEW, RESOLVED, REJECTED = (
    ComplaintStatus.OPEN,
    ComplaintStatus.IN_REVIEW,
    ComplaintStatus.RESOLVED,
    ComplaintStatus.REJECTED,
)


@pytest.fixture
def desk(store: RegistryStore) -> ComplaintStore:
    return ComplaintStore(store)


@pytest.fixture
def world(store: RegistryStore, demographics: Make) -> tuple[list[str], list[str]]:
    """Four persons and two households (of two members each)."""
    people = enrol_people(store, demographics, 0, 4)
    homes = HouseholdStore(store)
    ids = [
        homes.register_household(family(people[i : i + 2]), URBAN, COMFORTABLE).household.household_id for i in (0, 2)
    ]
    return people, ids


def _rows(store: RegistryStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _file(
    desk: ComplaintStore, subject: ComplaintSubject, text: str = "My household's index is too high."
) -> Complaint:
    return desk.file_complaint(subject, text, filed_by="rsu-desk-fes").complaint


def test_file_then_read_back(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    people, ids = world
    subject = ComplaintSubject(ComplaintSubjectKind.MEMBERSHIP, idcs=people[1], household_id=ids[0])
    result = desk.file_complaint(subject, "I left this household\nin 2024.", filed_by="rsu-desk-fes")
    c = result.complaint
    assert result.created and len(c.complaint_id) == 32
    assert (c.subject, c.text, c.filed_by, c.status) == (
        subject,
        "I left this household\nin 2024.",
        "rsu-desk-fes",
        OPEN,
    )
    (filing,) = c.history
    assert (filing.from_status, filing.to_status, filing.reason, filing.actor) == (None, OPEN, "", "rsu-desk-fes")
    assert c.filed_at == filing.at and c.filed_at.utcoffset() == timedelta(0)
    assert c.closed_at is None and c.time_to_resolution is None
    assert desk.get_complaint(c.complaint_id) == c
    assert desk.count_complaints() == 1


@pytest.mark.parametrize(
    ("kind", "uses", "missing_field"),
    [
        (ComplaintSubjectKind.PERSON_DATA, {"idcs"}, "subject.idcs"),
        (ComplaintSubjectKind.MERGE, {"idcs"}, "subject.idcs"),
        (ComplaintSubjectKind.HOUSEHOLD_INDEX, {"household_id"}, "subject.household_id"),
        (ComplaintSubjectKind.MEMBERSHIP, {"idcs", "household_id"}, "subject.idcs"),
    ],
)
def test_each_kind_names_its_records(
    desk: ComplaintStore,
    world: tuple[list[str], list[str]],
    kind: ComplaintSubjectKind,
    uses: set[str],
    missing_field: str,
) -> None:
    people, ids = world
    full = {"idcs": people[0], "household_id": ids[0]}
    given = {k: v for k, v in full.items() if k in uses}
    assert _file(desk, ComplaintSubject(kind, **given)).subject == ComplaintSubject(kind, **given)
    with pytest.raises(InvalidField) as missing:
        _file(desk, ComplaintSubject(kind))
    assert missing.value.field == missing_field
    extra = next(k for k in full if k not in uses) if uses != set(full) else None
    if extra is not None:
        with pytest.raises(InvalidField) as too_much:
            _file(desk, ComplaintSubject(kind, **full))
        assert too_much.value.field == f"subject.{extra}"
    assert desk.count_complaints() == 1


def test_the_subject_must_exist(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    people, _ = world
    rng = random.Random(3)
    unknown_person = next(i for i in iter(lambda: new_idcs(rng), None) if i not in people)
    with pytest.raises(PersonNotFound) as person:
        _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=unknown_person))
    assert person.value.field == "subject.idcs"
    with pytest.raises(HouseholdNotFound) as household:
        _file(desk, ComplaintSubject(ComplaintSubjectKind.HOUSEHOLD_INDEX, household_id="a" * 32))
    assert household.value.field == "subject.household_id"
    with pytest.raises(InvalidIdcs) as typo:
        _file(desk, ComplaintSubject(ComplaintSubjectKind.MERGE, idcs=people[0][:9] + "x"))
    assert typo.value.field == "subject.idcs"
    assert desk.count_complaints() == 0


@pytest.mark.parametrize(
    ("text", "why"), [("", "required"), ("   ", "required"), ("x" * 4001, "4000"), ("a\x00b", "control")]
)
def test_text_is_checked(desk: ComplaintStore, world: tuple[list[str], list[str]], text: str, why: str) -> None:
    with pytest.raises(InvalidField, match=why) as info:
        _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=world[0][0]), text)
    assert info.value.field == "text"


def test_filing_is_idempotent(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    subject = ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=world[0][0])
    first = desk.file_complaint(subject, "wrong birth date", filed_by="desk", idempotency_key="c-1")
    again = desk.file_complaint(subject, "wrong birth date", filed_by="desk", idempotency_key="c-1")
    assert again.created is False and again.complaint == first.complaint
    with pytest.raises(IdempotencyConflict):
        desk.file_complaint(subject, "wrong name", filed_by="desk", idempotency_key="c-1")
    assert desk.count_complaints() == 1


# -- lifecycle ----------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", [RESOLVED, REJECTED])
def test_lifecycle_keeps_every_transition(
    store: RegistryStore, desk: ComplaintStore, world: tuple[list[str], list[str]], outcome: ComplaintStatus
) -> None:
    c = _file(desk, ComplaintSubject(ComplaintSubjectKind.HOUSEHOLD_INDEX, household_id=world[1][0]))
    reviewed = desk.change_status(c.complaint_id, IN_REVIEW, reason="", actor="agent-7")
    closed = desk.change_status(c.complaint_id, outcome, reason="Rooms were miscounted.", actor="agent-9")
    assert [(t.from_status, t.to_status) for t in closed.history] == [
        (None, OPEN),
        (OPEN, IN_REVIEW),
        (IN_REVIEW, outcome),
    ]
    assert [t.actor for t in closed.history] == ["rsu-desk-fes", "agent-7", "agent-9"]
    assert closed.history[2].reason == "Rooms were miscounted."
    assert closed.history[:2] == reviewed.history
    times = [t.at for t in closed.history]
    assert times == sorted(times)
    assert closed.status is outcome and closed.closed_at == times[-1]
    assert closed.time_to_resolution == times[-1] - times[0]
    assert desk.get_complaint(c.complaint_id) == closed
    assert _rows(store, complaints) == 1 and _rows(store, complaint_transitions) == 3


def test_illegal_transitions_are_refused_and_write_nothing(
    store: RegistryStore, desk: ComplaintStore, world: tuple[list[str], list[str]]
) -> None:
    c = _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=world[0][0]))
    for status in (OPEN, RESOLVED, REJECTED):
        with pytest.raises(IllegalTransition) as info:
            desk.change_status(c.complaint_id, status, reason="because", actor="agent")
        assert info.value.field == "status"
    desk.change_status(c.complaint_id, IN_REVIEW, reason="", actor="agent")
    for status in (OPEN, IN_REVIEW):
        with pytest.raises(IllegalTransition):
            desk.change_status(c.complaint_id, status, reason="because", actor="agent")
    desk.change_status(c.complaint_id, REJECTED, reason="unfounded", actor="agent")
    for status in ComplaintStatus:
        with pytest.raises(IllegalTransition, match="closed"):
            desk.change_status(c.complaint_id, status, reason="reopen", actor="agent")
    assert len(desk.get_complaint(c.complaint_id).history) == 3
    assert _rows(store, complaint_transitions) == 3


def test_closing_needs_a_reason(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    c = _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=world[0][0]))
    desk.change_status(c.complaint_id, IN_REVIEW, reason="", actor="agent")
    for status in (RESOLVED, REJECTED):
        with pytest.raises(InvalidField) as info:
            desk.change_status(c.complaint_id, status, reason="  ", actor="agent")
        assert info.value.field == "reason"
    with pytest.raises(ComplaintNotFound) as missing:
        desk.change_status("b" * 32, IN_REVIEW, reason="", actor="agent")
    assert missing.value.field == "complaint_id"
    with pytest.raises(ComplaintNotFound):
        desk.get_complaint("b" * 32)
    with pytest.raises(InvalidField) as malformed:
        desk.get_complaint("B" * 32)
    assert malformed.value.field == "complaint_id"


def test_concurrent_closings_one_wins(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    c = _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=world[0][0]))
    desk.change_status(c.complaint_id, IN_REVIEW, reason="", actor="agent")
    barrier = threading.Barrier(8)

    def close(k: int) -> bool:
        barrier.wait()
        try:
            desk.change_status(c.complaint_id, RESOLVED if k % 2 else REJECTED, reason=f"agent {k}", actor=f"a{k}")
        except IllegalTransition:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(close, range(8))).count(True) == 1
    assert len(desk.get_complaint(c.complaint_id).history) == 3


# -- listing ------------------------------------------------------------------------------------


def test_list_filters_and_pages(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    people, ids = world
    filed = []
    for k in range(7):
        subject = (
            ComplaintSubject(ComplaintSubjectKind.HOUSEHOLD_INDEX, household_id=ids[k % 2])
            if k != 6
            else ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=people[0])
        )
        filed.append(_file(desk, subject, f"complaint {k}"))
    for k in (1, 2, 3):
        desk.change_status(filed[k].complaint_id, IN_REVIEW, reason="", actor="agent")
    desk.change_status(filed[3].complaint_id, RESOLVED, reason="fixed", actor="agent")

    def ids_of(**filters: object) -> list[str]:
        return [c.complaint_id for c in desk.list_complaints(**filters).complaints]  # type: ignore[arg-type]

    assert ids_of() == [c.complaint_id for c in filed]
    assert ids_of(status=OPEN) == [filed[k].complaint_id for k in (0, 4, 5, 6)]
    assert ids_of(status=IN_REVIEW) == [filed[k].complaint_id for k in (1, 2)]
    assert ids_of(status=RESOLVED) == [filed[3].complaint_id]
    assert ids_of(status=REJECTED) == []
    assert ids_of(household_id=ids[1]) == [filed[k].complaint_id for k in (1, 3, 5)]
    assert ids_of(household_id=ids[0], status=OPEN) == [filed[k].complaint_id for k in (0, 4)]

    pages, token = [], ""
    while True:
        page = desk.list_complaints(page_size=3, page_token=token)
        pages.append([c.complaint_id for c in page.complaints])
        token = page.next_page_token
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == [c.complaint_id for c in filed]
    exact = desk.list_complaints(status=OPEN, page_size=2)
    rest = desk.list_complaints(status=OPEN, page_size=2, page_token=exact.next_page_token)
    assert len(rest.complaints) == 2 and rest.next_page_token == ""
    assert desk.list_complaints(page_size=0).complaints == desk.list_complaints(page_size=DEFAULT_PAGE_SIZE).complaints
    assert len(desk.list_complaints(page_size=10_000).complaints) == 7


def test_page_tokens_are_checked(desk: ComplaintStore, world: tuple[list[str], list[str]]) -> None:
    for k in range(3):
        _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=world[0][0]), f"c{k}")
    token = desk.list_complaints(page_size=1).next_page_token
    forged = base64.urlsafe_b64encode(json.dumps({"v": 1, "after": "x", "f": "y"}).encode()).decode()
    for bad in ("garbage!", "é", forged, token[:-2]):
        with pytest.raises(InvalidField) as info:
            desk.list_complaints(page_size=1, page_token=bad)
        assert info.value.field == "page_token"
    with pytest.raises(InvalidField) as other_filters:
        desk.list_complaints(status=OPEN, page_size=1, page_token=token)
    assert other_filters.value.field == "page_token"
    with pytest.raises(InvalidField) as size:
        desk.list_complaints(page_size=-1)
    assert size.value.field == "page_size"
    with pytest.raises(InvalidField) as household:
        desk.list_complaints(household_id="nope")
    assert household.value.field == "household_id"


def test_no_complaint_text_or_ids_in_logs(
    desk: ComplaintStore, world: tuple[list[str], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    people, _ = world
    with caplog.at_level(logging.DEBUG, logger="registry_store"):
        c = _file(desk, ComplaintSubject(ComplaintSubjectKind.PERSON_DATA, idcs=people[0]), "Fatima, born 1987")
        desk.change_status(c.complaint_id, IN_REVIEW, reason="", actor="agent")
        desk.change_status(c.complaint_id, RESOLVED, reason="corrected the name Fatima", actor="agent")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    for secret in (people[0], c.complaint_id, "Fatima", "1987"):
        assert secret not in text
