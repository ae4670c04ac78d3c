"""`NameIndex`: a FAISS nearest-neighbour index over name vectors, keyed by record id.

**Index type follows the size** (`choose_factory`): below ``exact_threshold`` vectors (50,000 by
default) an exact ``IDMap,Flat`` index (inner product over L2-normalised vectors, i.e. cosine
similarity): at that size a query is a few milliseconds and there is nothing to tune. Above
it, ``IVF{nlist},Flat``: an inverted file of ``nlist`` ≈ √n lists (a power of two, at least
64), the vectors kept exactly, ``nprobe`` lists searched per query. IVF rather than HNSW
because it builds a million vectors in seconds where HNSW takes minutes on two cores, it can
``remove_ids`` (an updated record is removed and added again; HNSW cannot), and its
recall/speed trade-off is one number, ``nprobe``. The coarse quantiser is flat (exact): on a
million vectors an HNSW quantiser measured no faster at these list counts. √n rather than the
usual 4·√n lists because dedup searches every vector against all the others: measured on 1.1M
synthetic records (1 thread), 1,024 lists with nprobe 2 found 88 % of the true pairs in 26 s,
4,096 lists with nprobe 2 found 87 % in 41 s (training and assigning to 4,096 centroids cost
more than the larger lists do). Training is k-means on a seeded sample of 40 vectors per list
for 10 rounds: the lists only need to be roughly right. The type is chosen when the index is
built; adding to it later keeps the type (rebuild to change it).

For dedup within one set, `self_neighbours` builds the index and searches every vector in it,
finding each vector's nearest lists once for both filing and searching, and comparing lists
block by block (see its docstring).

**Persistence** (`save`, `load`): ``faiss.write_index`` to a temporary file beside the target
and a JSON sidecar (``<path>.json``: format name and version, dimension, factory string, count,
metric, nprobe, SHA-256 of the index file, FAISS version), each fsynced, then both moved into
place with ``os.replace``, the sidecar last. A crash between the two moves leaves a new index
with the old sidecar, which `load` refuses because the count or checksum disagree; a failure
before them leaves the previous pair untouched. Every refusal is an `IndexFileError` naming the
path. Nothing is pickled.

**Boundary**: vectors are coerced to C-contiguous float32 of shape (n, dimension) and checked
(dimension, finite values); ids to int64, one per vector. FAISS's thread count is process-wide:
`set_index_threads` lets the server keep workers × threads ≤ cores. Searches may run in
parallel; `add` and `remove` must not run alongside them (the caller serialises writes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import faiss
import numpy as np
import numpy.typing as npt

from indexer.errors import IndexFileError, IndexStateError, VectorShapeError

__all__ = [
    "DEFAULT_EXACT_THRESHOLD",
    "DEFAULT_NPROBE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "NameIndex",
    "choose_factory",
    "index_threads",
    "self_neighbours",
    "set_index_threads",
    "sidecar_path",
]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

FORMAT_NAME: Final = "hawiya.name_index"
FORMAT_VERSION: Final = 1
DEFAULT_EXACT_THRESHOLD: Final = 50_000
DEFAULT_NPROBE: Final = 8
METRIC: Final = "inner_product"
# k-means on 40 vectors per list for 10 rounds: FAISS warns below 39 per list, and the lists only
# need to be roughly right (nprobe makes up for borders); its defaults (256 per list, 25 rounds)
# cost more than the search itself on a million vectors.
_TRAIN_PER_LIST: Final = 40
_TRAIN_ITERATIONS: Final = 10
_MIN_TRAIN_PER_LIST: Final = 39
_BLAS_FROM_ROWS: Final = 20
_SIDECAR_KEYS: Final = frozenset(
    {"format", "format_version", "dimension", "factory", "count", "metric", "nprobe", "sha256", "faiss_version"}
)


def set_index_threads(threads: int) -> None:
    """Cap the threads FAISS uses in this process (OpenMP; process-wide)."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise VectorShapeError(f"must be an integer ≥ 1, got {threads!r}", argument="threads")
    faiss.omp_set_num_threads(threads)


def index_threads() -> int:
    """The threads FAISS may use in this process."""
    return int(faiss.omp_get_max_threads())


