import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hawiya.v1 import person_pb2 as _person_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]

class JobSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_SOURCE_UNSPECIFIED: _ClassVar[JobSource]
    JOB_SOURCE_FILE: _ClassVar[JobSource]
    JOB_SOURCE_RECORDS: _ClassVar[JobSource]

class ResultKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESULT_KIND_UNSPECIFIED: _ClassVar[ResultKind]
    RESULT_KIND_PAIRS: _ClassVar[ResultKind]
    RESULT_KIND_CLUSTERS: _ClassVar[ResultKind]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
JOB_SOURCE_UNSPECIFIED: JobSource
JOB_SOURCE_FILE: JobSource
JOB_SOURCE_RECORDS: JobSource
RESULT_KIND_UNSPECIFIED: ResultKind
RESULT_KIND_PAIRS: ResultKind
RESULT_KIND_CLUSTERS: ResultKind

class DedupOptions(_message.Message):
    __slots__ = ("column_map", "threshold", "model_path", "label")
    class ColumnMapEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COLUMN_MAP_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MODEL_PATH_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    column_map: _containers.ScalarMap[str, str]
    threshold: float
    model_path: str
    label: str
    def __init__(self, column_map: _Optional[_Mapping[str, str]] = ..., threshold: _Optional[float] = ..., model_path: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("path", "options")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    path: str
    options: DedupOptions
    def __init__(self, path: _Optional[str] = ..., options: _Optional[_Union[DedupOptions, _Mapping]] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: DedupJob
    def __init__(self, job: _Optional[_Union[DedupJob, _Mapping]] = ...) -> None: ...

class DedupRecord(_message.Message):
    __slots__ = ("record_id", "demographics")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DEMOGRAPHICS_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    demographics: _person_pb2.Demographics
    def __init__(self, record_id: _Optional[str] = ..., demographics: _Optional[_Union[_person_pb2.Demographics, _Mapping]] = ...) -> None: ...

class DedupRecords(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[DedupRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[DedupRecord, _Mapping]]] = ...) -> None: ...

class SubmitRecordsRequest(_message.Message):
    __slots__ = ("options", "records")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    options: DedupOptions
    records: DedupRecords
    def __init__(self, options: _Optional[_Union[DedupOptions, _Mapping]] = ..., records: _Optional[_Union[DedupRecords, _Mapping]] = ...) -> None: ...

class DedupSummary(_message.Message):
    __slots__ = ("records", "candidate_pairs", "written_pairs", "matched_pairs", "clusters", "duplicate_clusters", "duplicate_records", "duplicate_rate", "refused_links", "threshold", "row_problems", "row_problems_by_column", "total_seconds", "stage_seconds")
    class RowProblemsByColumnEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class StageSecondsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_PAIRS_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_PAIRS_FIELD_NUMBER: _ClassVar[int]
    MATCHED_PAIRS_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_RECORDS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_RATE_FIELD_NUMBER: _ClassVar[int]
    REFUSED_LINKS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ROW_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    ROW_PROBLEMS_BY_COLUMN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STAGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    records: int
    candidate_pairs: int
    written_pairs: int
    matched_pairs: int
    clusters: int
    duplicate_clusters: int
    duplicate_records: int
    duplicate_rate: float
    refused_links: int
    threshold: float
    row_problems: int
    row_problems_by_column: _containers.ScalarMap[str, int]
    total_seconds: float
    stage_seconds: _containers.ScalarMap[str, float]
    def __init__(self, records: _Optional[int] = ..., candidate_pairs: _Optional[int] = ..., written_pairs: _Optional[int] = ..., matched_pairs: _Optional[int] = ..., clusters: _Optional[int] = ..., duplicate_clusters: _Optional[int] = ..., duplicate_records: _Optional[int] = ..., duplicate_rate: _Optional[float] = ..., refused_links: _Optional[int] = ..., threshold: _Optional[float] = ..., row_problems: _Optional[int] = ..., row_problems_by_column: _Optional[_Mapping[str, int]] = ..., total_seconds: _Optional[float] = ..., stage_seconds: _Optional[_Mapping[str, float]] = ...) -> None: ...

class DedupJob(_message.Message):
    __slots__ = ("job_id", "state", "source", "path", "options", "records_received", "stage", "progress", "progress_message", "cancel_requested", "summary", "error", "error_field", "submitted_at", "started_at", "finished_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    RECORDS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobState
    source: JobSource
    path: str
    options: DedupOptions
    records_received: int
    stage: str
    progress: float
    progress_message: str
    cancel_requested: bool
    summary: DedupSummary
    error: str
    error_field: str
    submitted_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., source: _Optional[_Union[JobSource, str]] = ..., path: _Optional[str] = ..., options: _Optional[_Union[DedupOptions, _Mapping]] = ..., records_received: _Optional[int] = ..., stage: _Optional[str] = ..., progress: _Optional[float] = ..., progress_message: _Optional[str] = ..., cancel_requested: _Optional[bool] = ..., summary: _Optional[_Union[DedupSummary, _Mapping]] = ..., error: _Optional[str] = ..., error_field: _Optional[str] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: DedupJob
    def __init__(self, job: _Optional[_Union[DedupJob, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("state", "page_size", "page_token")
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    state: JobState
    page_size: int
    page_token: str
    def __init__(self, state: _Optional[_Union[JobState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[DedupJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[DedupJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class WatchJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: DedupJob
    def __init__(self, job: _Optional[_Union[DedupJob, _Mapping]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: DedupJob
    def __init__(self, job: _Optional[_Union[DedupJob, _Mapping]] = ...) -> None: ...

class DeleteJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class DeleteJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReadResultsRequest(_message.Message):
    __slots__ = ("job_id", "kind", "chunk_rows", "start_row", "matches_only")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHUNK_ROWS_FIELD_NUMBER: _ClassVar[int]
    START_ROW_FIELD_NUMBER: _ClassVar[int]
    MATCHES_ONLY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    kind: ResultKind
    chunk_rows: int
    start_row: int
    matches_only: bool
    def __init__(self, job_id: _Optional[str] = ..., kind: _Optional[_Union[ResultKind, str]] = ..., chunk_rows: _Optional[int] = ..., start_row: _Optional[int] = ..., matches_only: _Optional[bool] = ...) -> None: ...

class DedupPair(_message.Message):
    __slots__ = ("record_id_l", "record_id_r", "probability", "match_weight", "match", "levels")
    class LevelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RECORD_ID_L_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_R_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    MATCH_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    record_id_l: str
    record_id_r: str
    probability: float
    match_weight: float
    match: bool
    levels: _containers.ScalarMap[str, int]
    def __init__(self, record_id_l: _Optional[str] = ..., record_id_r: _Optional[str] = ..., probability: _Optional[float] = ..., match_weight: _Optional[float] = ..., match: _Optional[bool] = ..., levels: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ClusterMember(_message.Message):
    __slots__ = ("record_id", "cluster_id", "cluster_size")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_SIZE_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    cluster_id: int
    cluster_size: int
    def __init__(self, record_id: _Optional[str] = ..., cluster_id: _Optional[int] = ..., cluster_size: _Optional[int] = ...) -> None: ...

class ReadResultsResponse(_message.Message):
    __slots__ = ("total_rows", "first_row", "pairs", "clusters")
    TOTAL_ROWS_FIELD_NUMBER: _ClassVar[int]
    FIRST_ROW_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    total_rows: int
    first_row: int
    pairs: _containers.RepeatedCompositeFieldContainer[DedupPair]
    clusters: _containers.RepeatedCompositeFieldContainer[ClusterMember]
    def __init__(self, total_rows: _Optional[int] = ..., first_row: _Optional[int] = ..., pairs: _Optional[_Iterable[_Union[DedupPair, _Mapping]]] = ..., clusters: _Optional[_Iterable[_Union[ClusterMember, _Mapping]]] = ...) -> None: ...
