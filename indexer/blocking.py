"""Blocking rules: records that share a rule's key become candidate pairs.

A rule is data (`BlockingRule`: a name, the key terms written together, a block-size cap) and
round-trips through JSON. Key terms:

* ``phonetic(F)``: the phonetic key (`matcher.phonetic.phonetic_key`) of name field ``F``
  (``first_name``, ``last_name``, ``father_first_name``, ``mother_first_name``), computed from
  each script's column (``F_latin``, ``F_arabic``, or a plain ``F``) that the records have. A
  record written in both scripts has up to two keys, so a typo in one script, or a
  transliteration the phonetic key does not fold, still leaves the other to meet on.
* ``phonetic_set(F, G)``: the keys of two name fields as an unordered pair, so first and last
  names typed the other way round share it.
* ``exact(C)``: the value of column ``C`` upper-cased with its spaces removed (CIN, phone,
  place codes, sex); 0 in an integer column is missing.
* ``birth_year``: the year when known.
* ``birth_date``: a full date of birth with day and month unordered, so a day/month swap (the
  usual slip for days ≤ 12) stays in the block.
* ``birth_day_month``: the day and month of a full date, unordered, without the year: a year
  off by one digit stays in the block.

A record with any term missing is not in that rule's blocks: blocking on a missing value would
pair everybody who lacks it. A record's key for a rule is every combination of its term values.

Keys are 64-bit hashes (each term value hashed over its code points, the terms mixed with
splitmix64; `indexer._hashing`), so the same key comes out in every process, batch and index;
a collision only adds candidate pairs.
Term values are computed once per distinct column value: names repeat a lot.

**Block cap.** A block larger than the rule's ``max_block_size`` would add about ``size²/2``
pairs of which nearly all are different people (Mohammed + Mohammed as first and father's name
is tens of thousands of records in a register of millions). Such a block is *skipped*: it yields
no pairs, and its blocks, entries and pairs are counted in the rule's `RuleStats` (the records
in any skipped block in `BlockedPairs.skipped_rows`; `BlockIndex.link` counts skipped keys).
Skipping rather than sub-blocking keeps a rule's meaning plain; the rules are chosen so that the
people in a skipped block are still met by a finer rule (the same names plus a birth year or a
date) and by the name-vector neighbours. On the synthetic register of a million people the
default rules skip 34 blocks (4,665 entries) and still find 99.87 % of the true pairs.

Two uses:

* `block_pairs`: dedup within one batch (pairs ``i < j`` of row numbers, deduplicated across
  rules, with a bit per rule saying which rules found each pair);
* `BlockIndex`: an incrementally updated keyed index of existing records (key → record ids) that
  a new record or batch is linked against (enrolment's 1:N search). It is a sorted array of
  (key, id) per rule plus a small sorted array of recent additions, looked up by binary search:
  16 bytes an entry, where a Python dict of lists costs about ten times that for a register of
  millions under nine rules.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from indexer._hashing import MISSING, factorize, hash_strings, mix
from indexer._pairs import ranges, union_pairs
from indexer.errors import BlockingRuleError, RecordsError
from matcher.phonetic import phonetic_key

__all__ = [
    "DEFAULT_MAX_BLOCK_SIZE",
    "DEFAULT_RULES",
    "KEY_FUNCTIONS",
    "NAME_FIELDS",
    "BlockIndex",
    "BlockedPairs",
    "BlockingRule",
    "LinkedPairs",
    "RecordBatch",
    "RuleStats",
    "block_pairs",
    "rule_keys",
    "rules_from_json",
    "rules_to_json",
]

IntArray = npt.NDArray[np.int64]
KeyArray = npt.NDArray[np.uint64]

NAME_FIELDS: Final = ("first_name", "last_name", "father_first_name", "mother_first_name")
DEFAULT_MAX_BLOCK_SIZE: Final = 100

# Key function → how many arguments it takes and of which kind.
KEY_FUNCTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "phonetic": ("name",),
    "phonetic_set": ("name", "name"),
    "exact": ("column",),
    "birth_year": (),
    "birth_date": (),
    "birth_day_month": (),
}

_TERM = re.compile(r"^\s*([a-z_]+)\s*(?:\(\s*([a-z_0-9]*(?:\s*,\s*[a-z_0-9]+)*)\s*\))?\s*$")
_COLUMN = re.compile(r"^[a-z_][a-z_0-9]*$")
_RULE_KEYS = frozenset({"name", "keys", "max_block_size"})


@dataclass(frozen=True)
class BlockingRule:
    """A blocking rule: records whose key terms all agree fall in one block.

    ``keys`` are key terms (see the module docstring), e.g. ``("phonetic(last_name)",
    "birth_year")``. Blocks larger than ``max_block_size`` are skipped and counted.
    """

    name: str
    keys: tuple[str, ...]
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise BlockingRuleError(f"the name must be a non-empty string, got {self.name!r}")
        if isinstance(self.keys, str) or not isinstance(self.keys, Sequence) or not self.keys:
            raise BlockingRuleError("'keys' must be a non-empty list of key terms", rule=self.name)
        object.__setattr__(self, "keys", tuple(self.keys))
        for term in self.keys:
            _parse_term(term, self.name)
        size = self.max_block_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise BlockingRuleError(f"max_block_size must be an integer ≥ 2, got {size!r}", rule=self.name)

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data."""
        return {"name": self.name, "keys": list(self.keys), "max_block_size": self.max_block_size}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockingRule:
        """Read a rule written by ``to_dict``; unknown keys are refused so typos do not pass silently."""
        if not isinstance(data, Mapping):
            raise BlockingRuleError(f"a rule must be an object, got {type(data).__name__}")
        name = data.get("name")
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise BlockingRuleError(f"unknown keys {sorted(unknown)}", rule=str(name))
        if "name" not in data or "keys" not in data:
            raise BlockingRuleError("'name' and 'keys' are required", rule=str(name))
        if not isinstance(name, str):
            raise BlockingRuleError(f"the name must be a string, got {name!r}")
        return cls(name=name, keys=data["keys"], max_block_size=data.get("max_block_size", DEFAULT_MAX_BLOCK_SIZE))


