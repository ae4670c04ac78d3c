"""The socio-economic index: a linear proxy-means formula whose weights are data, in a versioned JSON file.

The RSU ranks households by a socio-economic index computed from the variables collected about
them, and programmes compare it with their eligibility thresholds. The real formula is set by
the authority, so here it is data: an `IndexFormula` is loaded from a JSON file, validated key by
key, and its `version` is stored with every index it computes, so that any index can be traced
to the weights that produced it and a change of weights is visible. The file shipped in the
package (`data/rsu_index_v1.json`) is ILLUSTRATIVE ONLY; it says so in its "illustrative" flag,
and loading it logs a warning.

With the weights of the household's area (urban or rural) and n members::

    index = intercept
          + log_household_size      * ln(n)
          + rooms_per_person        * min(rooms / n, rooms_per_person_cap)
          + log_expenses_per_person * ln(1 + monthly_expenses_mad / n)
          + categorical[v][value of v]   for v in dwelling_type, tenure, water_source,
                                         electricity, sanitation, cooking_fuel
          + assets[a]                    for each asset a owned, in the Asset enum's order

rounded to 6 decimals. The terms are added in this fixed order, so the same inputs give the same
value on every machine.

File format 1::

    {"format": 1, "version": "name-1", "illustrative": false, "description": "...",
     "rooms_per_person_cap": 3.0,
     "areas": {"urban": AREA, "rural": AREA}}

    AREA = {"intercept": x, "log_household_size": x, "rooms_per_person": x,
            "log_expenses_per_person": x,
            "categorical": {variable: {value: weight, ...}, ...},
            "assets": {asset: weight, ...}}

Every key is required and no other is allowed, every categorical variable must weigh each of
its values and every asset must be weighed, so a typo can never silently weigh 0.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from registry_store.errors import IndexFormulaError, InvalidField
from registry_store.social_model import CATEGORICAL_VARIABLES, Area, Asset, SocioEconomicVariables

__all__ = [
    "DEFAULT_FORMULA_FILE",
    "FORMAT_VERSION",
    "FORMULA_VERSION_MAX_LENGTH",
    "AreaWeights",
    "IndexFormula",
]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_FORMULA_FILE = "rsu_index_v1.json"
FORMULA_VERSION_MAX_LENGTH = 64
INDEX_DECIMALS = 6

_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOP_KEYS = ("format", "version", "illustrative", "description", "rooms_per_person_cap", "areas")
_SCALARS = ("intercept", "log_household_size", "rooms_per_person", "log_expenses_per_person")
_AREA_KEYS = (*_SCALARS, "categorical", "assets")


@dataclass(frozen=True, slots=True)
class AreaWeights:
    """The weights of one area (urban or rural)."""

    intercept: float
    log_household_size: float
    rooms_per_person: float
    log_expenses_per_person: float
    categorical: Mapping[str, Mapping[str, float]]  # variable -> value -> weight
    assets: Mapping[str, float]  # asset -> weight


@dataclass(frozen=True, slots=True)
class IndexFormula:
    """A validated index formula; build it with `load`, `from_json` or `default`."""

    version: str
    description: str
    illustrative: bool
    rooms_per_person_cap: float
    areas: Mapping[Area, AreaWeights]

    def compute(self, variables: SocioEconomicVariables, area: Area, members: int) -> float:
        """The index of a household of `members` persons in `area` with these variables."""
        if not isinstance(variables, SocioEconomicVariables):
            raise InvalidField("variables", "must be SocioEconomicVariables")
        if not isinstance(area, Area):
            raise InvalidField("residence.area", "must be an Area")
        if not isinstance(members, int) or isinstance(members, bool) or members < 1:
            raise InvalidField("members", "the index needs at least one member")
        w = self.areas[area]
        value = w.intercept
        value += w.log_household_size * math.log(members)
        value += w.rooms_per_person * min(variables.rooms / members, self.rooms_per_person_cap)
        value += w.log_expenses_per_person * math.log1p(variables.monthly_expenses_mad / members)
        for name in CATEGORICAL_VARIABLES:
            value += w.categorical[name][getattr(variables, name).value]
        for asset in Asset:
            if asset in variables.assets:
                value += w.assets[asset.value]
        # round() of a float is correctly rounded, and +0.0 folds a -0.0 result.
        return round(value, INDEX_DECIMALS) + 0.0

    def to_json(self) -> dict[str, Any]:
        """The formula in file format 1 (`from_json(f.to_json())` gives `f` back)."""
        return {
            "format": FORMAT_VERSION,
            "version": self.version,
            "illustrative": self.illustrative,
            "description": self.description,
            "rooms_per_person_cap": self.rooms_per_person_cap,
            "areas": {
                area.value: {
                    **{name: getattr(w, name) for name in _SCALARS},
                    "categorical": {v: dict(values) for v, values in w.categorical.items()},
                    "assets": dict(w.assets),
                }
                for area, w in self.areas.items()
            },
        }

    @classmethod
    def from_json(cls, data: object, source: str = "index formula") -> IndexFormula:
        """Validate parsed JSON; IndexFormulaError names `source` and the offending key."""
        top = _object(data, source, "", _TOP_KEYS)
        if top["format"] != FORMAT_VERSION or isinstance(top["format"], bool):
            raise IndexFormulaError(source, "format", f"must be {FORMAT_VERSION}")
        version = top["version"]
        if not isinstance(version, str) or _VERSION.fullmatch(version) is None:
            raise IndexFormulaError(
                source, "version", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if not isinstance(top["illustrative"], bool):
            raise IndexFormulaError(source, "illustrative", "must be true or false")
        if not isinstance(top["description"], str) or not top["description"].strip():
            raise IndexFormulaError(source, "description", "must be a non-empty string")
        cap = _number(top["rooms_per_person_cap"], source, "rooms_per_person_cap")
        if cap <= 0:
            raise IndexFormulaError(source, "rooms_per_person_cap", "must be greater than 0")
        areas = _object(top["areas"], source, "areas", tuple(a.value for a in Area))
        return cls(
            version=version,
            description=top["description"],
            illustrative=top["illustrative"],
            rooms_per_person_cap=cap,
            areas=MappingProxyType({a: _area(areas[a.value], source, f"areas.{a.value}") for a in Area}),
        )

    @classmethod
    def load(cls, path: Path) -> IndexFormula:
        """Read and validate a formula file; IndexFormulaError names the path and the key."""
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexFormulaError(source, "", f"cannot be read ({type(exc).__name__})") from exc
        return cls._parse(text, source)

    @classmethod
    def default(cls) -> IndexFormula:
        """The ILLUSTRATIVE formula shipped in the package (data/rsu_index_v1.json)."""
        resource = resources.files("registry_store") / "data" / DEFAULT_FORMULA_FILE
        return cls._parse(resource.read_text(encoding="utf-8"), f"registry_store/data/{DEFAULT_FORMULA_FILE}")

    @classmethod
    def _parse(cls, text: str, source: str) -> IndexFormula:
        try:
            data = json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise IndexFormulaError(source, "", f"is not valid JSON (line {line})") from None
        formula = cls.from_json(data, source)
        if formula.illustrative:
            logger.warning(
                "socio-economic index formula %s is ILLUSTRATIVE, not the authority's: set HAWIYA_RSU_INDEX_FORMULA",
                formula.version,
            )
        else:
            logger.info("socio-economic index formula %s loaded from %s", formula.version, source)
        return formula


def _object(value: object, source: str, key: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """`value` as a JSON object with exactly `keys`."""
    where = key or "(top level)"
    if not isinstance(value, dict):
        raise IndexFormulaError(source, where, "must be a JSON object")
    prefix = f"{key}." if key else ""
    for name in keys:
        if name not in value:
            raise IndexFormulaError(source, prefix + name, "is missing")
    for name in value:
        if name not in keys:
            raise IndexFormulaError(source, prefix + str(name), f"is not a known key; expected {', '.join(keys)}")
    return value


def _number(value: object, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise IndexFormulaError(source, key, "must be a finite number")
    return float(value)


def _weights(value: object, source: str, key: str, names: tuple[str, ...]) -> Mapping[str, float]:
    table = _object(value, source, key, names)
    return MappingProxyType({name: _number(table[name], source, f"{key}.{name}") for name in names})


def _area(value: object, source: str, key: str) -> AreaWeights:
    area = _object(value, source, key, _AREA_KEYS)
    categorical = _object(area["categorical"], source, f"{key}.categorical", tuple(CATEGORICAL_VARIABLES))
    return AreaWeights(
        **{name: _number(area[name], source, f"{key}.{name}") for name in _SCALARS},
        categorical=MappingProxyType(
            {
                variable: _weights(
                    categorical[variable],
                    source,
                    f"{key}.categorical.{variable}",
                    tuple(member.value for member in enum_type),
                )
                for variable, enum_type in CATEGORICAL_VARIABLES.items()
            }
        ),
        assets=_weights(area["assets"], source, f"{key}.assets", tuple(a.value for a in Asset)),
    )
