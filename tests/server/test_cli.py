"""The `hawiya` command: clear messages and non-zero exits, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _hawiya(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=base,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_help_lists_commands_and_settings() -> None:
    top = _hawiya("--help")
    assert top.returncode == 0
    for command in ("serve", "synth", "callers", "client"):
        assert command in top.stdout
    serve = _hawiya("serve", "--help")
    assert "HAWIYA_DATABASE_URL" in serve.stdout and "HAWIYA_METRICS_PORT" in serve.stdout


def test_serve_rejects_bad_configuration_naming_the_variable(tmp_path: Path) -> None:
    result = _hawiya("serve", env={"HAWIYA_THREADS": "many"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "HAWIYA_THREADS" in result.stderr and "Traceback" not in result.stderr


def test_serve_without_callers_explains_how_to_add_one(tmp_path: Path) -> None:
    result = _hawiya("serve", "--data-dir", str(tmp_path / "d"), "--port", "0", "--metrics-port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "hawiya callers add" in result.stderr and "Traceback" not in result.stderr


def test_synth_writes_population_and_truth(tmp_path: Path) -> None:
    import pandas as pd

    out, truth = tmp_path / "people.parquet", tmp_path / "truth.parquet"
    result = _hawiya(
        "synth", "--n", "300", "--seed", "5", "--out", str(out), "--duplicates", "0.2", "--truth", str(truth)
    )
    assert result.returncode == 0, result.stderr
    people, links = pd.read_parquet(out), pd.read_parquet(truth)
    assert len(people) > 300 and len(links) == len(people)
    assert people["entity_id"].nunique() == 300


def test_synth_errors_are_messages(tmp_path: Path) -> None:
    bad_rate = _hawiya("synth", "--n", "10", "--out", str(tmp_path / "p.parquet"), "--duplicates", "2")
    assert bad_rate.returncode == 2 and "--duplicates" in bad_rate.stderr
    bad_ext = _hawiya("synth", "--n", "10", "--out", str(tmp_path / "p.xlsx"))
    assert bad_ext.returncode == 2 and "p.xlsx" in bad_ext.stderr and "Traceback" not in bad_ext.stderr
    no_dir = _hawiya("synth", "--n", "10", "--out", str(tmp_path / "missing" / "deeper" / "p.parquet"))
    assert no_dir.returncode in (0, 2) and "Traceback" not in no_dir.stderr


def test_callers_add_and_list(tmp_path: Path) -> None:
    path = tmp_path / "callers.toml"
    added = _hawiya("callers", "add", "--id", "cnss-amo", "--allow", "Authentication/Authenticate", "--file", str(path))
    assert added.returncode == 0 and "hwk_" in added.stdout
    listed = _hawiya("callers", "list", "--file", str(path))
    assert "cnss-amo: Authentication/Authenticate" in listed.stdout
    bad = _hawiya("callers", "add", "--id", "X Y", "--allow", "Registry/*", "--file", str(path))
    assert bad.returncode == 2 and "caller id" in bad.stderr


def test_callers_add_with_a_policy(tmp_path: Path) -> None:
    from server.callers import CallerRegistry

    path = tmp_path / "callers.toml"
    added = _hawiya(
        "callers", "add", "--id", "portal", "--allow", "Residents/*", "--allow", "Registry/GetPerson",
        "--read", "first_name", "--read", "birth_date", "--rate-limit", "20", "--tls-subject", "CN=portal,O=DGSN",
        "--file", str(path),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    (portal,) = CallerRegistry.from_file(path).callers
    assert portal.readable_attributes == {"first_name", "birth_date"} and portal.rate_limit_per_second == 20
    assert portal.tls_subject == "CN=portal,O=DGSN"
    bad = _hawiya("callers", "add", "--id", "x", "--allow", "Residents/*", "--read", "religion", "--file", str(path))
    assert bad.returncode == 2 and "religion" in bad.stderr


def test_a_finished_command_keeps_its_exit_code_whatever_the_teardown_does(tmp_path: Path) -> None:
    """A native library's teardown that aborts (as Arrow's thread pools can) runs after a one-shot
    command has finished only through the interpreter's exit, which `run` skips; its output is
    flushed first."""
    aborting = "import atexit, os; atexit.register(os.abort); from server.cli import run; run()"
    # Buffered, as a pipe's output is by default: what was printed must still be flushed.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_") and k != "PYTHONUNBUFFERED"}
    missing = str(tmp_path / "absent.parquet")
    failed = subprocess.run(
        [sys.executable, "-c", aborting, "quality", "--file", missing],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert failed.returncode == 2, failed.stderr
    assert "no such file" in failed.stderr
    done = subprocess.run(
        [sys.executable, "-c", aborting, "synth", "--n", "20", "--out", str(tmp_path / "people.parquet")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote 20 records" in done.stdout  # what it printed reached the pipe
    assert (tmp_path / "people.parquet").stat().st_size > 0
