"""Speed of the matcher's Numba kernels beside rapidfuzz, on the same Moroccan-looking name pairs.

Prints pairs per second for each kernel on one thread and on all threads, and for rapidfuzz's
vectorised ``process.cpdist`` (one worker and all) and a plain Python loop, then writes the
figures with the parameters, git commit and machine to ``benchmarks/results/kernels.json``.

    python benchmarks/kernels.py            # 1,000,000 pairs
    python benchmarks/kernels.py --quick    # a few thousand pairs, for the CI smoke test

Token set: rapidfuzz's ``fuzz.token_set_ratio`` is a different measure (Indel ratio of sorted
token intersections and remainders) from ours (tokens paired best-first by Jaro-Winkler); it is
timed as the nearest off-the-shelf order-free name comparison, not as the same computation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numba
import numpy as np
import rapidfuzz
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from matcher.kernels import (
    compile_kernels,
    damerau_levenshtein_pairs,
    encode_strings,
    jaro_winkler_pairs,
    max_kernel_threads,
    set_kernel_threads,
    token_set_similarity_pairs,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "kernels.json"

FIRST_NAMES = [
    "mohammed", "mohamed", "ahmed", "youssef", "yassine", "hamza", "omar", "othmane", "mehdi", "amine",
    "said", "rachid", "abdelaziz", "abdellah", "abderrahim", "khalid", "hassan", "hicham", "karim",
    "driss", "mustapha", "brahim", "ayoub", "soufiane", "anas", "ilyas", "zakaria", "adil", "noureddine",
    "fatima", "fatima zahra", "khadija", "aicha", "meryem", "salma", "imane", "hajar", "nadia", "naima",
    "latifa", "zineb", "houda", "kawtar", "sanae", "siham", "loubna", "asmae", "ghizlane", "hanane",
    "oumaima", "malika", "rkia", "yamna", "fadma", "itto", "touria", "samira", "widad", "hiba",
]  # fmt: skip
FAMILY_NAMES = [
    "el alaoui", "alaoui", "el idrissi", "idrissi", "benjelloun", "bennani", "tazi", "el fassi", "berrada",
    "chraibi", "lahlou", "sqalli", "benkirane", "el amrani", "amrani", "el ouazzani", "ouazzani",
    "bouzidi", "el khatib", "naciri", "el mansouri", "mansouri", "bouchikhi", "ait ali", "ait benhaddou",
    "oulad ahmed", "ben brahim", "el hajji", "rahmouni", "zerouali", "el kettani", "kettani", "filali",
    "bakkali", "el yacoubi", "haddad", "el moutawakil", "benslimane", "el ghazi", "ouchen", "amzil",
    "id belkacem", "bouhaddou", "el baz", "cherkaoui", "slaoui", "el harti", "bennis", "sbai", "touzani",
]  # fmt: skip
ARABIC_FIRST = ["محمد", "أحمد", "يوسف", "حمزة", "عمر", "فاطمة الزهراء", "خديجة", "عائشة", "مريم", "سلمى", "نادية"]
ARABIC_FAMILY = ["العلوي", "الإدريسي", "بنجلون", "بناني", "التازي", "الفاسي", "برادة", "الشرايبي", "آيت علي"]
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _name(rng: random.Random, arabic: bool) -> str:
    if arabic:
        return f"{rng.choice(ARABIC_FIRST)} {rng.choice(ARABIC_FAMILY)}"
    first = rng.choice(FIRST_NAMES)
    if rng.random() < 0.15:
        first = f"{first} {rng.choice(FIRST_NAMES)}"
    return f"{first} {rng.choice(FAMILY_NAMES)}"


def _typos(rng: random.Random, text: str, arabic: bool) -> str:
    """Zero to two character edits, and sometimes a reordering or hyphenation of the tokens."""
    letters = ARABIC_LETTERS if arabic else LATIN_LETTERS
    chars = list(text)
    for _ in range(rng.choice((0, 1, 1, 2))):
        pos = rng.randrange(len(chars))
        edit = rng.randrange(4)
        if edit == 0:
            chars[pos] = rng.choice(letters)
        elif edit == 1 and len(chars) > 2:
            del chars[pos]
        elif edit == 2:
            chars.insert(pos, rng.choice(letters))
        elif pos + 1 < len(chars):
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    out = "".join(chars)
    roll = rng.random()
    if roll < 0.15:
        tokens = out.split()
        out = " ".join(tokens[-1:] + tokens[:-1])
    elif roll < 0.25:
        out = out.replace(" ", "-", 1)
    return out


def make_pairs(
    n_pairs: int, pool: int, arabic_share: float, match_share: float, seed: int
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """A pool of names, a pool of typo-ridden variants, and pair indices into the two pools:
    a share of pairs are (name, its own variant), the rest (name, another name's variant)."""
    rng = random.Random(seed)
    scripts = [rng.random() < arabic_share for _ in range(pool)]
    names = [_name(rng, arabic) for arabic in scripts]
    variants = [_typos(rng, name, arabic) for name, arabic in zip(names, scripts, strict=True)]
    np_rng = np.random.default_rng(seed)
    left = np_rng.integers(0, pool, size=n_pairs, dtype=np.int64)
    right = np.where(np_rng.random(n_pairs) < match_share, left, np_rng.integers(0, pool, size=n_pairs))
    return names, variants, left, right.astype(np.int64)


def _best_seconds(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def _encode_both(left: list[str], right: list[str]) -> object:
    return encode_strings(left), encode_strings(right)


def _loop(scorer: Callable[[str, str], object], left: list[str], right: list[str]) -> list[object]:
    return [scorer(a, b) for a, b in zip(left, right, strict=True)]


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def run(args: argparse.Namespace) -> dict[str, Any]:
    all_threads = max_kernel_threads()
    thread_counts = sorted({1, all_threads})
    names, variants, left, right = make_pairs(args.pairs, args.pool, args.arabic_share, args.match_share, args.seed)
    left_strings = [names[i] for i in left]
    right_strings = [variants[i] for i in right]

    compile_start = time.perf_counter()
    compile_kernels()
    compile_seconds = time.perf_counter() - compile_start

    codes_a, offs_a = encode_strings(names)
    codes_b, offs_b = encode_strings(variants)
    rows: list[dict[str, Any]] = []

    def record(kernel: str, implementation: str, threads: int, seconds: float) -> None:
        rows.append(
            {
                "kernel": kernel,
                "implementation": implementation,
                "threads": threads,
                "seconds": seconds,
                "pairs_per_second": args.pairs / seconds if seconds > 0 else float("inf"),
            }
        )

    seconds, _ = _best_seconds(partial(_encode_both, left_strings, right_strings), args.repeat)
    record("encode both sides", "matcher encode_strings", 1, seconds)

    kernels: list[tuple[str, Callable[..., np.ndarray], Callable[..., Any], dict[str, Any]]] = [
        ("jaro_winkler", jaro_winkler_pairs, JaroWinkler.normalized_similarity, {"dtype": np.float32}),
        ("damerau_levenshtein", damerau_levenshtein_pairs, DamerauLevenshtein.distance, {"dtype": np.int32}),
        ("token_set", token_set_similarity_pairs, fuzz.token_set_ratio, {"dtype": np.float32}),
    ]
    agreement: dict[str, float] = {}
    for name, kernel, scorer, cpdist_kwargs in kernels:
        ours: np.ndarray | None = None
        for threads in thread_counts:
            set_kernel_threads(threads)
            kernel(codes_a, offs_a, codes_b, offs_b, left[:64], right[:64])  # warm this thread count
            seconds, out = _best_seconds(partial(kernel, codes_a, offs_a, codes_b, offs_b, left, right), args.repeat)
            record(name, "numba", threads, seconds)
            ours = np.asarray(out)
        set_kernel_threads(all_threads)
        theirs: np.ndarray | None = None
        for threads in thread_counts:
            workers = 1 if threads == 1 else -1
            cpdist = partial(
                process.cpdist, left_strings, right_strings, scorer=scorer, workers=workers, **cpdist_kwargs
            )
            seconds, out = _best_seconds(cpdist, args.repeat)
            record(name, "rapidfuzz cpdist", threads, seconds)
            theirs = np.asarray(out)
        seconds, _ = _best_seconds(partial(_loop, scorer, left_strings, right_strings), args.repeat)
        record(name, "rapidfuzz loop", 1, seconds)
        if name != "token_set" and ours is not None and theirs is not None:
            # Same definitions, so the results must agree (float32 rounding aside).
            agreement[name] = float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)), initial=0.0))

    lengths = np.array([len(s) for s in names + variants])
    return {
        "benchmark": "kernels",
        "parameters": {
            "pairs": args.pairs,
            "pool": args.pool,
            "arabic_share": args.arabic_share,
            "match_share": args.match_share,
            "seed": args.seed,
            "repeat": args.repeat,
            "quick": args.quick,
            "mean_name_length": float(lengths.mean()),
        },
        "git_commit": _git_commit(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "numba_threads": all_threads,
            "numba_threading_layer": numba.threading_layer(),
        },
        "versions": {"numpy": np.__version__, "numba": numba.__version__, "rapidfuzz": rapidfuzz.__version__},
        "compile_seconds": compile_seconds,
        "max_abs_difference_from_rapidfuzz": agreement,
        "results": rows,
    }


