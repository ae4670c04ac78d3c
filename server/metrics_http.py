"""The /metrics endpoint, kept apart from the metric definitions.

The parent of several workers serves the sum of their metric files without defining any metric
itself (a process that imports `server.metrics` writes its own series).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, multiprocess, start_http_server

__all__ = ["serve_metrics"]


def serve_metrics(port: int, host: str) -> int:
    """Serve /metrics on ``port`` (0: any free port); return the port. Multi-process aware."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        server, _ = start_http_server(port, addr=host, registry=registry)
    else:
        server, _ = start_http_server(port, addr=host)
    return int(server.server_port)
