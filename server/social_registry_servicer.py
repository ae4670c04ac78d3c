"""The SocialRegistry gRPC servicer: convert protobuf <-> domain and delegate, nothing more."""

from __future__ import annotations

import grpc

from hawiya.v1 import social_registry_pb2 as pb
from hawiya.v1 import social_registry_pb2_grpc as pb_grpc
from server.interceptors import CURRENT_CALLER
from server.social_convert import (
    complaint_status_filter,
    complaint_status_from_proto,
    complaint_to_proto,
    household_draft_from_proto,
    household_to_proto,
    relation_from_proto,
    subject_from_proto,
)
from server.social_registry import ALREADY_REGISTERED, REGISTERED, HouseholdOutcome, SocialRegistryService

__all__ = ["SocialRegistryServicer"]

_OUTCOME = {
    REGISTERED: pb.REGISTER_HOUSEHOLD_OUTCOME_REGISTERED,
    ALREADY_REGISTERED: pb.REGISTER_HOUSEHOLD_OUTCOME_ALREADY_REGISTERED,
}


def _resolved(outcome: HouseholdOutcome) -> list[pb.ResolvedMember]:
    return [pb.ResolvedMember(member_index=r.member_index, idcs=r.idcs) for r in outcome.resolved]


class SocialRegistryServicer(pb_grpc.SocialRegistryServicer):
    def __init__(self, service: SocialRegistryService) -> None:
        self._service = service

    def RegisterHousehold(  # noqa: N802 - gRPC method name
        self, request: pb.RegisterHouseholdRequest, context: grpc.ServicerContext
    ) -> pb.RegisterHouseholdResponse:
        draft = household_draft_from_proto(request.household, request.HasField("household"))
        outcome = self._service.register_household(request.idempotency_key, draft)
        return pb.RegisterHouseholdResponse(
            outcome=_OUTCOME[outcome.outcome],
            household=household_to_proto(outcome.household),
            resolved_members=_resolved(outcome),
        )

    def GetHousehold(  # noqa: N802
        self, request: pb.GetHouseholdRequest, context: grpc.ServicerContext
    ) -> pb.GetHouseholdResponse:
        household, versions = self._service.get_household(request.household_id, request.version)
        return pb.GetHouseholdResponse(household=household_to_proto(household), versions=versions)

    def UpdateHousehold(  # noqa: N802
        self, request: pb.UpdateHouseholdRequest, context: grpc.ServicerContext
    ) -> pb.UpdateHouseholdResponse:
        draft = household_draft_from_proto(request.household, request.HasField("household"))
        outcome = self._service.update_household(request.household.household_id, draft, request.expected_version)
        return pb.UpdateHouseholdResponse(
            household=household_to_proto(outcome.household), resolved_members=_resolved(outcome)
        )

    def MoveMember(  # noqa: N802
        self, request: pb.MoveMemberRequest, context: grpc.ServicerContext
    ) -> pb.MoveMemberResponse:
        left, joined = self._service.move_member(
            request.idcs,
            request.from_household_id,
            request.to_household_id,
            relation_from_proto(request.relation),
            from_expected_version=request.from_expected_version,
            to_expected_version=request.to_expected_version,
        )
        return pb.MoveMemberResponse(from_household=household_to_proto(left), to_household=household_to_proto(joined))

    def FileComplaint(  # noqa: N802
        self, request: pb.FileComplaintRequest, context: grpc.ServicerContext
    ) -> pb.FileComplaintResponse:
        subject = subject_from_proto(request.subject, request.HasField("subject"))
        complaint = self._service.file_complaint(
            CURRENT_CALLER.get().caller_id, request.idempotency_key, subject, request.text
        )
        return pb.FileComplaintResponse(complaint=complaint_to_proto(complaint))

    def GetComplaint(  # noqa: N802
        self, request: pb.GetComplaintRequest, context: grpc.ServicerContext
    ) -> pb.GetComplaintResponse:
        return pb.GetComplaintResponse(complaint=complaint_to_proto(self._service.get_complaint(request.complaint_id)))

    def ListComplaints(  # noqa: N802
        self, request: pb.ListComplaintsRequest, context: grpc.ServicerContext
    ) -> pb.ListComplaintsResponse:
        page = self._service.list_complaints(
            complaint_status_filter(request.status), request.household_id, request.page_size, request.page_token
        )
        return pb.ListComplaintsResponse(
            complaints=[complaint_to_proto(c) for c in page.complaints], next_page_token=page.next_page_token
        )

    def UpdateComplaintStatus(  # noqa: N802
        self, request: pb.UpdateComplaintStatusRequest, context: grpc.ServicerContext
    ) -> pb.UpdateComplaintStatusResponse:
        complaint = self._service.change_complaint_status(
            CURRENT_CALLER.get().caller_id,
            request.complaint_id,
            complaint_status_from_proto(request.status),
            request.reason,
        )
        return pb.UpdateComplaintStatusResponse(complaint=complaint_to_proto(complaint))
