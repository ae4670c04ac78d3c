"""The candidate index: other processes' writes, the snapshot, one decision at a time, its gauge."""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from registry_store.model import Name, PersonStatus
from server.enrolment import DUPLICATE, ENROLLED
from server.metrics import CANDIDATE_INDEX_RECORDS
from server.person_index import SNAPSHOT_FOLDER, PersonIndex
from tests.server.enrolment_people import MOHAMED, MOHAMMED, distinct, open_registry


def _loaded_from(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records if "candidate index loaded from the" in r.getMessage()]
    return lines[-1].split("loaded from the ")[1].split(":")[0]


def test_each_process_sees_the_others_enrolments_and_updates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hawiya.db'}"
    one, two = open_registry(url, tmp_path / "one"), open_registry(url, tmp_path / "two")  # two worker processes
    try:
        first = one.service.enrol("desk-0000000001", MOHAMMED)
        assert first.person is not None
        duplicate = two.service.enrol("desk-0000000002", MOHAMED)
        assert duplicate.outcome == DUPLICATE and duplicate.matches[0].idcs == first.person.idcs
        # An update through one is followed by the other's index.
        one.service.update(first.person.idcs, distinct(3), status=None, merged_into="", expected_version=0)
        assert two.service.enrol("desk-0000000003", replace(MOHAMED, cin="", phone="")).outcome == ENROLLED
        assert len(one.index) == 1  # it applies the others' writes when it next searches (or refreshes)
        assert one.index.refresh() == 1 and len(one.index) == len(two.index) == 2
    finally:
        one.store.close()
        two.store.close()


def test_the_same_person_enrolled_at_once_through_two_processes_is_enrolled_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hawiya.db'}"
    processes = [open_registry(url, tmp_path / str(n)) for n in range(2)]
    variants = [MOHAMMED, MOHAMED, replace(MOHAMMED, phone=""), replace(MOHAMED, cin="")] * 2
    outcomes: list[str] = []
    start = threading.Barrier(len(variants))

    def desk(n: int) -> None:
        start.wait()
        outcomes.append(processes[n % 2].service.enrol(f"desk-concurrent-{n}", variants[n]).outcome)

    threads = [threading.Thread(target=desk, args=(n,)) for n in range(len(variants))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == [DUPLICATE] * (len(variants) - 1) + [ENROLLED]
        assert processes[0].store.count_persons() == 1
    finally:
        for registry in processes:
            registry.store.close()


def test_a_restart_loads_the_snapshot_unless_the_register_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="server.person_index")
    url = f"sqlite:///{tmp_path / 'hawiya.db'}"
    registry = open_registry(url, tmp_path)
    assert _loaded_from(caplog) == "register"
    for i in range(40):
        registry.service.enrol(f"desk-{i:010d}", distinct(i))
    first = registry.service.enrol("desk-mohammed-1", MOHAMMED)
    assert registry.index.save() and not registry.index.save()  # nothing changed since
    registry.store.close()

    again = open_registry(url, tmp_path)
    try:
        assert _loaded_from(caplog) == "snapshot" and len(again.index) == 41
        duplicate = again.service.enrol("desk-mohamed-1", MOHAMED)
        assert first.person is not None and duplicate.matches[0].idcs == first.person.idcs
        # A person written since the snapshot (by a process that did not save): rebuilt.
        again.store.enrol(distinct(99))
    finally:
        again.store.close()
    third = open_registry(url, tmp_path)
    try:
        assert _loaded_from(caplog) == "register" and len(third.index) == 42
    finally:
        third.store.close()


def test_a_damaged_snapshot_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server.person_index")
    url = f"sqlite:///{tmp_path / 'hawiya.db'}"
    registry = open_registry(url, tmp_path)
    registry.service.enrol("desk-0000000001", MOHAMMED)
    registry.service.enrol("desk-0000000002", distinct(1))
    registry.index.save()
    registry.store.close()
    names = tmp_path / SNAPSHOT_FOLDER / "names.faiss"
    names.write_bytes(names.read_bytes()[:-8] + b"garbage!")
    again = open_registry(url, tmp_path)
    try:
        assert _loaded_from(caplog) == "register" and len(again.index) == 2
        assert again.service.enrol("desk-0000000003", MOHAMED).outcome == DUPLICATE
    finally:
        again.store.close()


