"""Name vectors: hashed character n-grams of a person's names, for nearest-neighbour search.

A record's vector is built from its first name, last name and father's first name, each in
whichever scripts the record has:

1. every distinct written name is brought to one Latin form: Arabic parts transliterated
   (`matcher.phonetic.latin_form`), then folded the way exact matching folds it
   (`matcher.names.canonical_name`: case, accents, titles and the article out, particles and
   compounds joined), so محمد العلوي, Mohammed El Alaoui and Mohamed Alaoui come close;
2. its features are the character 2- and 3-grams of each word with boundary markers
   (``^mo``, ``moh`` … ``ed$``), plus each word's phonetic key (`matcher.phonetic`) as one
   feature, so spellings the key folds (Mohammed / Mouhamad) share a strong feature while typos
   in the first letters still share most n-grams;
3. features are hashed into ``dimension`` buckets with a sign (the "hashing trick": collisions
   cancel out on average instead of adding up); the hash is our own 64-bit one over code
   points (`indexer._hashing`), so a vector is the same in every process, unlike Python's
   salted ``hash``;
4. each written name's vector is L2-normalised; a field's vector is the sum over its scripts,
   normalised; the names' vector is the sum of the fields, normalised;
5. with ``date_weight`` > 0 (the default, 0.5), the birth date's features (the year; the day
   and month unordered) are added, normalised, with that weight, and the whole is normalised
   again, so inner products are cosine similarities.

Why the date: a register of a million holds hundreds of people named Mohammed Alaoui son of
Ahmed, with identical name vectors; their nearest neighbours by name alone are an arbitrary
handful of them, and a true duplicate with a typo ranks below all of them. A small date part
orders namesakes by birth date while a duplicate whose year is off still keeps its names and
its day and month. Measured on the synthetic register (1M people, k = 5, exact search): the
true duplicate is among the neighbours for 94.5 % of pairs by names alone (128 dimensions),
99.4 % with the date at 64 dimensions and 99.7 % at 128.

The n-grams do not say which field they came from: first and last names typed the other way
round give the same vector. A missing field adds nothing (the other fields still count).
Everything is computed once per distinct written name (and per distinct date), then gathered
per record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from indexer._hashing import factorize, hash_strings, int_factorize
from indexer.blocking import RecordBatch
from indexer.errors import RecordsError, VectorShapeError
from matcher.errors import MatcherError
from matcher.names import canonical_name
from matcher.phonetic import latin_form, phonetic_keys

__all__ = ["DEFAULT_DATE_WEIGHT", "DEFAULT_DIMENSION", "VECTOR_FIELDS", "name_features", "name_vectors"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

DEFAULT_DIMENSION: Final = 64
DEFAULT_DATE_WEIGHT: Final = 0.5
VECTOR_FIELDS: Final = ("first_name", "last_name", "father_first_name")
NGRAM_SIZES: Final = (2, 3)
# A phonetic key is one feature where a word has several n-grams; this weight makes it count
# about as much as a third of the word's n-grams together.
_KEY_WEIGHT: Final = 2.0
_CHUNK: Final = 65_536


def name_features(name: str) -> list[tuple[str, float]]:
    """The weighted features of one written name (either script): n-grams and phonetic keys."""
    if not isinstance(name, str) or not name.strip():
        return []
    try:
        latin = canonical_name(latin_form(name))
        keys = phonetic_keys(name)
    except MatcherError:
        return []
    features: list[tuple[str, float]] = []
    for word in latin.split():
        marked = f"^{word}$"
        for size in NGRAM_SIZES:
            features.extend((marked[i : i + size], 1.0) for i in range(len(marked) - size + 1))
    features.extend((f"#{key}", _KEY_WEIGHT) for key in keys)
    return features


def _distinct_name_vectors(names: Sequence[Any], dimension: int) -> FloatArray:
    """One L2-normalised hashed-feature vector per name (zeros for a name with no features)."""
    per_name = [name_features(name) for name in names]
    counts = np.fromiter((len(f) for f in per_name), dtype=np.int64, count=len(per_name))
    out = np.zeros((len(names), dimension), dtype=np.float32)
    if counts.sum() == 0:
        return out
    grams = [g for f in per_name for g, _ in f]
    weights = np.fromiter((w for f in per_name for _, w in f), dtype=np.float32, count=len(grams))
    codes, distinct = factorize(grams)
    hashed = hash_strings(distinct)[codes]
    bucket = (hashed % np.uint64(dimension)).astype(np.int64)
    sign = np.where((hashed >> np.uint64(63)) == np.uint64(1), np.float32(-1.0), np.float32(1.0))
    rows = np.repeat(np.arange(len(names), dtype=np.int64), counts)
    np.add.at(out, (rows, bucket), sign * weights)
    return _normalised(out)


def _normalised(vectors: FloatArray) -> FloatArray:
    """Scale each row to unit length in place (zero rows stay zero)."""
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None]
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


def _hashed_rows(
    rows: IntArray, features: Sequence[str], weights: FloatArray, count: int, dimension: int
) -> FloatArray:
    """``count`` vectors with ``weights[i]`` added at the signed bucket of ``features[i]`` in
    row ``rows[i]``, L2-normalised."""
    out = np.zeros((count, dimension), dtype=np.float32)
    if len(rows):
        codes, distinct = factorize(features)
        hashed = hash_strings(distinct)[codes]
        bucket = (hashed % np.uint64(dimension)).astype(np.int64)
        sign = np.where((hashed >> np.uint64(63)) == np.uint64(1), np.float32(-1.0), np.float32(1.0))
        np.add.at(out, (rows, bucket), sign * weights)
    return _normalised(out)


def _name_table(names: Sequence[Any], dimension: int) -> FloatArray:
    """One normalised feature vector per name (zeros for a name with no features)."""
    per_name = [name_features(name) for name in names]
    counts = np.fromiter((len(f) for f in per_name), dtype=np.int64, count=len(per_name))
    grams = [g for f in per_name for g, _ in f]
    weights = np.fromiter((w for f in per_name for _, w in f), dtype=np.float32, count=len(grams))
    rows = np.repeat(np.arange(len(names), dtype=np.int64), counts)
    return _hashed_rows(rows, grams, weights, len(names), dimension)


def _field_table(batch: RecordBatch, field: str, dimension: int) -> tuple[IntArray, FloatArray]:
    """Each row's code into a table of field vectors: per distinct combination of the field's
    scripts, the sum of each script's name vector, normalised."""
    combined: IntArray | None = None
    parts: list[tuple[IntArray, FloatArray]] = []
    for column in batch.name_columns(field):
        codes, distinct = factorize(batch.column(column))
        parts.append((codes, _name_table(distinct, dimension)))
        combined = codes if combined is None else combined * np.int64(len(distinct)) + codes
    rows, first = int_factorize(combined if combined is not None else np.zeros(len(batch), np.int64))
    table = np.zeros((len(first), dimension), dtype=np.float32)
    for codes, names in parts:
        table += names[codes[first]]
    return rows, _normalised(table)


