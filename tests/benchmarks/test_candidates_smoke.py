"""The candidates benchmark's quick mode runs to the end and writes its results (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "candidates.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "candidates.py"), "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "recall" in done.stdout
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["parameters"]["quick"] is True
    assert {"platform", "cpu_count"} <= report["machine"].keys()
    assert "git_commit" in report
    assert set(report["results"]) == {"blocking", "faiss", "both"}
    for result in report["results"].values():
        assert 0.0 <= result["recall"] <= 1.0
        assert result["pairs_per_record"] > 0
        assert result["seconds"]
    # A correctness floor on 3,000 people, not a speed figure.
    assert report["results"]["both"]["recall"] >= 0.98
