import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Sex(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEX_UNSPECIFIED: _ClassVar[Sex]
    SEX_MALE: _ClassVar[Sex]
    SEX_FEMALE: _ClassVar[Sex]

class DatePrecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATE_PRECISION_UNSPECIFIED: _ClassVar[DatePrecision]
    DATE_PRECISION_FULL: _ClassVar[DatePrecision]
    DATE_PRECISION_YEAR_MONTH: _ClassVar[DatePrecision]
    DATE_PRECISION_YEAR: _ClassVar[DatePrecision]
    DATE_PRECISION_UNKNOWN: _ClassVar[DatePrecision]

class PersonStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERSON_STATUS_UNSPECIFIED: _ClassVar[PersonStatus]
    PERSON_STATUS_ACTIVE: _ClassVar[PersonStatus]
    PERSON_STATUS_DECEASED: _ClassVar[PersonStatus]
    PERSON_STATUS_MERGED: _ClassVar[PersonStatus]
SEX_UNSPECIFIED: Sex
SEX_MALE: Sex
SEX_FEMALE: Sex
DATE_PRECISION_UNSPECIFIED: DatePrecision
DATE_PRECISION_FULL: DatePrecision
DATE_PRECISION_YEAR_MONTH: DatePrecision
DATE_PRECISION_YEAR: DatePrecision
DATE_PRECISION_UNKNOWN: DatePrecision
PERSON_STATUS_UNSPECIFIED: PersonStatus
PERSON_STATUS_ACTIVE: PersonStatus
PERSON_STATUS_DECEASED: PersonStatus
PERSON_STATUS_MERGED: PersonStatus

class PersonName(_message.Message):
    __slots__ = ("latin", "arabic")
    LATIN_FIELD_NUMBER: _ClassVar[int]
    ARABIC_FIELD_NUMBER: _ClassVar[int]
    latin: str
    arabic: str
    def __init__(self, latin: _Optional[str] = ..., arabic: _Optional[str] = ...) -> None: ...

class BirthDate(_message.Message):
    __slots__ = ("year", "month", "day", "precision")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    PRECISION_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    precision: DatePrecision
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ..., precision: _Optional[_Union[DatePrecision, str]] = ...) -> None: ...

class Residence(_message.Message):
    __slots__ = ("commune_code", "address")
    COMMUNE_CODE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    commune_code: str
    address: str
    def __init__(self, commune_code: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class Demographics(_message.Message):
    __slots__ = ("first_name", "last_name", "father_first_name", "mother_first_name", "sex", "birth_date", "birth_place_code", "cin", "phone", "residence")
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    FATHER_FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    MOTHER_FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    BIRTH_PLACE_CODE_FIELD_NUMBER: _ClassVar[int]
    CIN_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    RESIDENCE_FIELD_NUMBER: _ClassVar[int]
    first_name: PersonName
    last_name: PersonName
    father_first_name: PersonName
    mother_first_name: PersonName
    sex: Sex
    birth_date: BirthDate
    birth_place_code: str
    cin: str
    phone: str
    residence: Residence
    def __init__(self, first_name: _Optional[_Union[PersonName, _Mapping]] = ..., last_name: _Optional[_Union[PersonName, _Mapping]] = ..., father_first_name: _Optional[_Union[PersonName, _Mapping]] = ..., mother_first_name: _Optional[_Union[PersonName, _Mapping]] = ..., sex: _Optional[_Union[Sex, str]] = ..., birth_date: _Optional[_Union[BirthDate, _Mapping]] = ..., birth_place_code: _Optional[str] = ..., cin: _Optional[str] = ..., phone: _Optional[str] = ..., residence: _Optional[_Union[Residence, _Mapping]] = ...) -> None: ...

class Person(_message.Message):
    __slots__ = ("idcs", "demographics", "status", "merged_into", "version", "created_at", "updated_at")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    DEMOGRAPHICS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    demographics: Demographics
    status: PersonStatus
    merged_into: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, idcs: _Optional[str] = ..., demographics: _Optional[_Union[Demographics, _Mapping]] = ..., status: _Optional[_Union[PersonStatus, str]] = ..., merged_into: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
