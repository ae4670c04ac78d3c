"""Reliability end to end: the audit trail fails closed, deadlines and load are bounded, a killed
server loses no acknowledged enrolment, PostgreSQL going away is survived without a restart,
locks and attempt limits outlive restarts and Redis, and every answer has its one audit row."""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hawiya.v1 import authentication_pb2 as auth_pb2
from hawiya.v1 import (
    authentication_pb2_grpc,
    person_pb2,
    registry_pb2,
    registry_pb2_grpc,
    residents_pb2,
    residents_pb2_grpc,
)
from tests.integration.conftest import (
    ServerHandle,
    free_port,
    restart_server,
    start_redis,
    start_server,
    stop_server,
)
from tests.integration.helpers import claim, demographics, distinct_name, enrol_request, mistype, unknown_valid_idcs

OK = grpc.StatusCode.OK


def _person(n: int, tag: str = "Rel") -> person_pb2.Demographics:
    """Distinct demographics for each n."""
    return demographics(
        distinct_name(tag, n),
        "Berrada",
        first_ar="",
        last_ar="برادة",
        sex=person_pb2.SEX_MALE if n % 2 else person_pb2.SEX_FEMALE,
        birth=(1940 + n % 60, 1 + n % 12, 1 + n % 28),
        cin=f"RL{n:06d}",
        phone=f"066{n:07d}",
        residence=person_pb2.Residence(commune_code="141.01.03", address=f"{n} derb Sidi Ahmed"),
    )


def _genuine(idcs: str, d: person_pb2.Demographics) -> auth_pb2.AuthenticateRequest:
    return claim(idcs, first_name=person_pb2.PersonName(latin=d.first_name.latin), birth_date=d.birth_date)


def _wrong(idcs: str) -> auth_pb2.AuthenticateRequest:
    return claim(idcs, first_name=person_pb2.PersonName(latin="Zakaria"))


def _enrol_many(handle: ServerHandle, n: int, tag: str = "Rel") -> list[tuple[str, person_pb2.Demographics]]:
    with handle.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        people = []
        for i in range(n):
            d = _person(i, tag)
            people.append((registry.Enrol(enrol_request(d), metadata=handle.metadata()).person.idcs, d))
        return people


def _health(handle: ServerHandle) -> int:
    with handle.channel() as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return -1
        return int(reply.status)


def _code(call: object, *args: object, **kwargs: object) -> tuple[grpc.StatusCode, object]:
    try:
        return OK, call(*args, **kwargs)  # type: ignore[operator]
    except grpc.RpcError as err:
        return err.code(), None


# -- the audit trail fails closed ---------------------------------------------------------------


