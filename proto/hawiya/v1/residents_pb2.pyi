import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hawiya.v1 import authentication_pb2 as _authentication_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LockState(_message.Message):
    __slots__ = ("locked", "until", "changed_at")
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    locked: bool
    until: _timestamp_pb2.Timestamp
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, locked: _Optional[bool] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LockAuthenticationRequest(_message.Message):
    __slots__ = ("idcs", "until")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    until: _timestamp_pb2.Timestamp
    def __init__(self, idcs: _Optional[str] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LockAuthenticationResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: LockState
    def __init__(self, state: _Optional[_Union[LockState, _Mapping]] = ...) -> None: ...

class UnlockAuthenticationRequest(_message.Message):
    __slots__ = ("idcs", "until")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    until: _timestamp_pb2.Timestamp
    def __init__(self, idcs: _Optional[str] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UnlockAuthenticationResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: LockState
    def __init__(self, state: _Optional[_Union[LockState, _Mapping]] = ...) -> None: ...

class GetAuthHistoryRequest(_message.Message):
    __slots__ = ("idcs", "page_size", "page_token")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    page_size: int
    page_token: str
    def __init__(self, idcs: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AuthHistoryEntry(_message.Message):
    __slots__ = ("transaction_id", "caller_id", "at", "decision", "reason")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    caller_id: str
    at: _timestamp_pb2.Timestamp
    decision: _authentication_pb2.Decision
    reason: _authentication_pb2.ReasonCode
    def __init__(self, transaction_id: _Optional[str] = ..., caller_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision: _Optional[_Union[_authentication_pb2.Decision, str]] = ..., reason: _Optional[_Union[_authentication_pb2.ReasonCode, str]] = ...) -> None: ...

class GetAuthHistoryResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuthHistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuthHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
