"""`run_dedup` on synthetic people: its four files agree with each other and with the truth; bad inputs are named."""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dedup.config import DEFAULT_CONFIG, load_config
from dedup.engine import STAGES, DedupOptions, DedupSummary, Progress, run_dedup
from dedup.errors import (
    DedupCancelled,
    DedupError,
    DedupInputError,
    InputFileError,
    MissingColumn,
    ModelFileError,
)
from dedup.io import prepare_records
from matcher.model import FellegiSunterModel
from synthetic import generate

ROOT = Path(__file__).resolve().parents[2]
SEED = 20_250_302
PEOPLE = 3_000
DUPLICATE_RATE = 0.1
OUTPUTS = {"pairs.parquet", "clusters.parquet", "model.json", "summary.json"}


@dataclass(frozen=True)
class Run:
    out: Path
    summary: DedupSummary
    progress: list[Progress]


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    records, truth = generate(PEOPLE, SEED, DUPLICATE_RATE)
    assert truth is not None
    return records


@pytest.fixture(scope="module")
def frame(people: pd.DataFrame) -> pd.DataFrame:
    """The engine's input: the records without the truth."""
    return people.drop(columns=["entity_id"])


@pytest.fixture(scope="module")
def first(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("dedup") / "out"
    seen: list[Progress] = []
    summary = run_dedup(frame, out, progress=seen.append)
    return Run(out, summary, seen)


def _pairs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "pairs.parquet")


def _clusters(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "clusters.parquet")


def _summary(out: Path) -> dict[str, Any]:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _same_results(out: Path, expected: Path) -> None:
    pd.testing.assert_frame_equal(_pairs(out), _pairs(expected))
    pd.testing.assert_frame_equal(_clusters(out), _clusters(expected))
    ours, theirs = _summary(out), _summary(expected)
    for key in ("records", "candidate_pairs", "written_pairs", "matched_pairs", "clusters", "refused_links"):
        assert ours[key] == theirs[key], key


def test_the_run_writes_the_four_files_and_nothing_else(first: Run) -> None:
    assert {p.name for p in first.out.iterdir()} == OUTPUTS  # no staging folder left behind
    summary = _summary(first.out)
    assert summary == json.loads(json.dumps(first.summary.to_dict()))
    assert {Path(p).name for p in summary["outputs"].values()} == OUTPUTS


def test_pairs_parquet_has_one_row_per_written_pair_with_levels_per_field(first: Run, frame: pd.DataFrame) -> None:
    pairs = _pairs(first.out)
    gammas = [f"gamma_{f.name}" for f in DEFAULT_CONFIG.fields]
    assert list(pairs.columns) == ["record_id_l", "record_id_r", "probability", "match_weight", "match", *gammas]
    assert len(pairs) == first.summary.written_pairs > 0
    ids = set(frame["record_id"])
    assert set(pairs["record_id_l"]) <= ids and set(pairs["record_id_r"]) <= ids
    assert (pairs["record_id_l"] != pairs["record_id_r"]).all()
    assert not pairs[["record_id_l", "record_id_r"]].duplicated().any()
    assert pairs["probability"].between(0.1, 1.0).all()  # write_min_probability's default
    assert (pairs["match"] == (pairs["probability"] >= first.summary.threshold)).all()
    # Probability and weight are one number in two scales.
    np.testing.assert_allclose(
        pairs["probability"], 1 / (1 + 2.0 ** -pairs["match_weight"].to_numpy()), rtol=1e-9, atol=1e-12
    )
    for spec, comparison in zip(DEFAULT_CONFIG.fields, DEFAULT_CONFIG.comparisons, strict=True):
        levels = pairs[f"gamma_{spec.name}"]
        assert levels.between(0, comparison.n_levels - 1).all(), spec.name


def test_clusters_parquet_holds_every_record_once(first: Run, frame: pd.DataFrame) -> None:
    clusters = _clusters(first.out)
    assert list(clusters.columns) == ["record_id", "cluster_id", "cluster_size"]
    assert clusters["record_id"].tolist() == frame["record_id"].tolist()
    sizes = clusters.groupby("cluster_id")["record_id"].transform("size")
    assert (clusters["cluster_size"] == sizes).all()
    ids = np.sort(clusters["cluster_id"].unique())
    assert ids.tolist() == list(range(len(ids)))


def test_summary_counts_agree_with_the_files(first: Run, frame: pd.DataFrame) -> None:
    pairs, clusters, summary = _pairs(first.out), _clusters(first.out), _summary(first.out)
    sizes = clusters.groupby("cluster_id").size()
    assert summary["records"] == len(frame) == len(clusters)
    assert summary["matched_pairs"] == int(pairs["match"].sum()) > 0
    assert summary["written_pairs"] == len(pairs)
    assert summary["clusters"] == clusters["cluster_id"].nunique()
    assert summary["duplicate_clusters"] == int((sizes > 1).sum())
    assert summary["duplicate_records"] == int(sizes[sizes > 1].sum())
    assert summary["candidate_pairs"] >= summary["written_pairs"]
    assert summary["row_problems"] == 0 and summary["row_problems_listed"] == []
    assert summary["model"]["source"] == "trained by EM on the input"
    assert set(summary["seconds"]) == set(STAGES)