def rules_to_json(rules: Iterable[BlockingRule]) -> str:
    """Blocking rules as a JSON document (a list of rule objects)."""
    return json.dumps([rule.to_dict() for rule in rules], ensure_ascii=False, indent=2)


def rules_from_json(text: str) -> tuple[BlockingRule, ...]:
    """Read rules written by `rules_to_json`; rule names must be distinct."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise BlockingRuleError(f"blocking rules are not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise BlockingRuleError(f"blocking rules must be a JSON list, got {type(data).__name__}")
    rules = tuple(BlockingRule.from_dict(item) for item in data)
    _check_rules(rules)
    return rules


@dataclass(frozen=True)
class _Term:
    function: str
    args: tuple[str, ...]


def _parse_term(term: object, rule: str) -> _Term:
    if not isinstance(term, str):
        raise BlockingRuleError(f"a key term must be a string, got {term!r}", rule=rule)
    m = _TERM.match(term)
    if m is None:
        raise BlockingRuleError(f"cannot read key term {term!r}: write function(argument)", rule=rule)
    function = m.group(1)
    args = tuple(a.strip() for a in m.group(2).split(",")) if m.group(2) else ()
    kinds = KEY_FUNCTIONS.get(function)
    if kinds is None:
        raise BlockingRuleError(
            f"unknown key function {function!r} in {term!r}; known: {sorted(KEY_FUNCTIONS)}", rule=rule
        )
    if len(args) != len(kinds):
        raise BlockingRuleError(f"{function} takes {len(kinds)} argument(s), got {len(args)} in {term!r}", rule=rule)
    for kind, arg in zip(kinds, args, strict=True):
        if kind == "name" and arg not in NAME_FIELDS:
            raise BlockingRuleError(f"{arg!r} in {term!r} is not a name field; known: {list(NAME_FIELDS)}", rule=rule)
        if kind == "column" and not _COLUMN.match(arg):
            raise BlockingRuleError(f"{arg!r} in {term!r} is not a column name", rule=rule)
    return _Term(function, args)


def _check_rules(rules: Sequence[BlockingRule]) -> tuple[BlockingRule, ...]:
    rules = tuple(rules)
    if not rules:
        raise BlockingRuleError("at least one blocking rule is needed")
    for rule in rules:
        if not isinstance(rule, BlockingRule):
            raise BlockingRuleError(f"not a BlockingRule: {rule!r}")
    names = [rule.name for rule in rules]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BlockingRuleError(f"rule names must be distinct; repeated: {repeated}")
    if len(rules) > 63:
        raise BlockingRuleError(f"at most 63 rules (one bit each in the sources mask), got {len(rules)}")
    return rules


# Every rule pairs two or three specific terms, so its blocks stay small as the register grows:
# pairs per record grow with n × Σ p(key)². Measured on 100,000 synthetic people, "last name +
# birth year" alone gave 4.7 pairs per record and "first name + father's first name" 5.2 (with
# 21 blocks over the cap), each ten times that at a million; the rules below together give 0.6
# (3.9 at a million) for more recall. Each covers a noise the others miss: a year off by one
# (names + day/month, names + father), a date reduced to its year or a 01/01 default (names +
# year), a typo or particle in one name (the other name + the date), first and last names
# swapped (the unordered name pair), every name spelt anew (CIN).
DEFAULT_RULES: Final[tuple[BlockingRule, ...]] = (
    BlockingRule("names+date", ("phonetic_set(first_name,last_name)", "birth_date")),
    BlockingRule("names+day_month", ("phonetic_set(first_name,last_name)", "birth_day_month")),
    BlockingRule("names+year", ("phonetic_set(first_name,last_name)", "birth_year")),
    BlockingRule("names+father", ("phonetic_set(first_name,last_name)", "phonetic(father_first_name)")),
    BlockingRule("first+father+year", ("phonetic(first_name)", "phonetic(father_first_name)", "birth_year")),
    BlockingRule("last+father+year", ("phonetic(last_name)", "phonetic(father_first_name)", "birth_year")),
    BlockingRule("last+date", ("phonetic(last_name)", "birth_date")),
    BlockingRule("first+date", ("phonetic(first_name)", "birth_date")),
    BlockingRule("cin", ("exact(cin)",), max_block_size=10),
)


# --- a batch of records --------------------------------------------------------------------


class RecordBatch:
    """Columns of a batch of records, with the key terms computed once per distinct value.

    ``columns`` maps a column name to a sequence or array (a pandas DataFrame works as is).
    Missing values are ``""``/None/NaN in text columns and 0 in integer columns.
    """

    def __init__(self, columns: Mapping[str, Any]) -> None:
        if not isinstance(columns, Mapping) and not hasattr(columns, "columns"):
            raise RecordsError(f"records must be a mapping of column name to values, got {type(columns).__name__}")
        self._source = columns
        self._names = {str(c) for c in (columns.columns if hasattr(columns, "columns") else columns.keys())}
        self._lists: dict[str, list[Any]] = {}
        self._ints: dict[str, IntArray] = {}
        self._terms: dict[_Term, KeyArray] = {}
        self._n: int | None = None
        self._n = len(self.column(min(self._names))) if self._names else 0

    def __len__(self) -> int:
        return self._n or 0

    def has(self, column: str) -> bool:
        """Whether the batch has ``column``."""
        return column in self._names

    def column(self, name: str) -> list[Any]:
        """The values of a column as a list; errors name the column."""
        cached = self._lists.get(name)
        if cached is not None:
            return cached
        if name not in self._names:
            raise RecordsError("missing from the records", column=name)
        values = self._source[name]
        try:
            out = values.tolist() if hasattr(values, "tolist") else list(values)
        except TypeError as exc:
            raise RecordsError(f"not a sequence of values ({type(values).__name__})", column=name) from exc
        if self._n is not None and len(out) != self._n:
            raise RecordsError(f"has {len(out)} values where other columns have {self._n}", column=name)
        self._lists[name] = out
        return out

    def int_column(self, name: str) -> IntArray:
        """An integer column (missing values 0); errors name the column."""
        cached = self._ints.get(name)
        if cached is not None:
            return cached
        values = self.column(name)
        try:
            arr = np.asarray(values)
            if arr.dtype.kind not in "iub":
                arr = np.array([0 if v is None or (isinstance(v, float) and math.isnan(v)) else int(v) for v in values])
            out = arr.astype(np.int64).reshape(len(values))
        except (TypeError, ValueError, OverflowError) as exc:
            raise RecordsError(f"must hold integers: {exc}", column=name) from exc
        self._ints[name] = out
        return out

    def name_columns(self, field: str) -> list[str]:
        """The columns that hold name field ``field`` in some script."""
        found = [c for c in (f"{field}_latin", f"{field}_arabic", field) if c in self._names]
        if not found:
            raise RecordsError(
                f"no column for name field {field!r} (expected {field}_latin and/or {field}_arabic)", column=field
            )
        return found

    def term(self, term: _Term) -> KeyArray:
        """The hashed values of a key term: shape (n, width), 0 where missing."""
        cached = self._terms.get(term)
        if cached is None:
            cached = _TERM_FUNCTIONS[term.function](self, *term.args)
            self._terms[term] = cached
        return cached


def _per_distinct(values: Sequence[Any], fn: Callable[[Any], str]) -> KeyArray:
    """``fn`` applied once per distinct value, hashed; "" → missing (0)."""
    codes, distinct = factorize(values)
    texts = [fn(v) for v in distinct]
    hashed = hash_strings(texts)
    hashed[np.array([not t for t in texts], dtype=bool)] = MISSING
    return hashed[codes]


def _name_key(value: Any) -> str:
    return phonetic_key(value) if isinstance(value, str) else ""


def _exact_value(value: Any) -> str:
    """A value that is not a string as text: None, NaN and 0 are missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | np.integer | float) and not isinstance(value, bool):
        return "" if value == 0 else str(value)
    return str(value)


