"""Authentication throughput, latency and server CPU per call, beside an empty gRPC call.

Starts ``hawiya serve`` itself (a subprocess in a temporary data folder) in each set-up:

* ``embedded``: SQLite register and the in-process profile cache (one worker; with more workers
  and no Redis the server caches nothing);
* ``postgres``: PostgreSQL register (database ``hawiya_bench``, dropped and created afresh) and
  the Redis profile cache.

It enrols a synthetic population through ``Registry/Enrol``, warms the cache with one pass of
authentications, then runs, with the same server and the same load generator, these workloads
one after the other:

* ``empty``: ``grpc.health.v1.Health/Check``, the cheapest unary call the server answers. It does
  not pass through hawiya's interceptor (no API key, request id or metrics), so it is the floor
  that gRPC itself sets;
* ``authenticate``: unary ``Authenticate`` of enrolled persons (85 % genuine, 15 % wrong birth
  year; cache warm), every answer checked;
* ``stream``: ``AuthenticateStream``, each call a batch of ``--batch`` such items;
* ``empty_paced`` and ``authenticate_paced``: the two unary workloads again, at the same rate
  (half the calls/s ``authenticate`` sustained), so that their latencies are compared under the
  same offered load; back to back, each runs as fast as it can, and its latency is mostly its
  wait behind the calls in flight;
* ``authenticate_beside_stream`` and ``stream_beside_authenticate``: unary ``Authenticate`` at
  that rate again, while ``AuthenticateStream`` calls run back to back at the same time, each
  from half the client processes (at least one): what a programme's bulk re-verification leaves
  to the other callers of the same workers. Not a goal; both share the window's server CPU, so
  only their calls/s and latencies are theirs.

The load generator is ``--clients`` processes, each with ``--threads`` threads spread over
``--channels`` channels (each its own connection), every thread calling back to back (or, paced,
each on its own schedule, a call's latency counted from when it was due): the same concurrency
for every workload. Each workload runs ``--warmup`` seconds, then ``--duration``
seconds measured: calls completed in that window (for ``stream``, items answered in it, counted
as each response message arrives: a call of 1,000 items lasts seconds), their latency
percentiles, the server's CPU time over it (utime + stime of the server process and its worker
processes, from ``/proc``) and its threads' context switches. The clients run on the same machine
and take CPU from the server.

Every answer waits for its audit row's commit, which waits for the disk. So each workload also
counts its calls slower than 25 ms and how often the server's calls waited longer than that for
their audit commit (from the server's own ``/metrics``), and the run begins by timing 8 KiB
``fdatasync`` calls on the disk of the temporary folder for a few seconds: on a virtual disk some
take tens or hundreds of milliseconds, and every call waiting for a commit then waits with it.

A worker runs its Python under one interpreter lock, and a paced call costs it more than a call
back to back (fewer audit rows per commit, more threads woken). So each workload also records
the busiest server process's busiest half-second, in cores (the ``peak`` column): a paced row
whose peak nears what Authenticate kept busy back to back had its calls queueing behind one
another for a while, whatever the disk did.

On a virtual machine, the host may run other guests on this one's CPUs: that time is "steal"
in ``/proc/stat``. Each workload records the share of the machine's CPU time stolen over its
window (the ``steal`` column), so that a run the host slowed down can be told from a slower
server. It is not the only cause of a run's spread: on the 2-core test machine, with 0-1% steal
on every row, the empty call cost 348 µs of server CPU (embedded), against 204-317 µs in four
other runs that day (their steal not recorded).

    python benchmarks/auth_throughput.py                 # both set-ups, full length
    python benchmarks/auth_throughput.py --quick         # a few seconds, embedded only (CI smoke test)
    python benchmarks/auth_throughput.py --workers 2 --setups postgres

Results, with the parameters, git commit and machine, go to
``benchmarks/results/auth_throughput.json`` (``--output`` elsewhere).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "auth_throughput.json"
WORKLOADS = ("empty", "authenticate", "stream")
# Then the two unary workloads again, paced at the same rate: PACED_SHARE of the calls/s that
# unary Authenticate sustained back to back.
PACED = {"empty_paced": "empty", "authenticate_paced": "authenticate"}
PACED_SHARE = 0.5
# Then unary Authenticate at that rate once more, with streams running beside it.
BESIDE = ("authenticate_beside_stream", "stream_beside_authenticate")
GOALS = {
    "authenticate_cpu_over_empty_cpu": ("≤", 1.3),
    "stream_throughput_over_unary_throughput": ("≥", 5.0),
    "authenticate_p99_over_empty_p99": ("≤", 2.0),
    "authenticate_p99_over_empty_p99_same_rate": ("≤", 2.0),
}
_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Setup:
    name: str
    database_url: str
    redis_url: str
    description: str


# --- the server -------------------------------------------------------------------------------


# Items per stream message: gRPC costs per message, hawiya per item.
STREAM_CHUNK = 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_serving(target: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 180.0) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                if (
                    stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"server at {target} not SERVING after {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# A call slower than this is counted, and so is an audit row the server waited longer than this
# for (one of the server's histogram buckets: hawiya_store_query_seconds, operation audit_commit).
SLOW_SECONDS = 0.025
# Each server process's CPU is read every SAMPLE_SECONDS over a window, for its busiest PEAK_SECONDS.
SAMPLE_SECONDS = 0.1
PEAK_SECONDS = 0.5


def _metrics_url(log_path: Path, timeout: float = 10.0) -> str | None:
    """The server's /metrics address, from the banner it prints once SERVING (None if not seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith("metrics: http://"):
                return line.split(" ", 1)[1].strip()
        time.sleep(0.1)
    return None


