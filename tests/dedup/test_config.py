"""`DedupConfig`: the register's defaults, TOML files, the JSON round trip, and errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.config import DEFAULT_CONFIG, FIELD_KINDS, DedupConfig, FieldSpec, TrainingSpec, load_config
from dedup.errors import ConfigError, DedupError
from indexer import CandidateSettings
from synthetic import COLUMNS

ROOT = Path(__file__).resolve().parents[2]

VALID = """
threshold = 0.7
cluster_min_mean = 0.6
random_pairs = 5000

[[field]]
name = "first_name"
kind = "name"
tf = true

[[field]]
name = "surname"
kind = "string"
tf = true

[[field]]
name = "birth_date"
kind = "date"

[[field]]
name = "address"
kind = "text"

[[field]]
name = "postcode"
kind = "code"

[[field]]
name = "national_id"
kind = "number"

[[training]]
key = "national_id"

[[training]]
key = "postcode"
exclude = ["postcode", "address"]

[candidates]
neighbours = 3
rules = [{ name = "id", keys = ["exact(national_id)"], max_block_size = 5 }]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dedup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_configuration_compares_the_register_fields() -> None:
    config = DedupConfig()
    assert config == DEFAULT_CONFIG
    assert [(f.name, f.kind, f.tf) for f in config.fields] == [
        ("first_name", "name", True),
        ("last_name", "name", True),
        ("father_first_name", "name", False),
        ("mother_first_name", "name", False),
        ("sex", "exact", False),
        ("birth_date", "date", False),
        ("birth_place_code", "exact", False),
        ("cin", "exact", False),
        ("phone", "exact", False),
    ]
    assert config.training == (TrainingSpec("cin", ("cin",)), TrainingSpec("phone", ("phone",)))
    assert config.threshold == config.cluster_min_mean == 0.5
    assert config.candidates == CandidateSettings()
    # Every column of the register export that identifies a person is read.
    register = set(COLUMNS) - {"record_id", "entity_id", "commune_code", "address"}
    assert register <= set(config.input_columns())
    assert [c.field for c in config.comparisons] == [f.name for f in config.fields]


def test_each_kind_compares_with_null_first_and_else_last() -> None:
    expected_middle = {"name": 4, "string": 4, "text": 4, "number": 3, "code": 2, "exact": 1, "date": 5}
    assert set(FIELD_KINDS) == set(expected_middle)
    for kind, middle in expected_middle.items():
        name = "first_name" if kind == "name" else "x"
        levels = FieldSpec(name, kind).comparison().levels
        assert levels[0].kind == "null" and levels[-1].kind == "else"
        assert len(levels) == middle + 2, kind


def test_a_toml_file_loads_and_round_trips_through_to_dict(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, VALID))
    assert config.threshold == 0.7 and config.cluster_min_mean == 0.6 and config.random_pairs == 5000
    assert [(f.name, f.kind, f.tf) for f in config.fields] == [
        ("first_name", "name", True),
        ("surname", "string", True),
        ("birth_date", "date", False),
        ("address", "text", False),
        ("postcode", "code", False),
        ("national_id", "number", False),
    ]
    assert config.training == (
        TrainingSpec("national_id", ("national_id",)),  # exclude defaults to the key
        TrainingSpec("postcode", ("postcode", "address")),
    )
    assert config.candidates.neighbours == 3
    assert [r.name for r in config.candidates.rules] == ["id"]
    assert config.candidates.rules[0].max_block_size == 5
    # The dict is JSON data, and reads back to an equal configuration.
    data = json.loads(json.dumps(config.to_dict()))
    assert DedupConfig.from_dict(data) == config
    assert DedupConfig.from_dict(DEFAULT_CONFIG.to_dict()) == DEFAULT_CONFIG


def test_cluster_min_mean_defaults_to_the_threshold(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "threshold = 0.8\n"))
    assert config.threshold == config.cluster_min_mean == 0.8
    assert config.fields == DEFAULT_CONFIG.fields  # an absent table keeps the register's default


def test_the_febrl_benchmark_configuration_loads() -> None:
    config = load_config(ROOT / "benchmarks" / "configs" / "febrl.toml")
    assert [f.name for f in config.fields][:2] == ["first_name", "last_name"]
    assert [t.key for t in config.training] == ["soc_sec_id", "date_of_birth"]
    assert DedupConfig.from_dict(config.to_dict()) == config


