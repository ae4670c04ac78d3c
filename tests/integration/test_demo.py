"""README command 1: `hawiya serve --demo` comes up SERVING and its printed example call answers yes."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.conftest import free_port, stop_server, wait_serving


def _read_until(path: Path, marker: str, proc: subprocess.Popen, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        if marker in text:
            return text
        if proc.poll() is not None:
            raise RuntimeError(f"demo server exited with {proc.returncode}:\n{text}")
        time.sleep(0.2)
    raise TimeoutError(f"no {marker!r} in the demo output")


def _client(command: list[str], target_key: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *command], capture_output=True, text=True, timeout=60, check=False
    )


def test_demo_serves_and_the_example_call_answers_yes(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--demo", "--demo-size", "60",
             "--port", str(port), "--metrics-port", "0", "--data-dir", str(tmp_path / "data")],
            env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
    try:
        wait_serving(f"127.0.0.1:{port}", proc, timeout=120)
        text = _read_until(out, "client authenticate", proc)
        example = next(line.strip() for line in text.splitlines() if "client authenticate" in line)
        args = shlex.split(example)
        args = args[args.index("client") :]
        yes = _client(args)
        assert yes.returncode == 0, yes.stderr
        assert '"decision": "DECISION_YES"' in yes.stdout

        date_at = args.index("--birth-date") + 1
        wrong = list(args)
        year = int(wrong[date_at][:4])
        wrong[date_at] = str(year - 1) + wrong[date_at][4:]
        no = _client(wrong)
        assert '"decision": "DECISION_NO"' in no.stdout

        idcs_at = args.index("--idcs") + 1
        typo = list(args)
        typo[idcs_at] = args[idcs_at][:-1] + str((int(args[idcs_at][-1]) + 1) % 10)
        bad = _client(typo)
        assert bad.returncode == 1 and "INVALID_ARGUMENT" in bad.stderr and "field: idcs" in bad.stderr

        key_at = args.index("--api-key")
        anonymous = args[:key_at] + args[key_at + 2 :]
        denied = _client(anonymous)
        assert "UNAUTHENTICATED" in denied.stderr
    finally:
        assert stop_server(proc) == 0, out.read_text()
    # A second start reuses the register and the demo key: no second population.
    assert (tmp_path / "data" / "demo-api-key").exists()
