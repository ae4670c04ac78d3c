"""The Fellegi–Sunter model: m and u per comparison level, the prior, term frequencies, JSON.

Notation (as in Splink). For comparison f and its level l ≥ 1 (level 0, null, gives no evidence):

- ``m[f][l-1]`` = P(level l | the two records are the same person, field f not null),
- ``u[f][l-1]`` = P(level l | different persons, field f not null),
- ``prior`` (λ) = P(same person) for a pair drawn from the pairs being scored.

So ``m[f]`` and ``u[f]`` are distributions over the non-null levels 1 … K-1 and each sums to 1;
index ``l-1`` holds level ``l``. Levels are assumed independent given match status.

The match weight of a pair is its log2 posterior odds::

    weight = log2(λ / (1 - λ)) + Σ_f w_f,    w_f = 0 if gamma_f = 0 else log2(m[f][l-1] / u[f][l-1])

and ``probability = 1 / (1 + 2^-weight)``.

Term-frequency adjustment (Splink's idea): on a tf-adjusted level, the average u of the exact
level is replaced by the frequency of the value the records share, so two "mohammed" agree far
less than two "zakaria". With ``tf = max(tf_left, tf_right)`` (equal on exact agreement; the more
frequent side on fuzzy agreement, the cautious choice) the field's weight gains::

    adjustment = clip(log2(u_exact / tf), -cap, +cap)

where ``u_exact`` is the u of the comparison's first ``exact``/``date_exact`` level and ``cap``
is ``tf_adjustment_cap`` bits. On the exact level itself this makes the weight
``log2(m_exact / tf)``, i.e. u replaced by the value's own frequency. The cap bounds how far a
single frequency estimate can move a decision: rare values are estimated from few records, and a
register-wide model must not let one rare name outweigh disagreement elsewhere. A pair with no
frequency on either side (NaN) gets no adjustment.

Term-frequency tables keep the ``max_values`` most frequent values; any other value is given the
table's ``default`` frequency, the largest frequency among the values dropped (or the smallest
kept when none was), so an unlisted value never earns more than the rarest listed one.

Saved as JSON with ``format`` and ``format_version``; reading another version is refused.
Floats are written with ``repr`` precision, so ``from_json(to_json())`` returns an equal model.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numba
import numpy as np
import numpy.typing as npt

from matcher.comparison import Comparison, check_gamma
from matcher.errors import ComparisonSpecError, GammaError, ModelError, ModelFormatError
from matcher.kernels import chunking, run_chunked

__all__ = [
    "DEFAULT_TF_CAP",
    "DEFAULT_TF_MAX_VALUES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "FellegiSunterModel",
    "TermFrequencyTable",
    "probability_to_weight",
    "weight_to_probability",
]

FORMAT_NAME: Final = "hawiya.fellegi_sunter"
FORMAT_VERSION: Final = 1
DEFAULT_TF_CAP: Final = 6.0  # bits: a factor of 64 either way
DEFAULT_TF_MAX_VALUES: Final = 10_000
_SUM_TOLERANCE: Final = 1e-6
_NONE: Final = np.array(None, dtype=object)  # compares elementwise with object arrays

TermFrequencies = Mapping[str, npt.NDArray[np.floating[Any]]]


def weight_to_probability(weights: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Match probability from a log2 posterior-odds weight: ``1 / (1 + 2^-w)``.

    Written with ``2^-|w|`` so no weight overflows; very negative weights underflow to 0.
    """
    w = np.asarray(weights, dtype=np.float64)
    small = np.exp2(-np.abs(w))
    return np.where(w >= 0, 1.0 / (1.0 + small), small / (1.0 + small))


