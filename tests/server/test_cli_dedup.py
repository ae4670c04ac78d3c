"""`hawiya dedup` as a subprocess: counts on stdout, four files in --out; bad input exits 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from synthetic import generate

ROOT = Path(__file__).resolve().parents[2]
SEED = 20_250_304
OUTPUTS = {"pairs.parquet", "clusters.parquet", "model.json", "summary.json"}
# Unusable values (1-based rows): read as missing, listed on stderr by row and column.
BAD_VALUES = {(5, "birth_year"): "abc", (7, "birth_month"): "13", (9, "birth_precision"): "sometimes"}


def _hawiya(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWIYA_")}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
        check=False,
    )


@dataclass(frozen=True)
class Done:
    records: pd.DataFrame
    csv: Path
    out: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def people_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    records, _ = generate(800, SEED, 0.1)
    records = records.drop(columns=["entity_id"]).astype(str)
    for (row, column), value in BAD_VALUES.items():
        records.loc[row - 1, column] = value
    csv = tmp_path_factory.mktemp("cli_dedup") / "people.csv"
    records.to_csv(csv, index=False)
    return records, csv


@pytest.fixture(scope="module")
def done(people_csv: tuple[pd.DataFrame, Path]) -> Done:
    records, csv = people_csv
    out = csv.parent / "out"
    result = _hawiya("dedup", str(csv), "--out", str(out), "--no-progress")
    return Done(records, csv, out, result)


def test_a_run_prints_the_counts_and_writes_the_four_files(done: Done) -> None:
    assert done.result.returncode == 0, done.result.stderr
    assert {p.name for p in done.out.iterdir()} == OUTPUTS
    summary = json.loads((done.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["records"] == len(done.records)
    lines = done.result.stdout.splitlines()
    assert lines[0] == (
        f"{summary['records']:,} records, {summary['candidate_pairs']:,} candidate pairs, "
        f"{summary['matched_pairs']:,} matches"
    )
    assert lines[1].startswith(
        f"{summary['clusters']:,} clusters, {summary['duplicate_clusters']:,} with duplicates "
        f"({summary['duplicate_records']:,} records;"
    )
    assert lines[-1] == f"wrote pairs.parquet, clusters.parquet, model.json, summary.json in {done.out}"
    pairs = pd.read_parquet(done.out / "pairs.parquet")
    assert int(pairs["match"].sum()) == summary["matched_pairs"] > 0
    assert len(pd.read_parquet(done.out / "clusters.parquet")) == len(done.records)


def test_row_problems_are_listed_on_stderr_by_row_and_column_without_the_value(done: Done) -> None:
    assert done.result.returncode == 0, done.result.stderr
    stderr = done.result.stderr
    assert "3 value(s) could not be used and were read as missing" in stderr
    for row, column in BAD_VALUES:
        assert f"row {row}, column {column}:" in stderr
    for value in BAD_VALUES.values():
        assert value not in stderr
    for row, _ in BAD_VALUES:
        assert done.records.loc[row - 1, "record_id"] not in stderr
    assert "summary.json" in stderr and "Traceback" not in stderr


def test_help_describes_the_outputs() -> None:
    result = _hawiya("dedup", "--help")
    assert result.returncode == 0
    assert "pairs.parquet" in result.stdout and "--column-map" in result.stdout


def _error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("hawiya dedup: error:"), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_missing_input_exits_2_naming_the_path(tmp_path: Path) -> None:
    absent = tmp_path / "absent.csv"
    stderr = _error(_hawiya("dedup", str(absent), "--out", str(tmp_path / "out"), "--no-progress"))
    assert str(absent) in stderr and "no such file" in stderr
    assert not (tmp_path / "out").exists()


def test_an_unknown_column_map_source_exits_2_naming_the_column(
    people_csv: tuple[pd.DataFrame, Path], tmp_path: Path
) -> None:
    _, csv = people_csv
    args = ("--column-map", "prenom=first_name_latin", "--no-progress")
    stderr = _error(_hawiya("dedup", str(csv), "--out", str(tmp_path / "out"), *args))
    assert "'prenom'" in stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("threshold", ["1.5", "0", "high"])
def test_a_bad_threshold_is_an_argparse_error(threshold: str, tmp_path: Path) -> None:
    result = _hawiya("dedup", str(tmp_path / "x.csv"), "--out", str(tmp_path / "out"), "--threshold", threshold)
    assert result.returncode == 2
    assert "argument --threshold" in result.stderr and repr(threshold) in result.stderr
    assert "Traceback" not in result.stderr