def test_only_refused_links_leave_a_match_pair_in_two_clusters(first: Run) -> None:
    pairs, clusters = _pairs(first.out), _clusters(first.out)
    cluster_of = clusters.set_index("record_id")["cluster_id"]
    matched = pairs[pairs["match"]]
    split = (cluster_of[matched["record_id_l"]].to_numpy() != cluster_of[matched["record_id_r"]].to_numpy()).sum()
    assert split <= first.summary.refused_links


def test_pairwise_f1_against_the_truth(first: Run, people: pd.DataFrame) -> None:
    entity = people.set_index("record_id")["entity_id"]
    matched = _pairs(first.out).query("match")
    true_positives = int((entity[matched["record_id_l"]].to_numpy() == entity[matched["record_id_r"]].to_numpy()).sum())
    sizes = people["entity_id"].value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    assert true_pairs > 0
    precision = true_positives / len(matched)
    recall = true_positives / true_pairs
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.95, (precision, recall)


def test_the_saved_model_reads_back_with_the_configuration_fields(first: Run) -> None:
    model = FellegiSunterModel.from_json((first.out / "model.json").read_bytes())
    assert model.comparisons == DEFAULT_CONFIG.comparisons
    assert 0.0 < model.prior < 1.0
    assert model.prior == pytest.approx(first.summary.model["prior"])


def test_progress_rises_to_one_through_every_stage(first: Run) -> None:
    fractions = [p.fraction for p in first.progress]
    assert fractions, "no progress was reported"
    assert all(b >= a for a, b in itertools.pairwise(fractions)), fractions
    assert fractions[0] >= 0.0 and fractions[-1] == 1.0
    assert {p.stage for p in first.progress} == set(STAGES)
    # Stages are reported in their order.
    order = list(dict.fromkeys(p.stage for p in first.progress))
    assert order == list(STAGES)


