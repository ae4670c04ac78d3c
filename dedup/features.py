"""Comparison vectors of record pairs for a `DedupConfig`: the level of each field for each pair.

Register names (kind ``name``) are prepared twice: Latin first (Arabic transliterated when the
Latin is missing) and Arabic first (the Latin when the Arabic is missing); a pair gets the
stronger of the two levels. When both first and last names are of kind ``name``, they are also
compared crosswise (one record's first name with the other's last name), and the crosswise
levels are used when both are agreements and together stronger: a register that swapped the two
fields still holds the same person. Every other field is one prepared column
(`matcher.scoring`), compared by the Numba kernels of `matcher.kernels`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from dedup.config import DedupConfig, FieldSpec
from matcher.comparison import Comparison
from matcher.model import FellegiSunterModel
from matcher.normalise import normalise_name
from matcher.phonetic import latin_form, phonetic_key
from matcher.scoring import DateColumn, RecordTable, StringColumn, compute_gamma

__all__ = ["RecordFeatures", "name_values", "string_column"]

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]
GammaArray = npt.NDArray[np.int8]
SCRIPTS = ("latin", "arabic")


def string_column(
    values: Sequence[str] | ObjArray,
    normalise: Callable[[str], str] = normalise_name,
    phonetic: Callable[[str], str] | None = None,
) -> StringColumn:
    """A prepared column: values normalised by ``normalise``, phonetic keys computed from the
    *raw* spelling (`StringColumn.build` hands ``phonetic`` the raw value: our key reads
    apostrophes, M'bark, which normalisation turns into spaces)."""
    return StringColumn.build(np.asarray(values, dtype=object), normalise=normalise, phonetic=phonetic)


_CODE_KINDS = frozenset({"exact", "code", "number"})


def _plain(value: str) -> str:
    """Codes and identifiers (CIN, phone, postcode): spaces collapsed, case folded; nothing else
    (name normalisation costs microseconds a value, and a register has a million CINs)."""
    return " ".join(value.split()).casefold()


def _latin_text(name: str) -> str:
    # In the Latin-first column, Arabic-only names are compared through their transliteration,
    # so the string similarity levels also work across scripts.
    return normalise_name(latin_form(name))


def name_values(records: pd.DataFrame, field: str, script: str) -> ObjArray:
    """A name in ``script``, or in the other script when it is missing there; a plain ``field``
    column counts as Latin."""
    n = len(records)

    def column(name: str) -> ObjArray:
        if name in records.columns:
            return records[name].to_numpy(dtype=object)
        return np.full(n, "", dtype=object)

    latin = column(f"{field}_latin")
    if field in records.columns:
        plain = column(field)
        latin = np.where(latin != "", latin, plain)
    arabic = column(f"{field}_arabic")
    first, second = (latin, arabic) if script == "latin" else (arabic, latin)
    return np.where(first != "", first, second)


def _best(a: GammaArray, b: GammaArray) -> GammaArray:
    """The stronger of two levels of one comparison (lower is stronger; 0, null, only if both are)."""
    return np.where(a == 0, b, np.where(b == 0, a, np.minimum(a, b))).astype(np.int8)


class RecordFeatures:
    """The prepared fields of a set of records, and the comparison vectors of pairs of them."""

    def __init__(self, records: pd.DataFrame, config: DedupConfig) -> None:
        self.n = len(records)
        self.config = config
        self.comparisons: tuple[Comparison, ...] = config.comparisons
        by_name = {spec.name: spec for spec in config.fields}
        names = [s.name for s in config.fields if s.kind == "name"]
        self.swapped = "first_name" in names and "last_name" in names
        self._swap_fields = ("first_name", "last_name") if self.swapped else ()
        self._name_fields = tuple(n for n in names if n not in self._swap_fields)
        self._swap_comparisons = tuple(c for c in self.comparisons if c.field in self._swap_fields)
        self._name_comparisons = tuple(c for c in self.comparisons if c.field in self._name_fields)
        self._other_comparisons = tuple(c for c in self.comparisons if by_name[c.field].kind != "name")
        self.swap_tables: dict[str, RecordTable] = {}
        self.name_tables: dict[str, RecordTable] = {}
        for script in SCRIPTS:
            normalise = _latin_text if script == "latin" else normalise_name
            values = {f: name_values(records, f, script) for f in names}
            if self.swapped:
                first, last = values["first_name"], values["last_name"]
                # Rows n… hold each record's *other* name, so pairing (i, j + n) compares crosswise.
                self.swap_tables[script] = RecordTable(
                    {
                        "first_name": string_column(np.concatenate([first, last]), normalise, phonetic_key),
                        "last_name": string_column(np.concatenate([last, first]), normalise, phonetic_key),
                    }
                )
            if self._name_fields:
                self.name_tables[script] = RecordTable(
                    {f: string_column(values[f], normalise, phonetic_key) for f in self._name_fields}
                )
        self.table = RecordTable({s.name: self._column(records, s) for s in config.fields if s.kind != "name"})
        self.tf_fields = tuple(s.name for s in config.fields if s.tf)
        self._tf_cache: dict[tuple[int, str], tuple[FellegiSunterModel, npt.NDArray[np.float64]]] = {}

    @staticmethod
    def _column(records: pd.DataFrame, spec: FieldSpec) -> StringColumn | DateColumn:
        if spec.kind == "date":
            return DateColumn.build(
                records["birth_year"].to_numpy(),
                records["birth_month"].to_numpy(),
                records["birth_day"].to_numpy(),
                records["birth_precision"].tolist(),
            )
        if spec.kind in _CODE_KINDS:
            return string_column(records[spec.name].to_numpy(dtype=object), _plain)
        return string_column(records[spec.name].to_numpy(dtype=object))

    def _best_of_scripts(
        self, comparisons: tuple[Comparison, ...], tables: dict[str, RecordTable], left: IntArray, right: IntArray
    ) -> GammaArray:
        """The stronger level of the two scripts, field by field. Level 1 (exact) cannot be
        beaten, so the Arabic-first table is compared only on the pairs where some field is not
        exact in the Latin-first one."""
        best = compute_gamma(comparisons, tables["latin"], left, right)
        todo = np.flatnonzero((best != 1).any(axis=1))
        if todo.size:
            arabic = compute_gamma(comparisons, tables["arabic"], left[todo], right[todo])
            best[todo] = _best(best[todo], arabic)
        return best

    def _first_last(self, left: IntArray, right: IntArray) -> tuple[GammaArray, npt.NDArray[np.bool_]]:
        """First- and last-name levels, and whether the crosswise comparison was used.

        Crosswise levels replace straight ones when both are agreements and together stronger;
        two exact names (1 + 1) cannot be beaten, so those pairs are not compared crosswise.
        """
        straight = self._best_of_scripts(self._swap_comparisons, self.swap_tables, left, right)
        crossed = np.zeros(len(left), dtype=bool)
        todo = np.flatnonzero((straight != 1).any(axis=1))
        if todo.size == 0:
            return straight, crossed
        crosswise = self._best_of_scripts(self._swap_comparisons, self.swap_tables, left[todo], right[todo] + self.n)
        last_level = np.array([c.n_levels - 1 for c in self._swap_comparisons], dtype=np.int8)
        agree = np.all((crosswise > 0) & (crosswise < last_level), axis=1)
        straight_total = np.where(straight[todo] == 0, last_level, straight[todo]).sum(axis=1)
        use = agree & (crosswise.sum(axis=1) < straight_total)
        straight[todo[use]] = crosswise[use]
        crossed[todo[use]] = True
        return straight, crossed

    def gamma(self, left: IntArray, right: IntArray) -> GammaArray:
        """The level of every field (columns in the config's order) for pairs ``(left[k], right[k])``."""
        return self.gamma_crossed(left, right)[0]

    def gamma_crossed(self, left: IntArray, right: IntArray) -> tuple[GammaArray, npt.NDArray[np.bool_]]:
        """`gamma`, and for each pair whether its first and last names were compared crosswise."""
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        parts: dict[str, npt.NDArray[np.int8]] = {}
        crossed = np.zeros(len(left), dtype=bool)
        if self.swapped:
            first_last, crossed = self._first_last(left, right)
            parts.update({c.field: first_last[:, i] for i, c in enumerate(self._swap_comparisons)})
        if self._name_fields:
            names = self._best_of_scripts(self._name_comparisons, self.name_tables, left, right)
            parts.update({c.field: names[:, i] for i, c in enumerate(self._name_comparisons)})
        if self._other_comparisons:
            other = compute_gamma(self._other_comparisons, self.table, left, right)
            parts.update({c.field: other[:, i] for i, c in enumerate(self._other_comparisons)})
        if len(left) == 0:
            return np.zeros((0, len(self.comparisons)), dtype=np.int8), crossed
        return np.column_stack([parts[c.field] for c in self.comparisons]).astype(np.int8), crossed

    def _tf_column(self, field: str) -> StringColumn:
        if field in self._swap_fields:
            table = self.swap_tables["latin"]
        elif field in self._name_fields:
            table = self.name_tables["latin"]
        else:
            table = self.table
        column = table.columns[field]
        if not isinstance(column, StringColumn):
            raise TypeError(f"{field} is not a text column")
        return column

    def tf_record_values(self, field: str) -> ObjArray:
        """The value of ``field`` of every record, as its comparison sees it (for frequency tables)."""
        return self._tf_column(field).values[: self.n]

    def term_frequencies(
        self, model: FellegiSunterModel, field: str, left: IntArray, right: IntArray, crossed: npt.NDArray[np.bool_]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The frequencies (in ``model``'s tables) of the two values a pair compares on ``field``:
        the right record's other name when the pair was ``crossed``. Looked up once per distinct
        value and kept for the next chunk of pairs."""
        key = (id(model), field)
        cached = self._tf_cache.get(key)
        if cached is None or cached[0] is not model:
            codes, uniques = pd.factorize(self._tf_column(field).values)
            cached = (model, model.term_frequencies(field, uniques.astype(object))[codes])
            self._tf_cache[key] = cached
        frequencies = cached[1]
        if field in self._swap_fields:
            return frequencies[left], frequencies[np.where(crossed, right + self.n, right)]
        return frequencies[left], frequencies[right]
