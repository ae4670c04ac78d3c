from hawiya.v1 import person_pb2 as _person_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnrolOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENROL_OUTCOME_UNSPECIFIED: _ClassVar[EnrolOutcome]
    ENROL_OUTCOME_ENROLLED: _ClassVar[EnrolOutcome]
    ENROL_OUTCOME_ALREADY_ENROLLED: _ClassVar[EnrolOutcome]
    ENROL_OUTCOME_DUPLICATE: _ClassVar[EnrolOutcome]
    ENROL_OUTCOME_POSSIBLE_DUPLICATE: _ClassVar[EnrolOutcome]
ENROL_OUTCOME_UNSPECIFIED: EnrolOutcome
ENROL_OUTCOME_ENROLLED: EnrolOutcome
ENROL_OUTCOME_ALREADY_ENROLLED: EnrolOutcome
ENROL_OUTCOME_DUPLICATE: EnrolOutcome
ENROL_OUTCOME_POSSIBLE_DUPLICATE: EnrolOutcome

class EnrolRequest(_message.Message):
    __slots__ = ("idempotency_key", "demographics")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    DEMOGRAPHICS_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    demographics: _person_pb2.Demographics
    def __init__(self, idempotency_key: _Optional[str] = ..., demographics: _Optional[_Union[_person_pb2.Demographics, _Mapping]] = ...) -> None: ...

class EnrolResponse(_message.Message):
    __slots__ = ("outcome", "person", "matches", "review_id")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    outcome: EnrolOutcome
    person: _person_pb2.Person
    matches: _containers.RepeatedCompositeFieldContainer[IdentityMatch]
    review_id: str
    def __init__(self, outcome: _Optional[_Union[EnrolOutcome, str]] = ..., person: _Optional[_Union[_person_pb2.Person, _Mapping]] = ..., matches: _Optional[_Iterable[_Union[IdentityMatch, _Mapping]]] = ..., review_id: _Optional[str] = ...) -> None: ...

class IdentityMatch(_message.Message):
    __slots__ = ("idcs", "probability", "levels")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    probability: float
    levels: _containers.RepeatedCompositeFieldContainer[FieldLevel]
    def __init__(self, idcs: _Optional[str] = ..., probability: _Optional[float] = ..., levels: _Optional[_Iterable[_Union[FieldLevel, _Mapping]]] = ...) -> None: ...

class FieldLevel(_message.Message):
    __slots__ = ("field", "level")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    field: str
    level: int
    def __init__(self, field: _Optional[str] = ..., level: _Optional[int] = ...) -> None: ...

class IdentifyRequest(_message.Message):
    __slots__ = ("demographics", "max_results", "min_probability")
    DEMOGRAPHICS_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    MIN_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    demographics: _person_pb2.Demographics
    max_results: int
    min_probability: float
    def __init__(self, demographics: _Optional[_Union[_person_pb2.Demographics, _Mapping]] = ..., max_results: _Optional[int] = ..., min_probability: _Optional[float] = ...) -> None: ...

class IdentifyResponse(_message.Message):
    __slots__ = ("candidates",)
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[IdentityMatch]
    def __init__(self, candidates: _Optional[_Iterable[_Union[IdentityMatch, _Mapping]]] = ...) -> None: ...

class GetPersonRequest(_message.Message):
    __slots__ = ("idcs", "version")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    version: int
    def __init__(self, idcs: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetPersonResponse(_message.Message):
    __slots__ = ("person", "versions")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    person: _person_pb2.Person
    versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, person: _Optional[_Union[_person_pb2.Person, _Mapping]] = ..., versions: _Optional[_Iterable[int]] = ...) -> None: ...

class UpdatePersonRequest(_message.Message):
    __slots__ = ("idcs", "demographics", "status", "merged_into", "expected_version")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    DEMOGRAPHICS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    demographics: _person_pb2.Demographics
    status: _person_pb2.PersonStatus
    merged_into: str
    expected_version: int
    def __init__(self, idcs: _Optional[str] = ..., demographics: _Optional[_Union[_person_pb2.Demographics, _Mapping]] = ..., status: _Optional[_Union[_person_pb2.PersonStatus, str]] = ..., merged_into: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class UpdatePersonResponse(_message.Message):
    __slots__ = ("person",)
    PERSON_FIELD_NUMBER: _ClassVar[int]
    person: _person_pb2.Person
    def __init__(self, person: _Optional[_Union[_person_pb2.Person, _Mapping]] = ...) -> None: ...