def test_merged_persons_are_not_candidates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hawiya.db'}"
    registry = open_registry(url, tmp_path)
    try:
        first = registry.service.enrol("desk-0000000001", MOHAMMED)
        other = registry.service.enrol("desk-0000000002", distinct(2))
        assert first.person is not None and other.person is not None
        registry.service.update(
            first.person.idcs, MOHAMMED, status=PersonStatus.MERGED, merged_into=other.person.idcs, expected_version=0
        )
        assert len(registry.index) == 1
        assert registry.service.enrol("desk-0000000003", MOHAMED).outcome == ENROLLED
        # Built afresh, the index leaves them out too.
        fresh = PersonIndex(registry.store)
        fresh.load()
        assert len(fresh) == 2  # the new Mohamed and the other; not the merged record
    finally:
        registry.store.close()


def test_the_gauge_follows_the_index(tmp_path: Path) -> None:
    registry = open_registry(f"sqlite:///{tmp_path / 'hawiya.db'}", tmp_path)
    try:
        for i in range(3):
            registry.service.enrol(f"desk-{i:010d}", distinct(i))
        assert CANDIDATE_INDEX_RECORDS._value.get() == 3  # type: ignore[attr-defined]
        registry.service.enrol("desk-0000000009", replace(distinct(0), first_name=Name("Youssef", "يوسف")))
        assert CANDIDATE_INDEX_RECORDS._value.get() == 3  # type: ignore[attr-defined]
    finally:
        registry.store.close()


def test_health_is_not_serving_until_the_index_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import uuid

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from hawiya.v1 import registry_pb2, registry_pb2_grpc
    from registry_store.store import RegistryStore
    from server.app import start_server
    from server.callers import Caller, CallerRegistry, hash_key
    from server.config import Config
    from tests.integration.helpers import demographics

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = Config(host="127.0.0.1", port=port, data_dir=tmp_path, quality_interval=0)
    store = RegistryStore.from_url(config.effective_database_url)
    callers = CallerRegistry([Caller("desk", hash_key("desk-key"), frozenset({"Registry/*"}))])
    release = threading.Event()
    original = PersonIndex.load

    def slow_load(self: PersonIndex) -> None:
        release.wait(30)
        original(self)

    monkeypatch.setattr(PersonIndex, "load", slow_load)
    started: list[object] = []
    thread = threading.Thread(target=lambda: started.append(start_server(config, store, callers)))
    thread.start()
    request = registry_pb2.EnrolRequest(idempotency_key=uuid.uuid4().hex, demographics=demographics())
    metadata = (("x-api-key", "desk-key"),)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            status = None
            for _ in range(300):  # the server answers health while the index loads
                try:
                    status = health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    break
                except grpc.RpcError:
                    threading.Event().wait(0.1)
            assert status == health_pb2.HealthCheckResponse.NOT_SERVING
            registry = registry_pb2_grpc.RegistryStub(channel)
            # A call made while the index loads waits for it, up to its deadline.
            with pytest.raises(grpc.RpcError) as err:
                registry.Enrol(request, metadata=metadata, timeout=1)
            assert err.value.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)
            replies: list[registry_pb2.EnrolResponse] = []
            waiting = threading.Thread(
                target=lambda: replies.append(registry.Enrol(request, metadata=metadata, timeout=30))
            )
            waiting.start()
            threading.Event().wait(0.5)
            assert not replies
            release.set()
            thread.join(60)
            waiting.join(30)
            assert [r.outcome for r in replies] == [registry_pb2.ENROL_OUTCOME_ENROLLED]
            assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == (
                health_pb2.HealthCheckResponse.SERVING
            )
            # What start-up built is frozen out of garbage collection once it is SERVING.
            assert gc.get_freeze_count() > 10_000
    finally:
        release.set()
        thread.join(60)
        for running in started:
            running.stop(0)  # type: ignore[attr-defined]
    assert gc.get_freeze_count() == 0  # and given back to the collector when it stops
