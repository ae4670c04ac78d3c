"""The Deduplication gRPC servicer: convert protobuf <-> domain and delegate to the job manager."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import grpc
import pyarrow as pa
from google.protobuf import timestamp_pb2

from hawiya.v1 import deduplication_pb2 as pb
from hawiya.v1 import deduplication_pb2_grpc as pb_grpc
from hawiya.v1 import person_pb2
from server.dedup_jobs import REGISTER_COLUMNS, DedupJobs, Job, JobOptions, JobState
from server.errors import InvalidField
from server.interceptors import CURRENT_CALLER

__all__ = ["MAX_CHUNK_RECORDS", "MAX_RECORD_ID", "MAX_RESPONSE_BYTES", "DedupServicer"]

MAX_CHUNK_RECORDS = 10_000
MAX_RECORD_ID = 64
# A ReadResults message stays well under gRPC's default 4 MiB limit of what a client receives,
# whatever the length of the record ids of a file: more rows go in more messages.
MAX_RESPONSE_BYTES = 1 << 20

_STATE = {
    JobState.QUEUED: pb.JOB_STATE_QUEUED,
    JobState.RUNNING: pb.JOB_STATE_RUNNING,
    JobState.SUCCEEDED: pb.JOB_STATE_SUCCEEDED,
    JobState.FAILED: pb.JOB_STATE_FAILED,
    JobState.CANCELLED: pb.JOB_STATE_CANCELLED,
}
_STATE_IN = {v: k for k, v in _STATE.items()}
_SOURCE = {"file": pb.JOB_SOURCE_FILE, "records": pb.JOB_SOURCE_RECORDS}
_KIND = {pb.RESULT_KIND_PAIRS: "pairs", pb.RESULT_KIND_CLUSTERS: "clusters"}
_SEX = {person_pb2.SEX_UNSPECIFIED: "", person_pb2.SEX_MALE: "M", person_pb2.SEX_FEMALE: "F"}
_PRECISION = {
    person_pb2.DATE_PRECISION_UNSPECIFIED: "unknown",
    person_pb2.DATE_PRECISION_FULL: "full",
    person_pb2.DATE_PRECISION_YEAR_MONTH: "year_month",
    person_pb2.DATE_PRECISION_YEAR: "year",
    person_pb2.DATE_PRECISION_UNKNOWN: "unknown",
}
_NAMES = ("first_name", "last_name", "father_first_name", "mother_first_name")


def options_from_proto(options: pb.DedupOptions) -> JobOptions:
    return JobOptions(
        column_map=dict(options.column_map),
        threshold=options.threshold or None,
        model_path=options.model_path,
        label=options.label,
    )


def _timestamp(seconds: float | None) -> timestamp_pb2.Timestamp | None:
    if seconds is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMicroseconds(round(seconds * 1e6))
    return stamp


def _summary_to_proto(summary: Mapping[str, Any]) -> pb.DedupSummary:
    return pb.DedupSummary(
        records=int(summary.get("records", 0)),
        candidate_pairs=int(summary.get("candidate_pairs", 0)),
        written_pairs=int(summary.get("written_pairs", 0)),
        matched_pairs=int(summary.get("matched_pairs", 0)),
        clusters=int(summary.get("clusters", 0)),
        duplicate_clusters=int(summary.get("duplicate_clusters", 0)),
        duplicate_records=int(summary.get("duplicate_records", 0)),
        duplicate_rate=float(summary.get("duplicate_rate", 0.0)),
        refused_links=int(summary.get("refused_links", 0)),
        threshold=float(summary.get("threshold", 0.0)),
        row_problems=int(summary.get("row_problems", 0)),
        row_problems_by_column={str(k): int(v) for k, v in summary.get("row_problems_by_column", {}).items()},
        total_seconds=float(summary.get("total_seconds", 0.0)),
        stage_seconds={str(k): float(v) for k, v in summary.get("seconds", {}).items()},
    )


def job_to_proto(job: Job) -> pb.DedupJob:
    message = pb.DedupJob(
        job_id=job.job_id,
        state=_STATE[job.state],
        source=_SOURCE[job.source],
        path=job.path,
        options=pb.DedupOptions(
            column_map=dict(job.options.column_map),
            threshold=job.options.threshold or 0.0,
            model_path=job.options.model_path,
            label=job.options.label,
        ),
        records_received=job.records_received,
        stage=job.stage,
        progress=job.progress,
        progress_message=job.progress_message,
        cancel_requested=job.cancel_requested,
        error=job.error,
        error_field=job.error_field,
        submitted_at=_timestamp(job.submitted_at),
        started_at=_timestamp(job.started_at),
        finished_at=_timestamp(job.finished_at),
    )
    if job.summary is not None:
        message.summary.CopyFrom(_summary_to_proto(job.summary))
    return message


def _records_to_columns(chunk: pb.DedupRecords, message_index: int) -> dict[str, list[Any]]:
    """One chunk of streamed records as columns of the register layout."""
    if not 1 <= len(chunk.records) <= MAX_CHUNK_RECORDS:
        raise InvalidField(
            "records.records", f"a chunk holds 1 to {MAX_CHUNK_RECORDS} records (message {message_index})"
        )
    columns: dict[str, list[Any]] = {c: [] for c in REGISTER_COLUMNS}
    for i, record in enumerate(chunk.records):
        where = f"records.records[{i}]"
        if not 1 <= len(record.record_id) <= MAX_RECORD_ID:
            raise InvalidField(
                f"{where}.record_id", f"must be 1 to {MAX_RECORD_ID} characters (message {message_index})"
            )
        d = record.demographics
        sex = _SEX.get(d.sex)
        precision = _PRECISION.get(d.birth_date.precision)
        if sex is None:
            raise InvalidField(f"{where}.demographics.sex", f"unknown value (message {message_index})")
        if precision is None:
            raise InvalidField(f"{where}.demographics.birth_date.precision", f"unknown value (message {message_index})")
        columns["record_id"].append(record.record_id)
        for name in _NAMES:
            value = getattr(d, name)
            columns[f"{name}_latin"].append(value.latin)
            columns[f"{name}_arabic"].append(value.arabic)
        columns["sex"].append(sex)
        columns["birth_year"].append(d.birth_date.year)
        columns["birth_month"].append(d.birth_date.month)
        columns["birth_day"].append(d.birth_date.day)
        columns["birth_precision"].append(precision)
        columns["birth_place_code"].append(d.birth_place_code)
        columns["cin"].append(d.cin)
        columns["phone"].append(d.phone)
        columns["commune_code"].append(d.residence.commune_code)
        columns["address"].append(d.residence.address)
    return columns


def _pairs_to_proto(batch: pa.RecordBatch) -> list[pb.DedupPair]:
    data = batch.to_pydict()
    levels = [(name.removeprefix("gamma_"), data[name]) for name in batch.schema.names if name.startswith("gamma_")]
    return [
        pb.DedupPair(
            record_id_l=left,
            record_id_r=right,
            probability=probability,
            match_weight=weight,
            match=match,
            levels={name: int(values[i]) for name, values in levels},
        )
        for i, (left, right, probability, weight, match) in enumerate(
            zip(
                data["record_id_l"],
                data["record_id_r"],
                data["probability"],
                data["match_weight"],
                data["match"],
                strict=True,
            )
        )
    ]


def _clusters_to_proto(batch: pa.RecordBatch) -> list[pb.ClusterMember]:
    data = batch.to_pydict()
    return [
        pb.ClusterMember(record_id=record, cluster_id=cluster, cluster_size=size)
        for record, cluster, size in zip(data["record_id"], data["cluster_id"], data["cluster_size"], strict=True)
    ]


def _within_bytes(items: list[Any], limit: int) -> Iterator[list[Any]]:
    """``items`` in consecutive runs whose encoded size stays under ``limit`` (one item at least)."""
    part: list[Any] = []
    size = 64  # the message's own fields
    for item in items:
        cost = item.ByteSize() + 8  # the field's tag and length
        if part and size + cost > limit:
            yield part
            part, size = [], 64
        part.append(item)
        size += cost
    if part:
        yield part


class DedupServicer(pb_grpc.DeduplicationServicer):
    def __init__(self, jobs: DedupJobs) -> None:
        self._jobs = jobs

    def SubmitJob(  # noqa: N802 - gRPC method name
        self, request: pb.SubmitJobRequest, context: grpc.ServicerContext
    ) -> pb.SubmitJobResponse:
        owner = CURRENT_CALLER.get().caller_id
        job = self._jobs.submit_file(owner, request.path, options_from_proto(request.options))
        return pb.SubmitJobResponse(job=job_to_proto(job))

    def SubmitRecords(  # noqa: N802
        self, request_iterator: Iterator[pb.SubmitRecordsRequest], context: grpc.ServicerContext
    ) -> pb.SubmitJobResponse:
        owner = CURRENT_CALLER.get().caller_id
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "options":
            raise InvalidField("options", "the first message of the stream carries the options (may be empty)")

        def batches() -> Iterator[dict[str, list[Any]]]:
            for index, message in enumerate(request_iterator, start=1):
                if message.WhichOneof("part") != "records":
                    raise InvalidField("records", f"every message after the first carries records (message {index})")
                yield _records_to_columns(message.records, index)

        job = self._jobs.submit_records(owner, options_from_proto(first.options), batches())
        return pb.SubmitJobResponse(job=job_to_proto(job))

    def GetJob(self, request: pb.GetJobRequest, context: grpc.ServicerContext) -> pb.GetJobResponse:  # noqa: N802
        job = self._jobs.get(CURRENT_CALLER.get().caller_id, request.job_id)
        return pb.GetJobResponse(job=job_to_proto(job))

    def ListJobs(  # noqa: N802
        self, request: pb.ListJobsRequest, context: grpc.ServicerContext
    ) -> pb.ListJobsResponse:
        state = None
        if request.state != pb.JOB_STATE_UNSPECIFIED:
            state = _STATE_IN.get(request.state)
            if state is None:
                raise InvalidField("state", "unknown job state")
        jobs, token = self._jobs.list_jobs(CURRENT_CALLER.get().caller_id, state, request.page_size, request.page_token)
        return pb.ListJobsResponse(jobs=[job_to_proto(j) for j in jobs], next_page_token=token)

    def WatchJob(  # noqa: N802
        self, request: pb.WatchJobRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchJobResponse]:
        for job in self._jobs.watch(CURRENT_CALLER.get().caller_id, request.job_id, context.is_active):
            yield pb.WatchJobResponse(job=job_to_proto(job))

    def CancelJob(  # noqa: N802
        self, request: pb.CancelJobRequest, context: grpc.ServicerContext
    ) -> pb.CancelJobResponse:
        job = self._jobs.cancel(CURRENT_CALLER.get().caller_id, request.job_id)
        return pb.CancelJobResponse(job=job_to_proto(job))

    def DeleteJob(  # noqa: N802
        self, request: pb.DeleteJobRequest, context: grpc.ServicerContext
    ) -> pb.DeleteJobResponse:
        self._jobs.delete(CURRENT_CALLER.get().caller_id, request.job_id)
        return pb.DeleteJobResponse()

    def ReadResults(  # noqa: N802
        self, request: pb.ReadResultsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ReadResultsResponse]:
        kind = _KIND.get(request.kind)
        if kind is None:
            raise InvalidField("kind", "must be PAIRS or CLUSTERS")
        rows = self._jobs.results(
            CURRENT_CALLER.get().caller_id,
            request.job_id,
            kind,
            request.chunk_rows,
            request.start_row,
            request.matches_only,
        )
        first = rows.first_row
        for batch in rows.batches:
            items: list[Any] = _pairs_to_proto(batch) if kind == "pairs" else _clusters_to_proto(batch)
            for part in _within_bytes(items, MAX_RESPONSE_BYTES):
                response = pb.ReadResultsResponse(total_rows=rows.total, first_row=first)
                getattr(response, kind).extend(part)
                first += len(part)
                yield response
        if first == rows.first_row:  # no rows: one empty message still tells the total
            yield pb.ReadResultsResponse(total_rows=rows.total, first_row=first)
