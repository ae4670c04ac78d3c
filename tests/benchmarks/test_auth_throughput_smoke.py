"""The throughput benchmark's quick mode starts a server, runs its three workloads and writes its
results (no speed asserted: speed is measured in benchmarks/, not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "auth_throughput.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "auth_throughput.py"), "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["parameters"]["quick"] is True
    assert {"platform", "cpu_count", "processor"} <= report["machine"].keys()
    disk = report["machine"]["disk_sync"]  # the disk's own time to make a write durable
    assert disk["syncs"] > 0 and 0 < disk["p50_ms"] <= disk["p99_ms"] <= disk["p99_9_ms"] <= disk["max_ms"]
    assert "git_commit" in report
    assert set(report["goals"]) == {
        "authenticate_cpu_over_empty_cpu",
        "stream_throughput_over_unary_throughput",
        "authenticate_p99_over_empty_p99",
        "authenticate_p99_over_empty_p99_same_rate",
    }
    [setup] = report["setups"]
    assert setup["setup"] == "embedded"
    assert set(setup["ratios"]) == set(report["goals"])
    # What an item costs in a stream, added to an empty call: more than the empty call alone.
    assert setup["authenticate_cpu_floor_over_empty_cpu"] > 1.0
    # The paced pair ran at one rate: half of what unary Authenticate sustained back to back.
    rate = setup["results"]["empty_paced"]["rate"]
    assert rate == pytest.approx(setup["results"]["authenticate"]["calls_per_second"] / 2)
    assert setup["results"]["authenticate_paced"]["rate"] == rate
    # Paced, no faster than the rate (back to back, Authenticate ran at twice that, the empty
    # call faster still); the margin is for calls due before the window but answered in it.
    for paced in ("empty_paced", "authenticate_paced"):
        assert setup["results"][paced]["calls_per_second"] <= rate * 1.5
    # Then Authenticate at that rate again, with streams running beside it.
    assert setup["results"]["authenticate_beside_stream"]["rate"] == rate
    assert setup["results"]["stream_beside_authenticate"]["items"] > 0
    for workload in (
        "empty",
        "authenticate",
        "stream",
        "empty_paced",
        "authenticate_paced",
        "authenticate_beside_stream",
        "stream_beside_authenticate",
    ):
        result = setup["results"][workload]
        assert {
            "calls_per_second",
            "p50_ms",
            "p99_ms",
            "server_cpu_us_per_call",
            "server_switches_per_call",
            "client_cpu_us_per_call",
        } <= result.keys()
        assert result["calls"] > 0
        # Serving a call wakes at least the thread that answers it.
        assert result["server_switches_per_call"] > 0
        # Every answer was the one the claim called for, and no call failed.
        assert result["failed_calls"] == 0 and result["wrong_answers"] == 0
        # The audit waits come from the server's own metrics; the slow ones are some of them, as
        # the slow calls are some of the calls answered in the window.
        assert 0 <= result["slow_audit_waits"] <= result["audit_waits"]
        assert 0 <= result["slow_calls"] <= result["calls"]
        # The host's share of this machine's CPU over the window, from /proc/stat (Linux has it).
        assert 0.0 <= result["steal_share"] <= 1.0
        # The busiest server process's busiest half-second: no more cores than the machine has,
        # and no less than that process's mean over the window (clock ticks of 10 ms allowed for).
        peak = result["server_peak_process_cores"]
        assert peak <= report["machine"]["cpu_count"] + 0.05
        assert peak >= result["server_cores_busy"] / result["server_processes"] - 0.05
    # The empty call writes no audit row; every Authenticate waits for its own (the calls in
    # flight at either end of the window, and the scrapes' moments, make the counts differ a little).
    assert setup["results"]["empty"]["audit_waits"] == 0
    for unary in ("authenticate", "authenticate_paced"):
        result = setup["results"][unary]
        assert abs(result["audit_waits"] - result["calls"]) <= max(50, result["calls"] // 10)
    # Streamed items are counted as their answers arrive, in whole response messages of 100.
    stream = setup["results"]["stream"]
    assert stream["items"] > 0 and stream["items"] % 100 == 0
    assert "AuthenticateStream" in done.stdout
