"""The service end to end: enrol, read, update, authenticate, callers, audit, over real gRPC."""

from __future__ import annotations

import itertools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hawiya.v1 import authentication_pb2 as auth_pb2
from hawiya.v1 import person_pb2, registry_pb2, registry_pb2_grpc
from tests.integration.conftest import ServerHandle
from tests.integration.helpers import (
    bad_fields,
    claim,
    demographics,
    distinct_name,
    enrol_request,
    mistype,
    unknown_valid_idcs,
)

BIRTH = person_pb2.BirthDate(year=1987, month=3, day=12, precision=person_pb2.DATE_PRECISION_FULL)
WRONG_BIRTH = person_pb2.BirthDate(year=1987, month=3, day=13, precision=person_pb2.DATE_PRECISION_FULL)


_serial = itertools.count(1)


def _fatima() -> person_pb2.Demographics:
    """Fatima Zahra El Alaoui, born 1987-03-12: each call another woman of that name and date (her
    own CIN, phone and place of birth), so that Enrol's 1:N search does not take her for a duplicate."""
    n = next(_serial)
    return demographics(cin=f"FZ{n:06d}", phone=f"0650{n:06d}", birth_place_code=f"P{n}")


@pytest.fixture()
def enrolled(server: ServerHandle, registry_stub: registry_pb2_grpc.RegistryStub) -> registry_pb2.EnrolResponse:
    return registry_stub.Enrol(enrol_request(_fatima()), metadata=server.metadata())


def _claim_true(idcs: str, birth: person_pb2.BirthDate = BIRTH) -> auth_pb2.AuthenticateRequest:
    return claim(
        idcs,
        first_name=person_pb2.PersonName(latin="Fatima Zahra"),
        last_name=person_pb2.PersonName(latin="El Alaoui"),
        birth_date=birth,
        sex=person_pb2.SEX_FEMALE,
    )


def test_health_and_reflection(server: ServerHandle) -> None:
    with server.channel() as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "hawiya.v1.Authentication", "hawiya.v1.Registry"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as err:
            health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = list(
            reflect.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        )
        names = {s.name for s in replies[0].list_services_response.service}
        assert {"hawiya.v1.Authentication", "hawiya.v1.Registry", "grpc.health.v1.Health"} <= names


def test_enrol_allocates_valid_idcs(enrolled: registry_pb2.EnrolResponse) -> None:
    from registry_store.idcs import is_valid_idcs

    assert enrolled.outcome == registry_pb2.ENROL_OUTCOME_ENROLLED
    idcs = enrolled.person.idcs
    assert is_valid_idcs(idcs) and idcs[0] not in "01"
    assert enrolled.person.version == 1
    assert enrolled.person.status == person_pb2.PERSON_STATUS_ACTIVE
    assert enrolled.person.demographics.last_name.arabic == "العلوي"


def test_authenticate_true_details_yes(server, auth_stub, enrolled) -> None:
    reply = auth_stub.Authenticate(_claim_true(enrolled.person.idcs), metadata=server.metadata())
    assert reply.decision == auth_pb2.DECISION_YES
    assert reply.reason == auth_pb2.REASON_CODE_MATCHED
    assert [m.attribute for m in reply.matches] == [
        auth_pb2.ATTRIBUTE_FIRST_NAME,
        auth_pb2.ATTRIBUTE_LAST_NAME,
        auth_pb2.ATTRIBUTE_SEX,
        auth_pb2.ATTRIBUTE_BIRTH_DATE,
    ]
    assert all(m.matched and m.mode == auth_pb2.MATCH_MODE_EXACT for m in reply.matches)
    assert len(reply.transaction_id) == 32


def test_authenticate_normalises_case_accents_spacing_punctuation(server, auth_stub, enrolled) -> None:
    request = claim(
        enrolled.person.idcs,
        first_name=person_pb2.PersonName(latin="  FATIMA-zahra ", arabic="فَاطِمَة  الزَّهْرَاء"),
        last_name=person_pb2.PersonName(latin="él alaoui."),
    )
    reply = auth_stub.Authenticate(request, metadata=server.metadata())
    assert reply.decision == auth_pb2.DECISION_YES


def test_authenticate_wrong_birth_date_no(server, auth_stub, enrolled) -> None:
    reply = auth_stub.Authenticate(_claim_true(enrolled.person.idcs, WRONG_BIRTH), metadata=server.metadata())
    assert reply.decision == auth_pb2.DECISION_NO
    assert reply.reason == auth_pb2.REASON_CODE_DEMOGRAPHIC_MISMATCH
    flags = {m.attribute: m.matched for m in reply.matches}
    assert flags[auth_pb2.ATTRIBUTE_BIRTH_DATE] is False
    assert flags[auth_pb2.ATTRIBUTE_FIRST_NAME] is True