def test_a_cancelled_run_leaves_the_earlier_results_untouched(first: Run, frame: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(first.out, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    cancel = threading.Event()
    stages: list[str] = []

    def progress(p: Progress) -> None:
        stages.append(p.stage)
        if p.stage == "train":
            cancel.set()

    with pytest.raises(DedupCancelled):
        run_dedup(frame, out, progress=progress, cancel=cancel)
    assert "train" in stages and "write" not in stages
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_saved_model_gives_the_same_probabilities_without_training(
    first: Run, frame: pd.DataFrame, tmp_path: Path
) -> None:
    model_path = first.out / "model.json"
    seen: list[Progress] = []
    summary = run_dedup(frame, tmp_path / "out", DedupOptions(model_path=model_path), progress=seen.append)
    assert summary.model["source"] == "file" and summary.model["path"] == str(model_path)
    assert "rounds" not in summary.model
    assert {p.stage for p in seen} == set(STAGES)
    _same_results(tmp_path / "out", first.out)
    saved = json.loads((first.out / "model.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "out" / "model.json").read_text(encoding="utf-8")) == saved


def test_a_model_of_another_configuration_is_refused(first: Run, tmp_path: Path) -> None:
    # Two records in FEBRL's layout, read with the FEBRL configuration and the register's model.
    febrl = pd.DataFrame(
        {
            "rec_id": ["rec-1-org", "rec-1-dup-0"],
            "given_name": ["michaela", "michaela"],
            "surname": ["neumann", "neuman"],
            "street_number": ["8", "8"],
            "address_1": ["stanley street", "stanley st"],
            "address_2": ["miami", "miami"],
            "suburb": ["winston hills", "winston hills"],
            "postcode": ["4223", "4223"],
            "state": ["nsw", "nsw"],
            "date_of_birth": ["19151111", "19151111"],
            "soc_sec_id": ["5304218", "5304218"],
        }
    )
    options = DedupOptions(
        config=load_config(ROOT / "benchmarks" / "configs" / "febrl.toml"),
        column_map={"rec_id": "record_id", "given_name": "first_name", "surname": "last_name"},
        model_path=first.out / "model.json",
    )
    with pytest.raises(ModelFileError, match="same --config") as caught:
        run_dedup(febrl, tmp_path / "out", options)
    assert caught.value.path == str(first.out / "model.json")
    assert caught.value.field == "model"
    assert not (tmp_path / "out").exists()


def test_a_model_file_that_is_not_a_model_is_named(frame: pd.DataFrame, tmp_path: Path) -> None:
    for name, content in (("absent.json", None), ("garbage.json", "{not json"), ("other.json", '{"format": "x"}')):
        path = tmp_path / name
        if content is not None:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(ModelFileError) as caught:
            run_dedup(frame.head(50), tmp_path / "out", DedupOptions(model_path=path))
        assert str(path) in str(caught.value)


def test_a_missing_column_is_named(frame: pd.DataFrame, tmp_path: Path) -> None:
    without = frame.drop(columns=["first_name_latin", "first_name_arabic"])
    with pytest.raises(MissingColumn, match="first_name_latin") as caught:
        run_dedup(without, tmp_path / "out")
    assert caught.value.column == "first_name_latin"
    assert "--column-map" in str(caught.value)
    # One script of a name is enough.
    assert isinstance(prepare_records(frame.drop(columns=["first_name_latin"]), DEFAULT_CONFIG).frame, pd.DataFrame)


def test_a_missing_training_key_is_named(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(MissingColumn) as caught:
        run_dedup(frame.drop(columns=["phone"]), tmp_path / "out")
    assert caught.value.column == "phone"


def test_a_column_map_gives_the_same_results(first: Run, frame: pd.DataFrame, tmp_path: Path) -> None:
    renamed = frame.rename(columns={"first_name_latin": "prenom"})
    run_dedup(renamed, tmp_path / "out", DedupOptions(column_map={"prenom": "first_name_latin"}))
    _same_results(tmp_path / "out", first.out)


def test_a_column_map_naming_an_absent_column_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(MissingColumn, match="'prenom'") as caught:
        run_dedup(frame, tmp_path / "out", DedupOptions(column_map={"prenom": "first_name_latin"}))
    assert caught.value.column == "prenom"


def test_unusable_values_are_listed_by_row_and_column_and_read_as_missing(frame: pd.DataFrame, tmp_path: Path) -> None:
    bad = frame.copy()
    for column in ("birth_year", "birth_month", "birth_precision"):
        bad[column] = bad[column].astype(object)
    bad.loc[4, "birth_year"] = "abc"  # row 5
    bad.loc[6, "birth_month"] = 13  # row 7
    bad.loc[8, "birth_precision"] = "sometimes"  # row 9
    summary = run_dedup(bad, tmp_path / "out")

    assert summary.records == len(frame)
    assert summary.row_problems == 3
    listed = [(p["row"], p["column"]) for p in summary.row_problems_listed]
    assert listed == [(5, "birth_year"), (7, "birth_month"), (9, "birth_precision")]
    assert dict(summary.row_problems_by_column) == {"birth_year": 1, "birth_month": 1, "birth_precision": 1}
    written = _summary(tmp_path / "out")
    assert written["row_problems_listed"] == [dict(p) for p in summary.row_problems_listed]
    text = json.dumps(written["row_problems_listed"])
    for value in ("abc", "13", "sometimes"):
        assert value not in text
    assert bad.loc[4, "record_id"] not in text  # the row number, not the id

    prepared = prepare_records(bad, DEFAULT_CONFIG).frame
    assert prepared.loc[4, "birth_year"] == 0
    assert prepared.loc[6, "birth_month"] == 0
    assert prepared.loc[4, "birth_precision"] == "unknown"  # no year: no date
    assert prepared.loc[6, "birth_precision"] == "year"  # the year alone is still known
    year, month, day = (int(frame.loc[8, c]) for c in ("birth_year", "birth_month", "birth_day"))
    parts = "unknown" if not year else "year" if not month else "year_month" if not day else "full"
    assert prepared.loc[8, "birth_precision"] == parts  # an unknown precision: the parts decide
    # The neighbours of the bad values are read as they were.
    assert prepared.loc[4, "birth_month"] == frame.loc[4, "birth_month"]
    assert prepared.loc[6, "birth_year"] == frame.loc[6, "birth_year"]
    assert (_clusters(tmp_path / "out")["record_id"] == frame["record_id"]).all()


def test_a_repeated_record_id_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    repeated = frame.copy()
    repeated.loc[9, "record_id"] = repeated.loc[2, "record_id"]
    with pytest.raises(DedupInputError, match="row 10") as caught:
        run_dedup(repeated, tmp_path / "out")
    assert caught.value.field == "record_id"
    assert str(repeated.loc[2, "record_id"]) not in str(caught.value)


def test_an_empty_input_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(DedupInputError, match="no records") as caught:
        run_dedup(frame.iloc[:0], tmp_path / "out")
    assert caught.value.field == "input"
    header_only = tmp_path / "empty.csv"
    frame.iloc[:0].to_csv(header_only, index=False)
    with pytest.raises(DedupInputError, match="no records"):
        run_dedup(header_only, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_csv_and_parquet_files_give_the_same_results(first: Run, frame: pd.DataFrame, tmp_path: Path) -> None:
    csv, parquet = tmp_path / "people.csv", tmp_path / "people.parquet"
    frame.to_csv(csv, index=False)
    frame.to_parquet(parquet, index=False)
    run_dedup(csv, tmp_path / "from_csv")
    run_dedup(parquet, tmp_path / "from_parquet")
    _same_results(tmp_path / "from_csv", tmp_path / "from_parquet")
    _same_results(tmp_path / "from_parquet", first.out)


def test_a_missing_input_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(InputFileError, match="no such file") as caught:
        run_dedup(path, tmp_path / "out")
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, DedupError)


def test_an_output_that_is_a_file_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    taken = tmp_path / "out"
    taken.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a directory"):
        run_dedup(frame, taken)
    assert taken.read_text(encoding="utf-8") == "not a folder"
