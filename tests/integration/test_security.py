"""Security end to end: caller policies, residents' locks and history, brute-force limits,
answers that do not tell an unknown IDCS from a wrong or locked one, hostile requests of every
service, and no personal data in logs, metrics, Redis keys or errors (the canary scan)."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hawiya.v1 import authentication_pb2 as auth_pb2
from hawiya.v1 import (
    authentication_pb2_grpc,
    person_pb2,
    registry_pb2,
    registry_pb2_grpc,
    residents_pb2,
    residents_pb2_grpc,
    social_registry_pb2,
)
from tests.integration.conftest import ServerHandle, free_port, start_redis, start_server, stop_server
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


@dataclass
class Secured:
    handle: ServerHandle
    redis_port: int


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """One server with Redis and a low brute-force limit, shared by this module's tests."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing (Debian's redis-server package)")
    tmp = tmp_path_factory.mktemp("security")
    redis_port = free_port()
    redis = start_redis(redis_port, tmp)
    try:
        handle = start_server(
            tmp / "hawiya",
            "sqlite",
            {
                "HAWIYA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "HAWIYA_MAX_FAILED_ATTEMPTS": "4",
                "HAWIYA_ATTEMPT_WINDOW_SECONDS": "600",
                "HAWIYA_FREEZE_SECONDS": "600",
            },
        )
        try:
            yield Secured(handle, redis_port)
        finally:
            code = stop_server(handle.proc)
            assert code == 0, handle.log_text()[-3000:]
    finally:
        redis.kill()
        redis.wait()


_serial = iter(range(10**6))


def _person(tag: str) -> person_pb2.Demographics:
    """Distinct demographics for each call (a fresh first name and CIN)."""
    n = next(_serial)
    return demographics(
        distinct_name(f"Nour{tag.capitalize()}", n),
        "Bennani",
        first_ar="",
        last_ar="بناني",
        sex=person_pb2.SEX_FEMALE,
        cin=f"SE{n:06d}",
        phone=f"067{n:07d}",
    )


def _enrol(handle: ServerHandle, channel: grpc.Channel, d: person_pb2.Demographics) -> str:
    registry = registry_pb2_grpc.RegistryStub(channel)
    return str(registry.Enrol(enrol_request(d), metadata=handle.metadata()).person.idcs)


def _true_claim(idcs: str, d: person_pb2.Demographics) -> auth_pb2.AuthenticateRequest:
    return claim(
        idcs,
        first_name=person_pb2.PersonName(latin=d.first_name.latin),
        last_name=person_pb2.PersonName(latin=d.last_name.latin),
        birth_date=d.birth_date,
        sex=d.sex,
    )


def _wrong_claim(idcs: str) -> auth_pb2.AuthenticateRequest:
    """A claim that matches no attribute of any person these tests enrol."""
    return claim(
        idcs,
        first_name=person_pb2.PersonName(latin="Zakaria"),
        last_name=person_pb2.PersonName(latin="Tazi"),
        birth_date=person_pb2.BirthDate(year=1961, month=11, day=2, precision=person_pb2.DATE_PRECISION_FULL),
        sex=person_pb2.SEX_MALE,
    )


def _bytes(reply: auth_pb2.AuthenticateResponse) -> bytes:
    copy = auth_pb2.AuthenticateResponse()
    copy.CopyFrom(reply)
    assert len(copy.transaction_id) == 32
    copy.ClearField("transaction_id")
    return copy.SerializeToString(deterministic=True)