def print_table(report: dict[str, Any]) -> None:
    rows = report["results"]
    print(
        f"{report['parameters']['pairs']:,} pairs, mean name length {report['parameters']['mean_name_length']:.1f}, "
        f"{report['machine']['cpu_count']} CPUs, numba threads {report['machine']['numba_threads']}, "
        f"compile/load {report['compile_seconds']:.2f} s"
    )
    threads = sorted({row["threads"] for row in rows})
    header = f"{'kernel':<22}{'implementation':<25}" + "".join(f"{f'{t} thread(s) pairs/s':>26}" for t in threads)
    print(header)
    print("-" * len(header))
    seen: dict[tuple[str, str], dict[int, float]] = {}
    for row in rows:
        seen.setdefault((row["kernel"], row["implementation"]), {})[row["threads"]] = row["pairs_per_second"]
    for (kernel, implementation), by_threads in seen.items():
        cells = "".join(f"{by_threads[t]:>26,.0f}" if t in by_threads else f"{'':>26}" for t in threads)
        print(f"{kernel:<22}{implementation:<25}{cells}")
    for name, diff in report["max_abs_difference_from_rapidfuzz"].items():
        print(f"{name}: largest difference from rapidfuzz {diff:.2e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a few thousand pairs, one repetition (CI smoke)")
    parser.add_argument("--pairs", type=int, default=None, help="number of pairs (default 1,000,000)")
    parser.add_argument("--pool", type=int, default=None, help="distinct names on each side (default 100,000)")
    parser.add_argument("--arabic-share", type=float, default=0.2, help="share of names in Arabic script")
    parser.add_argument("--match-share", type=float, default=0.5, help="share of pairs that are the same person")
    parser.add_argument("--repeat", type=int, default=None, help="timed repetitions, best kept (default 3)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON path")
    args = parser.parse_args(argv)
    args.pairs = args.pairs or (5_000 if args.quick else 1_000_000)
    args.pool = args.pool or min(args.pairs, 1_000 if args.quick else 100_000)
    args.repeat = args.repeat or (1 if args.quick else 3)

    report = run(args)
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
