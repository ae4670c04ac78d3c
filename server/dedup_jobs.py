"""Batch dedup jobs: queued on disk, run a few at a time in child processes, kept across restarts.

The Deduplication service's domain side; the matching is all in :func:`dedup.engine.run_dedup`,
run by :mod:`server.dedup_child`.

**Why a child process and not a thread.** The engine is CPU-bound NumPy/pandas/Numba work for
minutes on millions of records. On a thread of the server it would hold the GIL for long
stretches against the handler threads that answer authentications in milliseconds; in a child
it competes only for cores, at a lower priority (``nice``). Its memory (gigabytes for millions
of records) goes back to the system when it ends, and an out-of-memory kill takes the job, not
the server. A cancel is honoured at the engine's next checkpoint, and a run that does not reach
one within ``cancel_grace`` seconds is killed, which a thread cannot be. The child is started
with ``fork``+``exec`` (``subprocess``), never a bare ``fork``: gRPC's threads do not survive
one. The price, a second or two of imports per job, is nothing next to a job's minutes. It gets
a minimal environment (:func:`child_environment`): the server's secrets (database and Redis
URLs, the IDCS hash key) are not the job's business.

If the worker dies (SIGKILL, out of memory) its child notices within a fraction of a second,
records the job FAILED "interrupted" and exits.

**Why on disk.** With several workers (HAWIYA_WORKERS) a GetJob may reach any of them, and a
restarted server must still list finished jobs and serve their results. Under
``<data_dir>/dedup-jobs/``::

    .lock                       flock held for every change of a job's state, queue or claim
    queue/<ns>-<job_id>         one empty file per QUEUED job, oldest first (an index)
    running/<job_id>            one empty file per RUNNING job (an index)
    .incoming-*/                records being streamed in (SubmitRecords), not yet a job
    .deleting-<job_id>/         a job being removed (DeleteJob, retention)
    <job_id>/job.json           the job (format_version 1), replaced atomically: the truth
    <job_id>/records.parquet    the streamed records of a RECORDS job, until the job ends
    <job_id>/run.lock           flock held by the claiming worker and its child while it runs
    <job_id>/cancel             present once CancelJob was called on the running job
    <job_id>/output/            pairs.parquet, clusters.parquet, model.json, summary.json

The index folders are kept (rather than reading every job.json at each tick of every worker)
because the scheduler polls several times a second; they are rebuilt from the job files at start.
A queue entry is removed only once its job has left QUEUED (started, or failed to start), so a
claim that fails part-way leaves the job queued, never stuck.

Who writes ``job.json``: any worker, under ``.lock``, to queue a job, cancel a queued one, or
claim one (QUEUED -> RUNNING); then only the child while the job runs (progress, final state);
then the claiming worker again if the child ended without a final state. A RUNNING job whose
``run.lock`` nobody holds has lost its process (the server was killed): whichever worker sees it
first makes it FAILED "interrupted". At most ``max_running`` jobs run at once over all workers.

Input files are read from the caller's own folder, ``<input_dir>/<caller_id>/``: a caller cannot
name another's files. A finished job is deleted by DeleteJob or, ``retention_seconds`` after it
ended, by the scheduler's sweep.

Nothing here logs a record's value or puts one in a job's state: errors name the column, option or
file, and an unexpected error is recorded by its type only (its frames go to the log).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from dedup.config import DEFAULT_CONFIG
from dedup.demographics import REGISTER_COLUMNS as _DEMOGRAPHIC_COLUMNS
from dedup.io import INPUT_SUFFIXES
from server.errors import InvalidField, JobFileError, JobLimitReached, JobNotFound, JobStateConflict, ServerStopping
from server.workers import try_lock

__all__ = [
    "FORMAT_VERSION",
    "RECORDS_SCHEMA",
    "REGISTER_COLUMNS",
    "RESULT_KINDS",
    "DedupJobs",
    "Job",
    "JobObserver",
    "JobOptions",
    "JobState",
    "ResultRows",
    "read_job",
    "write_job",
]

log = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
# The register layout the engine reads (streamed records are written in it).
REGISTER_COLUMNS: Final = ("record_id", *_DEMOGRAPHIC_COLUMNS)
_INT_COLUMNS: Final = frozenset({"birth_year", "birth_month", "birth_day"})
RECORDS_SCHEMA: Final = pa.schema([(c, pa.int64() if c in _INT_COLUMNS else pa.string()) for c in REGISTER_COLUMNS])
RESULT_KINDS: Final = {"pairs": "pairs.parquet", "clusters": "clusters.parquet"}
# What a column_map may rename a column to: a column of the register layout or one the engine reads.
_MAP_TARGETS: Final = frozenset(REGISTER_COLUMNS) | frozenset(DEFAULT_CONFIG.input_columns())

_JOB_ID = re.compile(r"[0-9a-f]{32}")  # always fullmatch: "$" would let a final newline through
_MAX_COLUMN_MAP: Final = 64
_MAX_NAME: Final = 128
_MAX_LABEL: Final = 200
_MAX_PATH: Final = 1024
_DEFAULT_CHUNK_ROWS: Final = 1000
_MAX_CHUNK_ROWS: Final = 10_000
_DEFAULT_PAGE: Final = 50
_MAX_PAGE: Final = 500
_INCOMING_GRACE: Final = 60.0  # an .incoming-* folder younger than this may still be being created
_SWEEP_SECONDS: Final = 60.0  # how often the retention sweep runs
INTERRUPTED: Final = "interrupted: the server stopped while the job ran; submit it again"


class JobState(StrEnum):
    """Where a job is: QUEUED -> RUNNING -> SUCCEEDED, FAILED or CANCELLED."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How a job reads and matches: column map (file column -> register column), threshold, model, label.

    ``threshold`` None is the engine's default; ``model_path`` "" trains a model on the job's
    records. In a :class:`Job`, ``model_path`` is relative to the input folder.
    """

    column_map: Mapping[str, str] = field(default_factory=dict)
    threshold: float | None = None
    model_path: str = ""
    label: str = ""


@dataclass(frozen=True, slots=True)
class Job:
    """A dedup job as ``job.json`` holds it. ``input_file``, ``model_file`` and ``input_root`` are
    server paths, never shown to callers; ``cancel_requested`` is read from the cancel marker."""

    job_id: str
    owner: str
    source: str  # "file" or "records"
    state: JobState
    options: JobOptions
    submitted_at: float
    path: str = ""
    input_file: str = ""
    model_file: str = ""
    input_root: str = ""
    records_received: int = 0
    stage: str = ""
    progress: float = 0.0
    progress_message: str = ""
    cancel_requested: bool = False
    summary: Mapping[str, Any] | None = None
    error: str = ""
    error_field: str = ""
    started_at: float | None = None
    finished_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "job_id": self.job_id,
            "owner": self.owner,
            "source": self.source,
            "state": self.state.value,
            "options": {
                "column_map": dict(self.options.column_map),
                "threshold": self.options.threshold,
                "model_path": self.options.model_path,
                "label": self.options.label,
            },
            "path": self.path,
            "input_file": self.input_file,
            "model_file": self.model_file,
            "input_root": self.input_root,
            "records_received": self.records_received,
            "stage": self.stage,
            "progress": self.progress,
            "progress_message": self.progress_message,
            "summary": None if self.summary is None else dict(self.summary),
            "error": self.error,
            "error_field": self.error_field,
            "submitted_at": self.submitted_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {data.get('format_version')!r} is not {FORMAT_VERSION}")
        opts = data["options"]
        return cls(
            job_id=str(data["job_id"]),
            owner=str(data["owner"]),
            source=str(data["source"]),
            state=JobState(data["state"]),
            options=JobOptions(
                column_map={str(k): str(v) for k, v in opts["column_map"].items()},
                threshold=None if opts["threshold"] is None else float(opts["threshold"]),
                model_path=str(opts["model_path"]),
                label=str(opts["label"]),
            ),
            submitted_at=float(data["submitted_at"]),
            path=str(data["path"]),
            input_file=str(data["input_file"]),
            model_file=str(data["model_file"]),
            input_root=str(data["input_root"]),
            records_received=int(data["records_received"]),
            stage=str(data["stage"]),
            progress=float(data["progress"]),
            progress_message=str(data["progress_message"]),
            summary=data["summary"],
            error=str(data["error"]),
            error_field=str(data["error_field"]),
            started_at=None if data["started_at"] is None else float(data["started_at"]),
            finished_at=None if data["finished_at"] is None else float(data["finished_at"]),
        )


@dataclass(frozen=True)
class ResultRows:
    """Rows of one result file: how many in all (after the filter), the first one's index, the batches."""

    total: int
    first_row: int
    batches: Iterator[pa.RecordBatch]


