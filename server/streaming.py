"""Batching the items of a request stream without waiting for more than has arrived.

A reader thread pulls requests off the stream into a bounded queue; the handler takes whatever
is queued (at least one item, at most `max_batch`) and answers it as one batch, so a stream
of verifications costs one audit commit per batch instead of one per item, while an item that
arrives alone is answered at once. The bounded queue is the flow control: when the handler
falls behind, the reader stops pulling and gRPC's HTTP/2 window makes the client wait.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

import grpc

__all__ = ["batched"]

T = TypeVar("T")
_END = object()


def batched(requests: Iterator[T], context: grpc.ServicerContext, max_batch: int = 256) -> Iterator[list[T]]:
    """Lists of consecutive requests, in order, until the stream ends or the call is cancelled."""
    pending: queue.Queue[Any] = queue.Queue(maxsize=4 * max_batch)
    done = threading.Event()
    context.add_callback(done.set)

    def offer(item: Any) -> bool:
        """Queue ``item`` unless the handler has gone (then nobody would ever take it)."""
        while not done.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for request in requests:
                if not offer(request):
                    return
        except Exception as exc:  # the client went away mid-stream: end the batches
            offer(exc)
            return
        offer(_END)

    reader = threading.Thread(target=read, name="stream-reader", daemon=True)
    reader.start()
    try:
        while True:
            first = pending.get()
            batch: list[T] = []
            item = first
            while True:
                if item is _END or isinstance(item, Exception):
                    if batch:
                        yield batch
                    return
                batch.append(item)
                if len(batch) >= max_batch:
                    break
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    break
            yield batch
    finally:
        done.set()
