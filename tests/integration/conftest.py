"""Start the real ``hawiya serve`` process and talk to it over a real gRPC channel."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hawiya.v1 import authentication_pb2_grpc, registry_pb2_grpc
from registry_store.store import RegistryStore
from server.callers import add_caller

PG_URL = os.environ.get("HAWIYA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/hawiya_test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    """A private redis-server on ``port`` (no persistence), answering PING."""
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


def wait_serving(target: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with code {proc.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"server at {target} not SERVING after {timeout} s")


@dataclass
class ServerHandle:
    target: str
    database_url: str
    data_dir: Path
    keys: dict[str, str]
    proc: subprocess.Popen
    log_path: Path
    env: dict[str, str] | None = None  # what the process was started with (see restart_server)

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.target)

    def metadata(self, caller: str = "full") -> tuple[tuple[str, str], ...]:
        return (("x-api-key", self.keys[caller]),)

    def store(self) -> RegistryStore:
        return RegistryStore.from_url(self.database_url)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def metrics_port(self) -> int:
        """The `/metrics` port of the banner the server (or its latest restart) printed."""
        ports = re.findall(r"metrics: http://[^:]+:(\d+)/metrics", self.log_text())
        assert ports, f"the server printed no metrics port:\n{self.log_text()[-2000:]}"
        return int(ports[-1])

    def scrape_metrics(self) -> str:
        """The Prometheus exposition text, scraped once."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port()}/metrics", timeout=10) as reply:
            return str(reply.read().decode())


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    from registry_store.schema import metadata

    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


def start_server(tmp: Path, database: str, extra_env: dict[str, str] | None = None) -> ServerHandle:
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    callers = data_dir / "callers.toml"
    keys = {
        "full": add_caller(
            callers,
            "test-programme",
            ["Authentication/*", "Registry/*", "SocialRegistry/*", "Residents/*"],
            readable_attributes=["*"],
            reveal_unknown_idcs=True,
        ),
        "auth-only": add_caller(callers, "auth-only", ["Authentication/Authenticate"]),
        "matching": add_caller(callers, "matching", ["Authentication/Authenticate"], ["EXACT", "PHONETIC", "FUZZY"]),
        # Callers of the security tests (test_security.py, test_reliability.py).
        "portal": add_caller(callers, "residents-portal", ["Residents/*"]),
        "reader": add_caller(
            callers, "reader", ["Registry/GetPerson", "Registry/UpdatePerson"], readable_attributes=["first_name"]
        ),
        "revealing": add_caller(callers, "revealing", ["Authentication/Authenticate"], reveal_denial_reason=True),
        "limited": add_caller(callers, "limited", ["Authentication/*"], rate_limit_per_second=5.0, rate_limit_burst=5),
    }
    if database == "postgresql":
        reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{data_dir / 'hawiya.db'}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    env.update(
        HAWIYA_DATA_DIR=str(data_dir),
        HAWIYA_PORT=str(port),
        HAWIYA_METRICS_PORT="0",
        HAWIYA_DATABASE_URL=url,
        HAWIYA_LOG_LEVEL="DEBUG",
        # The tests call wrong details many times on purpose; the brute-force freeze has its own.
        HAWIYA_MAX_FAILED_ATTEMPTS="1000000",
    )
    env.update(extra_env or {})
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    target = f"127.0.0.1:{port}"
    _wait_started(target, proc, log_path, env, 0)
    return ServerHandle(target, url, data_dir, keys, proc, log_path, env)


def _wait_started(target: str, proc: subprocess.Popen, log_path: Path, env: dict[str, str], offset: int) -> None:
    """Health answers as soon as one worker serves; the banner (with the metrics port) comes after
    every worker serves and the metrics endpoint listens, so both are awaited, in the log past `offset`."""
    try:
        wait_serving(target, proc)
        _wait_for_text(log_path, "metrics: http://", proc, offset=offset)
    except BaseException:
        stop_server(proc)
        raise RuntimeError(f"server did not start:\n{log_path.read_text()}") from None


def restart_server(handle: ServerHandle) -> ServerHandle:
    """Start the server again on the same data, port, callers and settings (the old one must be gone)."""
    assert handle.env is not None and handle.proc.poll() is not None
    offset = handle.log_path.stat().st_size
    with handle.log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve"],
            env=handle.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=handle.data_dir.parent,
        )
    _wait_started(handle.target, proc, handle.log_path, handle.env, offset)
    return ServerHandle(
        handle.target, handle.database_url, handle.data_dir, handle.keys, proc, handle.log_path, handle.env
    )


def _wait_for_text(path: Path, text: str, proc: subprocess.Popen, timeout: float = 60.0, offset: int = 0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text.encode() in path.read_bytes()[offset:]:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        time.sleep(0.1)
    raise TimeoutError(f"no {text!r} in the server output")


def stop_server(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    handle = start_server(tmp_path_factory.mktemp(f"server-{request.param}"), request.param)
    try:
        yield handle
    finally:
        code = stop_server(handle.proc)
        assert code == 0, f"server exited with {code}:\n{handle.log_text()[-3000:]}"


@pytest.fixture()
def auth_stub(server: ServerHandle) -> Iterator[authentication_pb2_grpc.AuthenticationStub]:
    with server.channel() as channel:
        yield authentication_pb2_grpc.AuthenticationStub(channel)


@pytest.fixture()
def registry_stub(server: ServerHandle) -> Iterator[registry_pb2_grpc.RegistryStub]:
    with server.channel() as channel:
        yield registry_pb2_grpc.RegistryStub(channel)
