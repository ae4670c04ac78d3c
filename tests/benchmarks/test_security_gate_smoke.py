"""The security gate benchmark's quick mode runs to the end and writes its results (no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "security_gate.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "security_gate.py"), "--quick", "--output", str(output)],
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
    (sqlite,) = report["results"]
    assert {a["arm"] for a in sqlite["arms"]} == {"gate off", "gate on", "extra lock read per call"}
    assert all(a["cpu_per_call_us"] > 0 and a["concurrent_calls_per_second"] > 0 for a in sqlite["arms"])
