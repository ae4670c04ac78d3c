"""The kernel benchmark's quick mode runs to the end and writes its results (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path: Path) -> None:
    pytest.importorskip("rapidfuzz")
    output = tmp_path / "kernels.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "kernels.py"), "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["parameters"]["quick"] is True
    assert {"platform", "cpu_count"} <= report["machine"].keys()
    assert "git_commit" in report
    kernels = {(row["kernel"], row["implementation"]) for row in report["results"]}
    for kernel in ("jaro_winkler", "damerau_levenshtein", "token_set"):
        assert {(kernel, "numba"), (kernel, "rapidfuzz cpdist"), (kernel, "rapidfuzz loop")} <= kernels
    assert all(row["pairs_per_second"] > 0 for row in report["results"])
