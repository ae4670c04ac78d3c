"""The server's own bound on every call: the caller's deadline or HAWIYA_MAX_DEADLINE_SECONDS.

gRPC ends a call at the caller's deadline, but a caller may set none, or a long one. The
interceptor sets `DEADLINE` (a `time.monotonic` instant) for each unary call, and for each chunk a
stream receives; code that waits (the audit commit, a rate-limited stream) waits at most
`remaining()`; store statements are bounded by the same cap (PostgreSQL statement_timeout, SQLite
busy timeout); and the interceptor answers DEADLINE_EXCEEDED rather than anything computed after
the deadline.
"""

from __future__ import annotations

import contextvars
import math
import time

from server.errors import DeadlineExceeded

__all__ = ["DEADLINE", "check", "remaining"]

DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=math.inf)


def remaining() -> float | None:
    """Seconds left to the current call (None outside a call)."""
    deadline = DEADLINE.get()
    return None if deadline == math.inf else max(0.0, deadline - time.monotonic())


def check() -> None:
    """Raise DeadlineExceeded if the current call's time is up."""
    if time.monotonic() >= DEADLINE.get():
        raise DeadlineExceeded("the call took longer than its deadline (or the server's cap)")
