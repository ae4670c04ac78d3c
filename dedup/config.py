"""What a dedup run compares, how it finds candidates and how it trains: `DedupConfig`, as data.

The default is the register's layout (the columns of ``synthetic.schema.COLUMNS`` and of the
RNP export): the four names in Latin and Arabic script, sex, date of birth with its precision,
place of birth, CIN, phone, address. Another layout (FEBRL, a ministry's extract) is described in
a TOML file given to ``hawiya dedup --config``::

    threshold = 0.5                      # a pair is a match at probability ≥ this

    [[field]]                            # one per compared field, in order
    name = "first_name"                  # the column (or, for kind "name", F_latin/F_arabic/F)
    kind = "string"                      # see FIELD_KINDS
    tf = true                            # term-frequency adjusted (kinds name and string)

    [[training]]                         # one EM round over the pairs sharing this column's value;
    key = "soc_sec_id"                   # the field itself is left out of that round
    exclude = ["soc_sec_id"]             # (default: [key] when key is a compared field, else [])

    [candidates]                         # indexer.CandidateSettings, as its JSON
    rules = [{ name = "ssid", keys = ["exact(soc_sec_id)"] }]

Field kinds (the levels each compares with, strongest first, after ``null`` and before ``else``):

============  ===========================================================================
kind          levels
============  ===========================================================================
``name``      a register name in both scripts (``F_latin``/``F_arabic``, or a plain ``F``
              read as Latin): exact, phonetic, Jaro–Winkler ≥ 0.92, ≥ 0.8, the best of the
              two scripts; first and last names also compared crosswise (swapped fields)
``string``    exact, one edit, Jaro–Winkler ≥ 0.9, ≥ 0.8 (names of other layouts)
``text``      exact, one edit, Jaro–Winkler ≥ 0.9, token set ≥ 0.8 (addresses)
``number``    exact, one edit, two edits (identifiers typed by hand, dates as text)
``code``      exact, one edit (postcodes, house numbers)
``exact``     exact (sex, place codes, CIN, phone)
``date``      the date of birth from ``birth_year``, ``birth_month``, ``birth_day`` and
              ``birth_precision``: same date, compatible precision, day/month swapped, one
              digit off, within a year
============  ===========================================================================
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from dedup.errors import ConfigError
from indexer import CandidateSettings, IndexerError
from matcher.comparison import Comparison, ComparisonLevel

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_THRESHOLD",
    "FIELD_KINDS",
    "NAME_FIELDS",
    "DedupConfig",
    "FieldSpec",
    "TrainingSpec",
    "load_config",
]

NAME_FIELDS: Final = ("first_name", "last_name", "father_first_name", "mother_first_name")
DEFAULT_THRESHOLD: Final = 0.5

_LevelSpec = tuple[str, str] | tuple[str, str, float]
_KIND_LEVELS: Final[Mapping[str, tuple[_LevelSpec, ...]]] = {
    "name": (
        ("exact", "exact"),
        ("phonetic", "phonetic"),
        ("jaro-winkler ≥ 0.92", "jaro_winkler_at_least", 0.92),
        ("jaro-winkler ≥ 0.8", "jaro_winkler_at_least", 0.8),
    ),
    "string": (
        ("exact", "exact"),
        ("one edit", "damerau_levenshtein_at_most", 1),
        ("jaro-winkler ≥ 0.9", "jaro_winkler_at_least", 0.9),
        ("jaro-winkler ≥ 0.8", "jaro_winkler_at_least", 0.8),
    ),
    "text": (
        ("exact", "exact"),
        ("one edit", "damerau_levenshtein_at_most", 1),
        ("jaro-winkler ≥ 0.9", "jaro_winkler_at_least", 0.9),
        ("token set ≥ 0.8", "token_set_at_least", 0.8),
    ),
    "number": (
        ("exact", "exact"),
        ("one edit", "damerau_levenshtein_at_most", 1),
        ("two edits", "damerau_levenshtein_at_most", 2),
    ),
    "code": (("exact", "exact"), ("one edit", "damerau_levenshtein_at_most", 1)),
    "exact": (("exact", "exact"),),
    "date": (
        ("exact", "date_exact"),
        ("compatible precision", "date_compatible"),
        ("day and month swapped", "date_swapped"),
        ("one digit off", "date_one_digit"),
        ("within a year", "date_within_year"),
    ),
}
FIELD_KINDS: Final = tuple(_KIND_LEVELS)
DATE_COLUMNS: Final = ("birth_year", "birth_month", "birth_day", "birth_precision")
_RULE_COLUMN: Final = re.compile(r"exact\(\s*([a-z_][a-z_0-9]*)\s*\)")


@dataclass(frozen=True)
class FieldSpec:
    """One compared field: its name (the column), its kind, and whether its agreement is TF adjusted."""

    name: str
    kind: str
    tf: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(f"a field name must be a column name, got {self.name!r}", key="field.name")
        if not isinstance(self.kind, str) or self.kind not in _KIND_LEVELS:
            raise ConfigError(f"field {self.name!r}: unknown kind {self.kind!r}; known: {list(FIELD_KINDS)}", "kind")
        if self.kind == "name" and self.name not in NAME_FIELDS:
            raise ConfigError(f"kind 'name' is for the register's names {list(NAME_FIELDS)}, not {self.name!r}", "kind")
        if self.tf and self.kind not in ("name", "string"):
            raise ConfigError(f"field {self.name!r}: tf is for kinds 'name' and 'string'", key="tf")

    def comparison(self) -> Comparison:
        middle = tuple(
            ComparisonLevel(spec[0], spec[1], float(spec[2]) if len(spec) > 2 else None, tf_adjusted=self.tf)
            for spec in _KIND_LEVELS[self.kind]
        )
        return Comparison(self.name, (ComparisonLevel("null", "null"), *middle, ComparisonLevel("else", "else")))

    def columns(self) -> tuple[str, ...]:
        """The input columns this field reads (for kind name: any one of them suffices)."""
        if self.kind == "name":
            return (f"{self.name}_latin", f"{self.name}_arabic", self.name)
        if self.kind == "date":
            return DATE_COLUMNS
        return (self.name,)


@dataclass(frozen=True)
class TrainingSpec:
    """One EM round: over the pairs that share ``key``'s exact value, leaving ``exclude`` out."""

    key: str
    exclude: tuple[str, ...]


