"""`RecordScorer` with the packaged model: a person's duplicates score high, other people low."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dedup.config import DEFAULT_CONFIG, DedupConfig, FieldSpec, TrainingSpec
from dedup.errors import DedupInputError
from dedup.scorer import RecordScorer
from synthetic import generate

SEED = 20_250_303
PEOPLE = 1_000
PERSONS_CHECKED = 40


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    records, _ = generate(PEOPLE, SEED, 0.2)
    return records


@pytest.fixture(scope="module")
def scorer() -> RecordScorer:
    return RecordScorer.default()


def _without_truth(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["entity_id"])


def test_the_default_scorer_compares_the_register_fields(scorer: RecordScorer) -> None:
    assert scorer.fields == tuple(f.name for f in DEFAULT_CONFIG.fields)
    assert scorer.model.comparisons == DEFAULT_CONFIG.comparisons


def test_duplicates_score_above_0_9_and_other_people_below_0_1(scorer: RecordScorer, people: pd.DataFrame) -> None:
    entity = people["entity_id"].to_numpy()
    counts = people["entity_id"].value_counts()
    with_copies = [e for e in people["entity_id"].unique() if counts[e] > 1][:PERSONS_CHECKED]
    assert len(with_copies) == PERSONS_CHECKED
    rng = np.random.default_rng(SEED)
    for person in with_copies:
        rows = np.flatnonzero(entity == person)
        others = rng.choice(np.flatnonzero(entity != person), size=5, replace=False)
        query = _without_truth(people.iloc[rows[:1]])
        candidates = _without_truth(people.iloc[np.r_[rows[1:], others]])
        probabilities = scorer.score(query, candidates)
        assert probabilities.shape == (len(candidates),) and probabilities.dtype == np.float64
        copies = len(rows) - 1
        assert (probabilities[:copies] > 0.9).all(), (person, probabilities[:copies])
        assert (probabilities[copies:] < 0.1).all(), (person, probabilities[copies:])


def test_a_record_scores_highest_against_itself(scorer: RecordScorer, people: pd.DataFrame) -> None:
    frame = _without_truth(people)
    probabilities = scorer.score(frame.iloc[[0]], frame.iloc[[0, 1, 2]])
    assert probabilities[0] > 0.99
    assert probabilities[0] == probabilities.max()


def test_levels_give_one_row_per_candidate_and_one_column_per_field(scorer: RecordScorer, people: pd.DataFrame) -> None:
    frame = _without_truth(people)
    levels = scorer.levels(frame.iloc[[0]], frame.iloc[0:7])
    assert levels.shape == (7, len(scorer.fields)) and levels.dtype == np.int8
    for column, comparison in enumerate(scorer.model.comparisons):
        assert ((levels[:, column] >= 0) & (levels[:, column] < comparison.n_levels)).all()
    # The record against itself: every field it has agrees exactly (level 1), the missing ones are null.
    assert set(levels[0].tolist()) <= {0, 1} and 1 in levels[0]


def test_a_query_of_two_records_is_refused(scorer: RecordScorer, people: pd.DataFrame) -> None:
    frame = _without_truth(people)
    with pytest.raises(DedupInputError, match="one record, got 2") as caught:
        scorer.score(frame.iloc[:2], frame.iloc[2:5])
    assert caught.value.field == "query"
    with pytest.raises(DedupInputError):
        scorer.levels(frame.iloc[:2], frame.iloc[2:5])


def test_no_candidates_give_empty_results(scorer: RecordScorer, people: pd.DataFrame) -> None:
    frame = _without_truth(people)
    probabilities = scorer.score(frame.iloc[[0]], frame.iloc[:0])
    assert probabilities.shape == (0,) and probabilities.dtype == np.float64
    assert scorer.levels(frame.iloc[[0]], frame.iloc[:0]).shape == (0, len(scorer.fields))


def test_a_model_of_other_fields_is_refused(scorer: RecordScorer) -> None:
    other = DedupConfig(
        fields=(FieldSpec("cin", "exact"), FieldSpec("phone", "exact")),
        training=(
            TrainingSpec("cin", ("cin",)),
            TrainingSpec("phone", ("phone",)),
        ),
    )
    with pytest.raises(DedupInputError) as caught:
        RecordScorer(scorer.model, other)
    assert caught.value.field == "model"
