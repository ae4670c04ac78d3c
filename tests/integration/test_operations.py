"""Operations: metrics across worker processes, valid exposition, and Redis failing under load."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import grpc
import pytest

from hawiya.v1 import authentication_pb2 as auth_pb2
from hawiya.v1 import authentication_pb2_grpc, person_pb2, registry_pb2_grpc
from tests.integration.conftest import ServerHandle, free_port, start_server, stop_server
from tests.integration.helpers import claim, demographics, distinct_name, enrol_request, metric_samples

BIRTH = person_pb2.BirthDate(year=1987, month=3, day=12, precision=person_pb2.DATE_PRECISION_FULL)


def _enrol(handle: ServerHandle, channel: grpc.Channel, n: int) -> list[str]:
    registry = registry_pb2_grpc.RegistryStub(channel)
    people = []
    for i in range(n):
        d = demographics(
            distinct_name("Salma", i),
            "Berrada",
            first_ar="",
            last_ar="",
            birth=(1987, 3, 12),
            cin=f"OP{i:06d}",  # each her own: people sharing CIN and phone would be one to Enrol's 1:N search
            phone=f"0670{i:06d}",
        )
        people.append(registry.Enrol(enrol_request(d), metadata=handle.metadata()).person.idcs)
    return people


def _genuine(idcs: str, i: int) -> auth_pb2.AuthenticateRequest:
    return claim(idcs, first_name=person_pb2.PersonName(latin=distinct_name("Salma", i)), birth_date=BIRTH)


def test_metrics_count_every_worker_and_pass_promtool(tmp_path: Path) -> None:
    handle = start_server(tmp_path, "sqlite", {"HAWIYA_WORKERS": "2"})
    try:
        # Each channel its own connection (by default channels share one), so both workers get some.
        channels = [
            grpc.insecure_channel(handle.target, options=[("grpc.use_local_subchannel_pool", 1)]) for _ in range(16)
        ]
        idcs = _enrol(handle, channels[0], 4)
        calls = 0
        for round_ in range(3):
            for channel in channels:
                stub = authentication_pb2_grpc.AuthenticationStub(channel)
                reply = stub.Authenticate(_genuine(idcs[round_ % 4], round_ % 4), metadata=handle.metadata())
                assert reply.decision == auth_pb2.DECISION_YES
                calls += 1
        for channel in channels:
            channel.close()
        text = handle.scrape_metrics()
        handled = metric_samples(text, "grpc_server_handled_total", grpc_method="Authenticate", grpc_code="OK")
        assert sum(handled) == calls
        per_worker = metric_samples(text, "hawiya_worker_calls")
        assert len(per_worker) == 2, "one series per worker"
        assert all(v > 0 for v in per_worker) and sum(per_worker) >= calls + 4
        assert sum(metric_samples(text, "hawiya_auth_decisions_total", decision="YES")) == calls
        promtool = shutil.which("promtool")
        if promtool is None:
            pytest.fail("promtool is missing: install Debian's prometheus package (scripts/test does)")
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        assert stop_server(handle.proc) == 0, handle.log_text()[-3000:]


def _redis(port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ping = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, check=False)
        if ping.stdout.strip() == "PONG":
            return proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def test_redis_going_away_under_load_fails_nothing(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing (Debian's redis-server package)")
    redis_port = free_port()
    redis = _redis(redis_port, tmp_path)
    try:
        handle = start_server(tmp_path / "hawiya", "sqlite", {"HAWIYA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"})
    except BaseException:
        redis.kill()
        redis.wait()
        raise
    errors: list[str] = []
    answers = {"right": 0, "wrong": 0}
    stop = threading.Event()
    try:
        with grpc.insecure_channel(handle.target) as setup:
            idcs = _enrol(handle, setup, 8)

        def load(worker: int) -> None:
            with grpc.insecure_channel(handle.target) as channel:
                stub = authentication_pb2_grpc.AuthenticationStub(channel)
                i = worker
                while not stop.is_set():
                    genuine = i % 2 == 0
                    request = _genuine(idcs[i % 8], i % 8 if genuine else (i + 1) % 8)
                    try:
                        reply = stub.Authenticate(request, metadata=handle.metadata(), timeout=5)
                    except grpc.RpcError as exc:
                        errors.append(exc.code().name)
                    else:
                        expected = auth_pb2.DECISION_YES if genuine else auth_pb2.DECISION_NO
                        answers["right" if reply.decision == expected else "wrong"] += 1
                    i += 4

        threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        hits_before = sum(metric_samples(handle.scrape_metrics(), "hawiya_cache_events_total", event="hit"))
        assert hits_before > 0, "the cache serves before the outage"
        redis.kill()
        redis.wait()
        time.sleep(1.5)
        during = handle.scrape_metrics()
        assert metric_samples(during, "hawiya_cache_breaker_open") == [1.0]
        redis = _redis(redis_port, tmp_path)
        time.sleep(3.0)  # the breaker probes every 2 s, then the cache fills again
        after = handle.scrape_metrics()
        stop.set()
        for t in threads:
            t.join()
        assert metric_samples(after, "hawiya_cache_breaker_open") == [0.0]
        hits_after = sum(metric_samples(after, "hawiya_cache_events_total", event="hit"))
        assert hits_after > hits_before + 10, "the cache is used again after Redis returns"
        assert errors == []
        assert answers["wrong"] == 0 and answers["right"] > 100
    finally:
        stop.set()
        code = stop_server(handle.proc)
        redis.kill()
        redis.wait()
    assert code == 0


def test_sigterm_drains_in_flight_calls(tmp_path: Path) -> None:
    import signal

    handle = start_server(tmp_path, "sqlite", {"HAWIYA_GRACE_SECONDS": "20"})
    try:
        with grpc.insecure_channel(handle.target) as channel:
            idcs = _enrol(handle, channel, 2)
            chunks = (
                auth_pb2.AuthenticateStreamRequest(
                    items=[
                        auth_pb2.AuthenticateItem(item_id=str(i), request=_genuine(idcs[i % 2], i % 2))
                        for i in range(start, start + 10)
                    ]
                )
                for start in range(0, 3000, 10)
            )
            stub = authentication_pb2_grpc.AuthenticationStub(channel)
            replies = stub.AuthenticateStream(chunks, metadata=handle.metadata(), timeout=60)
            received = list(next(replies).results)
            handle.proc.send_signal(signal.SIGTERM)
            received += [r for reply in replies for r in reply.results]  # the stream in flight is finished
        assert len(received) == 3000
        assert all(a.response.decision == auth_pb2.DECISION_YES for a in received)
        assert handle.proc.wait(timeout=30) == 0
    finally:
        stop_server(handle.proc)
    assert "draining" in handle.log_text()