def test_audit_trail_unwritable_mid_run_fails_unavailable_never_ok(tmp_path: Path) -> None:
    handle = start_server(tmp_path, "sqlite")
    outcomes: list[tuple[float, grpc.StatusCode, str]] = []  # (when, code, transaction id)
    stop = threading.Event()
    try:
        people = _enrol_many(handle, 4)

        def load(worker: int) -> None:
            with handle.channel() as channel:
                stub = authentication_pb2_grpc.AuthenticationStub(channel)
                i = worker
                while not stop.is_set():
                    idcs, d = people[i % 4]
                    if i % 5 == 0:  # a streamed chunk now and then
                        chunk = auth_pb2.AuthenticateStreamRequest(
                            items=[
                                auth_pb2.AuthenticateItem(item_id=str(k), request=_genuine(idcs, d)) for k in range(3)
                            ]
                        )
                        try:
                            for reply in stub.AuthenticateStream(iter([chunk]), metadata=handle.metadata(), timeout=10):
                                for r in reply.results:
                                    if r.WhichOneof("result") == "response":
                                        outcomes.append((time.monotonic(), OK, r.response.transaction_id))
                                    else:
                                        outcomes.append(
                                            (
                                                time.monotonic(),
                                                grpc.StatusCode(  # type: ignore[call-arg]
                                                    next(c for c in grpc.StatusCode if c.value[0] == r.error.code)
                                                ),
                                                "",
                                            )
                                        )
                        except grpc.RpcError as err:
                            outcomes.append((time.monotonic(), err.code(), ""))
                    else:
                        code, reply = _code(
                            stub.Authenticate, _genuine(idcs, d), metadata=handle.metadata(), timeout=10
                        )
                        txn = reply.transaction_id if reply is not None else ""  # type: ignore[attr-defined]
                        outcomes.append((time.monotonic(), code, txn))
                    i += 4

        threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        db = sqlite3.connect(handle.data_dir / "hawiya.db", timeout=30)
        # The audit table refuses every insert: the trail cannot be written.
        db.execute("CREATE TRIGGER no_audit BEFORE INSERT ON auth_audit BEGIN SELECT RAISE(ABORT, 'audit off'); END")
        db.commit()
        blocked_from = time.monotonic()
        time.sleep(1.5)
        blocked_until = time.monotonic()
        db.execute("DROP TRIGGER no_audit")
        db.commit()
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join()
        written = {row[0] for row in db.execute("SELECT transaction_id FROM auth_audit")}
        db.close()
    finally:
        stop.set()
        assert stop_server(handle.proc) == 0
    codes = {code for _, code, _ in outcomes}
    assert codes <= {OK, grpc.StatusCode.UNAVAILABLE}, codes
    during = [code for when, code, _ in outcomes if blocked_from + 0.2 < when < blocked_until]
    assert during and set(during) == {grpc.StatusCode.UNAVAILABLE}, "no answer while the audit cannot be written"
    answered = [txn for _, code, txn in outcomes if code == OK]
    assert all(txn in written for txn in answered), "every OK answer has its audit row"
    assert any(when > blocked_until + 0.5 and code == OK for when, code, _ in outcomes), "and it recovers"


# -- deadlines and load -------------------------------------------------------------------------