def _refused(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        call(*args, **kwargs)
    return err.value


# -- caller policies ----------------------------------------------------------------------------


def test_get_person_shows_only_the_callers_attributes(sec: Secured) -> None:
    h = sec.handle
    with h.channel() as channel:
        d = _person("reader")
        idcs = _enrol(h, channel, d)
        registry = registry_pb2_grpc.RegistryStub(channel)
        request = registry_pb2.GetPersonRequest(idcs=idcs)
        everything = registry.GetPerson(request, metadata=h.metadata()).person
        assert everything.demographics.cin == d.cin and everything.HasField("created_at")
        shown = registry.GetPerson(request, metadata=h.metadata("reader")).person
    # "reader" may read first_name only: the rest of the person is absent, not blanked.
    expected = person_pb2.Person(
        idcs=idcs,
        status=person_pb2.PERSON_STATUS_ACTIVE,
        version=1,
        demographics=person_pb2.Demographics(first_name=d.first_name),
    )
    assert shown == expected


def test_unknown_idcs_is_denied_as_a_forbidden_call_is(sec: Secured) -> None:
    h = sec.handle
    with h.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        unknown = unknown_valid_idcs(set())
        # A caller whose policy lets it learn that an IDCS is unknown: NOT_FOUND.
        err = _refused(registry.GetPerson, registry_pb2.GetPersonRequest(idcs=unknown), metadata=h.metadata())
        assert err.code() == grpc.StatusCode.NOT_FOUND
        # One whose policy does not: PERMISSION_DENIED, exactly as for an RPC it may not call.
        unknown_err = _refused(
            registry.GetPerson, registry_pb2.GetPersonRequest(idcs=unknown), metadata=h.metadata("reader")
        )
        forbidden = _refused(
            registry.GetPerson, registry_pb2.GetPersonRequest(idcs=unknown), metadata=h.metadata("auth-only")
        )
        update = _refused(
            registry.UpdatePerson,
            registry_pb2.UpdatePersonRequest(idcs=unknown, demographics=_person("x")),
            metadata=h.metadata("reader"),
        )
    for err in (unknown_err, forbidden):
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert unknown_err.details() == forbidden.details().replace("auth-only", "reader")
    unknown_status, forbidden_status = rpc_status.from_call(unknown_err), rpc_status.from_call(forbidden)  # type: ignore[arg-type]
    assert unknown_status is not None and forbidden_status is not None
    assert list(unknown_status.details) == list(forbidden_status.details)
    assert update.code() == grpc.StatusCode.PERMISSION_DENIED
    assert update.details() == "caller reader may not call Registry/UpdatePerson"


def test_rate_limit_per_caller(sec: Secured) -> None:
    h = sec.handle
    limited = h.metadata("limited")  # 5 calls per second, burst 5
    with h.channel() as channel:
        d = _person("limit")
        idcs = _enrol(h, channel, d)
        stub = authentication_pb2_grpc.AuthenticationStub(channel)
        time.sleep(1.2)  # a full bucket
        codes = []
        for _ in range(12):
            try:
                stub.Authenticate(_true_claim(idcs, d), metadata=limited, timeout=5)
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as exc:
                codes.append(exc.code())
                last = exc
        assert codes[:5] == [grpc.StatusCode.OK] * 5
        assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) >= 3  # a token comes back every 0.2 s
        assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
        status = rpc_status.from_call(last)  # type: ignore[arg-type]
        assert status is not None
        assert any(d.Is(error_details_pb2.RetryInfo.DESCRIPTOR) for d in status.details)
        # Other callers are not slowed down by it.
        assert (
            stub.Authenticate(_true_claim(idcs, d), metadata=h.metadata(), timeout=5).decision == auth_pb2.DECISION_YES
        )
        # A stream is slowed to the rate instead of failing: 10 items past an empty bucket take ~2 s.
        time.sleep(1.2)
        chunk = auth_pb2.AuthenticateStreamRequest(
            items=[auth_pb2.AuthenticateItem(item_id=str(i), request=_true_claim(idcs, d)) for i in range(5)]
        )
        began = time.monotonic()
        replies = list(stub.AuthenticateStream(iter([chunk] * 3), metadata=limited, timeout=30))
        took = time.monotonic() - began
        assert sum(len(r.results) for r in replies) == 15
        assert all(r.response.decision == auth_pb2.DECISION_YES for reply in replies for r in reply.results)
        assert took >= 1.5


# -- residents' controls ------------------------------------------------------------------------


def test_lock_unlock_and_history(sec: Secured) -> None:
    h = sec.handle
    portal = h.metadata("portal")
    with h.channel() as channel:
        d = _person("lock")
        idcs = _enrol(h, channel, d)
        other = _enrol(h, channel, _person("other"))
        auth = authentication_pb2_grpc.AuthenticationStub(channel)
        residents = residents_pb2_grpc.ResidentsStub(channel)
        first = auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata())
        assert first.decision == auth_pb2.DECISION_YES
        mismatch = auth.Authenticate(_wrong_claim(idcs), metadata=h.metadata("auth-only"))
        auth.Authenticate(_true_claim(other, d), metadata=h.metadata())  # another resident's

        state = residents.LockAuthentication(residents_pb2.LockAuthenticationRequest(idcs=idcs), metadata=portal).state
        assert state.locked and not state.HasField("until") and state.HasField("changed_at")
        locked = auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata())
        assert locked.decision == auth_pb2.DECISION_NO
        assert _bytes(locked) == _bytes(mismatch)  # the lock is answered as a complete mismatch
        told = auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata("revealing"))
        assert told.reason == auth_pb2.REASON_CODE_LOCKED and not any(m.matched for m in told.matches)
        # Streamed authentications are locked too.
        stream = list(
            auth.AuthenticateStream(
                iter([auth_pb2.AuthenticateStreamRequest(items=[auth_pb2.AuthenticateItem(
                    item_id="a", request=_true_claim(idcs, d))])]),
                metadata=h.metadata(), timeout=10,
            )
        )  # fmt: skip
        assert _bytes(stream[0].results[0].response) == _bytes(mismatch)

        state = residents.UnlockAuthentication(
            residents_pb2.UnlockAuthenticationRequest(idcs=idcs), metadata=portal
        ).state
        assert not state.locked
        last = auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata())
        assert last.decision == auth_pb2.DECISION_YES

        # History: this resident's authentications only, newest first, with the true reasons.
        pages, token = [], ""
        while True:
            page = residents.GetAuthHistory(
                residents_pb2.GetAuthHistoryRequest(idcs=idcs, page_size=2, page_token=token), metadata=portal
            )
            pages.append(page)
            token = page.next_page_token
            if not token:
                break
        entries = [e for p in pages for e in p.entries]
        assert len(pages) == 3
        assert [e.transaction_id for e in entries] == [
            last.transaction_id,
            stream[0].results[0].response.transaction_id,
            told.transaction_id,
            locked.transaction_id,
            mismatch.transaction_id,
            first.transaction_id,
        ]
        assert [e.reason for e in entries] == [
            auth_pb2.REASON_CODE_MATCHED,
            auth_pb2.REASON_CODE_LOCKED,
            auth_pb2.REASON_CODE_LOCKED,
            auth_pb2.REASON_CODE_LOCKED,
            auth_pb2.REASON_CODE_DEMOGRAPHIC_MISMATCH,
            auth_pb2.REASON_CODE_MATCHED,
        ]
        assert [e.caller_id for e in entries][-2:] == ["auth-only", "test-programme"]
        assert all(e.at.ToDatetime() <= datetime.now() for e in entries)
        # An unregistered IDCS can be locked too, and has no history: nothing tells it apart.
        unknown = unknown_valid_idcs({idcs, other})
        assert residents.LockAuthentication(
            residents_pb2.LockAuthenticationRequest(idcs=unknown), metadata=portal
        ).state.locked
        empty = residents.GetAuthHistory(residents_pb2.GetAuthHistoryRequest(idcs=unknown), metadata=portal)
        assert list(empty.entries) == [] and empty.next_page_token == ""


