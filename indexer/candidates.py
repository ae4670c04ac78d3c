"""Candidate pairs: blocking rules and name-vector nearest neighbours combined, capped per record.

Blocking (`indexer.blocking`) finds the pairs that agree exactly on some key: cheap and
precise, but blind to a typo in the first letters of a name together with a slip in the date.
Nearest neighbours over name vectors (`indexer.vectors`, `indexer.ann`) find pairs whose names
are close as strings, whatever the keys say. Each record asks for its ``neighbours`` nearest
records and keeps those with cosine similarity ≥ ``min_similarity``.

The union is capped at ``max_pairs_per_record``: where a record has more candidates than that,
its pairs are ranked by how many sources found them (rules and the neighbour search), then by
name-vector similarity, and a pair is kept when it is within the cap of at least one of its two
records. Records under the cap keep all their pairs, so the cap only trims the crowded ones
(common names in big blocks) and bounds the total at ``n × cap``.

Two uses: `find_candidates` for dedup within one set of records; `CandidateIndex` for linking
new records (enrolment's 1:N search) against existing ones, updated as records are enrolled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numba
import numpy as np
import numpy.typing as npt

from indexer._pairs import union_pairs
from indexer.ann import DEFAULT_EXACT_THRESHOLD, DEFAULT_NPROBE, NameIndex, self_neighbours
from indexer.blocking import (
    DEFAULT_RULES,
    BlockIndex,
    BlockingRule,
    RecordBatch,
    RuleStats,
    _check_rules,
    block_pairs,
)
from indexer.errors import CandidateSettingsError, IndexStateError
from indexer.vectors import DEFAULT_DATE_WEIGHT, DEFAULT_DIMENSION, name_vectors
from matcher.kernels import chunking, run_chunked

__all__ = [
    "ANN_SOURCE",
    "CandidateIndex",
    "CandidatePairs",
    "CandidateSettings",
    "LinkedCandidates",
    "find_candidates",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
MaskArray = npt.NDArray[np.uint64]

ANN_SOURCE: Final = "ann"
_SETTINGS_KEYS: Final = frozenset(
    {
        "rules",
        "neighbours",
        "min_similarity",
        "max_pairs_per_record",
        "dimension",
        "date_weight",
        "exact_threshold",
        "nprobe",
        "link_nprobe",
    }
)


@dataclass(frozen=True)
class CandidateSettings:
    """How candidates are found. No rules: neighbours only; ``neighbours`` 0: blocking only.

    ``nprobe`` is the inverted lists searched per record in dedup within one set, where every
    record is a query and each list searched costs about as much as the first; ``link_nprobe``
    is the same for linking a few new records against an index (enrolment), where a query costs
    well under a millisecond either way and recall is worth more.
    """

    rules: tuple[BlockingRule, ...] = DEFAULT_RULES
    neighbours: int = 5
    min_similarity: float = 0.6
    max_pairs_per_record: int = 20
    dimension: int = DEFAULT_DIMENSION
    date_weight: float = DEFAULT_DATE_WEIGHT
    exact_threshold: int = DEFAULT_EXACT_THRESHOLD
    nprobe: int = 2
    link_nprobe: int = DEFAULT_NPROBE

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        if self.rules:
            _check_rules(self.rules)
        for name, low in (
            ("neighbours", 0),
            ("max_pairs_per_record", 1),
            ("dimension", 8),
            ("exact_threshold", 0),
            ("nprobe", 1),
            ("link_nprobe", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise CandidateSettingsError(f"must be an integer ≥ {low}, got {value!r}", setting=name)
        for name, (lo, hi) in (("min_similarity", (-1.0, 1.0)), ("date_weight", (0.0, 10.0))):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
                raise CandidateSettingsError(f"must be a number in [{lo}, {hi}], got {value!r}", setting=name)
        if not self.rules and self.neighbours == 0:
            raise CandidateSettingsError("no rules and no neighbours would find nothing", setting="neighbours")

    @property
    def source_names(self) -> tuple[str, ...]:
        """Bit ``k`` of a sources mask is ``source_names[k]``: the rules, then the neighbour search."""
        return (*(rule.name for rule in self.rules), ANN_SOURCE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [rule.to_dict() for rule in self.rules],
            "neighbours": self.neighbours,
            "min_similarity": self.min_similarity,
            "max_pairs_per_record": self.max_pairs_per_record,
            "dimension": self.dimension,
            "date_weight": self.date_weight,
            "exact_threshold": self.exact_threshold,
            "nprobe": self.nprobe,
            "link_nprobe": self.link_nprobe,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CandidateSettings:
        if not isinstance(data, Mapping):
            raise CandidateSettingsError(f"candidate settings must be an object, got {type(data).__name__}")
        unknown = set(data) - _SETTINGS_KEYS
        if unknown:
            raise CandidateSettingsError(f"unknown keys {sorted(unknown)}")
        values = dict(data)
        if "rules" in values:
            rules = values["rules"]
            if not isinstance(rules, Sequence) or isinstance(rules, str):
                raise CandidateSettingsError("must be a list of rules", setting="rules")
            values["rules"] = tuple(BlockingRule.from_dict(r) for r in rules)
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> CandidateSettings:
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise CandidateSettingsError(f"candidate settings are not valid JSON: {exc}") from exc
        return cls.from_dict(data)


def _popcount(masks: MaskArray, bits: int) -> IntArray:
    if hasattr(np, "bitwise_count"):  # numpy ≥ 2.0
        return np.bitwise_count(masks).astype(np.int64)
    out = np.zeros(len(masks), dtype=np.int64)
    for k in range(bits):
        out += ((masks >> np.uint64(k)) & np.uint64(1)).astype(np.int64)
    return out


def _score(sources: MaskArray, similarity: FloatArray, bits: int) -> IntArray:
    """A pair's rank key, higher is better: how many sources found it, then its similarity
    (unknown counts as -1) in 256 steps, as one integer below 2**16 so that ranking is a single
    integer sort."""
    sim = np.nan_to_num(np.clip(similarity, np.float32(-1.0), np.float32(1.0)), nan=-1.0)
    steps = np.rint((sim + np.float32(1.0)) * np.float32(127.5)).astype(np.int64)
    return _popcount(sources, bits) * 256 + steps


def _pair_similarity(vectors: FloatArray, left: IntArray, right: IntArray) -> FloatArray:
    """The inner product of the two vectors of each pair (cosine: they are normalised), in one
    pass: gathering both sides' rows first moved twice the vectors' bytes per pair through
    memory, and took seconds on the 7 million pairs of a million records."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    out = np.empty(len(left), dtype=np.float32)
    run_chunked(_dots_range, _dots_parallel, len(left), vectors, left, right, out)
    return out


