"""Several server processes sharing one port: fork first, then each builds its own gRPC server.

gRPC's Python examples do it this way because gRPC's threads do not survive ``fork``: the
parent forks its workers before any gRPC object exists, each worker binds the same port with
``SO_REUSEPORT`` and the kernel spreads connections over them. The parent only supervises:
SIGTERM (or SIGINT) is passed on to every worker, which drains; a worker that dies is replaced,
unless workers keep dying, which stops the whole service.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import signal
import time
from collections.abc import Callable

__all__ = ["run_workers", "try_lock"]

log = logging.getLogger(__name__)


def try_lock(path: str | os.PathLike[str]) -> int | None:
    """An exclusive flock on ``path`` (created if needed), or None if another process holds it.

    The lock lasts as long as the returned descriptor is open: the way workers share one-off
    duties (the quality reports, a dedup job). An ``OSError`` opening the file is the caller's.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


_MAX_RESTARTS = 5  # within _RESTART_WINDOW seconds
_RESTART_WINDOW = 60.0


def _spawn(worker: Callable[[int], int], index: int, ready_w: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        code = worker(ready_w)
    except BaseException:
        log.exception("worker %d failed", index)
    finally:
        os._exit(code)


def run_workers(
    count: int,
    worker: Callable[[int], int],
    *,
    on_ready: Callable[[], None] | None = None,
    on_exit: Callable[[int], None] | None = None,
) -> int:
    """Run ``count`` copies of ``worker(ready_fd)`` in child processes until SIGTERM/SIGINT.

    Each worker writes one byte to ``ready_fd`` when it serves; ``on_ready`` runs once all
    have. ``on_exit(pid)`` runs for every worker that ends (for multi-process metrics).
    """
    exit_code = 0
    ready_r, ready_w = os.pipe()
    children: dict[int, int] = {}  # pid → worker index
    for index in range(count):
        children[_spawn(worker, index, ready_w)] = index
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        log.info("signal %d: stopping %d workers", signum, len(children))
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    started = 0
    while started < count and not stopping:
        readable, _, _ = select.select([ready_r], [], [], 0.5)
        if readable:
            started += len(os.read(ready_r, count - started))
        # A worker that died before it was ready would leave us waiting forever.
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid:
            log.error("worker %d exited before serving (status %d)", children.pop(pid, -1), status)
            if on_exit is not None:
                on_exit(pid)
            _stop(signal.SIGTERM, None)
            exit_code = 1
    if not stopping and on_ready is not None:
        on_ready()

    restarts: list[float] = []
    while children:
        pid, status = os.wait()
        if pid not in children:
            continue
        index = children.pop(pid)
        if on_exit is not None:
            on_exit(pid)
        if stopping:
            continue
        now = time.monotonic()
        restarts = [t for t in restarts if now - t < _RESTART_WINDOW] + [now]
        if len(restarts) > _MAX_RESTARTS:
            log.error("workers keep dying (%d in %.0f s): stopping", len(restarts), _RESTART_WINDOW)
            exit_code = 1
            _stop(signal.SIGTERM, None)
            continue
        log.error("worker %d (pid %d) died with status %d: starting another", index, pid, status)
        children[_spawn(worker, index, ready_w)] = index
    os.close(ready_r)
    os.close(ready_w)
    return exit_code
