"""What the security gate (locks, freezes, failed-attempt counts) costs an authentication.

The gate reads each audit batch's lock, freeze and failure counts just before it writes
the batch (registry_store.security), instead of a query of its own per call. This measures, in
one process and without gRPC, the domain path of an authentication (cached profile, matcher,
audit group commit) with the audit writer's gate off and on, alternating in blocks so that both
see the same machine, and, for comparison, what one extra indexed read of the lock state per
call (the obvious alternative) costs. Figures: wall time per call (one caller, so every commit
is a batch of one), CPU per call (process time, the writer thread included), and throughput with
16 concurrent callers (batches form).

    python benchmarks/security_gate.py                                  # SQLite, 4 x 1,000 calls per arm
    python benchmarks/security_gate.py --pg-url postgresql+psycopg://postgres@127.0.0.1/hawiya_bench
    python benchmarks/security_gate.py --quick                          # CI smoke test

Results, with the parameters, git commit and machine, go to benchmarks/results/security_gate.json.
The PostgreSQL database given is written to (persons and audit rows); give one of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from matcher.authentication import MatchRule
from registry_store import BirthDate, DatePrecision, Demographics, Name, RegistryStore, Sex
from registry_store.audit import AuditLog
from registry_store.cache import LocalProfileCache
from registry_store.security import AuthSecurity, SecurityPolicy
from server.authentication import AuthenticationService
from server.idhash import IdHasher
from server.profiles import ProfileSource

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "security_gate.json"
POPULATION = 200


def _person(i: int) -> Demographics:
    return Demographics(
        first_name=Name(f"Salma{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}", ""),
        last_name=Name("Berrada", "برادة"),
        sex=Sex.FEMALE,
        birth_date=BirthDate(1950 + i % 50, 1 + i % 12, 1 + i % 28, DatePrecision.FULL),
        birth_place_code="P101",
        cin=f"BG{i:06d}",
        phone=f"066{i:07d}",
    )


def _claim(person: Demographics, wrong: bool) -> Demographics:
    return Demographics(
        first_name=person.first_name,
        birth_date=BirthDate(1901, 1, 1, DatePrecision.FULL) if wrong else person.birth_date,
    )


class Arm:
    """One way of serving authentications: the audit writer with or without the gate."""

    def __init__(self, store: RegistryStore, gated: bool, extra_read: bool = False) -> None:
        self.name = "extra lock read per call" if extra_read else ("gate on" if gated else "gate off")
        policy = SecurityPolicy(max_failed_attempts=10**9) if gated else None
        self.audit = AuditLog(store, security=policy)
        self.hasher = IdHasher(b"k" * 32)
        self.service = AuthenticationService(ProfileSource(store, LocalProfileCache()), self.audit, self.hasher)
        self.security = AuthSecurity(store) if extra_read else None

    def call(self, idcs: str, claim: Demographics) -> None:
        if self.security is not None:
            self.security.state(self.hasher(idcs))
        self.service.authenticate("bench", idcs, claim, {"first_name": MatchRule()})

    def close(self) -> None:
        self.audit.close()


def _sequential(arm: Arm, work: list[tuple[str, Demographics]]) -> tuple[list[float], float]:
    walls = []
    cpu = time.process_time()
    for idcs, claim in work:
        began = time.perf_counter()
        arm.call(idcs, claim)
        walls.append(time.perf_counter() - began)
    return walls, time.process_time() - cpu


def _concurrent(arm: Arm, work: list[tuple[str, Demographics]], threads: int) -> float:
    """Calls per second with `threads` callers sharing the work."""
    parts = [work[i::threads] for i in range(threads)]
    began = time.perf_counter()
    runners = [threading.Thread(target=lambda p=p: [arm.call(i, c) for i, c in p]) for p in parts]
    for t in runners:
        t.start()
    for t in runners:
        t.join()
    return len(work) / (time.perf_counter() - began)


def run_backend(url: str, calls: int, blocks: int, threads: int) -> dict[str, Any]:
    store = RegistryStore.from_url(url, statement_timeout=30)
    try:
        people = [store.enrol(_person(i), idempotency_key=f"gate-bench-{i:06d}").person for i in range(POPULATION)]
        work = [(p.idcs, _claim(p.demographics, wrong=i % 7 == 0)) for i, p in enumerate(people)]
        work = (work * (calls // len(work) + 1))[:calls]
        arms = [Arm(store, gated=False), Arm(store, gated=True), Arm(store, gated=False, extra_read=True)]
        walls: dict[str, list[float]] = {a.name: [] for a in arms}
        cpu: dict[str, float] = {a.name: 0.0 for a in arms}
        rates: dict[str, list[float]] = {a.name: [] for a in arms}
        for arm in arms:  # warm the caches, the statements and the connections
            _sequential(arm, work[: min(200, calls)])
        for _ in range(blocks):
            for arm in arms:
                w, c = _sequential(arm, work)
                walls[arm.name] += w
                cpu[arm.name] += c
                rates[arm.name].append(_concurrent(arm, work, threads))
        for arm in arms:
            arm.close()
        n = calls * blocks
        return {
            "backend": store.dialect,
            "arms": [
                {
                    "arm": name,
                    "calls": n,
                    "wall_median_us": round(statistics.median(walls[name]) * 1e6, 1),
                    "wall_p90_us": round(sorted(walls[name])[int(0.9 * n)] * 1e6, 1),
                    "cpu_per_call_us": round(cpu[name] / n * 1e6, 1),
                    "concurrent_calls_per_second": round(statistics.median(rates[name]), 1),
                }
                for name in walls
            ],
        }
    finally:
        store.close()


def _git() -> dict[str, Any]:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="also measure on this PostgreSQL database (it is written to)")
    parser.add_argument("--calls", type=int, default=1000, help="calls per block and arm (default 1000)")
    parser.add_argument("--blocks", type=int, default=4, help="alternating blocks per arm (default 4)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent callers for the throughput figure")
    parser.add_argument("--quick", action="store_true", help="a few calls, for the CI smoke test")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    ns = parser.parse_args(argv)
    if ns.quick:
        ns.calls, ns.blocks, ns.threads = 100, 1, 4
    results = []
    with tempfile.TemporaryDirectory(prefix="hawiya-gate-") as tmp:
        results.append(run_backend(f"sqlite:///{Path(tmp) / 'bench.db'}", ns.calls, ns.blocks, ns.threads))
    if ns.pg_url:
        results.append(run_backend(ns.pg_url, ns.calls, ns.blocks, ns.threads))
    report = {
        "benchmark": "security_gate",
        "parameters": {"calls": ns.calls, "blocks": ns.blocks, "threads": ns.threads, "quick": ns.quick,
                       "population": POPULATION, "pg": bool(ns.pg_url)},
        "git_commit": _git(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "results": results,
    }  # fmt: skip
    ns.output.parent.mkdir(parents=True, exist_ok=True)
    ns.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for backend in results:
        print(f"{backend['backend']}:")
        for arm in backend["arms"]:
            print(
                f"  {arm['arm']:<26} median {arm['wall_median_us']:>8.1f} µs  p90 {arm['wall_p90_us']:>8.1f} µs"
                f"  CPU {arm['cpu_per_call_us']:>7.1f} µs/call  {arm['concurrent_calls_per_second']:>8.1f} calls/s"
                f" ({ns.threads} callers)"
            )
    print(f"wrote {ns.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