def _distinct_columns(keys: KeyArray) -> KeyArray:
    """Blank (0) a later column's value that repeats an earlier one in the same row."""
    for j in range(1, keys.shape[1]):
        for i in range(j):
            keys[keys[:, j] == keys[:, i], j] = MISSING
    return keys


def _phonetic(batch: RecordBatch, field: str) -> KeyArray:
    cols = [_per_distinct(batch.column(c), _name_key) for c in batch.name_columns(field)]
    return _distinct_columns(np.stack(cols, axis=1))


def _phonetic_set(batch: RecordBatch, a: str, b: str) -> KeyArray:
    ka = batch.term(_Term("phonetic", (a,)))
    kb = batch.term(_Term("phonetic", (b,)))
    out = []
    for i, j in itertools.product(range(ka.shape[1]), range(kb.shape[1])):
        x, y = ka[:, i], kb[:, j]
        lo, hi = np.minimum(x, y), np.maximum(x, y)
        # Unordered: the smaller hash first. Both must be present.
        key = mix(mix(lo) ^ hi)
        key[(x == MISSING) | (y == MISSING)] = MISSING
        out.append(key)
    return _distinct_columns(np.stack(out, axis=1))


def _exact(batch: RecordBatch, column: str) -> KeyArray:
    # Identifiers (CIN, phone) are mostly distinct, so there is nothing to gain from working
    # per distinct value: clean and hash the whole column with numpy string functions.
    values = batch.column(column)
    texts = np.array([v if type(v) is str else _exact_value(v) for v in values], dtype=str)
    texts = np.strings.upper(np.strings.replace(np.strings.strip(texts), " ", ""))
    out = hash_strings(texts)
    out[np.strings.str_len(texts) == 0] = MISSING
    return out[:, None]


