"""The server exports the RNP's and RSU's data-quality figures as gauges, recomputed every interval, and a
failing run never stops it."""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dedup.quality import check_names
from hawiya.v1 import registry_pb2_grpc
from registry_store import HouseholdMember, HouseholdStore, RegistryStore, Relation
from registry_store.errors import StoreUnavailable
from tests.dedup.quality_data import person
from tests.integration.conftest import ServerHandle, start_server, stop_server
from tests.integration.helpers import demographics, enrol_request
from tests.registry_store.rsu_data import COMFORTABLE, URBAN


def _value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def _wait_for(handle: ServerHandle, name: str, predicate: object, timeout: float = 60.0, **labels: str) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = handle.scrape_metrics()
        value = _value(text, name, **labels)
        if value is not None and callable(predicate) and predicate(value):
            return text
        time.sleep(0.2)
    raise TimeoutError(f"{name}{labels} never satisfied the condition:\n{handle.scrape_metrics()[-3000:]}")


def _register(data_dir: Path) -> None:
    """Four persons, one household whose head's parent is younger than the head."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = RegistryStore.from_url(f"sqlite:///{data_dir / 'hawiya.db'}")
    try:
        ids = [store.enrol(person(i, year)).person.idcs for i, year in enumerate((1970, 1974, 2001, 1985))]
        relations = (Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.PARENT)
        members = [HouseholdMember(i, r) for i, r in zip(ids, relations, strict=True)]
        HouseholdStore(store).register_household(members, URBAN, COMFORTABLE)
    finally:
        store.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_server_exports_data_quality_gauges(tmp_path: Path, workers: str) -> None:
    _register(tmp_path / "data")
    # The hash key is given: workers starting together would otherwise race to create its file.
    env = {"HAWIYA_QUALITY_INTERVAL": "1", "HAWIYA_WORKERS": workers, "HAWIYA_ID_HASH_KEY": "ab" * 32}
    handle = start_server(tmp_path, "sqlite", env)
    try:
        text = _wait_for(handle, "hawiya_data_quality_records", lambda v: v == 4, dataset="rsu")
        ratio = "hawiya_data_quality_ratio"
        assert _value(text, "hawiya_data_quality_records", dataset="rnp") == 4
        assert _value(text, ratio, dataset="rnp", field="idcs", check="check_digit") == 0.0
        assert _value(text, ratio, dataset="rnp", field="phone", check="missing") == 0.0
        assert _value(text, ratio, dataset="rnp", field="record", check="suspected_duplicate") == 0.0
        assert _value(text, ratio, dataset="rsu", field="relation", check="parent_younger_than_head") == 1.0
        assert _value(text, ratio, dataset="rsu", field="household", check="several_heads") == 0.0
        # No grandchild: nothing was checked, and the gauge says so rather than 0.
        grandchildren = _value(text, ratio, dataset="rsu", field="relation", check="grandchild_older_than_head")
        assert grandchildren is not None and math.isnan(grandchildren)
        assert (_value(text, "hawiya_data_quality_runs_total", outcome="ok") or 0) >= 1
        assert _value(text, "hawiya_data_quality_last_success_timestamp_seconds", dataset="rnp") is not None
        # Labels are the fixed vocabulary: datasets and check names, never a value.
        series = [
            dict(re.findall(r'(\w+)="([^"]*)"', x)) for x in re.findall(r"hawiya_data_quality_ratio\{([^}]*)\}", text)
        ]
        assert len(series) > 40
        assert all(s["dataset"] in ("rnp", "rsu") and (s["field"], s["check"]) in check_names() for s in series)

        promtool = shutil.which("promtool")
        if promtool is None:
            pytest.fail("promtool is missing: install Debian's prometheus package (scripts/test does)")
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr

        # A new person without a phone: the next run (1 s later) sees it.
        with handle.channel() as channel:
            stub = registry_pb2_grpc.RegistryStub(channel)
            stub.Enrol(enrol_request(demographics(phone="")), metadata=handle.metadata())
        text = _wait_for(handle, "hawiya_data_quality_records", lambda v: v == 5, dataset="rnp")
        assert _value(text, ratio, dataset="rnp", field="phone", check="missing") == pytest.approx(0.2)
        computed_by = set(re.findall(r"pid=(\d+) .*data-quality report of the rnp", handle.log_text()))
        assert len(computed_by) == 1, "one worker computes the reports"
    finally:
        assert stop_server(handle.proc) == 0, handle.log_text()[-3000:]


_PHONE = "06" + "12345678"


class _BrokenStore:
    def __init__(self) -> None:
        self.calls = 0

    def iter_persons(self) -> list[object]:
        self.calls += 1
        raise StoreUnavailable(f"iter_persons {_PHONE}")  # a message that must not reach the log


def test_a_failing_run_is_logged_without_its_message_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from server.app import _quality_loop
    from server.config import Config
    from server.metrics import DATA_QUALITY_RUNS

    store = _BrokenStore()
    stopped = threading.Event()
    before = DATA_QUALITY_RUNS.labels("error")._value.get()
    caplog.set_level(logging.ERROR, logger="server.app")
    thread = threading.Thread(
        target=_quality_loop,
        args=(store, None, Config(data_dir=tmp_path, quality_interval=1), stopped),
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 30
    while store.calls < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and store.calls >= 2, "retried at the next interval, then stopped"
    assert DATA_QUALITY_RUNS.labels("error")._value.get() - before >= 2
    logged = caplog.text
    assert "StoreUnavailable" in logged and _PHONE not in logged
