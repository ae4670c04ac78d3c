"""NameIndex: type by size, build/add/search/remove, atomic save and checked load."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer import ann
from indexer.ann import (
    FORMAT_NAME,
    FORMAT_VERSION,
    NameIndex,
    choose_factory,
    index_threads,
    self_neighbours,
    set_index_threads,
    sidecar_path,
)
from indexer.errors import IndexerError, IndexFileError, IndexStateError, VectorShapeError

DIM = 16


def unit_vectors(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_choose_factory_follows_the_size() -> None:
    assert choose_factory(10, exact_threshold=1000) == "IDMap,Flat"
    assert choose_factory(999, exact_threshold=1000) == "IDMap,Flat"
    big = choose_factory(1_000_000)
    assert big == "IVF1024,Flat"
    small_ivf = choose_factory(5_000, exact_threshold=1000)
    nlist = int(small_ivf[3 : small_ivf.index(",")])
    assert small_ivf.startswith("IVF") and 5_000 >= 39 * nlist


def test_exact_index_below_the_threshold_finds_true_neighbours() -> None:
    x = unit_vectors(500, 1)
    ids = np.arange(500, dtype=np.int64) * 3 + 1
    index = NameIndex.build(x, ids, exact_threshold=1000)
    assert index.factory == "IDMap,Flat" and index.is_exact
    similarities, found = index.search(x[:20], 5)
    brute = x[:20] @ x.T
    expected = ids[np.argsort(-brute, axis=1)[:, :5]]
    assert np.array_equal(found, expected)
    assert np.allclose(similarities, np.sort(brute, axis=1)[:, ::-1][:, :5], atol=1e-5)


def test_ivf_index_above_the_threshold() -> None:
    x = unit_vectors(5_000, 2)
    index = NameIndex.build(x, exact_threshold=1000, nprobe=8)
    assert index.factory.startswith("IVF") and not index.is_exact
    assert index.count == 5_000
    assert index.nprobe == 8
    similarities, found = index.search(x[:100], 1)
    assert np.array_equal(found[:, 0], np.arange(100))  # each vector finds itself
    assert np.allclose(similarities[:, 0], 1.0, atol=1e-5)


def test_an_explicit_factory_is_used() -> None:
    x = unit_vectors(300, 3)
    index = NameIndex.build(x, factory="IDMap,HNSW16")
    assert index.factory == "IDMap,HNSW16" and not index.is_exact
    assert index.search(x[:3], 1)[1][:, 0].tolist() == [0, 1, 2]


def test_incremental_adds_equal_one_build() -> None:
    x = unit_vectors(400, 4)
    whole = NameIndex.build(x, exact_threshold=10_000)
    grown = NameIndex.empty(DIM)
    for start in range(0, 400, 64):
        grown.add(x[start : start + 64], np.arange(start, min(start + 64, 400)))
    assert grown.count == whole.count == 400
    a, b = whole.search(x[::7], 6), grown.search(x[::7], 6)
    assert np.array_equal(a[1], b[1]) and np.allclose(a[0], b[0])


def test_remove_forgets_ids() -> None:
    x = unit_vectors(100, 5)
    index = NameIndex.build(x, exact_threshold=1000)
    assert index.remove([0, 1, 99, 12345]) == 3
    assert index.count == 97
    _, found = index.search(x[:2], 3)
    assert not {0, 1} & set(found.ravel().tolist())


def test_searching_an_empty_index_and_fewer_neighbours_than_k() -> None:
    empty = NameIndex.empty(DIM)
    similarities, found = empty.search(unit_vectors(2, 6), 3)
    assert (found == -1).all() and np.isneginf(similarities).all()
    small = NameIndex.build(unit_vectors(2, 7))
    similarities, found = small.search(unit_vectors(1, 8), 4)
    assert found[0, 2:].tolist() == [-1, -1] and np.isneginf(similarities[0, 2:]).all()


@pytest.mark.parametrize(
    ("vectors", "message"),
    [
        (np.zeros((3, DIM + 1), np.float32), "vectors: expected shape \\(n, 16\\)"),
        (np.full((1, DIM), np.nan, np.float32), "vectors: contains NaN"),
        ([["a"] * DIM], "vectors: cannot be read as float32"),
    ],
)
def test_vectors_are_checked_at_the_boundary(vectors: object, message: str) -> None:
    index = NameIndex.empty(DIM)
    with pytest.raises(VectorShapeError, match=message):
        index.search(vectors, 1)  # type: ignore[arg-type]


def test_ids_and_k_are_checked() -> None:
    index = NameIndex.empty(DIM)
    x = unit_vectors(3, 9)
    with pytest.raises(VectorShapeError, match="ids: expected 3 ids"):
        index.add(x, [1, 2])
    with pytest.raises(VectorShapeError, match="ids: must be integers"):
        index.add(x, [1.5, 2.5, 3.5])
    with pytest.raises(VectorShapeError, match="ids: must be ≥ 0"):
        index.add(x, [1, -2, 3])
    with pytest.raises(VectorShapeError, match="k: must be an integer ≥ 1"):
        index.search(x, 0)
    x64 = x.astype(np.float64)  # coerced, not refused
    index.add(x64, np.array([4, 5, 6], dtype=np.int32))
    assert index.search(x64[0], 1)[1].tolist() == [[4]]


def test_factories_that_cannot_serve_are_refused() -> None:
    with pytest.raises(IndexStateError, match="does not keep record ids"):
        NameIndex.empty(DIM, "Flat")
    with pytest.raises(IndexStateError, match="needs training vectors"):
        NameIndex.empty(DIM, "IVF16,Flat")
    with pytest.raises(IndexStateError, match="FAISS cannot build factory"):
        NameIndex.empty(DIM, "NoSuchIndex")
    with pytest.raises(IndexStateError, match="needs at least 64 training vectors"):
        NameIndex.build(unit_vectors(10, 10), factory="IVF64,Flat")


def test_threads_can_be_capped() -> None:
    before = index_threads()
    try:
        set_index_threads(1)
        assert index_threads() == 1
    finally:
        set_index_threads(before)
    with pytest.raises(VectorShapeError, match="threads"):
        set_index_threads(0)


# --- persistence -------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [10_000, 1_000])  # exact, then IVF
def test_save_and_load_round_trip(tmp_path: Path, threshold: int) -> None:
    x = unit_vectors(3_000, 11)
    ids = np.arange(3_000, dtype=np.int64) + 10_000
    index = NameIndex.build(x, ids, exact_threshold=threshold, nprobe=4)
    path = tmp_path / "names.faiss"
    index.save(path)
    meta = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    assert meta["format"] == FORMAT_NAME and meta["format_version"] == FORMAT_VERSION
    assert (meta["dimension"], meta["count"], meta["factory"], meta["metric"]) == (
        DIM,
        3_000,
        index.factory,
        "inner_product",
    )
    loaded = NameIndex.load(path, dimension=DIM)
    assert (loaded.factory, loaded.count, loaded.nprobe) == (index.factory, 3_000, index.nprobe)
    queries = unit_vectors(50, 12)
    a, b = index.search(queries, 5), loaded.search(queries, 5)
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[0], b[0])
    loaded.add(unit_vectors(1, 13), [1])  # still usable
    assert loaded.count == 3_001
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.faiss", "names.faiss.json"]


def test_save_overwrites_atomically(tmp_path: Path) -> None:
    path = tmp_path / "names.faiss"
    NameIndex.build(unit_vectors(10, 14)).save(path)
    NameIndex.build(unit_vectors(20, 15)).save(path)
    assert NameIndex.load(path).count == 20


def test_a_failed_write_leaves_the_previous_index_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "names.faiss"
    NameIndex.build(unit_vectors(10, 16)).save(path)

    def broken_write(index: faiss.Index, target: str) -> None:
        Path(target).write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(ann.faiss, "write_index", broken_write)
    with pytest.raises(IndexFileError, match=r"names\.faiss: cannot write the index: disk full"):
        NameIndex.build(unit_vectors(30, 17)).save(path)
    monkeypatch.undo()
    assert NameIndex.load(path).count == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.faiss", "names.faiss.json"]


def test_a_crash_between_the_two_renames_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "names.faiss"
    NameIndex.build(unit_vectors(10, 18)).save(path)
    real_replace = ann.os.replace

    def replace_index_only(src: str, dst: str) -> None:
        if str(dst).endswith(".json"):
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(ann.os, "replace", replace_index_only)
    with pytest.raises(IndexFileError, match="power cut"):
        NameIndex.build(unit_vectors(30, 19)).save(path)
    monkeypatch.undo()
    # New index file, old sidecar: refused rather than loaded with the wrong metadata.
    with pytest.raises(IndexFileError, match="does not match its sidecar"):
        NameIndex.load(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.faiss", "names.faiss.json"]


def test_save_into_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="the directory does not exist"):
        NameIndex.build(unit_vectors(5, 20)).save(tmp_path / "nope" / "names.faiss")


def _saved(tmp_path: Path) -> Path:
    path = tmp_path / "names.faiss"
    NameIndex.build(unit_vectors(40, 21)).save(path)
    return path


def _edit_sidecar(path: Path, **changes: object) -> None:
    meta = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    meta.update(changes)
    sidecar_path(path).write_text(json.dumps(meta), encoding="utf-8")


def test_load_refuses_a_missing_sidecar(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    sidecar_path(path).unlink()
    with pytest.raises(IndexFileError, match=r"names\.faiss\.json: the sidecar is missing"):
        NameIndex.load(path)


def test_load_refuses_a_missing_index_file(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.unlink()
    with pytest.raises(IndexFileError, match=r"names\.faiss: the index file is missing"):
        NameIndex.load(path)


def test_load_refuses_a_corrupt_sidecar(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    sidecar_path(path).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexFileError, match="not valid JSON"):
        NameIndex.load(path)
    sidecar_path(path).write_text("[]", encoding="utf-8")
    with pytest.raises(IndexFileError, match="not a JSON object"):
        NameIndex.load(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "something.else"}, "not a hawiya.name_index sidecar"),
        ({"format_version": 99}, "format version 99, this code reads 1"),
        ({"count": 41}, "the sidecar says count 41, the index has 40"),
        ({"dimension": 32}, "the sidecar says dimension 32, the index has 16"),
        ({"metric": "l2"}, "metric 'l2'"),
        ({"nprobe": -1}, "nprobe must be a non-negative integer"),
        ({"sha256": "0" * 64}, "does not match its sidecar"),
    ],
)
def test_load_refuses_a_mismatched_sidecar(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    path = _saved(tmp_path)
    _edit_sidecar(path, **changes)
    with pytest.raises(IndexFileError, match=message) as caught:
        NameIndex.load(path)
    assert str(tmp_path) in str(caught.value)
    assert isinstance(caught.value, IndexerError)


def test_load_refuses_a_sidecar_missing_keys(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    meta = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    del meta["factory"]
    sidecar_path(path).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IndexFileError, match=r"the sidecar lacks \['factory'\]"):
        NameIndex.load(path)


def test_load_refuses_a_corrupt_index_file(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.write_bytes(b"garbage" * 10)
    _edit_sidecar(path, sha256=ann._sha256(path))  # a consistent pair of bad files
    with pytest.raises(IndexFileError, match="FAISS cannot read the index"):
        NameIndex.load(path)


def test_load_checks_the_expected_dimension(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    with pytest.raises(IndexFileError, match="dimension 16, expected 64"):
        NameIndex.load(path, dimension=64)


@pytest.mark.parametrize("threshold", [10_000, 1_000])  # exact, then IVF
def test_self_neighbours_equal_a_build_and_a_search(threshold: int) -> None:
    x = unit_vectors(3_000, 22)
    steps: dict[str, float] = {}
    index, similarities, found = self_neighbours(x, 4, exact_threshold=threshold, nprobe=3, seconds=steps)
    reference = NameIndex.build(x, exact_threshold=threshold, nprobe=3)
    expected_similarities, expected = reference.search(x, 4)
    assert index.factory == reference.factory and index.count == 3_000
    assert np.array_equal(found, expected)
    assert np.allclose(similarities, expected_similarities, atol=1e-6)
    assert {"train", "add", "search"} <= set(steps)
    assert np.array_equal(found[:, 0], np.arange(3_000))  # each vector is its own nearest


def test_self_neighbours_of_nothing() -> None:
    index, similarities, found = self_neighbours(np.zeros((0, DIM), np.float32), 3)
    assert index.count == 0 and similarities.shape == found.shape == (0, 3)