def _date_table(batch: RecordBatch, dimension: int) -> tuple[IntArray, FloatArray] | None:
    """Each row's code into a table of date vectors (features: the year; day and month
    unordered), or None when the records have no birth year column."""
    if not batch.has("birth_year"):
        return None
    year = batch.int_column("birth_year")
    month = batch.int_column("birth_month") if batch.has("birth_month") else np.zeros_like(year)
    day = batch.int_column("birth_day") if batch.has("birth_day") else np.zeros_like(year)
    year = np.where(year > 0, year, 0)
    lo, hi = np.minimum(month, day), np.maximum(month, day)
    day_month = np.where((year > 0) & (lo > 0), lo * 100 + hi, 0)
    rows, first = int_factorize(year * 10_000 + day_month)
    years, day_months = year[first], day_month[first]
    features = [f"y{y}" for y in years.tolist()] + [f"md{md}" for md in day_months.tolist()]
    owner = np.tile(np.arange(len(first), dtype=np.int64), 2)
    present = np.concatenate((years > 0, day_months > 0))
    kept = [f for f, p in zip(features, present.tolist(), strict=True) if p]
    table = _hashed_rows(owner[present], kept, np.ones(len(kept), np.float32), len(first), dimension)
    return rows, table


def name_vectors(
    records: Mapping[str, Any] | RecordBatch,
    dimension: int = DEFAULT_DIMENSION,
    fields: Sequence[str] = VECTOR_FIELDS,
    date_weight: float = DEFAULT_DATE_WEIGHT,
) -> FloatArray:
    """One float32 vector per record, shape (n, ``dimension``), L2-normalised (zero for a record
    with no name at all). Deterministic: the same records give the same vectors anywhere.
    Fields of ``fields`` the records have no column for are left out.

    ``date_weight`` > 0 adds the birth date's features (see the module docstring) with that
    weight beside the names' unit vector.
    """
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 8:
        raise VectorShapeError(f"must be an integer ≥ 8, got {dimension!r}", argument="dimension")
    if isinstance(fields, str) or not fields:
        raise RecordsError("at least one name field is needed for name vectors", column=str(fields))
    if isinstance(date_weight, bool) or not isinstance(date_weight, int | float) or not 0 <= date_weight <= 10:
        raise VectorShapeError(f"must be a number in [0, 10], got {date_weight!r}", argument="date_weight")
    batch = records if isinstance(records, RecordBatch) else RecordBatch(records)
    n = len(batch)
    # The name fields the records have (a layout without parents' names still gets vectors).
    present = [f for f in fields if any(batch.has(c) for c in (f"{f}_latin", f"{f}_arabic", f))]
    if not present:
        raise RecordsError(f"no column for any of the name fields {list(fields)}", column=fields[0])
    tables = [_field_table(batch, field, dimension) for field in present]
    dates = _date_table(batch, dimension) if date_weight > 0 else None
    out = np.zeros((n, dimension), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        total = out[start:stop]
        for rows, table in tables:
            total += table[rows[start:stop]]
        if dates is not None:
            _normalised(total)
            rows, table = dates
            total += np.float32(date_weight) * table[rows[start:stop]]
        _normalised(total)
    return out
