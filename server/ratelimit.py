"""Per-caller rate limits: a token bucket per caller, in each server process.

A caller's policy gives a rate (calls per second) and a burst (calls it may make at once). A
unary call takes one token or is refused at once with RESOURCE_EXHAUSTED (and a RetryInfo
saying when a token will be there). A streamed chunk takes one token per item and, rather than
fail a batch half-way, waits for them: the bucket goes into debt and the stream is slowed to the
caller's rate (backpressure), unless the wait would outlast the call's time, which is refused.

The buckets live in each worker process: with N workers a caller may reach N times its rate
if its connections spread over all of them (one connection stays on one worker).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from server.callers import Caller
from server.errors import RateLimited
from server.metrics import RATE_LIMITED

__all__ = ["RateLimiter"]


class _Bucket:
    __slots__ = ("burst", "lock", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = now
        self.lock = threading.Lock()

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class RateLimiter:
    """The token buckets of every caller that has a rate limit."""

    def __init__(self, callers: Iterable[Caller], clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self._buckets = {
            c.caller_id: _Bucket(c.rate_limit_per_second, c.rate_limit_burst, now)
            for c in callers
            if c.rate_limit_per_second > 0
        }

    def admit(self, caller: Caller) -> None:
        """Take one token for a call, or raise RateLimited."""
        bucket = self._buckets.get(caller.caller_id)
        if bucket is None:
            return
        with bucket.lock:
            bucket.refill(self._clock())
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = (1.0 - bucket.tokens) / bucket.rate
        RATE_LIMITED.labels(caller.caller_id).inc()
        raise RateLimited(caller.caller_id, wait)

    def acquire(self, caller: Caller, count: int, within: float | None) -> None:
        """Take `count` tokens, waiting for them up to `within` seconds (None: as long as needed)."""
        bucket = self._buckets.get(caller.caller_id)
        if bucket is None or count <= 0:
            return
        with bucket.lock:
            bucket.refill(self._clock())
            wait = max(0.0, (count - bucket.tokens) / bucket.rate)
            if within is not None and wait > within:
                RATE_LIMITED.labels(caller.caller_id).inc()
                raise RateLimited(caller.caller_id, wait)
            bucket.tokens -= count  # into debt: later calls wait behind this one
        if wait > 0:
            time.sleep(wait)