def _birth_year(batch: RecordBatch) -> KeyArray:
    year = batch.int_column("birth_year")
    out = mix(year.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15))
    out[year <= 0] = MISSING
    return out[:, None]


def _full_dates(batch: RecordBatch) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Year, the smaller and the larger of day and month, and whether the date is a full one."""
    year, month, day = (batch.int_column(c) for c in ("birth_year", "birth_month", "birth_day"))
    full = (year > 0) & (month > 0) & (day > 0)
    if batch.has("birth_precision"):
        full &= np.asarray(batch.column("birth_precision"), dtype=object) == "full"
    return year, np.minimum(month, day), np.maximum(month, day), full


def _birth_date(batch: RecordBatch) -> KeyArray:
    year, lo, hi, full = _full_dates(batch)
    out = mix((year * 10_000 + lo * 100 + hi).astype(np.uint64) + np.uint64(0x5851F42D4C957F2D))
    out[~full] = MISSING
    return out[:, None]


def _birth_day_month(batch: RecordBatch) -> KeyArray:
    _, lo, hi, full = _full_dates(batch)
    out = mix((lo * 100 + hi).astype(np.uint64) + np.uint64(0x2545F4914F6CDD1D))
    out[~full] = MISSING
    return out[:, None]


_TERM_FUNCTIONS: Final[dict[str, Callable[..., KeyArray]]] = {
    "phonetic": _phonetic,
    "phonetic_set": _phonetic_set,
    "exact": _exact,
    "birth_year": _birth_year,
    "birth_date": _birth_date,
    "birth_day_month": _birth_day_month,
}


def _as_batch(records: Mapping[str, Any] | RecordBatch) -> RecordBatch:
    return records if isinstance(records, RecordBatch) else RecordBatch(records)


@functools.lru_cache(maxsize=256)
def _rule_seed(name: str) -> np.uint64:
    """The first value a rule's keys are mixed from: its name, hashed (kept, for a query of one record)."""
    return hash_strings([name])[0]


