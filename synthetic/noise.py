"""Duplicate records of existing people with controlled, documented noise."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from synthetic._args import check_rate, check_seed
from synthetic.errors import InvalidArgumentError
from synthetic.names import female_table, male_table, spelling_weights, surname_table
from synthetic.places import draw, places, sample_homes
from synthetic.population import digits
from synthetic.reference import NameEntry
from synthetic.schema import COLUMNS, INT_COLUMNS, REFERENCE_DATE, STRING_COLUMNS, frame
from synthetic.spelling import (
    arabic_typo,
    arabic_variants,
    compound_variants,
    keyboard_typo,
    particle_forms,
)

__all__ = [
    "COPIES_PROBABILITIES",
    "NOISE_KINDS",
    "NOISE_PROBABILITIES",
    "Duplicates",
    "add_duplicates",
    "make_duplicates",
]

IntArray = npt.NDArray[np.int64]

_SALT = 0x4E4F4953

# Each duplicate record draws every kind independently with this probability. A kind that
# does not apply to the record (a simple first name for "compound", a day above 12 for
# "day_month_swap", ...) leaves it unchanged and is not logged. A duplicate that draws no kind
# is an exact copy: double registrations happen. Conflicts: "latin_missing" cancels the
# Latin-spelling kinds (transliteration, particle, compound, typo) and "arabic_missing";
# "arabic_missing" cancels the Arabic-spelling kinds; "year_only" cancels "day_month_swap".
NOISE_PROBABILITIES: Mapping[str, float] = MappingProxyType(
    {
        # another Latin transcription of the first, last or father's name (Mohammed → Mohamed)
        "transliteration": 0.40,
        # the surname's particle rewritten (El Alaoui ↔ Alaoui ↔ Elalaoui, Ben Ali ↔ Benali)
        "particle": 0.25,
        # compound given name joined, hyphenated, split or shortened (Fatima Zahra → Fatimazahra)
        "compound": 0.30,
        # one AZERTY typing error in the first or last Latin name
        "typo": 0.20,
        # Arabic orthographic variant (أ/إ/آ → ا, ة → ه, ى ↔ ي, عبد القادر → عبدالقادر, العلوي → علوي)
        "arabic_variant": 0.30,
        # one Arabic typing error (letters that differ by dots, Persian-layout ی / ک)
        "arabic_typo": 0.05,
        # Latin names dropped: only the Arabic ones are left
        "latin_missing": 0.04,
        # Arabic names dropped: only the Latin ones are left
        "arabic_missing": 0.04,
        # first and last names swapped (both scripts)
        "name_swap": 0.03,
        # day and month swapped, only for full dates with day <= 12 and day != month
        "day_month_swap": 0.05,
        # full or year-month date reduced to the year
        "year_only": 0.06,
        # year-only date stored as 01/01 of that year
        "jan1_default": 0.25,
        # one digit of the year off (mostly the last digit by one)
        "year_off": 0.05,
        "missing_phone": 0.25,
        "missing_cin": 0.10,
        # father's and/or mother's names dropped
        "missing_parents": 0.15,
        # registered at another address (new commune and address)
        "moved": 0.20,
    }
)
NOISE_KINDS: tuple[str, ...] = tuple(NOISE_PROBABILITIES)

# A person chosen for duplication gets 1, 2 or 3 duplicate records with these probabilities.
COPIES_PROBABILITIES: tuple[float, ...] = (0.85, 0.12, 0.03)

_LATIN_KINDS = ("transliteration", "particle", "compound", "typo")
_ARABIC_KINDS = ("arabic_variant", "arabic_typo")
_RECORD_ID = r"r\d{1,18}"


@dataclass(frozen=True)
class Duplicates:
    """Records with duplicates added, the truth, and which noise each duplicate received.

    ``noise`` has one row per (duplicate record, applied kind): columns ``record_id``,
    ``source_record_id`` (the record it was copied from) and ``kind``.
    """

    records: pd.DataFrame
    truth: pd.DataFrame
    noise: pd.DataFrame


def add_duplicates(people: pd.DataFrame, rate: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add noisy duplicate records of a ``rate`` fraction of ``people``.

    Returns ``(records, truth)``: ``records`` is ``people`` followed by the new records (new
    ``record_id``, same ``entity_id``); ``truth`` has ``record_id`` and ``entity_id`` for every
    record. Noise kinds and their probabilities are in ``NOISE_PROBABILITIES``.
    """
    result = make_duplicates(people, rate, seed)
    return result.records, result.truth


