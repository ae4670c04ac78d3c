"""The batch dedup engine: records in; scored pairs, clusters and a summary out.

Stages (each timed, each reported to the progress callback, each a point where a cancel is
honoured):

1. **read**: a CSV or Parquet file (or a DataFrame), renamed by the column map;
2. **prepare**: the columns the configuration reads, checked row by row (`dedup.io`), and the
   fields prepared for comparison (`dedup.features`);
3. **candidates**: blocking rules and name-vector neighbours (`indexer.find_candidates`);
4. **compare**: every candidate pair's comparison vector (the Numba kernels), in chunks;
5. **train**: a Fellegi–Sunter model by EM on the records themselves (`dedup.training`), unless a
   saved model is given;
6. **score**: every candidate pair's match weight and probability;
7. **cluster**: pairs at or above the threshold joined into clusters, guarded against chains
   (`matcher.clustering`);
8. **write**: ``pairs.parquet`` (the pairs with probability ≥ ``write_min_probability``),
   ``clusters.parquet`` (every record), ``model.json``, ``summary.json``, written to a
   temporary directory and moved in place at the end, so a failed or cancelled run leaves the
   previous results of the directory as they were.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dedup.config import DEFAULT_CONFIG, DedupConfig
from dedup.errors import DedupCancelled, DedupInputError, InputFileError, ModelFileError
from dedup.features import RecordFeatures
from dedup.io import apply_column_map, prepare_records, read_frame
from dedup.training import ComparedPairs, compare_pairs, train_model, weigh_pairs
from indexer import RecordsError, find_candidates
from matcher.clustering import cluster_pairs
from matcher.errors import MatcherError
from matcher.model import FellegiSunterModel

__all__ = [
    "STAGES",
    "DedupOptions",
    "DedupSummary",
    "Progress",
    "ProgressCallback",
    "run_dedup",
]

# Each stage's share of the whole run, for the progress fraction (measured on 1M records).
STAGES: Final[Mapping[str, float]] = {
    "read": 0.02,
    "prepare": 0.08,
    "candidates": 0.35,
    "compare": 0.20,
    "train": 0.25,
    "score": 0.03,
    "cluster": 0.03,
    "write": 0.04,
}
COMPARE_CHUNK: Final = 1 << 20
OUTPUT_FILES: Final = ("pairs.parquet", "clusters.parquet", "model.json", "summary.json")
MAX_LISTED_PROBLEMS: Final = 1_000
FORMAT_VERSION: Final = 1


@dataclass(frozen=True)
class Progress:
    """Where a run is: its stage, the fraction of the whole run done (0..1), and a short note."""

    stage: str
    fraction: float
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class DedupOptions:
    """How to run: the configuration, the input's column map, a saved model (else EM), thresholds.

    ``threshold`` (when given) overrides the configuration's; ``write_min_probability`` is the
    lowest probability of a pair written to ``pairs.parquet`` (pairs below the threshold but
    above it are there for review, with ``match`` false).
    """

    config: DedupConfig = DEFAULT_CONFIG
    column_map: Mapping[str, str] = field(default_factory=dict)
    model_path: str | os.PathLike[str] | None = None
    threshold: float | None = None
    write_min_probability: float = 0.1
    seed: int = 0


@dataclass(frozen=True)
class DedupSummary:
    """What a run found and how long each stage took; ``to_dict`` is ``summary.json``."""

    records: int
    candidate_pairs: int
    written_pairs: int
    matched_pairs: int
    clusters: int
    duplicate_clusters: int
    duplicate_records: int
    refused_links: int
    threshold: float
    model: Mapping[str, Any]
    seconds: Mapping[str, float]
    row_problems: int
    row_problems_listed: tuple[Mapping[str, Any], ...]
    row_problems_by_column: Mapping[str, int]
    candidates: Mapping[str, Any]
    out_dir: str

    @property
    def duplicate_rate(self) -> float:
        """Share of records that are extra copies: records minus clusters, over records."""
        return (self.records - self.clusters) / self.records if self.records else 0.0

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "records": self.records,
            "candidate_pairs": self.candidate_pairs,
            "written_pairs": self.written_pairs,
            "matched_pairs": self.matched_pairs,
            "clusters": self.clusters,
            "duplicate_clusters": self.duplicate_clusters,
            "duplicate_records": self.duplicate_records,
            "duplicate_rate": self.duplicate_rate,
            "refused_links": self.refused_links,
            "threshold": self.threshold,
            "model": dict(self.model),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "total_seconds": round(self.total_seconds, 3),
            "row_problems": self.row_problems,
            "row_problems_by_column": dict(self.row_problems_by_column),
            "row_problems_listed": [dict(p) for p in self.row_problems_listed],
            "candidates": dict(self.candidates),
            "outputs": {name: str(Path(self.out_dir) / name) for name in OUTPUT_FILES},
        }


class _Run:
    """Timing, progress and cancel checks of one run."""

    def __init__(self, progress: ProgressCallback | None, cancel: threading.Event | None) -> None:
        self._progress = progress
        self._cancel = cancel
        self.seconds: dict[str, float] = {}
        self._done = 0.0

    def check(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise DedupCancelled("the dedup run was cancelled")

    def report(self, stage: str, within: float, message: str = "") -> None:
        if self._progress is not None:
            fraction = min(1.0, self._done + STAGES[stage] * min(max(within, 0.0), 1.0))
            self._progress(Progress(stage, fraction, message))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.check()
        self.report(name, 0.0)
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        self._done += STAGES[name]
        self.report(name, 0.0, "done")


def load_model(path: str | os.PathLike[str], config: DedupConfig) -> FellegiSunterModel:
    file = Path(path)
    try:
        model = FellegiSunterModel.from_json(file.read_bytes())
    except FileNotFoundError as exc:
        raise ModelFileError(str(file), "no such file") from exc
    except OSError as exc:
        raise ModelFileError(str(file), f"cannot read ({type(exc).__name__})") from exc
    except (MatcherError, ValueError) as exc:
        raise ModelFileError(str(file), f"is not a saved model: {exc}") from exc
    if model.comparisons != config.comparisons:
        raise ModelFileError(
            str(file),
            f"compares fields {list(model.fields)} with other levels than the configuration "
            f"({[f.name for f in config.fields]}): train it with the same --config",
        )
    return model


def _write_table(path: Path, columns: Mapping[str, npt.ArrayLike]) -> None:
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    pq.write_table(table, path, compression="zstd")


class _Background:
    """A function run on a daemon thread; `result` waits for it and re-raises its exception."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self._function: Callable[[], Any] | None = function
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dedup-prepare", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._function is not None:
                self._value = self._function()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc
        finally:
            self._function = None  # let go of its arguments

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _compare_all(
    features: RecordFeatures, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64], run: _Run
) -> ComparedPairs:
    parts: list[ComparedPairs] = []
    for start in range(0, max(len(left), 1), COMPARE_CHUNK):
        run.check()
        stop = start + COMPARE_CHUNK
        parts.append(compare_pairs(features, left[start:stop], right[start:stop]))
        run.report("compare", stop / max(len(left), 1), f"{min(stop, len(left)):,} of {len(left):,} pairs")
    return ComparedPairs.concatenate(parts)


