from hawiya.v1 import person_pb2 as _person_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MatchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_MODE_UNSPECIFIED: _ClassVar[MatchMode]
    MATCH_MODE_EXACT: _ClassVar[MatchMode]
    MATCH_MODE_PHONETIC: _ClassVar[MatchMode]
    MATCH_MODE_FUZZY: _ClassVar[MatchMode]

class Attribute(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTRIBUTE_UNSPECIFIED: _ClassVar[Attribute]
    ATTRIBUTE_FIRST_NAME: _ClassVar[Attribute]
    ATTRIBUTE_LAST_NAME: _ClassVar[Attribute]
    ATTRIBUTE_FATHER_FIRST_NAME: _ClassVar[Attribute]
    ATTRIBUTE_MOTHER_FIRST_NAME: _ClassVar[Attribute]
    ATTRIBUTE_SEX: _ClassVar[Attribute]
    ATTRIBUTE_BIRTH_DATE: _ClassVar[Attribute]
    ATTRIBUTE_BIRTH_PLACE_CODE: _ClassVar[Attribute]
    ATTRIBUTE_CIN: _ClassVar[Attribute]
    ATTRIBUTE_PHONE: _ClassVar[Attribute]
    ATTRIBUTE_RESIDENCE: _ClassVar[Attribute]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_YES: _ClassVar[Decision]
    DECISION_NO: _ClassVar[Decision]

class ReasonCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_CODE_UNSPECIFIED: _ClassVar[ReasonCode]
    REASON_CODE_MATCHED: _ClassVar[ReasonCode]
    REASON_CODE_DEMOGRAPHIC_MISMATCH: _ClassVar[ReasonCode]
    REASON_CODE_LOCKED: _ClassVar[ReasonCode]
    REASON_CODE_ATTEMPTS_EXCEEDED: _ClassVar[ReasonCode]
MATCH_MODE_UNSPECIFIED: MatchMode
MATCH_MODE_EXACT: MatchMode
MATCH_MODE_PHONETIC: MatchMode
MATCH_MODE_FUZZY: MatchMode
ATTRIBUTE_UNSPECIFIED: Attribute
ATTRIBUTE_FIRST_NAME: Attribute
ATTRIBUTE_LAST_NAME: Attribute
ATTRIBUTE_FATHER_FIRST_NAME: Attribute
ATTRIBUTE_MOTHER_FIRST_NAME: Attribute
ATTRIBUTE_SEX: Attribute
ATTRIBUTE_BIRTH_DATE: Attribute
ATTRIBUTE_BIRTH_PLACE_CODE: Attribute
ATTRIBUTE_CIN: Attribute
ATTRIBUTE_PHONE: Attribute
ATTRIBUTE_RESIDENCE: Attribute
DECISION_UNSPECIFIED: Decision
DECISION_YES: Decision
DECISION_NO: Decision
REASON_CODE_UNSPECIFIED: ReasonCode
REASON_CODE_MATCHED: ReasonCode
REASON_CODE_DEMOGRAPHIC_MISMATCH: ReasonCode
REASON_CODE_LOCKED: ReasonCode
REASON_CODE_ATTEMPTS_EXCEEDED: ReasonCode

class AttributePolicy(_message.Message):
    __slots__ = ("mode", "min_score")
    MODE_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    mode: MatchMode
    min_score: float
    def __init__(self, mode: _Optional[_Union[MatchMode, str]] = ..., min_score: _Optional[float] = ...) -> None: ...

class MatchPolicy(_message.Message):
    __slots__ = ("default_rule", "first_name", "last_name", "father_first_name", "mother_first_name")
    DEFAULT_RULE_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    FATHER_FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    default_rule: AttributePolicy
    first_name: AttributePolicy
    last_name: AttributePolicy
    father_first_name: AttributePolicy
    mother_first_name: AttributePolicy
    def __init__(self, default_rule: _Optional[_Union[AttributePolicy, _Mapping]] = ..., first_name: _Optional[_Union[AttributePolicy, _Mapping]] = ..., last_name: _Optional[_Union[AttributePolicy, _Mapping]] = ..., father_first_name: _Optional[_Union[AttributePolicy, _Mapping]] = ..., mother_first_name: _Optional[_Union[AttributePolicy, _Mapping]] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("idcs", "claimed", "policy")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    claimed: _person_pb2.Demographics
    policy: MatchPolicy
    def __init__(self, idcs: _Optional[str] = ..., claimed: _Optional[_Union[_person_pb2.Demographics, _Mapping]] = ..., policy: _Optional[_Union[MatchPolicy, _Mapping]] = ...) -> None: ...

class AttributeMatch(_message.Message):
    __slots__ = ("attribute", "matched", "mode")
    ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    attribute: Attribute
    matched: bool
    mode: MatchMode
    def __init__(self, attribute: _Optional[_Union[Attribute, str]] = ..., matched: _Optional[bool] = ..., mode: _Optional[_Union[MatchMode, str]] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("decision", "matches", "transaction_id", "reason")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    matches: _containers.RepeatedCompositeFieldContainer[AttributeMatch]
    transaction_id: str
    reason: ReasonCode
    def __init__(self, decision: _Optional[_Union[Decision, str]] = ..., matches: _Optional[_Iterable[_Union[AttributeMatch, _Mapping]]] = ..., transaction_id: _Optional[str] = ..., reason: _Optional[_Union[ReasonCode, str]] = ...) -> None: ...

class AuthenticateStreamRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AuthenticateItem]
    def __init__(self, items: _Optional[_Iterable[_Union[AuthenticateItem, _Mapping]]] = ...) -> None: ...

class AuthenticateItem(_message.Message):
    __slots__ = ("item_id", "request")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    request: AuthenticateRequest
    def __init__(self, item_id: _Optional[str] = ..., request: _Optional[_Union[AuthenticateRequest, _Mapping]] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("code", "message", "fields")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class AuthenticateStreamResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[AuthenticateItemResult]
    def __init__(self, results: _Optional[_Iterable[_Union[AuthenticateItemResult, _Mapping]]] = ...) -> None: ...

class AuthenticateItemResult(_message.Message):
    __slots__ = ("item_id", "response", "error")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    response: AuthenticateResponse
    error: ItemError
    def __init__(self, item_id: _Optional[str] = ..., response: _Optional[_Union[AuthenticateResponse, _Mapping]] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ...) -> None: ...
