"""The 1:N search: the register's persons some demographics may be, with match probabilities.

Candidates come from the process's `PersonIndex` (blocking keys and name-vector neighbours);
each candidate's latest version is read from the register and scored against the query by the
register's match model (`dedup.scorer.RecordScorer`: Fellegi–Sunter, trained by EM). This module
ranks and cuts; the matching itself is the model's. Enrolment (`server.enrolment`) decides on
the ranked matches; `Identify` returns them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from dedup.demographics import REGISTER_COLUMNS, demographics_frame
from dedup.quality.sources import persons_frame
from dedup.scorer import RecordScorer
from registry_store.model import BirthDate, DatePrecision, Demographics, Name, PersonStatus, Sex
from registry_store.store import RegistryStore
from server.errors import InvalidField
from server.metrics import DUPLICATE_SEARCH_SECONDS
from server.person_index import PersonIndex

__all__ = ["DEFAULT_RESULTS", "MAX_RESULTS", "Identifier", "Match"]

log = logging.getLogger(__name__)

DEFAULT_RESULTS = 10
MAX_RESULTS = 20  # the candidate index finds at most this many per query (CandidateSettings' cap)


@dataclass(frozen=True, slots=True)
class Match:
    """An existing person found by the search, the probability it is the same person, and (for
    Identify) each field's comparison level in the model's field order."""

    idcs: str
    probability: float
    levels: tuple[tuple[str, int], ...] = ()


class Identifier:
    """Scores the index's candidates for some demographics with the register's match model."""

    def __init__(self, store: RegistryStore, index: PersonIndex, scorer: RecordScorer) -> None:
        self._store = store
        self._index = index
        self._scorer = scorer

    @property
    def index(self) -> PersonIndex:
        return self._index

    def warm_up(self) -> None:
        """Score once before the first call: the model's tables and compiled kernels load now."""
        one = Demographics(
            first_name=Name("Mohammed", "محمد"),
            last_name=Name("El Alaoui", "العلوي"),
            sex=Sex.MALE,
            birth_date=BirthDate(1980, 1, 2, DatePrecision.FULL),
        )
        other = replace(one, first_name=Name("Mohamed", "محمد"))
        query, candidates = demographics_frame([one]), demographics_frame([other, one])
        self._scorer.score(query, candidates)
        self._scorer.levels(query, candidates)

    def search(self, demographics: Demographics, *, call: str, levels: bool = False) -> list[Match]:
        """Every candidate the index finds, scored, most probable first (ties by IDCS).

        ``call`` labels the latency metric (enrol or identify). Under `PersonIndex.exclusive` the
        index has caught up with every enrolment committed before (of any process).
        """
        started = time.perf_counter()
        query = demographics_frame([demographics])
        found = self._index.link(query)
        persons = [p for p in self._store.find_persons(found).values() if p.status is not PersonStatus.MERGED]
        if not persons:
            DUPLICATE_SEARCH_SECONDS.labels(call).observe(time.perf_counter() - started)
            return []
        candidates = persons_frame(persons)[list(REGISTER_COLUMNS)]
        probabilities = self._scorer.score(query, candidates)
        field_levels = self._scorer.levels(query, candidates) if levels else None
        fields = self._scorer.fields
        order = sorted(range(len(persons)), key=lambda i: (-float(probabilities[i]), persons[i].idcs))
        matches = []
        for i in order:
            p = float(np.clip(probabilities[i], 0.0, 1.0))
            per_field = () if field_levels is None else tuple(zip(fields, map(int, field_levels[i]), strict=True))
            matches.append(Match(persons[i].idcs, p, per_field))
        DUPLICATE_SEARCH_SECONDS.labels(call).observe(time.perf_counter() - started)
        return matches

    def identify(self, demographics: Demographics, max_results: int, min_probability: float) -> list[Match]:
        """The Identify call: at most ``max_results`` (0: the default) candidates at least
        ``min_probability`` probable, with their per-field levels."""
        if max_results == 0:
            max_results = DEFAULT_RESULTS
        if not 1 <= max_results <= MAX_RESULTS:
            raise InvalidField("max_results", f"must be 1 to {MAX_RESULTS}, or 0 for {DEFAULT_RESULTS}")
        if min_probability != min_probability or not 0.0 <= min_probability <= 1.0:  # NaN is not equal to itself
            raise InvalidField("min_probability", "must be between 0 and 1")
        first, last = demographics.first_name, demographics.last_name
        if first.is_empty() and last.is_empty():
            raise InvalidField("demographics", "a first or a last name (in either script) is required to search")
        found = self.search(demographics, call="identify", levels=True)
        matches = [m for m in found if m.probability >= min_probability]
        log.info("identify candidates=%d", len(matches))
        return matches[:max_results]
