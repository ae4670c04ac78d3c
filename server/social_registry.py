"""The social registry (RSU): the domain side of the SocialRegistry service.

Households are written only with RNP persons: every member given by IDCS is checked (well
formed, registered, ACTIVE) against the register before the store is asked to write, so that a
bad request is refused with the member's path before any write lock is taken; the store checks
again inside its transaction, which is what holds under concurrency. A member given by
demographics is looked up in the RNP by exact match of the identity attributes
(`registry_store.lookup`): exactly one active person must match. The matcher's 1:N search will
replace the exact look-up here, behind the same errors.

Complaint metrics (opened, closed, time to resolution) are counted here; their labels are the
subject kind and the outcome, never a record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from registry_store.complaints import ComplaintPage, ComplaintStore
from registry_store.errors import AmbiguousMember, MemberNotActive, UnknownMember
from registry_store.households import HouseholdStore
from registry_store.idcs import validate_idcs
from registry_store.lookup import find_active_by_identity
from registry_store.model import Demographics, PersonStatus
from registry_store.social_model import (
    CLOSED_STATUSES,
    Complaint,
    ComplaintStatus,
    ComplaintSubject,
    Household,
    HouseholdMember,
    HouseholdResidence,
    Relation,
    SocioEconomicVariables,
)
from registry_store.social_rows import checked_public_id
from registry_store.store import RegistryStore
from server.enrolment import validate_idempotency_key
from server.errors import InvalidField
from server.metrics import COMPLAINT_RESOLUTION_SECONDS, COMPLAINTS_CLOSED, COMPLAINTS_OPENED

__all__ = [
    "ALREADY_REGISTERED",
    "REGISTERED",
    "HouseholdDraft",
    "HouseholdOutcome",
    "MemberDraft",
    "ResolvedMember",
    "SocialRegistryService",
]

log = logging.getLogger(__name__)

REGISTERED, ALREADY_REGISTERED = "REGISTERED", "ALREADY_REGISTERED"


@dataclass(frozen=True, slots=True)
class MemberDraft:
    """A member as a request gives it: an IDCS, or demographics to look up. `field` is its path."""

    field: str  # e.g. "household.members[2]"
    relation: Relation
    idcs: str = ""
    demographics: Demographics | None = None


@dataclass(frozen=True, slots=True)
class HouseholdDraft:
    """A household as a request gives it."""

    members: tuple[MemberDraft, ...]
    residence: HouseholdResidence
    variables: SocioEconomicVariables


@dataclass(frozen=True, slots=True)
class ResolvedMember:
    """A member given by demographics, and the IDCS the look-up found."""

    member_index: int
    idcs: str


@dataclass(frozen=True, slots=True)
class HouseholdOutcome:
    outcome: str  # REGISTERED or ALREADY_REGISTERED (registration); REGISTERED for an update
    household: Household
    resolved: tuple[ResolvedMember, ...]


def _version(value: int, field: str) -> int | None:
    """0 means "none given"; negative numbers are refused."""
    if value < 0:
        raise InvalidField(field, "must be 0 or a version number")
    return value or None


class SocialRegistryService:
    """Registers and versions households of RNP persons, and handles complaints."""

    def __init__(self, registry: RegistryStore, households: HouseholdStore, complaints: ComplaintStore) -> None:
        self._registry = registry
        self._households = households
        self._complaints = complaints

    # -- households ---------------------------------------------------------------------------

    def _resolve(self, drafts: tuple[MemberDraft, ...]) -> tuple[list[HouseholdMember], tuple[ResolvedMember, ...]]:
        """Each draft as a checked member: an ACTIVE RNP person's IDCS and the relation."""
        members, resolved = [], []
        for i, draft in enumerate(drafts):
            if draft.demographics is not None:
                path = f"{draft.field}.demographics"
                found = find_active_by_identity(self._registry, draft.demographics, limit=2)
                if not found:
                    raise UnknownMember(
                        path,
                        "no active RNP person matches these demographics exactly: enrol them first or give the idcs",
                    )
                if len(found) > 1:
                    raise AmbiguousMember(path)
                idcs = found[0]
                resolved.append(ResolvedMember(member_index=i, idcs=idcs))
            else:
                path = f"{draft.field}.idcs"
                idcs = validate_idcs(draft.idcs, field=path)
                person = self._registry.find_person(idcs)
                if person is None:
                    raise UnknownMember(path)
                if person.status is not PersonStatus.ACTIVE:
                    raise MemberNotActive(path)
            members.append(HouseholdMember(idcs=idcs, relation=draft.relation))
        return members, tuple(resolved)

    def register_household(self, idempotency_key: str, draft: HouseholdDraft) -> HouseholdOutcome:
        key = validate_idempotency_key(idempotency_key)
        members, resolved = self._resolve(draft.members)
        result = self._households.register_household(members, draft.residence, draft.variables, idempotency_key=key)
        log.info("register_household created=%s members=%d resolved=%d", result.created, len(members), len(resolved))
        return HouseholdOutcome(REGISTERED if result.created else ALREADY_REGISTERED, result.household, resolved)

    def get_household(self, household_id: str, version: int) -> tuple[Household, list[int]]:
        wanted = _version(version, "version")
        household = self._households.get_household(household_id, wanted)
        return household, self._households.household_versions(household_id)

    def update_household(self, household_id: str, draft: HouseholdDraft, expected_version: int) -> HouseholdOutcome:
        checked_public_id(household_id, "household.household_id")  # before any look-up
        expected = _version(expected_version, "expected_version")
        members, resolved = self._resolve(draft.members)
        household = self._households.update_household(
            household_id,
            members,
            draft.residence,
            draft.variables,
            expected_version=expected,
        )
        log.info("update_household version=%d members=%d", household.version, len(members))
        return HouseholdOutcome(REGISTERED, household, resolved)

    def move_member(
        self,
        idcs: str,
        from_household_id: str,
        to_household_id: str,
        relation: Relation,
        *,
        from_expected_version: int,
        to_expected_version: int,
    ) -> tuple[Household, Household]:
        idcs = validate_idcs(idcs, field="idcs")
        from_expected = _version(from_expected_version, "from_expected_version")
        to_expected = _version(to_expected_version, "to_expected_version")
        left, joined = self._households.move_member(
            idcs,
            from_household_id,
            to_household_id,
            relation,
            from_expected_version=from_expected,
            to_expected_version=to_expected,
        )
        log.info("move_member from_version=%d to_version=%d", left.version, joined.version)
        return left, joined

    # -- complaints ---------------------------------------------------------------------------

    def file_complaint(self, caller_id: str, idempotency_key: str, subject: ComplaintSubject, text: str) -> Complaint:
        key = validate_idempotency_key(idempotency_key)
        result = self._complaints.file_complaint(subject, text, filed_by=caller_id, idempotency_key=key)
        if result.created:
            COMPLAINTS_OPENED.labels(subject.kind.value).inc()
        log.info("file_complaint created=%s kind=%s", result.created, subject.kind.value)
        return result.complaint

    def get_complaint(self, complaint_id: str) -> Complaint:
        return self._complaints.get_complaint(complaint_id)

    def list_complaints(
        self, status: ComplaintStatus | None, household_id: str, page_size: int, page_token: str
    ) -> ComplaintPage:
        return self._complaints.list_complaints(
            status=status, household_id=household_id or None, page_size=page_size, page_token=page_token
        )

    def change_complaint_status(
        self, caller_id: str, complaint_id: str, status: ComplaintStatus, reason: str
    ) -> Complaint:
        complaint = self._complaints.change_status(complaint_id, status, reason=reason, actor=caller_id)
        log.info(
            "complaint status=%s kind=%s transitions=%d",
            status.value,
            complaint.subject.kind.value,
            len(complaint.history),
        )
        elapsed = complaint.time_to_resolution
        if status in CLOSED_STATUSES and elapsed is not None:
            kind = complaint.subject.kind.value
            COMPLAINTS_CLOSED.labels(kind, status.value).inc()
            COMPLAINT_RESOLUTION_SECONDS.labels(kind, status.value).observe(elapsed.total_seconds())
        return complaint
