"""Candidates: settings as data, recall on a synthetic population, the per-record cap, linking."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexer.ann import NameIndex
from indexer.blocking import BlockingRule
from indexer.candidates import (
    ANN_SOURCE,
    CandidateIndex,
    CandidatePairs,
    CandidateSettings,
    _score,
    find_candidates,
)
from indexer.errors import BlockingRuleError, CandidateSettingsError, IndexerError, IndexStateError
from synthetic import generate

N_PEOPLE = 3_000
SEED = 20_241_104


@pytest.fixture(scope="module")
def population() -> tuple[pd.DataFrame, pd.DataFrame]:
    records, truth = generate(N_PEOPLE, SEED, 0.1)
    assert truth is not None
    return records, truth


def true_pairs(truth: pd.DataFrame) -> set[tuple[int, int]]:
    groups = truth.reset_index(drop=True).groupby("entity_id").indices
    return {(int(a), int(b)) for rows in groups.values() for i, a in enumerate(rows) for b in rows[i + 1 :]}


def recall(pairs: CandidatePairs, truth: pd.DataFrame) -> float:
    expected = true_pairs(truth)
    found = set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    return len(expected & found) / len(expected)


def test_settings_round_trip_through_json() -> None:
    settings = CandidateSettings(neighbours=7, min_similarity=0.5, dimension=32, nprobe=3)
    assert CandidateSettings.from_json(settings.to_json()) == settings
    assert CandidateSettings.from_dict({}) == CandidateSettings()
    assert settings.source_names[-1] == ANN_SOURCE
    assert settings.source_names[:-1] == tuple(rule.name for rule in settings.rules)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ({"neighbours": -1}, CandidateSettingsError, "setting 'neighbours': must be an integer ≥ 0"),
        ({"min_similarity": 2}, CandidateSettingsError, "setting 'min_similarity': must be a number in"),
        ({"max_pairs_per_record": 0}, CandidateSettingsError, "'max_pairs_per_record'"),
        ({"rules": [], "neighbours": 0}, CandidateSettingsError, "would find nothing"),
        ({"rules": "cin"}, CandidateSettingsError, "setting 'rules': must be a list"),
        ({"colour": "blue"}, CandidateSettingsError, "unknown keys ['colour']"),
        ({"rules": [{"name": "x", "keys": ["nope"]}]}, BlockingRuleError, "blocking rule 'x': unknown key function"),
    ],
)
def test_invalid_settings_are_refused(data: dict[str, object], error: type[IndexerError], message: str) -> None:
    with pytest.raises(error) as caught:
        CandidateSettings.from_dict(data)
    assert message in str(caught.value)
    with pytest.raises(CandidateSettingsError, match="not valid JSON"):
        CandidateSettings.from_json("{")


def test_recall_on_a_synthetic_population(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, truth = population
    pairs = find_candidates(records)
    assert recall(pairs, truth) >= 0.98
    assert len(pairs) <= 20 * len(records)
    assert np.all(pairs.left < pairs.right)
    codes = pairs.left * len(records) + pairs.right
    assert np.array_equal(codes, np.unique(codes))
    assert (pairs.sources != 0).all()
    assert pairs.found_by(ANN_SOURCE).any() and pairs.from_blocking().any()
    assert np.isfinite(pairs.similarity).all() and (pairs.similarity <= 1.0001).all()
    assert {"blocking", "vectors", "faiss_train", "faiss_add", "faiss_search", "combine"} <= set(pairs.seconds)
    with pytest.raises(CandidateSettingsError, match="unknown source"):
        pairs.found_by("nope")


def test_each_source_alone_and_both(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, truth = population
    both = find_candidates(records)
    blocking = find_candidates(records, dataclasses.replace(CandidateSettings(), neighbours=0))
    ann = find_candidates(records, dataclasses.replace(CandidateSettings(), rules=()))
    assert recall(both, truth) >= max(recall(blocking, truth), recall(ann, truth))
    assert np.isnan(blocking.similarity).all()
    assert ann.source_names == (ANN_SOURCE,) and (ann.sources == 1).all()
    assert min(recall(blocking, truth), recall(ann, truth)) >= 0.95


def test_neighbours_respect_the_similarity_floor(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = population
    settings = CandidateSettings(rules=(), min_similarity=0.9)
    pairs = find_candidates(records, settings)
    assert (pairs.similarity >= np.float32(0.9) - 1e-5).all()


def test_the_cap_keeps_each_pair_in_the_best_of_one_of_its_records(
    population: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    records, _ = population
    records = records.iloc[:1500]
    settings = CandidateSettings(
        rules=(BlockingRule("year", ("birth_year",), max_block_size=1000),), neighbours=5, max_pairs_per_record=3
    )
    uncapped = find_candidates(records, dataclasses.replace(settings, max_pairs_per_record=10**6))
    capped = find_candidates(records, settings)
    assert capped.capped_pairs > 0
    assert len(capped) + capped.capped_pairs == len(uncapped)
    # Reference: per record, the cap-th best score (ties at the border may go either way).
    score = _score(uncapped.sources, uncapped.similarity, len(settings.source_names))
    allowed: set[tuple[int, int]] = set()
    required: set[tuple[int, int]] = set()
    for record in range(len(records)):
        mine = np.flatnonzero((uncapped.left == record) | (uncapped.right == record))
        ranked = np.sort(score[mine])[::-1]
        border = ranked[2] if len(ranked) > 3 else -1
        beyond = ranked[3] if len(ranked) > 3 else -1
        for i in mine:
            pair = (int(uncapped.left[i]), int(uncapped.right[i]))
            if score[i] >= border:
                allowed.add(pair)
            if score[i] > beyond:
                required.add(pair)
    kept = set(zip(capped.left.tolist(), capped.right.tolist(), strict=True))
    assert required <= kept <= allowed


def test_linking_new_records_finds_their_registered_duplicates(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, truth = population
    registered = records.iloc[:N_PEOPLE]  # the original people come first
    arrivals = records.iloc[N_PEOPLE:]
    ids = np.arange(N_PEOPLE, dtype=np.int64) + 1_000_000
    index = CandidateIndex.build(registered, ids)
    linked = index.link(arrivals)
    entity = truth["entity_id"].to_numpy()
    hits = 0
    for row in range(len(arrivals)):
        originals = np.flatnonzero(entity[:N_PEOPLE] == entity[N_PEOPLE + row]) + 1_000_000
        hits += bool(set(originals.tolist()) & set(linked.for_row(row).tolist()))
    assert hits / len(arrivals) >= 0.98
    assert np.bincount(linked.rows, minlength=len(arrivals)).max() <= index.settings.max_pairs_per_record


def test_candidate_index_grows_and_forgets(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = population
    index = CandidateIndex()
    assert len(index.link(records.iloc[:5])) == 0  # nothing registered yet
    index.add(records.iloc[:100], np.arange(100))
    assert len(index) == 100
    assert 7 in index.link(records.iloc[7:8]).for_row(0).tolist()
    index.remove([7])
    assert 7 not in index.link(records.iloc[7:8]).for_row(0).tolist()
    assert len(index) == 99


def test_an_empty_register_builds_an_empty_index_to_add_to(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = population
    index = CandidateIndex.build(records.iloc[:0], np.zeros(0, dtype=np.int64))
    assert len(index) == 0
    index.add(records.iloc[:0], [])
    index.add(records.iloc[:50], np.arange(50))
    assert 3 in index.link(records.iloc[3:4]).for_row(0).tolist()
    with pytest.raises(IndexStateError, match="expected 0 ids"):
        CandidateIndex.build(records.iloc[:0], [1, 2])


def test_candidate_index_checks_the_name_index_dimension() -> None:
    with pytest.raises(IndexStateError, match="dimension 16, the settings 64"):
        CandidateIndex(CandidateSettings(), NameIndex.empty(16))


def test_candidate_index_restarts_from_a_saved_name_index(
    population: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    records, _ = population
    registered, arrivals = records.iloc[:2000], records.iloc[2000:2100]
    ids = np.arange(2000, dtype=np.int64)
    index = CandidateIndex.build(registered, ids)
    index.names.save(tmp_path / "names.faiss")
    restarted = CandidateIndex.with_names(registered, ids, NameIndex.load(tmp_path / "names.faiss", dimension=64))
    before, after = index.link(arrivals), restarted.link(arrivals)
    assert before.rows.tolist() == after.rows.tolist() and before.ids.tolist() == after.ids.tolist()
    assert before.sources.tolist() == after.sources.tolist()


def test_linking_searches_link_nprobe_lists(population: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = population
    settings = CandidateSettings(exact_threshold=1000, nprobe=1, link_nprobe=6)
    index = CandidateIndex.build(records, np.arange(len(records)), settings)
    assert index.names.factory.startswith("IVF") and index.names.nprobe == 6
    assert 5 in index.link(records.iloc[5:6]).for_row(0).tolist()
