"""Batch deduplication at scale: ``hawiya dedup`` against Splink (DuckDB) on a synthetic register with truth.

Generates a synthetic population with noisy duplicates (``synthetic.generate``) and writes it as
Parquet *without* ``entity_id`` (the engines never see the truth). Then, each in its own
subprocess so that its imports, wall time and memory are its own:

1. ``hawiya dedup INPUT --out DIR --no-progress``, whose ``pairs.parquet``, ``clusters.parquet``
   and ``summary.json`` (seconds per stage) are read back;
2. when the optional ``splink`` package is installed (the ``bench`` extra) and ``--no-splink`` is
   not given, Splink 4 on DuckDB over the same file, configured as Splink's own tutorials
   configure person data (see ``splink_worker``), written in the same layout.

For each it prints the wall time (per stage as the tool reports it), the peak resident memory,
the pairwise precision / recall / F1 of the predicted match pairs against *all* true pairs, and
the same of the pairs implied by the clusters ("cluster F1"); then both side by side with the
time ratio and the goals. Generation is timed apart, not counted. Writes the figures,
parameters, git commit and machine to ``benchmarks/results/dedup_scale.json``.

    python benchmarks/dedup_scale.py --n 1000000        # 1M people (+ duplicates), with Splink
    python benchmarks/dedup_scale.py --n 20000 --skip-hawiya   # Splink alone
    python benchmarks/dedup_scale.py --quick            # 3,000 people, no Splink (CI smoke)

Goals (batch-dedup issue, on a 2-core machine): 1M people end to end in ≤ 60 s, ≤ 0.5× Splink's
time, pairwise F1 ≥ Splink's + 0.03, peak memory ≤ 4 GB.

Peak memory is the larger of the child's ``ru_maxrss`` (from ``os.wait4``: its largest single
process) and the summed resident memory of its process tree sampled from ``/proc`` every
``--sample-interval`` seconds (which counts worker processes together, and pages they share
more than once). DuckDB lets itself use up to 80 % of the machine's memory by default, and
Splink's peak shows what it took, not what it needed. On a shared machine the wall clock also
counts time spent waiting for a core: the child's CPU time and the load average are kept too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "dedup_scale.json"
THRESHOLD_PROBABILITY = 0.5
GOAL_SECONDS_AT_1M = 60.0
GOAL_TIME_RATIO = 0.5
GOAL_F1_MARGIN = 0.03
GOAL_PEAK_GB = 4.0

IntArray = npt.NDArray[np.int64]


# -- measuring a subprocess -----------------------------------------------------------------------


def _tree_rss(pid: int, page: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux ``/proc``; 0 where unavailable)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError, IndexError):
            continue  # the process ended between two reads, or no /proc
    return total


class _TreePeak(threading.Thread):
    """Samples the resident memory of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.peak = max(self.peak, _tree_rss(self.pid, self._page))

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


@dataclass(frozen=True)
class Measured:
    returncode: int
    wall_seconds: float
    cpu_seconds: float  # user + system, the child and its waited-for descendants
    maxrss_bytes: int  # the child's largest single process (its own or a waited-for descendant)
    tree_peak_bytes: int  # sampled sum over the child's process tree

    @property
    def peak_bytes(self) -> int:
        return max(self.maxrss_bytes, self.tree_peak_bytes)


def run_measured(command: list[str], interval: float) -> Measured:
    """Run ``command`` (output to ours), timing it and taking its peak memory from ``wait4``."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT)
    sampler = _TreePeak(proc.pid, interval)
    sampler.start()
    # wait4 reaps the child and returns its own rusage, so runs do not mix as RUSAGE_CHILDREN would.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    tree_peak = sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return Measured(proc.returncode, wall, usage.ru_utime + usage.ru_stime, maxrss, tree_peak)


# -- accuracy -------------------------------------------------------------------------------------


def _pairs_of_sizes(sizes: IntArray) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _scores(tp: int, predicted: int, true: int) -> dict[str, float | int]:
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_pairs": predicted,
        "true_pairs": true,
        "true_positives": tp,
        "false_positives": predicted - tp,
        "false_negatives": true - tp,
    }


@dataclass(frozen=True)
class Truth:
    """The input's record ids in file order and the entity code of each row."""

    record_ids: pa.Array
    entity: IntArray

    @property
    def n(self) -> int:
        return len(self.entity)

    @property
    def true_pairs(self) -> int:
        return _pairs_of_sizes(np.bincount(self.entity).astype(np.int64))

    def rows(self, ids: pa.ChunkedArray, what: str) -> IntArray:
        """Row index of each record id; an id not in the input is an error naming ``what``."""
        rows = pc.index_in(ids.cast(self.record_ids.type), value_set=self.record_ids)
        if rows.null_count:
            raise ValueError(f"{what}: {rows.null_count} record ids are not in the input")
        return np.asarray(rows.to_numpy(zero_copy_only=False), dtype=np.int64)


