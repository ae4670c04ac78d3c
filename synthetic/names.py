"""Name tables as arrays: weighted draws of names by cohort and origin, and of their spellings."""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from synthetic.places import draw
from synthetic.reference import (
    NameEntry,
    female_first_names,
    male_first_names,
    surnames,
)

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]

# Birth cohorts: 0 born before 1965, 1 born 1965-1989, 2 born 1990 or later.
_COHORT_BOUNDS = (1965, 1990)
# How much an entry's weight is multiplied by in each cohort, by its era tag.
_ERA_FACTORS: dict[str | None, tuple[float, float, float]] = {
    None: (1.0, 1.0, 1.0),
    "old": (3.0, 0.8, 0.15),
    "mid": (0.5, 2.5, 0.4),
    "young": (0.1, 0.8, 3.0),
}
# Origin components: 0 any name, 1 Amazigh names only, 2 Hassani names only.
ORIGIN_COMPONENTS = (None, "amazigh", "hassani")
# The first (most common) Latin spelling of a name gets this share; the others share the rest
# in proportion to 1 / rank ** _OTHER_SPELLINGS_DECAY.
_FIRST_SPELLING_SHARE = 0.65
_OTHER_SPELLINGS_DECAY = 1.3


def cohort_of(birth_year: IntArray) -> IntArray:
    """Cohort index (0, 1, 2) of each birth year."""
    return np.searchsorted(np.array(_COHORT_BOUNDS), birth_year, side="right").astype(np.int64)


@functools.cache
def spelling_weights(count: int) -> FloatArray:
    """Probabilities of the Latin spellings of a name with ``count`` spellings, in file order.

    The returned array is shared and read-only.
    """
    if count == 1:
        weights = np.ones(1)
    else:
        rest = 1.0 / np.arange(1, count, dtype=np.float64) ** _OTHER_SPELLINGS_DECAY
        weights = np.concatenate([[_FIRST_SPELLING_SHARE], (1 - _FIRST_SPELLING_SHARE) * rest / rest.sum()])
    weights.flags.writeable = False
    return weights


class NameTable:
    """A list of names with vectorised draws of names and of Latin spellings."""

    def __init__(self, entries: tuple[NameEntry, ...]) -> None:
        self.entries = entries
        self.arabic: ObjArray = np.array([e.arabic for e in entries], dtype=object)
        self.by_arabic: dict[str, NameEntry] = {e.arabic: e for e in entries}
        counts = np.array([len(e.latin) for e in entries], dtype=np.int64)
        self.latin_offsets: IntArray = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.latin_counts = counts
        self.latin: ObjArray = np.array([v for e in entries for v in e.latin], dtype=object)
        # Entry i's spelling CDF is stored shifted by i, so one searchsorted on i + u finds the
        # spelling of every drawn name at once.
        self._spelling_cdf = np.concatenate(
            [i + np.cumsum(spelling_weights(len(e.latin))) for i, e in enumerate(entries)]
        )
        self._spelling_cdf[self.latin_offsets + counts - 1] = np.arange(len(entries)) + 1.0
        weights = np.array([e.weight for e in entries])
        self._support: list[IntArray] = []
        self._p: list[list[FloatArray]] = []
        for origin in ORIGIN_COMPONENTS:
            keep = np.array([origin is None or e.origin == origin for e in entries])
            if not keep.any():
                keep[:] = True
            support = np.flatnonzero(keep).astype(np.int64)
            self._support.append(support)
            self._p.append(
                [weights[support] * np.array([_ERA_FACTORS[entries[i].era][c] for i in support]) for c in range(3)]
            )

    def draw(self, rng: np.random.Generator, cohort: IntArray, origin: IntArray) -> IntArray:
        """Draw one entry index per person given their cohort and origin component."""
        out = np.zeros(len(cohort), dtype=np.int64)
        for o, support in enumerate(self._support):
            for c in range(3):
                idx = np.flatnonzero((cohort == c) & (origin == o))
                if len(idx):
                    out[idx] = support[draw(rng, self._p[o][c], len(idx))]
        return out

    def spell(self, rng: np.random.Generator, index: IntArray) -> ObjArray:
        """Draw a Latin spelling for each entry index, most often the first one."""
        flat = np.searchsorted(self._spelling_cdf, index + rng.random(len(index)), side="right")
        last = self.latin_offsets[index] + self.latin_counts[index] - 1
        return self.latin[np.minimum(flat, last)]


@functools.cache
def male_table() -> NameTable:
    """Male given names."""
    return NameTable(male_first_names())


@functools.cache
def female_table() -> NameTable:
    """Female given names."""
    return NameTable(female_first_names())


@functools.cache
def surname_table() -> NameTable:
    """Family names."""
    return NameTable(surnames())