def probability_to_weight(probabilities: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The weight whose probability is given (inverse of ``weight_to_probability``), for thresholds."""
    p = np.asarray(probabilities, dtype=np.float64)
    if np.any((p <= 0) | (p >= 1) | np.isnan(p)):
        raise ModelError("probabilities must lie strictly between 0 and 1 to have a finite weight")
    return np.log2(p) - np.log2(1.0 - p)


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class TermFrequencyTable:
    """Relative frequencies of a field's most frequent values, and one for all the others."""

    field: str
    values: tuple[str, ...]
    frequencies: tuple[float, ...]
    default: float
    _sorted_values: npt.NDArray[np.str_] = dataclasses.field(init=False, repr=False, compare=False)
    _sorted_frequencies: npt.NDArray[np.float64] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"term frequencies of {self.field!r}"
        if not isinstance(self.values, tuple) or not isinstance(self.frequencies, tuple):
            raise ModelError(f"{where}: values and frequencies must be tuples")
        if len(self.values) != len(self.frequencies) or not self.values:
            raise ModelError(f"{where}: need as many frequencies as values, and at least one of each")
        if not all(isinstance(v, str) and v for v in self.values) or len(set(self.values)) != len(self.values):
            raise ModelError(f"{where}: values must be distinct non-empty strings")
        for name, number in [*zip(self.values, self.frequencies, strict=True), ("<default>", self.default)]:
            if not _is_real(number) or not 0 < number <= 1:
                raise ModelError(f"{where}: frequency of {name!r} must lie in (0, 1], got {number!r}")
        object.__setattr__(self, "frequencies", tuple(float(f) for f in self.frequencies))
        object.__setattr__(self, "default", float(self.default))
        # Sorted copies let lookups run as one vectorised binary search instead of a dict per value.
        values = np.array(self.values, dtype=np.str_)
        order = np.argsort(values, kind="stable")
        sorted_values = values[order]
        sorted_frequencies = np.asarray(self.frequencies, dtype=np.float64)[order]
        sorted_values.flags.writeable = False
        sorted_frequencies.flags.writeable = False
        object.__setattr__(self, "_sorted_values", sorted_values)
        object.__setattr__(self, "_sorted_frequencies", sorted_frequencies)

    @classmethod
    def from_frequencies(
        cls, field: str, frequencies: Mapping[str, float], *, max_values: int = DEFAULT_TF_MAX_VALUES
    ) -> TermFrequencyTable:
        """Keep the ``max_values`` most frequent values (ties by value, for a stable file)."""
        if max_values < 1:
            raise ModelError(f"term frequencies of {field!r}: max_values must be at least 1, got {max_values}")
        ranked = sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))
        if not ranked:
            raise ModelError(f"term frequencies of {field!r}: no values")
        kept, dropped = ranked[:max_values], ranked[max_values:]
        default = dropped[0][1] if dropped else kept[-1][1]
        return cls(
            field=field,
            values=tuple(value for value, _ in kept),
            frequencies=tuple(float(freq) for _, freq in kept),
            default=float(default),
        )

    def lookup(self, values: Sequence[str | None] | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Frequency of each value; ``default`` for unlisted ones, NaN for missing (None or "")."""
        array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
        if array.ndim != 1:
            raise ModelError(f"term frequencies of {self.field!r}: values must be one-dimensional")
        if array.dtype.kind == "O":
            missing = np.equal(array, _NONE)
            strings = np.where(missing, "", array).astype(np.str_)
        else:
            strings = array.astype(np.str_)
        missing = strings == ""
        index = np.searchsorted(self._sorted_values, strings)
        index = np.minimum(index, len(self._sorted_values) - 1)
        found = self._sorted_values[index] == strings
        result = np.where(found, self._sorted_frequencies[index], self.default)
        result[missing] = np.nan
        return result

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-ready data."""
        return {
            "field": self.field,
            "default": self.default,
            "values": list(self.values),
            "frequencies": list(self.frequencies),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermFrequencyTable:
        """Read a table written by ``to_dict``."""
        try:
            return cls(
                field=data["field"],
                values=tuple(data["values"]),
                frequencies=tuple(data["frequencies"]),
                default=data["default"],
            )
        except (KeyError, TypeError) as exc:
            raise ModelFormatError(f"term-frequency table {data!r:.80}: {exc!r}") from exc


def _probabilities(name: str, comparison: Comparison, values: Iterable[Any]) -> tuple[float, ...]:
    """Check one m or u vector against its comparison and return it as plain floats."""
    try:
        probs = tuple(values)
    except TypeError as exc:
        raise ModelError(f"field {comparison.field!r}: {name} must be a sequence of probabilities") from exc
    if len(probs) != comparison.n_levels - 1:
        raise ModelError(
            f"field {comparison.field!r}: {name} needs one probability per non-null level "
            f"({comparison.n_levels - 1}), got {len(probs)}"
        )
    for level, p in enumerate(probs, start=1):
        if not _is_real(p) or not 0 < p <= 1:
            raise ModelError(f"field {comparison.field!r}: {name} of level {level} must lie in (0, 1], got {p!r}")
    floats = tuple(float(p) for p in probs)
    if abs(math.fsum(floats) - 1.0) > _SUM_TOLERANCE:
        raise ModelError(f"field {comparison.field!r}: {name} must sum to 1 over levels 1…, got {math.fsum(floats)}")
    return floats


@dataclass(frozen=True)
class FellegiSunterModel:
    """A trained model: comparisons, m and u per non-null level, prior λ, term frequencies."""

    comparisons: tuple[Comparison, ...]
    m: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    prior: float
    tf_tables: tuple[TermFrequencyTable, ...] = ()
    tf_adjustment_cap: float = DEFAULT_TF_CAP
    format_version: int = FORMAT_VERSION
    # Derived lookup tables, built once so scoring is pure array indexing.
    _weights: npt.NDArray[np.float64] = dataclasses.field(init=False, repr=False, compare=False)
    _tf_levels: npt.NDArray[np.bool_] = dataclasses.field(init=False, repr=False, compare=False)
    _log2_u_exact: npt.NDArray[np.float64] = dataclasses.field(init=False, repr=False, compare=False)
    _field_index: dict[str, int] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.format_version != FORMAT_VERSION:
            raise ModelFormatError(
                f"model format version {self.format_version!r} is not supported (this code reads {FORMAT_VERSION})",
                version=self.format_version,
            )
        if not isinstance(self.comparisons, tuple) or not all(isinstance(c, Comparison) for c in self.comparisons):
            raise ModelError("comparisons must be a tuple of Comparison")
        if not self.comparisons:
            raise ModelError("a model needs at least one comparison")
        names = [c.field for c in self.comparisons]
        if len(set(names)) != len(names):
            raise ModelError(f"comparison fields must be unique, got {names}")
        for name, table in (("m", self.m), ("u", self.u)):
            if not isinstance(table, Sequence) or len(table) != len(self.comparisons):
                raise ModelError(f"{name} needs one probability vector per comparison ({len(self.comparisons)})")
        object.__setattr__(
            self, "m", tuple(_probabilities("m", c, v) for c, v in zip(self.comparisons, self.m, strict=True))
        )
        object.__setattr__(
            self, "u", tuple(_probabilities("u", c, v) for c, v in zip(self.comparisons, self.u, strict=True))
        )
        if not _is_real(self.prior) or not 0 < self.prior < 1:
            raise ModelError(f"prior (λ) must lie strictly between 0 and 1, got {self.prior!r}")
        object.__setattr__(self, "prior", float(self.prior))
        if not _is_real(self.tf_adjustment_cap) or not 0 < self.tf_adjustment_cap < math.inf:
            raise ModelError(f"tf_adjustment_cap must be a positive number of bits, got {self.tf_adjustment_cap!r}")
        object.__setattr__(self, "tf_adjustment_cap", float(self.tf_adjustment_cap))
        self._check_tf_tables(names)
        self._build_tables(names)

    def _check_tf_tables(self, names: list[str]) -> None:
        if not isinstance(self.tf_tables, tuple) or not all(isinstance(t, TermFrequencyTable) for t in self.tf_tables):
            raise ModelError("tf_tables must be a tuple of TermFrequencyTable")
        seen: set[str] = set()
        for table in self.tf_tables:
            if table.field not in names:
                raise ModelError(f"term frequencies given for {table.field!r}, which is not a compared field")
            if not self.comparisons[names.index(table.field)].tf_adjusted:
                raise ModelError(f"term frequencies given for {table.field!r}, which has no tf-adjusted level")
            if table.field in seen:
                raise ModelError(f"two term-frequency tables for {table.field!r}")
            seen.add(table.field)

    def _build_tables(self, names: list[str]) -> None:
        width = max(c.n_levels for c in self.comparisons)
        # Level 0 (null) keeps weight 0; columns past a comparison's last level are never indexed
        # because check_gamma refuses such levels.
        weights = np.zeros((len(self.comparisons), width), dtype=np.float64)
        tf_levels = np.zeros((len(self.comparisons), width), dtype=np.bool_)
        log2_u_exact = np.full(len(self.comparisons), np.nan, dtype=np.float64)
        for f, comparison in enumerate(self.comparisons):
            m = np.asarray(self.m[f])
            u = np.asarray(self.u[f])
            weights[f, 1 : comparison.n_levels] = np.log2(m) - np.log2(u)
            tf_levels[f, : comparison.n_levels] = [level.tf_adjusted for level in comparison.levels]
            exact = comparison.exact_level
            if comparison.tf_adjusted and exact is not None:
                log2_u_exact[f] = np.log2(u[exact - 1])
        # Read-only, so a shared model cannot be altered through its derived tables.
        for array in (weights, tf_levels, log2_u_exact):
            array.flags.writeable = False
        object.__setattr__(self, "_weights", weights)
        object.__setattr__(self, "_tf_levels", tf_levels)
        object.__setattr__(self, "_log2_u_exact", log2_u_exact)
        object.__setattr__(self, "_field_index", {name: i for i, name in enumerate(names)})

    # -- reading the model -------------------------------------------------------------------

    @property
    def fields(self) -> tuple[str, ...]:
        """The compared fields, in gamma column order."""
        return tuple(c.field for c in self.comparisons)

    @property
    def prior_weight(self) -> float:
        """log2(λ / (1 - λ)): the weight of a pair with no evidence at all."""
        return math.log2(self.prior) - math.log2(1.0 - self.prior)

    def level_weights(self, field: str) -> npt.NDArray[np.float64]:
        """log2(m/u) of each level of a field, level 0 (null) included as 0."""
        f = self._index(field)
        return self._weights[f, : self.comparisons[f].n_levels].copy()

    def tf_table(self, field: str) -> TermFrequencyTable | None:
        """The term-frequency table of a field, if the model has one."""
        return next((t for t in self.tf_tables if t.field == field), None)

    def term_frequencies(self, field: str, values: Sequence[str | None] | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        """Look values up in a field's table (NaN when the model has no table for it)."""
        self._index(field)
        table = self.tf_table(field)
        if table is None:
            return np.full(len(values), np.nan, dtype=np.float64)
        return table.lookup(values)

    def _index(self, field: str) -> int:
        try:
            return self._field_index[field]
        except KeyError:
            raise ModelError(f"field {field!r} is not compared by this model (fields: {list(self.fields)})") from None

    # -- scoring -----------------------------------------------------------------------------

    def per_field_weights(
        self,
        gamma: npt.NDArray[np.integer[Any]],
        tf_left: TermFrequencies | None = None,
        tf_right: TermFrequencies | None = None,
    ) -> npt.NDArray[np.float32]:
        """Each field's weight per pair (pairs × fields), TF adjustment included: for explanations."""
        return self._field_weights(gamma, tf_left, tf_right).astype(np.float32)

    def match_weights(
        self,
        gamma: npt.NDArray[np.integer[Any]],
        tf_left: TermFrequencies | None = None,
        tf_right: TermFrequencies | None = None,
    ) -> npt.NDArray[np.float32]:
        """Total weight per pair: prior weight plus every field's, in log2 posterior odds.

        ``tf_left``/``tf_right`` map a tf-adjusted field to the term frequency of each pair's
        left/right value (``term_frequencies`` gives them; NaN where unknown).
        """
        return self.with_prior(self.evidence(gamma, tf_left, tf_right))

    def evidence(
        self,
        gamma: npt.NDArray[np.integer[Any]],
        tf_left: TermFrequencies | None = None,
        tf_right: TermFrequencies | None = None,
    ) -> npt.NDArray[np.float64]:
        """The fields' total weight per pair, without the prior: what ``match_weights`` adds the
        prior weight to. It does not depend on λ, so one evaluation serves every prior.

        One parallel pass over the pairs (`_evidence_kernel`): the per-field weight matrix that
        `match_weights` explains with is never built, which on millions of pairs was most of
        the time.
        """
        if (
            not isinstance(gamma, np.ndarray)
            or gamma.ndim != 2
            or not np.issubdtype(gamma.dtype, np.integer)
            or gamma.shape[1] != len(self.comparisons)
        ):
            check_gamma(gamma, self.comparisons)  # raises, naming what is wrong (levels: see below)
        n_pairs = gamma.shape[0]
        tf_left, tf_right = tf_left or {}, tf_right or {}
        names = sorted(set(tf_left) | set(tf_right))
        tf_of_field = np.full(len(self.comparisons), -1, dtype=np.int64)
        tf_sides = np.empty((len(names), 2, n_pairs), dtype=np.float64)
        for t, name in enumerate(names):
            f = self._index(name)
            if not self.comparisons[f].tf_adjusted:
                raise GammaError("term frequencies given for a field with no tf-adjusted level", field=name)
            tf_of_field[f] = t
            tf_sides[t, 0] = self._tf_column(tf_left, name, n_pairs)
            tf_sides[t, 1] = self._tf_column(tf_right, name, n_pairs)
        n_levels = np.array([c.n_levels for c in self.comparisons], dtype=np.int64)
        out = _evidence_kernel(
            np.ascontiguousarray(gamma),
            n_levels,
            self._weights,
            self._tf_levels,
            self._log2_u_exact,
            tf_of_field,
            tf_sides,
            self.tf_adjustment_cap,
        )
        if n_pairs and np.isnan(out).any():
            check_gamma(gamma, self.comparisons)  # a level out of range: raises, naming the field
        return out

    def with_prior(self, evidence: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        """Match weights from `evidence`: the prior weight added, as ``match_weights`` returns them."""
        return (self.prior_weight + evidence).astype(np.float32)

    def probabilities(self, weights: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Match probability of each weight (the prior is already inside the weight)."""
        return weight_to_probability(weights)

    def _field_weights(
        self,
        gamma: npt.NDArray[np.integer[Any]],
        tf_left: TermFrequencies | None,
        tf_right: TermFrequencies | None,
    ) -> npt.NDArray[np.float64]:
        check_gamma(gamma, self.comparisons)
        # Fancy indexing row f with column gamma[:, f]: one gather for all pairs and fields.
        weights = self._weights[np.arange(len(self.comparisons)), gamma]
        if tf_left or tf_right:
            self._add_tf_adjustments(weights, gamma, tf_left or {}, tf_right or {})
        return weights

    def _add_tf_adjustments(
        self,
        weights: npt.NDArray[np.float64],
        gamma: npt.NDArray[np.integer[Any]],
        tf_left: TermFrequencies,
        tf_right: TermFrequencies,
    ) -> None:
        n_pairs = gamma.shape[0]
        for name in sorted(set(tf_left) | set(tf_right)):
            f = self._index(name)
            if not self.comparisons[f].tf_adjusted:
                raise GammaError("term frequencies given for a field with no tf-adjusted level", field=name)
            left = self._tf_column(tf_left, name, n_pairs)
            right = self._tf_column(tf_right, name, n_pairs)
            # fmax ignores a NaN side; the result is NaN only when both sides are unknown.
            tf = np.fmax(left, right)
            adjust = self._tf_levels[f, gamma[:, f]] & ~np.isnan(tf)
            if not adjust.any():
                continue
            bits = self._log2_u_exact[f] - np.log2(tf[adjust])
            cap = self.tf_adjustment_cap
            weights[adjust, f] += np.clip(bits, -cap, cap)

    @staticmethod
    def _tf_column(tfs: TermFrequencies, name: str, n_pairs: int) -> npt.NDArray[np.float64]:
        if name not in tfs:
            return np.full(n_pairs, np.nan, dtype=np.float64)
        column = np.asarray(tfs[name], dtype=np.float64)
        if column.shape != (n_pairs,):
            raise GammaError(f"term frequencies must have shape ({n_pairs},), got {column.shape}", field=name)
        known = column[~np.isnan(column)]
        if np.any((known <= 0) | (known > 1)):
            raise GammaError("term frequencies must lie in (0, 1] or be NaN", field=name)
        return column

    # -- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data: each level carries its m and u, as Splink's files do."""
        comparisons = []
        for comparison, m, u in zip(self.comparisons, self.m, self.u, strict=True):
            spec = comparison.to_dict()
            for level, entry in enumerate(spec["levels"][1:], start=1):
                entry["m_probability"] = m[level - 1]
                entry["u_probability"] = u[level - 1]
            comparisons.append(spec)
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "prior": self.prior,
            "tf_adjustment_cap": self.tf_adjustment_cap,
            "comparisons": comparisons,
            "term_frequencies": [table.to_dict() for table in self.tf_tables],
        }

    def to_json(self, *, indent: int | None = 1) -> str:
        """The model as a JSON document (UTF-8 text; Arabic values are kept readable)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any) -> FellegiSunterModel:
        """Read a model written by ``to_dict``; refuses other formats and versions."""
        if not isinstance(data, Mapping):
            raise ModelFormatError(f"a saved model must be a JSON object, got {type(data).__name__}")
        if data.get("format") != FORMAT_NAME:
            raise ModelFormatError(f"not a saved {FORMAT_NAME} model (format {data.get('format')!r})")
        version = data.get("format_version")
        if isinstance(version, bool) or version != FORMAT_VERSION:
            raise ModelFormatError(
                f"model format version {version!r} is not supported (this code reads {FORMAT_VERSION})",
                version=version,
            )
        try:
            comparisons, m, u = [], [], []
            for raw in data["comparisons"]:
                spec = dict(raw)
                levels = [dict(level) for level in spec["levels"]]
                probabilities = [(lv.pop("m_probability", None), lv.pop("u_probability", None)) for lv in levels]
                spec["levels"] = levels
                comparison = Comparison.from_dict(spec)
                if probabilities[0] != (None, None):
                    raise ModelFormatError(f"field {comparison.field!r}: the null level carries no m or u")
                comparisons.append(comparison)
                m.append(tuple(pm for pm, _ in probabilities[1:]))
                u.append(tuple(pu for _, pu in probabilities[1:]))
            tables = tuple(TermFrequencyTable.from_dict(t) for t in data.get("term_frequencies", []))
            return cls(
                comparisons=tuple(comparisons),
                m=tuple(m),
                u=tuple(u),
                prior=data["prior"],
                tf_tables=tables,
                tf_adjustment_cap=data.get("tf_adjustment_cap", DEFAULT_TF_CAP),
                format_version=version,
            )
        except (ComparisonSpecError, ModelError):
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFormatError(f"saved model is malformed: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> FellegiSunterModel:
        """Read a model written by ``to_json``."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelFormatError(f"saved model is not valid JSON: {exc}") from exc
        return cls.from_dict(data)


def _evidence_kernel(gamma, n_levels, weights, tf_levels, log2_u_exact, tf_of_field, tf_sides, cap):
    """`FellegiSunterModel.evidence` pair by pair: each field's weight at its level, plus the
    term-frequency adjustment where the level takes one and a side's frequency is known (the
    larger of the two). NaN marks a pair with a level out of range, for the caller to report."""
    out = np.empty(gamma.shape[0], dtype=np.float64)
    args = (gamma, n_levels, weights, tf_levels, log2_u_exact, tf_of_field, tf_sides, cap, out)
    run_chunked(_evidence_range, _evidence_parallel, gamma.shape[0], *args)
    return out


@numba.njit(parallel=True, nogil=True, cache=True)
def _evidence_parallel(gamma, n_levels, weights, tf_levels, log2_u_exact, tf_of_field, tf_sides, cap, out, n_threads):
    n = gamma.shape[0]
    chunks, size = chunking(n, n_threads)
    for c in numba.prange(chunks):
        _evidence_range(
            gamma, n_levels, weights, tf_levels, log2_u_exact, tf_of_field, tf_sides, cap, out,
            c * size, min(n, (c + 1) * size),
        )  # fmt: skip


@numba.njit(nogil=True, cache=True)
def _evidence_range(gamma, n_levels, weights, tf_levels, log2_u_exact, tf_of_field, tf_sides, cap, out, start, stop):
    for p in range(start, stop):
        total = 0.0
        for f in range(gamma.shape[1]):
            level = gamma[p, f]
            if level < 0 or level >= n_levels[f]:
                total = np.nan
                break
            weight = weights[f, level]
            t = tf_of_field[f]
            if t >= 0 and tf_levels[f, level]:
                left = tf_sides[t, 0, p]
                right = tf_sides[t, 1, p]
                tf = left if np.isnan(right) or left > right else right
                if not np.isnan(tf):
                    bits = log2_u_exact[f] - np.log2(tf)
                    weight += bits if np.isnan(bits) else min(max(bits, -cap), cap)
            total += weight
        out[p] = total
