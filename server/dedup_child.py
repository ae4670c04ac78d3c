"""The process that runs one dedup job: ``python -P -m server.dedup_child JOB_DIR PARENT_PID [LOG_LEVEL]``.

Started by :class:`server.dedup_jobs.DedupJobs` (which holds the job's run lock with it), with a
minimal environment: no database or Redis URL, no hash key. It runs :func:`dedup.engine.run_dedup`
over the job's input, writes the progress and the final state to ``job.json``, honours the cancel
marker at the engine's checkpoints, and ends the job FAILED "interrupted" when its server is gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from server.dedup_jobs import INTERRUPTED, Job, JobState, read_job, write_job

__all__ = ["main"]

log = logging.getLogger(__name__)

_NICENESS: Final = 10  # the child yields the CPU to the server's handlers
_SUMMARY_KEYS: Final = (
    "records",
    "candidate_pairs",
    "written_pairs",
    "matched_pairs",
    "clusters",
    "duplicate_clusters",
    "duplicate_records",
    "duplicate_rate",
    "refused_links",
    "threshold",
    "row_problems",
    "row_problems_by_column",
    "seconds",
    "total_seconds",
)


class _Reporter:
    """The engine's progress callback: writes the job file, at most every ``interval`` seconds per stage."""

    def __init__(self, job_dir: Path, job: Job, interval: float = 0.2) -> None:
        self._dir = job_dir
        self.job = job
        self._interval = interval
        self._written = 0.0

    def __call__(self, progress: Any) -> None:
        stage = str(progress.stage)
        fraction = min(1.0, max(self.job.progress, float(progress.fraction)))
        changed = stage != self.job.stage
        self.job = replace(self.job, stage=stage, progress=fraction, progress_message=str(progress.message)[:200])
        now = time.monotonic()
        if changed or now - self._written >= self._interval:
            write_job(self._dir, self.job)
            self._written = now

    def finish(self, **changes: Any) -> Job:
        self.job = replace(self.job, finished_at=time.time(), **changes)
        write_job(self._dir, self.job)
        return self.job


def _public(message: str, job: Job, job_dir: Path) -> str:
    """An engine message with the server's folders left out (paths shown as the caller knows them)."""
    for prefix in (job.input_root, str(job_dir)):
        if prefix:
            message = message.replace(prefix.rstrip("/") + "/", "")
    return message[:1000]


def _run(job_dir: Path, parent: int) -> int:
    """Run the job of ``job_dir`` to its final state (this process holds its run lock).

    ``parent`` is the server worker that started it: when it is gone, so is the job.
    """
    with contextlib.suppress(OSError):
        os.nice(_NICENESS)
    job = read_job(job_dir)
    reporter = _Reporter(job_dir, job)
    cancel, done = threading.Event(), threading.Event()

    def watch() -> None:
        marker = job_dir / "cancel"
        while not done.wait(0.2):
            if os.getppid() != parent:
                # The server died: nobody would read the result, and the engine may not reach a
                # checkpoint for minutes. Record the end and stop now (which frees the run lock).
                with contextlib.suppress(Exception):
                    write_job(
                        job_dir,
                        replace(reporter.job, state=JobState.FAILED, error=INTERRUPTED, finished_at=time.time()),
                    )
                os._exit(1)
            if marker.exists():
                cancel.set()

    threading.Thread(target=watch, name="cancel-watch", daemon=True).start()
    root = Path(job.input_root).resolve()
    for name, file in (("input", job.input_file), ("model", job.model_file)):
        if file and job.source == "file" and not Path(file).resolve().is_relative_to(root):
            reporter.finish(state=JobState.FAILED, error=f"{name}: the file is no longer inside the dedup input folder")
            return 0

    from dedup.engine import DedupOptions, run_dedup
    from dedup.errors import DedupCancelled, DedupError

    options = DedupOptions(
        column_map=dict(job.options.column_map),
        model_path=job.model_file or None,
        threshold=job.options.threshold,
    )
    try:
        summary = run_dedup(job.input_file, job_dir / "output", options, progress=reporter, cancel=cancel)
    except DedupCancelled:
        reporter.finish(state=JobState.CANCELLED)
    except DedupError as exc:
        where = getattr(exc, "field", None) or getattr(exc, "column", None) or ""
        reporter.finish(state=JobState.FAILED, error=_public(str(exc), job, job_dir), error_field=str(where))
    except MemoryError:
        reporter.finish(state=JobState.FAILED, error="the job ran out of memory")
    except Exception as exc:
        # The message could quote a value: only the type goes to the job, the frames to the log.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("dedup job %s failed (%s)\n%s", job.job_id, type(exc).__name__, frames)
        reporter.finish(state=JobState.FAILED, error=f"internal error ({type(exc).__name__}); see the server log")
    else:
        data = summary.to_dict()
        reporter.finish(
            state=JobState.SUCCEEDED,
            progress=1.0,
            summary={k: data[k] for k in _SUMMARY_KEYS if k in data},
        )
    finally:
        done.set()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3) or not args[1].isdigit():
        print("usage: python -P -m server.dedup_child JOB_DIR PARENT_PID [LOG_LEVEL]", file=sys.stderr)
        return 2
    level = args[2] if len(args) == 3 and args[2] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "WARNING"
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s pid=%(process)d dedup-job %(name)s: %(message)s")
    logging.getLogger("faiss").setLevel(logging.WARNING)  # which CPU build it loads, at every start
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when a job stops
    return _run(Path(args[0]), int(args[1]))


if __name__ == "__main__":
    sys.exit(main())
