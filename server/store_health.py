"""The register's health, probed in the background: health NOT_SERVING while it does not answer.

Every `interval` seconds the probe pings the register (`RegistryStore.ping`, one ``SELECT 1``).
When it stops answering, every service's health turns NOT_SERVING, so load balancers and clients
with health checking send their calls elsewhere; calls that still arrive fail UNAVAILABLE. When it
answers again, health returns to SERVING: the pool reconnects by itself (pre-ping) and so does the
audit writer, so the service recovers without a restart. After a graceful shutdown has begun the
health servicer ignores these changes (it stays NOT_SERVING).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from grpc_health.v1 import health, health_pb2

from registry_store.errors import StoreError
from registry_store.store import RegistryStore
from server.metrics import STORE_UP

__all__ = ["watch_store"]

log = logging.getLogger(__name__)


def watch_store(
    store: RegistryStore,
    servicer: health.HealthServicer,
    services: Sequence[str],
    stopped: threading.Event,
    interval: float = 1.0,
) -> threading.Thread:
    """Start the probe thread; it ends when `stopped` is set."""

    def probe() -> None:
        serving = True
        STORE_UP.set(1)
        while not stopped.wait(interval):
            try:
                store.ping()
                answered = True
            except StoreError:
                answered = False
            if answered == serving or stopped.is_set():
                continue
            serving = answered
            STORE_UP.set(1 if answered else 0)
            status = health_pb2.HealthCheckResponse.SERVING if answered else health_pb2.HealthCheckResponse.NOT_SERVING
            for name in services:
                servicer.set(name, status)
            if answered:
                log.info("the register answers again: SERVING")
            else:
                log.error("the register does not answer: NOT_SERVING until it does")

    thread = threading.Thread(target=probe, name="store-health", daemon=True)
    thread.start()
    return thread
