"""Every Prometheus metric of the service, defined in one place.

Labels carry only bounded values (service, method, status code, decision, mode, event); never
request data. With several worker processes, metrics go through prometheus-client's
multi-process mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``hawiya serve --workers`` before this
module is imported) and the parent process serves the sum of all workers on ``/metrics``.
"""

from __future__ import annotations

import resource

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "AUTH_DECISIONS",
    "CACHE_BREAKER_OPEN",
    "CACHE_EVENTS",
    "COMPLAINTS_CLOSED",
    "COMPLAINTS_OPENED",
    "COMPLAINT_RESOLUTION_SECONDS",
    "GRPC_HANDLED",
    "GRPC_HANDLING_SECONDS",
    "GRPC_STARTED",
    "PROCESS_CPU_SECONDS",
    "PROCESS_RSS_BYTES",
    "STORE_QUERY_SECONDS",
    "WORKER_CALLS",
    "cache_observer",
    "update_process_metrics",
]

_LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

GRPC_STARTED = Counter(
    "grpc_server_started",
    "RPCs started on the server.",
    ["grpc_type", "grpc_service", "grpc_method"],
)
GRPC_HANDLED = Counter(
    "grpc_server_handled",
    "RPCs completed on the server, by status code.",
    ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
)
GRPC_HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time to handle an RPC on the server.",
    ["grpc_type", "grpc_service", "grpc_method"],
    buckets=_LATENCY_BUCKETS,
)
AUTH_DECISIONS = Counter(
    "hawiya_auth_decisions",
    "Authentication answers by decision, reason and the name match mode used.",
    ["decision", "reason", "mode"],
)
WORKER_CALLS = Gauge(
    "hawiya_worker_calls",
    "Calls handled by each worker process since it started (one series per live worker, label pid).",
    multiprocess_mode="liveall",
)
CACHE_EVENTS = Counter(
    "hawiya_cache_events",
    "Profile cache lookups and failures: hit, miss, error, skipped (breaker open).",
    ["event"],
)
CACHE_BREAKER_OPEN = Gauge(
    "hawiya_cache_breaker_open",
    "1 while the Redis circuit breaker is open (lookups go to the register).",
    multiprocess_mode="max",
)
STORE_QUERY_SECONDS = Histogram(
    "hawiya_store_query_seconds",
    "Time of register operations on the request path.",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
)
PROCESS_CPU_SECONDS = Gauge(
    "hawiya_process_cpu_seconds",
    "CPU seconds used by this server process (user + system); summed over workers.",
    multiprocess_mode="sum",
)
PROCESS_RSS_BYTES = Gauge(
    "hawiya_process_max_rss_bytes",
    "Peak resident memory of this server process; summed over workers.",
    multiprocess_mode="sum",
)

COMPLAINTS_OPENED = Counter(
    "hawiya_complaints_opened",
    "Complaints filed, by subject kind (person_data, household_index, membership, merge).",
    ["subject_kind"],
)
COMPLAINTS_CLOSED = Counter(
    "hawiya_complaints_closed",
    "Complaints closed, by subject kind and outcome (resolved or rejected).",
    ["subject_kind", "outcome"],
)
COMPLAINT_RESOLUTION_SECONDS = Histogram(
    "hawiya_complaint_resolution_seconds",
    "Time from filing to closing a complaint, by subject kind and outcome (resolved or rejected).",
    ["subject_kind", "outcome"],
    # A minute to 90 days: most complaints take days to weeks.
    buckets=(60, 600, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400),
)


def cache_observer(event: str) -> None:
    """The cache's observer: counts events and follows the breaker's state."""
    if event == "open":
        CACHE_BREAKER_OPEN.set(1)
    elif event == "closed":
        CACHE_BREAKER_OPEN.set(0)
    else:
        CACHE_EVENTS.labels(event).inc()


def update_process_metrics() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    PROCESS_CPU_SECONDS.set(usage.ru_utime + usage.ru_stime)
    PROCESS_RSS_BYTES.set(usage.ru_maxrss * 1024)