def choose_factory(count: int, *, exact_threshold: int = DEFAULT_EXACT_THRESHOLD) -> str:
    """The FAISS factory string for an index of ``count`` vectors (see the module docstring)."""
    if count < exact_threshold:
        return "IDMap,Flat"
    nlist = 1 << max(6, round(math.log2(math.sqrt(count))))
    while nlist > 64 and count < _MIN_TRAIN_PER_LIST * nlist:
        nlist //= 2
    return f"IVF{nlist},Flat"


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where the JSON sidecar of the index file ``path`` lives: ``<path>.json``."""
    return Path(f"{os.fspath(path)}.json")


def _vectors(vectors: npt.ArrayLike, dimension: int | None = None, argument: str = "vectors") -> FloatArray:
    """``vectors`` as C-contiguous float32 of shape (n, dimension), finite; a single vector
    becomes one row. With no ``dimension``, any width ≥ 1 is taken."""
    try:
        arr = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise VectorShapeError(f"cannot be read as float32: {exc}", argument=argument) from exc
    if dimension is None:
        if arr.ndim != 2 or arr.shape[1] < 1:
            raise VectorShapeError(f"expected shape (n, dimension), got {arr.shape}", argument=argument)
        dimension = int(arr.shape[1])
    if arr.ndim == 1 and arr.shape[0] == dimension:
        arr = arr.reshape(1, dimension)
    if arr.ndim != 2 or arr.shape[1] != dimension:
        raise VectorShapeError(f"expected shape (n, {dimension}), got {arr.shape}", argument=argument)
    if not np.isfinite(arr).all():
        raise VectorShapeError("contains NaN or infinite values", argument=argument)
    return np.ascontiguousarray(arr)


def _ids(ids: npt.ArrayLike, count: int, argument: str = "ids") -> IntArray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.shape[0] != count:
        raise VectorShapeError(f"expected {count} ids in one dimension, got shape {arr.shape}", argument=argument)
    if count and not np.issubdtype(arr.dtype, np.integer):
        raise VectorShapeError(f"must be integers, got {arr.dtype}", argument=argument)
    out = np.ascontiguousarray(arr, dtype=np.int64)
    if count and out.min() < 0:
        raise VectorShapeError("must be ≥ 0 (-1 means 'no neighbour' in results)", argument=argument)
    return out


def _positive_int(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 1:
        raise VectorShapeError(f"must be an integer ≥ 1, got {value!r}", argument=argument)
    return int(value)


class NameIndex:
    """Nearest neighbours of name vectors by inner product (cosine on normalised vectors)."""

    def __init__(self, index: faiss.Index, factory: str) -> None:
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise IndexStateError(f"the index must use the inner-product metric, got metric {index.metric_type}")
        self._index = index
        self._factory = factory

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def empty(cls, dimension: int, factory: str = "IDMap,Flat") -> NameIndex:
        """An empty index to add to (an index that needs training cannot start empty)."""
        dimension = _positive_int(dimension, "dimension")
        index = cls._create(dimension, factory)
        if not index.is_trained:
            raise IndexStateError(f"factory {factory!r} needs training vectors: use NameIndex.build")
        return cls(index, factory)

    @classmethod
    def build(
        cls,
        vectors: npt.ArrayLike,
        ids: npt.ArrayLike | None = None,
        *,
        factory: str | None = None,
        exact_threshold: int = DEFAULT_EXACT_THRESHOLD,
        nprobe: int = DEFAULT_NPROBE,
        seed: int = 0,
    ) -> NameIndex:
        """An index of ``vectors`` under ``ids`` (default 0..n-1), its type chosen by size
        unless ``factory`` is given; IVF indexes are trained on a seeded sample."""
        arr = _vectors(vectors)
        id_array = np.arange(len(arr), dtype=np.int64) if ids is None else _ids(ids, len(arr))
        factory = factory or choose_factory(len(arr), exact_threshold=exact_threshold)
        built = cls(_trained(arr, factory, seed), factory)
        built.nprobe = nprobe
        built.add(arr, id_array)
        return built

    @staticmethod
    def _create(dimension: int, factory: str) -> faiss.Index:
        if not isinstance(factory, str) or not factory:
            raise IndexStateError(f"the factory must be a non-empty string, got {factory!r}")
        try:
            index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise IndexStateError(f"FAISS cannot build factory {factory!r}: {exc}") from exc
        if not _has_ids(index):
            raise IndexStateError(f"factory {factory!r} does not keep record ids: prefix it with 'IDMap,'")
        return index

    # --- properties ------------------------------------------------------------------------

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def factory(self) -> str:
        return self._factory

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def __len__(self) -> int:
        return self.count

    @property
    def is_exact(self) -> bool:
        """Whether searches are exhaustive (a flat index)."""
        inner = self._index.index if isinstance(self._index, faiss.IndexIDMap | faiss.IndexIDMap2) else self._index
        return isinstance(faiss.downcast_index(inner), faiss.IndexFlat)

    @property
    def nprobe(self) -> int:
        """Inverted lists searched per query (1 for indexes without lists)."""
        ivf = _ivf(self._index)
        return int(ivf.nprobe) if ivf is not None else 1

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        value = _positive_int(value, "nprobe")
        ivf = _ivf(self._index)
        if ivf is not None:
            ivf.nprobe = min(value, int(ivf.nlist))

    # --- updates and search ----------------------------------------------------------------

    def add(self, vectors: npt.ArrayLike, ids: npt.ArrayLike) -> None:
        """Add vectors under record ids. Ids are not checked for repeats: remove a record
        before adding its new vector."""
        arr = _vectors(vectors, self.dimension)
        id_array = _ids(ids, len(arr))
        if len(arr):
            self._index.add_with_ids(arr, id_array)

    def remove(self, ids: npt.ArrayLike) -> int:
        """Remove the vectors of these record ids; returns how many were removed."""
        raw = np.asarray(ids).reshape(-1)
        id_array = _ids(raw, len(raw))
        try:
            # faiss's Python wrapper takes an id array here (its stubs only know IDSelector).
            return int(self._index.remove_ids(id_array))  # type: ignore[arg-type]
        except RuntimeError as exc:
            raise IndexStateError(f"index {self._factory!r} cannot remove ids: {exc}") from exc

    def search(self, vectors: npt.ArrayLike, k: int) -> tuple[FloatArray, IntArray]:
        """The ``k`` nearest record ids of each query vector and their similarities, best first.

        Returns ``(similarities, ids)``, both of shape (m, k); where fewer than ``k`` neighbours
        were found the id is -1 and the similarity -inf.
        """
        arr = _vectors(vectors, self.dimension)
        k = _positive_int(k, "k")
        if len(arr) == 0:
            return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
        if self.count == 0:
            return np.full((len(arr), k), -np.inf, np.float32), np.full((len(arr), k), -1, np.int64)
        distances, labels = self._index.search(arr, k)
        similarities = np.asarray(distances, dtype=np.float32)
        labels = np.asarray(labels, dtype=np.int64)
        similarities[labels < 0] = -np.inf
        return similarities, labels

    # --- persistence -----------------------------------------------------------------------

    def _sidecar(self, digest: str) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "dimension": self.dimension,
            "factory": self._factory,
            "count": self.count,
            "metric": METRIC,
            "nprobe": self.nprobe,
            "sha256": digest,
            "faiss_version": faiss.__version__,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` and its sidecar to ``<path>.json``, atomically (see the
        module docstring)."""
        target = Path(path)
        sidecar = sidecar_path(target)
        directory = target.parent if str(target.parent) else Path(".")
        if not directory.is_dir():
            raise IndexFileError("the directory does not exist", path=directory)
        temps: list[Path] = []
        try:
            index_tmp = _temp_path(directory, target.name)
            temps.append(index_tmp)
            faiss.write_index(self._index, str(index_tmp))
            _fsync(index_tmp)
            digest = _sha256(index_tmp)
            sidecar_tmp = _temp_path(directory, sidecar.name)
            temps.append(sidecar_tmp)
            sidecar_tmp.write_text(json.dumps(self._sidecar(digest), indent=2) + "\n", encoding="utf-8")
            _fsync(sidecar_tmp)
            os.replace(index_tmp, target)
            temps.remove(index_tmp)
            os.replace(sidecar_tmp, sidecar)
            temps.remove(sidecar_tmp)
            _fsync_directory(directory)
        except (OSError, RuntimeError) as exc:
            raise IndexFileError(f"cannot write the index: {exc}", path=target) from exc
        finally:
            for temp in temps:
                with contextlib.suppress(OSError):
                    temp.unlink()

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, dimension: int | None = None) -> NameIndex:
        """Read an index written by `save`, checking it against its sidecar (and against the
        expected ``dimension`` when given). Every failure is an `IndexFileError` naming the path."""
        target = Path(path)
        sidecar = sidecar_path(target)
        meta = _read_sidecar(sidecar)
        if not target.is_file():
            raise IndexFileError("the index file is missing (its sidecar exists)", path=target)
        digest = _sha256(target)
        if digest != meta["sha256"]:
            raise IndexFileError(f"the index file does not match its sidecar {sidecar.name} (checksum)", path=target)
        try:
            index = faiss.read_index(str(target))
        except RuntimeError as exc:
            raise IndexFileError(f"FAISS cannot read the index: {exc}", path=target) from exc
        expected = {"dimension": int(index.d), "count": int(index.ntotal)}
        for key, actual in expected.items():
            if meta[key] != actual:
                raise IndexFileError(f"the sidecar says {key} {meta[key]}, the index has {actual}", path=target)
        if index.metric_type != faiss.METRIC_INNER_PRODUCT or not _has_ids(index):
            raise IndexFileError("not an inner-product index keyed by record ids", path=target)
        if dimension is not None and meta["dimension"] != dimension:
            raise IndexFileError(f"dimension {meta['dimension']}, expected {dimension}", path=target)
        loaded = cls(index, meta["factory"])
        loaded.nprobe = meta["nprobe"]
        return loaded


