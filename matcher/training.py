"""Training a Fellegi–Sunter model without labels: u from random pairs, m and λ by EM, term frequencies.

The recipe is Splink's:

1. **u from random pairs.** Two records drawn at random are almost never the same person (about
   one pair in the register's size), so the level frequencies among random pairs estimate u.
   A level never seen gets a floor (half a pair by default), so no weight is infinite.
2. **m and λ by expectation–maximisation over blocked pairs**, with u held fixed (the random-pair
   estimate is better than anything EM could make of it). E step: each pair's match probability
   given the current m and λ; M step: m = level frequencies weighted by those probabilities,
   λ = their mean. Null levels carry no evidence and are left out of both steps.
   Pairs are first reduced to their distinct gamma patterns with counts: a few thousand patterns
   stand for millions of pairs, so each iteration costs microseconds and the one pass that
   counts patterns dominates.
3. **Term frequencies** of values, to adjust exact agreement on frequent names downward (see
   ``matcher.model`` for the formula).

A field used by the blocking rule agrees in every blocked pair, so EM cannot learn its m from
those pairs: list it in ``exclude_fields`` and give its m in ``initial_m`` (Splink trains in
rounds, one per blocking rule, for the same reason). λ from EM is the match rate among the
blocked pairs, the population the model will score.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.comparison import Comparison, check_gamma
from matcher.errors import TrainingError
from matcher.model import DEFAULT_TF_CAP, DEFAULT_TF_MAX_VALUES, FellegiSunterModel, TermFrequencyTable

__all__ = ["EMResult", "estimate_m_em", "estimate_u", "term_frequencies", "train"]

Probabilities = Sequence[npt.NDArray[np.float64]] | Sequence[Sequence[float]]

DEFAULT_PRIOR_INIT: Final = 0.1
DEFAULT_MAX_ITER: Final = 200
DEFAULT_TOL: Final = 1e-6
DEFAULT_M_FLOOR: Final = 1e-6
# λ is kept off 0 and 1 so its log odds stay finite even when EM drifts to an extreme.
_PRIOR_BOUND: Final = 1e-12
# Below this many possible patterns, counting is one bincount; above, a sort (np.unique).
_BINCOUNT_LIMIT: Final = 1 << 22
_NONE: Final = np.array(None, dtype=object)  # compares elementwise with object arrays


@dataclass(frozen=True, eq=False)
class EMResult:
    """What EM found: m (and u, returned as given when fixed) per comparison, λ, and how it went.

    ``m[f]`` and ``u[f]`` are distributions over levels 1 … K-1 of comparison f (index l-1 is
    level l), as in ``FellegiSunterModel``. ``log_likelihood`` is that of the final parameters.
    """

    m: tuple[npt.NDArray[np.float64], ...]
    u: tuple[npt.NDArray[np.float64], ...]
    prior: float
    n_iter: int
    converged: bool
    log_likelihood: float


def term_frequencies(values: Sequence[str | None] | npt.NDArray[Any]) -> dict[str, float]:
    """Relative frequency of each distinct non-missing value (None and "" are missing).

    Give it the values of the records (one per record, not per pair), normalised as the
    comparison sees them.
    """
    array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if array.ndim != 1:
        raise TrainingError("term frequencies need a one-dimensional array of values")
    if array.dtype.kind == "O":
        array = np.where(np.equal(array, _NONE), "", array)
        if pd.api.types.infer_dtype(array, skipna=False) != "string":
            array = array.astype(np.str_).astype(object)
    else:
        array = array.astype(np.str_).astype(object)
    # Counted by hashing (the strings' hashes are cached): sorting a million strings took seconds.
    counts = pd.Series(array, dtype=object).value_counts(sort=False)
    counts = counts[counts.index != ""]
    total = float(counts.sum())
    if total == 0:
        return {}
    # In value order, as before: tables are cut to their most frequent values, ties by order.
    return {str(value): float(count) / total for value, count in sorted(counts.items())}


def estimate_u(
    gamma_random: npt.NDArray[np.integer[Any]],
    comparisons: Sequence[Comparison],
    *,
    floor: float | None = None,
) -> tuple[npt.NDArray[np.float64], ...]:
    """u per comparison from the gamma of random pairs: level frequencies among non-null pairs.

    A level below ``floor`` is raised to it and the vector renormalised; with ``floor=None``
    the floor is half a pair (0.5 / non-null pairs of that field), no better than the sample.
    """
    check_gamma(gamma_random, comparisons)
    if floor is not None and not 0 < floor < 1:
        raise TrainingError(f"floor must lie strictly between 0 and 1, got {floor!r}")
    u = []
    for f, comparison in enumerate(comparisons):
        counts = np.bincount(gamma_random[:, f], minlength=comparison.n_levels)[1:].astype(np.float64)
        total = counts.sum()
        if total == 0:
            raise TrainingError(f"field {comparison.field!r} is null in every random pair: u cannot be estimated")
        u.append(_floored(counts / total, floor if floor is not None else 0.5 / total))
    return tuple(u)


def estimate_m_em(
    gamma_blocked: npt.NDArray[np.integer[Any]],
    comparisons: Sequence[Comparison],
    u: Probabilities,
    *,
    initial_m: Probabilities | None = None,
    prior_init: float = DEFAULT_PRIOR_INIT,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    fix_u: bool = True,
    exclude_fields: Collection[str] = (),
    m_floor: float = DEFAULT_M_FLOOR,
) -> EMResult:
    """m and λ (and u when ``fix_u`` is false) by EM over the gamma of blocked pairs; no labels.

    Stops when no m, u or λ moves by more than ``tol`` in an iteration, or after ``max_iter``
    iterations (then ``converged`` is false). Fields in ``exclude_fields`` give no evidence and
    keep their initial m. ``initial_m`` defaults to geometric decay over levels (level 1 the
    most likely among matches).
    """
    check_gamma(gamma_blocked, comparisons)
    if gamma_blocked.shape[0] == 0:
        raise TrainingError("EM needs at least one blocked pair")
    if not 0 < prior_init < 1:
        raise TrainingError(f"prior_init must lie strictly between 0 and 1, got {prior_init!r}")
    if max_iter < 1 or not tol > 0 or not 0 < m_floor < 1:
        raise TrainingError("max_iter must be ≥ 1, tol > 0 and m_floor in (0, 1)")
    fields = [c.field for c in comparisons]
    unknown = set(exclude_fields) - set(fields)
    if unknown:
        raise TrainingError(f"exclude_fields names fields that are not compared: {sorted(unknown)}")
    active = np.array([c.field not in exclude_fields for c in comparisons])
    n_levels = [c.n_levels for c in comparisons]

    u_now = _checked_vectors("u", u, comparisons)
    m_now = (
        _checked_vectors("initial_m", initial_m, comparisons)
        if initial_m is not None
        else [_default_m(k) for k in n_levels]
    )
    patterns, counts = _aggregate(gamma_blocked, n_levels)
    for f in np.flatnonzero(active):
        if not np.any(patterns[:, f] > 0):
            raise TrainingError(f"field {fields[f]!r} is null in every blocked pair: exclude it or supply its data")

    prior = float(prior_init)
    n_total = counts.sum()
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is read after the loop)
        log_m, log_u = _pattern_log_likelihoods(patterns, m_now, u_now, active)
        posterior = _expit(math.log(prior) - math.log1p(-prior) + log_m - log_u)
        matched = counts * posterior
        new_prior = float(np.clip(matched.sum() / n_total, _PRIOR_BOUND, 1 - _PRIOR_BOUND))
        new_m = _m_step(patterns, matched, m_now, n_levels, active, m_floor)
        new_u = u_now if fix_u else _m_step(patterns, counts - matched, u_now, n_levels, active, m_floor)
        change = max(
            abs(new_prior - prior),
            max(float(np.max(np.abs(a - b))) for a, b in zip(new_m, m_now, strict=True)),
            max(float(np.max(np.abs(a - b))) for a, b in zip(new_u, u_now, strict=True)),
        )
        prior, m_now, u_now = new_prior, new_m, new_u
        if change < tol:
            converged = True
            break

    log_m, log_u = _pattern_log_likelihoods(patterns, m_now, u_now, active)
    log_likelihood = float(np.sum(counts * np.logaddexp(math.log(prior) + log_m, math.log1p(-prior) + log_u)))
    return EMResult(
        m=tuple(m_now),
        u=tuple(u_now),
        prior=prior,
        n_iter=n_iter,
        converged=converged,
        log_likelihood=log_likelihood,
    )


def train(
    gamma_random: npt.NDArray[np.integer[Any]],
    gamma_blocked: npt.NDArray[np.integer[Any]],
    comparisons: Sequence[Comparison],
    tf_tables: Mapping[str, Mapping[str, float]] | None = None,
    *,
    initial_m: Probabilities | None = None,
    prior_init: float = DEFAULT_PRIOR_INIT,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    u_floor: float | None = None,
    m_floor: float = DEFAULT_M_FLOOR,
    exclude_fields: Collection[str] = (),
    tf_max_values: int = DEFAULT_TF_MAX_VALUES,
    tf_adjustment_cap: float = DEFAULT_TF_CAP,
    require_convergence: bool = True,
) -> FellegiSunterModel:
    """u from random pairs, then m and λ by EM over blocked pairs, into a model.

    ``tf_tables`` maps tf-adjusted fields to ``term_frequencies`` of their values; each is cut
    to its ``tf_max_values`` most frequent values. Raises ``TrainingError`` if EM has not
    converged within ``max_iter`` and ``require_convergence`` is set.
    """
    comparisons = tuple(comparisons)
    u = estimate_u(gamma_random, comparisons, floor=u_floor)
    result = estimate_m_em(
        gamma_blocked,
        comparisons,
        u,
        initial_m=initial_m,
        prior_init=prior_init,
        max_iter=max_iter,
        tol=tol,
        exclude_fields=exclude_fields,
        m_floor=m_floor,
    )
    if require_convergence and not result.converged:
        raise TrainingError(f"EM did not converge in {max_iter} iterations (tol {tol})")
    tables = tuple(
        TermFrequencyTable.from_frequencies(name, freqs, max_values=tf_max_values)
        for name, freqs in (tf_tables or {}).items()
    )
    return FellegiSunterModel(
        comparisons=comparisons,
        m=tuple(_as_floats(v) for v in result.m),
        u=tuple(_as_floats(v) for v in result.u),
        prior=result.prior,
        tf_tables=tables,
        tf_adjustment_cap=tf_adjustment_cap,
    )


# -- internals -----------------------------------------------------------------------------------


def _as_floats(vector: npt.NDArray[np.float64]) -> tuple[float, ...]:
    # The model holds plain floats; fsum-renormalise so the saved vector sums to 1 within rounding.
    total = math.fsum(vector.tolist())
    return tuple(float(p) / total for p in vector.tolist())


def _floored(probabilities: npt.NDArray[np.float64], floor: float) -> npt.NDArray[np.float64]:
    raised = np.maximum(probabilities, floor)
    return raised / raised.sum()


def _default_m(n_levels: int) -> npt.NDArray[np.float64]:
    # Each agreement level a quarter as likely among matches as the one before it.
    decay = 0.25 ** np.arange(n_levels - 1, dtype=np.float64)
    return decay / decay.sum()


def _checked_vectors(
    name: str, vectors: Probabilities, comparisons: Sequence[Comparison]
) -> list[npt.NDArray[np.float64]]:
    if len(vectors) != len(comparisons):
        raise TrainingError(f"{name} needs one vector per comparison ({len(comparisons)}), got {len(vectors)}")
    checked = []
    for vector, comparison in zip(vectors, comparisons, strict=True):
        array = np.asarray(vector, dtype=np.float64)
        if array.shape != (comparison.n_levels - 1,):
            raise TrainingError(
                f"field {comparison.field!r}: {name} needs {comparison.n_levels - 1} probabilities "
                f"(levels 1…{comparison.n_levels - 1}), got shape {array.shape}"
            )
        if not np.all((array > 0) & (array <= 1)) or abs(array.sum() - 1.0) > 1e-6:
            raise TrainingError(f"field {comparison.field!r}: {name} must be in (0, 1] and sum to 1")
        checked.append(array)
    return checked


def _aggregate(
    gamma: npt.NDArray[np.integer[Any]], n_levels: Sequence[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Distinct gamma rows and how many pairs share each.

    Rows are packed into one integer in mixed radix (the levels of each field), which counts far
    faster than ``np.unique(axis=0)``'s row sort; that is kept for the rare case that overflows.
    """
    n_codes = math.prod(n_levels)
    if n_codes >= 2**62:
        rows, row_counts = np.unique(gamma, axis=0, return_counts=True)
        return rows.astype(np.int64), row_counts.astype(np.float64)
    codes = np.zeros(gamma.shape[0], dtype=np.int64)
    for f, k in enumerate(n_levels):
        codes *= k
        codes += gamma[:, f]
    if n_codes <= _BINCOUNT_LIMIT:
        all_counts = np.bincount(codes, minlength=n_codes)
        distinct = np.flatnonzero(all_counts)
        counts = all_counts[distinct]
    else:
        distinct, counts = np.unique(codes, return_counts=True)
    patterns = np.empty((distinct.size, len(n_levels)), dtype=np.int64)
    rest = distinct.astype(np.int64)
    for f in range(len(n_levels) - 1, -1, -1):
        patterns[:, f] = rest % n_levels[f]
        rest //= n_levels[f]
    return patterns, counts.astype(np.float64)