@numba.njit(nogil=True, cache=True)
def _dots_range(vectors, left, right, out, start, stop):
    width = vectors.shape[1]
    for p in range(start, stop):
        a = vectors[left[p]]
        b = vectors[right[p]]
        total = np.float32(0.0)
        for d in range(width):
            total += a[d] * b[d]
        out[p] = total


@numba.njit(parallel=True, nogil=True, cache=True)
def _dots_parallel(vectors, left, right, out, n_threads):
    n = left.size
    chunks, size = chunking(n, n_threads)
    for c in numba.prange(chunks):
        _dots_range(vectors, left, right, out, c * size, min(n, (c + 1) * size))


def _rank_keep(owner: IntArray, score: IntArray, cap: int) -> npt.NDArray[np.bool_]:
    """For entries grouped by ``owner`` (≥ 0), whether each is among its owner's ``cap`` best
    scores (0 ≤ score < 2**16); ties go to the earlier entry."""
    count = len(owner)
    if count == 0:
        return np.zeros(0, dtype=bool)
    entry_bits = max(count - 1, 1).bit_length()
    if int(owner.max()).bit_length() + 16 + entry_bits <= 63:
        # Owner, inverted score and entry packed in one int64: a plain sort (several times
        # faster than an argsort) orders entries by owner, best first, ties by position.
        packed = np.sort(
            (owner << np.int64(16 + entry_bits)) | ((0xFFFF - score) << np.int64(entry_bits)) | np.arange(count)
        )
        order = packed & np.int64((1 << entry_bits) - 1)
        sorted_owner = packed >> np.int64(16 + entry_bits)
    else:
        order = np.lexsort((-score, owner))
        sorted_owner = owner[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_owner[1:] != sorted_owner[:-1])))
    sizes = np.diff(np.append(starts, count))
    rank = np.arange(count) - np.repeat(starts, sizes)
    keep = np.empty(count, dtype=bool)
    keep[order] = rank < cap
    return keep


