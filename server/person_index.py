"""The process's candidate index of the register's persons, kept in step with every process's writes.

Each server process holds one `indexer.CandidateIndex` (blocking keys and name vectors) of the
persons who can be found by the 1:N search: every registered person but those merged into
another IDCS (retired records). A person's index id is their IDCS as an integer (10 digits,
unique, stable).

**Start-up.** `load` reads the journal's watermark, then every person (one pass over the
register), then builds the index, or loads the name vectors of a snapshot and rebuilds only the
blocking keys beside them. The snapshot (``DATA_DIR/candidate-index/``: ``names.faiss`` with its
sidecar, written by `indexer.NameIndex.save`, and ``state.json``) is used only when it belongs to
this register (the database's creation time), was made with the same candidate settings, holds
as many persons as were just read, and no person was written since it was saved (the journal's
watermark is the one it recorded); otherwise the index is rebuilt. `save` writes a snapshot
(the server calls it in the background once serving, and at shutdown; it does nothing when the
register has not changed since the last one). Health stays NOT_SERVING until `load` returns.

**Other processes' writes.** With several worker processes (``--workers``, or several machines
on one PostgreSQL) each has its own index. Every enrolment and update appends to the register's
journal (`RegistryStore.changes_since`: numbered in commit order), and before each search the
index applies the journal's entries since the last one it saw: the person's latest version is
read, its old entry removed and the new one added (a merged person is only removed). An
enrolment made by this process is added at once and not applied again from the journal.
Decisions are serialised across all processes by `exclusive` (this process's lock, then the
register's enrolment lock, `RegistryStore.enrolment_lock`), so the journal read under it holds
every enrolment committed before: two desks enrolling the same person at once through two
workers get ENROLLED once and DUPLICATE once.

**Start-up calls.** Health is NOT_SERVING until `load` returns; a call that reaches this process
meanwhile waits for the index, up to its deadline (then UNAVAILABLE), rather than failing at once.

**Threads.** FAISS and the blocking index must not be written while searched: every read and
write of the index happens under this process's lock (a search is well under a millisecond).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dedup.quality.sources import persons_frame
from indexer import CandidateIndex, CandidateSettings, NameIndex, sidecar_path
from indexer.errors import IndexerError
from registry_store.model import Person, PersonStatus
from registry_store.store import RegistryStore
from server.deadline import remaining
from server.errors import IndexNotReady
from server.metrics import CANDIDATE_INDEX_RECORDS

__all__ = ["SNAPSHOT_FOLDER", "PersonIndex"]

log = logging.getLogger(__name__)

SNAPSHOT_FOLDER = "candidate-index"
_NAMES_FILE = "names.faiss"
_STATE_FILE = "state.json"
_LOCK_FILE = "lock"
_STATE_FORMAT = "hawiya.candidate_index_state"
_STATE_VERSION = 1
_JOURNAL_BATCH = 5000


def _ids(persons: pd.DataFrame) -> np.ndarray:
    return persons["idcs"].astype(np.int64).to_numpy()


def _findable(person: Person) -> bool:
    return person.status is not PersonStatus.MERGED


class PersonIndex:
    """The register's findable persons in a `CandidateIndex`, for enrolment and Identify."""

    def __init__(
        self,
        store: RegistryStore,
        snapshot_dir: Path | None = None,
        settings: CandidateSettings | None = None,
    ) -> None:
        self._store = store
        self._dir = snapshot_dir
        self._settings = settings or CandidateSettings()
        self._index: CandidateIndex | None = None
        self._lock = threading.RLock()
        self._watermark = 0  # the last journal entry applied
        self._overlap = 0  # journal entries up to here may already be in the index (read at start)
        self._own: dict[str, int] = {}  # IDCS → version this process added, not yet seen in the journal
        self._saved_watermark = -1
        self._loaded = threading.Event()

    # -- state ----------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._index is not None

    @property
    def watermark(self) -> int:
        return self._watermark

    def __len__(self) -> int:
        with self._lock:
            return 0 if self._index is None else len(self._index)

    def _ready_index(self) -> CandidateIndex:
        if self._index is None:
            raise IndexNotReady("the candidate index is still loading: retry shortly")
        return self._index

    def wait_ready(self) -> None:
        """Return once the index is loaded; a call made while it loads waits, up to its deadline.

        Health says NOT_SERVING meanwhile, so balanced traffic goes elsewhere; a client calling
        this process directly is served late rather than refused. Outside a call: no wait.
        """
        if self._index is None:
            wait = remaining()
            if wait:
                self._loaded.wait(wait)
        self._ready_index()

    @contextlib.contextmanager
    def exclusive(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the index and the register's enrolment lock: one enrolment decision at a time."""
        self.wait_ready()
        with self._lock, self._store.enrolment_lock(timeout if timeout is not None else remaining()):
            yield

    # -- start-up and snapshot ------------------------------------------------------------------

    def load(self) -> None:
        """Build the index from the register (or its snapshot), then catch up with the journal."""
        started = time.monotonic()
        registered = self._store.register_created_at().isoformat()
        before = self._store.change_watermark()
        persons = persons_frame(p for p in self._store.iter_persons() if _findable(p))
        after = self._store.change_watermark()
        ids = _ids(persons)
        index = self._from_snapshot(persons, ids, registered, before) if before == after else None
        source = "snapshot"
        if index is None:
            source = "register"
            index = CandidateIndex.build(persons, ids, self._settings)  # empty for an empty register
        with self._lock:
            self._index = index
            self._watermark = before
            self._overlap = after
            if source == "snapshot":
                self._saved_watermark = before
            applied = self._refresh()
            self._publish()
        self._loaded.set()
        log.info(
            "candidate index loaded from the %s: %d persons (+%d journal entries) in %.2f s",
            source,
            len(ids),
            applied,
            time.monotonic() - started,
        )

    @staticmethod
    @contextlib.contextmanager
    def _file_lock(folder: Path, wait: bool) -> Iterator[bool]:
        """The snapshot folder's lock between processes; yields False if busy and not waiting."""
        folder.mkdir(parents=True, exist_ok=True)
        lock_path = folder / _LOCK_FILE
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _state(self, registered: str, count: int, watermark: int, names_sha256: str) -> dict[str, Any]:
        return {
            "format": _STATE_FORMAT,
            "format_version": _STATE_VERSION,
            "register": registered,
            "settings": self._settings.to_dict(),
            "count": count,
            "watermark": watermark,
            "names_sha256": names_sha256,
        }

    def _from_snapshot(
        self, persons: pd.DataFrame, ids: np.ndarray, registered: str, watermark: int
    ) -> CandidateIndex | None:
        if self._dir is None or len(ids) == 0:
            return None  # an empty register is faster built than loaded
        names_path, state_path = self._dir / _NAMES_FILE, self._dir / _STATE_FILE
        if not state_path.exists():
            return None
        try:
            with self._file_lock(self._dir, wait=True):
                state = json.loads(state_path.read_text(encoding="utf-8"))
                expected = self._state(registered, len(ids), watermark, "")
                expected["settings"] = json.loads(json.dumps(expected["settings"]))
                differs = [k for k in expected if k != "names_sha256" and state.get(k) != expected[k]]
                if differs:
                    log.info("candidate index snapshot not used: its %s differ", ", ".join(differs))
                    return None
                sidecar = json.loads(sidecar_path(names_path).read_text(encoding="utf-8"))
                if sidecar.get("sha256") != state.get("names_sha256"):
                    log.info("candidate index snapshot not used: its name index is from another save")
                    return None
                names = NameIndex.load(names_path, dimension=self._settings.dimension)
        except (OSError, ValueError, IndexerError) as exc:
            log.warning("candidate index snapshot not used: %s", type(exc).__name__)
            return None
        if names.count != len(ids):
            log.info("candidate index snapshot not used: it holds %d persons, not %d", names.count, len(ids))
            return None
        return CandidateIndex.with_names(persons, ids, names, self._settings)

    def save(self, *, wait: bool = True, registered: str | None = None) -> bool:
        """Write the snapshot if the index changed since the last one; False if not written."""
        if self._dir is None or self._index is None:
            return False
        registered = registered or self._store.register_created_at().isoformat()
        names_path, state_path = self._dir / _NAMES_FILE, self._dir / _STATE_FILE
        with self._file_lock(self._dir, wait) as locked:
            if not locked:
                return False
            with self._lock:
                self._refresh()  # the snapshot is of the register at its watermark
                if self._watermark == self._saved_watermark:
                    return False
                index = self._ready_index()
                index.names.save(names_path)
                sidecar = json.loads(sidecar_path(names_path).read_text(encoding="utf-8"))
                state = self._state(registered, len(index), self._watermark, sidecar["sha256"])
                fd, temp = tempfile.mkstemp(prefix=f".{_STATE_FILE}.", suffix=".tmp", dir=self._dir)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as out:
                        json.dump(state, out, indent=2)
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(temp, state_path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)
                    raise
                self._saved_watermark = self._watermark
        log.info("candidate index snapshot saved: %d persons", state["count"])
        return True

    # -- following the register -----------------------------------------------------------------

    def refresh(self) -> int:
        """Apply the register's writes since the last call (of any process); returns how many."""
        self.wait_ready()
        with self._lock:
            return self._refresh()

    def _refresh(self) -> int:
        applied = 0
        while True:
            changes = self._store.changes_since(self._watermark, limit=_JOURNAL_BATCH)
            if not changes:
                break
            self._apply([(idcs, version) for _, idcs, version in changes], first_seq=changes[0][0])
            self._watermark = changes[-1][0]
            applied += len(changes)
            if len(changes) < _JOURNAL_BATCH:
                break
        if applied:
            self._publish()
        return applied

    def _apply(self, changed: list[tuple[str, int]], first_seq: int) -> None:
        """Follow the journal's writes (IDCS, version written; in order) in the index."""
        index = self._ready_index()
        last_written = dict(changed)  # each IDCS's last version in these writes
        # This process's own enrolment, not written since, is indexed already: it is not read
        # again (most journal entries an enrolling process sees are its own).
        distinct = []
        for idcs, version in sorted(last_written.items()):
            if self._own.get(idcs) == version:
                del self._own[idcs]
            else:
                distinct.append(idcs)
        if not distinct:
            return
        latest = self._store.find_persons(distinct)
        stale: list[int] = []
        fresh: list[Person] = []
        for idcs in distinct:
            person = latest.get(idcs)
            if person is None:
                continue
            own = self._own.pop(idcs, None)  # written again since this process enrolled it
            # A person's first write (version 1) after the start-up read is not in the index yet.
            if person.version > 1 or own is not None or first_seq <= self._overlap:
                stale.append(int(idcs))
            if _findable(person):
                fresh.append(person)
        if stale:
            index.remove(np.asarray(stale, dtype=np.int64))
        if fresh:
            frame = persons_frame(fresh)
            index.add(frame, _ids(frame))

    def added(self, person: Person) -> None:
        """Index a person this process has just enrolled (call under `exclusive`)."""
        with self._lock:
            index = self._ready_index()
            if _findable(person):
                frame = persons_frame([person])
                index.add(frame, _ids(frame))
                self._own[person.idcs] = person.version
            self._publish()

    def link(self, query: pd.DataFrame) -> list[str]:
        """The IDCSs of the candidate persons for the one-row `query` (register layout)."""
        self.wait_ready()
        with self._lock:
            index = self._ready_index()
            self._refresh()
            linked = index.link(query)
            found = linked.for_row(0)
        return [f"{int(i):010d}" for i in found]

    def _publish(self) -> None:
        if self._index is not None:
            CANDIDATE_INDEX_RECORDS.set(len(self._index))
