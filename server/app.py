"""The server process: build the gRPC server, start it, serve until SIGTERM, then drain."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from hawiya.v1 import (
    authentication_pb2,
    authentication_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    social_registry_pb2,
    social_registry_pb2_grpc,
)
from matcher.authentication import DateValue, Identity, NameValue, decide, prepare_profile
from registry_store.audit import AuditLog
from registry_store.cache import LocalProfileCache, NoCache, ProfileCache, RedisProfileCache
from registry_store.complaints import ComplaintStore
from registry_store.households import HouseholdStore
from registry_store.index_formula import IndexFormula
from registry_store.store import RegistryStore
from server.authentication import AuthenticationService
from server.callers import CallerRegistry
from server.config import Config
from server.enrolment import RegistryService
from server.idhash import IdHasher, load_or_create_key
from server.interceptors import HawiyaInterceptor
from server.metrics import cache_observer, update_process_metrics
from server.profiles import ProfileSource
from server.servicers import AuthenticationServicer, RegistryServicer
from server.social_registry import SocialRegistryService
from server.social_registry_servicer import SocialRegistryServicer

__all__ = ["SERVICE_NAMES", "RunningServer", "build_cache", "open_store", "serve_forever", "start_server"]

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    authentication_pb2.DESCRIPTOR.services_by_name["Authentication"].full_name,
    registry_pb2.DESCRIPTOR.services_by_name["Registry"].full_name,
    social_registry_pb2.DESCRIPTOR.services_by_name["SocialRegistry"].full_name,
)


@dataclass
class RunningServer:
    """A started server and what is needed to stop it."""

    server: grpc.Server
    health: health.HealthServicer
    store: RegistryStore
    audit: AuditLog
    cache: ProfileCache
    address: str
    port: int
    _stopped: threading.Event = field(default_factory=threading.Event)

    def stop(self, grace: float) -> None:
        """Drain: report NOT_SERVING, let in-flight calls finish (up to ``grace`` s), close."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self._stopped.set()
        self.audit.close()
        self.cache.close()
        self.store.close()


def open_store(config: Config) -> RegistryStore:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return RegistryStore.from_url(config.effective_database_url)


def build_cache(config: Config) -> ProfileCache:
    """Redis when configured; else an in-process LRU, which only one process can keep coherent."""
    if config.redis_url:
        return RedisProfileCache(config.redis_url, ttl_seconds=config.cache_ttl_seconds, observe=cache_observer)
    if config.workers == 1:
        return LocalProfileCache(config.cache_entries, observe=cache_observer)
    log.warning("%d workers and no HAWIYA_REDIS_URL: profiles are not cached", config.workers)
    return NoCache()


def _address(host: str, port: int) -> str:
    return f"[{host.strip('[]')}]:{port}" if ":" in host.strip("[]") else f"{host}:{port}"


def _warm_up() -> None:
    """Load the matcher's tables and code paths before the first call is accepted."""
    someone = Identity(first_name=NameValue("Mohammed", "محمد"), birth_date=DateValue(1980, 1, 2, "full"))
    decide(someone, prepare_profile(someone))


def _process_metrics_loop(stopped: threading.Event) -> None:
    while not stopped.wait(2.0):
        update_process_metrics()


def start_server(
    config: Config, store: RegistryStore, callers: CallerRegistry, *, reuse_port: bool = False
) -> RunningServer:
    """Build every servicer, bind, start, warm up, and only then report SERVING."""
    # First: a bad formula file stops the start before anything is opened.
    formula = IndexFormula.load(config.rsu_index_formula) if config.rsu_index_formula else IndexFormula.default()
    hasher = IdHasher(load_or_create_key(config.id_hash_key, config.data_dir))
    cache = build_cache(config)
    audit = AuditLog(store)
    profiles = ProfileSource(store, cache)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="grpc"),
        interceptors=[HawiyaInterceptor(callers)],
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            # Workers share the port; a lone server must own it, so a second one fails to start.
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
        maximum_concurrent_rpcs=config.max_concurrent_rpcs,
    )
    authentication_pb2_grpc.add_AuthenticationServicer_to_server(
        AuthenticationServicer(AuthenticationService(profiles, audit, hasher)), server
    )
    registry_pb2_grpc.add_RegistryServicer_to_server(RegistryServicer(RegistryService(store, profiles, hasher)), server)
    social_registry = SocialRegistryService(store, HouseholdStore(store, formula), ComplaintStore(store))
    social_registry_pb2_grpc.add_SocialRegistryServicer_to_server(SocialRegistryServicer(social_registry), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    address = _address(config.host, config.port)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:
        audit.close()
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    server.start()
    _warm_up()
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    bound = _address(config.host, port)
    running = RunningServer(server, health_servicer, store, audit, cache, bound, port)
    threading.Thread(target=_process_metrics_loop, args=(running._stopped,), daemon=True).start()
    log.info("serving on %s", bound)
    return running


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
