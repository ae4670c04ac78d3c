"""Per-caller token buckets: unary calls refused at once, streamed items slowed to the rate."""

from __future__ import annotations

import pytest

from server.callers import Caller
from server.errors import RateLimited
from server.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _caller(caller_id: str, rate: float = 0.0, burst: int = 0) -> Caller:
    return Caller(caller_id, "0" * 64, frozenset(), rate_limit_per_second=rate, rate_limit_burst=burst)


def test_burst_then_the_rate() -> None:
    clock = Clock()
    limited, free = _caller("limited", 2.0, 3), _caller("free")
    limiter = RateLimiter([limited, free], clock=clock)
    for _ in range(3):
        limiter.admit(limited)
    with pytest.raises(RateLimited) as err:
        limiter.admit(limited)
    assert err.value.retry_after == pytest.approx(0.5)
    assert "limited" in str(err.value)
    clock.now += 0.5
    limiter.admit(limited)  # one token back after 1/rate seconds
    with pytest.raises(RateLimited):
        limiter.admit(limited)
    clock.now += 100  # never more than the burst
    for _ in range(3):
        limiter.admit(limited)
    with pytest.raises(RateLimited):
        limiter.admit(limited)
    for _ in range(1000):
        limiter.admit(free)  # no limit


def test_streamed_items_wait_for_their_tokens_or_are_refused() -> None:
    clock = Clock()
    limited = _caller("limited", 1000.0, 10)
    limiter = RateLimiter([limited], clock=clock)
    limiter.acquire(limited, 10, within=None)  # the burst: no wait
    limiter.acquire(limited, 5, within=1.0)  # 5 ms of debt: waits that long
    with pytest.raises(RateLimited):
        limiter.acquire(limited, 5000, within=1.0)  # would need 5 s
    clock.now += 1.0
    limiter.acquire(limited, 10, within=0.0)
