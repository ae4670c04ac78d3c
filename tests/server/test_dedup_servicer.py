"""The Deduplication servicer's conversions, and its RPCs in the callers' vocabulary."""

from __future__ import annotations

import pyarrow as pa
import pytest

from hawiya.v1 import deduplication_pb2 as pb
from hawiya.v1 import person_pb2
from server.callers import KNOWN_RPCS, Caller
from server.dedup_jobs import RECORDS_SCHEMA, Job, JobOptions, JobState, ResultRows
from server.dedup_servicer import (
    MAX_RESPONSE_BYTES,
    DedupServicer,
    _clusters_to_proto,
    _pairs_to_proto,
    _records_to_columns,
    job_to_proto,
    options_from_proto,
)
from server.errors import InvalidField
from server.interceptors import CURRENT_CALLER


def test_every_rpc_can_be_granted() -> None:
    methods = pb.DESCRIPTOR.services_by_name["Deduplication"].methods
    assert {f"Deduplication/{m.name}" for m in methods} <= set(KNOWN_RPCS)


def test_options_zero_threshold_is_the_default() -> None:
    options = options_from_proto(pb.DedupOptions(column_map={"prenom": "first_name_latin"}, label="x"))
    assert options == JobOptions({"prenom": "first_name_latin"}, None, "", "x")
    assert options_from_proto(pb.DedupOptions(threshold=0.7)).threshold == 0.7


def test_a_job_becomes_its_message() -> None:
    job = Job(
        job_id="a" * 32,
        owner="rsu",
        source="file",
        state=JobState.SUCCEEDED,
        options=JobOptions({"prenom": "first_name_latin"}, 0.6, "models/m.json", "june"),
        submitted_at=1_700_000_000.25,
        path="rsu/june.parquet",
        input_file="/srv/hawiya/dedup-input/rsu/june.parquet",
        stage="write",
        progress=1.0,
        summary={"records": 10, "matched_pairs": 2, "seconds": {"read": 0.5}, "row_problems_by_column": {"cin": 1}},
        started_at=1_700_000_001.0,
        finished_at=1_700_000_002.0,
    )
    message = job_to_proto(job)
    assert message.state == pb.JOB_STATE_SUCCEEDED and message.source == pb.JOB_SOURCE_FILE
    assert message.path == "rsu/june.parquet" and "/srv" not in str(message)
    assert message.options.threshold == 0.6 and message.options.model_path == "models/m.json"
    assert message.summary.records == 10 and dict(message.summary.stage_seconds) == {"read": 0.5}
    assert dict(message.summary.row_problems_by_column) == {"cin": 1}
    assert message.submitted_at.ToNanoseconds() == 1_700_000_000_250_000_000
    queued = job_to_proto(Job("b" * 32, "rsu", "records", JobState.QUEUED, JobOptions(), 1.0, records_received=5))
    assert not queued.HasField("started_at") and not queued.HasField("summary")
    assert queued.records_received == 5 and queued.source == pb.JOB_SOURCE_RECORDS


def _record(record_id: str = "r1", **fields: object) -> pb.DedupRecord:
    return pb.DedupRecord(record_id=record_id, demographics=person_pb2.Demographics(**fields))  # type: ignore[arg-type]


def test_records_become_register_columns() -> None:
    chunk = pb.DedupRecords(
        records=[
            _record(
                "r1",
                first_name=person_pb2.PersonName(latin="Fatima", arabic="فاطمة"),
                sex=person_pb2.SEX_FEMALE,
                birth_date=person_pb2.BirthDate(year=1980, precision=person_pb2.DATE_PRECISION_YEAR),
                residence=person_pb2.Residence(commune_code="141.01", address="12 Rue X"),
            ),
            _record("r2"),
        ]
    )
    columns = _records_to_columns(chunk, 1)
    table = pa.Table.from_pydict(columns, schema=RECORDS_SCHEMA)  # the schema the job file is written with
    rows = table.to_pylist()
    assert rows[0]["first_name_latin"] == "Fatima" and rows[0]["first_name_arabic"] == "فاطمة"
    assert rows[0]["sex"] == "F" and rows[0]["birth_year"] == 1980 and rows[0]["birth_precision"] == "year"
    assert rows[0]["commune_code"] == "141.01" and rows[0]["address"] == "12 Rue X"
    assert rows[1]["sex"] == "" and rows[1]["birth_precision"] == "unknown" and rows[1]["birth_year"] == 0


@pytest.mark.parametrize(
    ("chunk", "field"),
    [
        (pb.DedupRecords(), "records.records"),
        (pb.DedupRecords(records=[_record(""), _record()]), "records.records[0].record_id"),
        (pb.DedupRecords(records=[_record(), _record("x" * 65)]), "records.records[1].record_id"),
        (pb.DedupRecords(records=[_record(sex=7)]), "records.records[0].demographics.sex"),  # type: ignore[arg-type]
    ],
)
def test_bad_records_name_their_field(chunk: pb.DedupRecords, field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        _records_to_columns(chunk, 3)
    assert caught.value.field == field and "message 3" in caught.value.problem


def test_result_batches_become_pairs_and_clusters() -> None:
    pairs = pa.RecordBatch.from_pydict(
        {
            "record_id_l": ["r1"],
            "record_id_r": ["r2"],
            "probability": [0.9],
            "match_weight": [5.5],
            "match": [True],
            "gamma_first_name": pa.array([1], pa.int8()),
            "gamma_birth_date": pa.array([0], pa.int8()),
        }
    )
    [pair] = _pairs_to_proto(pairs)
    assert (pair.record_id_l, pair.record_id_r, pair.probability, pair.match_weight, pair.match) == (
        "r1",
        "r2",
        0.9,
        5.5,
        True,
    )
    assert dict(pair.levels) == {"first_name": 1, "birth_date": 0}
    clusters = pa.RecordBatch.from_pydict({"record_id": ["r1", "r2"], "cluster_id": [0, 0], "cluster_size": [2, 2]})
    assert [(c.record_id, c.cluster_id, c.cluster_size) for c in _clusters_to_proto(clusters)] == [
        ("r1", 0, 2),
        ("r2", 0, 2),
    ]


class _Results:
    """The job manager's results call, answering one batch of clusters with long record ids."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch

    def results(self, owner: str, job_id: str, kind: str, *args: object) -> ResultRows:
        return ResultRows(self.batch.num_rows, 0, iter([self.batch]))


def test_result_messages_stay_well_under_the_message_limit() -> None:
    rows = 6000  # ids of a file's own, up to the limit of nothing: 400 characters here
    batch = pa.RecordBatch.from_pydict(
        {"record_id": [f"{i:0400d}" for i in range(rows)], "cluster_id": list(range(rows)), "cluster_size": [1] * rows}
    )
    servicer = DedupServicer(_Results(batch))  # type: ignore[arg-type]
    token = CURRENT_CALLER.set(Caller("rsu-quality", "", frozenset()))
    try:
        request = pb.ReadResultsRequest(job_id="a" * 32, kind=pb.RESULT_KIND_CLUSTERS, chunk_rows=10_000)
        answers = list(servicer.ReadResults(request, None))  # type: ignore[arg-type]
    finally:
        CURRENT_CALLER.reset(token)
    assert len(answers) > 1 and all(a.ByteSize() <= MAX_RESPONSE_BYTES for a in answers)
    assert [a.first_row for a in answers] == [sum(len(b.clusters) for b in answers[:i]) for i in range(len(answers))]
    assert [c.record_id for a in answers for c in a.clusters] == batch.column("record_id").to_pylist()
