"""Scoring one record against a few others with a saved model: the 1:N search of enrolment and Identify.

The packaged model (``dedup/data/register_model.json``) was trained by EM, without labels, on a
synthetic register of 200,000 people with 10 % duplicates, with the default configuration::

    hawiya synth --n 200000 --seed 11 --duplicates 0.1 --out /tmp/people.parquet
    hawiya dedup /tmp/people.parquet --out /tmp/dedup
    cp /tmp/dedup/model.json dedup/data/register_model.json

A register's own model is trained the same way on its own export (``hawiya dedup``) and given to
the server as a file.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedup.config import DEFAULT_CONFIG, DedupConfig
from dedup.engine import load_model
from dedup.errors import DedupInputError
from dedup.features import RecordFeatures
from dedup.io import prepare_records
from dedup.training import score_pairs
from matcher.model import FellegiSunterModel

__all__ = ["DEFAULT_MODEL", "RecordScorer"]

DEFAULT_MODEL = "register_model.json"


class RecordScorer:
    """Probabilities that one query record and each of some candidate records are the same person."""

    def __init__(self, model: FellegiSunterModel, config: DedupConfig = DEFAULT_CONFIG) -> None:
        if model.comparisons != config.comparisons:
            raise DedupInputError("the model does not compare the configuration's fields", field="model")
        self._model = model
        self._config = config

    @classmethod
    def default(cls) -> RecordScorer:
        """The packaged model, with the default (register) configuration."""
        text = resources.files("dedup").joinpath("data", DEFAULT_MODEL).read_bytes()
        return cls(FellegiSunterModel.from_json(text))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], config: DedupConfig = DEFAULT_CONFIG) -> RecordScorer:
        """A ``model.json`` written by ``hawiya dedup`` with the same configuration."""
        return cls(load_model(Path(path), config), config)

    @property
    def model(self) -> FellegiSunterModel:
        return self._model

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self._config.fields)

    def _features(self, query: pd.DataFrame, candidates: pd.DataFrame) -> RecordFeatures:
        if len(query) != 1:
            raise DedupInputError(f"the query must be one record, got {len(query)}", field="query")
        frame = pd.concat([query, candidates], ignore_index=True).drop(columns=["record_id"], errors="ignore")
        return RecordFeatures(prepare_records(frame, self._config).frame, self._config)

    def _pairs(self, k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return np.zeros(k, dtype=np.int64), np.arange(1, k + 1, dtype=np.int64)

    def levels(self, query: pd.DataFrame, candidates: pd.DataFrame) -> npt.NDArray[np.int8]:
        """The comparison level of each field (columns in `fields` order) for each candidate."""
        if len(candidates) == 0:
            return np.zeros((0, len(self.fields)), dtype=np.int8)
        return self._features(query, candidates).gamma(*self._pairs(len(candidates)))

    def score(self, query: pd.DataFrame, candidates: pd.DataFrame) -> npt.NDArray[np.float64]:
        """The match probability of the query with each candidate, in the candidates' order."""
        if len(candidates) == 0:
            return np.zeros(0, dtype=np.float64)
        left, right = self._pairs(len(candidates))
        return score_pairs(self._model, self._features(query, candidates), left, right).probabilities