def make_duplicates(people: pd.DataFrame, rate: float, seed: int) -> Duplicates:
    """Like ``add_duplicates``, also returning the log of the noise applied."""
    if not isinstance(people, pd.DataFrame):
        raise InvalidArgumentError("people", f"must be a pandas DataFrame, got {type(people)}")
    missing = [c for c in COLUMNS if c not in people.columns]
    if missing:
        raise InvalidArgumentError("people", f"missing columns {missing}")
    rate = check_rate("rate", rate)
    seed = check_seed("seed", seed)
    rng = np.random.default_rng([seed, _SALT])
    people = people.loc[:, list(COLUMNS)].reset_index(drop=True)
    n = len(people)

    chosen = rng.choice(n, size=round(rate * n), replace=False) if n else np.zeros(0, np.int64)
    copies = draw(rng, np.array(COPIES_PROBABILITIES), len(chosen)) + 1
    source = rng.permutation(np.repeat(chosen, copies)).astype(np.int64)
    m = len(source)

    batch = _Batch(people, source, random.Random(int(rng.integers(2**63))))
    drawn = {kind: rng.random(m) < p for kind, p in NOISE_PROBABILITIES.items()}
    for kind in (*_LATIN_KINDS, "arabic_missing"):
        drawn[kind] &= ~drawn["latin_missing"]
    for kind in _ARABIC_KINDS:
        drawn[kind] &= ~drawn["arabic_missing"]
    drawn["day_month_swap"] &= ~drawn["year_only"]
    year_only_before = batch.text["birth_precision"] == "year"

    log_rows: list[IntArray] = []
    log_kinds: list[str] = []
    for kind, apply in _APPLY.items():
        rows = np.flatnonzero(drawn[kind])
        if kind == "jan1_default":
            rows = rows[year_only_before[rows]]  # not dates that "year_only" just produced
        changed = np.asarray(apply(batch, rows), dtype=np.int64)
        log_rows.append(changed)
        log_kinds += [kind] * len(changed)

    new_ids = _new_record_ids(people["record_id"], m)
    batch.text["record_id"] = new_ids
    duplicates = frame({**batch.text, **batch.ints})
    records = pd.concat([people, duplicates], ignore_index=True)
    truth = records.loc[:, ["record_id", "entity_id"]].copy()
    logged = np.concatenate(log_rows) if log_rows else np.zeros(0, np.int64)
    noise = pd.DataFrame(
        {
            "record_id": pd.Series(new_ids[logged], dtype=str),
            "source_record_id": pd.Series(people["record_id"].iloc[source[logged]].to_numpy(dtype=object), dtype=str),
            "kind": pd.Series(np.array(log_kinds, dtype=object), dtype=str),
        }
    )
    return Duplicates(records=records, truth=truth, noise=noise)


def _new_record_ids(existing: pd.Series, count: int) -> npt.NDArray[np.object_]:
    """Ids after the largest existing ``r<digits>`` id, so they cannot collide with any."""
    ids = existing.astype(str)
    numbers = ids[ids.str.fullmatch(_RECORD_ID)].str.slice(1)
    start = int(numbers.astype(np.int64).max()) + 1 if len(numbers) else 1
    width = max(7, len(str(start + count)))
    return "r" + digits(np.arange(start, start + count, dtype=np.int64), width)


class _Batch:
    """Columns of the duplicate records being edited, as numpy arrays."""

    def __init__(self, people: pd.DataFrame, source: IntArray, rnd: random.Random) -> None:
        rows = people.iloc[source]
        self.text = {c: rows[c].to_numpy(dtype=object, copy=True) for c in STRING_COLUMNS}
        self.ints = {c: rows[c].to_numpy(dtype=np.int64, copy=True) for c in INT_COLUMNS}
        self.rnd = rnd
        self.first_names: dict[str, NameEntry] = {**male_table().by_arabic, **female_table().by_arabic}
        self.surnames = surname_table().by_arabic

    def choose(self, options: Mapping[str, float]) -> str | None:
        """A field drawn with the given weights among the usable ones, or None."""
        if not options:
            return None
        return self.rnd.choices(list(options), list(options.values()))[0]


def _other(
    rnd: random.Random, options: tuple[str, ...], current: str, weights: npt.NDArray[np.float64] | None = None
) -> str | None:
    """A random option different from ``current``, or None."""
    pairs = [
        (o, 1.0 if weights is None else float(w))
        for o, w in zip(options, weights if weights is not None else options, strict=True)
        if o != current
    ]
    if not pairs:
        return None
    return rnd.choices([o for o, _ in pairs], [w for _, w in pairs])[0]