def test_year_only_claim_matches_full_date(server, auth_stub, enrolled) -> None:
    year_only = person_pb2.BirthDate(year=1987, precision=person_pb2.DATE_PRECISION_YEAR)
    reply = auth_stub.Authenticate(_claim_true(enrolled.person.idcs, year_only), metadata=server.metadata())
    assert reply.decision == auth_pb2.DECISION_YES


def test_unknown_idcs_answers_like_a_mismatch(server, auth_stub, enrolled) -> None:
    unknown = unknown_valid_idcs({enrolled.person.idcs})
    all_wrong = claim(
        enrolled.person.idcs,
        first_name=person_pb2.PersonName(latin="Zineb"),
        last_name=person_pb2.PersonName(latin="Tazi"),
        birth_date=WRONG_BIRTH,
        sex=person_pb2.SEX_MALE,
    )
    mismatch = auth_stub.Authenticate(all_wrong, metadata=server.metadata())
    all_wrong.idcs = unknown
    missing = auth_stub.Authenticate(all_wrong, metadata=server.metadata())
    for reply in (mismatch, missing):
        assert reply.decision == auth_pb2.DECISION_NO
        assert reply.transaction_id
    mismatch.ClearField("transaction_id")
    missing.ClearField("transaction_id")
    assert mismatch.SerializeToString() == missing.SerializeToString()


def test_mistyped_idcs_is_invalid_argument_before_lookup(server, auth_stub, enrolled) -> None:
    store = server.store()
    try:
        before = store.count_audit()
        for bad in (mistype(enrolled.person.idcs), "12345", "", "１２３４５６７８９０", enrolled.person.idcs + "0"):
            with pytest.raises(grpc.RpcError) as err:
                auth_stub.Authenticate(_claim_true(bad), metadata=server.metadata())
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert bad_fields(err.value) == ["idcs"]
            assert bad not in err.value.details() or not bad
        assert store.count_audit() == before
    finally:
        store.close()


def test_invalid_claim_fields_are_named(server, auth_stub, enrolled) -> None:
    cases = {
        "claimed.birth_date.day": claim(
            enrolled.person.idcs,
            birth_date=person_pb2.BirthDate(year=1987, month=2, day=30, precision=person_pb2.DATE_PRECISION_FULL),
        ),
        "claimed.first_name.arabic": claim(enrolled.person.idcs, first_name=person_pb2.PersonName(arabic="Fatima")),
        "claimed.phone": claim(enrolled.person.idcs, phone="12"),
        "claimed": claim(enrolled.person.idcs),
    }
    for field, request in cases.items():
        with pytest.raises(grpc.RpcError) as err:
            auth_stub.Authenticate(request, metadata=server.metadata())
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert bad_fields(err.value) == [field]


