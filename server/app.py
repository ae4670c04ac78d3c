"""The server process: build the gRPC server, start it, serve until SIGTERM, then drain."""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from dedup.errors import DedupError
from dedup.quality import assess_registers
from dedup.scorer import RecordScorer
from hawiya.v1 import (
    authentication_pb2,
    authentication_pb2_grpc,
    deduplication_pb2,
    deduplication_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    residents_pb2,
    residents_pb2_grpc,
    social_registry_pb2,
    social_registry_pb2_grpc,
)
from matcher.authentication import DateValue, Identity, NameValue, decide, prepare_profile
from registry_store.audit import AuditLog
from registry_store.cache import LocalProfileCache, NoCache, ProfileCache, RedisProfileCache
from registry_store.complaints import ComplaintStore
from registry_store.households import HouseholdStore
from registry_store.index_formula import IndexFormula
from registry_store.reviews import ReviewStore
from registry_store.security import AuthSecurity, SecurityPolicy
from registry_store.store import RegistryStore
from server.authentication import AuthenticationService
from server.callers import CallerRegistry
from server.config import Config
from server.dedup_jobs import DedupJobs
from server.dedup_servicer import DedupServicer
from server.enrolment import DuplicatePolicy, RegistryService
from server.errors import ConfigError
from server.identify import Identifier
from server.idhash import IdHasher, load_or_create_key
from server.interceptors import HawiyaInterceptor
from server.metrics import (
    DATA_QUALITY_RUNS,
    DATA_QUALITY_SECONDS,
    cache_observer,
    dedup_job_observer,
    publish_quality,
    update_process_metrics,
)
from server.person_index import SNAPSHOT_FOLDER, PersonIndex
from server.profiles import ProfileSource
from server.ratelimit import RateLimiter
from server.residents import ResidentsService
from server.residents_servicer import ResidentsServicer
from server.servicers import AuthenticationServicer, RegistryServicer
from server.social_registry import SocialRegistryService
from server.social_registry_servicer import SocialRegistryServicer
from server.store_health import watch_store
from server.tls import server_credentials
from server.workers import try_lock

__all__ = ["SERVICE_NAMES", "RunningServer", "build_cache", "open_store", "serve_forever", "start_server"]

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    authentication_pb2.DESCRIPTOR.services_by_name["Authentication"].full_name,
    registry_pb2.DESCRIPTOR.services_by_name["Registry"].full_name,
    social_registry_pb2.DESCRIPTOR.services_by_name["SocialRegistry"].full_name,
    residents_pb2.DESCRIPTOR.services_by_name["Residents"].full_name,
    deduplication_pb2.DESCRIPTOR.services_by_name["Deduplication"].full_name,
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
    dedup: DedupJobs | None = None
    index: PersonIndex | None = None

    def stop(self, grace: float) -> None:
        """Drain: report NOT_SERVING, let in-flight calls finish (up to ``grace`` s), close."""
        self.health.enter_graceful_shutdown()
        if self.dedup is not None:
            self.dedup.stop(grace)  # its running jobs end FAILED "interrupted"; its watches end
        self.server.stop(grace).wait()
        self._stopped.set()
        if self.index is not None:
            _save_index(self.index)
        self.audit.close()
        self.cache.close()
        self.store.close()
        gc.unfreeze()  # what start-up froze can be collected again (a test process starts many servers)


def open_store(config: Config) -> RegistryStore:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return RegistryStore.from_url(config.effective_database_url, statement_timeout=config.max_deadline_seconds)


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


def _scorer(config: Config) -> RecordScorer:
    """The match model of the 1:N search: HAWIYA_MATCH_MODEL's, else the packaged one."""
    try:
        return RecordScorer.from_file(config.match_model) if config.match_model else RecordScorer.default()
    except (DedupError, OSError) as exc:
        raise ConfigError("HAWIYA_MATCH_MODEL", f"cannot use the match model: {exc}") from exc


def _freeze_heap() -> None:
    """Keep what start-up built (tables, caches, the model, the index) out of garbage collection.

    Python's full collection walks every tracked object. What start-up loads is about 220,000
    objects that live as long as the process, and a streamed verification allocates fast enough
    to start a full collection every second or so. Each one walked them all with the GIL held:
    9 full collections took 1.08 s of CPU in one 12-second stream workload, 0.075 s for 7 with
    the heap frozen (measured with gc callbacks, 2,000-person register). What calls allocate is
    still collected; `RunningServer.stop` unfreezes.
    """
    gc.collect()
    gc.freeze()


def _save_index(index: PersonIndex, wait: bool = True) -> None:
    """The candidate index's snapshot, so the next start loads it; never fatal.

    ``wait`` False: skipped if another worker is writing one.
    """
    try:
        index.save(wait=wait)
    except Exception as exc:  # a snapshot is an optimisation: the next start rebuilds without it
        log.warning("candidate index snapshot not saved (%s)", type(exc).__name__)


def _process_metrics_loop(stopped: threading.Event) -> None:
    while not stopped.wait(2.0):
        update_process_metrics()


