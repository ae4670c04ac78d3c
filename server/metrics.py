"""Every Prometheus metric of the service, defined in one place.

Labels carry only bounded values (service, method, status code, decision, mode, event); never
request data. With several worker processes, metrics go through prometheus-client's
multi-process mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``hawiya serve --workers`` before this
module is imported) and the parent process serves the sum of all workers on ``/metrics``.
"""

from __future__ import annotations

import resource

from prometheus_client import Counter, Gauge, Histogram

from dedup.quality import QualityReport, check_names

__all__ = [
    "AUTH_DECISIONS",
    "AUTH_SECURITY_DENIALS",
    "CACHE_BREAKER_OPEN",
    "CACHE_EVENTS",
    "CANDIDATE_INDEX_RECORDS",
    "COMPLAINTS_CLOSED",
    "COMPLAINTS_OPENED",
    "COMPLAINT_RESOLUTION_SECONDS",
    "DATA_QUALITY_RATIO",
    "DATA_QUALITY_RECORDS",
    "DATA_QUALITY_RUNS",
    "DATA_QUALITY_SECONDS",
    "DATA_QUALITY_TIMESTAMP",
    "DEDUP_JOBS_FINISHED",
    "DEDUP_JOBS_SUBMITTED",
    "DEDUP_JOB_PROGRESS",
    "DUPLICATE_SEARCH_SECONDS",
    "ENROL_OUTCOMES",
    "GRPC_HANDLED",
    "GRPC_HANDLING_SECONDS",
    "GRPC_STARTED",
    "PROCESS_CPU_SECONDS",
    "PROCESS_RSS_BYTES",
    "RATE_LIMITED",
    "STORE_QUERY_SECONDS",
    "STORE_UP",
    "WORKER_CALLS",
    "cache_observer",
    "dedup_job_observer",
    "publish_quality",
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


# Data quality: one background thread of one worker computes the reports (server.app), so the
# gauges keep the most recent value written by any process. Labels: dataset is rnp or rsu,
# field and check come from the report's fixed vocabulary (dedup.quality.checks), never the data.
DATA_QUALITY_RATIO = Gauge(
    "hawiya_data_quality_ratio",
    "Share of the checked records (or households) failing a data-quality check; NaN when none was checked.",
    ["dataset", "field", "check"],
    multiprocess_mode="mostrecent",
)
DATA_QUALITY_RECORDS = Gauge(
    "hawiya_data_quality_records",
    "Records assessed by the last data-quality report of the dataset.",
    ["dataset"],
    multiprocess_mode="mostrecent",
)
DATA_QUALITY_TIMESTAMP = Gauge(
    "hawiya_data_quality_last_success_timestamp_seconds",
    "When the last data-quality report of the dataset was computed (Unix time).",
    ["dataset"],
    multiprocess_mode="mostrecent",
)
DATA_QUALITY_SECONDS = Gauge(
    "hawiya_data_quality_duration_seconds",
    "How long the last data-quality run took (reading the registers and every check).",
    multiprocess_mode="mostrecent",
)
DATA_QUALITY_RUNS = Counter(
    "hawiya_data_quality_runs",
    "Data-quality runs, by outcome (ok or error).",
    ["outcome"],
)
_QUALITY_LABELS = check_names()


# Bound once: the cache reports an event on every authentication.
_CACHE_EVENT_COUNTERS = {event: CACHE_EVENTS.labels(event) for event in ("hit", "miss", "error", "skipped")}


def cache_observer(event: str) -> None:
    """The cache's observer: counts events and follows the breaker's state."""
    if event == "open":
        CACHE_BREAKER_OPEN.set(1)
    elif event == "closed":
        CACHE_BREAKER_OPEN.set(0)
    else:
        counter = _CACHE_EVENT_COUNTERS.get(event)
        (counter if counter is not None else CACHE_EVENTS.labels(event)).inc()


def update_process_metrics() -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    PROCESS_CPU_SECONDS.set(usage.ru_utime + usage.ru_stime)
    PROCESS_RSS_BYTES.set(usage.ru_maxrss * 1024)


def publish_quality(report: QualityReport) -> None:
    """Set the data-quality gauges of ``report``'s dataset (rnp or rsu)."""
    if report.dataset not in ("rnp", "rsu"):
        raise ValueError("only the registers' reports are exported")
    for result in report.results:
        if (result.field, result.check) in _QUALITY_LABELS:  # always true: the label set is closed
            rate = result.rate
            DATA_QUALITY_RATIO.labels(report.dataset, result.field, result.check).set(
                float("nan") if rate is None else rate
            )
    DATA_QUALITY_RECORDS.labels(report.dataset).set(report.records)
    DATA_QUALITY_TIMESTAMP.labels(report.dataset).set(report.generated_at.timestamp())


# -- security and robustness (issue 6) ---------------------------------------------------------

AUTH_SECURITY_DENIALS = Counter(
    "hawiya_auth_security_denials",
    "Authentications answered no because the IDCS is locked (AUTH_LOCKED) or frozen after too many"
    " failures (ATTEMPTS_EXCEEDED), whatever the caller was told.",
    ["reason"],
)
RATE_LIMITED = Counter(
    "hawiya_rate_limited",
    "Calls refused with RESOURCE_EXHAUSTED because their caller was over its rate limit, by caller id.",
    ["caller"],
)
STREAM_CHUNKS_WAITED = Counter(
    "hawiya_stream_chunks_waited",
    "AuthenticateStream chunks that waited for their turn, another stream's chunk being answered in the"
    " same worker (HAWIYA_STREAM_CONCURRENCY).",
)
STORE_UP = Gauge(
    "hawiya_store_up",
    "1 while the register answers the health probe (health SERVING), 0 while it does not.",
    multiprocess_mode="min",
)


# -- batch dedup jobs (the Deduplication service) ----------------------------------------------

# The worker that runs a job updates the gauge from the job's progress file; no job id as a
# label (unbounded): with several jobs at once, it shows the most recently updated one.
DEDUP_JOB_PROGRESS = Gauge(
    "hawiya_dedup_job_progress_ratio",
    "Progress of the running dedup job, 0 to 1 (1 once it has succeeded; stays at the last job's value).",
    multiprocess_mode="mostrecent",
)
DEDUP_JOBS_SUBMITTED = Counter(
    "hawiya_dedup_jobs_submitted",
    "Dedup jobs queued, by source (file or records).",
    ["source"],
)
DEDUP_JOBS_FINISHED = Counter(
    "hawiya_dedup_jobs_finished",
    "Dedup jobs ended, by final state (succeeded, failed or cancelled).",
    ["state"],
)


def dedup_job_observer(event: str, source: str, state: str, progress: float) -> None:
    """The dedup job manager's observer: ``event`` is submitted, progress or finished."""
    if event == "submitted":
        DEDUP_JOBS_SUBMITTED.labels(source).inc()
    elif event == "progress":
        DEDUP_JOB_PROGRESS.set(progress)
    elif event == "finished":
        DEDUP_JOB_PROGRESS.set(progress)
        DEDUP_JOBS_FINISHED.labels(state).inc()


# -- the 1:N duplicate search (enrolment and Identify) ---------------------------------------------

CANDIDATE_INDEX_RECORDS = Gauge(
    "hawiya_candidate_index_records",
    "Persons in the candidate index of the 1:N search (every worker holds the whole register's).",
    multiprocess_mode="max",
)
ENROL_OUTCOMES = Counter(
    "hawiya_enrol_outcomes",
    "Enrolment answers by outcome: enrolled, already_enrolled, duplicate, possible_duplicate.",
    ["outcome"],
)
DUPLICATE_SEARCH_SECONDS = Histogram(
    "hawiya_duplicate_search_seconds",
    "Time of one 1:N search (candidates from the index, scored by the match model), by call.",
    ["call"],
    buckets=_LATENCY_BUCKETS,
)