def pair_metrics(left: IntArray, right: IntArray, truth: Truth) -> dict[str, float | int]:
    """Pairwise P/R/F1 of the predicted pairs (row indices, either order) against all true pairs.

    A pair is kept once as the code ``lo * n + hi``; it is right when both rows are one entity.
    """
    n = truth.n
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    codes = np.unique((lo * n + hi)[lo != hi])
    tp = int(np.count_nonzero(truth.entity[codes // n] == truth.entity[codes % n]))
    return _scores(tp, int(codes.size), truth.true_pairs)


def cluster_metrics(cluster: IntArray, truth: Truth) -> dict[str, float | int]:
    """P/R/F1 of every pair of rows put in one cluster, against all true pairs.

    Counted from the cluster × entity contingency table (a cluster of s rows holds s(s-1)/2
    pairs), so a large wrong cluster costs no memory.
    """
    sizes = np.bincount(cluster).astype(np.int64)
    joint = np.unique(cluster * (int(truth.entity.max(initial=0)) + 1) + truth.entity, return_counts=True)[1]
    scores = _scores(_pairs_of_sizes(joint.astype(np.int64)), _pairs_of_sizes(sizes), truth.true_pairs)
    nonempty = sizes[sizes > 0]
    scores.update(clusters=int(nonempty.size), largest_cluster=int(nonempty.max(initial=0)))
    return scores


def evaluate_outputs(out_dir: Path, truth: Truth) -> dict[str, Any]:
    """Read a tool's pairs.parquet and clusters.parquet and score them."""
    pairs = pq.read_table(out_dir / "pairs.parquet", columns=["record_id_l", "record_id_r", "match"])
    matched = pairs.filter(pc.fill_null(pairs["match"], False))
    left = truth.rows(matched["record_id_l"], "pairs.parquet record_id_l")
    right = truth.rows(matched["record_id_r"], "pairs.parquet record_id_r")

    clusters = pq.read_table(out_dir / "clusters.parquet", columns=["record_id", "cluster_id"])
    rows = truth.rows(clusters["record_id"], "clusters.parquet record_id")
    ids = pc.dictionary_encode(clusters["cluster_id"]).combine_chunks().indices
    cluster = np.full(truth.n, -1, dtype=np.int64)
    cluster[rows] = np.asarray(ids.to_numpy(zero_copy_only=False), dtype=np.int64)
    missing = cluster < 0
    # A record the tool left out is its own cluster (and is reported).
    cluster[missing] = int(cluster.max(initial=-1)) + 1 + np.arange(int(missing.sum()))
    return {
        "pairs_written": pairs.num_rows,
        "pairwise": pair_metrics(left, right, truth),
        "clusters": cluster_metrics(cluster, truth) | {"records_missing": int(missing.sum())},
    }


# -- Splink ---------------------------------------------------------------------------------------


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def splink_worker(input_path: Path, out_dir: Path, max_pairs: float, seed: int) -> None:
    """Deduplicate ``input_path`` with Splink 4 (DuckDB) as its tutorials do; write hawiya's layout.

    Data preparation as Splink's docs advise: names lower-cased and trimmed, empty strings as
    NULL (so that blocking on CIN or phone does not join everyone without one), a ``birth_date``
    string when day, month and year are known. Comparisons: ``NameComparison`` (exact, then
    Jaro-Winkler levels) for first, last, father's and mother's first names, with term frequency
    adjustments on first and last names; ``DateOfBirthComparison``; exact match on sex, birth
    place, CIN and phone. Training: λ from deterministic rules at recall 0.7, u by random
    sampling, m by EM over pairs blocked on first + last name, then on date of birth. Predict
    and cluster at probability 0.5.
    """
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    import duckdb
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    seconds["import"] = time.perf_counter() - t

    t = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")

    def text(column: str) -> str:
        return f"NULLIF(LOWER(TRIM({column})), '') AS {column}"

    names = ("first_name_latin", "last_name_latin", "father_first_name_latin", "mother_first_name_latin")
    con.execute(
        f"""
        CREATE TABLE people AS
        SELECT record_id, {", ".join(text(c) for c in (*names, "sex", "birth_place_code", "cin", "phone"))},
               NULLIF(birth_year, 0) AS birth_year,
               CASE WHEN birth_year > 0 AND birth_month > 0 AND birth_day > 0
                    THEN printf('%04d-%02d-%02d', birth_year, birth_month, birth_day) END AS birth_date
        FROM read_parquet({_sql_path(input_path)})
        """
    )
    seconds["read"] = time.perf_counter() - t

    t = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("first_name_latin").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name_latin").configure(term_frequency_adjustments=True),
            cl.NameComparison("father_first_name_latin"),
            cl.NameComparison("mother_first_name_latin"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("birth_place_code"),
            cl.ExactMatch("cin"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name_latin", "last_name_latin"),
            block_on("last_name_latin", "birth_year"),
            block_on("cin"),
            block_on("phone"),
            block_on("first_name_latin", "birth_date"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker("people", settings, db_api=DuckDBAPI(connection=con))
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("first_name_latin", "birth_date"),
            block_on("last_name_latin", "birth_date"),
            block_on("cin"),
        ],
        recall=0.7,
    )
    seconds["train_prior"] = time.perf_counter() - t
    t = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    seconds["train_u"] = time.perf_counter() - t
    t = time.perf_counter()
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name_latin", "last_name_latin"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    seconds["train_m"] = time.perf_counter() - t

    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD_PROBABILITY)
    seconds["score"] = time.perf_counter() - t

    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD_PROBABILITY
    )
    seconds["cluster"] = time.perf_counter() - t

    t = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""
        COPY (SELECT record_id_l, record_id_r, match_probability AS probability, match_weight,
                     match_probability >= {THRESHOLD_PROBABILITY} AS match
              FROM {predictions.physical_name})
        TO {_sql_path(out_dir / "pairs.parquet")} (FORMAT parquet)
        """
    )
    con.execute(
        f"""
        COPY (SELECT record_id, cluster_id, COUNT(*) OVER (PARTITION BY cluster_id) AS cluster_size
              FROM {clusters.physical_name})
        TO {_sql_path(out_dir / "clusters.parquet")} (FORMAT parquet)
        """
    )
    model = linker.misc.save_model_to_json(str(out_dir / "splink_model.json"), overwrite=True)
    seconds["write"] = time.perf_counter() - t
    summary = {
        "tool": "splink",
        "versions": {"splink": splink.__version__, "duckdb": duckdb.__version__},
        "probability_two_random_records_match": model.get("probability_two_random_records_match"),
        "u_max_pairs": max_pairs,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "total_seconds": round(sum(seconds.values()), 3),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


# -- the run --------------------------------------------------------------------------------------


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _load_average() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _run_tool(name: str, command: list[str], out_dir: Path, truth: Truth, interval: float) -> dict[str, Any]:
    print(f"-- {name}: {' '.join(command)}", flush=True)
    load_before = _load_average()
    measured = run_measured(command, interval)
    result: dict[str, Any] = {
        "command": command,
        "returncode": measured.returncode,
        "wall_seconds": round(measured.wall_seconds, 3),
        # On a shared machine the wall clock also counts waiting for a core; CPU time does not.
        "cpu_seconds": round(measured.cpu_seconds, 3),
        "load_average_before": load_before,
        "load_average_after": _load_average(),
        "peak_memory_bytes": measured.peak_bytes,
        "maxrss_bytes": measured.maxrss_bytes,
        "tree_peak_rss_bytes": measured.tree_peak_bytes,
    }
    if measured.returncode != 0:
        result["error"] = f"exited with status {measured.returncode}"
        return result
    summary_path = out_dir / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    result["stage_seconds"] = summary.get("seconds", {})
    result["reported_total_seconds"] = summary.get("total_seconds")
    result["summary"] = {k: v for k, v in summary.items() if k not in ("seconds", "total_seconds")}
    t = time.perf_counter()
    result |= evaluate_outputs(out_dir, truth)
    result["evaluate_seconds"] = round(time.perf_counter() - t, 3)
    return result


def _goals(n_people: int, results: dict[str, Any]) -> dict[str, Any]:
    """Each goal with the measured value and met: True / False, or None when it cannot be judged."""
    ok = {name: r for name, r in results.items() if "error" not in r}
    hawiya, splink = ok.get("hawiya"), ok.get("splink")
    goals: dict[str, Any] = {
        "seconds_at_1m": {"goal": f"≤ {GOAL_SECONDS_AT_1M:.0f} s end to end for 1,000,000 people"},
        "peak_memory": {"goal": f"peak memory ≤ {GOAL_PEAK_GB:.0f} GB"},
        "time_ratio": {"goal": f"≤ {GOAL_TIME_RATIO}× Splink's wall time"},
        "f1_margin": {"goal": f"pairwise F1 ≥ Splink's + {GOAL_F1_MARGIN}"},
    }
    for goal in goals.values():
        goal |= {"value": None, "met": None}
    if hawiya:
        seconds, peak = hawiya["wall_seconds"], hawiya["peak_memory_bytes"]
        # The time goal is for a million people; a smaller run says nothing about it.
        goals["seconds_at_1m"] |= {"value": seconds, "met": seconds <= GOAL_SECONDS_AT_1M if n_people >= 1e6 else None}
        goals["peak_memory"] |= {"value": peak, "met": peak <= GOAL_PEAK_GB * 1e9}
    if hawiya and splink:
        ratio = hawiya["wall_seconds"] / splink["wall_seconds"]
        margin = hawiya["pairwise"]["f1"] - splink["pairwise"]["f1"]
        goals["time_ratio"] |= {"value": ratio, "met": ratio <= GOAL_TIME_RATIO}
        goals["f1_margin"] |= {"value": margin, "met": margin >= GOAL_F1_MARGIN}
    return goals


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    t = time.perf_counter()
    records, _ = generate(args.n, args.seed, args.duplicate_rate)
    generate_seconds = time.perf_counter() - t
    t = time.perf_counter()
    input_path = workdir / "people.parquet"
    pq.write_table(pa.Table.from_pandas(records.drop(columns=["entity_id"]), preserve_index=False), input_path)
    write_seconds = time.perf_counter() - t
    truth = Truth(
        record_ids=pa.array(records["record_id"].to_numpy(dtype=object), type=pa.string()),
        entity=pd.factorize(records["entity_id"])[0].astype(np.int64),
    )
    del records  # the engines run beside us: hold only the truth
    entity_sizes = np.bincount(truth.entity)
    print(
        f"{truth.n:,} records ({args.n:,} people, duplicate rate {args.duplicate_rate}), "
        f"{truth.true_pairs:,} true pairs; generated in {generate_seconds:.1f} s, written in {write_seconds:.1f} s "
        f"(not counted) to {input_path}",
        flush=True,
    )

    results: dict[str, Any] = {}
    if not args.skip_hawiya:
        out = workdir / "hawiya"
        command = [sys.executable, "-m", "server.cli", "dedup", str(input_path), "--out", str(out), "--no-progress"]
        results["hawiya"] = _run_tool("hawiya", command, out, truth, args.sample_interval)
    if args.splink:
        out = workdir / "splink"
        command = [sys.executable, str(Path(__file__).resolve()), "--splink-worker", str(input_path), str(out)]
        command += ["--splink-max-pairs", str(args.splink_max_pairs), "--seed", str(args.seed)]
        results["splink"] = _run_tool("splink", command, out, truth, args.sample_interval)

    return {
        "benchmark": "dedup_scale",
        "parameters": {
            "n_people": args.n,
            "duplicate_rate": args.duplicate_rate,
            "seed": args.seed,
            "quick": args.quick,
            "splink": args.splink,
            "splink_u_max_pairs": args.splink_max_pairs if args.splink else None,
            "threshold_probability": THRESHOLD_PROBABILITY,
            "workdir": str(workdir),
        },
        "git_commit": _git_commit(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "load_average": _load_average(),
        },
        "versions": {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pa.__version__},
        "data": {
            "records": truth.n,
            "people": args.n,
            "true_pairs": truth.true_pairs,
            "entities_with_duplicates": int((entity_sizes > 1).sum()),
            "generate_seconds": round(generate_seconds, 3),
            "write_input_seconds": round(write_seconds, 3),
        },
        "results": results,
        "goals": _goals(args.n, results),
    }


# -- printing -------------------------------------------------------------------------------------


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def _first(loads: list[float] | None) -> str:
    return f"{loads[0]:.2f}" if loads else "-"


def print_report(report: dict[str, Any]) -> None:
    results = report["results"]
    print(f"== dedup_scale: {report['data']['records']:,} records, {report['data']['true_pairs']:,} true pairs ==")
    for name, r in results.items():
        if "error" in r:
            print(f"{name}: FAILED ({r['error']})")
            continue
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stage_seconds"].items())
        print(f"{name}: wall {r['wall_seconds']:.2f} s, peak {_gb(r['peak_memory_bytes'])}; stages: {stages}")
    ok = {k: r for k, r in results.items() if "error" not in r}
    if not ok:
        return
    names = list(ok)
    rows: list[tuple[str, Any]] = [
        ("wall time (s)", lambda r: f"{r['wall_seconds']:.2f}"),
        ("CPU time (s)", lambda r: f"{r['cpu_seconds']:.2f}"),
        ("load before, after", lambda r: f"{_first(r['load_average_before'])}, {_first(r['load_average_after'])}"),
        ("peak memory", lambda r: _gb(r["peak_memory_bytes"])),
        ("  largest process", lambda r: _gb(r["maxrss_bytes"])),
        ("  process tree (sampled)", lambda r: _gb(r["tree_peak_rss_bytes"])),
        ("pairs written", lambda r: f"{r['pairs_written']:,}"),
        ("match pairs", lambda r: f"{r['pairwise']['predicted_pairs']:,}"),
        ("pairwise precision", lambda r: f"{r['pairwise']['precision']:.4f}"),
        ("pairwise recall", lambda r: f"{r['pairwise']['recall']:.4f}"),
        ("pairwise F1", lambda r: f"{r['pairwise']['f1']:.4f}"),
        ("cluster precision", lambda r: f"{r['clusters']['precision']:.4f}"),
        ("cluster recall", lambda r: f"{r['clusters']['recall']:.4f}"),
        ("cluster F1", lambda r: f"{r['clusters']['f1']:.4f}"),
        ("clusters", lambda r: f"{r['clusters']['clusters']:,}"),
        ("largest cluster", lambda r: f"{r['clusters']['largest_cluster']:,}"),
    ]
    print(f"{'':<26}" + "".join(f"{n:>16}" for n in names))
    for label, cell in rows:
        print(f"{label:<26}" + "".join(f"{cell(ok[n]):>16}" for n in names))
    if "hawiya" in ok and "splink" in ok:
        h, s = ok["hawiya"], ok["splink"]
        print(
            f"time ratio hawiya / splink {h['wall_seconds'] / s['wall_seconds']:.3f}; "
            f"F1 difference {h['pairwise']['f1'] - s['pairwise']['f1']:+.4f} pairwise, "
            f"{h['clusters']['f1'] - s['clusters']['f1']:+.4f} cluster"
        )
    for goal in report["goals"].values():
        verdict = {True: "met", False: "NOT met", None: "not judged"}[goal["met"]]
        print(f"goal {goal['goal']}: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3,000 people, no Splink unless --splink (CI smoke)")
    parser.add_argument("--n", type=int, default=None, help="people before duplicates (default 1,000,000)")
    parser.add_argument("--duplicate-rate", type=float, default=0.1, help="share of people given duplicates")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--splink",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run Splink too (default: when installed, except with --quick)",
    )
    parser.add_argument("--skip-hawiya", action="store_true", help="run Splink alone")
    parser.add_argument("--splink-max-pairs", type=float, default=1e7, help="random pairs for Splink's u")
    parser.add_argument("--sample-interval", type=float, default=0.1, help="seconds between memory samples")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the input and outputs here (default: temp)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON path")
    parser.add_argument("--splink-worker", nargs=2, type=Path, metavar=("INPUT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.splink_worker:
        input_path, out_dir = args.splink_worker
        splink_worker(input_path, out_dir, max_pairs=args.splink_max_pairs, seed=args.seed)
        return 0

    args.n = args.n or (3_000 if args.quick else 1_000_000)
    installed = importlib.util.find_spec("splink") is not None
    if args.splink is None:
        args.splink = installed and not args.quick
    elif args.splink and not installed:
        parser.error("--splink: the splink package is not installed (pip install -e '.[bench]')")

    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="dedup_scale-") as tmp:
            report = run(args, Path(tmp))
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        report = run(args, args.workdir)
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    failed = [name for name, r in report["results"].items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