def test_calls_are_bounded_by_the_server_deadline(tmp_path: Path) -> None:
    handle = start_server(tmp_path, "sqlite", {"HAWIYA_MAX_DEADLINE_SECONDS": "1.5"})
    try:
        ((idcs, d),) = _enrol_many(handle, 1)
        db = sqlite3.connect(handle.data_dir / "hawiya.db", timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")  # holds the write lock: audit rows and enrolments wait for it
        try:
            with handle.channel() as channel:
                auth = authentication_pb2_grpc.AuthenticationStub(channel)
                registry = registry_pb2_grpc.RegistryStub(channel)
                for timeout in (None, 60.0):  # no deadline, and one longer than the cap
                    began = time.monotonic()
                    code, _ = _code(auth.Authenticate, _genuine(idcs, d), metadata=handle.metadata(), timeout=timeout)
                    took = time.monotonic() - began
                    assert code == grpc.StatusCode.DEADLINE_EXCEEDED and 1.3 < took < 3.0, (code, took)
                began = time.monotonic()
                code, _ = _code(registry.Enrol, enrol_request(_person(99)), metadata=handle.metadata())
                took = time.monotonic() - began
                assert code == grpc.StatusCode.DEADLINE_EXCEEDED and took < 3.0, (code, took)
                # Reads do not wait for the writer.
                code, _ = _code(
                    registry.GetPerson, registry_pb2.GetPersonRequest(idcs=idcs), metadata=handle.metadata()
                )
                assert code == OK
        finally:
            db.execute("ROLLBACK")
            db.close()
        with handle.channel() as channel:
            auth = authentication_pb2_grpc.AuthenticationStub(channel)
            assert auth.Authenticate(_genuine(idcs, d), metadata=handle.metadata()).decision == auth_pb2.DECISION_YES
    finally:
        assert stop_server(handle.proc) == 0


def test_calls_beyond_the_concurrency_limit_are_refused_at_once(tmp_path: Path) -> None:
    handle = start_server(tmp_path, "sqlite", {"HAWIYA_MAX_CONCURRENT_RPCS": "2"})
    release = threading.Event()
    try:
        ((idcs, d),) = _enrol_many(handle, 1)
        channel = handle.channel()
        stub = authentication_pb2_grpc.AuthenticationStub(channel)

        def held() -> Iterator[auth_pb2.AuthenticateStreamRequest]:
            yield auth_pb2.AuthenticateStreamRequest(
                items=[auth_pb2.AuthenticateItem(item_id="1", request=_genuine(idcs, d))]
            )
            release.wait(30)

        streams = [stub.AuthenticateStream(held(), metadata=handle.metadata(), timeout=60) for _ in range(2)]
        for s in streams:
            next(s)  # both are in flight
        codes = []
        for _ in range(5):
            began = time.monotonic()
            code, _ = _code(stub.Authenticate, _genuine(idcs, d), metadata=handle.metadata(), timeout=10)
            codes.append((code, time.monotonic() - began))
        assert all(code == grpc.StatusCode.RESOURCE_EXHAUSTED and took < 0.5 for code, took in codes), codes
        release.set()
        for s in streams:
            assert list(s) == []
        assert stub.Authenticate(_genuine(idcs, d), metadata=handle.metadata()).decision == auth_pb2.DECISION_YES
        channel.close()
    finally:
        release.set()
        assert stop_server(handle.proc) == 0


# -- kill -9 during enrolments ------------------------------------------------------------------


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_kill_9_during_concurrent_enrolments_loses_and_duplicates_nothing(tmp_path: Path, database: str) -> None:
    handle = start_server(tmp_path, database)
    requests = [enrol_request(_person(i, "Kil"), f"kill-{uuid.uuid4().hex}") for i in range(1000)]
    acknowledged: dict[str, str] = {}  # idempotency key -> IDCS
    lock = threading.Lock()
    killed = threading.Event()
    try:
        channel = handle.channel()
        registry = registry_pb2_grpc.RegistryStub(channel)

        def enrol(request: registry_pb2.EnrolRequest) -> None:
            if killed.is_set():
                return
            try:
                reply = registry.Enrol(request, metadata=handle.metadata(), timeout=20)
            except grpc.RpcError:
                return  # not acknowledged: retried after the restart
            with lock:
                acknowledged[request.idempotency_key] = reply.person.idcs
                if len(acknowledged) >= 300 + random.randrange(300) and not killed.is_set():
                    killed.set()
                    os.kill(handle.proc.pid, signal.SIGKILL)

        with ThreadPoolExecutor(max_workers=50) as pool:
            list(pool.map(enrol, requests))
        channel.close()
        assert killed.is_set() and handle.proc.wait(timeout=10) == -signal.SIGKILL
        assert 300 <= len(acknowledged) < 1000
        handle = restart_server(handle)
        with handle.channel() as channel:
            registry = registry_pb2_grpc.RegistryStub(channel)

            def retry(request: registry_pb2.EnrolRequest) -> tuple[str, int, str]:
                reply = registry.Enrol(request, metadata=handle.metadata(), timeout=30)
                return request.idempotency_key, reply.outcome, reply.person.idcs

            with ThreadPoolExecutor(max_workers=50) as pool:
                replayed = list(pool.map(retry, requests))
            for key, outcome, idcs in replayed:
                if key in acknowledged:
                    assert outcome == registry_pb2.ENROL_OUTCOME_ALREADY_ENROLLED and idcs == acknowledged[key]
            people = {idcs: request for (_, _, idcs), request in zip(replayed, requests, strict=True)}
            assert len(people) == 1000, "one person per enrolment, none twice"
            for idcs in random.sample(sorted(people), 50):  # byte-equal to what was sent
                got = registry.GetPerson(registry_pb2.GetPersonRequest(idcs=idcs), metadata=handle.metadata())
                assert got.person.demographics == people[idcs].demographics and list(got.versions) == [1]
        store = handle.store()
        try:
            with store.engine.connect() as db:
                if database == "sqlite":
                    assert db.exec_driver_sql("PRAGMA integrity_check").one() == ("ok",)
                identities = db.exec_driver_sql(
                    "SELECT count(*), count(DISTINCT idempotency_key) FROM identities"
                ).one()
                assert tuple(identities) == (1000, 1000)
                # No half-written person: every identity has exactly its version 1, and nothing else.
                versions = db.exec_driver_sql(
                    "SELECT count(*), min(v.version), max(v.version) FROM identities i JOIN person_versions v"
                    " ON v.idcs = i.idcs"
                ).one()
                assert tuple(versions) == (1000, 1, 1)
                orphans = db.exec_driver_sql(
                    "SELECT count(*) FROM person_versions WHERE idcs NOT IN (SELECT idcs FROM identities)"
                ).one()
                assert tuple(orphans) == (0,)
        finally:
            store.close()
    finally:
        assert stop_server(handle.proc) in (0, -signal.SIGKILL)


# -- PostgreSQL going away ----------------------------------------------------------------------


@dataclass
class PrivatePostgres:
    bindir: Path
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1"
        self._ctl("-o", options, "-l", str(self.root / "postgres.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of our own (never the machine's shared one), on a free port."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found or shutil.which("runuser") is None:
        pytest.fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) and runuser are needed")
    user = pwd.getpwnam("postgres")
    root = Path(tempfile.mkdtemp(prefix="hawiya-pg-"))
    os.chown(root, user.pw_uid, user.pw_gid)
    cluster = PrivatePostgres(Path(found[-1]).parent, root, free_port())
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(cluster.bindir / "initdb"), "-D", str(root / "data"),
         "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_stopped_under_load_is_survived_without_restart(tmp_path: Path) -> None:
    with private_postgres() as pg:
        handle = start_server(tmp_path, "sqlite", {"HAWIYA_DATABASE_URL": pg.url})
        outcomes: list[tuple[float, grpc.StatusCode]] = []
        health: list[tuple[float, int]] = []
        stop = threading.Event()
        try:
            people = _enrol_many(handle, 8)

            def load(worker: int) -> None:
                with handle.channel() as channel:
                    auth = authentication_pb2_grpc.AuthenticationStub(channel)
                    registry = registry_pb2_grpc.RegistryStub(channel)
                    residents = residents_pb2_grpc.ResidentsStub(channel)
                    i = worker
                    while not stop.is_set():
                        idcs, d = people[i % 8]
                        if i % 7 == 0:
                            code, _ = _code(
                                registry.Enrol, enrol_request(_person(1000 + i)), metadata=handle.metadata(), timeout=5
                            )
                        elif i % 7 == 1:
                            request = registry_pb2.GetPersonRequest(idcs=idcs)
                            code, _ = _code(registry.GetPerson, request, metadata=handle.metadata(), timeout=5)
                        elif i % 7 == 2:
                            history = residents_pb2.GetAuthHistoryRequest(idcs=idcs, page_size=5)
                            code, _ = _code(residents.GetAuthHistory, history, metadata=handle.metadata(), timeout=5)
                        elif i % 7 == 3:
                            unlock = residents_pb2.UnlockAuthenticationRequest(idcs=idcs)
                            code, _ = _code(
                                residents.UnlockAuthentication, unlock, metadata=handle.metadata(), timeout=5
                            )
                        else:
                            code, _ = _code(auth.Authenticate, _genuine(idcs, d), metadata=handle.metadata(), timeout=5)
                        outcomes.append((time.monotonic(), code))
                        i += 4
                        time.sleep(0.005)

            def watch() -> None:
                while not stop.is_set():
                    health.append((time.monotonic(), _health(handle)))
                    time.sleep(0.2)

            threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
            threads.append(threading.Thread(target=watch))
            for t in threads:
                t.start()
            time.sleep(1.5)
            stopping = time.monotonic()
            pg.stop("fast")
            stopped = time.monotonic()
            time.sleep(4.0)
            restarting = time.monotonic()
            pg.start()
            back = time.monotonic()
            time.sleep(12.0)
            stop.set()
            for t in threads:
                t.join()
        finally:
            stop.set()
            code = stop_server(handle.proc)
        assert code == 0, handle.log_text()[-3000:]
    codes = {c for _, c in outcomes}
    assert codes <= {OK, grpc.StatusCode.UNAVAILABLE}, codes  # never INTERNAL or UNKNOWN
    assert [c for t, c in outcomes if t < stopping] and all(c == OK for t, c in outcomes if t < stopping)
    down = [c for t, c in outcomes if stopped + 0.5 < t < restarting]
    assert down and set(down) == {grpc.StatusCode.UNAVAILABLE}
    serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
    assert any(s == not_serving for t, s in health if stopped < t < restarting), "health reports NOT_SERVING"
    assert all(s == serving for t, s in health if t > back + 10)
    late = [c for t, c in outcomes if t > back + 10]
    assert late and all(c == OK for c in late), "every call succeeds again within 10 s, without a restart"
    recovered = min(t for t, c in outcomes if t > back and c == OK) - back
    turned = min(t for t, s in health if t > stopping and s == not_serving) - stopping
    print(
        f"calls: {len(outcomes)}; health NOT_SERVING {turned:.2f} s after the stop began;"
        f" first success {recovered:.2f} s after PostgreSQL accepted connections again"
    )


# -- locks and attempt limits outlive restarts and Redis ----------------------------------------


def test_locks_and_attempt_limits_survive_restart_and_redis_flush(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing (Debian's redis-server package)")
    redis_port = free_port()
    redis = start_redis(redis_port, tmp_path)
    env = {
        "HAWIYA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "HAWIYA_MAX_FAILED_ATTEMPTS": "3",
        "HAWIYA_ATTEMPT_WINDOW_SECONDS": "600",
        "HAWIYA_FREEZE_SECONDS": "600",
    }
    handle = start_server(tmp_path / "hawiya", "sqlite", env)

    def flushall() -> None:
        subprocess.run(["redis-cli", "-p", str(redis_port), "FLUSHALL"], check=True, capture_output=True)

    def decision(h: ServerHandle, request: auth_pb2.AuthenticateRequest) -> int:
        with h.channel() as channel:
            stub = authentication_pb2_grpc.AuthenticationStub(channel)
            return int(stub.Authenticate(request, metadata=h.metadata(), timeout=10).decision)

    yes, no = auth_pb2.DECISION_YES, auth_pb2.DECISION_NO
    try:
        (locked, dl), (frozen, df), (half, dh), (free, dfree) = _enrol_many(handle, 4)
        with handle.channel() as channel:
            residents_pb2_grpc.ResidentsStub(channel).LockAuthentication(
                residents_pb2.LockAuthenticationRequest(idcs=locked), metadata=handle.metadata("portal")
            )
        for _ in range(3):
            assert decision(handle, _wrong(frozen)) == no
        assert decision(handle, _genuine(frozen, df)) == no
        # Two failures, a Redis flush, one more: the third still freezes (the counts are the register's).
        assert [decision(handle, _wrong(half)) for _ in range(2)] == [no, no]
        flushall()
        assert decision(handle, _wrong(half)) == no
        assert decision(handle, _genuine(half, dh)) == no

        handle.proc.send_signal(signal.SIGTERM)
        assert handle.proc.wait(timeout=30) == 0
        flushall()
        handle = restart_server(handle)
        flushall()
        assert decision(handle, _genuine(locked, dl)) == no
        assert decision(handle, _genuine(frozen, df)) == no
        assert decision(handle, _genuine(half, dh)) == no
        assert decision(handle, _genuine(free, dfree)) == yes
        # Redis down altogether: the lock still holds, and an unlock takes effect at once.
        redis.kill()
        redis.wait()
        assert decision(handle, _genuine(locked, dl)) == no
        with handle.channel() as channel:
            residents_pb2_grpc.ResidentsStub(channel).UnlockAuthentication(
                residents_pb2.UnlockAuthenticationRequest(idcs=locked), metadata=handle.metadata("portal")
            )
        assert decision(handle, _genuine(locked, dl)) == yes
    finally:
        code = stop_server(handle.proc)
        redis.kill()
        redis.wait()
    assert code == 0


# -- one audit row per answer -------------------------------------------------------------------


def test_one_audit_row_per_answered_call_over_10000_mixed_calls(tmp_path: Path) -> None:
    handle = start_server(tmp_path, "sqlite")
    try:
        people = _enrol_many(handle, 20)
        known = {i for i, _ in people}
        unknown = [unknown_valid_idcs(known) for _ in range(5)]
        with sqlite3.connect(handle.data_dir / "hawiya.db") as db:
            before = db.execute("SELECT coalesce(max(id), 0) FROM auth_audit").fetchone()[0]
        fuzzy = auth_pb2.MatchPolicy(default_rule=auth_pb2.AttributePolicy(mode=auth_pb2.MATCH_MODE_FUZZY))

        def request(n: int) -> tuple[auth_pb2.AuthenticateRequest, str]:
            """The n-th call of the mix, and the caller making it."""
            idcs, d = people[n % 20]
            kind = n % 6
            if kind == 0:
                return _genuine(idcs, d), "full"
            if kind == 1:
                return _wrong(idcs), "full"
            if kind == 2:
                return _wrong(unknown[n % 5]), "auth-only"
            if kind == 3:
                return _genuine(mistype(idcs), d), "full"  # INVALID_ARGUMENT: no row
            if kind == 4:
                r = _genuine(idcs, d)
                r.policy.CopyFrom(fuzzy)
                return r, "auth-only"  # PERMISSION_DENIED (mode): no row
            return _genuine(idcs, d), "limited"  # often RESOURCE_EXHAUSTED: no row

        answered: list[str] = []
        refused: dict[str, int] = {}
        lock = threading.Lock()

        def unary(worker: int) -> None:
            with handle.channel() as channel:
                stub = authentication_pb2_grpc.AuthenticationStub(channel)
                for n in range(worker, 2000, 8):
                    r, caller = request(n)
                    code, reply = _code(stub.Authenticate, r, metadata=handle.metadata(caller), timeout=30)
                    with lock:
                        if code == OK:
                            answered.append(reply.transaction_id)  # type: ignore[attr-defined]
                        else:
                            refused[code.name] = refused.get(code.name, 0) + 1

        def stream(worker: int) -> None:
            with handle.channel() as channel:
                stub = authentication_pb2_grpc.AuthenticationStub(channel)
                chunks = [
                    auth_pb2.AuthenticateStreamRequest(
                        items=[
                            auth_pb2.AuthenticateItem(item_id=str(n), request=request(n)[0])
                            for n in range(start, start + 100)
                        ]
                    )
                    for start in range(worker * 4000, worker * 4000 + 4000, 100)
                ]
                for reply in stub.AuthenticateStream(iter(chunks), metadata=handle.metadata(), timeout=120):
                    with lock:
                        for r in reply.results:
                            if r.WhichOneof("result") == "response":
                                answered.append(r.response.transaction_id)
                            else:
                                refused[str(r.error.code)] = refused.get(str(r.error.code), 0) + 1

        threads = [threading.Thread(target=unary, args=(w,)) for w in range(8)]
        threads += [threading.Thread(target=stream, args=(w,)) for w in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with sqlite3.connect(handle.data_dir / "hawiya.db") as db:
            rows = [r[0] for r in db.execute("SELECT transaction_id FROM auth_audit WHERE id > ?", (before,))]
    finally:
        assert stop_server(handle.proc) == 0
    assert len(answered) + sum(refused.values()) == 10_000
    assert len(answered) > 5000 and refused, refused
    assert len(rows) == len(set(rows)) == len(answered) == len(set(answered))
    assert set(rows) == set(answered)