def _cap_pairs(left: IntArray, right: IntArray, score: IntArray, n: int, cap: int) -> npt.NDArray[np.bool_]:
    """Which pairs survive the per-record cap (see the module docstring)."""
    degree = np.bincount(left, minlength=n) + np.bincount(right, minlength=n)
    crowded = degree > cap
    keep = ~(crowded[left] & crowded[right])
    # A pair touching a crowded record survives if it is in the cap of a crowded end; a pair
    # whose other end is not crowded survives anyway (it is within that end's cap).
    touch = np.flatnonzero(crowded[left] | crowded[right])
    if len(touch) == 0:
        return keep
    owners = np.concatenate((left[touch], right[touch]))
    entries = np.concatenate((touch, touch))
    scores = np.concatenate((score[touch], score[touch]))
    mine = crowded[owners]
    ranked = _rank_keep(owners[mine], scores[mine], cap)
    keep[entries[mine][ranked]] = True
    return keep


@dataclass(frozen=True)
class CandidatePairs:
    """Candidate pairs of rows ``left < right`` within one set of records, each once.

    ``sources`` has bit ``k`` set when ``source_names[k]`` found the pair; ``similarity`` is
    the cosine similarity of the two name vectors (NaN when neighbours were not used).
    ``seconds`` is the time per stage.
    """

    left: IntArray
    right: IntArray
    sources: MaskArray
    similarity: FloatArray
    source_names: tuple[str, ...]
    rule_stats: tuple[RuleStats, ...] = ()
    capped_pairs: int = 0
    seconds: Mapping[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)

    def found_by(self, source: str) -> npt.NDArray[np.bool_]:
        """Which pairs ``source`` (a rule name or ``"ann"``) found."""
        if source not in self.source_names:
            raise CandidateSettingsError(
                f"unknown source {source!r}; known: {list(self.source_names)}", setting="source"
            )
        bit = np.uint64(1) << np.uint64(self.source_names.index(source))
        return (self.sources & bit) != 0

    def from_blocking(self) -> npt.NDArray[np.bool_]:
        """Which pairs some blocking rule found."""
        ann = np.uint64(1) << np.uint64(self.source_names.index(ANN_SOURCE))
        return (self.sources & ~ann) != 0


def _neighbour_pairs(
    vectors: FloatArray, settings: CandidateSettings, seconds: dict[str, float]
) -> tuple[IntArray, IntArray]:
    """Pairs (i < j) of each record with its nearest records above the similarity floor."""
    n = len(vectors)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    k = min(settings.neighbours + 1, n)  # one more: a record finds itself
    steps: dict[str, float] = {}
    _, similarity, ids = self_neighbours(
        vectors, k, exact_threshold=settings.exact_threshold, nprobe=settings.nprobe, seconds=steps
    )
    seconds.update({f"faiss_{step}": value for step, value in steps.items()})
    rows = np.repeat(np.arange(n, dtype=np.int64), k).reshape(n, k)
    ok = (ids >= 0) & (ids != rows) & (similarity >= np.float32(settings.min_similarity))
    a, b = rows[ok], ids[ok]
    return np.minimum(a, b), np.maximum(a, b)