# event ("submitted", "progress" or "finished"), source, state, progress: for metrics.
JobObserver = Callable[[str, str, str, float], None]


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``path`` so that a reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_job(job_dir: Path, job: Job) -> None:
    """Replace ``job_dir/job.json`` atomically; :class:`JobFileError` naming the path if it cannot."""
    try:
        _write_json(job_dir / "job.json", job.to_json())
    except OSError as exc:
        raise JobFileError(f"{job_dir / 'job.json'}: cannot write: {exc.strerror}") from exc


def read_job(job_dir: Path) -> Job:
    """The job of ``job_dir`` (FileNotFoundError if it has none; JobFileError if unreadable)."""
    path = job_dir / "job.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Job.from_json(data)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise JobFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise JobFileError(f"{path}: not a dedup job file ({type(exc).__name__})") from exc


@dataclass
class _Child:
    """A job running in a child process of this worker."""

    proc: subprocess.Popen[bytes]
    lock_fd: int
    job_dir: Path
    killed_for_cancel: bool = False


class DedupJobs:
    """The dedup jobs of one data folder: submit, follow, cancel, read results; and run them.

    Every worker process has one; :meth:`start` begins its scheduler thread, :meth:`stop` ends
    it and the jobs its children were running (they end FAILED "interrupted").
    """

    def __init__(
        self,
        jobs_dir: Path,
        input_dir: Path,
        *,
        max_running: int = 1,
        max_queued: int = 8,
        max_stream_records: int = 10_000_000,
        observe: JobObserver | None = None,
        poll_seconds: float = 0.25,
        heartbeat_seconds: float = 10.0,
        cancel_grace: float = 30.0,
        max_long_calls: int = 4,
        max_queued_per_caller: int | None = None,
        retention_seconds: float = 7 * 86400.0,
        min_free_bytes: int = 1 << 30,
        python: str = sys.executable,
    ) -> None:
        self._dir = Path(jobs_dir)
        self._input = Path(input_dir)
        self._max_running = max_running
        self._max_queued = max_queued
        self._max_stream_records = max_stream_records
        self._observe_fn = observe
        self._poll = poll_seconds
        self._heartbeat = heartbeat_seconds
        self._cancel_grace = cancel_grace
        self._python = python
        # A caller may fill half the queue (at least one job): another still finds room.
        self._max_per_caller = max_queued_per_caller or max(1, max_queued // 2)
        self._retention = retention_seconds  # 0: finished jobs are kept until DeleteJob
        self._min_free = min_free_bytes
        self._swept_at = -math.inf
        for folder in (self._dir, self._dir / "queue", self._dir / "running", self._input):
            folder.mkdir(parents=True, exist_ok=True)
        self._children: dict[str, _Child] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # A watch or a records upload holds a gRPC handler thread for minutes: a few at most per
        # worker, so that they can never take every thread from the authentications.
        self._long_calls = threading.BoundedSemaphore(max_long_calls)

    @property
    def input_dir(self) -> Path:
        return self._input

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Repair the indexes from the job files, fail the jobs that lost their process, and run."""
        with self._locked():
            self._rebuild_indexes()
            self._recover_orphans()
        self._sweep()
        self._thread = threading.Thread(target=self._loop, name="dedup-jobs", daemon=True)
        self._thread.start()

    def stop(self, grace: float = 5.0) -> None:
        """Stop scheduling, end watches, and stop this worker's running jobs (FAILED "interrupted")."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30.0)
        children = list(self._children.items())
        for _, child in children:
            with contextlib.suppress(ProcessLookupError):
                child.proc.terminate()
        deadline = time.monotonic() + max(0.0, min(grace, 5.0))
        for job_id, child in children:
            try:
                code = child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                code = child.proc.wait()
            self._finish_child(job_id, child, code, interrupted=True)

    # -- submitting --------------------------------------------------------------------------

    def submit_file(self, owner: str, path: str, options: JobOptions) -> Job:
        """Queue a job over a file of the input folder; INVALID_ARGUMENT on "path" if it is not one."""
        options, model_file = self._check_options(owner, options, streamed=False)
        input_file, shown = self._resolve(owner, path, "path")
        job = Job(
            job_id=uuid.uuid4().hex,
            owner=owner,
            source="file",
            state=JobState.QUEUED,
            options=options,
            submitted_at=time.time(),
            path=shown,
            input_file=str(input_file),
            model_file=model_file,
            input_root=str(self._caller_root(owner)),
        )
        with self._locked():
            self._check_room(owner)
            job_dir = self._dir / job.job_id
            job_dir.mkdir(mode=0o700)  # its results name the records
            write_job(job_dir, job)
            self._enqueue(job)
        return self._queued(job)

    def submit_records(self, owner: str, options: JobOptions, batches: Iterable[Mapping[str, Sequence[Any]]]) -> Job:
        """Queue a job over streamed records: ``batches`` of columns in :data:`REGISTER_COLUMNS`.

        The records are written to a staging folder first; the job exists only once every batch
        is in, so a stream that fails part-way leaves nothing behind.
        """
        options, model_file = self._check_options(owner, options, streamed=True)
        with self._locked():
            self._check_room(owner)  # fail fast, before the records are received
        self._check_disk()
        with self._long_call():
            return self._receive(owner, options, model_file, batches)

    def _receive(
        self, owner: str, options: JobOptions, model_file: str, batches: Iterable[Mapping[str, Sequence[Any]]]
    ) -> Job:
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self._dir))
        receiving = try_lock(staging / "receiving.lock")
        writer: pq.ParquetWriter | None = None
        job_id = uuid.uuid4().hex
        job_dir = self._dir / job_id
        try:
            count = 0
            for columns in batches:
                if self._stopping.is_set():
                    raise ServerStopping("the server is stopping: send the records again")
                self._check_disk()
                table = pa.Table.from_pydict(dict(columns), schema=RECORDS_SCHEMA)
                count += table.num_rows
                if count > self._max_stream_records:
                    limit = self._max_stream_records
                    raise InvalidField(
                        "records", f"a stream may send at most {limit} records (HAWIYA_DEDUP_MAX_STREAM_RECORDS)"
                    )
                if writer is None:
                    writer = pq.ParquetWriter(staging / "records.parquet", RECORDS_SCHEMA)
                writer.write_table(table)
            if writer is None:
                raise InvalidField("records", "no records were sent: send options, then chunks of records")
            writer.close()
            writer = None
            job = Job(
                job_id=job_id,
                owner=owner,
                source="records",
                state=JobState.QUEUED,
                options=options,
                submitted_at=time.time(),
                input_file=str(job_dir / "records.parquet"),
                model_file=model_file,
                input_root=str(self._caller_root(owner)),
                records_received=count,
            )
            with self._locked():
                self._check_room(owner)
                write_job(staging, job)
                (staging / "receiving.lock").unlink()
                os.rename(staging, job_dir)
                self._enqueue(job)
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.close()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            if receiving is not None:
                os.close(receiving)
        return self._queued(job)

    # -- reading -----------------------------------------------------------------------------

    def get(self, owner: str, job_id: str) -> Job:
        """The job, if ``owner`` submitted it; NOT_FOUND otherwise (an unknown id alike)."""
        job_dir = self._job_dir(job_id)
        try:
            job = read_job(job_dir)
        except FileNotFoundError:
            raise JobNotFound(f"no dedup job {job_id}") from None
        if job.owner != owner:
            raise JobNotFound(f"no dedup job {job_id}")
        return self._with_cancel(job_dir, job)

    def list_jobs(
        self, owner: str, state: JobState | None = None, page_size: int = 0, page_token: str = ""
    ) -> tuple[list[Job], str]:
        """``owner``'s jobs, the most recently submitted first; and the next page's token ("" at the end)."""
        if page_size < 0:
            raise InvalidField("page_size", "must be 0 (default) or more")
        size = min(page_size or _DEFAULT_PAGE, _MAX_PAGE)
        if page_token and not _JOB_ID.fullmatch(page_token):
            raise InvalidField("page_token", "is not a token this service returned")
        jobs = []
        for job in self._all_jobs(warn=True):
            if job.owner == owner and (state is None or job.state is state):
                jobs.append(job)
        jobs.sort(key=lambda j: (j.submitted_at, j.job_id), reverse=True)
        start = 0
        if page_token:
            ids = [j.job_id for j in jobs]
            if page_token not in ids:
                raise InvalidField("page_token", "is not a token this service returned (or its job is gone)")
            start = ids.index(page_token) + 1
        page = jobs[start : start + size]
        more = start + size < len(jobs)
        return [self._with_cancel(self._dir / j.job_id, j) for j in page], page[-1].job_id if more and page else ""

    def watch(self, owner: str, job_id: str, active: Callable[[], bool] = lambda: True) -> Iterator[Job]:
        """The job now, then at every change (and every ``heartbeat_seconds``), until it ends.

        Ends early, without a final state, when ``active()`` turns false (the caller went away);
        raises :class:`ServerStopping` when the server stops.
        """
        job = self.get(owner, job_id)
        if job.state.final:
            yield job
            return
        with self._long_call():
            yield job
            sent_key, sent_at = _watch_key(job), time.monotonic()
            while not job.state.final:
                if self._stopping.wait(self._poll):
                    raise ServerStopping("the server is stopping: watch the job again")
                if not active():
                    return
                job = self.get(owner, job_id)
                key = _watch_key(job)
                if key != sent_key or job.state.final or time.monotonic() - sent_at >= self._heartbeat:
                    yield job
                    sent_key, sent_at = key, time.monotonic()

    def cancel(self, owner: str, job_id: str) -> Job:
        """Cancel a queued job now, or ask a running one to stop; FAILED_PRECONDITION once it has ended."""
        job_dir = self._job_dir(job_id)
        finished = None
        with self._locked():
            job = self.get(owner, job_id)
            if job.state is JobState.QUEUED:
                finished = replace(job, state=JobState.CANCELLED, finished_at=time.time())
                write_job(job_dir, finished)
                self._unqueue(job)
                _drop_input(job_dir)
            elif job.state is JobState.RUNNING:
                # Only if absent: its age is how long the job has had to stop (then it is killed),
                # which a repeated CancelJob must not reset.
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(job_dir / "cancel", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            elif job.state is not JobState.CANCELLED:
                raise JobStateConflict("job_id", f"the job has already ended ({job.state.value.upper()})")
        if finished is not None:
            log.info("dedup job %s cancelled in the queue", job_id)
            self._observe("finished", finished)
        return self.get(owner, job_id)

    def results(
        self, owner: str, job_id: str, kind: str, chunk_rows: int = 0, start_row: int = 0, matches_only: bool = False
    ) -> ResultRows:
        """The rows of a SUCCEEDED job's pairs or clusters, in batches of at most ``chunk_rows``."""
        if kind not in RESULT_KINDS:
            raise InvalidField("kind", "must be PAIRS or CLUSTERS")
        if not 0 <= chunk_rows <= _MAX_CHUNK_ROWS:
            raise InvalidField("chunk_rows", f"must be 0 (for {_DEFAULT_CHUNK_ROWS}) to {_MAX_CHUNK_ROWS}")
        if start_row < 0:
            raise InvalidField("start_row", "must be 0 or more")
        if matches_only and kind != "pairs":
            raise InvalidField("matches_only", "applies to PAIRS only")
        job = self.get(owner, job_id)
        if job.state is not JobState.SUCCEEDED:
            raise JobStateConflict(
                "job_id", f"the job is {job.state.value.upper()}: results can be read once it has SUCCEEDED"
            )
        path = self._dir / job_id / "output" / RESULT_KINDS[kind]
        try:
            table_file = pq.ParquetFile(path)
            total = (
                int(pq.read_table(path, columns=["match"]).column("match").to_numpy(zero_copy_only=False).sum())
                if matches_only
                else table_file.metadata.num_rows
            )
        except (OSError, pa.ArrowException) as exc:
            raise JobFileError(f"{path}: cannot read ({type(exc).__name__})") from exc
        size = chunk_rows or _DEFAULT_CHUNK_ROWS
        batches = self._held(_batches(table_file, size, start_row, matches_only))
        return ResultRows(total, min(start_row, total), batches)

    def delete(self, owner: str, job_id: str) -> None:
        """Remove a job that has ended, with its results; FAILED_PRECONDITION while it is queued or running."""
        job_dir = self._job_dir(job_id)
        trash = self._dir / f".deleting-{job_id}"
        with self._locked():
            job = self.get(owner, job_id)
            if not job.state.final:
                raise JobStateConflict(
                    "job_id", f"the job is {job.state.value.upper()}: cancel it, then delete it once it has ended"
                )
            os.rename(job_dir, trash)  # gone for every worker at once; the files go after the lock
        shutil.rmtree(trash, ignore_errors=True)
        log.info("dedup job %s deleted", job_id)

    # -- helpers of the calls ----------------------------------------------------------------

    def _job_dir(self, job_id: str) -> Path:
        if not _JOB_ID.fullmatch(job_id):
            raise InvalidField("job_id", "must be 32 lowercase hex digits, as SubmitJob returned it")
        return self._dir / job_id

    @staticmethod
    def _with_cancel(job_dir: Path, job: Job) -> Job:
        if job.state is JobState.RUNNING and (job_dir / "cancel").exists():
            return replace(job, cancel_requested=True)
        return job

    def _queued(self, job: Job) -> Job:
        log.info("dedup job %s queued (%s)", job.job_id, job.source)
        self._observe("submitted", job)
        self._wake.set()
        return job

    def _check_options(self, owner: str, options: JobOptions, *, streamed: bool) -> tuple[JobOptions, str]:
        """The options checked, with the model path made relative; and the model's server path."""
        mapping = dict(options.column_map)
        if streamed and mapping:
            raise InvalidField("options.column_map", "must be empty: streamed records are in the register layout")
        if len(mapping) > _MAX_COLUMN_MAP:
            raise InvalidField("options.column_map", f"at most {_MAX_COLUMN_MAP} columns")
        for source, target in mapping.items():
            for name in (source, target):
                if not 1 <= len(name) <= _MAX_NAME or not name.isprintable():
                    raise InvalidField("options.column_map", f"column names are 1 to {_MAX_NAME} printable characters")
        unknown = sorted(t for t in mapping.values() if t not in _MAP_TARGETS)
        if unknown:
            raise InvalidField(
                "options.column_map",
                f"{unknown[0]!r} is not a register column (the targets are {', '.join(sorted(_MAP_TARGETS))})",
            )
        if len(set(mapping.values())) != len(mapping):
            raise InvalidField("options.column_map", "two columns are renamed to the same one")
        threshold = options.threshold
        if threshold is not None and (math.isnan(threshold) or not 0.0 <= threshold <= 1.0):
            raise InvalidField("options.threshold", "must be in (0, 1], or 0 for the default")
        if len(options.label) > _MAX_LABEL or not options.label.isprintable():
            raise InvalidField("options.label", f"at most {_MAX_LABEL} printable characters")
        model_file, model_path = "", ""
        if options.model_path:
            resolved, model_path = self._resolve(owner, options.model_path, "options.model_path", suffixes=(".json",))
            model_file = str(resolved)
        checked = JobOptions(mapping, threshold or None, model_path, options.label)
        return checked, model_file

    def _caller_root(self, owner: str) -> Path:
        """The caller's own input folder, ``<input_dir>/<caller_id>`` (resolved; it need not exist)."""
        if not owner or owner in (".", "..") or Path(owner).name != owner:
            raise InvalidField("path", "this caller has no dedup input folder")  # caller ids never are
        return self._input.resolve() / owner

    def _resolve(
        self, owner: str, raw: str, field: str, suffixes: tuple[str, ...] = INPUT_SUFFIXES
    ) -> tuple[Path, str]:
        """A file inside the caller's input folder: its resolved path and its path relative to the folder.

        Symbolic links are followed before the check, so none can lead outside. Whether a path
        outside exists is never told, nor why a path cannot be looked at (too long, a link loop,
        a folder the server may not read): all are "no such file".
        """
        if not raw:
            raise InvalidField(field, "required: a file in your folder of the dedup input folder")
        if len(raw) > _MAX_PATH or "\x00" in raw:
            raise InvalidField(field, f"must be a path of at most {_MAX_PATH} characters")
        root = self._caller_root(owner)
        candidate = Path(raw)
        no_such_file = InvalidField(field, "no such file in your folder of the dedup input folder")
        try:
            resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
            if not resolved.is_relative_to(root) or resolved == root:
                raise InvalidField(field, "must be a file inside your folder of the dedup input folder")
            if not resolved.is_file():
                raise no_such_file
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
            raise no_such_file from exc
        if resolved.suffix.lower() not in suffixes:
            raise InvalidField(field, f"must be a {' or '.join(suffixes)} file")
        return resolved, str(resolved.relative_to(root))

    def _check_room(self, owner: str) -> None:
        """Under the lock: refuse a job when the queue is full, or holds the caller's share of it."""
        entries = os.listdir(self._dir / "queue")
        if len(entries) >= self._max_queued:
            raise JobLimitReached(
                f"{self._max_queued} dedup jobs are already waiting (HAWIYA_DEDUP_MAX_QUEUED): try again later"
            )
        mine = 0
        for entry in entries:
            with contextlib.suppress(FileNotFoundError, JobFileError):
                mine += read_job(self._dir / entry.partition("-")[2]).owner == owner
        if mine >= self._max_per_caller:
            raise JobLimitReached(
                f"{mine} of your dedup jobs are already waiting (at most {self._max_per_caller}, half of"
                " HAWIYA_DEDUP_MAX_QUEUED): try again once one has started"
            )

    def _check_disk(self) -> None:
        """Refuse streamed records when the jobs folder's disk is nearly full."""
        try:
            free = shutil.disk_usage(self._dir).free
        except OSError as exc:
            raise JobFileError(f"{self._dir}: cannot read the free disk space ({exc.strerror})") from exc
        if free < self._min_free:
            raise JobLimitReached(
                "the server's disk for dedup jobs is nearly full (HAWIYA_DEDUP_MIN_FREE_MB): try again later"
            )

    def _enqueue(self, job: Job) -> None:
        (self._dir / "queue" / f"{int(job.submitted_at * 1e9):020d}-{job.job_id}").touch()

    def _unqueue(self, job: Job) -> None:
        for entry in (self._dir / "queue").glob(f"*-{job.job_id}"):
            entry.unlink(missing_ok=True)

    def _held(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """``batches`` read while holding a long-call slot (taken at the first batch, freed when closed)."""
        with self._long_call():
            yield from batches

    @contextlib.contextmanager
    def _long_call(self) -> Iterator[None]:
        if not self._long_calls.acquire(blocking=False):
            raise JobLimitReached(
                "too many dedup watches, uploads and result reads are open on this worker: try again later"
            )
        try:
            yield
        finally:
            self._long_calls.release()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The jobs folder's lock: one holder at a time over every thread of every worker."""
        fd = os.open(self._dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _observe(self, event: str, job: Job) -> None:
        if self._observe_fn is not None:
            try:
                self._observe_fn(event, job.source, job.state.value, job.progress)
            except Exception:  # metrics must never break a job
                log.exception("dedup job observer failed")

    # -- the scheduler -----------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:  # the scheduler must outlive any one bad job folder
                log.exception("dedup job scheduler: tick failed")
            self._wake.wait(self._poll)
            self._wake.clear()

    def _tick(self) -> None:
        self._watch_children()
        with self._locked():
            self._recover_orphans()
            self._remove_stale_incoming()
            while not self._stopping.is_set() and self._claim_one():
                pass
        if time.monotonic() - self._swept_at >= _SWEEP_SECONDS:
            self._sweep()

    def _sweep(self) -> None:
        """Remove the jobs that ended more than ``retention_seconds`` ago, and what deletions left behind."""
        self._swept_at = time.monotonic()
        for leftover in self._dir.glob(".deleting-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if not self._retention:
            return
        expired = []
        with self._locked():
            now = time.time()
            for job in self._all_jobs():
                if job.state.final and job.finished_at is not None and now - job.finished_at > self._retention:
                    trash = self._dir / f".deleting-{job.job_id}"
                    try:
                        os.rename(self._dir / job.job_id, trash)
                    except OSError:
                        log.exception("dedup job %s: cannot remove it after the retention period", job.job_id)
                        continue
                    expired.append(trash)
        for trash in expired:
            shutil.rmtree(trash, ignore_errors=True)
        if expired:
            log.info("dedup jobs: %d removed after the retention period", len(expired))

    def _watch_children(self) -> None:
        for job_id, child in list(self._children.items()):
            code = child.proc.poll()
            if code is not None:
                self._finish_child(job_id, child, code)
                continue
            marker = child.job_dir / "cancel"
            with contextlib.suppress(FileNotFoundError):
                if not child.killed_for_cancel and time.time() - marker.stat().st_mtime > self._cancel_grace:
                    log.warning(
                        "dedup job %s did not stop within %.0f s of its cancel: killed", job_id, self._cancel_grace
                    )
                    child.killed_for_cancel = True
                    child.proc.kill()
            with contextlib.suppress(FileNotFoundError, JobFileError):
                self._observe("progress", read_job(child.job_dir))

    def _finish_child(self, job_id: str, child: _Child, code: int, *, interrupted: bool = False) -> None:
        """After this worker's child has ended: make sure the job has a final state, release it."""
        job: Job | None = None
        with self._locked():
            try:
                job = read_job(child.job_dir)
                if not job.state.final:
                    if interrupted:
                        state, error = JobState.FAILED, INTERRUPTED
                    elif (child.job_dir / "cancel").exists():
                        state, error = JobState.CANCELLED, ""
                    elif code < 0:
                        error = f"the job process was killed (signal {-code}; out of memory?)"
                        state = JobState.FAILED
                    else:
                        state, error = JobState.FAILED, f"the job process ended unexpectedly (exit code {code})"
                    job = replace(job, state=state, error=error, finished_at=time.time())
                    write_job(child.job_dir, job)
            except (FileNotFoundError, JobFileError):
                log.exception("dedup job %s: cannot record its end", job_id)
            finally:
                _drop_input(child.job_dir)
                (self._dir / "running" / job_id).unlink(missing_ok=True)
                os.close(child.lock_fd)
                self._children.pop(job_id, None)
        if job is not None:
            log.info("dedup job %s ended %s", job_id, job.state.value.upper())
            self._observe("finished", job)

    def _claim_one(self) -> bool:
        """Under the lock: start the oldest queued job if a slot is free; False when nothing was started.

        A queue entry goes only once its job has left QUEUED: a start that fails part-way (the job
        file cannot be written) leaves the job queued for the next tick.
        """
        if len(os.listdir(self._dir / "running")) >= self._max_running:
            return False
        for entry in sorted(os.listdir(self._dir / "queue")):
            job_id = entry.partition("-")[2]
            queued = self._dir / "queue" / entry
            try:
                if not _JOB_ID.fullmatch(job_id):
                    raise FileNotFoundError(entry)
                job = read_job(self._dir / job_id)
            except (FileNotFoundError, JobFileError) as exc:
                log.warning("dedup job %s dropped from the queue: %s", job_id, type(exc).__name__)
                queued.unlink(missing_ok=True)
                continue
            if job.state is not JobState.QUEUED:
                queued.unlink(missing_ok=True)
                continue
            if self._start(job, self._dir / job_id):
                queued.unlink(missing_ok=True)
                return True
        return False

    def _start(self, job: Job, job_dir: Path) -> bool:
        """Under the lock: run ``job`` in a child process. True once it has left QUEUED (running, or
        FAILED because no process could be started); False if it is still queued."""
        lock_fd = try_lock(job_dir / "run.lock")
        if lock_fd is None:  # cannot happen for a queued job; leave it to the orphan check
            log.error("dedup job %s: run.lock is held by another process", job.job_id)
            return False
        running = self._dir / "running" / job.job_id
        claimed = started = False  # claimed: job.json says RUNNING
        try:
            running.touch()
            job = replace(job, state=JobState.RUNNING, started_at=time.time(), stage="", progress=0.0)
            write_job(job_dir, job)
            claimed = True
            try:
                proc = subprocess.Popen(
                    [
                        self._python,
                        "-P",  # sys.path without the working folder: nothing of the job's folder is imported
                        "-m",
                        "server.dedup_child",
                        str(job_dir),
                        str(os.getpid()),  # the child cannot ask: we may be gone before it starts
                        logging.getLevelName(log.getEffectiveLevel()),
                    ],
                    pass_fds=(lock_fd,),  # the child holds the run lock with us, until it ends
                    env=child_environment(os.environ),
                    cwd=job_dir,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # a terminal's Ctrl-C goes to the server, which stops the job
                )
            except OSError as exc:
                failed = replace(
                    job,
                    state=JobState.FAILED,
                    error=f"cannot start the job process ({exc.strerror})",
                    finished_at=time.time(),
                )
                write_job(job_dir, failed)
                claimed = False
                _drop_input(job_dir)
                self._observe("finished", failed)
                return True
            self._children[job.job_id] = _Child(proc, lock_fd, job_dir)
            started = True
        except (OSError, JobFileError):
            # Not claimed: it stays queued. Claimed: RUNNING without a process, and with its
            # running entry and a free run lock, which the orphan check turns FAILED.
            log.exception("dedup job %s: cannot start it", job.job_id)
            return claimed
        finally:
            if not started:
                os.close(lock_fd)
                if not claimed:
                    running.unlink(missing_ok=True)
        log.info("dedup job %s started (process %d)", job.job_id, proc.pid)
        self._observe("progress", job)
        return True

    def _recover_orphans(self) -> None:
        """Under the lock: a RUNNING job whose run lock nobody holds lost its process: FAILED "interrupted"."""
        for job_id in os.listdir(self._dir / "running"):
            if job_id in self._children or not _JOB_ID.fullmatch(job_id):
                continue
            job_dir = self._dir / job_id
            if not job_dir.is_dir():
                (self._dir / "running" / job_id).unlink(missing_ok=True)
                continue
            fd = try_lock(job_dir / "run.lock")
            if fd is None:
                continue  # its process lives (in another worker)
            try:
                job = read_job(job_dir)
                if not job.state.final:
                    job = replace(job, state=JobState.FAILED, error=INTERRUPTED, finished_at=time.time())
                    write_job(job_dir, job)
                    log.warning("dedup job %s lost its process: FAILED (interrupted)", job_id)
                    self._observe("finished", job)
            except (FileNotFoundError, JobFileError):
                log.exception("dedup job %s: cannot recover", job_id)
            finally:
                _drop_input(job_dir)
                os.close(fd)
                (self._dir / "running" / job_id).unlink(missing_ok=True)

    def _all_jobs(self, *, warn: bool = False) -> Iterator[Job]:
        """Every job folder's job, in no order; a folder without a readable job file is skipped."""
        for entry in self._dir.iterdir():
            if not _JOB_ID.fullmatch(entry.name):
                continue
            try:
                yield read_job(entry)
            except (FileNotFoundError, JobFileError) as exc:
                if warn:
                    log.warning("dedup job folder %s skipped: %s", entry.name, type(exc).__name__)

    def _rebuild_indexes(self) -> None:
        """Under the lock: the queue and running indexes agree with the job files (after a crash)."""
        queued = {e.partition("-")[2] for e in os.listdir(self._dir / "queue")}
        running = set(os.listdir(self._dir / "running"))
        for job in self._all_jobs():
            if job.state is JobState.QUEUED and job.job_id not in queued:
                self._enqueue(job)
            elif job.state is JobState.RUNNING and job.job_id not in running:
                (self._dir / "running" / job.job_id).touch()

    def _remove_stale_incoming(self) -> None:
        """Streams that died with their worker left an .incoming-* folder nobody holds: remove it."""
        for entry in self._dir.glob(".incoming-*"):
            with contextlib.suppress(FileNotFoundError):
                if time.time() - entry.stat().st_mtime < _INCOMING_GRACE:
                    continue
                fd = try_lock(entry / "receiving.lock")
                if fd is not None:
                    os.close(fd)
                    shutil.rmtree(entry, ignore_errors=True)


def _watch_key(job: Job) -> tuple[object, ...]:
    return (job.state, job.stage, round(job.progress, 3), job.progress_message, job.cancel_requested)


def _batches(table_file: pq.ParquetFile, size: int, start_row: int, matches_only: bool) -> Iterator[pa.RecordBatch]:
    """The rows from ``start_row`` on, in batches of exactly ``size`` rows (the last one fewer).

    With ``matches_only`` the file's batches shrink when filtered: they are joined again.
    """
    skip = start_row
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in table_file.iter_batches(batch_size=size):
        if matches_only:
            batch = batch.filter(batch.column("match"))
        if skip >= batch.num_rows:
            skip -= batch.num_rows
            continue
        if skip:
            batch = batch.slice(skip)
            skip = 0
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= size:
            table = pa.Table.from_batches(pending)
            yield from table.slice(0, size).combine_chunks().to_batches()
            rest = table.slice(size)
            pending = rest.combine_chunks().to_batches() if rest.num_rows else []
            pending_rows = rest.num_rows
    if pending_rows:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def _drop_input(job_dir: Path) -> None:
    """A job that has ended needs its streamed records no more (its results name the record ids)."""
    with contextlib.suppress(OSError):
        (job_dir / "records.parquet").unlink(missing_ok=True)


# Environment variables a job's process is given (names, or prefixes ending in "_"): where programs
# and libraries are, the locale, temporary files, and the thread caps of its libraries. Nothing else:
# not the database or Redis URLs, not the IDCS hash key, nor anything of HAWIYA_*.
_CHILD_ENVIRONMENT: Final = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_",
    "TZ",
    "TMPDIR",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "NUMBA_",
    "OMP_",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "ARROW_NUM_THREADS",
    "POLARS_MAX_THREADS",
)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a job's process: the allowed variables of ``environ`` only."""
    return {
        name: value
        for name, value in environ.items()
        if any(name.startswith(a) if a.endswith("_") else name == a for a in _CHILD_ENVIRONMENT)
    }