_TRANSLITERATION_FIELDS = {  # Latin field: (Arabic field, weight)
    "first_name_latin": ("first_name_arabic", 0.55),
    "last_name_latin": ("last_name_arabic", 0.35),
    "father_first_name_latin": ("father_first_name_arabic", 0.10),
}


def _transliteration(b: _Batch, rows: IntArray) -> list[int]:
    tables = {
        "first_name_latin": b.first_names,
        "last_name_latin": b.surnames,
        "father_first_name_latin": male_table().by_arabic,
    }
    changed = []
    for r in rows:
        entries: dict[str, NameEntry] = {}
        for latin_field, (arabic_field, _) in _TRANSLITERATION_FIELDS.items():
            e = tables[latin_field].get(b.text[arabic_field][r])
            if e is not None and len(e.latin) > 1 and b.text[latin_field][r]:
                entries[latin_field] = e
        field = b.choose({f: _TRANSLITERATION_FIELDS[f][1] for f in entries})
        if field is None:
            continue
        e = entries[field]
        new = _other(b.rnd, e.latin, b.text[field][r], spelling_weights(len(e.latin)))
        if new is not None:
            b.text[field][r] = new
            changed.append(int(r))
    return changed


def _particle(b: _Batch, rows: IntArray) -> list[int]:
    changed = []
    col = b.text["last_name_latin"]
    for r in rows:
        e = b.surnames.get(b.text["last_name_arabic"][r])
        if e is None or e.particle is None or e.stem is None or not col[r]:
            continue
        new = _other(b.rnd, particle_forms(e.particle, e.stem), col[r])
        if new is not None:
            col[r] = new
            changed.append(int(r))
    return changed


def _compound(b: _Batch, rows: IntArray) -> list[int]:
    changed = []
    col = b.text["first_name_latin"]
    for r in rows:
        options = compound_variants(col[r]) if col[r] else ()
        if options:
            col[r] = b.rnd.choice(options)
            changed.append(int(r))
    return changed


def _typo(b: _Batch, rows: IntArray) -> list[int]:
    changed = []
    weights = {"first_name_latin": 0.55, "last_name_latin": 0.45}
    for r in rows:
        field = b.choose({f: w for f, w in weights.items() if b.text[f][r]})
        if field is None:
            continue
        new = keyboard_typo(b.text[field][r], b.rnd)
        if new != b.text[field][r]:
            b.text[field][r] = new
            changed.append(int(r))
    return changed


_ARABIC_FIELDS = {  # field: weight
    "first_name_arabic": 0.35,
    "last_name_arabic": 0.35,
    "father_first_name_arabic": 0.15,
    "mother_first_name_arabic": 0.15,
}


def _arabic_variant(b: _Batch, rows: IntArray) -> list[int]:
    changed = []
    for r in rows:
        options: dict[str, tuple[str, ...]] = {}
        for arabic_field in _ARABIC_FIELDS:
            value = b.text[arabic_field][r]
            entry = b.surnames.get(value) if arabic_field == "last_name_arabic" else None
            variants = arabic_variants(value, entry.particle if entry else None) if value else ()
            if variants:
                options[arabic_field] = variants
        field = b.choose({f: _ARABIC_FIELDS[f] for f in options})
        if field is not None:
            b.text[field][r] = b.rnd.choice(options[field])
            changed.append(int(r))
    return changed


def _arabic_typo(b: _Batch, rows: IntArray) -> list[int]:
    changed = []
    weights = {"first_name_arabic": 0.5, "last_name_arabic": 0.5}
    for r in rows:
        field = b.choose({f: w for f, w in weights.items() if b.text[f][r]})
        if field is None:
            continue
        new = arabic_typo(b.text[field][r], b.rnd)
        if new != b.text[field][r]:
            b.text[field][r] = new
            changed.append(int(r))
    return changed


def _blank(b: _Batch, rows: IntArray, fields: tuple[str, ...], keep: tuple[str, ...]) -> list[int]:
    """Blank ``fields`` where one is set, unless that would leave no name in ``keep``."""
    changed = []
    for r in rows:
        if any(b.text[f][r] for f in fields) and any(b.text[f][r] for f in keep):
            for f in fields:
                b.text[f][r] = ""
            changed.append(int(r))
    return changed


def _latin_missing(b: _Batch, rows: IntArray) -> list[int]:
    latin = tuple(f.replace("_arabic", "_latin") for f in _ARABIC_FIELDS)
    return _blank(b, rows, latin, ("first_name_arabic", "last_name_arabic"))


def _arabic_missing(b: _Batch, rows: IntArray) -> list[int]:
    return _blank(b, rows, tuple(_ARABIC_FIELDS), ("first_name_latin", "last_name_latin"))