def test_timed_lock_and_temporary_unlock(sec: Secured) -> None:
    h = sec.handle
    portal = h.metadata("portal")
    with h.channel() as channel:
        d = _person("timed")
        idcs = _enrol(h, channel, d)
        auth = authentication_pb2_grpc.AuthenticationStub(channel)
        residents = residents_pb2_grpc.ResidentsStub(channel)

        def decision() -> int:
            return int(auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata()).decision)

        def at(seconds: float) -> timestamp_pb2.Timestamp:
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(datetime.now(UTC) + timedelta(seconds=seconds))
            return stamp

        state = residents.LockAuthentication(
            residents_pb2.LockAuthenticationRequest(idcs=idcs, until=at(2.0)), metadata=portal
        ).state
        assert state.locked and state.HasField("until")
        assert decision() == auth_pb2.DECISION_NO
        time.sleep(2.2)
        assert decision() == auth_pb2.DECISION_YES  # the lock ended by itself
        residents.LockAuthentication(residents_pb2.LockAuthenticationRequest(idcs=idcs), metadata=portal)
        state = residents.UnlockAuthentication(
            residents_pb2.UnlockAuthenticationRequest(idcs=idcs, until=at(2.0)), metadata=portal
        ).state
        assert not state.locked and state.HasField("until")
        assert decision() == auth_pb2.DECISION_YES
        time.sleep(2.2)
        assert decision() == auth_pb2.DECISION_NO  # locked again at the end of the temporary unlock


def test_residents_refusals(sec: Secured) -> None:
    h = sec.handle
    portal = h.metadata("portal")
    with h.channel() as channel:
        idcs = _enrol(h, channel, _person("refusals"))
        residents = residents_pb2_grpc.ResidentsStub(channel)
        for bad in (mistype(idcs), "12", ""):
            err = _refused(
                residents.LockAuthentication, residents_pb2.LockAuthenticationRequest(idcs=bad), metadata=portal
            )
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["idcs"]
        past = timestamp_pb2.Timestamp(seconds=int(time.time()) - 10)
        for until in (past, timestamp_pb2.Timestamp(seconds=2**62), timestamp_pb2.Timestamp(seconds=10, nanos=-1)):
            err = _refused(
                residents.LockAuthentication,
                residents_pb2.LockAuthenticationRequest(idcs=idcs, until=until),
                metadata=portal,
            )
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["until"]
        for token in ("nope", "MS45OTkuYWJjZGVmMDEyMzQ1"):
            err = _refused(
                residents.GetAuthHistory,
                residents_pb2.GetAuthHistoryRequest(idcs=idcs, page_token=token),
                metadata=portal,
            )
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err) == ["page_token"]
        err = _refused(
            residents.GetAuthHistory, residents_pb2.GetAuthHistoryRequest(idcs=idcs, page_size=-1), metadata=portal
        )
        assert bad_fields(err) == ["page_size"]
        # A programme may not lock or read a resident's history unless its policy says so.
        err = _refused(
            residents.LockAuthentication,
            residents_pb2.LockAuthenticationRequest(idcs=idcs),
            metadata=h.metadata("auth-only"),
        )
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED


# -- brute-force limit --------------------------------------------------------------------------


def test_failed_attempts_from_all_callers_freeze_the_idcs(sec: Secured) -> None:
    h = sec.handle
    with h.channel() as channel:
        d = _person("freeze")
        idcs = _enrol(h, channel, d)
        bystander = _person("bystander")
        other = _enrol(h, channel, bystander)
        auth = authentication_pb2_grpc.AuthenticationStub(channel)
        unknown = unknown_valid_idcs({idcs, other})
        reference = auth.Authenticate(_wrong_claim(unknown), metadata=h.metadata())
        # Four failures (the limit), from four callers: each answered as a mismatch.
        for caller in ("full", "auth-only", "matching", "revealing"):
            reply = auth.Authenticate(_wrong_claim(idcs), metadata=h.metadata(caller))
            assert _bytes(reply) == _bytes(reference)
        # Now even the right details are refused, exactly as a mismatch; for every caller.
        for caller in ("full", "auth-only"):
            frozen = auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata(caller))
            assert _bytes(frozen) == _bytes(reference)
        told = auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata("revealing"))
        assert told.reason == auth_pb2.REASON_CODE_ATTEMPTS_EXCEEDED
        # Another person is not affected; an unlock by the resident does not lift a freeze.
        assert auth.Authenticate(_true_claim(other, bystander), metadata=h.metadata()).decision == auth_pb2.DECISION_YES
        residents = residents_pb2_grpc.ResidentsStub(channel)
        residents.UnlockAuthentication(
            residents_pb2.UnlockAuthenticationRequest(idcs=idcs), metadata=h.metadata("portal")
        )
        assert auth.Authenticate(_true_claim(idcs, d), metadata=h.metadata()).decision == auth_pb2.DECISION_NO


