"""``hawiya dedup``: the batch dedup engine on a file, with a progress bar on a terminal."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["add_dedup_command"]

_BAR_WIDTH = 30
_SHOWN_PROBLEMS = 5


class _ProgressBar:
    """One line on stderr, rewritten at most ten times a second: stage, bar, percent, elapsed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._start = time.monotonic()
        self._last = 0.0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and progress.fraction < 1.0:
            return
        self._last = now
        filled = round(progress.fraction * _BAR_WIDTH)
        bar = "█" * filled + "·" * (_BAR_WIDTH - filled)
        note = f" {progress.message}" if progress.message and progress.message != "done" else ""
        line = f"\r{progress.stage:<10} {bar} {progress.fraction:6.1%}  {now - self._start:6.1f} s{note}"
        self._stream.write(line[:120].ljust(100))
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()


def _dedup(ns: argparse.Namespace) -> int:
    from dedup.config import DEFAULT_CONFIG, load_config
    from dedup.engine import DedupOptions, run_dedup
    from dedup.errors import DedupCancelled, DedupError
    from dedup.io import parse_column_map

    show_bar = not ns.no_progress and sys.stderr.isatty()
    bar = _ProgressBar(sys.stderr) if show_bar else None
    cancel = threading.Event()
    try:
        config = load_config(ns.config) if ns.config is not None else DEFAULT_CONFIG
        options = DedupOptions(
            config=config,
            column_map=parse_column_map(ns.column_map),
            model_path=ns.model,
            threshold=ns.threshold,
            write_min_probability=ns.write_min_probability,
            seed=ns.seed,
        )
        summary = run_dedup(ns.input, ns.out, options, progress=bar, cancel=cancel)
    except DedupCancelled:
        print("hawiya dedup: cancelled; nothing was written", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\nhawiya dedup: interrupted; nothing was written", file=sys.stderr)
        return 130
    except DedupError as exc:
        if bar is not None:
            bar.close()
        print(f"hawiya dedup: error: {exc}", file=sys.stderr)
        return 2
    if bar is not None:
        bar.close()
    data = summary.to_dict()
    if summary.row_problems:
        print(
            f"hawiya dedup: {summary.row_problems:,} value(s) could not be used and were read as missing:",
            file=sys.stderr,
        )
        for problem in data["row_problems_listed"][:_SHOWN_PROBLEMS]:
            print(f"  row {problem['row']}, column {problem['column']}: {problem['problem']}", file=sys.stderr)
        print("  (all of them are listed in summary.json)", file=sys.stderr)
    stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in data["seconds"].items())
    print(
        f"{summary.records:,} records, {summary.candidate_pairs:,} candidate pairs, {summary.matched_pairs:,} matches"
    )
    print(
        f"{summary.clusters:,} clusters, {summary.duplicate_clusters:,} with duplicates "
        f"({summary.duplicate_records:,} records; duplicate rate {summary.duplicate_rate:.2%})"
    )
    print(f"{summary.total_seconds:.1f} s ({stages})")
    print(f"wrote {', '.join(Path(p).name for p in data['outputs'].values())} in {ns.out}")
    return 0


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text!r}")
    return value


def add_dedup_command(commands: Any) -> None:
    """Add ``dedup`` to the ``hawiya`` sub-commands."""
    dedup = commands.add_parser(
        "dedup",
        help="find the duplicates in a CSV or Parquet file of persons",
        description="Candidates (blocking rules and name-vector neighbours), a Fellegi-Sunter model trained by "
        "EM on the file itself (or --model), scored pairs and clusters. Writes pairs.parquet, clusters.parquet, "
        "model.json and summary.json into --out. The default configuration reads the register's columns "
        "(first_name_latin, first_name_arabic, ..., birth_year, birth_month, birth_day, birth_precision, "
        "birth_place_code, cin, phone); see dedup/config.py for another layout's --config.",
    )
    dedup.add_argument("input", type=Path, help="the records: a CSV (UTF-8, with a header) or Parquet file")
    dedup.add_argument("--out", type=Path, required=True, help="folder to write the results into (created)")
    dedup.add_argument(
        "--column-map",
        action="append",
        default=[],
        metavar="FILE_COLUMN=COLUMN",
        help="read a column of the file as another, e.g. prenom=first_name_latin (repeatable)",
    )
    dedup.add_argument("--config", type=Path, help="a TOML configuration: fields, training rounds, candidates")
    dedup.add_argument("--model", type=Path, help="a model.json from an earlier run, instead of training by EM")
    dedup.add_argument("--threshold", type=_probability, help="match probability of a pair (default 0.5)")
    dedup.add_argument(
        "--write-min-probability",
        type=float,
        default=0.1,
        metavar="P",
        help="write pairs from this probability on, for review (default 0.1)",
    )
    dedup.add_argument("--seed", type=int, default=0, help="seed of the random pairs that estimate u")
    dedup.add_argument("--no-progress", action="store_true", help="no progress bar (it is shown only on a terminal)")
    dedup.set_defaults(handler=_dedup)
