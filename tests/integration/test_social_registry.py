"""The SocialRegistry service end to end: households of RNP persons and complaints, over real gRPC.

The `server` fixture runs the real server process on SQLite and on PostgreSQL; the persons are
enrolled through Registry/Enrol first, as a registration desk would.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from hawiya.v1 import person_pb2, registry_pb2, registry_pb2_grpc
from hawiya.v1 import social_registry_pb2 as pb
from hawiya.v1 import social_registry_pb2_grpc as pb_grpc
from registry_store.index_formula import IndexFormula
from server.callers import add_caller
from server.convert import demographics_from_proto
from tests.integration.conftest import ServerHandle, start_server, stop_server
from tests.integration.helpers import (
    bad_fields,
    demographics,
    enrol_request,
    metric_samples,
    mistype,
    unknown_valid_idcs,
)

_serial = itertools.count(1)

VARIABLES = pb.SocioEconomicVariables(
    dwelling_type=pb.DWELLING_TYPE_MODERN_HOUSE,
    tenure=pb.TENURE_TENANT,
    rooms=3,
    water_source=pb.WATER_SOURCE_PIPED_IN_DWELLING,
    electricity=pb.ELECTRICITY_GRID_OWN_METER,
    sanitation=pb.SANITATION_SEWER,
    cooking_fuel=pb.COOKING_FUEL_BUTANE_GAS,
    assets=[pb.ASSET_REFRIGERATOR, pb.ASSET_TELEVISION],
    monthly_expenses_mad=4500,
)
RESIDENCE = pb.HouseholdResidence(commune_code="141.01.03", area=pb.AREA_URBAN)


@pytest.fixture()
def social(server: ServerHandle) -> Iterator[pb_grpc.SocialRegistryStub]:
    with server.channel() as channel:
        yield pb_grpc.SocialRegistryStub(channel)


def _person(n: int) -> person_pb2.Demographics:
    """Distinct demographics for each n (first name, birth date, CIN and phone differ)."""
    first = ["Youssef", "Khadija", "Hamza", "Salma", "Omar", "Nadia", "Karim", "Imane"][n % 8]
    return demographics(
        f"{first}{chr(65 + n // 8 % 26)}",
        "Ait Ouahmane",
        first_ar="",
        last_ar="آيت وحمان",
        sex=person_pb2.SEX_MALE if n % 2 == 0 else person_pb2.SEX_FEMALE,
        birth=(1950 + n % 60, 1 + n % 12, 1 + n % 28),
        cin=f"JB{n:06d}",
        phone=f"06{n:08d}",
    )


def _enrol(server: ServerHandle, count: int) -> list[str]:
    with server.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        return [
            registry.Enrol(enrol_request(_person(next(_serial))), metadata=server.metadata()).person.idcs
            for _ in range(count)
        ]


def _members(people: list[str], relations: list[int] | None = None) -> list[pb.HouseholdMember]:
    relations = relations or [pb.RELATION_HEAD, pb.RELATION_SPOUSE] + [pb.RELATION_CHILD] * (len(people) - 2)
    return [pb.HouseholdMember(idcs=idcs, relation=r) for idcs, r in zip(people, relations, strict=False)]


def _register(
    server: ServerHandle,
    social: pb_grpc.SocialRegistryStub,
    members: list[pb.HouseholdMember],
    key: str | None = None,
) -> pb.RegisterHouseholdResponse:
    household = pb.Household(members=members, residence=RESIDENCE, variables=VARIABLES)
    request = pb.RegisterHouseholdRequest(idempotency_key=key or uuid.uuid4().hex, household=household)
    return social.RegisterHousehold(request, metadata=server.metadata())


def _precondition_subjects(err: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    subjects: list[str] = []
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            subjects += [v.subject for v in failure.violations]
    return subjects


def _refused(call: object, *args: object, **kwargs: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        call(*args, **kwargs)  # type: ignore[operator]
    return err.value


# -- health and access ------------------------------------------------------------------------


def test_service_is_served_and_reflected(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    with server.channel() as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="hawiya.v1.SocialRegistry"), timeout=5
        )
        listing = reflection_pb2.ServerReflectionRequest(list_services="")
        replies = list(
            reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([listing]), timeout=5)
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert "hawiya.v1.SocialRegistry" in {s.name for s in replies[0].list_services_response.service}
    err = _refused(
        social.GetHousehold, pb.GetHouseholdRequest(household_id="0" * 32), metadata=server.metadata("auth-only")
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED


# -- households ---------------------------------------------------------------------------------


def test_register_a_household_of_enrolled_persons(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 4)
    key = uuid.uuid4().hex
    reply = _register(server, social, _members(people), key)
    h = reply.household
    assert reply.outcome == pb.REGISTER_HOUSEHOLD_OUTCOME_REGISTERED
    assert re.fullmatch(r"[0-9a-f]{32}", h.household_id)
    assert (h.version, h.status, h.change) == (1, pb.HOUSEHOLD_STATUS_ACTIVE, pb.HOUSEHOLD_CHANGE_REGISTERED)
    assert [m.idcs for m in h.members] == people
    assert [m.relation for m in h.members] == [
        pb.RELATION_HEAD,
        pb.RELATION_SPOUSE,
        pb.RELATION_CHILD,
        pb.RELATION_CHILD,
    ]
    assert h.residence == RESIDENCE and h.variables == VARIABLES
    assert h.HasField("index") and h.index.formula_version == "illustrative-1"
    assert 5.0 < h.index.value < 15.0
    assert h.index.computed_at == h.updated_at == h.created_at
    got = social.GetHousehold(pb.GetHouseholdRequest(household_id=h.household_id), metadata=server.metadata())
    assert got.household == h and list(got.versions) == [1]
    # A retry with the same key is the same household.
    again = _register(server, social, _members(people), key)
    assert again.outcome == pb.REGISTER_HOUSEHOLD_OUTCOME_ALREADY_REGISTERED
    assert again.household == h


def test_unknown_or_mistyped_member_is_invalid_argument_naming_the_member(
    server: ServerHandle, social: pb_grpc.SocialRegistryStub
) -> None:
    people = _enrol(server, 3)
    for bad in (mistype(people[2]), unknown_valid_idcs(set(people)), "12345"):
        err = _refused(_register, server, social, _members([*people[:2], bad]))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(err) == ["household.members[2].idcs"]
        assert bad not in (err.details() or "")
    # Nothing was written: the three are still free to form a household.
    assert _register(server, social, _members(people)).outcome == pb.REGISTER_HOUSEHOLD_OUTCOME_REGISTERED


def test_member_active_elsewhere_is_failed_precondition(
    server: ServerHandle, social: pb_grpc.SocialRegistryStub
) -> None:
    people = _enrol(server, 3)
    _register(server, social, _members(people[:2]))
    err = _refused(_register, server, social, _members([people[2], people[1]]))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _precondition_subjects(err) == ["household.members[1].idcs"]
    assert "household.members[1].idcs" in (err.details() or "") and people[1] not in (err.details() or "")


def test_deceased_member_is_failed_precondition(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 2)
    with server.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        person = registry.GetPerson(registry_pb2.GetPersonRequest(idcs=people[1]), metadata=server.metadata()).person
        registry.UpdatePerson(
            registry_pb2.UpdatePersonRequest(
                idcs=people[1], demographics=person.demographics, status=person_pb2.PERSON_STATUS_DECEASED
            ),
            metadata=server.metadata(),
        )
    err = _refused(_register, server, social, _members(people))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _precondition_subjects(err) == ["household.members[1].idcs"]


def test_household_shape_errors_name_the_field(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 2)
    two_heads = _members(people, [pb.RELATION_HEAD, pb.RELATION_HEAD])
    no_relation = [pb.HouseholdMember(idcs=people[0], relation=pb.RELATION_HEAD), pb.HouseholdMember(idcs=people[1])]
    cases = [
        (two_heads, VARIABLES, "household.members"),
        (no_relation, VARIABLES, "household.members[1].relation"),
        ([pb.HouseholdMember(relation=pb.RELATION_HEAD)], VARIABLES, "household.members[0]"),
        (_members(people), pb.SocioEconomicVariables(), "household.variables.rooms"),
    ]
    for members, variables, field in cases:
        household = pb.Household(members=members, residence=RESIDENCE, variables=variables)
        err = _refused(
            social.RegisterHousehold,
            pb.RegisterHouseholdRequest(idempotency_key=uuid.uuid4().hex, household=household),
            metadata=server.metadata(),
        )
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(err) == [field]


def test_member_given_by_demographics_is_looked_up(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    (head,) = _enrol(server, 1)
    n = next(_serial)
    with server.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        spouse = registry.Enrol(enrol_request(_person(n)), metadata=server.metadata()).person.idcs
    members = [
        pb.HouseholdMember(idcs=head, relation=pb.RELATION_HEAD),
        pb.HouseholdMember(demographics=_person(n), relation=pb.RELATION_SPOUSE),
    ]
    reply = _register(server, social, members)
    assert [(r.member_index, r.idcs) for r in reply.resolved_members] == [(1, spouse)]
    assert [m.idcs for m in reply.household.members] == [head, spouse]

    (other,) = _enrol(server, 1)
    nobody = pb.HouseholdMember(demographics=_person(10_000 + n), relation=pb.RELATION_CHILD)
    err = _refused(_register, server, social, [pb.HouseholdMember(idcs=other, relation=pb.RELATION_HEAD), nobody])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(err) == ["household.members[1].demographics"]

    twin = next(_serial)
    store = server.store()
    try:
        # The same person registered twice (Enrol's 1:N search refuses the second, so written as
        # an old import would have been, straight into the register): the look-up cannot choose.
        for _ in range(2):
            store.enrol(demographics_from_proto(_person(twin)))
    finally:
        store.close()
    ambiguous = pb.HouseholdMember(demographics=_person(twin), relation=pb.RELATION_CHILD)
    err = _refused(_register, server, social, [pb.HouseholdMember(idcs=other, relation=pb.RELATION_HEAD), ambiguous])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(err) == ["household.members[1].demographics"]
    assert "several" in (err.details() or "")


def test_update_writes_a_new_version(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 3)
    h = _register(server, social, _members(people[:2])).household
    poorer = pb.SocioEconomicVariables()
    poorer.CopyFrom(VARIABLES)
    poorer.ClearField("assets")
    updated = social.UpdateHousehold(
        pb.UpdateHouseholdRequest(
            household=pb.Household(
                household_id=h.household_id, members=_members(people), residence=RESIDENCE, variables=poorer
            ),
            expected_version=1,
        ),
        metadata=server.metadata(),
    ).household
    assert (updated.version, updated.change, len(updated.members)) == (2, pb.HOUSEHOLD_CHANGE_UPDATED, 3)
    assert updated.index.value < h.index.value
    stale = _refused(
        social.UpdateHousehold,
        pb.UpdateHouseholdRequest(
            household=pb.Household(
                household_id=h.household_id, members=_members(people), residence=RESIDENCE, variables=VARIABLES
            ),
            expected_version=1,
        ),
        metadata=server.metadata(),
    )
    assert stale.code() == grpc.StatusCode.FAILED_PRECONDITION
    missing = _refused(social.GetHousehold, pb.GetHouseholdRequest(household_id="0" * 32), metadata=server.metadata())
    assert missing.code() == grpc.StatusCode.NOT_FOUND


def test_move_keeps_both_households_histories(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 5)
    a = _register(server, social, _members(people[:3])).household
    b = _register(server, social, _members(people[3:])).household
    moved = social.MoveMember(
        pb.MoveMemberRequest(
            idcs=people[2],
            from_household_id=a.household_id,
            to_household_id=b.household_id,
            relation=pb.RELATION_OTHER_RELATIVE,
            from_expected_version=1,
            to_expected_version=1,
        ),
        metadata=server.metadata(),
    )
    assert (moved.from_household.version, moved.from_household.change) == (2, pb.HOUSEHOLD_CHANGE_MEMBER_LEFT)
    assert (moved.to_household.version, moved.to_household.change) == (2, pb.HOUSEHOLD_CHANGE_MEMBER_JOINED)
    assert [m.idcs for m in moved.from_household.members] == people[:2]
    assert [m.idcs for m in moved.to_household.members] == [*people[3:], people[2]]
    for before, after in ((a, moved.from_household), (b, moved.to_household)):
        old = social.GetHousehold(
            pb.GetHouseholdRequest(household_id=before.household_id, version=1), metadata=server.metadata()
        )
        assert old.household == before and list(old.versions) == [1, 2]
        latest = social.GetHousehold(
            pb.GetHouseholdRequest(household_id=before.household_id), metadata=server.metadata()
        )
        assert latest.household == after
    # The person now belongs to b only: registering them elsewhere is refused.
    (newcomer,) = _enrol(server, 1)
    err = _refused(_register, server, social, _members([newcomer, people[2]]))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_the_head_cannot_leave_a_household_with_members(
    server: ServerHandle, social: pb_grpc.SocialRegistryStub
) -> None:
    people = _enrol(server, 3)
    a = _register(server, social, _members(people[:2])).household
    b = _register(server, social, _members(people[2:])).household
    err = _refused(
        social.MoveMember,
        pb.MoveMemberRequest(
            idcs=people[0],
            from_household_id=a.household_id,
            to_household_id=b.household_id,
            relation=pb.RELATION_SIBLING,
        ),
        metadata=server.metadata(),
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _precondition_subjects(err) == ["idcs"]


# -- complaints ---------------------------------------------------------------------------------


def _file(
    server: ServerHandle,
    social: pb_grpc.SocialRegistryStub,
    subject: pb.ComplaintSubject,
    text: str = "Index too high.",
) -> pb.Complaint:
    request = pb.FileComplaintRequest(idempotency_key=uuid.uuid4().hex, subject=subject, text=text)
    return social.FileComplaint(request, metadata=server.metadata()).complaint


def _set_status(
    server: ServerHandle, social: pb_grpc.SocialRegistryStub, complaint_id: str, status: int, reason: str = ""
) -> pb.Complaint:
    request = pb.UpdateComplaintStatusRequest(complaint_id=complaint_id, status=status, reason=reason)
    return social.UpdateComplaintStatus(request, metadata=server.metadata()).complaint


def test_a_complaint_goes_through_its_lifecycle_and_keeps_its_times(
    server: ServerHandle, social: pb_grpc.SocialRegistryStub
) -> None:
    people = _enrol(server, 2)
    h = _register(server, social, _members(people)).household
    before = server.scrape_metrics()
    subject = pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_HOUSEHOLD_INDEX, household_id=h.household_id)
    filed = _file(server, social, subject)
    assert filed.status == pb.COMPLAINT_STATUS_OPEN and filed.filed_by == "test-programme"
    assert [(t.from_status, t.to_status) for t in filed.history] == [
        (pb.COMPLAINT_STATUS_UNSPECIFIED, pb.COMPLAINT_STATUS_OPEN)
    ]
    assert not filed.HasField("closed_at")
    _set_status(server, social, filed.complaint_id, pb.COMPLAINT_STATUS_IN_REVIEW)
    closed = _set_status(server, social, filed.complaint_id, pb.COMPLAINT_STATUS_RESOLVED, "Rooms recounted.")
    got = social.GetComplaint(pb.GetComplaintRequest(complaint_id=filed.complaint_id), metadata=server.metadata())
    assert got.complaint == closed
    history = closed.history
    assert [(t.from_status, t.to_status) for t in history] == [
        (pb.COMPLAINT_STATUS_UNSPECIFIED, pb.COMPLAINT_STATUS_OPEN),
        (pb.COMPLAINT_STATUS_OPEN, pb.COMPLAINT_STATUS_IN_REVIEW),
        (pb.COMPLAINT_STATUS_IN_REVIEW, pb.COMPLAINT_STATUS_RESOLVED),
    ]
    assert history[2].reason == "Rooms recounted." and {t.actor for t in history} == {"test-programme"}
    times = [t.at.ToDatetime() for t in history]
    assert times == sorted(times)
    assert closed.filed_at == history[0].at == filed.filed_at and closed.closed_at == history[2].at
    assert closed.status == pb.COMPLAINT_STATUS_RESOLVED
    after = server.scrape_metrics()
    kind = {"subject_kind": "household_index"}
    assert (
        sum(metric_samples(after, "hawiya_complaints_opened_total", **kind))
        == sum(metric_samples(before, "hawiya_complaints_opened_total", **kind)) + 1
    )
    closed_labels = {**kind, "outcome": "resolved"}
    assert (
        sum(metric_samples(after, "hawiya_complaints_closed_total", **closed_labels))
        == sum(metric_samples(before, "hawiya_complaints_closed_total", **closed_labels)) + 1
    )
    assert (
        sum(metric_samples(after, "hawiya_complaint_resolution_seconds_count", **closed_labels))
        == sum(metric_samples(before, "hawiya_complaint_resolution_seconds_count", **closed_labels)) + 1
    )


def test_illegal_transitions_are_refused(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    (person,) = _enrol(server, 1)
    c = _file(server, social, pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_PERSON_DATA, idcs=person))
    for status in (pb.COMPLAINT_STATUS_RESOLVED, pb.COMPLAINT_STATUS_REJECTED, pb.COMPLAINT_STATUS_OPEN):
        err = _refused(_set_status, server, social, c.complaint_id, status, "why not")
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert _precondition_subjects(err) == ["status"]
    err = _refused(_set_status, server, social, c.complaint_id, pb.COMPLAINT_STATUS_UNSPECIFIED)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["status"]
    _set_status(server, social, c.complaint_id, pb.COMPLAINT_STATUS_IN_REVIEW)
    err = _refused(_set_status, server, social, c.complaint_id, pb.COMPLAINT_STATUS_REJECTED, "")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["reason"]
    _set_status(server, social, c.complaint_id, pb.COMPLAINT_STATUS_REJECTED, "Unfounded.")
    err = _refused(_set_status, server, social, c.complaint_id, pb.COMPLAINT_STATUS_IN_REVIEW)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    got = social.GetComplaint(pb.GetComplaintRequest(complaint_id=c.complaint_id), metadata=server.metadata())
    assert len(got.complaint.history) == 3


def test_complaint_subjects_must_exist(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    (person,) = _enrol(server, 1)
    missing_household = pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_HOUSEHOLD_INDEX, household_id="a" * 32)
    assert _refused(_file, server, social, missing_household).code() == grpc.StatusCode.NOT_FOUND
    unknown = pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_MERGE, idcs=unknown_valid_idcs({person}))
    assert _refused(_file, server, social, unknown).code() == grpc.StatusCode.NOT_FOUND
    typo = pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_MERGE, idcs=mistype(person))
    err = _refused(_file, server, social, typo)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["subject.idcs"]
    missing = _refused(social.GetComplaint, pb.GetComplaintRequest(complaint_id="c" * 32), metadata=server.metadata())
    assert missing.code() == grpc.StatusCode.NOT_FOUND


def test_list_complaints_filters_and_paginates(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 2)
    h = _register(server, social, _members(people)).household
    about_h = pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_HOUSEHOLD_INDEX, household_id=h.household_id)
    membership = pb.ComplaintSubject(
        kind=pb.COMPLAINT_SUBJECT_KIND_MEMBERSHIP, household_id=h.household_id, idcs=people[1]
    )
    filed = [_file(server, social, about_h if k % 2 else membership, f"complaint {k}") for k in range(5)]
    _file(server, social, pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_PERSON_DATA, idcs=people[0]))
    _set_status(server, social, filed[1].complaint_id, pb.COMPLAINT_STATUS_IN_REVIEW)

    def listed(**fields: object) -> tuple[list[str], str]:
        reply = social.ListComplaints(pb.ListComplaintsRequest(**fields), metadata=server.metadata())  # type: ignore[arg-type]
        return [c.complaint_id for c in reply.complaints], reply.next_page_token

    assert listed(household_id=h.household_id)[0] == [c.complaint_id for c in filed]
    assert listed(household_id=h.household_id, status=pb.COMPLAINT_STATUS_IN_REVIEW)[0] == [filed[1].complaint_id]
    assert listed(household_id=h.household_id, status=pb.COMPLAINT_STATUS_OPEN)[0] == [
        filed[k].complaint_id for k in (0, 2, 3, 4)
    ]
    pages, token = [], ""
    while True:
        ids, token = listed(household_id=h.household_id, page_size=2, page_token=token)
        pages.append(ids)
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [c.complaint_id for c in filed]
    _, first_token = listed(household_id=h.household_id, page_size=2)
    err = _refused(
        social.ListComplaints,
        pb.ListComplaintsRequest(status=pb.COMPLAINT_STATUS_OPEN, page_size=2, page_token=first_token),
        metadata=server.metadata(),
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["page_token"]
    everything, _ = listed(page_size=500)
    assert set(everything) >= {c.complaint_id for c in filed}


def test_no_personal_data_in_the_server_log(server: ServerHandle, social: pb_grpc.SocialRegistryStub) -> None:
    people = _enrol(server, 2)
    h = _register(server, social, _members(people)).household
    _refused(_register, server, social, _members([people[1], people[0]]))
    c = _file(server, social, pb.ComplaintSubject(kind=pb.COMPLAINT_SUBJECT_KIND_PERSON_DATA, idcs=people[0]), "Ait")
    log = server.log_text()
    for secret in (*people, h.household_id, c.complaint_id, "Ouahmane", "آيت"):
        assert secret not in log


# -- the index formula is configuration ---------------------------------------------------------


def test_the_index_formula_is_configurable(tmp_path: Path) -> None:
    weights = IndexFormula.default().to_json()
    weights.update(version="test-weights-2", illustrative=False, description="Weights for this test.")
    weights["areas"]["urban"]["intercept"] = 100.0
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(weights))
    handle = start_server(tmp_path / "run", "sqlite", extra_env={"HAWIYA_RSU_INDEX_FORMULA": str(path)})
    try:
        with handle.channel() as channel:
            stub = pb_grpc.SocialRegistryStub(channel)
            h = _register(handle, stub, _members(_enrol(handle, 2))).household
        assert h.index.formula_version == "test-weights-2"
        assert h.index.value > 100.0
        assert "ILLUSTRATIVE" not in handle.log_text()
    finally:
        assert stop_server(handle.proc) == 0


def test_a_bad_index_formula_stops_the_start(tmp_path: Path) -> None:
    weights = IndexFormula.default().to_json()
    del weights["areas"]["rural"]["assets"]["car"]
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(weights))
    add_caller(tmp_path / "data" / "callers.toml", "desk", ["SocialRegistry/*"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    env.update(HAWIYA_DATA_DIR=str(tmp_path / "data"), HAWIYA_RSU_INDEX_FORMULA=str(path))
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--port", "0", "--metrics-port", "0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert f"{path}: areas.rural.assets.car: is missing" in result.stderr
    assert "Traceback" not in result.stderr
