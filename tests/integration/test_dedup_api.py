"""The Deduplication service end to end: the real server process, real jobs, over a real channel.

A file of synthetic register records (a couple of thousand, with duplicates) is put in the dedup
input folder; jobs are submitted by path and by streaming records, followed, cancelled and read
back, and the streamed results are checked against the files the engine wrote.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hawiya.v1 import deduplication_pb2 as pb
from hawiya.v1 import deduplication_pb2_grpc as pb_grpc
from hawiya.v1 import person_pb2
from server.callers import add_caller
from synthetic import generate, write_population
from tests.integration.conftest import ServerHandle, restart_server, start_server, stop_server
from tests.integration.helpers import bad_fields

RECORDS = 2000
_SEX = {"M": person_pb2.SEX_MALE, "F": person_pb2.SEX_FEMALE, "": person_pb2.SEX_UNSPECIFIED}
_PRECISION = {
    "full": person_pb2.DATE_PRECISION_FULL,
    "year_month": person_pb2.DATE_PRECISION_YEAR_MONTH,
    "year": person_pb2.DATE_PRECISION_YEAR,
    "unknown": person_pb2.DATE_PRECISION_UNKNOWN,
}


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    records, _ = generate(RECORDS, seed=5, duplicate_rate=0.1)
    return records


def _prepare(tmp: Path, people: pd.DataFrame) -> dict[str, str]:
    """The data folder with the dedup callers and the input file (in rsu-quality's own input
    folder), before the server starts."""
    data = tmp / "data"
    (data / "dedup-input" / "rsu-quality").mkdir(parents=True)
    write_population(data / "dedup-input" / "rsu-quality" / "people.parquet", people)
    callers = data / "callers.toml"
    return {
        "dedup": add_caller(callers, "rsu-quality", ["Deduplication/*"]),
        "other": add_caller(callers, "other-team", ["Deduplication/*"]),
        "reader": add_caller(callers, "dedup-reader", ["Deduplication/GetJob"]),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, people: pd.DataFrame) -> Iterator[ServerHandle]:
    tmp = tmp_path_factory.mktemp("dedup-server")
    keys = _prepare(tmp, people)
    handle = start_server(tmp, "sqlite")
    handle.keys.update(keys)
    try:
        yield handle
    finally:
        code = stop_server(handle.proc)
        assert code == 0, f"server exited with {code}:\n{handle.log_text()[-3000:]}"


@pytest.fixture()
def stub(server: ServerHandle) -> Iterator[pb_grpc.DeduplicationStub]:
    with server.channel() as channel:
        yield pb_grpc.DeduplicationStub(channel)


def _md(server: ServerHandle, caller: str = "dedup") -> tuple[tuple[str, str], ...]:
    return server.metadata(caller)


def _watch(stub: pb_grpc.DeduplicationStub, server: ServerHandle, job_id: str) -> list[pb.DedupJob]:
    updates = [r.job for r in stub.WatchJob(pb.WatchJobRequest(job_id=job_id), metadata=_md(server), timeout=120)]
    assert updates and updates[-1].state in (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED)
    return updates


def _code(call: Any) -> tuple[grpc.StatusCode, list[str]]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), bad_fields(caught.value)


def _record(row: dict[str, Any]) -> pb.DedupRecord:
    def name(field: str) -> person_pb2.PersonName:
        return person_pb2.PersonName(latin=row[f"{field}_latin"], arabic=row[f"{field}_arabic"])

    return pb.DedupRecord(
        record_id=row["record_id"],
        demographics=person_pb2.Demographics(
            first_name=name("first_name"),
            last_name=name("last_name"),
            father_first_name=name("father_first_name"),
            mother_first_name=name("mother_first_name"),
            sex=_SEX[row["sex"]],
            birth_date=person_pb2.BirthDate(
                year=row["birth_year"],
                month=row["birth_month"],
                day=row["birth_day"],
                precision=_PRECISION[row["birth_precision"]],
            ),
            birth_place_code=row["birth_place_code"],
            cin=row["cin"],
            phone=row["phone"],
            residence=person_pb2.Residence(commune_code=row["commune_code"], address=row["address"]),
        ),
    )


def _stream(people: pd.DataFrame, chunk: int = 500) -> Iterator[pb.SubmitRecordsRequest]:
    yield pb.SubmitRecordsRequest(options=pb.DedupOptions(label="streamed"))
    rows = people.to_dict("records")
    for start in range(0, len(rows), chunk):
        records = [_record(r) for r in rows[start : start + chunk]]
        yield pb.SubmitRecordsRequest(records=pb.DedupRecords(records=records))


def _read(stub: pb_grpc.DeduplicationStub, server: ServerHandle, job_id: str, kind: int, **extra: Any) -> list[Any]:
    request = pb.ReadResultsRequest(job_id=job_id, kind=kind, **extra)
    rows: list[Any] = []
    for response in stub.ReadResults(request, metadata=_md(server), timeout=60):
        assert response.first_row == extra.get("start_row", 0) + len(rows)
        rows += response.pairs if kind == pb.RESULT_KIND_PAIRS else response.clusters
        total = response.total_rows
    assert total == len(rows) + extra.get("start_row", 0)
    return rows


def test_submit_a_file_watch_it_and_read_its_results(
    server: ServerHandle, stub: pb_grpc.DeduplicationStub, people: pd.DataFrame
) -> None:
    submitted = stub.SubmitJob(
        pb.SubmitJobRequest(path="people.parquet", options=pb.DedupOptions(label="rsu sample")), metadata=_md(server)
    ).job
    assert submitted.state == pb.JOB_STATE_QUEUED and re.fullmatch(r"[0-9a-f]{32}", submitted.job_id)
    assert submitted.source == pb.JOB_SOURCE_FILE and submitted.path == "people.parquet"

    updates = _watch(stub, server, submitted.job_id)
    final = updates[-1]
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.error
    progress = [u.progress for u in updates]
    assert progress == sorted(progress) and final.progress == 1.0
    assert pb.JOB_STATE_RUNNING in {u.state for u in updates}
    assert final.summary.records == len(people) and final.summary.matched_pairs > 0
    assert final.summary.stage_seconds and final.finished_at.seconds >= final.started_at.seconds > 0
    assert final.options.label == "rsu sample"
    got = stub.GetJob(pb.GetJobRequest(job_id=submitted.job_id), metadata=_md(server)).job
    assert got == final

    output = server.data_dir / "dedup-jobs" / submitted.job_id / "output"
    expected_pairs = pq.read_table(output / "pairs.parquet").to_pylist()
    pairs = _read(stub, server, submitted.job_id, pb.RESULT_KIND_PAIRS, chunk_rows=100)
    assert len(pairs) == len(expected_pairs) == final.summary.written_pairs
    for pair, row in zip(pairs, expected_pairs, strict=True):
        assert (pair.record_id_l, pair.record_id_r, pair.probability, pair.match_weight, pair.match) == (
            row["record_id_l"],
            row["record_id_r"],
            row["probability"],
            row["match_weight"],
            row["match"],
        )
        assert dict(pair.levels) == {k[6:]: v for k, v in row.items() if k.startswith("gamma_")}
    matches = _read(stub, server, submitted.job_id, pb.RESULT_KIND_PAIRS, matches_only=True)
    assert len(matches) == final.summary.matched_pairs and all(p.match for p in matches)

    expected_clusters = pq.read_table(output / "clusters.parquet").to_pylist()
    clusters = _read(stub, server, submitted.job_id, pb.RESULT_KIND_CLUSTERS, start_row=5)
    assert [(c.record_id, c.cluster_id, c.cluster_size) for c in clusters] == [
        (r["record_id"], r["cluster_id"], r["cluster_size"]) for r in expected_clusters[5:]
    ]

    listed = stub.ListJobs(pb.ListJobsRequest(state=pb.JOB_STATE_SUCCEEDED), metadata=_md(server)).jobs
    assert submitted.job_id in {j.job_id for j in listed}
    finished = re.compile(r'^hawiya_dedup_jobs_finished_total\{state="succeeded"\} [1-9]', re.MULTILINE)
    deadline = time.monotonic() + 10  # the worker counts the job when it reaps the job's process
    while not finished.search(metrics := server.scrape_metrics()):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.1)
    assert "\nhawiya_dedup_job_progress_ratio 1.0\n" in metrics


def test_submit_streamed_records(server: ServerHandle, stub: pb_grpc.DeduplicationStub, people: pd.DataFrame) -> None:
    job = stub.SubmitRecords(_stream(people), metadata=_md(server), timeout=60).job
    assert job.source == pb.JOB_SOURCE_RECORDS and job.records_received == len(people)
    final = _watch(stub, server, job.job_id)[-1]
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.error
    assert final.summary.records == len(people) and final.summary.matched_pairs > 0
    clusters = _read(stub, server, job.job_id, pb.RESULT_KIND_CLUSTERS, chunk_rows=10000)
    assert sorted(c.record_id for c in clusters) == sorted(people["record_id"])


def test_cancel_a_running_job(server: ServerHandle, stub: pb_grpc.DeduplicationStub) -> None:
    job = stub.SubmitJob(pb.SubmitJobRequest(path="people.parquet"), metadata=_md(server)).job
    for update in stub.WatchJob(pb.WatchJobRequest(job_id=job.job_id), metadata=_md(server), timeout=60):
        if update.job.state == pb.JOB_STATE_RUNNING:
            answer = stub.CancelJob(pb.CancelJobRequest(job_id=job.job_id), metadata=_md(server)).job
            assert answer.cancel_requested or answer.state == pb.JOB_STATE_CANCELLED
            break
    assert _watch(stub, server, job.job_id)[-1].state == pb.JOB_STATE_CANCELLED
    again = stub.CancelJob(pb.CancelJobRequest(job_id=job.job_id), metadata=_md(server)).job
    assert again.state == pb.JOB_STATE_CANCELLED
    request = pb.ReadResultsRequest(job_id=job.job_id, kind=pb.RESULT_KIND_PAIRS)
    code, _ = _code(lambda: list(stub.ReadResults(request, metadata=_md(server))))
    assert code is grpc.StatusCode.FAILED_PRECONDITION

    # An ended job can be deleted, by its owner only.
    delete = pb.DeleteJobRequest(job_id=job.job_id)
    code, _ = _code(lambda: stub.DeleteJob(delete, metadata=_md(server, "other")))
    assert code is grpc.StatusCode.NOT_FOUND
    stub.DeleteJob(delete, metadata=_md(server))
    assert not (server.data_dir / "dedup-jobs" / job.job_id).exists()
    code, _ = _code(lambda: stub.GetJob(pb.GetJobRequest(job_id=job.job_id), metadata=_md(server)))
    assert code is grpc.StatusCode.NOT_FOUND


def test_a_caller_cannot_read_another_callers_input(server: ServerHandle, stub: pb_grpc.DeduplicationStub) -> None:
    for path in ("people.parquet", "../rsu-quality/people.parquet"):
        request = pb.SubmitJobRequest(path=path)
        code, fields = _code(lambda request=request: stub.SubmitJob(request, metadata=_md(server, "other")))
        assert code is grpc.StatusCode.INVALID_ARGUMENT and fields == ["path"]


def test_bad_input_fails_the_job_naming_the_column(server: ServerHandle, stub: pb_grpc.DeduplicationStub) -> None:
    options = pb.DedupOptions(column_map={"prenom": "first_name_latin"})
    job = stub.SubmitJob(pb.SubmitJobRequest(path="people.parquet", options=options), metadata=_md(server)).job
    final = _watch(stub, server, job.job_id)[-1]
    assert final.state == pb.JOB_STATE_FAILED
    assert "prenom" in final.error and final.error_field == "prenom"
    assert str(server.data_dir) not in final.error


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.SubmitJobRequest(path="../callers.toml"), "path"),
        (pb.SubmitJobRequest(path="/etc/passwd"), "path"),
        (pb.SubmitJobRequest(path="missing.parquet"), "path"),
        (pb.SubmitJobRequest(path=""), "path"),
        (pb.SubmitJobRequest(path="people.parquet", options=pb.DedupOptions(threshold=2.0)), "options.threshold"),
        (
            pb.SubmitJobRequest(path="people.parquet", options=pb.DedupOptions(model_path="../hawiya.db")),
            "options.model_path",
        ),
    ],
)
def test_a_bad_submission_is_invalid_argument_naming_the_field(
    server: ServerHandle, stub: pb_grpc.DeduplicationStub, request_: pb.SubmitJobRequest, field: str
) -> None:
    code, fields = _code(lambda: stub.SubmitJob(request_, metadata=_md(server)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and fields == [field]


def test_a_bad_stream_is_invalid_argument_naming_the_field(
    server: ServerHandle, stub: pb_grpc.DeduplicationStub, people: pd.DataFrame
) -> None:
    records = list(_stream(people.head(3)))
    no_options = iter(records[1:])
    code, fields = _code(lambda: stub.SubmitRecords(no_options, metadata=_md(server)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and fields == ["options"]

    nameless = pb.SubmitRecordsRequest(records=pb.DedupRecords(records=[pb.DedupRecord()]))
    code, fields = _code(lambda: stub.SubmitRecords(iter([records[0], nameless]), metadata=_md(server)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and fields == ["records.records[0].record_id"]

    mapped = pb.SubmitRecordsRequest(options=pb.DedupOptions(column_map={"a": "b"}))
    code, fields = _code(lambda: stub.SubmitRecords(iter([mapped, records[1]]), metadata=_md(server)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and fields == ["options.column_map"]
    assert not list((server.data_dir / "dedup-jobs").glob(".incoming-*"))


def test_unknown_and_foreign_jobs_are_not_found(server: ServerHandle, stub: pb_grpc.DeduplicationStub) -> None:
    unknown = "0" * 32
    code, _ = _code(lambda: stub.GetJob(pb.GetJobRequest(job_id=unknown), metadata=_md(server)))
    assert code is grpc.StatusCode.NOT_FOUND
    code, _ = _code(lambda: list(stub.WatchJob(pb.WatchJobRequest(job_id=unknown), metadata=_md(server))))
    assert code is grpc.StatusCode.NOT_FOUND
    code, fields = _code(lambda: stub.GetJob(pb.GetJobRequest(job_id="../../callers"), metadata=_md(server)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and fields == ["job_id"]

    mine = stub.SubmitJob(pb.SubmitJobRequest(path="people.parquet"), metadata=_md(server)).job
    theirs = _md(server, "other")
    for call in (
        lambda: stub.GetJob(pb.GetJobRequest(job_id=mine.job_id), metadata=theirs),
        lambda: stub.CancelJob(pb.CancelJobRequest(job_id=mine.job_id), metadata=theirs),
        lambda: list(
            stub.ReadResults(
                pb.ReadResultsRequest(job_id=mine.job_id, kind=pb.RESULT_KIND_PAIRS),
                metadata=theirs,
            )
        ),
    ):
        code, _ = _code(call)
        assert code is grpc.StatusCode.NOT_FOUND
    assert mine.job_id not in {j.job_id for j in stub.ListJobs(pb.ListJobsRequest(), metadata=theirs).jobs}
    stub.CancelJob(pb.CancelJobRequest(job_id=mine.job_id), metadata=_md(server))


def test_callers_without_the_rpc_are_refused(server: ServerHandle, stub: pb_grpc.DeduplicationStub) -> None:
    job_id = "0" * 32
    for caller in ("auth-only", "reader"):
        md = _md(server, caller)
        calls = [
            lambda md=md: stub.SubmitJob(pb.SubmitJobRequest(path="people.parquet"), metadata=md),
            lambda md=md: list(stub.WatchJob(pb.WatchJobRequest(job_id=job_id), metadata=md)),
            lambda md=md: list(
                stub.ReadResults(pb.ReadResultsRequest(job_id=job_id, kind=pb.RESULT_KIND_PAIRS), metadata=md)
            ),
            lambda md=md: stub.SubmitRecords(iter([pb.SubmitRecordsRequest(options=pb.DedupOptions())]), metadata=md),
        ]
        if caller == "auth-only":
            calls.append(lambda md=md: stub.GetJob(pb.GetJobRequest(job_id=job_id), metadata=md))
        for call in calls:
            code, _ = _code(call)
            assert code is grpc.StatusCode.PERMISSION_DENIED
    code, _ = _code(lambda: list(stub.WatchJob(pb.WatchJobRequest(job_id=job_id))))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    code, _ = _code(lambda: stub.SubmitRecords(iter([pb.SubmitRecordsRequest(options=pb.DedupOptions())])))
    assert code is grpc.StatusCode.UNAUTHENTICATED
    # The reader may read: an unknown job is NOT_FOUND for it, not PERMISSION_DENIED.
    code, _ = _code(lambda: stub.GetJob(pb.GetJobRequest(job_id=job_id), metadata=_md(server, "reader")))
    assert code is grpc.StatusCode.NOT_FOUND


def test_jobs_are_shared_by_workers_and_survive_a_restart(tmp_path: Path, people: pd.DataFrame) -> None:
    keys = _prepare(tmp_path, people)
    handle = start_server(tmp_path, "sqlite", {"HAWIYA_WORKERS": "2"})
    handle.keys.update(keys)
    try:
        with handle.channel() as channel:
            job = (
                pb_grpc.DeduplicationStub(channel)
                .SubmitJob(pb.SubmitJobRequest(path="people.parquet"), metadata=_md(handle))
                .job
            )
        # Every call on a new connection: the kernel spreads them over both workers.
        for _ in range(600):
            with handle.channel() as channel:
                got = pb_grpc.DeduplicationStub(channel).GetJob(
                    pb.GetJobRequest(job_id=job.job_id), metadata=_md(handle)
                )
            if got.job.state == pb.JOB_STATE_SUCCEEDED:
                break
            assert got.job.state in (pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING), got.job.error
            time.sleep(0.1)
        assert got.job.state == pb.JOB_STATE_SUCCEEDED
    finally:
        assert stop_server(handle.proc) == 0, handle.log_text()[-3000:]

    assert handle.env is not None
    handle.env["HAWIYA_WORKERS"] = "1"  # restart_server waits for one worker's banner (the log has the first run's)
    handle = restart_server(handle)
    try:
        with handle.channel() as channel:
            stub = pb_grpc.DeduplicationStub(channel)
            again = stub.GetJob(pb.GetJobRequest(job_id=job.job_id), metadata=_md(handle)).job
            assert again == got.job
            clusters = _read(stub, handle, job.job_id, pb.RESULT_KIND_CLUSTERS, chunk_rows=5000)
            assert len(clusters) == len(people)
    finally:
        assert stop_server(handle.proc) == 0, handle.log_text()[-3000:]


def test_the_command_line_client_submits_and_follows_a_job(server: ServerHandle) -> None:
    def client(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "server", "client", *args, "--target", server.target]
        command += ["--api-key", server.keys["dedup"]]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    done = client("dedup-submit", "--path", "people.parquet", "--label", "cli", "--wait")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["state"] == "JOB_STATE_SUCCEEDED" and "SUCCEEDED" in done.stderr
    status = client("dedup-status", "--job-id", job["job_id"])
    assert status.returncode == 0 and json.loads(status.stdout)["summary"] == job["summary"]
    refused = client("dedup-submit", "--path", "../callers.toml")
    assert refused.returncode == 1 and "INVALID_ARGUMENT" in refused.stderr and "(field: path)" in refused.stderr
