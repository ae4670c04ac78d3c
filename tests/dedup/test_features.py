"""Comparison vectors of register records: each name level reached in the script it is written in."""

from __future__ import annotations

import pandas as pd

from dedup.config import DEFAULT_CONFIG, NAME_FIELDS
from dedup.features import RecordFeatures
from dedup.io import prepare_records


def _records(rows: list[dict[str, str]]) -> pd.DataFrame:
    base = {column: "" for column in DEFAULT_CONFIG.input_columns()}
    base |= {"sex": "M", "birth_year": "1980", "birth_month": "3", "birth_day": "12", "birth_precision": "full"}
    base = {k: v for k, v in base.items() if k not in NAME_FIELDS}  # the scripted columns only
    frame = pd.DataFrame([{**base, **row, "record_id": str(k)} for k, row in enumerate(rows)])
    return prepare_records(frame, DEFAULT_CONFIG).frame


def _level(features: RecordFeatures, field: str, left: int, right: int) -> str:
    index = [c.field for c in features.comparisons].index(field)
    gamma = features.gamma([left], [right])
    return features.comparisons[index].levels[int(gamma[0, index])].label


def test_latin_spellings_with_one_key_meet_at_the_phonetic_level() -> None:
    """Mohamed / Mohammed are not equal once normalised but share a phonetic key: the keys are
    computed from the raw spelling, and a Latin name must reach that level too (a lookup keyed
    by the normalised text once left every Latin name without a key)."""
    records = _records(
        [
            {"first_name_latin": "Mohamed", "last_name_latin": "Alaoui", "father_first_name_latin": "Ahmed"},
            {"first_name_latin": "Mohammed", "last_name_latin": "ALAOUI", "father_first_name_latin": "Ahmad"},
            {"first_name_arabic": "محمد", "last_name_arabic": "العلوي", "father_first_name_arabic": "أحمد"},
            {"first_name_latin": "Youssef", "last_name_latin": "Bennani", "father_first_name_latin": "Omar"},
        ]
    )
    features = RecordFeatures(records, DEFAULT_CONFIG)
    labels = {c.field: [level.label for level in c.levels] for c in features.comparisons}
    assert "phonetic" in labels["first_name"] and "phonetic" in labels["father_first_name"]
    assert _level(features, "first_name", 0, 1) == "phonetic"
    assert _level(features, "last_name", 0, 1) == "exact"
    assert _level(features, "father_first_name", 0, 1) == "phonetic"
    # Across scripts: the Arabic record is compared through its transliteration and its key.
    assert _level(features, "first_name", 0, 2) in ("exact", "phonetic")
    assert _level(features, "first_name", 0, 3) == "else"
