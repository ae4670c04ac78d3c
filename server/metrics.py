"""Every Prometheus metric of the service, defined in one place.

Labels carry only bounded values (service, method, status code, decision); never request data.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = [
    "AUTH_DECISIONS",
    "GRPC_HANDLED",
    "GRPC_HANDLING_SECONDS",
    "GRPC_STARTED",
]

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
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
AUTH_DECISIONS = Counter(
    "hawiya_auth_decisions",
    "Authentication answers by decision and reason.",
    ["decision", "reason"],
)