def _quality_loop(store: RegistryStore, homes: HouseholdStore, config: Config, stopped: threading.Event) -> None:
    """The RNP's and RSU's data-quality reports as gauges, now and every ``quality_interval`` seconds.

    Off the request path (its own thread; the store is read in short batches) and never fatal:
    a failed run is logged with the exception's type and frames, not its message (which could
    quote data), and tried again at the next interval. Of several workers, only the one holding
    the data folder's quality lock computes.
    """
    lock: int | None = None
    while not stopped.is_set():
        lock = lock if lock is not None else _quality_lock(config.data_dir)
        if lock is not None:
            started = time.monotonic()
            try:
                for report in assess_registers(store.iter_persons(), homes.iter_households()):
                    publish_quality(report)
                    log.info("data-quality report of the %s: %d records", report.dataset, report.records)
            except Exception as exc:  # a report must never take the server down
                if stopped.is_set():
                    return  # the store closed under a run at shutdown
                DATA_QUALITY_RUNS.labels("error").inc()
                frames = "".join(traceback.format_tb(exc.__traceback__))
                log.error(
                    "data-quality run failed (%s); next try in %d s\n%s",
                    type(exc).__name__,
                    config.quality_interval,
                    frames,
                )
            else:
                DATA_QUALITY_RUNS.labels("ok").inc()
                DATA_QUALITY_SECONDS.set(time.monotonic() - started)
        if stopped.wait(config.quality_interval):
            return


def _quality_lock(data_dir: Path) -> int | None:
    """An exclusive lock on DATA_DIR/quality.lock, held until the process ends; None if another holds it.

    A lock file that cannot be opened at all gives -1: then every worker computes.
    """
    path = data_dir / "quality.lock"
    try:
        return try_lock(path)
    except OSError as exc:
        log.warning("cannot open %s (%s): every worker computes the data-quality reports", path, exc.strerror)
        return -1


def start_server(
    config: Config, store: RegistryStore, callers: CallerRegistry, *, reuse_port: bool = False
) -> RunningServer:
    """Build every servicer, bind, start, warm up, and only then report SERVING."""
    # First: a bad formula file stops the start before anything is opened.
    formula = IndexFormula.load(config.rsu_index_formula) if config.rsu_index_formula else IndexFormula.default()
    hasher = IdHasher(load_or_create_key(config.id_hash_key, config.data_dir))
    scorer = _scorer(config)
    person_index = PersonIndex(store, config.data_dir / SNAPSHOT_FOLDER)
    identifier = Identifier(store, person_index, scorer)
    duplicates = DuplicatePolicy(config.duplicate_high, config.duplicate_low)
    credentials = server_credentials(config)
    cache = build_cache(config)
    policy = SecurityPolicy(config.max_failed_attempts, config.attempt_window_seconds, config.freeze_seconds)
    audit = AuditLog(store, security=policy)
    profiles = ProfileSource(store, cache)
    limiter = RateLimiter(callers.callers)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="grpc"),
        interceptors=[
            HawiyaInterceptor(
                callers,
                limiter,
                config.max_deadline_seconds,
                max_stream_seconds=config.max_stream_seconds,
                stream_idle_seconds=config.stream_idle_seconds,
            )
        ],
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            # Workers share the port; a lone server must own it, so a second one fails to start.
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
        maximum_concurrent_rpcs=config.max_concurrent_rpcs,
    )
    authentication_pb2_grpc.add_AuthenticationServicer_to_server(
        AuthenticationServicer(
            AuthenticationService(profiles, audit, hasher), limiter, stream_concurrency=config.stream_concurrency
        ),
        server,
    )
    residents_pb2_grpc.add_ResidentsServicer_to_server(
        ResidentsServicer(ResidentsService(AuthSecurity(store), hasher)), server
    )
    registry = RegistryService(store, profiles, hasher, identifier, ReviewStore(store), duplicates)
    registry_pb2_grpc.add_RegistryServicer_to_server(RegistryServicer(registry), server)
    homes = HouseholdStore(store, formula)
    social_registry = SocialRegistryService(store, homes, ComplaintStore(store))
    social_registry_pb2_grpc.add_SocialRegistryServicer_to_server(SocialRegistryServicer(social_registry), server)
    dedup_jobs = DedupJobs(
        config.dedup_jobs_dir,
        config.effective_dedup_input_dir,
        max_running=config.dedup_max_running,
        max_queued=config.dedup_max_queued,
        max_stream_records=config.dedup_max_stream_records,
        observe=dedup_job_observer,
        max_long_calls=max(1, config.threads // 4),  # watches and uploads never take every handler thread
        heartbeat_seconds=min(10.0, config.max_deadline_seconds / 2),  # a watch answers within the cap
        retention_seconds=config.dedup_retention_days * 86400.0,
        min_free_bytes=config.dedup_min_free_mb << 20,
    )
    deduplication_pb2_grpc.add_DeduplicationServicer_to_server(DedupServicer(dedup_jobs), server)
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
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError as exc:
        audit.close()
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    server.start()
    try:
        _warm_up()
        identifier.warm_up()
        person_index.load()  # health says NOT_SERVING until the 1:N search's index is loaded
    except BaseException:
        server.stop(0)
        audit.close()
        raise
    _freeze_heap()
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    bound = _address(config.host, port)
    running = RunningServer(server, health_servicer, store, audit, cache, bound, port, index=person_index)
    # A rebuilt index is saved off the start-up path, so that the next start can load it.
    threading.Thread(target=_save_index, args=(person_index, False), daemon=True, name="index-snapshot").start()
    running.dedup = dedup_jobs
    dedup_jobs.start()
    threading.Thread(target=_process_metrics_loop, args=(running._stopped,), daemon=True).start()
    watch_store(store, health_servicer, ("", *SERVICE_NAMES), running._stopped)
    if config.quality_interval:
        args = (store, homes, config, running._stopped)
        threading.Thread(target=_quality_loop, args=args, daemon=True, name="quality").start()
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
