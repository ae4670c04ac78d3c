"""The dedup job manager: real jobs in real child processes over small synthetic files.

Jobs that must stay queued are submitted to a manager whose scheduler was never started; the
others run the real engine (a couple of seconds each, mostly the child's imports), or a stub
child process where the test is about the process, not the matching (one that waits for its
cancel, one deaf to it, one that reports what it was given).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from server import dedup_jobs
from server.dedup_jobs import (
    INTERRUPTED,
    REGISTER_COLUMNS,
    DedupJobs,
    Job,
    JobOptions,
    JobState,
    write_job,
)
from server.errors import InvalidField, JobFileError, JobLimitReached, JobNotFound, JobStateConflict
from server.workers import try_lock
from synthetic import generate, write_population

RECORDS = 1500
OWNER = "rsu-quality"


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    records, _ = generate(RECORDS, seed=11, duplicate_rate=0.1)
    return records


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, float]] = []

    def __call__(self, event: str, source: str, state: str, progress: float) -> None:
        self.seen.append((event, source, state, progress))


def _manager(tmp: Path, events: Events | None = None, **kwargs: Any) -> DedupJobs:
    return DedupJobs(tmp / "jobs", tmp / "input", observe=events, poll_seconds=0.05, **kwargs)


def _input(tmp: Path, people: pd.DataFrame, name: str = "people.parquet", owner: str = OWNER) -> str:
    """A file of ``owner``'s input folder, ``input/<owner>/``; its name as the caller gives it."""
    (tmp / "input" / owner).mkdir(parents=True, exist_ok=True)
    write_population(tmp / "input" / owner / name, people)
    return name


def _tiny(tmp: Path, owner: str = OWNER) -> str:
    """A one-record input file, for jobs that never reach the engine."""
    (tmp / "input" / owner).mkdir(parents=True, exist_ok=True)
    (tmp / "input" / owner / "tiny.csv").write_text("record_id\nr1\n", encoding="utf-8")
    return "tiny.csv"


_STUB = """#!{python}
import json, os, signal, sys, time
job_dir = sys.argv[-3]  # as the manager calls "python -P -m server.dedup_child JOB_DIR PID LEVEL"
seen = {{"pid": os.getpid(), "argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd()}}
with open(os.path.join(job_dir, ".stub.json"), "w") as out:
    json.dump(seen, out)
os.replace(os.path.join(job_dir, ".stub.json"), os.path.join(job_dir, "stub.json"))
mode = {mode!r}
if mode == "deaf":  # ignores its cancel, and SIGTERM: only a kill ends it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(60)
if mode == "obedient":  # never ends on its own: only once cancelled
    while not os.path.exists(os.path.join(job_dir, "cancel")):
        time.sleep(0.02)
    sys.exit(0)
sys.exit(3)
"""


