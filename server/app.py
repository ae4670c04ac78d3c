"""The server process: build the gRPC server, start it, serve until SIGTERM, then drain."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from hawiya.v1 import authentication_pb2, authentication_pb2_grpc, registry_pb2, registry_pb2_grpc
from registry_store.store import RegistryStore
from server.authentication import AuthenticationService
from server.callers import CallerRegistry
from server.config import Config
from server.enrolment import RegistryService
from server.idhash import IdHasher, load_or_create_key
from server.interceptors import HawiyaInterceptor
from server.servicers import AuthenticationServicer, RegistryServicer

__all__ = ["SERVICE_NAMES", "RunningServer", "open_store", "start_server"]

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    authentication_pb2.DESCRIPTOR.services_by_name["Authentication"].full_name,
    registry_pb2.DESCRIPTOR.services_by_name["Registry"].full_name,
)


@dataclass
class RunningServer:
    """A started server and what is needed to stop it."""

    server: grpc.Server
    health: health.HealthServicer
    store: RegistryStore
    address: str
    port: int
    metrics_port: int | None

    def stop(self, grace: float) -> None:
        """Drain: report NOT_SERVING, let in-flight calls finish (up to ``grace`` s), close."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self.store.close()


def open_store(config: Config) -> RegistryStore:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return RegistryStore.from_url(config.effective_database_url)


def _address(host: str, port: int) -> str:
    return f"[{host.strip('[]')}]:{port}" if ":" in host.strip("[]") else f"{host}:{port}"


def start_server(config: Config, store: RegistryStore, callers: CallerRegistry) -> RunningServer:
    """Build every servicer, bind, start, and report SERVING."""
    hasher = IdHasher(load_or_create_key(config.id_hash_key, config.data_dir))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="grpc"),
        interceptors=[HawiyaInterceptor(callers)],
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            # One process owns the port: a second server on it must fail, not share it.
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=config.max_concurrent_rpcs,
    )
    authentication_pb2_grpc.add_AuthenticationServicer_to_server(
        AuthenticationServicer(AuthenticationService(store, hasher)), server
    )
    registry_pb2_grpc.add_RegistryServicer_to_server(RegistryServicer(RegistryService(store)), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    address = _address(config.host, config.port)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}: the port is in use or the address is invalid")
    metrics_port: int | None = None
    if config.metrics_port is not None:
        metrics_server, _ = start_http_server(config.metrics_port, addr=config.host.strip("[]"))
        metrics_port = metrics_server.server_port
    server.start()
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    bound = _address(config.host, port)
    log.info("serving on %s, metrics on port %s", bound, metrics_port)
    return RunningServer(server, health_servicer, store, bound, port, metrics_port)


def serve_forever(running: RunningServer, grace: float, on_stop: Callable[[], None] | None = None) -> None:
    """Block until SIGTERM or SIGINT, then drain."""
    stop = threading.Event()

    def _handle(signum: int, _frame: object) -> None:
        log.info("signal %d: draining (grace %.1f s)", signum, grace)
        stop.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    stop.wait()
    running.stop(grace)
    if on_stop is not None:
        on_stop()
    log.info("stopped")
