"""Turns of a worker's AuthenticateStream chunks, so that unary calls beside them are answered.

Answering a chunk is Python under the worker's one interpreter lock. Streams answered side by
side add no throughput to one worker, and a thread that computes holds that lock for up to the
interpreter's switch interval (5 ms) each time another thread asks for it. Every unary call,
and the audit writer that every answer waits for, asks for it many times: beside four streams,
unary Authenticate offered at 300 calls/s in one embedded worker was answered at 55-71/s, its
median wait seconds long (benchmarks/auth_throughput.py's client, 2 cores).

So a worker answers at most `concurrency` chunks at once (HAWIYA_STREAM_CONCURRENCY, default
1), each from reading its requests through its audit commit to its answer; a chunk waiting for
its turn blocks on a semaphore, not on the interpreter lock. And a chunk being answered hands the
interpreter over every `HAND_OVER_EVERY` items, with the shortest sleep. Measured with the same
client: turns alone, 158-235 unary calls/s of 300 (six runs); turns with the hand-over, 286-300
of 300 (four runs), median 7-80 ms, the streams beside them at 3,413-4,515 items/s. A turn
released while the chunk's rows are committed gave 97/s; two turns, 120/s.

The price is the streams' own rate in one worker, computing and committing no longer overlapping:
alone, 4,912 items/s against 6,720-8,020 before (embedded; auth_throughput.py, separate runs).
"""

from __future__ import annotations

import threading
import time

from server.deadline import remaining
from server.errors import DeadlineExceeded
from server.metrics import STREAM_CHUNKS_WAITED

__all__ = ["HAND_OVER_EVERY", "StreamTurns", "hand_over", "hand_over_at"]

HAND_OVER_EVERY = 10  # items of a chunk between two hand-overs


def hand_over() -> None:
    """Let a thread waiting for the interpreter lock take it.

    The sleep asked for is nothing; the kernel's timer slack (50 µs by default) makes it long
    enough for a waiting thread to wake and take the lock (a bare release is taken back at once).
    """
    time.sleep(1e-7)


def hand_over_at(n: int) -> None:
    """Called before item `n` (from 0) of a chunk: hands over before every `HAND_OVER_EVERY`-th item."""
    if n and not n % HAND_OVER_EVERY:
        hand_over()


class StreamTurns:
    """At most `concurrency` chunks answered at once in this worker; entered once per chunk.

    A chunk that finds no free turn is counted (`hawiya_stream_chunks_waited_total`) and waits
    until one is free, at most until the chunk's deadline (then DEADLINE_EXCEEDED).
    """

    def __init__(self, concurrency: int) -> None:
        self._free = threading.BoundedSemaphore(concurrency)

    def __enter__(self) -> None:
        if not self._free.acquire(blocking=False):
            STREAM_CHUNKS_WAITED.inc()
            if not self._free.acquire(timeout=remaining()):
                raise DeadlineExceeded("the chunk waited for its turn past the call's deadline")

    def __exit__(self, *exc: object) -> None:
        self._free.release()