def _trained(vectors: FloatArray, factory: str, seed: int) -> faiss.Index:
    """An empty index of ``factory``, trained on a seeded sample of ``vectors`` if it needs it."""
    index = NameIndex._create(int(vectors.shape[1]), factory)
    if not index.is_trained:
        ivf = faiss.extract_index_ivf(index)
        nlist = int(ivf.nlist)
        ivf.cp.niter = _TRAIN_ITERATIONS
        ivf.cp.max_points_per_centroid = _TRAIN_PER_LIST
        if len(vectors) < nlist:
            raise IndexStateError(f"factory {factory!r} needs at least {nlist} training vectors, got {len(vectors)}")
        size = min(len(vectors), _TRAIN_PER_LIST * nlist)
        sample = np.random.default_rng(seed).choice(len(vectors), size=size, replace=False)
        index.train(vectors[np.sort(sample)])
    return index


def self_neighbours(
    vectors: npt.ArrayLike,
    k: int,
    *,
    exact_threshold: int = DEFAULT_EXACT_THRESHOLD,
    nprobe: int = DEFAULT_NPROBE,
    seed: int = 0,
    seconds: dict[str, float] | None = None,
) -> tuple[NameIndex, FloatArray, IntArray]:
    """Index ``vectors`` (ids 0..n-1) and find the ``k`` nearest of each among them (itself
    included), for dedup within one set: ``(index, similarities, ids)`` as `NameIndex.search`.

    Below the exact threshold this is a build and a search. With an inverted file the result
    is what `NameIndex.search` with the same ``nprobe`` gives (up to the order of equal
    similarities), computed list by list: each vector's ``nprobe`` nearest lists are found once
    (the first files it, all of them are searched from it), then for each list the vectors
    that probe it are compared with the vectors filed in it in one `faiss.knn` call (a BLAS
    product), and each vector keeps the best ``k`` of its lists. On two cores FAISS's
    per-query list scan measured about 60 ns per distance against 3-8 ns for these blocks.
    ``seconds``, when given, receives the time of each step (train, assign, add, search).
    """
    clock = _Clock(seconds)
    arr = _vectors(vectors)
    k = _positive_int(k, "k")
    factory = choose_factory(len(arr), exact_threshold=exact_threshold)
    index = _trained(arr, factory, seed)
    clock.lap("train")
    ivf = _ivf(index)
    built = NameIndex(index, factory)
    built.nprobe = nprobe
    ids = np.arange(len(arr), dtype=np.int64)
    if ivf is None or len(arr) == 0:
        built.add(arr, ids)
        clock.lap("add")
        similarities, found = built.search(arr, k)
        clock.lap("search")
        return built, similarities, found
    _, lists = ivf.quantizer.search(arr, built.nprobe)
    lists = np.ascontiguousarray(lists, dtype=np.int64)
    clock.lap("assign")
    first = np.ascontiguousarray(lists[:, 0])
    ivf.add_core(len(arr), faiss.swig_ptr(arr), faiss.swig_ptr(ids), faiss.swig_ptr(first))
    clock.lap("add")
    similarities, found = _list_join(arr, lists, int(ivf.nlist), k)
    clock.lap("search")
    return built, similarities, found