def run_dedup(
    source: str | os.PathLike[str] | pd.DataFrame,
    out_dir: str | os.PathLike[str],
    options: DedupOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> DedupSummary:
    """Deduplicate ``source`` into ``out_dir`` (created if needed); see the module docstring."""
    options = options or DedupOptions()
    config = options.config if options.threshold is None else options.config.with_threshold(options.threshold)
    if not 0.0 <= options.write_min_probability <= 1.0:
        raise DedupInputError("must lie in [0, 1]", field="write_min_probability")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputFileError(str(out), "the output exists and is not a directory")
    run = _Run(progress, cancel)

    with run.stage("read"):
        mapping = dict(options.column_map)
        needed = set(config.input_columns())
        # The file's columns to read: every mapped one (a map naming an absent column is an
        # error), and the needed ones under their own names.
        wanted = set(mapping) | {c for c in needed if c not in mapping}
        if isinstance(source, pd.DataFrame):
            frame = source[[c for c in source.columns if c in wanted]].copy()
        else:
            frame = read_frame(source, columns=wanted, compact=True)
        frame = apply_column_map(frame, mapping)
    with run.stage("prepare"):
        prepared = prepare_records(frame, config)
        del frame
        records = prepared.frame
        n_records = len(records)
        model = load_model(options.model_path, config) if options.model_path is not None else None
        keys = {spec.key: records[spec.key].to_numpy(dtype=object) for spec in config.training}
        # The fields are prepared for comparison (Python-bound normalisation) on a thread while
        # the candidates are found (FAISS and NumPy, which release the GIL): the two overlap.
        features_job = _Background(functools.partial(RecordFeatures, records, config))
    with run.stage("candidates"):
        try:
            candidates = find_candidates(records, config.candidates)
        except RecordsError as exc:
            features_job.result()
            raise DedupInputError(f"candidate rules: {exc}", field=exc.column) from exc
        left, right = candidates.left, candidates.right
    with run.stage("compare"):
        features = features_job.result()
        # The frame is no longer read (the features hold what is compared): free it.
        problems, ids = prepared.problems, prepared.record_ids
        del records, prepared
        compared = _compare_all(features, left, right, run)
    with run.stage("train"):
        if model is None:
            try:
                model, rounds, evidence = train_model(features, keys, compared, seed=options.seed, check=run.check)
            except ValueError as exc:
                raise DedupInputError(str(exc), field="training") from exc
            model_info: dict[str, Any] = {
                "source": "trained by EM on the input",
                "prior": model.prior,
                "rounds": rounds,
            }
        else:
            evidence = None
            model_info = {"source": "file", "path": str(options.model_path), "prior": model.prior}
    with run.stage("score"):
        scored = weigh_pairs(model, features, compared, evidence)
        del compared
    with run.stage("cluster"):
        cluster, refused = cluster_pairs(
            n_records, scored.left, scored.right, scored.probabilities, config.threshold, config.cluster_min_mean
        )
        sizes = np.bincount(cluster)
    with run.stage("write"):
        out.mkdir(parents=True, exist_ok=True)
        matched = scored.probabilities >= config.threshold
        written = scored.probabilities >= options.write_min_probability
        summary = DedupSummary(
            records=n_records,
            candidate_pairs=len(left),
            written_pairs=int(written.sum()),
            matched_pairs=int(matched.sum()),
            clusters=int(sizes.size),
            duplicate_clusters=int((sizes > 1).sum()),
            duplicate_records=int(sizes[sizes > 1].sum()),
            refused_links=refused,
            threshold=config.threshold,
            model=model_info,
            seconds=run.seconds,
            row_problems=len(problems),
            row_problems_listed=tuple(p.to_dict() for p in problems[:MAX_LISTED_PROBLEMS]),
            row_problems_by_column=pd.Series([p.column for p in problems], dtype=object).value_counts().to_dict(),
            candidates={
                "pairs_per_record": len(left) / n_records,
                "capped_pairs": candidates.capped_pairs,
                "seconds": dict(candidates.seconds),
                "settings": config.candidates.to_dict(),
            },
            out_dir=str(out),
        )
        staging = Path(tempfile.mkdtemp(prefix=".dedup-", dir=out))
        try:
            pairs: dict[str, npt.ArrayLike] = {
                "record_id_l": ids[scored.left[written]].astype(str),
                "record_id_r": ids[scored.right[written]].astype(str),
                "probability": scored.probabilities[written],
                "match_weight": scored.weights[written],
                "match": matched[written],
            }
            for k, spec in enumerate(config.fields):
                pairs[f"gamma_{spec.name}"] = scored.gamma[written, k]
            _write_table(staging / "pairs.parquet", pairs)
            _write_table(
                staging / "clusters.parquet",
                {"record_id": ids.astype(str), "cluster_id": cluster, "cluster_size": sizes[cluster]},
            )
            (staging / "model.json").write_text(model.to_json(), encoding="utf-8")
            run.check()
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    # The summary carries the write stage's time: written last, then every file moved in place.
    summary = DedupSummary(**{**summary.__dict__, "seconds": dict(run.seconds)})
    (staging / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False), "utf-8")
    for name in OUTPUT_FILES:
        os.replace(staging / name, out / name)
    shutil.rmtree(staging, ignore_errors=True)
    return summary