def _register_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("first_name", "name", tf=True),
        FieldSpec("last_name", "name", tf=True),
        FieldSpec("father_first_name", "name"),
        FieldSpec("mother_first_name", "name"),
        FieldSpec("sex", "exact"),
        FieldSpec("birth_date", "date"),
        FieldSpec("birth_place_code", "exact"),
        FieldSpec("cin", "exact"),
        FieldSpec("phone", "exact"),
    )


@dataclass(frozen=True)
class DedupConfig:
    """The fields compared, the EM rounds, the candidate settings and the match threshold.

    ``cluster_min_mean`` guards clustering against chains: two clusters joined by a link above
    the threshold are merged only if the mean probability of *all* the scored pairs between them
    is at least this (see `matcher.clustering`).
    """

    fields: tuple[FieldSpec, ...] = field(default_factory=_register_fields)
    training: tuple[TrainingSpec, ...] = (TrainingSpec("cin", ("cin",)), TrainingSpec("phone", ("phone",)))
    candidates: CandidateSettings = field(default_factory=CandidateSettings)
    threshold: float = DEFAULT_THRESHOLD
    cluster_min_mean: float = DEFAULT_THRESHOLD
    random_pairs: int = 500_000

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not names:
            raise ConfigError("at least one field is needed", key="field")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigError(f"fields must be distinct; repeated: {repeated}", key="field")
        if not self.training:
            raise ConfigError("at least one training round is needed", key="training")
        for spec in self.training:
            unknown = set(spec.exclude) - set(names)
            if unknown:
                raise ConfigError(f"training round {spec.key!r} excludes unknown fields {sorted(unknown)}", "training")
        for spec_field in names:
            if all(spec_field in spec.exclude for spec in self.training):
                raise ConfigError(f"no training round learns field {spec_field!r}: every round excludes it", "training")
        for key in ("threshold", "cluster_min_mean"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
                raise ConfigError(f"must be a probability strictly between 0 and 1, got {value!r}", key=key)
        if isinstance(self.random_pairs, bool) or not isinstance(self.random_pairs, int) or self.random_pairs < 1000:
            raise ConfigError(f"must be an integer ≥ 1000, got {self.random_pairs!r}", key="random_pairs")

    @functools.cached_property
    def comparisons(self) -> tuple[Comparison, ...]:
        """One per field (built once: 120 µs, and a duplicate search reads them for every query)."""
        return tuple(f.comparison() for f in self.fields)

    def input_columns(self) -> tuple[str, ...]:
        """Every column the run may read: the fields, the training keys, the candidate rules'
        columns, the names the name vectors read, the date parts and ``record_id``."""
        out: list[str] = ["record_id"]
        for spec in self.fields:
            out.extend(spec.columns())
        out.extend(spec.key for spec in self.training)
        for rule in self.candidates.rules:
            for term in rule.keys:
                out.extend(_RULE_COLUMN.findall(term))
        for name in NAME_FIELDS:
            out.extend((f"{name}_latin", f"{name}_arabic", name))
        out.extend(DATE_COLUMNS)
        return tuple(dict.fromkeys(out))

    def with_threshold(self, threshold: float) -> DedupConfig:
        return DedupConfig(
            self.fields, self.training, self.candidates, threshold, self.cluster_min_mean, self.random_pairs
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "cluster_min_mean": self.cluster_min_mean,
            "random_pairs": self.random_pairs,
            "field": [{"name": f.name, "kind": f.kind, "tf": f.tf} for f in self.fields],
            "training": [{"key": t.key, "exclude": list(t.exclude)} for t in self.training],
            "candidates": self.candidates.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DedupConfig:
        known = {"threshold", "cluster_min_mean", "random_pairs", "field", "training", "candidates"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown keys {sorted(unknown)}; known: {sorted(known)}")
        default = cls()
        fields = default.fields
        if "field" in data:
            fields = tuple(_field(item) for item in _list(data["field"], "field"))
        training = default.training
        if "training" in data:
            names = [spec.name for spec in fields]
            training = tuple(_training(item, names) for item in _list(data["training"], "training"))
        candidates = default.candidates
        if "candidates" in data:
            try:
                candidates = CandidateSettings.from_dict(data["candidates"])
            except IndexerError as exc:
                raise ConfigError(str(exc), key="candidates") from exc
        return cls(
            fields,
            training,
            candidates,
            data.get("threshold", DEFAULT_THRESHOLD),
            data.get("cluster_min_mean", data.get("threshold", DEFAULT_THRESHOLD)),
            data.get("random_pairs", default.random_pairs),
        )


def _list(value: Any, key: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"must be a list of tables ([[{key}]])", key=key)
    return value


def _field(item: Any) -> FieldSpec:
    if not isinstance(item, Mapping) or set(item) - {"name", "kind", "tf"} or not {"name", "kind"} <= set(item):
        raise ConfigError("each [[field]] has name, kind and optionally tf", key="field")
    tf = item.get("tf", False)
    if not isinstance(tf, bool):
        raise ConfigError(f"tf must be true or false, got {tf!r}", key="tf")
    return FieldSpec(item["name"], item["kind"], tf)


def _training(item: Any, fields: Sequence[str]) -> TrainingSpec:
    if not isinstance(item, Mapping) or set(item) - {"key", "exclude"} or "key" not in item:
        raise ConfigError("each [[training]] has key and optionally exclude", key="training")
    key = item["key"]
    # By default the round leaves out the field it is keyed on (its agreement is forced there).
    exclude = item.get("exclude", [key] if key in fields else [])
    if not isinstance(key, str) or not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise ConfigError("training key is a column name, exclude a list of field names", key="training")
    return TrainingSpec(key, tuple(exclude))


def load_config(path: str | Path) -> DedupConfig:
    """Read a TOML dedup configuration; errors name the file and the key."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{file}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read ({type(exc).__name__})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    try:
        return DedupConfig.from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}", key=exc.key) from exc


DEFAULT_CONFIG: Final = DedupConfig()
