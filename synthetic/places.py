"""Where synthetic people are born and live: provinces, communes and postal addresses."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from synthetic.reference import address_parts, provinces

ObjArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]

# Roughly one commune per 40,000 inhabitants (Morocco has ~1,500 communes for ~34 million).
_PEOPLE_PER_COMMUNE = 40_000
# Internal migration pulls people towards the big cities: residence provinces are drawn with
# population ** _MIGRATION_PULL instead of plain population.
_MIGRATION_PULL = 1.3
# Share of urban homes written "Résidence ..., Imm n Appt m" rather than "n Rue ...".
_APARTMENT_SHARE = 0.25


@dataclass(frozen=True)
class Places:
    """Province and commune tables as arrays, built once from the reference data."""

    codes: ObjArray
    birth_p: npt.NDArray[np.float64]
    migration_p: npt.NDArray[np.float64]
    amazigh_share: npt.NDArray[np.float64]
    hassani_share: npt.NDArray[np.float64]
    cities: ObjArray
    labels: ObjArray
    commune_offsets: IntArray
    commune_counts: IntArray
    urban_counts: IntArray
    commune_codes: ObjArray
    cin_offsets: IntArray
    cin_counts: IntArray
    cin_prefix_ids: IntArray
    cin_prefixes: ObjArray


def _label(kind: str, name: str) -> str:
    word = "Préfecture" if kind == "prefecture" else "Province"
    return f"{word} d'{name}" if name[:1] in "AEIOUÉ" else f"{word} de {name}"


@functools.cache
def places() -> Places:
    """The province tables used by the generators."""
    provs = provinces()
    pop = np.array([p.population for p in provs], dtype=np.float64)
    counts = np.maximum(4, np.round(pop / _PEOPLE_PER_COMMUNE)).astype(np.int64)
    urban = np.clip(np.round(counts * np.array([p.urban_share for p in provs])), 1, counts).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    commune_codes = np.array(
        [f"{p.code}.{k + 1:03d}" for p, c in zip(provs, counts, strict=True) for k in range(c)],
        dtype=object,
    )
    # CIN prefixes are indexed globally so two provinces sharing a letter share its numbers.
    unique_prefixes = list(dict.fromkeys(x for p in provs for x in p.cin_prefixes))
    prefix_index = {x: i for i, x in enumerate(unique_prefixes)}
    cin_counts = np.array([len(p.cin_prefixes) for p in provs], dtype=np.int64)
    cin_offsets = np.concatenate([[0], np.cumsum(cin_counts)[:-1]]).astype(np.int64)
    cin_prefix_ids = np.array([prefix_index[x] for p in provs for x in p.cin_prefixes], dtype=np.int64)
    migration = pop**_MIGRATION_PULL
    return Places(
        codes=np.array([p.code for p in provs], dtype=object),
        birth_p=pop / pop.sum(),
        migration_p=migration / migration.sum(),
        amazigh_share=np.array([p.amazigh_share for p in provs]),
        hassani_share=np.array([p.hassani_share for p in provs]),
        cities=np.array([p.city for p in provs], dtype=object),
        labels=np.array([_label(p.kind, p.name_fr) for p in provs], dtype=object),
        commune_offsets=offsets,
        commune_counts=counts,
        urban_counts=urban,
        commune_codes=commune_codes,
        cin_offsets=cin_offsets,
        cin_counts=cin_counts,
        cin_prefix_ids=cin_prefix_ids,
        cin_prefixes=np.array(unique_prefixes, dtype=object),
    )


def draw(rng: np.random.Generator, p: npt.NDArray[np.float64], size: int) -> IntArray:
    """Draw ``size`` indices with probabilities ``p`` (inverse CDF, faster than rng.choice)."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(p) - 1).astype(np.int64)


def sample_homes(rng: np.random.Generator, province: IntArray) -> tuple[ObjArray, ObjArray]:
    """Draw a commune and a postal address in each given province index."""
    pl = places()
    parts = address_parts()
    n = len(province)
    urban_share = pl.urban_counts[province] / pl.commune_counts[province]
    is_urban = rng.random(n) < urban_share
    n_urban = pl.urban_counts[province]
    n_rural = pl.commune_counts[province] - n_urban
    k = np.where(
        is_urban | (n_rural == 0),
        (rng.random(n) * n_urban).astype(np.int64),
        n_urban + (rng.random(n) * np.maximum(n_rural, 1)).astype(np.int64),
    )
    is_urban = k < n_urban
    communes = pl.commune_codes[pl.commune_offsets[province] + k]

    def pick(values: tuple[str, ...], size: int) -> ObjArray:
        table = np.array(values, dtype=object)
        return table[rng.integers(0, len(table), size)]

    numbers = np.array([str(i) for i in range(1, 301)], dtype=object)
    addresses = np.empty(n, dtype=object)
    urban_idx = np.flatnonzero(is_urban)
    flat = rng.random(len(urban_idx)) < _APARTMENT_SHARE
    street_idx, flat_idx = urban_idx[~flat], urban_idx[flat]
    m = len(street_idx)
    addresses[street_idx] = (
        numbers[rng.integers(0, 300, m)]
        + " "
        + pick(parts.street_types, m)
        + " "
        + pick(parts.street_names, m)
        + ", "
        + pick(parts.quarters, m)
        + ", "
        + pl.cities[province[street_idx]]
    )
    m = len(flat_idx)
    addresses[flat_idx] = (
        pick(parts.residences, m)
        + ", Imm "
        + numbers[rng.integers(0, 60, m)]
        + " Appt "
        + numbers[rng.integers(0, 30, m)]
        + ", "
        + pick(parts.quarters, m)
        + ", "
        + pl.cities[province[flat_idx]]
    )
    rural_idx = np.flatnonzero(~is_urban)
    m = len(rural_idx)
    addresses[rural_idx] = "Douar " + pick(parts.douar_stems, m) + ", " + pl.labels[province[rural_idx]]
    return communes, addresses