def rule_keys(rule: BlockingRule, records: Mapping[str, Any] | RecordBatch) -> tuple[IntArray, KeyArray]:
    """Every (row, key) of ``rule`` in ``records``, sorted by key.

    A row's combinations of term values are distinct, so a (row, key) repeats only when two
    combinations hash alike; the pairs built from them drop a row paired with itself.
    """
    batch = _as_batch(records)
    terms = [batch.term(_parse_term(t, rule.name)) for t in rule.keys]
    rows_parts: list[IntArray] = []
    key_parts: list[KeyArray] = []
    seed = _rule_seed(rule.name)
    for combo in itertools.product(*(range(t.shape[1]) for t in terms)):
        cols = [t[:, j] for t, j in zip(terms, combo, strict=True)]
        ok = np.ones(len(batch), dtype=bool)
        key = np.full(len(batch), seed, dtype=np.uint64)
        for col in cols:
            ok &= col != MISSING
            key = mix(key ^ col)
        rows = np.flatnonzero(ok).astype(np.int64)
        rows_parts.append(rows)
        key_parts.append(key[rows])
    rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, np.int64)
    keys = np.concatenate(key_parts) if key_parts else np.zeros(0, np.uint64)
    order = np.argsort(keys)
    return rows[order], keys[order]


# --- pairs within a batch ------------------------------------------------------------------


@dataclass(frozen=True)
class RuleStats:
    """What one rule did: rows with a key, blocks of two or more, pairs, and what the cap skipped."""

    rule: str
    keyed_rows: int
    blocks: int
    pairs: int
    skipped_blocks: int
    skipped_entries: int
    skipped_pairs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "keyed_rows": self.keyed_rows,
            "blocks": self.blocks,
            "pairs": self.pairs,
            "skipped_blocks": self.skipped_blocks,
            "skipped_entries": self.skipped_entries,
            "skipped_pairs": self.skipped_pairs,
        }


@dataclass(frozen=True)
class BlockedPairs:
    """Candidate pairs of rows ``left < right``, each once, and which rules found it.

    Bit ``k`` of ``sources`` is set when ``rules[k]`` found the pair.
    """

    left: IntArray
    right: IntArray
    sources: npt.NDArray[np.uint64]
    rules: tuple[BlockingRule, ...]
    stats: tuple[RuleStats, ...]
    skipped_rows: int = field(default=0)

    def __len__(self) -> int:
        return len(self.left)