def test_callers_are_authenticated_and_authorised(server, auth_stub, registry_stub, enrolled) -> None:
    request = _claim_true(enrolled.person.idcs)
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(request)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(request, metadata=(("x-api-key", "hwk_not-a-real-key"),))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # A bad key wins over a malformed payload: the caller is checked first.
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(_claim_true("12"), metadata=(("x-api-key", "wrong"),))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    reply = auth_stub.Authenticate(request, metadata=(("authorization", f"Bearer {server.keys['auth-only']}"),))
    assert reply.decision == auth_pb2.DECISION_YES
    with pytest.raises(grpc.RpcError) as err:
        registry_stub.Enrol(enrol_request(demographics()), metadata=server.metadata("auth-only"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_one_audit_row_per_answered_call_without_personal_data(server, auth_stub, enrolled) -> None:
    store = server.store()
    try:
        before = store.count_audit()
        replies = [
            auth_stub.Authenticate(_claim_true(enrolled.person.idcs, b), metadata=server.metadata())
            for b in (BIRTH, WRONG_BIRTH, BIRTH)
        ]
        assert store.count_audit() == before + 3
        entries = store.audit_entries(limit=3)
        assert {e.transaction_id for e in entries} == {r.transaction_id for r in replies}
        assert {e.caller_id for e in entries} == {"test-programme"}
        for entry in entries:
            row = repr(entry)
            assert enrolled.person.idcs not in row and "Alaoui" not in row and "1987" not in row
        assert len({e.idcs_hash for e in entries}) == 1
    finally:
        store.close()
    assert enrolled.person.idcs not in server.log_text()
    assert "Alaoui" not in server.log_text()


def test_enrol_is_idempotent(server, registry_stub) -> None:
    key = uuid.uuid4().hex
    # His own CIN and phone: with the defaults he would be, to the 1:N search, the Fatimas of other tests.
    youssef = demographics(
        "Youssef",
        "Benali",
        first_ar="يوسف",
        last_ar="بنعلي",
        sex=person_pb2.SEX_MALE,
        cin="YB100001",
        phone="0650100001",
    )
    first = registry_stub.Enrol(enrol_request(youssef, key), metadata=server.metadata())
    again = registry_stub.Enrol(enrol_request(youssef, key), metadata=server.metadata())
    assert first.outcome == registry_pb2.ENROL_OUTCOME_ENROLLED
    assert again.outcome == registry_pb2.ENROL_OUTCOME_ALREADY_ENROLLED
    assert again.person.idcs == first.person.idcs
    with pytest.raises(grpc.RpcError) as err:
        registry_stub.Enrol(
            enrol_request(
                demographics("Yassine", "Benali", first_ar="ياسين", last_ar="بنعلي", sex=person_pb2.SEX_MALE), key
            ),
            metadata=server.metadata(),
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(err.value) == ["idempotency_key"]
    with pytest.raises(grpc.RpcError) as err:
        registry_stub.Enrol(enrol_request(demographics(), "short"), metadata=server.metadata())
    assert bad_fields(err.value) == ["idempotency_key"]


def test_enrol_rejects_incomplete_records(server, registry_stub) -> None:
    missing_name = demographics()
    missing_name.first_name.Clear()
    missing_sex = demographics(sex=person_pb2.SEX_UNSPECIFIED)
    future = demographics(birth=(2999, 1, 1))
    for request, field in (
        (missing_name, "demographics.first_name"),
        (missing_sex, "demographics.sex"),
        (future, "demographics.birth_date.year"),
    ):
        with pytest.raises(grpc.RpcError) as err:
            registry_stub.Enrol(enrol_request(request), metadata=server.metadata())
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(err.value) == [field]


def test_update_writes_a_new_version_and_keeps_history(server, registry_stub, auth_stub, enrolled) -> None:
    idcs = enrolled.person.idcs
    changed = demographics(phone="0700000000")
    reply = registry_stub.UpdatePerson(
        registry_pb2.UpdatePersonRequest(idcs=idcs, demographics=changed, expected_version=1),
        metadata=server.metadata(),
    )
    assert reply.person.version == 2 and reply.person.demographics.phone == "0700000000"
    latest = registry_stub.GetPerson(registry_pb2.GetPersonRequest(idcs=idcs), metadata=server.metadata())
    assert latest.person.version == 2 and list(latest.versions) == [1, 2]
    first = registry_stub.GetPerson(registry_pb2.GetPersonRequest(idcs=idcs, version=1), metadata=server.metadata())
    assert first.person.demographics.phone == enrolled.person.demographics.phone
    with pytest.raises(grpc.RpcError) as err:
        registry_stub.UpdatePerson(
            registry_pb2.UpdatePersonRequest(idcs=idcs, demographics=changed, expected_version=1),
            metadata=server.metadata(),
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    dead = registry_stub.UpdatePerson(
        registry_pb2.UpdatePersonRequest(idcs=idcs, demographics=changed, status=person_pb2.PERSON_STATUS_DECEASED),
        metadata=server.metadata(),
    )
    assert dead.person.version == 3
    # A deceased person cannot be authenticated, and the answer says no more than a mismatch.
    reply_auth = auth_stub.Authenticate(_claim_true(idcs), metadata=server.metadata())
    assert reply_auth.decision == auth_pb2.DECISION_NO
    assert not any(m.matched for m in reply_auth.matches)


def test_get_unknown_person_is_not_found(server, registry_stub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        registry_stub.GetPerson(
            registry_pb2.GetPersonRequest(idcs=unknown_valid_idcs(set())), metadata=server.metadata()
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


# Enrolments are decided one at a time under the register's lock: more persons would add
# minutes to the suite, not concurrency.
CONCURRENT_PERSONS = 500


def test_concurrent_enrolment_with_retries_stores_each_person_once(server: ServerHandle) -> None:
    """500 persons from 16 concurrent clients, each request sent twice with its key."""
    requests = [
        enrol_request(
            demographics(
                distinct_name("Person", i),
                "Concurrent",
                first_ar="",
                last_ar="",
                birth=(1950 + i % 60, 1 + i % 12, 1 + i % 28),
                # Each their own CIN, phone and place of birth: to Enrol's 1:N search, people of one
                # name, parents, place, CIN and phone are one person.
                cin=f"CC{i:06d}",
                phone=f"0680{i:06d}",
                birth_place_code=f"P{i}",
            ),
            f"concurrency-{uuid.uuid4().hex}-{i}",
        )
        for i in range(CONCURRENT_PERSONS)
    ]
    store = server.store()
    before = store.count_persons()
    channels = [server.channel() for _ in range(16)]
    idcs_by_key: dict[str, set[str]] = {}
    lock = threading.Lock()

    def send(index: int) -> None:
        stub = registry_pb2_grpc.RegistryStub(channels[index % 16])
        request = requests[index % CONCURRENT_PERSONS]
        reply = stub.Enrol(request, metadata=server.metadata(), timeout=60)
        with lock:
            idcs_by_key.setdefault(request.idempotency_key, set()).add(reply.person.idcs)

    try:
        # Every request twice; the retries interleave with the first attempts.
        order = [i for pair in zip(range(CONCURRENT_PERSONS), range(CONCURRENT_PERSONS), strict=True) for i in pair]
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(send, order))
        assert store.count_persons() - before == CONCURRENT_PERSONS
        assert len(idcs_by_key) == CONCURRENT_PERSONS
        assert all(len(v) == 1 for v in idcs_by_key.values())
        assert len(set().union(*idcs_by_key.values())) == CONCURRENT_PERSONS
    finally:
        for channel in channels:
            channel.close()
        store.close()


def _policy(mode: int, min_score: float = 0.0) -> auth_pb2.MatchPolicy:
    return auth_pb2.MatchPolicy(default_rule=auth_pb2.AttributePolicy(mode=mode, min_score=min_score))


def _variant_claim(
    idcs: str, first: person_pb2.PersonName, last: person_pb2.PersonName
) -> auth_pb2.AuthenticateRequest:
    return claim(idcs, first_name=first, last_name=last, birth_date=BIRTH, sex=person_pb2.SEX_FEMALE)


def test_match_modes_follow_the_callers_policy(server, auth_stub, enrolled) -> None:
    idcs = enrolled.person.idcs
    other_spelling = _variant_claim(
        idcs, person_pb2.PersonName(latin="Fatema Zahra"), person_pb2.PersonName(latin="El Alawi")
    )
    cross_script = _variant_claim(
        idcs, person_pb2.PersonName(arabic="فاطمة الزهراء"), person_pb2.PersonName(latin="Elalaoui")
    )
    typo = _variant_claim(idcs, person_pb2.PersonName(latin="Fatima Zahra"), person_pb2.PersonName(latin="El Alaoiu"))
    other_person = _variant_claim(idcs, person_pb2.PersonName(latin="Fatiha"), person_pb2.PersonName(latin="El Alaoui"))
    matching = server.metadata("matching")

    def decision(request: auth_pb2.AuthenticateRequest, mode: int) -> int:
        request.policy.CopyFrom(_policy(mode))
        reply = auth_stub.Authenticate(request, metadata=matching)
        assert {m.mode for m in reply.matches if m.attribute == auth_pb2.ATTRIBUTE_FIRST_NAME} == {
            mode or auth_pb2.MATCH_MODE_EXACT
        }
        return reply.decision

    yes, no = auth_pb2.DECISION_YES, auth_pb2.DECISION_NO
    assert decision(other_spelling, auth_pb2.MATCH_MODE_EXACT) == no
    assert decision(other_spelling, auth_pb2.MATCH_MODE_PHONETIC) == yes
    assert decision(cross_script, auth_pb2.MATCH_MODE_PHONETIC) == yes
    assert decision(typo, auth_pb2.MATCH_MODE_PHONETIC) == no
    assert decision(typo, auth_pb2.MATCH_MODE_FUZZY) == yes
    assert decision(other_person, auth_pb2.MATCH_MODE_FUZZY) == no
    assert decision(other_spelling, auth_pb2.MATCH_MODE_UNSPECIFIED) == no  # the caller's default: EXACT


def test_match_policy_limits(server, auth_stub, enrolled) -> None:
    request = _claim_true(enrolled.person.idcs)
    request.policy.CopyFrom(_policy(auth_pb2.MATCH_MODE_FUZZY))
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(request, metadata=server.metadata())  # this caller may use EXACT only
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    request.policy.CopyFrom(_policy(auth_pb2.MATCH_MODE_FUZZY, 0.5))
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(request, metadata=server.metadata("matching"))  # below its floor
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    request.policy.CopyFrom(_policy(auth_pb2.MATCH_MODE_FUZZY, 1.5))
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(request, metadata=server.metadata("matching"))
    assert bad_fields(err.value) == ["policy.default_rule.min_score"]
    request.policy.CopyFrom(auth_pb2.MatchPolicy(last_name=auth_pb2.AttributePolicy(mode=42)))
    with pytest.raises(grpc.RpcError) as err:
        auth_stub.Authenticate(request, metadata=server.metadata("matching"))
    assert bad_fields(err.value) == ["policy.last_name.mode"]