def find_candidates(
    records: Mapping[str, Any] | RecordBatch, settings: CandidateSettings | None = None
) -> CandidatePairs:
    """Candidate pairs within ``records`` (a mapping of column → values; see `indexer.blocking`)."""
    settings = settings or CandidateSettings()
    batch = records if isinstance(records, RecordBatch) else RecordBatch(records)
    n = len(batch)
    seconds: dict[str, float] = {}
    names = settings.source_names
    ann_bit = np.uint64(1) << np.uint64(len(settings.rules))

    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    masks: list[MaskArray] = []
    stats: tuple[RuleStats, ...] = ()
    if settings.rules:
        start = time.perf_counter()
        blocked = block_pairs(batch, settings.rules)
        seconds["blocking"] = time.perf_counter() - start
        lefts.append(blocked.left)
        rights.append(blocked.right)
        masks.append(blocked.sources)
        stats = blocked.stats

    vectors: FloatArray | None = None
    if settings.neighbours > 0:
        start = time.perf_counter()
        vectors = name_vectors(batch, settings.dimension, date_weight=settings.date_weight)
        seconds["vectors"] = time.perf_counter() - start
        a, b = _neighbour_pairs(vectors, settings, seconds)
        lefts.append(a)
        rights.append(b)
        masks.append(np.full(len(a), ann_bit, dtype=np.uint64))

    start = time.perf_counter()
    left, right, sources = union_pairs(lefts, rights, masks, n)
    if vectors is not None:
        similarity = _pair_similarity(vectors, left, right)
    else:
        similarity = np.full(len(left), np.nan, dtype=np.float32)
    score = _score(sources, similarity, len(names))
    keep = _cap_pairs(left, right, score, n, settings.max_pairs_per_record)
    capped = int((~keep).sum())
    left, right, sources, similarity = left[keep], right[keep], sources[keep], similarity[keep]
    seconds["combine"] = time.perf_counter() - start
    return CandidatePairs(left, right, sources, similarity, names, stats, capped, seconds)


# --- linking new records against existing ones ---------------------------------------------


@dataclass(frozen=True)
class LinkedCandidates:
    """Candidate links from query rows to existing record ids, each once.

    ``similarity`` is the name-vector similarity for links the neighbour search found, NaN for
    links only a blocking rule found (the index does not keep vectors to compare them with).
    """

    rows: IntArray
    ids: IntArray
    sources: MaskArray
    similarity: FloatArray
    source_names: tuple[str, ...]
    skipped_blocks: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def for_row(self, row: int) -> IntArray:
        """The existing record ids linked to query row ``row``."""
        return self.ids[self.rows == row]


def _ids_of(ids: npt.ArrayLike, count: int) -> IntArray:
    """``ids`` checked to be ``count`` record ids (the name index checks them when it has vectors)."""
    array = np.asarray(ids).reshape(-1)
    if array.shape[0] != count:
        raise IndexStateError(f"expected {count} ids, one per record, got {array.shape[0]}")
    return array.astype(np.int64)