def _audit_waits(metrics_url: str | None) -> tuple[float, float] | None:
    """(audit rows waited for, of which longer than SLOW_SECONDS) so far, from the server's metrics.

    Each answered unary Authenticate waits once for its audit row's commit; a stream chunk waits
    once for all of its rows.
    """
    if metrics_url is None:
        return None
    from urllib.request import urlopen

    from prometheus_client.parser import text_string_to_metric_families

    with urlopen(metrics_url, timeout=5) as reply:  # the server this run started
        text = reply.read().decode()
    total = fast = 0.0
    for family in text_string_to_metric_families(text):
        if family.name != "hawiya_store_query_seconds":
            continue
        for sample in family.samples:
            if sample.labels.get("operation") != "audit_commit" or not sample.name.endswith("_bucket"):
                continue
            bound = float(sample.labels["le"])
            if bound == float("inf"):
                total += sample.value
            elif bound == SLOW_SECONDS:
                fast += sample.value
    return total, total - fast


def _reset_database(admin_url: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the worker processes of ``--workers`` > 1)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the given processes (all their threads), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _CLK_TCK


def _context_switches(pids: list[int]) -> int:
    """Context switches so far (voluntary and not) of every thread of the given processes, from /proc.

    A thread is switched out whenever it waits (for the GIL, a lock, a socket, the disk) and in
    again when woken. On a 2-core virtual machine, perf put about half of the server's CPU in the
    kernel's scheduling, for the empty call and Authenticate alike, so the count per call
    explains much of a call's CPU beyond the Python it runs.
    """
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
            except OSError:
                continue  # the thread ended between the listing and the read
            total += sum(int(line.split()[1]) for line in status.splitlines() if "ctxt_switches:" in line)
    return total


def _sample_cpu(pids: list[int], until: float) -> list[tuple[float, list[float]]]:
    """Each server process's CPU seconds so far, every `SAMPLE_SECONDS` until `until` (monotonic)."""
    samples = []
    while True:
        now = time.monotonic()
        samples.append((now, [_cpu_seconds([pid]) for pid in pids]))
        if now >= until and len(samples) > 1:  # a window has a first and a last sample
            return samples
        time.sleep(min(SAMPLE_SECONDS, until - now))


def _peak_cores(samples: list[tuple[float, list[float]]], span: float = PEAK_SECONDS) -> float | None:
    """The busiest server process's busiest `span` seconds of the window, in cores; None if shorter.

    A worker runs its Python under one interpreter lock, so a worker near the cores that
    Authenticate kept busy back to back had no time to spare then, and calls due meanwhile queued.
    `/proc` counts CPU in clock ticks (10 ms), so over 0.5 s the figure is good to about 0.04 core.
    """
    peak, later = None, 0
    for start, before in samples:
        while later < len(samples) and samples[later][0] - start < span:
            later += 1
        if later == len(samples):
            break
        end, after = samples[later]
        busiest = max(b - a for a, b in zip(before, after, strict=True)) / (end - start)
        peak = busiest if peak is None else max(peak, busiest)
    return peak


