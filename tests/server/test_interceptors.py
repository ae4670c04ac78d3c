"""The interceptor's bounds on streaming calls: a whole call, and the wait between client messages.

The handlers here block the way a stuck stream does (an Event nobody sets but the cancel), so the
tests wait for the cancel itself, never for a fixed time.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from server.callers import CallerRegistry, add_caller
from server.interceptors import HawiyaInterceptor, _StreamLimit


class Aborted(Exception):
    pass


class FakeContext:
    """The parts of a server-side grpc.ServicerContext the interceptor uses."""

    def __init__(self, key: str) -> None:
        self._key = key
        self.cancelled = threading.Event()
        self.status: Any = None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-api-key", self._key),)

    def auth_context(self) -> dict[str, list[bytes]]:
        return {}

    def time_remaining(self) -> float:
        return math.inf

    def is_active(self) -> bool:
        return not self.cancelled.is_set()

    def cancel(self) -> None:
        self.cancelled.set()

    def abort_with_status(self, status: Any) -> None:
        self.status = status
        raise Aborted(status.code)


def _handler(kind: str, behaviour: Any) -> grpc.RpcMethodHandler:
    make = {"unary_stream": grpc.unary_stream_rpc_method_handler, "stream_unary": grpc.stream_unary_rpc_method_handler}
    return make[kind](behaviour)


def _wrapped(tmp: Path, kind: str, behaviour: Any, **limits: float) -> tuple[grpc.RpcMethodHandler, str]:
    key = add_caller(tmp / "callers.toml", "rsu-quality", ["Deduplication/*"])
    interceptor = HawiyaInterceptor(CallerRegistry.from_file(tmp / "callers.toml"), **limits)
    details = type("Details", (), {"method": "/hawiya.v1.Deduplication/WatchJob", "invocation_metadata": ()})()
    wrapped = interceptor.intercept_service(lambda _: _handler(kind, behaviour), details)
    assert wrapped is not None
    return wrapped, key


def test_a_client_stream_that_sends_nothing_is_cancelled(tmp_path: Path) -> None:
    received: list[int] = []

    def upload(requests: Iterator[int], context: Any) -> str:
        for message in requests:
            received.append(message)
        return "done"

    wrapped, key = _wrapped(tmp_path, "stream_unary", upload, stream_idle_seconds=0.2)
    context = FakeContext(key)

    def stalled() -> Iterator[int]:
        yield 1  # then nothing: blocked, as gRPC is waiting for a client that sends no more
        context.cancelled.wait(60)
        raise grpc.RpcError()  # what gRPC's request iterator raises once the call is cancelled

    answer = wrapped.stream_unary(stalled(), context)
    assert context.cancelled.is_set() and received == [1] and answer is None


def test_a_server_stream_is_bounded_as_a_whole(tmp_path: Path) -> None:
    def watch(request: Any, context: Any) -> Iterator[int]:
        while True:  # answers promptly, for ever
            yield 1
            time.sleep(0.01)

    wrapped, key = _wrapped(tmp_path, "unary_stream", watch, max_deadline_seconds=30.0, max_stream_seconds=0.3)
    context = FakeContext(key)
    with pytest.raises(Aborted):
        for _ in wrapped.unary_stream(None, context):
            pass
    assert context.status.code is grpc.StatusCode.DEADLINE_EXCEEDED


def test_a_server_stream_blocked_in_grpc_is_cancelled(tmp_path: Path) -> None:
    freed = threading.Event()

    def read(request: Any, context: Any) -> Iterator[int]:
        yield 1
        if context.cancelled.wait(60):  # as a send to a client that does not read blocks
            freed.set()

    wrapped, key = _wrapped(tmp_path, "unary_stream", read, max_stream_seconds=0.3)
    context = FakeContext(key)
    answers = wrapped.unary_stream(None, context)
    assert next(answers) == 1
    with pytest.raises((Aborted, StopIteration)):
        next(answers)
    assert freed.is_set() and context.cancelled.is_set()


def test_the_limit_bounds_each_message_deadline_and_stops_quietly() -> None:
    context = FakeContext("")
    limit = _StreamLimit(context, 100.0)  # type: ignore[arg-type]
    assert limit.bound(math.inf) <= time.monotonic() + 100.0
    limit.stop()
    assert not context.cancelled.wait(0.05)
