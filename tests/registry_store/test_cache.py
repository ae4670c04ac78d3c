"""The profile cache: one contract for Redis and the in-process LRU; a breaker that opens and closes."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from registry_store.cache import (
    BreakerState,
    CircuitBreaker,
    LocalProfileCache,
    NoCache,
    RedisProfileCache,
    profile_key,
)

REDIS_URL = os.environ.get("HAWIYA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
H1, H2 = "a" * 64, "b" * 64


@pytest.fixture(params=["local", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[LocalProfileCache | RedisProfileCache]:
    if request.param == "local":
        c: LocalProfileCache | RedisProfileCache = LocalProfileCache(max_entries=2)
    else:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        c = RedisProfileCache(REDIS_URL, ttl_seconds=60)
    yield c
    c.close()


def test_contract(cache: LocalProfileCache | RedisProfileCache) -> None:
    assert cache.get(H1) is None
    cache.set(H1, b"profile-1")
    assert cache.get(H1) == b"profile-1"
    cache.delete(H1)
    assert cache.get(H1) is None
    cache.delete(H2)  # deleting what is absent is fine


def test_get_many_answers_each_key_in_order(cache: LocalProfileCache | RedisProfileCache) -> None:
    cache.set(H2, b"profile-2")
    assert cache.get_many([H1, H2, H1]) == [None, b"profile-2", None]
    assert cache.get_many([]) == []
    with pytest.raises(ValueError, match="keyed"):
        cache.get_many([H2, "1234567890"])  # a raw IDCS never becomes a key, even in a batch
    assert NoCache().get_many([H1, H2]) == [None, None]


def test_keys_take_only_keyed_hashes() -> None:
    assert profile_key(H1).endswith(H1)
    for bad in ("1234567890", "A" * 64, "", "g" * 64):
        with pytest.raises(ValueError, match="keyed"):
            profile_key(bad)


def test_redis_keys_hold_no_raw_ids() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    cache = RedisProfileCache(REDIS_URL)
    cache.set(H1, b"x")
    assert [k.decode() for k in client.keys("*")] == [f"hawiya:v1:profile:{H1}"]
    assert 0 < client.ttl(f"hawiya:v1:profile:{H1}") <= 3600
    cache.close()


def test_local_cache_evicts_least_recently_used() -> None:
    cache = LocalProfileCache(max_entries=2)
    cache.set(H1, b"1")
    cache.set(H2, b"2")
    assert cache.get(H1) == b"1"  # H1 now most recent
    cache.set("c" * 64, b"3")
    assert cache.get(H2) is None and cache.get(H1) == b"1"
    assert NoCache().get(H1) is None


def test_breaker_opens_then_probes_once_per_interval() -> None:
    now = [0.0]
    events: list[str] = []
    breaker = CircuitBreaker(threshold=3, interval=2.0, observe=events.append, clock=lambda: now[0])
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state is BreakerState.OPEN and events == ["open"]
    assert not breaker.allow()
    now[0] = 2.5
    assert breaker.allow() and not breaker.allow()  # one probe
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and events == ["open", "closed"]


def _blackhole() -> tuple[socket.socket, str]:
    """A listening socket that accepts but never answers: a frozen Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    return server, f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_frozen_redis_costs_one_short_timeout_then_nothing() -> None:
    server, url = _blackhole()
    events: list[str] = []
    cache = RedisProfileCache(url, timeout_seconds=0.05, observe=events.append)
    try:
        begin = time.monotonic()
        for _ in range(50):
            assert cache.get(H1) is None
        elapsed = time.monotonic() - begin
        # Three timed-out attempts open the breaker; the other 47 lookups skip Redis.
        assert events.count("error") == 3 and events.count("skipped") == 47
        assert elapsed < 1.0
        assert cache.breaker.state is BreakerState.OPEN
        assert cache.get_many([H1, H2]) == [None, None]  # a batch skips Redis too
        assert events.count("skipped") == 48 and events.count("miss") == 52
    finally:
        cache.close()
        server.close()


def test_down_redis_invalidations_are_replayed_when_it_returns() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    good = RedisProfileCache(REDIS_URL)
    good.set(H1, b"old")
    # The same cache while Redis is unreachable: its delete cannot be sent.
    cache = RedisProfileCache(REDIS_URL, breaker=CircuitBreaker(threshold=1, interval=0.05))
    real_client = cache._client
    server, url = _blackhole()
    import redis as redis_module

    cache._client = redis_module.Redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
    cache.delete(H1)
    assert client.get(profile_key(H1)) == b"old"
    cache._client.close()
    cache._client = real_client
    server.close()
    time.sleep(0.06)
    assert cache.get(H2) is None  # the first command after recovery replays the delete
    assert client.get(profile_key(H1)) is None
    good.close()
    cache.close()


def test_concurrent_local_cache_is_consistent() -> None:
    cache = LocalProfileCache(max_entries=1000)

    def work(n: int) -> None:
        for i in range(500):
            key = f"{(n * 500 + i) % 300:064x}"
            cache.set(key, key.encode())
            value = cache.get(key)
            assert value is None or value == key.encode()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