def _machine_ticks() -> tuple[int, int] | None:
    """(stolen, all) CPU clock ticks of the whole machine so far, from /proc/stat; None without it.

    The first line's counters are user, nice, system, idle, iowait, irq, softirq and steal
    (guest time is already inside user), summed over the CPUs.
    """
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if len(fields) < 9 or fields[0] != "cpu":
        return None
    ticks = [int(value) for value in fields[1:9]]
    return ticks[7], sum(ticks)


def _steal_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of the machine's CPU time its hypervisor gave to others between two readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


# --- the load generator (client processes) ----------------------------------------------------


def _client_process(
    index: int,
    target: str,
    api_key: str,
    workload: str,
    payloads: list[bytes],
    expected: list[int],
    options: dict[str, Any],
    barrier: Any,
    results: Any,
) -> None:
    """One load-generating process: threads calling back to back (or paced) until the window ends."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from hawiya.v1 import authentication_pb2, authentication_pb2_grpc

    threads, channel_count, batch = options["threads"], options["channels"], options["batch"]
    # A local subchannel pool gives each channel its own connection instead of sharing one.
    channels = [
        grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(channel_count)
    ]
    metadata = (("x-api-key", api_key),)
    requests = [authentication_pb2.AuthenticateRequest.FromString(p) for p in payloads]
    health_request = health_pb2.HealthCheckRequest()

    # (arrival time, items) of every stream response message, per thread: a stream call answers
    # 1,000 items over several seconds, so items are counted as they arrive, not per call.
    arrivals: list[list[tuple[float, int]]] = [[] for _ in range(threads)]

    def call_for(channel: grpc.Channel, offset: int, thread: int) -> Callable[[], tuple[int, int]]:
        """A function making one call; returns (items answered, wrong answers)."""
        position = offset
        if workload == "empty":
            health = health_pb2_grpc.HealthStub(channel)

            def check() -> tuple[int, int]:
                health.Check(health_request, timeout=10)
                return 1, 0

            return check
        auth = authentication_pb2_grpc.AuthenticationStub(channel)
        if workload == "authenticate":

            def authenticate() -> tuple[int, int]:
                nonlocal position
                position = (position + 1) % len(requests)
                reply = auth.Authenticate(requests[position], metadata=metadata, timeout=10)
                return 1, int(reply.decision != expected[position])

            return authenticate

        def stream() -> tuple[int, int]:
            nonlocal position
            start = position
            position = (position + batch) % len(requests)
            picks = [(start + i) % len(requests) for i in range(batch)]
            items = [authentication_pb2.AuthenticateItem(item_id=str(k), request=requests[k]) for k in picks]
            chunks = [
                authentication_pb2.AuthenticateStreamRequest(items=items[i : i + STREAM_CHUNK])
                for i in range(0, len(items), STREAM_CHUNK)
            ]
            answered = wrong = 0
            arrived = arrivals[thread]
            for reply in auth.AuthenticateStream(iter(chunks), metadata=metadata, timeout=60):
                arrived.append((time.monotonic(), len(reply.results)))
                for answer in reply.results:
                    answered += 1
                    k = int(answer.item_id)
                    if answer.WhichOneof("result") != "response" or answer.response.decision != expected[k]:
                        wrong += 1
            return answered, wrong + (batch - answered)

        return stream

    calls = [call_for(channels[t % channel_count], (index * threads + t) * 997, t) for t in range(threads)]
    for call in calls:  # connect and warm each thread's path before the clock starts
        call()
    for arrived in arrivals:
        arrived.clear()
    records: list[list[tuple[float, float, int, int, int]]] = [[] for _ in range(threads)]
    barrier.wait()
    released = time.monotonic()
    window = (released + options["warmup"], released + options["warmup"] + options["duration"])
    stop_at = window[1] + 0.25
    cpu_marks: list[float] = []

    def mark_cpu() -> None:
        for moment in window:
            time.sleep(max(0.0, moment - time.monotonic()))
            cpu_marks.append(time.process_time())

    rate = options.get("rate")
    # Paced: every thread of every client process calls on its own schedule, together `rate`
    # calls/s spread evenly; a call's latency counts from when it was due, so a call sent late
    # because the one before was slow counts its wait too.
    interval = options["clients"] * threads / rate if rate else 0.0

    def run(t: int) -> None:
        call, out = calls[t], records[t]
        due = released + interval * (index * threads + t) / (options["clients"] * threads)
        while (begin := time.monotonic()) < stop_at:
            if interval:
                if begin < due:
                    time.sleep(due - begin)
                begin, due = due, due + interval
            try:
                items, wrong = call()
                failed = 0
            except grpc.RpcError:
                items, wrong, failed = 0, 0, 1
            end = time.monotonic()
            out.append((end, end - begin, items, wrong, failed))

    marker = threading.Thread(target=mark_cpu)
    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    marker.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    marker.join()
    for channel in channels:
        channel.close()
    rows = np.array([r for out in records for r in out], dtype=np.float64).reshape(-1, 5)
    answers = np.array([a for arrived in arrivals for a in arrived], dtype=np.float64).reshape(-1, 2)
    results.put({"index": index, "rows": rows, "answers": answers, "client_cpu": cpu_marks[1] - cpu_marks[0]})


def _run_workload(
    workload: str,
    target: str,
    api_key: str,
    server_pid: int,
    payloads: list[bytes],
    expected: list[int],
    options: dict[str, Any],
    rate: float | None = None,
    metrics_url: str | None = None,
) -> dict[str, Any]:
    """Run one workload at the configured concurrency and measure it over the window.

    With ``rate``, the same threads call at that many calls/s in all, not back to back. With
    ``metrics_url``, the server's audit waits over the window are counted too (`_audit_waits`).
    """
    options = {**options, "rate": rate}
    context = mp.get_context("spawn")  # the parent holds gRPC objects: never fork it
    clients = options["clients"]
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    procs = [
        context.Process(
            target=_client_process,
            args=(i, target, api_key, workload, payloads, expected, options, barrier, results),
            daemon=True,
        )
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    released = time.monotonic()
    time.sleep(options["warmup"])
    pids = _process_tree(server_pid)
    audit0 = _audit_waits(metrics_url)  # the scrapes' own CPU stays outside the window
    switches0, ticks0 = _context_switches(pids), _machine_ticks()
    # The window runs from the first CPU sample to the last.
    samples = _sample_cpu(pids, released + options["warmup"] + options["duration"])
    switches1, ticks1 = _context_switches(pids), _machine_ticks()
    (t0, first), (t1, last) = samples[0], samples[-1]
    cpu0, cpu1 = sum(first), sum(last)
    audit1 = _audit_waits(metrics_url)
    outputs = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    rows = np.concatenate([o["rows"] for o in outputs])
    inside = rows[(rows[:, 0] >= t0) & (rows[:, 0] < t1)]
    seconds = t1 - t0
    calls = len(inside)
    items = int(inside[:, 2].sum())
    answers = np.concatenate([o["answers"] for o in outputs])
    if len(answers):  # a stream: the items answered inside the window, whatever call they belong to
        items = int(answers[(answers[:, 0] >= t0) & (answers[:, 0] < t1), 1].sum())
    latency_ms = inside[inside[:, 4] == 0, 1] * 1000.0
    server_cpu = cpu1 - cpu0
    client_cpu = sum(o["client_cpu"] for o in outputs)
    per = max(items, 1)
    return {
        "workload": workload,
        "rate": rate,
        "calls": calls,
        "items": items,
        "seconds": seconds,
        "calls_per_second": items / seconds,
        "rpcs_per_second": calls / seconds,
        "p50_ms": float(np.percentile(latency_ms, 50)) if len(latency_ms) else None,
        "p99_ms": float(np.percentile(latency_ms, 99)) if len(latency_ms) else None,
        "server_cpu_seconds": server_cpu,
        "server_cpu_us_per_call": server_cpu / per * 1e6,
        "server_cores_busy": server_cpu / seconds,
        "server_peak_process_cores": _peak_cores(samples),
        "server_switches_per_call": (switches1 - switches0) / per,
        "client_cpu_us_per_call": client_cpu / per * 1e6,
        "slow_calls": int((latency_ms > SLOW_SECONDS * 1000).sum()),
        "audit_waits": None if audit0 is None or audit1 is None else int(audit1[0] - audit0[0]),
        "slow_audit_waits": None if audit0 is None or audit1 is None else int(audit1[1] - audit0[1]),
        "failed_calls": int(inside[:, 4].sum()),
        "wrong_answers": int(inside[:, 3].sum()),
        "server_processes": len(pids),
        "steal_share": _steal_share(ticks0, ticks1),
    }


def _beside_stream(measure: Callable[..., dict[str, Any]], options: dict[str, Any], rate: float) -> dict[str, Any]:
    """Unary Authenticate paced at `rate` while AuthenticateStream calls run beside it.

    ``measure(workload, options, rate=None)`` is `_run_workload` bound to the set-up's server and
    population. Each workload has half the client processes (at least one); both measure the same
    window.
    """
    half = {**options, "clients": max(1, options["clients"] // 2)}
    outcome: dict[str, Any] = {}

    def streams() -> None:
        try:
            outcome["stream"] = measure("stream", half)
        except BaseException as exc:  # re-raised below, in the caller's thread
            outcome["error"] = exc

    beside = threading.Thread(target=streams, name="beside-stream")
    beside.start()
    unary = measure("authenticate", half, rate)
    beside.join()
    if "error" in outcome:
        raise outcome["error"]
    return {BESIDE[0]: unary, BESIDE[1]: outcome["stream"]}


# --- one set-up -------------------------------------------------------------------------------


def _workload_requests(population: list[Any], seed: int) -> tuple[list[bytes], list[int]]:
    from claims import claim

    rng = random.Random(seed)
    known = {p.idcs for p in population}
    wanted = [claim("wrong" if rng.random() < 0.15 else "genuine", population, rng, known) for _ in population]
    return [c.request.SerializeToString() for c in wanted], [c.expected for c in wanted]


def _warm_cache(target: str, api_key: str, payloads: list[bytes]) -> None:
    """Authenticate every request once, so that every person's profile is cached."""
    from concurrent.futures import ThreadPoolExecutor

    from hawiya.v1 import authentication_pb2, authentication_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        stub = authentication_pb2_grpc.AuthenticationStub(channel)
        metadata = (("x-api-key", api_key),)

        def one(payload: bytes) -> None:
            stub.Authenticate(authentication_pb2.AuthenticateRequest.FromString(payload), metadata=metadata, timeout=30)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(one, payloads))