FIELD = '[[field]]\nname = "{name}"\nkind = "{kind}"\n'
TRAIN = '[[training]]\nkey = "{key}"\n'


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (FIELD.format(name="sex", kind="fuzzy") + TRAIN.format(key="sex"), "kind", "unknown kind 'fuzzy'"),
        ('[[field]]\nname = "sex"\nkind = ["exact"]\n' + TRAIN.format(key="sex"), "kind", "unknown kind"),
        (FIELD.format(name="surname", kind="name") + TRAIN.format(key="surname"), "kind", "'surname'"),
        (FIELD.format(name="sex", kind="exact") + "tf = true\n" + TRAIN.format(key="sex"), "tf", "'sex'"),
        (FIELD.format(name="first name", kind="string") + TRAIN.format(key="x"), "field.name", "'first name'"),
        (
            FIELD.format(name="sex", kind="exact") * 2 + TRAIN.format(key="sex"),
            "field",
            r"repeated: \['sex'\]",
        ),
        ('[[field]]\nname = "sex"\n', "field", "name, kind"),
        ('field = "sex"\n', "field", r"\[\[field\]\]"),
        (
            FIELD.format(name="sex", kind="exact")
            + FIELD.format(name="cin", kind="exact")
            + TRAIN.format(key="cin")
            + 'exclude = ["cin", "nom"]\n',
            "training",
            r"unknown fields \['nom'\]",
        ),
        (
            FIELD.format(name="sex", kind="exact")
            + FIELD.format(name="cin", kind="exact")
            + TRAIN.format(key="cin")
            + 'exclude = ["cin", "sex"]\n',
            "training",
            "no training round learns field 'sex'",
        ),
        ('[[training]]\nexclude = ["cin"]\n', "training", "key"),
        ("training = []\n", "training", "at least one"),
        ("threshold = 1.0\n", "threshold", "1.0"),
        ("threshold = 0\n", "threshold", "strictly between 0 and 1"),
        ('threshold = "high"\n', "threshold", "'high'"),
        ("threshold = 0.5\ncluster_min_mean = 1.5\n", "cluster_min_mean", "1.5"),
        ("random_pairs = 10\n", "random_pairs", "1000"),
        ("[candidates]\nneighbours = -1\n", "candidates", "neighbours"),
        ('[candidates]\nrules = [{ name = "x", keys = ["soundex(cin)"] }]\n', "candidates", "soundex"),
        ("[candidates]\nnearest = 5\n", "candidates", "nearest"),
    ],
)
def test_an_invalid_file_raises_a_config_error_naming_the_key(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert caught.value.key == key
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, DedupError)


def test_every_round_excluding_a_field_names_that_field() -> None:
    fields = (FieldSpec("sex", "exact"), FieldSpec("cin", "exact"), FieldSpec("phone", "exact"))
    rounds = (TrainingSpec("cin", ("cin", "sex")), TrainingSpec("phone", ("phone", "sex")))
    with pytest.raises(ConfigError, match="no training round learns field 'sex'") as caught:
        DedupConfig(fields=fields, training=rounds)
    assert caught.value.key == "training"


def test_an_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "thresold = 0.6\n")
    with pytest.raises(ConfigError, match=r"unknown keys \['thresold'\]") as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match="no such file") as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_invalid_toml_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "threshold = = 0.5\n[[field]\n")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_with_threshold_changes_only_the_threshold() -> None:
    config = DEFAULT_CONFIG.with_threshold(0.9)
    assert config.threshold == 0.9
    assert config.cluster_min_mean == DEFAULT_CONFIG.cluster_min_mean
    assert config.fields == DEFAULT_CONFIG.fields and config.training == DEFAULT_CONFIG.training
    with pytest.raises(ConfigError) as caught:
        DEFAULT_CONFIG.with_threshold(1.5)
    assert caught.value.key == "threshold"


def test_a_training_key_that_is_not_a_compared_field_excludes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "layout.toml"
    path.write_text(
        FIELD.format(name="sex", kind="exact") + FIELD.format(name="cin", kind="exact") + TRAIN.format(key="phone"),
        encoding="utf-8",
    )
    config = load_config(path)
    assert [(t.key, t.exclude) for t in config.training] == [("phone", ())]
    assert "phone" in config.input_columns()
