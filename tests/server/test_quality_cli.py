"""`hawiya quality`: a table on stdout, quality.json and quality.html in --out; bad inputs exit 2 with a message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.quality import QualityReport
from tests.dedup.quality_data import AS_OF, clean_population, inject_person_errors, person


def _hawiya(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "server", *args], capture_output=True, text=True, env=base, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("quality") / "people.parquet"
    inject_person_errors(clean_population(5000, seed=31), seed=32).frame.to_parquet(path, index=False)
    return path


def test_quality_of_a_file_prints_a_table_and_writes_json_and_html(people: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = _hawiya("quality", "--file", str(people), "--out", str(out), "--as-of", AS_OF.isoformat())
    assert result.returncode == 0, result.stderr
    assert "cin" in result.stdout and "minor_with_cin" in result.stdout and "suspected duplicates" in result.stdout
    report = QualityReport.from_json((out / "quality.json").read_text(encoding="utf-8"))
    assert report.dataset == "file" and report.source == "people.parquet" and report.records == 5000
    assert abs((report.rate("cin", "format") or 0) - 0.03) <= 0.01
    assert (out / "quality.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_quality_of_a_csv_with_a_column_map(tmp_path: Path) -> None:
    csv = tmp_path / "registre.csv"
    clean_population(300, seed=33).rename(columns={"cin": "numero_cin", "phone": "tel"}).to_csv(csv, index=False)
    out = tmp_path / "report"
    mapped = ("--column-map", "numero_cin=cin", "--column-map", "tel=phone")
    result = _hawiya("quality", "--file", str(csv), *mapped, "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = QualityReport.from_json((out / "quality.json").read_text(encoding="utf-8"))
    assert report.source == "registre.csv" and report.rate("cin", "format") == 0.0
    assert report.rate("phone", "format") == 0.0 and "cin/format" not in report.not_run


def test_the_quality_interval_setting() -> None:
    from server.config import load_config
    from server.errors import ConfigError

    assert load_config({}).quality_interval == 3600
    assert load_config({"HAWIYA_QUALITY_INTERVAL": "0"}).quality_interval == 0
    with pytest.raises(ConfigError, match="HAWIYA_QUALITY_INTERVAL"):
        load_config({"HAWIYA_QUALITY_INTERVAL": "-5"})
    with pytest.raises(ConfigError, match="HAWIYA_QUALITY_INTERVAL"):
        load_config({"HAWIYA_QUALITY_INTERVAL": "hourly"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--file", "{tmp}/absent.parquet"], "no such file"),
        (["--file", "{tmp}/people.txt"], "unsupported file extension"),
        (["--file", "{people}", "--column-map", "prenom=first_name_latin"], "'prenom'"),
        (["--file", "{people}", "--column-map", "cin=numero"], "'numero'"),
        (["--file", "{people}", "--column-map", "cin"], "FILE_COLUMN=FIELD"),
        (["--file", "{tmp}/garbage.parquet"], "not a readable Parquet file"),
        (["--rnp", "--data-dir", "{tmp}/empty"], "no register"),
        (["--rsu", "--database-url", "mysql://somewhere/db"], "mysql"),
        (["--file", "{people}", "--as-of", "yesterday"], "YYYY-MM-DD"),
        (["--file", "{people}", "--rnp"], "not allowed with"),
    ],
)
def test_bad_inputs_exit_2_with_a_message(people: Path, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "people.txt").write_text("x", encoding="utf-8")
    (tmp_path / "garbage.parquet").write_bytes(b"PAR1 but not really")
    filled = [a.format(tmp=tmp_path, people=people) for a in args]
    result = _hawiya("quality", *filled)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


def test_quality_of_the_registers(tmp_path: Path) -> None:
    from registry_store import HouseholdMember, HouseholdStore, RegistryStore, Relation
    from tests.registry_store.rsu_data import COMFORTABLE, URBAN

    data = tmp_path / "data"
    data.mkdir()
    store = RegistryStore.from_url(f"sqlite:///{data / 'hawiya.db'}")
    try:
        ids = [store.enrol(person(i, year)).person.idcs for i, year in enumerate((1970, 1975, 2005))]
        relations = (Relation.HEAD, Relation.SPOUSE, Relation.CHILD)
        members = [HouseholdMember(i, r) for i, r in zip(ids, relations, strict=True)]
        HouseholdStore(store).register_household(members, URBAN, COMFORTABLE)
    finally:
        store.close()
    rnp = _hawiya("quality", "--rnp", "--out", str(tmp_path / "rnp"), env={"HAWIYA_DATA_DIR": str(data)})
    assert rnp.returncode == 0, rnp.stderr
    assert "RNP (population register) data quality: 3 records" in rnp.stdout
    rsu = _hawiya("quality", "--rsu", "--data-dir", str(data), "--out", str(tmp_path / "rsu"))
    assert rsu.returncode == 0, rsu.stderr
    saved = json.loads((tmp_path / "rsu" / "quality.json").read_text(encoding="utf-8"))
    assert saved["dataset"] == "rsu" and saved["households"] == 1
    failed = {(r["field"], r["check"]): r["failed"] for r in saved["results"]}
    assert failed[("household", "several_heads")] == 0 and failed[("relation", "child_older_than_head")] == 0
