"""Name vectors: shape, normalisation, determinism across processes, and what they bring together."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.errors import RecordsError, VectorShapeError
from indexer.vectors import name_features, name_vectors

ROOT = Path(__file__).resolve().parents[2]

PEOPLE: dict[str, list[Any]] = {
    "first_name_latin": ["Mohammed", "Mohamed", "", "Alaoui", "Youssef", "", "Mohammed"],
    "first_name_arabic": ["محمد", "", "محمد", "العلوي", "يوسف", "", "محمد"],
    "last_name_latin": ["El Alaoui", "Alaoui", "", "Mohammed", "Bennani", "", "El Alaoui"],
    "last_name_arabic": ["العلوي", "", "العلوي", "محمد", "بناني", "", "العلوي"],
    "father_first_name_latin": ["Ahmed", "Ahmed", "", "Ahmed", "Driss", "", "Ahmed"],
    "father_first_name_arabic": ["أحمد", "", "أحمد", "أحمد", "إدريس", "", "أحمد"],
    "birth_year": [1980, 1980, 1980, 1980, 1980, 0, 1990],
    "birth_month": [5, 5, 5, 5, 5, 0, 5],
    "birth_day": [17, 17, 17, 17, 17, 0, 17],
}


def cosine(v: np.ndarray, i: int, j: int) -> float:
    return float(v[i] @ v[j])


def test_shape_dtype_and_unit_length() -> None:
    v = name_vectors(PEOPLE, dimension=64)
    assert v.shape == (7, 64)
    assert v.dtype == np.float32
    norms = np.linalg.norm(v, axis=1)
    assert np.allclose(np.delete(norms, 5), 1.0, atol=1e-5)
    assert norms[5] == 0.0


def test_a_record_without_names_or_date_is_the_zero_vector() -> None:
    v = name_vectors(PEOPLE, dimension=64)
    assert not v[5].any()


def test_spellings_scripts_and_swaps_come_close_and_others_do_not() -> None:
    v = name_vectors(PEOPLE, dimension=256, date_weight=0.0)
    assert cosine(v, 0, 1) > 0.8  # Mohamed Alaoui, Latin only, vs both scripts
    assert cosine(v, 0, 2) > 0.8  # Arabic only
    assert cosine(v, 0, 3) > 0.99  # first and last names swapped
    assert cosine(v, 0, 4) < 0.3  # Youssef Bennani son of Driss


def test_the_date_weight_separates_namesakes() -> None:
    without = name_vectors(PEOPLE, dimension=128, date_weight=0.0)
    with_date = name_vectors(PEOPLE, dimension=128, date_weight=0.5)
    assert cosine(without, 0, 6) == pytest.approx(1.0, abs=1e-5)
    assert cosine(with_date, 0, 6) < 0.95
    assert cosine(with_date, 0, 1) > cosine(with_date, 0, 6)


def test_features_of_a_name() -> None:
    features = dict(name_features("Moulay Ahmed"))
    assert {"^a", "ah", "ed$", "^ah", "hme"} <= set(features)
    assert features["#ahmad"] > 1.0
    assert name_features("") == []
    assert name_features(None) == []  # type: ignore[arg-type]


def test_vectors_are_the_same_in_another_process() -> None:
    mine = hashlib.sha256(name_vectors(PEOPLE, dimension=64).tobytes()).hexdigest()
    code = (
        "import hashlib, json, sys; from indexer.vectors import name_vectors; "
        "cols = json.loads(sys.stdin.read()); "
        "print(hashlib.sha256(name_vectors(cols, dimension=64).tobytes()).hexdigest())"
    )
    for seed in ("0", "12345"):  # Python's string hash differs with the seed; ours must not
        done = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(PEOPLE),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert done.stdout.strip() == mine


def test_a_row_does_not_depend_on_the_other_rows() -> None:
    whole = name_vectors(PEOPLE, dimension=64)
    alone = name_vectors({c: v[3:4] for c, v in PEOPLE.items()}, dimension=64)
    assert np.array_equal(whole[3], alone[0])


def test_arguments_are_checked() -> None:
    with pytest.raises(VectorShapeError, match="dimension: must be an integer ≥ 8"):
        name_vectors(PEOPLE, dimension=4)
    with pytest.raises(VectorShapeError, match="date_weight"):
        name_vectors(PEOPLE, date_weight=-1)
    # A layout without some name fields gets vectors of the names it has.
    two = {"first_name_latin": ["a"], "last_name_latin": ["b"]}
    assert np.array_equal(name_vectors(two), name_vectors(two, fields=("first_name", "last_name")))
    with pytest.raises(RecordsError, match="no column for any of the name fields"):
        name_vectors({"cin": ["A1"]})
    only_first = name_vectors({"first_name_latin": ["a"], "last_name_latin": ["b"]}, fields=("first_name",))
    assert only_first.shape == (1, 64)