def _log_table(vectors: Sequence[npt.NDArray[np.float64]], active: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    # Column 0 (null) and excluded fields stay 0: they add nothing to either likelihood.
    width = 1 + max(v.size for v in vectors)
    table = np.zeros((len(vectors), width), dtype=np.float64)
    for f, vector in enumerate(vectors):
        if active[f]:
            table[f, 1 : vector.size + 1] = np.log(vector)
    return table


def _pattern_log_likelihoods(
    patterns: npt.NDArray[np.int64],
    m: Sequence[npt.NDArray[np.float64]],
    u: Sequence[npt.NDArray[np.float64]],
    active: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rows = np.arange(len(m))
    log_m = _log_table(m, active)[rows, patterns].sum(axis=1)
    log_u = _log_table(u, active)[rows, patterns].sum(axis=1)
    return log_m, log_u


def _m_step(
    patterns: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    previous: Sequence[npt.NDArray[np.float64]],
    n_levels: Sequence[int],
    active: npt.NDArray[np.bool_],
    floor: float,
) -> list[npt.NDArray[np.float64]]:
    updated = []
    for f, k in enumerate(n_levels):
        totals = np.bincount(patterns[:, f], weights=weights, minlength=k)[1:]
        mass = totals.sum()
        # A field with no weighted non-null pairs this round has nothing to learn from: keep it.
        updated.append(_floored(totals / mass, floor) if active[f] and mass > 0 else previous[f])
    return updated


def _expit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # Written with exp(-|x|) so that no log-odds overflows.
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + small), small / (1.0 + small))