def _name_swap(b: _Batch, rows: IntArray) -> list[int]:
    changed = []
    t = b.text
    for r in rows:
        pairs = (("first_name_latin", "last_name_latin"), ("first_name_arabic", "last_name_arabic"))
        if all(t[a][r] == t[z][r] for a, z in pairs):
            continue
        for a, z in pairs:
            t[a][r], t[z][r] = t[z][r], t[a][r]
        changed.append(int(r))
    return changed


def _day_month_swap(b: _Batch, rows: IntArray) -> list[int]:
    day, month = b.ints["birth_day"], b.ints["birth_month"]
    full = b.text["birth_precision"][rows] == "full"
    ok = rows[full & (day[rows] <= 12) & (day[rows] != month[rows])]
    day[ok], month[ok] = month[ok], day[ok].copy()
    return ok.tolist()


def _year_only(b: _Batch, rows: IntArray) -> list[int]:
    precision = b.text["birth_precision"]
    ok = rows[np.isin(precision[rows], ["full", "year_month"])]
    precision[ok] = "year"
    b.ints["birth_month"][ok] = 0
    b.ints["birth_day"][ok] = 0
    return ok.tolist()


def _jan1_default(b: _Batch, rows: IntArray) -> list[int]:
    precision = b.text["birth_precision"]
    ok = rows[(precision[rows] == "year") & (b.ints["birth_year"][rows] > 0)]
    precision[ok] = "full"
    b.ints["birth_month"][ok] = 1
    b.ints["birth_day"][ok] = 1
    return ok.tolist()


def _year_off(b: _Batch, rows: IntArray) -> list[int]:
    year, month, day = b.ints["birth_year"], b.ints["birth_month"], b.ints["birth_day"]
    changed = []
    for r in rows:
        y = int(year[r])
        if y <= 0:
            continue
        # Mostly the last digit by one, sometimes the tens digit by one; never a digit wrapping
        # round (1979 → 1980 changes two digits) nor a year after the reference date.
        step = 10 if b.rnd.random() < 0.2 else 1
        digit = (y // step) % 10
        sign = -1 if digit == 9 else 1 if digit == 0 else b.rnd.choice((-1, 1))
        new = y + sign * step
        if new > REFERENCE_DATE.year - 1:
            new = y - step if (y // step) % 10 != 0 else y
        if new == y:
            continue
        year[r] = new
        if month[r] == 2 and day[r] == 29 and not _leap(new):
            day[r] = 28
        changed.append(int(r))
    return changed


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _missing_field(field: str) -> Callable[[_Batch, IntArray], list[int]]:
    def apply(b: _Batch, rows: IntArray) -> list[int]:
        col = b.text[field]
        ok = rows[col[rows] != ""]
        col[ok] = ""
        return ok.tolist()

    return apply


def _missing_parents(b: _Batch, rows: IntArray) -> list[int]:
    father = ("father_first_name_latin", "father_first_name_arabic")
    mother = ("mother_first_name_latin", "mother_first_name_arabic")
    changed = []
    for r in rows:
        u = b.rnd.random()
        fields = father + mother if u < 0.6 else father if u < 0.8 else mother
        if any(b.text[f][r] for f in fields):
            for f in fields:
                b.text[f][r] = ""
            changed.append(int(r))
    return changed


def _moved(b: _Batch, rows: IntArray) -> list[int]:
    if len(rows) == 0:
        return []
    seed = b.rnd.getrandbits(64)
    rng = np.random.default_rng(seed)
    communes, addresses = sample_homes(rng, draw(rng, places().migration_p, len(rows)))
    ok = addresses != b.text["address"][rows]
    b.text["commune_code"][rows[ok]] = communes[ok]
    b.text["address"][rows[ok]] = addresses[ok]
    return rows[ok].tolist()


# Application order: blanks first, so that a later kind never erases a logged change; then
# spellings, the name swap, dates, and the other fields.
_APPLY: dict[str, Callable[[_Batch, IntArray], list[int]]] = {
    "missing_parents": _missing_parents,
    "latin_missing": _latin_missing,
    "arabic_missing": _arabic_missing,
    "transliteration": _transliteration,
    "particle": _particle,
    "compound": _compound,
    "typo": _typo,
    "arabic_variant": _arabic_variant,
    "arabic_typo": _arabic_typo,
    "name_swap": _name_swap,
    "year_only": _year_only,
    "day_month_swap": _day_month_swap,
    "jan1_default": _jan1_default,
    "year_off": _year_off,
    "missing_phone": _missing_field("phone"),
    "missing_cin": _missing_field("cin"),
    "moved": _moved,
}