class CandidateIndex:
    """Existing records indexed by blocking key and by name vector, for 1:N search.

    `add` enrolled records, `remove` them (an updated record is removed and added again),
    `link` new records to candidates among them. Writes must be serialised by the caller.
    """

    def __init__(self, settings: CandidateSettings | None = None, names: NameIndex | None = None) -> None:
        self._settings = settings or CandidateSettings()
        self._blocks = BlockIndex(self._settings.rules) if self._settings.rules else None
        if names is not None and names.dimension != self._settings.dimension:
            raise IndexStateError(
                f"the name index has dimension {names.dimension}, the settings {self._settings.dimension}"
            )
        self._names = names if names is not None else NameIndex.empty(self._settings.dimension)
        self._names.nprobe = self._settings.link_nprobe

    @classmethod
    def build(
        cls, records: Mapping[str, Any] | RecordBatch, ids: npt.ArrayLike, settings: CandidateSettings | None = None
    ) -> CandidateIndex:
        """Index existing records; the name index type follows their number."""
        settings = settings or CandidateSettings()
        batch = records if isinstance(records, RecordBatch) else RecordBatch(records)
        if len(batch) == 0:  # an empty register: an empty (exact) index to add to
            _ids_of(ids, 0)  # checked only: there is nothing to index
            return cls(settings)
        vectors = name_vectors(batch, settings.dimension, date_weight=settings.date_weight)
        names = NameIndex.build(vectors, ids, exact_threshold=settings.exact_threshold, nprobe=settings.link_nprobe)
        built = cls(settings, names)
        if built._blocks is not None:
            built._blocks.add(batch, ids)
        return built

    @classmethod
    def with_names(
        cls,
        records: Mapping[str, Any] | RecordBatch,
        ids: npt.ArrayLike,
        names: NameIndex,
        settings: CandidateSettings | None = None,
    ) -> CandidateIndex:
        """Rebuild the blocking keys of ``records`` beside a name index loaded from disk."""
        built = cls(settings, names)
        if built._blocks is not None:
            built._blocks.add(records, ids)
        return built

    @property
    def settings(self) -> CandidateSettings:
        return self._settings

    @property
    def names(self) -> NameIndex:
        """The name-vector index (to save or inspect)."""
        return self._names

    def __len__(self) -> int:
        return len(self._names)

    def add(self, records: Mapping[str, Any] | RecordBatch, ids: npt.ArrayLike) -> None:
        """Index new existing records under their ids."""
        batch = records if isinstance(records, RecordBatch) else RecordBatch(records)
        if len(batch) == 0:
            _ids_of(ids, 0)  # checked only: there is nothing to index
            return
        vectors = name_vectors(batch, self._settings.dimension, date_weight=self._settings.date_weight)
        self._names.add(vectors, ids)
        if self._blocks is not None:
            self._blocks.add(batch, ids)

    def remove(self, ids: npt.ArrayLike) -> None:
        """Forget records by id."""
        self._names.remove(ids)
        if self._blocks is not None:
            self._blocks.remove(ids)

    def link(self, records: Mapping[str, Any] | RecordBatch) -> LinkedCandidates:
        """Candidate existing records for each row of ``records``, capped per row."""
        settings = self._settings
        batch = records if isinstance(records, RecordBatch) else RecordBatch(records)
        names = settings.source_names
        rows_parts: list[IntArray] = []
        id_parts: list[IntArray] = []
        mask_parts: list[MaskArray] = []
        sim_parts: list[FloatArray] = []
        skipped = 0
        if self._blocks is not None:
            linked = self._blocks.link(batch)
            skipped = linked.skipped_blocks
            rows_parts.append(linked.rows)
            id_parts.append(linked.ids)
            mask_parts.append(linked.sources)
            sim_parts.append(np.full(len(linked), np.nan, dtype=np.float32))
        if settings.neighbours > 0 and len(self._names) and len(batch):
            vectors = name_vectors(batch, settings.dimension, date_weight=settings.date_weight)
            similarity, ids = self._names.search(vectors, settings.neighbours)
            rows = np.repeat(np.arange(len(batch), dtype=np.int64), ids.shape[1]).reshape(ids.shape)
            ok = (ids >= 0) & (similarity >= np.float32(settings.min_similarity))
            rows_parts.append(rows[ok])
            id_parts.append(ids[ok])
            mask_parts.append(np.full(int(ok.sum()), np.uint64(1) << np.uint64(len(settings.rules)), np.uint64))
            sim_parts.append(similarity[ok])
        return _merge_links(rows_parts, id_parts, mask_parts, sim_parts, names, settings, skipped)


def _merge_links(
    rows_parts: Iterable[IntArray],
    id_parts: Iterable[IntArray],
    mask_parts: Iterable[MaskArray],
    sim_parts: Iterable[FloatArray],
    names: tuple[str, ...],
    settings: CandidateSettings,
    skipped: int,
) -> LinkedCandidates:
    rows = np.concatenate(list(rows_parts)) if rows_parts else np.zeros(0, np.int64)
    ids = np.concatenate(list(id_parts)) if id_parts else np.zeros(0, np.int64)
    masks = np.concatenate(list(mask_parts)) if mask_parts else np.zeros(0, np.uint64)
    sims = np.concatenate(list(sim_parts)) if sim_parts else np.zeros(0, np.float32)
    if len(rows) == 0:
        return LinkedCandidates(rows, ids, masks, sims, names, skipped)
    order = np.lexsort((ids, rows))
    rows, ids, masks, sims = rows[order], ids[order], masks[order], sims[order]
    starts = np.flatnonzero(np.concatenate(([True], (rows[1:] != rows[:-1]) | (ids[1:] != ids[:-1]))))
    merged_mask = np.bitwise_or.reduceat(masks, starts)
    # NaN (blocking only) loses to any similarity the neighbour search measured for the same link.
    merged_sim = np.fmax.reduceat(sims, starts)
    rows, ids = rows[starts], ids[starts]
    keep = _rank_keep(rows, _score(merged_mask, merged_sim, len(names)), settings.max_pairs_per_record)
    order = np.flatnonzero(keep)
    return LinkedCandidates(rows[order], ids[order], merged_mask[order], merged_sim[order], names, skipped)
