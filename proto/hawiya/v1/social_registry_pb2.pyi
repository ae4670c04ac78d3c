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

class Relation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELATION_UNSPECIFIED: _ClassVar[Relation]
    RELATION_HEAD: _ClassVar[Relation]
    RELATION_SPOUSE: _ClassVar[Relation]
    RELATION_CHILD: _ClassVar[Relation]
    RELATION_PARENT: _ClassVar[Relation]
    RELATION_SIBLING: _ClassVar[Relation]
    RELATION_GRANDCHILD: _ClassVar[Relation]
    RELATION_OTHER_RELATIVE: _ClassVar[Relation]
    RELATION_NON_RELATIVE: _ClassVar[Relation]

class Area(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AREA_UNSPECIFIED: _ClassVar[Area]
    AREA_URBAN: _ClassVar[Area]
    AREA_RURAL: _ClassVar[Area]

class DwellingType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DWELLING_TYPE_UNSPECIFIED: _ClassVar[DwellingType]
    DWELLING_TYPE_VILLA: _ClassVar[DwellingType]
    DWELLING_TYPE_APARTMENT: _ClassVar[DwellingType]
    DWELLING_TYPE_MODERN_HOUSE: _ClassVar[DwellingType]
    DWELLING_TYPE_TRADITIONAL_HOUSE: _ClassVar[DwellingType]
    DWELLING_TYPE_RURAL_HOUSE: _ClassVar[DwellingType]
    DWELLING_TYPE_MAKESHIFT: _ClassVar[DwellingType]
    DWELLING_TYPE_OTHER: _ClassVar[DwellingType]

class Tenure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TENURE_UNSPECIFIED: _ClassVar[Tenure]
    TENURE_OWNER: _ClassVar[Tenure]
    TENURE_TENANT: _ClassVar[Tenure]
    TENURE_HOUSED_FREE: _ClassVar[Tenure]
    TENURE_OTHER: _ClassVar[Tenure]

class WaterSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WATER_SOURCE_UNSPECIFIED: _ClassVar[WaterSource]
    WATER_SOURCE_PIPED_IN_DWELLING: _ClassVar[WaterSource]
    WATER_SOURCE_PUBLIC_TAP: _ClassVar[WaterSource]
    WATER_SOURCE_WELL_OR_SPRING: _ClassVar[WaterSource]
    WATER_SOURCE_OTHER: _ClassVar[WaterSource]

class Electricity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ELECTRICITY_UNSPECIFIED: _ClassVar[Electricity]
    ELECTRICITY_GRID_OWN_METER: _ClassVar[Electricity]
    ELECTRICITY_GRID_SHARED: _ClassVar[Electricity]
    ELECTRICITY_OFF_GRID: _ClassVar[Electricity]
    ELECTRICITY_NONE: _ClassVar[Electricity]

class Sanitation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SANITATION_UNSPECIFIED: _ClassVar[Sanitation]
    SANITATION_SEWER: _ClassVar[Sanitation]
    SANITATION_SEPTIC_TANK: _ClassVar[Sanitation]
    SANITATION_PIT_LATRINE: _ClassVar[Sanitation]
    SANITATION_NONE: _ClassVar[Sanitation]

class CookingFuel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COOKING_FUEL_UNSPECIFIED: _ClassVar[CookingFuel]
    COOKING_FUEL_BUTANE_GAS: _ClassVar[CookingFuel]
    COOKING_FUEL_ELECTRICITY: _ClassVar[CookingFuel]
    COOKING_FUEL_WOOD_OR_CHARCOAL: _ClassVar[CookingFuel]
    COOKING_FUEL_OTHER: _ClassVar[CookingFuel]

class Asset(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_UNSPECIFIED: _ClassVar[Asset]
    ASSET_REFRIGERATOR: _ClassVar[Asset]
    ASSET_TELEVISION: _ClassVar[Asset]
    ASSET_WASHING_MACHINE: _ClassVar[Asset]
    ASSET_COMPUTER: _ClassVar[Asset]
    ASSET_INTERNET: _ClassVar[Asset]
    ASSET_CAR: _ClassVar[Asset]
    ASSET_MOTORCYCLE: _ClassVar[Asset]
    ASSET_AIR_CONDITIONER: _ClassVar[Asset]
    ASSET_LIVESTOCK: _ClassVar[Asset]

class HouseholdStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOUSEHOLD_STATUS_UNSPECIFIED: _ClassVar[HouseholdStatus]
    HOUSEHOLD_STATUS_ACTIVE: _ClassVar[HouseholdStatus]
    HOUSEHOLD_STATUS_DISSOLVED: _ClassVar[HouseholdStatus]

class HouseholdChange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOUSEHOLD_CHANGE_UNSPECIFIED: _ClassVar[HouseholdChange]
    HOUSEHOLD_CHANGE_REGISTERED: _ClassVar[HouseholdChange]
    HOUSEHOLD_CHANGE_UPDATED: _ClassVar[HouseholdChange]
    HOUSEHOLD_CHANGE_MEMBER_LEFT: _ClassVar[HouseholdChange]
    HOUSEHOLD_CHANGE_MEMBER_JOINED: _ClassVar[HouseholdChange]

class RegisterHouseholdOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGISTER_HOUSEHOLD_OUTCOME_UNSPECIFIED: _ClassVar[RegisterHouseholdOutcome]
    REGISTER_HOUSEHOLD_OUTCOME_REGISTERED: _ClassVar[RegisterHouseholdOutcome]
    REGISTER_HOUSEHOLD_OUTCOME_ALREADY_REGISTERED: _ClassVar[RegisterHouseholdOutcome]

class ComplaintSubjectKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLAINT_SUBJECT_KIND_UNSPECIFIED: _ClassVar[ComplaintSubjectKind]
    COMPLAINT_SUBJECT_KIND_PERSON_DATA: _ClassVar[ComplaintSubjectKind]
    COMPLAINT_SUBJECT_KIND_HOUSEHOLD_INDEX: _ClassVar[ComplaintSubjectKind]
    COMPLAINT_SUBJECT_KIND_MEMBERSHIP: _ClassVar[ComplaintSubjectKind]
    COMPLAINT_SUBJECT_KIND_MERGE: _ClassVar[ComplaintSubjectKind]

class ComplaintStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLAINT_STATUS_UNSPECIFIED: _ClassVar[ComplaintStatus]
    COMPLAINT_STATUS_OPEN: _ClassVar[ComplaintStatus]
    COMPLAINT_STATUS_IN_REVIEW: _ClassVar[ComplaintStatus]
    COMPLAINT_STATUS_RESOLVED: _ClassVar[ComplaintStatus]
    COMPLAINT_STATUS_REJECTED: _ClassVar[ComplaintStatus]
RELATION_UNSPECIFIED: Relation
RELATION_HEAD: Relation
RELATION_SPOUSE: Relation
RELATION_CHILD: Relation
RELATION_PARENT: Relation
RELATION_SIBLING: Relation
RELATION_GRANDCHILD: Relation
RELATION_OTHER_RELATIVE: Relation
RELATION_NON_RELATIVE: Relation
AREA_UNSPECIFIED: Area
AREA_URBAN: Area
AREA_RURAL: Area
DWELLING_TYPE_UNSPECIFIED: DwellingType
DWELLING_TYPE_VILLA: DwellingType
DWELLING_TYPE_APARTMENT: DwellingType
DWELLING_TYPE_MODERN_HOUSE: DwellingType
DWELLING_TYPE_TRADITIONAL_HOUSE: DwellingType
DWELLING_TYPE_RURAL_HOUSE: DwellingType
DWELLING_TYPE_MAKESHIFT: DwellingType
DWELLING_TYPE_OTHER: DwellingType
TENURE_UNSPECIFIED: Tenure
TENURE_OWNER: Tenure
TENURE_TENANT: Tenure
TENURE_HOUSED_FREE: Tenure
TENURE_OTHER: Tenure
WATER_SOURCE_UNSPECIFIED: WaterSource
WATER_SOURCE_PIPED_IN_DWELLING: WaterSource
WATER_SOURCE_PUBLIC_TAP: WaterSource
WATER_SOURCE_WELL_OR_SPRING: WaterSource
WATER_SOURCE_OTHER: WaterSource
ELECTRICITY_UNSPECIFIED: Electricity
ELECTRICITY_GRID_OWN_METER: Electricity
ELECTRICITY_GRID_SHARED: Electricity
ELECTRICITY_OFF_GRID: Electricity
ELECTRICITY_NONE: Electricity
SANITATION_UNSPECIFIED: Sanitation
SANITATION_SEWER: Sanitation
SANITATION_SEPTIC_TANK: Sanitation
SANITATION_PIT_LATRINE: Sanitation
SANITATION_NONE: Sanitation
COOKING_FUEL_UNSPECIFIED: CookingFuel
COOKING_FUEL_BUTANE_GAS: CookingFuel
COOKING_FUEL_ELECTRICITY: CookingFuel
COOKING_FUEL_WOOD_OR_CHARCOAL: CookingFuel
COOKING_FUEL_OTHER: CookingFuel
ASSET_UNSPECIFIED: Asset
ASSET_REFRIGERATOR: Asset
ASSET_TELEVISION: Asset
ASSET_WASHING_MACHINE: Asset
ASSET_COMPUTER: Asset
ASSET_INTERNET: Asset
ASSET_CAR: Asset
ASSET_MOTORCYCLE: Asset
ASSET_AIR_CONDITIONER: Asset
ASSET_LIVESTOCK: Asset
HOUSEHOLD_STATUS_UNSPECIFIED: HouseholdStatus
HOUSEHOLD_STATUS_ACTIVE: HouseholdStatus
HOUSEHOLD_STATUS_DISSOLVED: HouseholdStatus
HOUSEHOLD_CHANGE_UNSPECIFIED: HouseholdChange
HOUSEHOLD_CHANGE_REGISTERED: HouseholdChange
HOUSEHOLD_CHANGE_UPDATED: HouseholdChange
HOUSEHOLD_CHANGE_MEMBER_LEFT: HouseholdChange
HOUSEHOLD_CHANGE_MEMBER_JOINED: HouseholdChange
REGISTER_HOUSEHOLD_OUTCOME_UNSPECIFIED: RegisterHouseholdOutcome
REGISTER_HOUSEHOLD_OUTCOME_REGISTERED: RegisterHouseholdOutcome
REGISTER_HOUSEHOLD_OUTCOME_ALREADY_REGISTERED: RegisterHouseholdOutcome
COMPLAINT_SUBJECT_KIND_UNSPECIFIED: ComplaintSubjectKind
COMPLAINT_SUBJECT_KIND_PERSON_DATA: ComplaintSubjectKind
COMPLAINT_SUBJECT_KIND_HOUSEHOLD_INDEX: ComplaintSubjectKind
COMPLAINT_SUBJECT_KIND_MEMBERSHIP: ComplaintSubjectKind
COMPLAINT_SUBJECT_KIND_MERGE: ComplaintSubjectKind
COMPLAINT_STATUS_UNSPECIFIED: ComplaintStatus
COMPLAINT_STATUS_OPEN: ComplaintStatus
COMPLAINT_STATUS_IN_REVIEW: ComplaintStatus
COMPLAINT_STATUS_RESOLVED: ComplaintStatus
COMPLAINT_STATUS_REJECTED: ComplaintStatus

class HouseholdMember(_message.Message):
    __slots__ = ("idcs", "demographics", "relation")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    DEMOGRAPHICS_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    demographics: _person_pb2.Demographics
    relation: Relation
    def __init__(self, idcs: _Optional[str] = ..., demographics: _Optional[_Union[_person_pb2.Demographics, _Mapping]] = ..., relation: _Optional[_Union[Relation, str]] = ...) -> None: ...

class HouseholdResidence(_message.Message):
    __slots__ = ("commune_code", "area")
    COMMUNE_CODE_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    commune_code: str
    area: Area
    def __init__(self, commune_code: _Optional[str] = ..., area: _Optional[_Union[Area, str]] = ...) -> None: ...

class SocioEconomicVariables(_message.Message):
    __slots__ = ("dwelling_type", "tenure", "rooms", "water_source", "electricity", "sanitation", "cooking_fuel", "assets", "monthly_expenses_mad")
    DWELLING_TYPE_FIELD_NUMBER: _ClassVar[int]
    TENURE_FIELD_NUMBER: _ClassVar[int]
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    WATER_SOURCE_FIELD_NUMBER: _ClassVar[int]
    ELECTRICITY_FIELD_NUMBER: _ClassVar[int]
    SANITATION_FIELD_NUMBER: _ClassVar[int]
    COOKING_FUEL_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_EXPENSES_MAD_FIELD_NUMBER: _ClassVar[int]
    dwelling_type: DwellingType
    tenure: Tenure
    rooms: int
    water_source: WaterSource
    electricity: Electricity
    sanitation: Sanitation
    cooking_fuel: CookingFuel
    assets: _containers.RepeatedScalarFieldContainer[Asset]
    monthly_expenses_mad: int
    def __init__(self, dwelling_type: _Optional[_Union[DwellingType, str]] = ..., tenure: _Optional[_Union[Tenure, str]] = ..., rooms: _Optional[int] = ..., water_source: _Optional[_Union[WaterSource, str]] = ..., electricity: _Optional[_Union[Electricity, str]] = ..., sanitation: _Optional[_Union[Sanitation, str]] = ..., cooking_fuel: _Optional[_Union[CookingFuel, str]] = ..., assets: _Optional[_Iterable[_Union[Asset, str]]] = ..., monthly_expenses_mad: _Optional[int] = ...) -> None: ...

class SocioEconomicIndex(_message.Message):
    __slots__ = ("value", "formula_version", "computed_at")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    FORMULA_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    value: float
    formula_version: str
    computed_at: _timestamp_pb2.Timestamp
    def __init__(self, value: _Optional[float] = ..., formula_version: _Optional[str] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Household(_message.Message):
    __slots__ = ("household_id", "version", "status", "members", "residence", "variables", "index", "change", "created_at", "updated_at")
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    RESIDENCE_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    household_id: str
    version: int
    status: HouseholdStatus
    members: _containers.RepeatedCompositeFieldContainer[HouseholdMember]
    residence: HouseholdResidence
    variables: SocioEconomicVariables
    index: SocioEconomicIndex
    change: HouseholdChange
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, household_id: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[HouseholdStatus, str]] = ..., members: _Optional[_Iterable[_Union[HouseholdMember, _Mapping]]] = ..., residence: _Optional[_Union[HouseholdResidence, _Mapping]] = ..., variables: _Optional[_Union[SocioEconomicVariables, _Mapping]] = ..., index: _Optional[_Union[SocioEconomicIndex, _Mapping]] = ..., change: _Optional[_Union[HouseholdChange, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResolvedMember(_message.Message):
    __slots__ = ("member_index", "idcs")
    MEMBER_INDEX_FIELD_NUMBER: _ClassVar[int]
    IDCS_FIELD_NUMBER: _ClassVar[int]
    member_index: int
    idcs: str
    def __init__(self, member_index: _Optional[int] = ..., idcs: _Optional[str] = ...) -> None: ...

class RegisterHouseholdRequest(_message.Message):
    __slots__ = ("idempotency_key", "household")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    household: Household
    def __init__(self, idempotency_key: _Optional[str] = ..., household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class RegisterHouseholdResponse(_message.Message):
    __slots__ = ("outcome", "household", "resolved_members")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    outcome: RegisterHouseholdOutcome
    household: Household
    resolved_members: _containers.RepeatedCompositeFieldContainer[ResolvedMember]
    def __init__(self, outcome: _Optional[_Union[RegisterHouseholdOutcome, str]] = ..., household: _Optional[_Union[Household, _Mapping]] = ..., resolved_members: _Optional[_Iterable[_Union[ResolvedMember, _Mapping]]] = ...) -> None: ...

class GetHouseholdRequest(_message.Message):
    __slots__ = ("household_id", "version")
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    household_id: str
    version: int
    def __init__(self, household_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetHouseholdResponse(_message.Message):
    __slots__ = ("household", "versions")
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    household: Household
    versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ..., versions: _Optional[_Iterable[int]] = ...) -> None: ...

class UpdateHouseholdRequest(_message.Message):
    __slots__ = ("household", "expected_version")
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    household: Household
    expected_version: int
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class UpdateHouseholdResponse(_message.Message):
    __slots__ = ("household", "resolved_members")
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    household: Household
    resolved_members: _containers.RepeatedCompositeFieldContainer[ResolvedMember]
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ..., resolved_members: _Optional[_Iterable[_Union[ResolvedMember, _Mapping]]] = ...) -> None: ...

class MoveMemberRequest(_message.Message):
    __slots__ = ("idcs", "from_household_id", "to_household_id", "relation", "from_expected_version", "to_expected_version")
    IDCS_FIELD_NUMBER: _ClassVar[int]
    FROM_HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    TO_HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    FROM_EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    idcs: str
    from_household_id: str
    to_household_id: str
    relation: Relation
    from_expected_version: int
    to_expected_version: int
    def __init__(self, idcs: _Optional[str] = ..., from_household_id: _Optional[str] = ..., to_household_id: _Optional[str] = ..., relation: _Optional[_Union[Relation, str]] = ..., from_expected_version: _Optional[int] = ..., to_expected_version: _Optional[int] = ...) -> None: ...

class MoveMemberResponse(_message.Message):
    __slots__ = ("from_household", "to_household")
    FROM_HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    TO_HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    from_household: Household
    to_household: Household
    def __init__(self, from_household: _Optional[_Union[Household, _Mapping]] = ..., to_household: _Optional[_Union[Household, _Mapping]] = ...) -> None: ...

class ComplaintSubject(_message.Message):
    __slots__ = ("kind", "idcs", "household_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    IDCS_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    kind: ComplaintSubjectKind
    idcs: str
    household_id: str
    def __init__(self, kind: _Optional[_Union[ComplaintSubjectKind, str]] = ..., idcs: _Optional[str] = ..., household_id: _Optional[str] = ...) -> None: ...

class ComplaintTransition(_message.Message):
    __slots__ = ("from_status", "to_status", "reason", "actor", "at")
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    from_status: ComplaintStatus
    to_status: ComplaintStatus
    reason: str
    actor: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, from_status: _Optional[_Union[ComplaintStatus, str]] = ..., to_status: _Optional[_Union[ComplaintStatus, str]] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Complaint(_message.Message):
    __slots__ = ("complaint_id", "subject", "text", "status", "filed_by", "history", "filed_at", "closed_at")
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FILED_BY_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    complaint_id: str
    subject: ComplaintSubject
    text: str
    status: ComplaintStatus
    filed_by: str
    history: _containers.RepeatedCompositeFieldContainer[ComplaintTransition]
    filed_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    def __init__(self, complaint_id: _Optional[str] = ..., subject: _Optional[_Union[ComplaintSubject, _Mapping]] = ..., text: _Optional[str] = ..., status: _Optional[_Union[ComplaintStatus, str]] = ..., filed_by: _Optional[str] = ..., history: _Optional[_Iterable[_Union[ComplaintTransition, _Mapping]]] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FileComplaintRequest(_message.Message):
    __slots__ = ("idempotency_key", "subject", "text")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    subject: ComplaintSubject
    text: str
    def __init__(self, idempotency_key: _Optional[str] = ..., subject: _Optional[_Union[ComplaintSubject, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class FileComplaintResponse(_message.Message):
    __slots__ = ("complaint",)
    COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    complaint: Complaint
    def __init__(self, complaint: _Optional[_Union[Complaint, _Mapping]] = ...) -> None: ...

class GetComplaintRequest(_message.Message):
    __slots__ = ("complaint_id",)
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    complaint_id: str
    def __init__(self, complaint_id: _Optional[str] = ...) -> None: ...

class GetComplaintResponse(_message.Message):
    __slots__ = ("complaint",)
    COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    complaint: Complaint
    def __init__(self, complaint: _Optional[_Union[Complaint, _Mapping]] = ...) -> None: ...

class ListComplaintsRequest(_message.Message):
    __slots__ = ("status", "household_id", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: ComplaintStatus
    household_id: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[ComplaintStatus, str]] = ..., household_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListComplaintsResponse(_message.Message):
    __slots__ = ("complaints", "next_page_token")
    COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    complaints: _containers.RepeatedCompositeFieldContainer[Complaint]
    next_page_token: str
    def __init__(self, complaints: _Optional[_Iterable[_Union[Complaint, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateComplaintStatusRequest(_message.Message):
    __slots__ = ("complaint_id", "status", "reason")
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    complaint_id: str
    status: ComplaintStatus
    reason: str
    def __init__(self, complaint_id: _Optional[str] = ..., status: _Optional[_Union[ComplaintStatus, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class UpdateComplaintStatusResponse(_message.Message):
    __slots__ = ("complaint",)
    COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    complaint: Complaint
    def __init__(self, complaint: _Optional[_Union[Complaint, _Mapping]] = ...) -> None: ...
