"""write_population / read_population: Parquet and CSV round trips and errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synthetic import (
    PopulationFileError,
    SyntheticError,
    UnsupportedFormatError,
    add_duplicates,
    generate_population,
    read_population,
    write_population,
)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    people = generate_population(1_500, 8)
    records, _ = add_duplicates(people, 0.3, 8)
    return records


@pytest.mark.parametrize("name", ["people.parquet", "people.pq", "people.csv", "PEOPLE.CSV"])
def test_round_trip(tmp_path: Path, sample: pd.DataFrame, name: str) -> None:
    # The sample has empty strings, Arabic script, apostrophes, commas in addresses and zeros.
    assert (sample["phone"] == "").any() and (sample["birth_day"] == 0).any()
    path = write_population(tmp_path / name, sample)
    assert path == tmp_path / name and path.exists()
    back = read_population(path)
    pd.testing.assert_frame_equal(back, sample)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_truth_round_trip(tmp_path: Path, suffix: str) -> None:
    _, truth = add_duplicates(generate_population(300, 1), 0.5, 1)
    path = write_population(tmp_path / f"truth{suffix}", truth)
    pd.testing.assert_frame_equal(read_population(str(path)), truth)


def test_overwrite_replaces_the_file(tmp_path: Path, sample: pd.DataFrame) -> None:
    path = tmp_path / "people.parquet"
    write_population(path, sample)
    write_population(path, sample.head(10))
    assert len(read_population(path)) == 10


@pytest.mark.parametrize("name", ["people.json", "people", "people.parquet.bak", "people.xlsx"])
def test_unknown_extension(tmp_path: Path, sample: pd.DataFrame, name: str) -> None:
    target = tmp_path / name
    with pytest.raises(UnsupportedFormatError) as info:
        write_population(target, sample)
    assert str(target) in str(info.value) and info.value.path == str(target)
    assert isinstance(info.value, SyntheticError)
    assert not list(tmp_path.iterdir())
    with pytest.raises(UnsupportedFormatError):
        read_population(target)


def test_missing_file_and_directory(tmp_path: Path, sample: pd.DataFrame) -> None:
    with pytest.raises(PopulationFileError) as info:
        read_population(tmp_path / "absent.parquet")
    assert "absent.parquet" in str(info.value)
    with pytest.raises(PopulationFileError) as info:
        write_population(tmp_path / "no" / "such" / "dir.csv", sample)
    assert "dir.csv" in str(info.value)


def test_corrupt_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(PopulationFileError):
        read_population(bad)
    csv = tmp_path / "bad.csv"
    csv.write_text("record_id,birth_year\nr1,nineteen\n", encoding="utf-8")
    with pytest.raises(PopulationFileError) as info:
        read_population(csv)
    assert "birth_year" in str(info.value)
