"""Enrolment's 1:N decision and Identify, over a real SQLite register, candidate index and match model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from registry_store.errors import IdempotencyConflict
from registry_store.model import Demographics, Name, PersonStatus
from registry_store.reviews import ReviewStatus
from server.enrolment import (
    ALREADY_ENROLLED,
    DUPLICATE,
    ENROLLED,
    POSSIBLE_DUPLICATE,
    DuplicatePolicy,
)
from server.errors import IndexNotReady, InvalidField
from tests.server.enrolment_people import MOHAMED, MOHAMMED, NAMESAKE, UNSURE, Registry, distinct, open_registry


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    opened = open_registry(f"sqlite:///{tmp_path / 'hawiya.db'}", tmp_path)
    yield opened
    opened.store.close()


def test_the_same_person_with_another_transliteration_is_a_duplicate(registry: Registry) -> None:
    first = registry.service.enrol("desk-0000000001", MOHAMMED)
    assert first.outcome == ENROLLED and first.person is not None
    second = registry.service.enrol("desk-0000000002", MOHAMED)
    assert second.outcome == DUPLICATE
    assert second.person is None and second.review_id == ""
    assert [m.idcs for m in second.matches] == [first.person.idcs]
    assert second.matches[0].probability >= 0.9
    assert registry.store.count_persons() == 1
    # The refusal is recorded, closed: nothing is left to review.
    assert registry.reviews.count(ReviewStatus.CLOSED) == 1 and registry.reviews.pending() == []


def test_a_namesake_born_the_same_year_is_enrolled(registry: Registry) -> None:
    first = registry.service.enrol("desk-0000000001", MOHAMMED)
    namesake = registry.service.enrol("desk-0000000002", NAMESAKE)
    assert namesake.outcome == ENROLLED and namesake.person is not None
    assert first.person is not None and namesake.person.idcs != first.person.idcs
    # The search did find the first as a candidate, and scored it low.
    found = {m.idcs: m.probability for m in registry.service.identify(NAMESAKE, 0, 0.0)}
    assert found[first.person.idcs] < 0.5 and found[namesake.person.idcs] >= 0.9


def test_a_retry_gets_the_first_answer(registry: Registry) -> None:
    first = registry.service.enrol("desk-0000000001", MOHAMMED)
    assert registry.service.enrol("desk-0000000001", MOHAMMED) == replace(first, outcome=ALREADY_ENROLLED)
    duplicate = registry.service.enrol("desk-0000000002", MOHAMED)
    assert first.person is not None
    # The register changes (the existing person is merged away): the retry still gets its first answer.
    other = registry.service.enrol("desk-0000000003", distinct(1))
    assert other.person is not None
    registry.service.update(
        first.person.idcs, MOHAMMED, status=PersonStatus.MERGED, merged_into=other.person.idcs, expected_version=0
    )
    assert registry.service.enrol("desk-0000000002", MOHAMED) == duplicate
    with pytest.raises(IdempotencyConflict):
        registry.service.enrol("desk-0000000002", NAMESAKE)
    with pytest.raises(IdempotencyConflict):
        registry.service.enrol("desk-0000000001", NAMESAKE)
    assert registry.store.count_persons() == 2 and registry.reviews.count() == 1


def test_between_the_thresholds_the_enrolment_is_held_for_review(tmp_path: Path) -> None:
    registry = open_registry(f"sqlite:///{tmp_path / 'hawiya.db'}", tmp_path, DuplicatePolicy(high=0.99, low=0.01))
    try:
        first = registry.service.enrol("desk-0000000001", MOHAMMED)
        held = registry.service.enrol("desk-0000000002", UNSURE)
        assert held.outcome == POSSIBLE_DUPLICATE and held.person is None
        assert first.person is not None and [m.idcs for m in held.matches] == [first.person.idcs]
        assert 0.01 <= held.matches[0].probability < 0.99
        assert len(held.review_id) == 32
        (pending,) = registry.reviews.pending()
        assert pending.review_id == held.review_id and pending.demographics == UNSURE
        assert [(c.idcs, c.probability) for c in pending.candidates] == [(m.idcs, m.probability) for m in held.matches]
        assert registry.store.count_persons() == 1  # no IDCS was allocated
        assert registry.service.enrol("desk-0000000002", UNSURE) == held
    finally:
        registry.store.close()


def test_identify_ranks_the_candidates(registry: Registry) -> None:
    for i in range(30):
        registry.service.enrol(f"desk-{i:010d}", distinct(i))
    first = registry.service.enrol("desk-mohammed-1", MOHAMMED)
    registry.service.enrol("desk-namesake-1", NAMESAKE)
    assert first.person is not None
    ranked = registry.service.identify(MOHAMED, 0, 0.0)
    assert ranked[0].idcs == first.person.idcs and ranked[0].probability >= 0.9
    probabilities = [m.probability for m in ranked]
    assert probabilities == sorted(probabilities, reverse=True) and len(ranked) >= 2
    levels = dict(ranked[0].levels)
    assert set(levels) >= {"first_name", "last_name", "birth_date", "cin"} and levels["cin"] == 1
    assert [m.idcs for m in registry.service.identify(MOHAMED, 1, 0.0)] == [first.person.idcs]
    assert [m.idcs for m in registry.service.identify(MOHAMED, 20, 0.5)] == [first.person.idcs]
    # Only a surname, in Arabic script: still a search (whatever it finds).
    assert isinstance(registry.service.identify(Demographics(last_name=Name("", "العلوي")), 0, 0.0), list)
    for args, field in (
        ((MOHAMED, 21, 0.0), "max_results"),
        ((MOHAMED, -1, 0.0), "max_results"),
        ((MOHAMED, 0, 1.5), "min_probability"),
        ((MOHAMED, 0, float("nan")), "min_probability"),
        ((replace(MOHAMED, first_name=Name(), last_name=Name()), 0, 0.0), "demographics"),
    ):
        with pytest.raises(InvalidField) as err:
            registry.service.identify(*args)  # type: ignore[arg-type]
        assert err.value.field == field


def test_the_index_follows_updates(registry: Registry) -> None:
    first = registry.service.enrol("desk-0000000001", MOHAMMED)
    assert first.person is not None
    size = len(registry.index)
    # Corrected to another person's data: the old names no longer match anything.
    registry.service.update(first.person.idcs, distinct(7), status=None, merged_into="", expected_version=1)
    assert len(registry.index) == size
    assert registry.service.enrol("desk-0000000002", MOHAMED).outcome == ENROLLED
    assert registry.service.enrol("desk-0000000003", replace(distinct(7), phone="")).outcome == DUPLICATE


def test_calls_before_the_index_is_loaded_are_refused(tmp_path: Path) -> None:
    registry = open_registry(f"sqlite:///{tmp_path / 'hawiya.db'}", tmp_path, load=False)
    try:
        with pytest.raises(IndexNotReady):
            registry.service.enrol("desk-0000000001", MOHAMMED)
        with pytest.raises(IndexNotReady):
            registry.service.identify(MOHAMMED, 0, 0.0)
        assert registry.store.count_persons() == 0
        registry.index.load()
        assert registry.service.enrol("desk-0000000001", MOHAMMED).outcome == ENROLLED
    finally:
        registry.store.close()


def test_the_thresholds_are_checked() -> None:
    for high, low in ((0.4, 0.5), (1.5, 0.5), (0.9, 0.0)):
        with pytest.raises(ValueError, match="thresholds"):
            DuplicatePolicy(high=high, low=low)
    assert DuplicatePolicy(0.7, 0.7).decide([]) == (ENROLLED, ())


def test_the_thresholds_are_settings() -> None:
    from server.config import ConfigError, load_config

    config = load_config({"HAWIYA_DUPLICATE_HIGH": "0.95", "HAWIYA_DUPLICATE_LOW": "0.6"})
    assert (config.duplicate_high, config.duplicate_low, config.match_model) == (0.95, 0.6, None)
    for environ, variable in (
        ({"HAWIYA_DUPLICATE_HIGH": "1.5"}, "HAWIYA_DUPLICATE_HIGH"),
        ({"HAWIYA_DUPLICATE_LOW": "zero"}, "HAWIYA_DUPLICATE_LOW"),
        ({"HAWIYA_DUPLICATE_HIGH": "0.4"}, "HAWIYA_DUPLICATE_LOW"),  # below the low threshold's default
        ({"HAWIYA_MATCH_MODEL": " "}, "HAWIYA_MATCH_MODEL"),
    ):
        with pytest.raises(ConfigError) as err:
            load_config(environ)
        assert err.value.variable == variable


def test_an_unreadable_match_model_stops_the_start(tmp_path: Path) -> None:
    from server.app import _scorer
    from server.config import Config, ConfigError

    bad = tmp_path / "model.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        _scorer(Config(match_model=bad))
    assert err.value.variable == "HAWIYA_MATCH_MODEL"
