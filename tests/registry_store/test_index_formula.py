"""The socio-economic index formula: the weights file's validation, the computation, its version."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest

from registry_store import Area, Asset, IndexFormula, IndexFormulaError, InvalidField, StoreError
from registry_store.index_formula import DEFAULT_FORMULA_FILE
from registry_store.social_model import CATEGORICAL_VARIABLES
from tests.registry_store.rsu_data import COMFORTABLE, POOR

PACKAGED = Path(__file__).resolve().parents[2] / "registry_store" / "data" / DEFAULT_FORMULA_FILE


def _raw() -> dict[str, Any]:
    return json.loads(PACKAGED.read_text(encoding="utf-8"))


def _with(path: str, value: object) -> dict[str, Any]:
    """The packaged formula with the value at a dotted path replaced (or deleted, for DELETE)."""
    data = _raw()
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()


def test_packaged_formula_is_valid_and_labelled_illustrative(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="registry_store"):
        formula = IndexFormula.default()
    assert formula.illustrative is True
    assert formula.version == "illustrative-1"
    assert "ILLUSTRATIVE" in formula.description and "authority" in formula.description
    assert any("ILLUSTRATIVE" in r.getMessage() for r in caplog.records)
    assert IndexFormula.load(PACKAGED) == formula


def test_json_round_trip() -> None:
    formula = IndexFormula.default()
    assert IndexFormula.from_json(json.loads(json.dumps(formula.to_json()))) == formula
    assert formula.to_json() == _raw()


def _by_hand(formula: IndexFormula, variables: Any, area: Area, n: int) -> float:
    w = formula.areas[area]
    total = w.intercept + w.log_household_size * math.log(n)
    total += w.rooms_per_person * min(variables.rooms / n, formula.rooms_per_person_cap)
    total += w.log_expenses_per_person * math.log1p(variables.monthly_expenses_mad / n)
    total += sum(w.categorical[name][getattr(variables, name).value] for name in CATEGORICAL_VARIABLES)
    total += sum(w.assets[a.value] for a in Asset if a in variables.assets)
    return total


@pytest.mark.parametrize("area", list(Area))
@pytest.mark.parametrize("n", [1, 2, 5, 13])
def test_value_is_the_documented_formula(area: Area, n: int) -> None:
    formula = IndexFormula.default()
    for variables in (COMFORTABLE, POOR):
        value = formula.compute(variables, area, n)
        assert value == pytest.approx(_by_hand(formula, variables, area, n), abs=5e-7)
        assert value == round(value, 6)


def test_a_known_value() -> None:
    # urban, 4 members: 8.2 - 0.3 ln 4 + 0.1 * 1 + 0.15 ln(1 + 2250) + 0.25 + 0.1 + 0.1 + 0.08 + 0.08 + 0
    #                   + (0.06 + 0.03 + 0.08 + 0.25)
    expected = 8.2 - 0.3 * math.log(4) + 0.1 + 0.15 * math.log(2251) + 0.61 + 0.42
    assert IndexFormula.default().compute(COMFORTABLE, Area.URBAN, 4) == round(expected, 6)


def test_deterministic_and_ordered() -> None:
    formula = IndexFormula.default()
    values = {formula.compute(COMFORTABLE, Area.URBAN, 4) for _ in range(100)}
    assert len(values) == 1
    # The same assets given in any order weigh the same.
    shuffled = dataclasses.replace(COMFORTABLE, assets=frozenset(reversed(sorted(COMFORTABLE.assets, key=str))))
    assert formula.compute(shuffled, Area.URBAN, 4) == values.pop()


def test_the_illustrative_weights_rank_households_sensibly() -> None:
    formula = IndexFormula.default()
    assert formula.compute(POOR, Area.RURAL, 6) < formula.compute(COMFORTABLE, Area.URBAN, 4)
    more = dataclasses.replace(POOR, assets=POOR.assets | {Asset.REFRIGERATOR})
    assert formula.compute(more, Area.RURAL, 6) > formula.compute(POOR, Area.RURAL, 6)
    # Crowding lowers the index: the same dwelling and expenses shared by more people.
    assert formula.compute(POOR, Area.RURAL, 9) < formula.compute(POOR, Area.RURAL, 3)


def test_rooms_per_person_is_capped() -> None:
    formula = IndexFormula.default()
    huge = dataclasses.replace(COMFORTABLE, rooms=50)
    capped = dataclasses.replace(COMFORTABLE, rooms=int(formula.rooms_per_person_cap))
    assert formula.compute(huge, Area.URBAN, 1) == formula.compute(capped, Area.URBAN, 1)


def test_compute_refuses_bad_inputs() -> None:
    formula = IndexFormula.default()
    with pytest.raises(InvalidField) as info:
        formula.compute(COMFORTABLE, Area.URBAN, 0)
    assert info.value.field == "members"
    with pytest.raises(InvalidField):
        formula.compute(COMFORTABLE, "urban", 2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ("format", 2, "format"),
        ("format", True, "format"),
        ("version", "", "version"),
        ("version", "with space", "version"),
        ("version", "x" * 65, "version"),
        ("illustrative", "yes", "illustrative"),
        ("description", " ", "description"),
        ("rooms_per_person_cap", 0, "rooms_per_person_cap"),
        ("rooms_per_person_cap", DELETE, "rooms_per_person_cap"),
        ("areas.rural", DELETE, "areas.rural"),
        ("areas.suburban", {}, "areas.suburban"),
        ("areas.urban.intercept", "8.2", "areas.urban.intercept"),
        ("areas.urban.intercept", None, "areas.urban.intercept"),
        ("areas.urban.log_household_size", True, "areas.urban.log_household_size"),
        ("areas.urban.categorical.tenure.owner", DELETE, "areas.urban.categorical.tenure.owner"),
        ("areas.urban.categorical.tenure.landlord", 0.1, "areas.urban.categorical.tenure.landlord"),
        ("areas.rural.categorical.sanitation", DELETE, "areas.rural.categorical.sanitation"),
        ("areas.rural.categorical.roof", {}, "areas.rural.categorical.roof"),
        ("areas.rural.assets.car", DELETE, "areas.rural.assets.car"),
        ("areas.rural.assets.boat", 0.2, "areas.rural.assets.boat"),
        ("areas.rural.assets", [], "areas.rural.assets"),
        ("colour", "blue", "colour"),
    ],
)
def test_validation_names_the_key(path: str, value: object, key: str) -> None:
    with pytest.raises(IndexFormulaError) as info:
        IndexFormula.from_json(_with(path, value), "weights.json")
    assert info.value.key == key
    assert str(info.value).startswith(f"weights.json: {key}: ")
    assert isinstance(info.value, StoreError)


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_non_finite_weights_are_refused(bad: float) -> None:
    with pytest.raises(IndexFormulaError, match="finite"):
        IndexFormula.from_json(_with("areas.urban.assets.car", bad))


def test_not_an_object() -> None:
    with pytest.raises(IndexFormulaError, match="JSON object"):
        IndexFormula.from_json([1, 2])


def test_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(IndexFormulaError) as missing:
        IndexFormula.load(tmp_path / "absent.json")
    assert str(tmp_path / "absent.json") in str(missing.value)
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": 1,\n "version": }')
    with pytest.raises(IndexFormulaError, match=r"broken\.json: is not valid JSON \(line 2\)"):
        IndexFormula.load(broken)
    official = copy.deepcopy(_raw())
    official.update(version="authority-2026.1", illustrative=False, description="The weights in force.")
    path = tmp_path / "official.json"
    path.write_text(json.dumps(official))
    with caplog.at_level(logging.INFO, logger="registry_store"):
        formula = IndexFormula.load(path)
    assert formula.version == "authority-2026.1" and not formula.illustrative
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)