def test_oversize_request_is_resource_exhausted(sec: Secured) -> None:
    h = sec.handle
    with h.channel() as channel:
        auth = authentication_pb2_grpc.AuthenticationStub(channel)
        huge = claim("2000000000", birth_place_code="x" * (1 << 20))  # over HAWIYA_MAX_MESSAGE_BYTES (1 MiB)
        err = _refused(auth.Authenticate, huge, metadata=h.metadata(), timeout=10)
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


# -- mutual TLS ---------------------------------------------------------------------------------


def _certificates(folder: Path) -> None:
    """A CA, a server certificate for 127.0.0.1, and two client certificates."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=hawiya test CA")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, subject in (("server", "/CN=localhost"), ("amo", "/C=MA/O=CNSS/CN=cnss-amo"), ("other", "/CN=other")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", subject)  # fmt: skip
        extra = ["-extfile", "san.ext"] if name == "server" else []
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", *extra)  # fmt: skip


def test_mutual_tls_maps_client_certificates_to_callers(tmp_path: Path) -> None:
    import os
    import sys

    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from server.callers import add_caller

    if shutil.which("openssl") is None:
        pytest.fail("openssl is missing")
    certs = tmp_path / "certs"
    certs.mkdir()
    _certificates(certs)
    data = tmp_path / "data"
    data.mkdir()
    callers = data / "callers.toml"
    add_caller(callers, "cnss-amo", ["Authentication/Authenticate"], tls_subject="CN=cnss-amo, O=CNSS, C=MA")
    desk = add_caller(callers, "desk", ["Registry/Enrol"])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    env.update(
        HAWIYA_DATA_DIR=str(data),
        HAWIYA_PORT=str(port),
        HAWIYA_METRICS_PORT="0",
        HAWIYA_TLS_CERT=str(certs / "server.pem"),
        HAWIYA_TLS_KEY=str(certs / "server.key"),
        HAWIYA_TLS_CLIENT_CA=str(certs / "ca.pem"),
    )
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def channel(client: str) -> grpc.Channel:
        credentials = grpc.ssl_channel_credentials(
            (certs / "ca.pem").read_bytes(),
            (certs / f"{client}.key").read_bytes(),
            (certs / f"{client}.pem").read_bytes(),
        )
        return grpc.secure_channel(f"127.0.0.1:{port}", credentials)

    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            with channel("amo") as ch:
                try:
                    health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                    break
                except grpc.RpcError:
                    time.sleep(0.1)
        with channel("other") as ch:
            registry = registry_pb2_grpc.RegistryStub(ch)
            d = _person("tls")
            idcs = registry.Enrol(enrol_request(d), metadata=(("x-api-key", desk),)).person.idcs  # a key still works
            auth = authentication_pb2_grpc.AuthenticationStub(ch)
            err = _refused(auth.Authenticate, _true_claim(idcs, d))  # a certificate that is no caller's
            assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        with channel("amo") as ch:
            auth = authentication_pb2_grpc.AuthenticationStub(ch)
            assert auth.Authenticate(_true_claim(idcs, d)).decision == auth_pb2.DECISION_YES  # no key: the certificate
            registry = registry_pb2_grpc.RegistryStub(ch)
            err = _refused(registry.Enrol, enrol_request(_person("tls")))
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "cnss-amo" in (err.details() or "")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as plain:  # plaintext is refused
            err = _refused(
                authentication_pb2_grpc.AuthenticationStub(plain).Authenticate, _true_claim(idcs, d), timeout=5
            )
            assert err.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        assert stop_server(proc) == 0, log_path.read_text()[-3000:]


# -- enumeration --------------------------------------------------------------------------------


def test_unknown_wrong_and_locked_answer_alike_in_bytes_and_time(tmp_path: Path) -> None:
    """Unknown IDCS, wrong details and a locked IDCS (with the right details): the same bytes,
    and medians within 10 % of each other, timed client-side over interleaved calls."""
    handle = start_server(tmp_path, "sqlite")
    try:
        with handle.channel() as channel:
            people = [_person("enum") for _ in range(10)]
            known = [_enrol(handle, channel, p) for p in people]
            wrong, locked = known[:5], known[5:]
            residents = residents_pb2_grpc.ResidentsStub(channel)
            for idcs in locked:
                residents.LockAuthentication(
                    residents_pb2.LockAuthenticationRequest(idcs=idcs), metadata=handle.metadata("portal")
                )
            unknown = [unknown_valid_idcs(set(known)) for _ in range(5)]
            groups = {
                "unknown": [_wrong_claim(i) for i in unknown],
                "wrong": [_wrong_claim(i) for i in wrong],
                "locked": [_true_claim(i, p) for i, p in zip(locked, people[5:], strict=True)],
            }
            stub = authentication_pb2_grpc.AuthenticationStub(channel)
            metadata = handle.metadata("auth-only")
            times: dict[str, list[float]] = {name: [] for name in groups}
            answers: set[bytes] = set()
            for round_ in range(400):  # 100 warm-up rounds, then 300 measured
                order = list(groups)[round_ % 3 :] + list(groups)[: round_ % 3]
                for name in order:
                    request = groups[name][round_ % 5]
                    began = time.perf_counter()
                    reply = stub.Authenticate(request, metadata=metadata, timeout=10)
                    took = time.perf_counter() - began
                    answers.add(_bytes(reply))
                    if round_ >= 100:
                        times[name].append(took)
        assert len(answers) == 1
        medians = {name: statistics.median(t) for name, t in times.items()}
        spread = max(medians.values()) / min(medians.values()) - 1
        print("enumeration medians (ms):", {k: round(v * 1000, 3) for k, v in medians.items()}, f"spread {spread:.1%}")
        assert spread < 0.10, medians
    finally:
        assert stop_server(handle.proc) == 0


# -- hostile requests of every service (property-based) -----------------------------------------

_SERVICES = [
    auth_pb2.DESCRIPTOR.services_by_name["Authentication"],
    registry_pb2.DESCRIPTOR.services_by_name["Registry"],
    social_registry_pb2.DESCRIPTOR.services_by_name["SocialRegistry"],
    residents_pb2.DESCRIPTOR.services_by_name["Residents"],
]
_METHODS = [m for s in _SERVICES for m in s.methods]
# Codes a well-formed request may get: OK, a bad field, or a domain refusal (the record it names
# does not exist, is not in the right state, or the caller's policy forbids what it asks).
_ALLOWED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
}
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_WEIRD = [
    "",
    " ",
    "\x00",
    "\u202e\u0645\u062d\u0645\u062f",  # RTL override, Arabic
    "e\u0301\u0301\u0301",  # stacked combining marks
    "１２３４５６７８９０",  # full-width digits
    "Mohammed محمد",
    "0" * 200,
    "\U0001f600" * 5,
    "9" * 10,
    "2000000000",
    "a" * 32,
    "0612345678",
    "BE123456",
    "\ufeff\u200b",
]


def _scalar(field: FieldDescriptor, ids: list[str]) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return st.one_of(st.text(max_size=40), st.sampled_from(_WEIRD + ids))
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=40)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_FLOAT:
        return st.floats(width=32)
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return st.floats()
    if kind == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(values), st.integers(-(2**31), 2**31 - 1))  # open enums
    low, high = _INT_RANGES[kind]
    return st.one_of(st.integers(low, high), st.integers(-3, 3000))


def _field(field: FieldDescriptor, ids: list[str], depth: int) -> st.SearchStrategy[Any] | None:
    """Any value of one field (a list for a repeated one); None past the nesting depth."""
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if depth >= 4:
            return None
        inner = _message(field.message_type, ids, depth + 1)
    else:
        inner = _scalar(field, ids)
    return st.lists(inner, max_size=3) if field.is_repeated else inner


def _set(message: Any, field: FieldDescriptor, value: Any) -> None:
    message.ClearField(field.name)
    target = getattr(message, field.name)
    if field.is_repeated:
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        target.CopyFrom(value)
    else:
        setattr(message, field.name, value)


def _message(descriptor: Descriptor, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Messages of this type built field by field, every field absent or any value."""
    cls = message_factory.GetMessageClass(descriptor)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        message = cls()
        for field in descriptor.fields:
            values = _field(field, ids, depth)
            if values is not None and draw(st.booleans()):
                _set(message, field, draw(values))
        return message

    return build()