def _list_join(vectors: FloatArray, lists: IntArray, nlist: int, k: int) -> tuple[FloatArray, IntArray]:
    """The ``k`` nearest of each vector among the vectors filed in the lists it probes.

    ``lists[i]`` are the lists vector i probes, ``lists[i, 0]`` the one it is filed in. Lists
    are joined in parallel, one list per task on FAISS's thread budget, each task's FAISS call
    single-threaded: splitting one small block product across threads measured slower than
    running it on one (OpenMP start-up and joins dominate blocks of a few hundred rows).
    """
    n, probes = lists.shape
    filed = np.argsort(lists[:, 0], kind="stable")
    filed_bounds = np.concatenate(([0], np.cumsum(np.bincount(lists[:, 0], minlength=nlist))))
    probing = np.argsort(lists.ravel(), kind="stable")
    probing_bounds = np.concatenate(([0], np.cumsum(np.bincount(lists.ravel(), minlength=nlist))))
    best = np.full((n, probes, k), -np.inf, dtype=np.float32)
    best_ids = np.full((n, probes, k), -1, dtype=np.int64)

    def join(lst: int) -> None:
        members = filed[filed_bounds[lst] : filed_bounds[lst + 1]]
        entries = probing[probing_bounds[lst] : probing_bounds[lst + 1]]
        if len(members) == 0 or len(entries) == 0:
            return
        rows, slots = entries // probes, entries % probes
        kk = min(k, len(members))
        sims, found = faiss.knn(vectors[rows], vectors[members], kk, metric=faiss.METRIC_INNER_PRODUCT)
        # Each (row, slot) belongs to exactly one list: tasks never write the same cells.
        best[rows, slots, :kk] = sims
        best_ids[rows, slots, :kk] = members[found]

    workers = index_threads()
    # FAISS computes a block by BLAS only from this many query rows up (128,000 in faiss 1.15),
    # by a scalar loop below it. For these blocks (hundreds to a few thousand rows of 64
    # floats) the loop measured 30-40 ns a distance against 6-7 through BLAS: the join runs
    # with the old default (20) and puts the setting back.
    threshold = faiss.cvar.distance_compute_blas_threshold
    faiss.cvar.distance_compute_blas_threshold = _BLAS_FROM_ROWS
    try:
        if workers == 1:
            for lst in range(nlist):
                join(lst)
        else:
            with ThreadPoolExecutor(workers, initializer=faiss.omp_set_num_threads, initargs=(1,)) as pool:
                list(pool.map(join, range(nlist)))  # consumed so that a task's error is raised here
    finally:
        faiss.cvar.distance_compute_blas_threshold = threshold
    merged, merged_ids = best.reshape(n, probes * k), best_ids.reshape(n, probes * k)
    order = np.argsort(-merged, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(merged, order, axis=1), np.take_along_axis(merged_ids, order, axis=1)


class _Clock:
    """Adds the seconds since the last lap to ``seconds[name]`` (when there is a dict)."""

    def __init__(self, seconds: dict[str, float] | None) -> None:
        self._seconds = seconds
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self._seconds is not None:
            self._seconds[name] = self._seconds.get(name, 0.0) + now - self._last
        self._last = now


def _ivf(index: faiss.Index) -> Any:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def _has_ids(index: faiss.Index) -> bool:
    """Whether the index stores caller-given ids (an IDMap, or an inverted file)."""
    return isinstance(index, faiss.IndexIDMap | faiss.IndexIDMap2) or _ivf(index) is not None


def _temp_path(directory: Path, name: str) -> Path:
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    return Path(temp)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    # Makes the renames durable; not possible on every platform, and not needed for atomicity.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise IndexFileError(f"cannot read: {exc}", path=path) from exc
    return digest.hexdigest()


def _read_sidecar(sidecar: Path) -> dict[str, Any]:
    try:
        text = sidecar.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise IndexFileError("the sidecar is missing: an index is only loaded with its sidecar", path=sidecar) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexFileError(f"cannot read the sidecar: {exc}", path=sidecar) from exc
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise IndexFileError(f"the sidecar is not valid JSON: {exc}", path=sidecar) from exc
    if not isinstance(meta, dict):
        raise IndexFileError("the sidecar is not a JSON object", path=sidecar)
    if meta.get("format") != FORMAT_NAME:
        raise IndexFileError(f"not a {FORMAT_NAME} sidecar (format {meta.get('format')!r})", path=sidecar)
    if meta.get("format_version") != FORMAT_VERSION:
        raise IndexFileError(
            f"format version {meta.get('format_version')!r}, this code reads {FORMAT_VERSION}", path=sidecar
        )
    missing = sorted(_SIDECAR_KEYS - set(meta))
    if missing:
        raise IndexFileError(f"the sidecar lacks {missing}", path=sidecar)
    if meta["metric"] != METRIC:
        raise IndexFileError(f"metric {meta['metric']!r}, expected {METRIC!r}", path=sidecar)
    for key in ("dimension", "count", "nprobe"):
        value = meta[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise IndexFileError(f"{key} must be a non-negative integer, got {value!r}", path=sidecar)
    if not isinstance(meta["factory"], str) or not isinstance(meta["sha256"], str):
        raise IndexFileError("factory and sha256 must be strings", path=sidecar)
    if meta["nprobe"] < 1:
        raise IndexFileError("nprobe must be ≥ 1", path=sidecar)
    return meta
