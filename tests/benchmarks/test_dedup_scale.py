"""The dedup_scale benchmark's quick mode runs ``hawiya dedup`` and writes its figures (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "dedup_scale.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "dedup_scale.py"), "--quick", "--no-splink"]
    command += ["--workdir", str(tmp_path / "work"), "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pairwise F1" in done.stdout
    report = json.loads(output.read_text(encoding="utf-8"))

    assert report["parameters"]["quick"] is True
    assert report["parameters"]["splink"] is False
    assert {"platform", "cpu_count"} <= report["machine"].keys()
    assert "git_commit" in report
    assert report["data"]["records"] > report["data"]["people"] == 3_000
    assert report["data"]["true_pairs"] > 0
    assert set(report["results"]) == {"hawiya"}
    hawiya = report["results"]["hawiya"]
    assert "error" not in hawiya
    assert hawiya["wall_seconds"] > 0
    assert hawiya["peak_memory_bytes"] > 0
    assert hawiya["stage_seconds"]
    for scores in (hawiya["pairwise"], hawiya["clusters"]):
        assert {"precision", "recall", "f1", "true_pairs"} <= scores.keys()
        assert scores["true_pairs"] == report["data"]["true_pairs"]
    assert hawiya["clusters"]["records_missing"] == 0  # clusters.parquet holds every record
    # A correctness floor on 3,000 people, not a speed figure.
    assert hawiya["pairwise"]["f1"] > 0.9
    assert hawiya["clusters"]["f1"] > 0.9
    assert set(report["goals"]) == {"seconds_at_1m", "peak_memory", "time_ratio", "f1_margin"}