def _mutant(template: Any, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """A valid request with some of its fields (at any depth) replaced by any value, or removed."""
    descriptor = template.DESCRIPTOR

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        message = type(template)()
        message.CopyFrom(template)
        for field in descriptor.fields:
            action = draw(st.sampled_from(("keep", "keep", "keep", "any", "clear")))
            nested = field.type == FieldDescriptor.TYPE_MESSAGE and not field.is_repeated
            if action == "keep" and nested and message.HasField(field.name) and depth < 4:
                getattr(message, field.name).CopyFrom(draw(_mutant(getattr(template, field.name), ids, depth + 1)))
            elif action == "any":
                values = _field(field, ids, depth)
                if values is not None:
                    _set(message, field, draw(values))
            elif action == "clear":
                message.ClearField(field.name)
        return message

    return build()


def _check(err: grpc.RpcError) -> None:
    code = err.code()
    assert code in _ALLOWED, (code, err.details())
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        fields = bad_fields(err)
        assert fields and all(fields), err.details()


@dataclass
class FuzzTarget:
    handle: ServerHandle
    ids: list[str]  # identifiers worth drawing: IDCS, household and complaint ids
    templates: dict[str, Any]  # a valid request of each method


def _templates(handle: ServerHandle) -> FuzzTarget:
    """Persons, two households and a complaint, and a valid request of every method."""
    from hawiya.v1 import social_registry_pb2_grpc

    sr = social_registry_pb2
    with handle.channel() as channel:
        people = [_person("fuzz") for _ in range(8)]
        idcs = [_enrol(handle, channel, p) for p in people]
        homes = social_registry_pb2_grpc.SocialRegistryStub(channel)
        variables = sr.SocioEconomicVariables(
            dwelling_type=sr.DWELLING_TYPE_MODERN_HOUSE,
            tenure=sr.TENURE_TENANT,
            rooms=3,
            water_source=sr.WATER_SOURCE_PIPED_IN_DWELLING,
            electricity=sr.ELECTRICITY_GRID_OWN_METER,
            sanitation=sr.SANITATION_SEWER,
            cooking_fuel=sr.COOKING_FUEL_BUTANE_GAS,
            assets=[sr.ASSET_REFRIGERATOR],
            monthly_expenses_mad=4500,
        )
        residence = sr.HouseholdResidence(commune_code="141.01.03", area=sr.AREA_URBAN)

        def household(*members: tuple[str, int]) -> Any:
            return sr.Household(
                members=[sr.HouseholdMember(idcs=i, relation=r) for i, r in members],
                residence=residence,
                variables=variables,
            )

        def register(*members: tuple[str, int]) -> Any:
            request = sr.RegisterHouseholdRequest(idempotency_key=uuid.uuid4().hex, household=household(*members))
            return homes.RegisterHousehold(request, metadata=handle.metadata()).household

        first = register((idcs[0], sr.RELATION_HEAD), (idcs[1], sr.RELATION_SPOUSE))
        second = register((idcs[2], sr.RELATION_HEAD))
        complaint = homes.FileComplaint(
            sr.FileComplaintRequest(
                idempotency_key=uuid.uuid4().hex,
                subject=sr.ComplaintSubject(kind=sr.COMPLAINT_SUBJECT_KIND_PERSON_DATA, idcs=idcs[3]),
                text="my birth date is wrong",
            ),
            metadata=handle.metadata(),
        ).complaint
    update = household((idcs[0], sr.RELATION_HEAD), (idcs[1], sr.RELATION_SPOUSE), (idcs[6], sr.RELATION_CHILD))
    update.household_id = first.household_id
    authenticate = _true_claim(idcs[4], people[4])
    templates = {
        "Authenticate": authenticate,
        "AuthenticateStream": auth_pb2.AuthenticateStreamRequest(
            items=[auth_pb2.AuthenticateItem(item_id="1", request=authenticate)]
        ),
        "Enrol": enrol_request(_person("fuzzenrol")),
        "GetPerson": registry_pb2.GetPersonRequest(idcs=idcs[4]),
        "Identify": registry_pb2.IdentifyRequest(demographics=people[4], max_results=5),
        "UpdatePerson": registry_pb2.UpdatePersonRequest(idcs=idcs[5], demographics=people[5]),
        "RegisterHousehold": sr.RegisterHouseholdRequest(
            idempotency_key=uuid.uuid4().hex, household=household((idcs[7], sr.RELATION_HEAD))
        ),
        "GetHousehold": sr.GetHouseholdRequest(household_id=first.household_id),
        "UpdateHousehold": sr.UpdateHouseholdRequest(household=update),
        "MoveMember": sr.MoveMemberRequest(
            idcs=idcs[1],
            from_household_id=first.household_id,
            to_household_id=second.household_id,
            relation=sr.RELATION_SPOUSE,
        ),
        "FileComplaint": sr.FileComplaintRequest(
            idempotency_key=uuid.uuid4().hex,
            subject=sr.ComplaintSubject(kind=sr.COMPLAINT_SUBJECT_KIND_PERSON_DATA, idcs=idcs[4]),
            text="my name is misspelt",
        ),
        "GetComplaint": sr.GetComplaintRequest(complaint_id=complaint.complaint_id),
        "ListComplaints": sr.ListComplaintsRequest(page_size=5),
        "UpdateComplaintStatus": sr.UpdateComplaintStatusRequest(
            complaint_id=complaint.complaint_id, status=sr.COMPLAINT_STATUS_IN_REVIEW
        ),
        "LockAuthentication": residents_pb2.LockAuthenticationRequest(idcs=idcs[4]),
        "UnlockAuthentication": residents_pb2.UnlockAuthenticationRequest(idcs=idcs[4]),
        "GetAuthHistory": residents_pb2.GetAuthHistoryRequest(idcs=idcs[4], page_size=2),
    }
    ids = [*idcs, first.household_id, second.household_id, complaint.complaint_id]
    return FuzzTarget(handle, ids, templates)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    handle = start_server(tmp_path_factory.mktemp("fuzz"), "sqlite")
    try:
        yield _templates(handle)
    finally:
        code = stop_server(handle.proc)
        assert code == 0, handle.log_text()[-3000:]
    assert "unexpected error" not in handle.log_text()


@pytest.mark.parametrize("method", _METHODS, ids=lambda m: f"{m.containing_service.name}/{m.name}")
def test_requests_of_every_service_never_fail_internally(method: MethodDescriptor, fuzz_target: FuzzTarget) -> None:
    """Any well-formed request: OK, INVALID_ARGUMENT naming a field, or a domain refusal; never
    INTERNAL or UNKNOWN. Half the examples are built field by field from nothing, half are a
    valid request with fields replaced by any value (so that the deeper checks are reached)."""
    handle, ids = fuzz_target.handle, fuzz_target.ids
    request_cls = message_factory.GetMessageClass(method.input_type)
    response_cls = message_factory.GetMessageClass(method.output_type)
    path = f"/{method.containing_service.full_name}/{method.name}"
    streaming = method.client_streaming
    one = st.one_of(_message(method.input_type, ids), _mutant(fuzz_target.templates[method.name], ids))
    channel = handle.channel()
    metadata = handle.metadata()
    seen: dict[str, int] = {}

    @settings(
        max_examples=100 if streaming else 250,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(one, min_size=1, max_size=3) if streaming else one)
    def property_(request: Any) -> None:
        try:
            if streaming:
                call = channel.stream_stream(path, request_cls.SerializeToString, response_cls.FromString)
                for reply in call(iter(request), metadata=metadata, timeout=20):
                    for result in reply.results:
                        if result.WhichOneof("result") == "error":
                            assert result.error.code not in (2, 13), result.error.message
                            if result.error.code == 3:
                                assert list(result.error.fields) and all(result.error.fields)
            else:
                call = channel.unary_unary(path, request_cls.SerializeToString, response_cls.FromString)
                call(request, metadata=metadata, timeout=20)
            seen["OK"] = seen.get("OK", 0) + 1
        except grpc.RpcError as err:
            seen[err.code().name] = seen.get(err.code().name, 0) + 1
            _check(err)

    try:
        property_()
    finally:
        channel.close()
    print(path, seen)


# -- the canary scan ----------------------------------------------------------------------------

CANARY = {
    "first": "Qanarfirstyx",
    "last": "Qanarlastwz",
    "father": "Qanarfatherv",
    "mother": "Qanarmotheru",
    "first_ar": "قنارفرست",
    "last_ar": "قنارلاست",
    "wrong_first": "Qanarwrongt",
    "phone": "0655512347",
    "wrong_phone": "0655598761",
    "cin": "QZ918273",
    "address": "Derb Qanarstreet 77",
}
CANARY_BIRTH = (1931, 7, 23)


def test_no_personal_data_in_logs_metrics_redis_or_errors(sec: Secured) -> None:
    h = sec.handle
    full = h.metadata()
    errors: list[str] = []  # every message and detail a client was sent with an error

    def refused(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
        err = _refused(call, *args, **kwargs)
        errors.append(err.details() or "")
        for key, value in err.trailing_metadata() or ():
            errors.append(f"{key}={value!r}")
            if isinstance(value, bytes):
                errors.append(value.decode("utf-8", "replace"))
        return err

    year, month, day = CANARY_BIRTH
    d = demographics(
        CANARY["first"],
        CANARY["last"],
        first_ar=CANARY["first_ar"],
        last_ar=CANARY["last_ar"],
        birth=CANARY_BIRTH,
        cin=CANARY["cin"],
        phone=CANARY["phone"],
        residence=person_pb2.Residence(commune_code="C1", address=CANARY["address"]),
    )
    d.father_first_name.CopyFrom(person_pb2.PersonName(latin=CANARY["father"]))
    d.mother_first_name.CopyFrom(person_pb2.PersonName(latin=CANARY["mother"]))
    with h.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        auth = authentication_pb2_grpc.AuthenticationStub(channel)
        residents = residents_pb2_grpc.ResidentsStub(channel)
        key = uuid.uuid4().hex
        idcs = registry.Enrol(enrol_request(d, key), metadata=full).person.idcs
        unknown = unknown_valid_idcs({idcs})
        true = claim(
            idcs,
            first_name=person_pb2.PersonName(latin=CANARY["first"], arabic=CANARY["first_ar"]),
            last_name=person_pb2.PersonName(latin=CANARY["last"]),
            birth_date=person_pb2.BirthDate(year=year, month=month, day=day, precision=person_pb2.DATE_PRECISION_FULL),
            phone=CANARY["phone"],
            cin=CANARY["cin"],
        )
        wrong = claim(idcs, first_name=person_pb2.PersonName(latin=CANARY["wrong_first"]), phone=CANARY["wrong_phone"])
        assert auth.Authenticate(true, metadata=full).decision == auth_pb2.DECISION_YES
        assert auth.Authenticate(wrong, metadata=full).decision == auth_pb2.DECISION_NO
        wrong.idcs = unknown
        assert auth.Authenticate(wrong, metadata=full).decision == auth_pb2.DECISION_NO
        # Invalid fields, each carrying canary values.
        for bad in (
            claim(mistype(idcs), first_name=person_pb2.PersonName(latin=CANARY["first"])),
            claim(idcs, first_name=person_pb2.PersonName(arabic=CANARY["first"])),
            claim(idcs, phone=CANARY["phone"] + "9"),
            claim(idcs, birth_date=person_pb2.BirthDate(year=year, month=2, day=30, precision=1)),
            claim(idcs + "7", cin=CANARY["cin"]),
        ):
            refused(auth.Authenticate, bad, metadata=full)
        refused(auth.Authenticate, true, metadata=h.metadata("reader"))  # not allowed
        fuzzy = auth_pb2.AuthenticateRequest()
        fuzzy.CopyFrom(true)
        fuzzy.policy.default_rule.mode = auth_pb2.MATCH_MODE_FUZZY
        refused(auth.Authenticate, fuzzy, metadata=h.metadata("auth-only"))  # mode not allowed
        refused(auth.Authenticate, true, metadata=(("x-api-key", "hwk_" + CANARY["first"]),))  # bad key
        refused(registry.GetPerson, registry_pb2.GetPersonRequest(idcs=unknown), metadata=full)
        refused(registry.GetPerson, registry_pb2.GetPersonRequest(idcs=unknown), metadata=h.metadata("reader"))
        refused(registry.GetPerson, registry_pb2.GetPersonRequest(idcs=idcs, version=9), metadata=full)
        registry.GetPerson(registry_pb2.GetPersonRequest(idcs=idcs), metadata=h.metadata("reader"))
        changed = demographics(CANARY["wrong_first"], CANARY["last"], birth=CANARY_BIRTH, phone=CANARY["wrong_phone"])
        refused(registry.Enrol, enrol_request(changed, key), metadata=full)  # key reused for other data
        refused(registry.Enrol, enrol_request(demographics(CANARY["first"], CANARY["last"], phone="1")), metadata=full)
        refused(
            registry.UpdatePerson,
            registry_pb2.UpdatePersonRequest(
                idcs=idcs, demographics=d, status=person_pb2.PERSON_STATUS_MERGED, merged_into=unknown
            ),
            metadata=full,
        )
        refused(
            registry.UpdatePerson,
            registry_pb2.UpdatePersonRequest(idcs=idcs, demographics=d, expected_version=7),
            metadata=full,
        )
        # A stream with every kind of item.
        items = [
            auth_pb2.AuthenticateItem(item_id="ok", request=true),
            auth_pb2.AuthenticateItem(item_id="no", request=wrong),
            auth_pb2.AuthenticateItem(item_id="typo", request=claim(mistype(idcs), phone=CANARY["phone"])),
            auth_pb2.AuthenticateItem(item_id="fuzzy", request=fuzzy),
        ]
        replies = list(
            auth.AuthenticateStream(
                iter([auth_pb2.AuthenticateStreamRequest(items=items)]), metadata=h.metadata("limited"), timeout=10
            )
        )
        errors += [r.error.message for reply in replies for r in reply.results if r.WhichOneof("result") == "error"]
        refused(
            lambda: list(
                auth.AuthenticateStream(iter([auth_pb2.AuthenticateStreamRequest()]), metadata=full, timeout=10)
            )
        )
        # Rate limited.
        for _ in range(8):
            try:
                auth.Authenticate(true, metadata=h.metadata("limited"))
            except grpc.RpcError as err:
                errors.append(err.details() or "")
        # Residents.
        portal = h.metadata("portal")
        residents.LockAuthentication(residents_pb2.LockAuthenticationRequest(idcs=idcs), metadata=portal)
        assert auth.Authenticate(true, metadata=full).decision == auth_pb2.DECISION_NO
        residents.UnlockAuthentication(residents_pb2.UnlockAuthenticationRequest(idcs=idcs), metadata=portal)
        history = residents.GetAuthHistory(residents_pb2.GetAuthHistoryRequest(idcs=idcs), metadata=portal)
        assert len(history.entries) >= 4
        refused(residents.GetAuthHistory, residents_pb2.GetAuthHistoryRequest(idcs=mistype(idcs)), metadata=portal)
        refused(
            residents.LockAuthentication,
            residents_pb2.LockAuthenticationRequest(idcs=idcs, until=timestamp_pb2.Timestamp(seconds=5)),
            metadata=portal,
        )
        # The brute-force freeze (limit 4 on this server).
        for _ in range(5):
            auth.Authenticate(wrong, metadata=full)
        # The social registry: a household naming the canary, and an unknown member.
        social = social_registry_pb2
        from hawiya.v1 import social_registry_pb2_grpc

        homes = social_registry_pb2_grpc.SocialRegistryStub(channel)
        refused(
            homes.RegisterHousehold,
            social.RegisterHouseholdRequest(
                idempotency_key=uuid.uuid4().hex,
                household=social.Household(
                    members=[
                        social.HouseholdMember(idcs=idcs, relation=social.RELATION_HEAD),
                        social.HouseholdMember(idcs=unknown, relation=social.RELATION_CHILD),
                    ]
                ),
            ),
            metadata=full,
        )
        refused(
            homes.FileComplaint,
            social.FileComplaintRequest(
                idempotency_key=uuid.uuid4().hex,
                subject=social.ComplaintSubject(kind=social.COMPLAINT_SUBJECT_KIND_PERSON_DATA, idcs=unknown),
                text=f"my name is {CANARY['first']}",
            ),
            metadata=full,
        )

    values = [v for k, v in CANARY.items() if not k.endswith("_ar")] + [CANARY["first_ar"], CANARY["last_ar"]]
    values += [
        idcs,
        unknown,
        f"{year}-{month:02d}-{day:02d}",
        f"{day:02d}/{month:02d}/{year}",
        f"{year}{month:02d}{day:02d}",
    ]
    needles = values + [hashlib.sha256(v.encode("utf-8")).hexdigest() for v in values]

    time.sleep(0.5)  # the last log lines reach the file
    places = {
        "server log": h.log_text(),
        "metrics": h.scrape_metrics(),
        "errors sent to clients": "\n".join(errors),
    }
    keys = subprocess.run(
        ["redis-cli", "-p", str(sec.redis_port), "--scan"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert keys, "the profile cache holds entries"
    assert all(re.fullmatch(r"hawiya:v\d+:profile:[0-9a-f]{64}", k) for k in keys), keys[:5]
    places["redis keys"] = "\n".join(keys)
    cached = subprocess.run(
        ["redis-cli", "-p", str(sec.redis_port), "MGET", *keys], capture_output=True, text=True, check=True
    ).stdout
    assert CANARY["first"] in cached, "the canary's profile went through Redis (under a keyed hash)"
    with sqlite3.connect(h.data_dir / "hawiya.db") as db:
        places["audit and lock tables"] = "\n".join(
            repr(row) for table in ("auth_audit", "auth_security") for row in db.execute(f"SELECT * FROM {table}")
        )
    found = {(where, n) for where, text in places.items() for n in needles if n in text}
    assert not found, f"personal data found: {sorted(found)}"
    assert "DEBUG" in places["server log"]  # the scan ran over DEBUG logs
