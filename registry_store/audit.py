"""The audit log's group commit: concurrent calls' audit rows are committed together.

Every answered authentication must have its audit row durably written *before* the answer
leaves. One transaction per call spends most of a call's time committing (with
``synchronous=FULL`` each commit waits for the disk), so calls hand their row to one writer
thread that commits whatever rows are waiting in one transaction, and each call waits only for
the commit that carries its row. Under load the batches grow by themselves; an idle server
writes a batch of one at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from registry_store.errors import StoreError, StoreUnavailable
from registry_store.store import RegistryStore

__all__ = ["AuditLog"]

logger = logging.getLogger(__name__)


class _Batch:
    __slots__ = ("done", "error", "rows")

    def __init__(self) -> None:
        self.rows: list[Mapping[str, Any]] = []
        self.done = threading.Event()
        self.error: BaseException | None = None


class AuditLog:
    """Group-committing writer of audit rows into a `RegistryStore`."""

    def __init__(self, store: RegistryStore, *, max_batch: int = 1000) -> None:
        self._store = store
        self._max_batch = max_batch
        self._lock = threading.Condition()
        self._pending = _Batch()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def record(self, **entry: Any) -> None:
        """Append one row (the keyword arguments of `RegistryStore.record_audit`), durably.

        Returns once the transaction carrying it has committed; raises the store's error
        (StoreUnavailable when the database is down) if it could not be written.
        """
        self.record_many([entry])

    def record_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append several rows, committed in the same transaction; returns once they are."""
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the audit log is closed")
            batch = self._pending
            batch.rows.extend(entries)
            self._lock.notify()
        batch.done.wait()
        if batch.error is not None:
            raise batch.error

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending.rows and not self._closed:
                    self._lock.wait()
                if not self._pending.rows and self._closed:
                    return
                batch, self._pending = self._pending, _Batch()
            self._commit(batch)

    def _commit(self, batch: _Batch) -> None:
        try:
            for start in range(0, len(batch.rows), self._max_batch):
                self._store.record_audits(batch.rows[start : start + self._max_batch])
        except StoreError as exc:
            batch.error = exc
        except Exception as exc:  # a bug must fail the waiting calls, not hang them
            logger.exception("audit batch failed")
            batch.error = StoreUnavailable("the audit trail could not be written")
            batch.error.__cause__ = exc
        finally:
            batch.done.set()

    def close(self) -> None:
        """Commit what is pending, then stop the writer."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join()