def _within_block_pairs(rows: IntArray, starts: IntArray, sizes: IntArray) -> tuple[IntArray, IntArray]:
    """All pairs inside the given blocks of ``rows`` (each block ``rows[start:start+size]``)."""
    if len(starts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    positions = ranges(starts, sizes)
    ends = np.repeat(starts + sizes, sizes)
    partners = ends - positions - 1
    left_pos = np.repeat(positions, partners)
    first = np.cumsum(partners) - partners
    right_pos = left_pos + 1 + (np.arange(len(left_pos), dtype=np.int64) - np.repeat(first, partners))
    a, b = rows[left_pos], rows[right_pos]
    keep = a != b
    return np.minimum(a, b)[keep], np.maximum(a, b)[keep]


def block_pairs(
    records: Mapping[str, Any] | RecordBatch, rules: Sequence[BlockingRule] = DEFAULT_RULES
) -> BlockedPairs:
    """Candidate pairs within ``records`` from every rule, deduplicated, with their source rules."""
    rules = _check_rules(rules)
    batch = _as_batch(records)
    n = len(batch)
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    bits: list[npt.NDArray[np.uint64]] = []
    stats: list[RuleStats] = []
    skipped_rows = np.zeros(n, dtype=bool)
    for k, rule in enumerate(rules):
        rows, keys = rule_keys(rule, batch)
        if len(keys):
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))).astype(np.int64)
            sizes = np.diff(np.append(starts, len(keys))).astype(np.int64)
        else:
            starts = sizes = np.zeros(0, np.int64)
        over = sizes > rule.max_block_size
        used = (sizes >= 2) & ~over
        left, right = _within_block_pairs(rows, starts[used], sizes[used])
        over_sizes = sizes[over]
        skipped_rows[rows[ranges(starts[over], over_sizes)]] = True
        stats.append(
            RuleStats(
                rule=rule.name,
                keyed_rows=int(np.count_nonzero(np.bincount(rows, minlength=n))),
                blocks=int(used.sum()),
                pairs=len(left),
                skipped_blocks=int(over.sum()),
                skipped_entries=int(over_sizes.sum()),
                skipped_pairs=int((over_sizes * (over_sizes - 1) // 2).sum()),
            )
        )
        lefts.append(left)
        rights.append(right)
        bits.append(np.full(len(left), np.uint64(1) << np.uint64(k), dtype=np.uint64))
    left, right, sources = union_pairs(lefts, rights, bits, n)
    return BlockedPairs(left, right, sources, rules, tuple(stats), skipped_rows=int(skipped_rows.sum()))


# --- linking against existing records ------------------------------------------------------


@dataclass(frozen=True)
class LinkedPairs:
    """Candidate links from query rows to existing record ids, each once, with source rule bits."""

    rows: IntArray
    ids: IntArray
    sources: npt.NDArray[np.uint64]
    rules: tuple[BlockingRule, ...]
    skipped_blocks: int = 0

    def __len__(self) -> int:
        return len(self.rows)


class _Postings:
    """Key → ids for one rule: a large sorted part and a small sorted part for recent adds."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.uint64)
        self.ids = np.zeros(0, np.int64)
        self.new_keys = np.zeros(0, np.uint64)
        self.new_ids = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.keys) + len(self.new_keys)

    @staticmethod
    def _sorted(keys: KeyArray, ids: IntArray) -> tuple[KeyArray, IntArray]:
        order = np.lexsort((ids, keys))
        return keys[order], ids[order]

    def add(self, keys: KeyArray, ids: IntArray) -> None:
        self.new_keys, self.new_ids = self._sorted(
            np.concatenate((self.new_keys, keys)), np.concatenate((self.new_ids, ids))
        )
        # Merging costs a sort of everything: do it when the recent part reaches 1/16 of the rest,
        # so n single adds cost O(n log n) overall while lookups stay two binary searches.
        if len(self.new_keys) > max(4096, len(self.keys) // 16):
            self.merge()

    def merge(self) -> None:
        self.keys, self.ids = self._sorted(
            np.concatenate((self.keys, self.new_keys)), np.concatenate((self.ids, self.new_ids))
        )
        self.new_keys, self.new_ids = np.zeros(0, np.uint64), np.zeros(0, np.int64)

    def remove(self, ids: IntArray) -> None:
        self.merge()
        keep = ~np.isin(self.ids, ids)
        self.keys, self.ids = self.keys[keep], self.ids[keep]

    def lookup(self, keys: KeyArray, cap: int) -> tuple[IntArray, IntArray, int]:
        """For each query key, the ids under it; keys with more than ``cap`` ids are skipped.

        Returns (index into ``keys``, id) pairs and the number of skipped keys.
        """
        parts = [(self.keys, self.ids), (self.new_keys, self.new_ids)]
        bounds = [(np.searchsorted(k, keys, "left"), np.searchsorted(k, keys, "right")) for k, _ in parts]
        (lo_main, hi_main), (lo_new, hi_new) = bounds
        ok = (hi_main - lo_main) + (hi_new - lo_new) <= cap
        out_q: list[IntArray] = []
        out_ids: list[IntArray] = []
        for (_, ids), (lo, hi) in zip(parts, bounds, strict=True):
            counts = np.where(ok, hi - lo, 0).astype(np.int64)
            q = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
            out_q.append(q)
            out_ids.append(ids[ranges(lo.astype(np.int64), counts)])
        return np.concatenate(out_q), np.concatenate(out_ids), int((~ok).sum())


class BlockIndex:
    """Existing records by blocking key (key → record ids), for linking new records to them.

    Updated incrementally: `add` new records, `remove` records by id (an updated record is
    removed and added again). Not safe for concurrent writes: callers serialise `add`/`remove`
    against each other and against `link`.
    """

    def __init__(self, rules: Sequence[BlockingRule] = DEFAULT_RULES) -> None:
        self._rules = _check_rules(rules)
        self._postings = [_Postings() for _ in self._rules]
        self._ids = np.zeros(0, np.int64)
        self._new_ids: list[IntArray] = []

    @property
    def rules(self) -> tuple[BlockingRule, ...]:
        return self._rules

    def _all_ids(self) -> IntArray:
        if self._new_ids:
            self._ids = np.concatenate((self._ids, *self._new_ids))
            self._new_ids = []
        return self._ids

    def __len__(self) -> int:
        return len(self._ids) + sum(len(a) for a in self._new_ids)

    def add(self, records: Mapping[str, Any] | RecordBatch, ids: npt.ArrayLike) -> None:
        """Index ``records`` under their record ids (one int64 id per row)."""
        batch = _as_batch(records)
        id_array = _check_ids(ids, len(batch))
        for rule, postings in zip(self._rules, self._postings, strict=True):
            rows, keys = rule_keys(rule, batch)
            postings.add(keys, id_array[rows])
        self._new_ids.append(id_array)

    def remove(self, ids: npt.ArrayLike) -> None:
        """Forget the records with these ids (ids not in the index are ignored)."""
        raw = np.asarray(ids).reshape(-1)
        id_array = _check_ids(raw, len(raw))
        for postings in self._postings:
            postings.remove(id_array)
        all_ids = self._all_ids()
        self._ids = all_ids[~np.isin(all_ids, id_array)]

    def link(self, records: Mapping[str, Any] | RecordBatch) -> LinkedPairs:
        """Candidate links from each row of ``records`` to the indexed record ids."""
        batch = _as_batch(records)
        rows_parts: list[IntArray] = []
        id_parts: list[IntArray] = []
        bits: list[npt.NDArray[np.uint64]] = []
        skipped = 0
        for k, (rule, postings) in enumerate(zip(self._rules, self._postings, strict=True)):
            rows, keys = rule_keys(rule, batch)
            q, ids, over = postings.lookup(keys, rule.max_block_size)
            skipped += over
            rows_parts.append(rows[q])
            id_parts.append(ids)
            bits.append(np.full(len(q), np.uint64(1) << np.uint64(k), dtype=np.uint64))
        rows = np.concatenate(rows_parts)
        ids = np.concatenate(id_parts)
        src = np.concatenate(bits)
        order = np.lexsort((ids, rows))
        rows, ids, src = rows[order], ids[order], src[order]
        if len(rows) == 0:
            return LinkedPairs(rows, ids, src, self._rules, skipped)
        starts = np.flatnonzero(np.concatenate(([True], (rows[1:] != rows[:-1]) | (ids[1:] != ids[:-1]))))
        return LinkedPairs(rows[starts], ids[starts], np.bitwise_or.reduceat(src, starts), self._rules, skipped)


def _check_ids(ids: npt.ArrayLike, n: int) -> IntArray:
    try:
        arr = np.asarray(ids)
    except (TypeError, ValueError) as exc:
        raise RecordsError(f"ids must be integers: {exc}", column="ids") from exc
    if arr.ndim != 1 or len(arr) != n:
        raise RecordsError(f"one id per record is needed: {n} records, ids of shape {arr.shape}", column="ids")
    if n and not np.issubdtype(arr.dtype, np.integer):
        raise RecordsError(f"ids must be integers, got {arr.dtype}", column="ids")
    return arr.astype(np.int64)