def _stub(tmp: Path, mode: str) -> str:
    """A stand-in for the job's Python: ``mode`` "deaf", "obedient" or "exit" (at once, code 3)."""
    path = tmp / f"stub-{mode}"
    path.write_text(_STUB.format(python=sys.executable, mode=mode), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _stub_seen(tmp: Path, job_id: str) -> dict[str, Any]:
    """What the stub child was given, once it has started."""
    path = tmp / "jobs" / job_id / "stub.json"
    _until(path.exists)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """The scheduler reaps a child a moment after the child wrote its final state."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _wait(jobs: DedupJobs, job_id: str, owner: str = OWNER) -> list[Job]:
    seen = list(jobs.watch(owner, job_id))
    assert seen[-1].state.final
    return seen


@pytest.fixture()
def running(tmp_path: Path) -> Iterator[tuple[DedupJobs, Events]]:
    events = Events()
    jobs = _manager(tmp_path, events)
    jobs.start()
    try:
        yield jobs, events
    finally:
        jobs.stop(1.0)


def test_a_job_runs_to_success_with_progress_to_one(
    tmp_path: Path, people: pd.DataFrame, running: tuple[DedupJobs, Events]
) -> None:
    jobs, events = running
    name = _input(tmp_path, people.drop(columns=["entity_id"]), "rsu.csv")
    job = jobs.submit_file(OWNER, name, JobOptions(label="test run"))
    assert job.state is JobState.QUEUED and job.path == "rsu.csv"

    seen = _wait(jobs, job.job_id)
    final = seen[-1]
    assert final.state is JobState.SUCCEEDED, final.error
    progress = [j.progress for j in seen]
    assert progress == sorted(progress) and final.progress == 1.0
    assert JobState.RUNNING in {j.state for j in seen}
    assert final.started_at is not None and final.finished_at is not None
    assert final.summary is not None and final.summary["records"] == len(people)
    assert final.summary["matched_pairs"] > 0 and final.summary["clusters"] < len(people)

    output = tmp_path / "jobs" / job.job_id / "output"
    pairs = pq.read_table(output / "pairs.parquet")
    rows = jobs.results(OWNER, job.job_id, "pairs", chunk_rows=100)
    batches = list(rows.batches)
    assert rows.total == pairs.num_rows == final.summary["written_pairs"]
    assert all(b.num_rows <= 100 for b in batches)
    assert pa.Table.from_batches(batches).equals(pairs)

    clusters = pq.read_table(output / "clusters.parquet")
    rows = jobs.results(OWNER, job.job_id, "clusters", chunk_rows=0, start_row=10)
    got = pa.Table.from_batches(list(rows.batches))
    assert rows.total == len(people) and rows.first_row == 10
    assert got.equals(clusters.slice(10))

    matches = jobs.results(OWNER, job.job_id, "pairs", matches_only=True)
    assert matches.total == final.summary["matched_pairs"]
    assert all(all(b.column("match").to_pylist()) for b in matches.batches)

    assert [e[0] for e in events.seen].count("submitted") == 1
    _until(lambda: ("finished", "file", "succeeded", 1.0) in events.seen)
    assert any(e[0] == "progress" and 0 < e[3] < 1 for e in events.seen)

    # Another caller cannot see it: the same answer as an id no job has.
    with pytest.raises(JobNotFound):
        jobs.get("other-programme", job.job_id)
    with pytest.raises(JobNotFound):
        jobs.results("other-programme", job.job_id, "pairs")
    listed, token = jobs.list_jobs(OWNER)
    assert [j.job_id for j in listed] == [job.job_id] and token == ""
    assert jobs.list_jobs("other-programme") == ([], "")
    # A finished job cannot be cancelled.
    with pytest.raises(JobStateConflict) as caught:
        jobs.cancel(OWNER, job.job_id)
    assert caught.value.field == "job_id"


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {c: frame[c].tolist() for c in REGISTER_COLUMNS}


def test_streamed_records_make_a_job(people: pd.DataFrame, running: tuple[DedupJobs, Events]) -> None:
    jobs, _ = running
    chunks = [_columns(people.iloc[i : i + 400]) for i in range(0, len(people), 400)]
    job = jobs.submit_records(OWNER, JobOptions(threshold=0.6), iter(chunks))
    assert job.source == "records" and job.records_received == len(people) and job.path == ""
    final = _wait(jobs, job.job_id)[-1]
    assert final.state is JobState.SUCCEEDED, final.error
    assert final.summary is not None and final.summary["records"] == len(people)
    assert final.summary["threshold"] == 0.6
    # The streamed records go once the job has ended (the worker reaps the child just after).
    _until(lambda: not (jobs._dir / job.job_id / "records.parquet").exists())


def test_a_stream_that_fails_leaves_nothing(tmp_path: Path, people: pd.DataFrame) -> None:
    jobs = _manager(tmp_path, max_stream_records=500)

    def chunks() -> Iterator[dict[str, list[Any]]]:
        yield _columns(people.iloc[:400])
        raise InvalidField("records.records[3].record_id", "must be 1 to 64 characters (message 2)")

    with pytest.raises(InvalidField):
        jobs.submit_records(OWNER, JobOptions(), chunks())
    with pytest.raises(InvalidField) as caught:
        jobs.submit_records(OWNER, JobOptions(), iter([_columns(people.iloc[:400])] * 2))
    assert caught.value.field == "records" and "HAWIYA_DEDUP_MAX_STREAM_RECORDS" in caught.value.problem
    with pytest.raises(InvalidField) as caught:
        jobs.submit_records(OWNER, JobOptions(), iter([]))
    assert caught.value.field == "records"
    with pytest.raises(InvalidField) as caught:
        jobs.submit_records(OWNER, JobOptions(column_map={"a": "b"}), iter([]))
    assert caught.value.field == "options.column_map"
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == [".lock", "queue", "running"]


def test_bad_input_fails_the_job_naming_the_column(
    tmp_path: Path, people: pd.DataFrame, running: tuple[DedupJobs, Events]
) -> None:
    jobs, events = running
    name = _input(tmp_path, people)
    job = jobs.submit_file(OWNER, name, JobOptions(column_map={"prenom": "first_name_latin"}))
    final = _wait(jobs, job.job_id)[-1]
    assert final.state is JobState.FAILED
    assert "prenom" in final.error and final.error_field == "prenom"
    assert str(tmp_path) not in final.error  # no server path
    for value in people["first_name_latin"].head(50):
        assert value not in final.error
    _until(lambda: ("finished", "file", "failed", final.progress) in events.seen)
    with pytest.raises(JobStateConflict):
        jobs.results(OWNER, job.job_id, "pairs")


def test_cancel_a_running_job(tmp_path: Path) -> None:
    """The stub child never ends on its own: only the cancel can end the job."""
    jobs = _manager(tmp_path, python=_stub(tmp_path, "obedient"))
    jobs.start()
    try:
        job = jobs.submit_file(OWNER, _tiny(tmp_path), JobOptions())
        _stub_seen(tmp_path, job.job_id)
        assert jobs.get(OWNER, job.job_id).state is JobState.RUNNING
        answer = jobs.cancel(OWNER, job.job_id)
        assert answer.state is JobState.CANCELLED or answer.cancel_requested
        final = _wait(jobs, job.job_id)[-1]
        assert final.state is JobState.CANCELLED and final.error == ""
        assert jobs.cancel(OWNER, job.job_id).state is JobState.CANCELLED  # again: harmless
    finally:
        jobs.stop(1.0)


def test_a_job_deaf_to_its_cancel_is_killed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    jobs = _manager(tmp_path, cancel_grace=0.0, python=_stub(tmp_path, "deaf"))
    jobs.start()
    try:
        job = jobs.submit_file(OWNER, _tiny(tmp_path), JobOptions())
        pid = _stub_seen(tmp_path, job.job_id)["pid"]
        with caplog.at_level(logging.WARNING, logger="server.dedup_jobs"):
            jobs.cancel(OWNER, job.job_id)
            assert _wait(jobs, job.job_id)[-1].state is JobState.CANCELLED
        assert any("did not stop" in r.getMessage() for r in caplog.records)
        # It ignores its cancel and SIGTERM and never exits by itself: gone, it was killed.
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        jobs.stop(1.0)


def test_a_repeated_cancel_does_not_restart_the_kill_grace(tmp_path: Path) -> None:
    jobs = _manager(tmp_path)  # never started: the job is made RUNNING by hand
    job = jobs.submit_file(OWNER, _tiny(tmp_path), JobOptions())
    job_dir = tmp_path / "jobs" / job.job_id
    write_job(job_dir, replace(job, state=JobState.RUNNING, started_at=time.time()))
    assert jobs.cancel(OWNER, job.job_id).cancel_requested
    os.utime(job_dir / "cancel", (1000.0, 1000.0))  # asked long ago
    assert jobs.cancel(OWNER, job.job_id).cancel_requested
    assert (job_dir / "cancel").stat().st_mtime == 1000.0


def test_a_cancel_reaches_a_job_of_another_worker(tmp_path: Path) -> None:
    running, other = _manager(tmp_path, python=_stub(tmp_path, "obedient")), _manager(tmp_path)
    running.start()  # only this one runs jobs
    try:
        job = other.submit_file(OWNER, _tiny(tmp_path), JobOptions())
        _stub_seen(tmp_path, job.job_id)
        other.cancel(OWNER, job.job_id)
        assert _wait(other, job.job_id)[-1].state is JobState.CANCELLED
    finally:
        running.stop(1.0)


def test_queued_jobs_cancel_at_once_and_the_queue_is_bounded(tmp_path: Path, people: pd.DataFrame) -> None:
    events = Events()
    jobs = _manager(tmp_path, events, max_queued=2, max_queued_per_caller=2)  # never started: stay queued
    name = _input(tmp_path, people)
    first = jobs.submit_file(OWNER, name, JobOptions())
    second = jobs.submit_file(OWNER, name, JobOptions())
    with pytest.raises(JobLimitReached):
        jobs.submit_file(OWNER, name, JobOptions())
    cancelled = jobs.cancel(OWNER, first.job_id)
    assert cancelled.state is JobState.CANCELLED and cancelled.finished_at is not None
    assert cancelled.started_at is None
    assert ("finished", "file", "cancelled", 0.0) in events.seen
    third = jobs.submit_file(OWNER, name, JobOptions())  # room again
    listed, _ = jobs.list_jobs(OWNER, JobState.QUEUED)
    assert {j.job_id for j in listed} == {second.job_id, third.job_id}
    page, token = jobs.list_jobs(OWNER, page_size=2)
    rest, end = jobs.list_jobs(OWNER, page_size=2, page_token=token)
    assert [j.job_id for j in page + rest] == [third.job_id, second.job_id, first.job_id] and end == ""


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "required"),
        ("missing.csv", "no such file"),
        ("../outside.csv", "inside your folder"),
        ("/etc/passwd", "inside your folder"),
        ("link.csv", "inside your folder"),
        ("notes.txt", "must be a"),
        (".", "inside your folder"),
        ("../other-team/theirs.csv", "inside your folder"),  # another caller's file
        ("x" * 300 + ".csv", "no such file"),  # a name too long for the file system
        ("loop.csv", "no such file"),  # a symbolic link loop
    ],
)
def test_only_files_of_the_callers_input_folder_are_read(tmp_path: Path, path: str, problem: str) -> None:
    jobs = _manager(tmp_path)
    mine = tmp_path / "input" / OWNER
    mine.mkdir(parents=True)
    (tmp_path / "outside.csv").write_text("record_id\nr1\n", encoding="utf-8")
    (mine / "link.csv").symlink_to(tmp_path / "outside.csv")
    (mine / "loop.csv").symlink_to(mine / "loop.csv")
    (mine / "notes.txt").write_text("x", encoding="utf-8")
    _tiny(tmp_path)
    _tiny(tmp_path, "other-team")
    (tmp_path / "input" / "other-team" / "theirs.csv").write_text("record_id\nr1\n", encoding="utf-8")
    with pytest.raises(InvalidField) as caught:
        jobs.submit_file(OWNER, path, JobOptions())
    assert caught.value.field == "path" and problem in caught.value.problem
    assert "passwd" not in str(caught.value)
    if path:  # the same path naming the model
        with pytest.raises(InvalidField) as caught:
            jobs.submit_file(OWNER, "tiny.csv", JobOptions(model_path=path.replace(".csv", ".json")))
        assert caught.value.field == "options.model_path"


def test_a_folder_the_server_cannot_read_is_no_such_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests may run as root, whom permissions do not stop: the refusal is simulated.
    jobs = _manager(tmp_path)
    name = _tiny(tmp_path)

    def refused(self: Path) -> bool:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", refused)
    with pytest.raises(InvalidField) as caught:
        jobs.submit_file(OWNER, name, JobOptions())
    assert caught.value.field == "path" and "no such file" in caught.value.problem
    with pytest.raises(InvalidField) as caught:
        jobs.submit_records(OWNER, JobOptions(model_path="secret/m.json"), iter([]))
    assert caught.value.field == "options.model_path" and "no such file" in caught.value.problem


def test_each_caller_reads_only_its_own_folder(tmp_path: Path) -> None:
    jobs = _manager(tmp_path)
    name = _tiny(tmp_path)
    job = jobs.submit_file(OWNER, name, JobOptions())
    assert job.path == name and job.input_root == str((tmp_path / "input" / OWNER).resolve())
    with pytest.raises(InvalidField) as caught:
        jobs.submit_file("other-team", name, JobOptions())
    assert caught.value.field == "path" and "no such file" in caught.value.problem
    with pytest.raises(InvalidField) as caught:
        jobs.submit_file("other-team", str(tmp_path / "input" / OWNER / name), JobOptions())
    assert caught.value.field == "path" and "inside your folder" in caught.value.problem


def test_options_are_checked(tmp_path: Path, people: pd.DataFrame) -> None:
    jobs = _manager(tmp_path)
    name = _input(tmp_path, people)
    (tmp_path / "model.json").write_text("{}", encoding="utf-8")
    bad = {
        "options.threshold": JobOptions(threshold=1.5),
        "options.column_map": JobOptions(column_map={"a": "first_name_latin", "b": "first_name_latin"}),
        "options.model_path": JobOptions(model_path="../model.json"),
        "options.label": JobOptions(label="x" * 201),
    }
    for field, options in bad.items():
        with pytest.raises(InvalidField) as caught:
            jobs.submit_file(OWNER, name, options)
        assert caught.value.field == field
    with pytest.raises(InvalidField) as caught:  # not a register column
        jobs.submit_file(OWNER, name, JobOptions(column_map={"prenom": "prenom_latin"}))
    assert caught.value.field == "options.column_map" and "'prenom_latin'" in caught.value.problem
    for target in ("first_name", "commune_code", "birth_precision"):  # a name in one script; the layout
        jobs.submit_file(OWNER, name, JobOptions(column_map={"x": target}))
    (tmp_path / "input" / OWNER / "models").mkdir()
    (tmp_path / "input" / OWNER / "models" / "m.json").write_text("{}", encoding="utf-8")
    model = str(tmp_path / "input" / OWNER / "models" / "m.json")
    job = jobs.submit_file(OWNER, name, JobOptions(model_path=model))
    assert job.options.model_path == "models/m.json"


def test_job_ids_are_checked_before_any_lookup(tmp_path: Path) -> None:
    jobs = _manager(tmp_path)
    for bad in ("../../callers", "0" * 32 + "\n", "A" * 32):
        with pytest.raises(InvalidField) as caught:
            jobs.get(OWNER, bad)
        assert caught.value.field == "job_id"
    with pytest.raises(JobNotFound):
        jobs.get(OWNER, "0" * 32)
    with pytest.raises(JobNotFound):
        jobs.cancel(OWNER, "0" * 32)


def test_a_restarted_manager_keeps_finished_jobs_and_fails_interrupted_ones(
    tmp_path: Path, people: pd.DataFrame
) -> None:
    first = _manager(tmp_path)
    first.start()
    name = _input(tmp_path, people)
    try:
        done = first.submit_file(OWNER, name, JobOptions())
        assert _wait(first, done.job_id)[-1].state is JobState.SUCCEEDED
        # A job running when its server stops ends FAILED "interrupted".
        cut = first.submit_file(OWNER, name, JobOptions())
        for update in first.watch(OWNER, cut.job_id):
            if update.state is JobState.RUNNING:
                break
    finally:
        first.stop(1.0)
    stopped = first.get(OWNER, cut.job_id)
    assert stopped.state is JobState.FAILED and stopped.error == INTERRUPTED

    # A job left RUNNING by a killed server (no process holds its run lock), and one still queued.
    lost = first.submit_file(OWNER, name, JobOptions())
    waiting = first.submit_file(OWNER, name, JobOptions())
    write_job(tmp_path / "jobs" / lost.job_id, replace(lost, state=JobState.RUNNING, started_at=time.time()))
    for entry in (tmp_path / "jobs" / "queue").iterdir():
        entry.unlink()  # the indexes lost too: rebuilt from the job files

    second = _manager(tmp_path, max_running=1)
    try:
        second.start()
        assert second.get(OWNER, done.job_id).state is JobState.SUCCEEDED
        assert second.results(OWNER, done.job_id, "clusters").total == len(people)
        recovered = second.get(OWNER, lost.job_id)
        assert recovered.state is JobState.FAILED and recovered.error == INTERRUPTED
        assert _wait(second, waiting.job_id)[-1].state is JobState.SUCCEEDED
    finally:
        second.stop(1.0)
    states = {j.job_id: j.state for j in second.list_jobs(OWNER)[0]}
    assert states == {
        done.job_id: JobState.SUCCEEDED,
        cut.job_id: JobState.FAILED,
        lost.job_id: JobState.FAILED,
        waiting.job_id: JobState.SUCCEEDED,
    }


def test_the_job_file_is_versioned_json(tmp_path: Path, people: pd.DataFrame) -> None:
    jobs = _manager(tmp_path)
    job = jobs.submit_file(OWNER, _input(tmp_path, people), JobOptions(column_map={"x": "cin"}, threshold=0.7))
    data = json.loads((tmp_path / "jobs" / job.job_id / "job.json").read_text(encoding="utf-8"))
    assert data["format_version"] == 1 and data["state"] == "queued"
    assert Job.from_json(data) == job
    assert oct(os.stat(tmp_path / "jobs" / ".lock").st_mode & 0o777) == "0o600"


def test_two_workers_share_the_jobs_and_the_running_slot(tmp_path: Path, people: pd.DataFrame) -> None:
    """Two managers on one folder, as two server workers: one job at a time over both, any answers for any."""
    first, second = _manager(tmp_path), _manager(tmp_path)
    name = _input(tmp_path, people)
    first.start()
    second.start()
    try:
        a = first.submit_file(OWNER, name, JobOptions())
        b = second.submit_file(OWNER, name, JobOptions())
        most_running = 0
        while True:
            states = [second.get(OWNER, j.job_id).state for j in (a, b)]
            most_running = max(most_running, states.count(JobState.RUNNING))
            if all(s.final for s in states):
                break
            time.sleep(0.05)
        assert states == [JobState.SUCCEEDED, JobState.SUCCEEDED] and most_running == 1
    finally:
        first.stop(1.0)
        second.stop(1.0)


def test_long_calls_are_bounded_per_worker(tmp_path: Path, people: pd.DataFrame) -> None:
    jobs = _manager(tmp_path, max_long_calls=1)  # never started: the job stays queued
    job = jobs.submit_file(OWNER, _input(tmp_path, people), JobOptions())
    first = jobs.watch(OWNER, job.job_id)
    assert next(first).state is JobState.QUEUED
    with pytest.raises(JobLimitReached):
        next(jobs.watch(OWNER, job.job_id))
    with pytest.raises(JobLimitReached):
        jobs.submit_records(OWNER, JobOptions(), iter([_columns(people.head(3))]))
    first.close()  # the caller went away
    second = jobs.watch(OWNER, job.job_id)
    assert next(second).job_id == job.job_id
    second.close()


_KILLED_SERVER = """
import os, sys
from pathlib import Path
from server.dedup_jobs import DedupJobs, JobOptions, JobState
jobs = DedupJobs(Path(sys.argv[1]) / "jobs", Path(sys.argv[1]) / "input", poll_seconds=0.05)
jobs.start()
job = jobs.submit_file("rsu-quality", sys.argv[2], JobOptions())
for update in jobs.watch("rsu-quality", job.job_id):
    if update.state is JobState.RUNNING:
        print(job.job_id, flush=True)
        os._exit(9)  # as a SIGKILL: no stop(), no finally
"""


def test_a_job_whose_server_is_killed_ends_interrupted(tmp_path: Path, people: pd.DataFrame) -> None:
    import subprocess
    import sys

    name = _input(tmp_path, people)
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_SERVER, str(tmp_path), name], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 9, done.stderr
    job_id = done.stdout.strip()
    jobs = _manager(tmp_path)
    # The orphaned child sees its parent gone, records the end and exits, freeing the run lock.
    _until(lambda: jobs.get(OWNER, job_id).state is JobState.FAILED)
    jobs.start()
    try:
        job = jobs.get(OWNER, job_id)
        assert job.error == INTERRUPTED and job.finished_at is not None
        assert not list((tmp_path / "jobs" / "running").iterdir())
    finally:
        jobs.stop(1.0)


def test_one_caller_cannot_fill_the_queue(tmp_path: Path) -> None:
    jobs = _manager(tmp_path, max_queued=4)  # never started: jobs stay queued
    name, theirs = _tiny(tmp_path), _tiny(tmp_path, "other-team")
    jobs.submit_file(OWNER, name, JobOptions())
    jobs.submit_file(OWNER, name, JobOptions())
    with pytest.raises(JobLimitReached) as caught:
        jobs.submit_file(OWNER, name, JobOptions())
    assert "half" in str(caught.value)
    with pytest.raises(JobLimitReached):
        jobs.submit_records(OWNER, JobOptions(), iter([]))
    jobs.submit_file("other-team", theirs, JobOptions())  # another caller still finds room


def test_streamed_records_need_free_disk(tmp_path: Path, people: pd.DataFrame) -> None:
    jobs = _manager(tmp_path, min_free_bytes=1 << 62)
    with pytest.raises(JobLimitReached) as caught:
        jobs.submit_records(OWNER, JobOptions(), iter([_columns(people.head(3))]))
    assert "HAWIYA_DEDUP_MIN_FREE_MB" in str(caught.value)
    assert not list((tmp_path / "jobs").glob(".incoming-*"))


def test_delete_removes_an_ended_job_of_its_owner(tmp_path: Path) -> None:
    jobs = _manager(tmp_path)  # never started
    name = _tiny(tmp_path)
    queued = jobs.submit_file(OWNER, name, JobOptions())
    with pytest.raises(JobStateConflict) as caught:
        jobs.delete(OWNER, queued.job_id)
    assert caught.value.field == "job_id" and "QUEUED" in str(caught.value)
    running = jobs.submit_file(OWNER, name, JobOptions())
    write_job(tmp_path / "jobs" / running.job_id, replace(running, state=JobState.RUNNING, started_at=time.time()))
    with pytest.raises(JobStateConflict):
        jobs.delete(OWNER, running.job_id)

    jobs.cancel(OWNER, queued.job_id)
    with pytest.raises(JobNotFound):
        jobs.delete("other-team", queued.job_id)
    jobs.delete(OWNER, queued.job_id)
    assert not (tmp_path / "jobs" / queued.job_id).exists()
    assert not list((tmp_path / "jobs").glob(".deleting-*"))
    with pytest.raises(JobNotFound):
        jobs.get(OWNER, queued.job_id)
    with pytest.raises(JobNotFound):
        jobs.delete(OWNER, queued.job_id)


def test_ended_jobs_are_removed_after_the_retention_period(tmp_path: Path) -> None:
    jobs = _manager(tmp_path, retention_seconds=7 * 86400.0, python=_stub(tmp_path, "exit"))
    name = _tiny(tmp_path)
    old, recent, waiting = (jobs.submit_file(OWNER, name, JobOptions()) for _ in range(3))
    for job in (old, recent):
        jobs.cancel(OWNER, job.job_id)
    old_dir = tmp_path / "jobs" / old.job_id
    write_job(old_dir, replace(jobs.get(OWNER, old.job_id), finished_at=time.time() - 8 * 86400))
    (tmp_path / "jobs" / ".deleting-leftover").mkdir()  # a deletion cut short
    waiting_file = tmp_path / "jobs" / waiting.job_id / "job.json"
    os.utime(waiting_file, (1000.0, 1000.0))  # an old file, but a job that has not ended
    jobs.start()  # the sweep runs at start, then in the scheduler's tick
    try:
        assert not old_dir.exists() and not (tmp_path / "jobs" / ".deleting-leftover").exists()
        assert jobs.get(OWNER, recent.job_id).state is JobState.CANCELLED
        assert jobs.get(OWNER, waiting.job_id).job_id == waiting.job_id
    finally:
        jobs.stop(1.0)


def test_the_job_process_gets_a_minimal_environment_and_its_records_go_when_it_ends(
    tmp_path: Path, people: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "HAWIYA_DATABASE_URL": "postgresql://hawiya:secret@db/hawiya",
        "HAWIYA_REDIS_URL": "redis://:secret@cache:6379/0",
        "HAWIYA_ID_HASH_KEY": "ab" * 32,
        "DATABASE_URL": "postgresql://x:y@db/z",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    kept = {"NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "LC_ALL": "C.UTF-8", "TMPDIR": str(tmp_path)}
    for name, value in {**secrets, **kept}.items():
        monkeypatch.setenv(name, value)
    jobs = _manager(tmp_path, python=_stub(tmp_path, "exit"))
    jobs.start()
    try:
        job = jobs.submit_records(OWNER, JobOptions(), iter([_columns(people.head(5))]))
        seen = _stub_seen(tmp_path, job.job_id)
        final = _wait(jobs, job.job_id)[-1]
        _until(lambda: not (tmp_path / "jobs" / job.job_id / "records.parquet").exists())
    finally:
        jobs.stop(1.0)
    assert not set(secrets) & set(seen["env"])
    assert not [k for k in seen["env"] if k.startswith("HAWIYA_")]
    assert {k: seen["env"][k] for k in kept} == kept and seen["env"]["PATH"] == os.environ["PATH"]
    assert seen["argv"][1:4] == ["-P", "-m", "server.dedup_child"]  # -P: the folder is not on sys.path
    assert final.state is JobState.FAILED and "exit code 3" in final.error


def test_a_claim_that_fails_leaves_the_job_queued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _manager(tmp_path, python=_stub(tmp_path, "obedient"))  # the scheduler is ticked by hand
    job = jobs.submit_file(OWNER, _tiny(tmp_path), JobOptions())
    job_dir = tmp_path / "jobs" / job.job_id
    real_write = dedup_jobs.write_job

    def disk_full(folder: Path, written: Job) -> None:
        if written.state is JobState.RUNNING:
            raise JobFileError(f"{folder / 'job.json'}: cannot write: No space left on device")
        real_write(folder, written)

    monkeypatch.setattr(dedup_jobs, "write_job", disk_full)
    jobs._tick()
    assert jobs.get(OWNER, job.job_id).state is JobState.QUEUED
    assert len(list((tmp_path / "jobs" / "queue").iterdir())) == 1
    assert not list((tmp_path / "jobs" / "running").iterdir())
    fd = try_lock(job_dir / "run.lock")  # the claim's lock was let go
    assert fd is not None
    os.close(fd)

    monkeypatch.setattr(dedup_jobs, "write_job", real_write)
    try:
        jobs._tick()  # the next tick starts it
        assert jobs.get(OWNER, job.job_id).state is JobState.RUNNING
        assert not list((tmp_path / "jobs" / "queue").iterdir())
        assert [p.name for p in (tmp_path / "jobs" / "running").iterdir()] == [job.job_id]
    finally:
        jobs.stop(1.0)


def test_a_job_whose_process_cannot_start_fails_and_frees_its_claim(tmp_path: Path) -> None:
    jobs = _manager(tmp_path, python=str(tmp_path / "no-such-python"))
    job = jobs.submit_file(OWNER, _tiny(tmp_path), JobOptions())
    jobs._tick()
    failed = jobs.get(OWNER, job.job_id)
    assert failed.state is JobState.FAILED and "cannot start the job process" in failed.error
    assert not list((tmp_path / "jobs" / "queue").iterdir())
    assert not list((tmp_path / "jobs" / "running").iterdir())
    fd = try_lock(tmp_path / "jobs" / job.job_id / "run.lock")
    assert fd is not None
    os.close(fd)


def _succeeded(jobs: DedupJobs, tmp: Path, pairs: pa.Table) -> str:
    """A job made SUCCEEDED by hand, with ``pairs`` as its pairs file (in small row groups)."""
    job = jobs.submit_file(OWNER, _tiny(tmp), JobOptions())
    for entry in (tmp / "jobs" / "queue").iterdir():
        entry.unlink()
    job_dir = tmp / "jobs" / job.job_id
    (job_dir / "output").mkdir()
    pq.write_table(pairs, job_dir / "output" / "pairs.parquet", row_group_size=6)
    write_job(job_dir, replace(job, state=JobState.SUCCEEDED, finished_at=time.time()))
    return job.job_id


def _pairs(rows: int) -> pa.Table:
    return pa.table(
        {
            "record_id_l": [f"a{i}" for i in range(rows)],
            "record_id_r": [f"b{i}" for i in range(rows)],
            "probability": [0.9 if i % 3 else 0.2 for i in range(rows)],
            "match": [bool(i % 3) for i in range(rows)],
        }
    )


def test_matches_only_results_come_in_full_chunks(tmp_path: Path) -> None:
    jobs = _manager(tmp_path)
    table = _pairs(100)
    job_id = _succeeded(jobs, tmp_path, table)
    matches = table.filter(table.column("match"))
    for start in (0, 5):
        rows = jobs.results(OWNER, job_id, "pairs", chunk_rows=7, start_row=start, matches_only=True)
        batches = list(rows.batches)
        assert rows.total == matches.num_rows and rows.first_row == start
        assert [b.num_rows for b in batches[:-1]] == [7] * (len(batches) - 1) and 0 < batches[-1].num_rows <= 7
        assert pa.Table.from_batches(batches).equals(matches.slice(start))


def test_reading_results_takes_a_long_call_slot(tmp_path: Path) -> None:
    jobs = _manager(tmp_path, max_long_calls=1)  # never started
    job_id = _succeeded(jobs, tmp_path, _pairs(20))
    queued = jobs.submit_file(OWNER, _tiny(tmp_path), JobOptions())
    watch = jobs.watch(OWNER, queued.job_id)
    next(watch)  # holds the slot
    with pytest.raises(JobLimitReached):
        next(jobs.results(OWNER, job_id, "pairs").batches)
    watch.close()
    reading = jobs.results(OWNER, job_id, "pairs", chunk_rows=5).batches
    assert next(reading).num_rows == 5  # holds the slot now
    with pytest.raises(JobLimitReached):
        next(jobs.watch(OWNER, queued.job_id))
    assert sum(b.num_rows for b in reading) == 15  # read to the end: the slot is free again
    next(jobs.watch(OWNER, queued.job_id))