def run_setup(setup: Setup, args: argparse.Namespace, options: dict[str, Any]) -> dict[str, Any]:
    from claims import enrol_population

    from server.callers import add_caller

    with tempfile.TemporaryDirectory(prefix=f"hawiya-bench-{setup.name}-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        api_key = add_caller(data_dir / "callers.toml", "bench", ["Authentication/*", "Registry/*"])
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
        env.update(
            HAWIYA_DATA_DIR=str(data_dir),
            HAWIYA_PORT=str(port),
            HAWIYA_METRICS_PORT="0",
            HAWIYA_DATABASE_URL=setup.database_url or f"sqlite:///{data_dir / 'hawiya.db'}",
            HAWIYA_REDIS_URL=setup.redis_url,
            HAWIYA_WORKERS=str(args.workers),
            HAWIYA_LOG_LEVEL="WARNING",
            # The workload replays the same wrong claims against the same persons: a brute force
            # the server would answer by freezing them, changing the answers it is checked against.
            HAWIYA_MAX_FAILED_ATTEMPTS="1000000000",
        )
        log_path = Path(tmp) / "server.log"
        target = f"127.0.0.1:{port}"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "server", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp
            )
        try:
            began = time.monotonic()
            _wait_serving(target, proc, log_path)
            start_seconds = time.monotonic() - began
            metrics_url = _metrics_url(log_path)
            began = time.monotonic()
            with grpc.insecure_channel(target) as channel:
                population = enrol_population(channel, api_key, args.population, args.seed)
            enrol_seconds = time.monotonic() - began
            payloads, expected = _workload_requests(population, args.seed)
            _warm_cache(target, api_key, payloads)
            load = os.getloadavg()

            def measure(workload: str, opts: dict[str, Any], rate: float | None = None) -> dict[str, Any]:
                return _run_workload(workload, target, api_key, proc.pid, payloads, expected, opts, rate, metrics_url)

            results = {workload: measure(workload, options) for workload in WORKLOADS}
            # The same offered load for both: a share of what unary Authenticate just sustained.
            rate = PACED_SHARE * results["authenticate"]["calls_per_second"]
            for name, workload in PACED.items():
                results[name] = measure(workload, options, rate)
            results.update(_beside_stream(measure, options, rate))
        finally:
            _stop(proc)
        warnings = [line for line in log_path.read_text(errors="replace").splitlines() if " WARNING " in line]
    return {
        "setup": setup.name,
        "description": setup.description,
        "workers": args.workers,
        "server_start_seconds": start_seconds,
        "population": len(population),
        "enrol_seconds": enrol_seconds,
        "load_average_before": load,
        "server_warnings": warnings[:20],
        "results": results,
        "ratios": _ratios(results),
        "authenticate_cpu_floor_over_empty_cpu": _floor(results),
        "authenticate_cpu_over_empty_cpu_same_rate": _div(
            results["authenticate_paced"]["server_cpu_us_per_call"], results["empty_paced"]["server_cpu_us_per_call"]
        ),
    }


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _ratios(results: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    empty, auth, stream = results["empty"], results["authenticate"], results["stream"]
    return {
        "authenticate_cpu_over_empty_cpu": _div(auth["server_cpu_us_per_call"], empty["server_cpu_us_per_call"]),
        "stream_throughput_over_unary_throughput": _div(stream["calls_per_second"], auth["calls_per_second"]),
        "authenticate_p99_over_empty_p99": _div(auth["p99_ms"], empty["p99_ms"]),
        "authenticate_p99_over_empty_p99_same_rate": _div(
            results["authenticate_paced"]["p99_ms"], results["empty_paced"]["p99_ms"]
        ),
    }


def _floor(results: dict[str, dict[str, Any]]) -> float | None:
    """Not a goal: about the lowest Authenticate's CPU ratio can be, (empty + streamed item) ÷ empty.

    A streamed item's CPU is the work every unary Authenticate does too (read the request,
    match, answer, write the audit row), with the per-call costs spread over a batch; a unary
    call adds at least what an empty call costs. (An estimate: the two are measured under
    different loads.)
    """
    empty = results["empty"]["server_cpu_us_per_call"]
    return _div(empty + results["stream"]["server_cpu_us_per_call"], empty)


# --- report -----------------------------------------------------------------------------------


def _git_commit() -> dict[str, Any]:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def _machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "processor": model or platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "grpcio": grpc.__version__,
    }


def _disk_sync(seconds: float) -> dict[str, Any]:
    """How long the disk of the temporary folder (the embedded register's) takes to make a write durable.

    8 KiB written in place in a file laid out beforehand, then fdatasync, every 2 ms for
    `seconds`: what the audit writer's commit waits for at least once per batch. A virtual disk
    can stall such a sync for tens or hundreds of milliseconds now and then; every answer waiting
    for its audit row then waits with it.
    """
    folder = tempfile.gettempdir()
    block, blocks = b"\0" * 8192, 256
    with tempfile.TemporaryFile(dir=folder) as file:
        fd = file.fileno()
        os.pwrite(fd, block * blocks, 0)
        os.fsync(fd)
        times = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            os.pwrite(fd, block, len(times) % blocks * len(block))
            began = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - began)
            time.sleep(0.002)
    ms = np.array(times) * 1000.0
    return {
        "folder": folder,
        "syncs": len(ms),
        **{f"p{q:g}_ms".replace(".", "_"): float(np.percentile(ms, q)) for q in (50, 99, 99.9)},
        "max_ms": float(ms.max()),
    }


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _row(label: str, r: dict[str, Any], *, shared: bool = False) -> str:
    """One workload's line; ``shared``: it ran beside another, so the server's CPU is not its own."""
    cpu, busy, switches = r["server_cpu_us_per_call"], r["server_cores_busy"], r["server_switches_per_call"]
    peak = _fmt(r["server_peak_process_cores"], ">5.2f")
    server = (
        f"{'(shared)':>11} {'':>6} {'':>5} {'':>9}"
        if shared
        else f"{cpu:>11,.0f} {busy:>6.2f} {peak:>5} {switches:>9.1f}"
    )
    slow = "—" if r["workload"] == "stream" else r["slow_calls"]  # a stream call lasts seconds
    audit = "—" if shared else _fmt(r["slow_audit_waits"], "")  # the server's count, not one workload's
    steal = "n/a" if r["steal_share"] is None else f"{r['steal_share']:.0%}"
    return (
        f"  {label:<30} {r['calls_per_second']:>9,.0f} {_fmt(r['p50_ms'], '>8.2f')} {_fmt(r['p99_ms'], '>8.2f')} "
        f"{server} {r['client_cpu_us_per_call']:>11,.0f} {r['failed_calls']:>7} {r['wrong_answers']:>6} "
        f"{slow:>6} {audit:>6} {steal:>6}"
    )


def print_report(report: dict[str, Any]) -> None:
    p, m = report["parameters"], report["machine"]
    git = report["git"]
    print(
        f"auth_throughput: {p['clients']} client processes × {p['threads']} threads over {p['channels']} channels "
        f"each ({p['clients'] * p['threads']} calls in flight), {p['warmup']:g} s warm-up + {p['duration']:g} s "
        f"measured per workload; stream batches of {p['batch']}; population {p['population']}; "
        f"server --workers {p['workers']}"
    )
    print(
        f"machine: {m['processor']}, {m['cpu_count']} CPUs shared by the server, the load generator and any other "
        f"work (load average {m['load_average_at_start'][0]:.2f} at start); Python {m['python']}, grpcio {m['grpcio']}"
    )
    d = m["disk_sync"]
    print(
        f"disk of {d['folder']} (the embedded register's): {d['syncs']} fdatasyncs of 8 KiB took"
        f" p50 {d['p50_ms']:.2f} ms, p99 {d['p99_ms']:.2f}, p99.9 {d['p99_9_ms']:.2f}, max {d['max_ms']:.1f} ms;"
        " every answer waits for one (its audit row's commit)"
    )
    print(f"git: {git['commit']}{' (uncommitted changes)' if git['dirty'] else ''}")
    labels = {
        "empty": "empty unary (health Check)",
        "authenticate": "Authenticate (warm cache)",
        "stream": f"AuthenticateStream ({p['batch']}/call)",
    }
    for setup in report["setups"]:
        print()
        print(
            f"[{setup['setup']}] {setup['description']}, {setup['workers']} worker(s); SERVING after "
            f"{setup['server_start_seconds']:.1f} s; {setup['population']} persons enrolled via Enrol in "
            f"{setup['enrol_seconds']:.1f} s ({setup['population'] / setup['enrol_seconds']:.0f}/s); "
            f"load average {setup['load_average_before'][0]:.2f} before the workloads"
        )
        print(
            f"  {'workload':<30} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>11} {'cores':>6} "
            f"{'peak':>5} {'switches':>9} {'client CPU':>11} {'failed':>7} {'wrong':>6} {'calls':>6} {'audit':>6} "
            f"{'steal':>6}"
        )
        slow = f">{SLOW_SECONDS * 1000:g}ms"
        print(
            f"  {'':<30} {'':>9} {'':>8} {'':>8} {'µs/call':>11} {'busy':>6} {'cores':>5} {'/call':>9} {'µs/call':>11} "
            f"{'':>7} {'':>6} {slow:>6} {slow:>6}"
        )
        rate = setup["results"]["empty_paced"]["rate"]
        labels["empty_paced"] = f"empty unary at {rate:,.0f}/s"
        labels["authenticate_paced"] = f"Authenticate at {rate:,.0f}/s"
        for name in (*WORKLOADS, *PACED):
            print(_row(labels[name], setup["results"][name]))
        beside_labels = (f"Authenticate {rate:,.0f}/s + stream", "AuthenticateStream beside it")
        for name, label in zip(BESIDE, beside_labels, strict=True):
            print(_row(label, setup["results"][name], shared=True))
        print(
            "  (stream: calls/s, CPU and switches per streamed item; p50/p99 of a whole batch call;"
            " switches: the server threads' context switches; the last two rows ran at the same time)"
        )
        print(
            f"  (peak cores: the busiest server process's busiest {PEAK_SECONDS:g} s; a worker's Python runs under"
            " one interpreter lock, so a paced row whose peak nears the cores Authenticate kept busy back to back"
            " had calls queueing behind one another, whatever the disk did)"
        )
        print(
            f"  (calls >{SLOW_SECONDS * 1000:g}ms: calls slower than that, paced ones counted from when they were"
            f" due; audit >{SLOW_SECONDS * 1000:g}ms: how often the server's calls (a stream: its chunks) waited"
            " longer than that for their audit rows' commit, from its"
            ' hawiya_store_query_seconds{operation="audit_commit"}; steal: the share of the machine\'s CPU time'
            " that its host gave to other guests over the window, from /proc/stat)"
        )
        names = {
            "authenticate_cpu_over_empty_cpu": "Authenticate server CPU/call ÷ empty CPU/call",
            "stream_throughput_over_unary_throughput": "streamed items/s ÷ unary Authenticate calls/s",
            "authenticate_p99_over_empty_p99": "Authenticate p99 ÷ empty p99 (same concurrency)",
            "authenticate_p99_over_empty_p99_same_rate": "Authenticate p99 ÷ empty p99 (same rate)",
        }
        for key, label in names.items():
            value = setup["ratios"][key]
            sign, goal = GOALS[key]
            met = None if value is None else (value <= goal if sign == "≤" else value >= goal)
            verdict = "n/a" if met is None else ("meets the goal" if met else "misses the goal")
            print(f"  {label:<48} {_fmt(value, '>6.2f')}×   goal {sign} {goal:g}×   {verdict}")
        floor = _fmt(setup["authenticate_cpu_floor_over_empty_cpu"], ">6.2f")
        same_rate = _fmt(setup["authenticate_cpu_over_empty_cpu_same_rate"], ">6.2f")
        print("  (not goals)")
        print(f"  {'Authenticate CPU/call ÷ empty CPU/call, same rate':<48} {same_rate}×")
        print(
            f"  {'(empty CPU + streamed item CPU) ÷ empty CPU':<48} {floor}×   about the lowest the first ratio can be"
            " while each item costs what it does in a stream"
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    options = {
        "clients": args.clients,
        "threads": args.threads,
        "channels": args.channels,
        "batch": args.batch,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    setups = {
        "embedded": Setup("embedded", "", "", "SQLite register + in-process profile cache"),
        "postgres": Setup(
            "postgres",
            f"postgresql+psycopg://{args.pg_server}/{args.pg_database}",
            args.redis_url,
            f"PostgreSQL register ({args.pg_database}) + Redis profile cache ({args.redis_url})",
        ),
    }
    machine = _machine()
    machine["disk_sync"] = _disk_sync(0.5 if args.quick else 3.0)
    done = []
    for name in args.setups:
        if name == "postgres":
            _reset_database(f"postgresql://{args.pg_server}/postgres", args.pg_database)
        done.append(run_setup(setups[name], args, options))
    return {
        "benchmark": "auth_throughput",
        "parameters": {
            **options,
            "setups": args.setups,
            "workers": args.workers,
            "population": args.population,
            "seed": args.seed,
            "quick": args.quick,
            "empty_rpc": "grpc.health.v1.Health/Check (bypasses hawiya's interceptor)",
            "authenticate_mix": "85% genuine, 15% wrong birth year; caller's default match mode (EXACT)",
        },
        "git": (git := _git_commit()),
        "git_commit": git["commit"],
        "machine": machine,
        "goals": {key: f"{sign} {goal:g}" for key, (sign, goal) in GOALS.items()},
        "setups": done,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, embedded only (CI smoke test)")
    parser.add_argument("--setups", help="comma-separated: embedded,postgres (default both; --quick: embedded)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default %(default)s)")
    parser.add_argument("--population", type=int, help="persons to enrol (default 2000; --quick 200)")
    parser.add_argument("--clients", type=int, help="load-generating processes (default 2; --quick 1)")
    parser.add_argument("--threads", type=int, help="threads per client process (default 4; --quick 2)")
    parser.add_argument("--channels", type=int, help="channels per client process (default 2; --quick 1)")
    parser.add_argument(
        "--batch", type=int, help="items per AuthenticateStream call, in messages of 100 (default 1000; --quick 200)"
    )
    parser.add_argument("--warmup", type=float, help="seconds of load before measuring (default 2; --quick 0.5)")
    parser.add_argument("--duration", type=float, help="measured seconds per workload (default 10; --quick 1.5)")
    parser.add_argument("--seed", type=int, default=20261201, help="population seed (default %(default)s)")
    parser.add_argument(
        "--pg-server", default="postgres@127.0.0.1:5432", help="user@host:port of PostgreSQL (default %(default)s)"
    )
    parser.add_argument(
        "--pg-database", default="hawiya_bench", help="database to DROP and create (default %(default)s)"
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/12", help="Redis of the postgres set-up (default %(default)s)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results (default %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quick = args.quick
    defaults = {
        "population": (2000, 200),
        "clients": (2, 1),
        "threads": (4, 2),
        "channels": (2, 1),
        "batch": (1000, 200),
        "warmup": (2.0, 0.5),
        "duration": (10.0, 1.5),
    }
    for name, (full, short) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, short if quick else full)
    args.setups = (args.setups or ("embedded" if quick else "embedded,postgres")).split(",")
    unknown = set(args.setups) - {"embedded", "postgres"}
    if unknown or args.workers < 1 or args.channels < 1 or args.threads < 1 or args.clients < 1:
        print(f"auth_throughput: bad arguments (unknown set-ups: {sorted(unknown)})", file=sys.stderr)
        return 2
    report = run(args)
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
