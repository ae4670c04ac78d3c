"""Blocking rules: JSON round trip, pairs against a brute-force reference, the block cap, linking."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.blocking import (
    DEFAULT_RULES,
    BlockIndex,
    BlockingRule,
    RecordBatch,
    block_pairs,
    rule_keys,
    rules_from_json,
    rules_to_json,
)
from indexer.errors import BlockingRuleError, IndexerError, RecordsError
from matcher.phonetic import phonetic_key

ROOT = Path(__file__).resolve().parents[2]

FIRST = [("Mohammed", "محمد"), ("Mohamed", "محمد"), ("Fatima Zahra", "فاطمة الزهراء"), ("Fatimazahra", ""),
         ("Youssef", "يوسف"), ("Yousef", ""), ("Khadija", "خديجة"), ("", "خديجة"), ("Hamid", "حميد")]  # fmt: skip
LAST = [("El Alaoui", "العلوي"), ("Alaoui", "العلوي"), ("Bennani", "بناني"), ("Ben Ali", "بن علي"),
        ("Benali", ""), ("Tazi", "التازي"), ("", "التازي"), ("Idrissi", "الإدريسي")]  # fmt: skip
FATHER = [("Ahmed", "أحمد"), ("Ahmad", ""), ("Mohammed", "محمد"), ("", ""), ("Driss", "إدريس")]


def small_records(n: int, seed: int) -> dict[str, list[Any]]:
    """Records drawn from small pools, so that blocks of every size occur."""
    rnd = random.Random(seed)
    cols: dict[str, list[Any]] = defaultdict(list)
    for _ in range(n):
        first, last, father = rnd.choice(FIRST), rnd.choice(LAST), rnd.choice(FATHER)
        if rnd.random() < 0.1:
            first, last = last, first
        cols["first_name_latin"].append(first[0])
        cols["first_name_arabic"].append(first[1])
        cols["last_name_latin"].append(last[0])
        cols["last_name_arabic"].append(last[1])
        cols["father_first_name_latin"].append(father[0])
        cols["father_first_name_arabic"].append(father[1])
        precision = rnd.choice(["full", "full", "full", "year", "unknown"])
        year = 0 if precision == "unknown" else rnd.choice([1980, 1981, 1990])
        month = rnd.randint(1, 3) if precision == "full" else 0
        day = rnd.randint(1, 3) if precision == "full" else 0
        cols["birth_year"].append(year)
        cols["birth_month"].append(month)
        cols["birth_day"].append(day)
        cols["birth_precision"].append(precision)
        cols["cin"].append(rnd.choice(["", "", "AB123", "ab 123", "CD9", "EE1", None]))
    return dict(cols)


def _term_values(term: str, rec: dict[str, Any]) -> set[Any]:
    """Plain-Python values of one key term for one record: the reference."""

    def names(field: str) -> set[str]:
        found = set()
        for script in ("latin", "arabic"):
            value = rec.get(f"{field}_{script}")
            if isinstance(value, str) and phonetic_key(value):
                found.add(phonetic_key(value))
        return found

    y, m, d = rec["birth_year"], rec["birth_month"], rec["birth_day"]
    full = rec["birth_precision"] == "full" and y > 0 and m > 0 and d > 0
    if term.startswith("phonetic_set("):
        a, b = term[len("phonetic_set(") : -1].split(",")
        return {tuple(sorted((x, z))) for x in names(a) for z in names(b)}
    if term.startswith("phonetic("):
        return names(term[len("phonetic(") : -1])
    if term.startswith("exact("):
        value = rec[term[len("exact(") : -1]]
        text = "".join(value.split()).upper() if isinstance(value, str) else ""
        return {text} if text else set()
    if term == "birth_year":
        return {y} if y > 0 else set()
    if term == "birth_date":
        return {(y, min(m, d), max(m, d))} if full else set()
    if term == "birth_day_month":
        return {(min(m, d), max(m, d))} if full else set()
    raise AssertionError(term)


def reference_pairs(rules: tuple[BlockingRule, ...], cols: dict[str, list[Any]]) -> dict[tuple[int, int], int]:
    n = len(cols["birth_year"])
    out: dict[tuple[int, int], int] = defaultdict(int)
    for k, rule in enumerate(rules):
        blocks: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        for i in range(n):
            rec = {c: v[i] for c, v in cols.items()}
            for key in itertools.product(*(_term_values(t, rec) for t in rule.keys)):
                blocks[key].add(i)
        for members in blocks.values():
            if 2 <= len(members) <= rule.max_block_size:
                for i, j in itertools.combinations(sorted(members), 2):
                    out[(i, j)] |= 1 << k
    return dict(out)


RULES_UNDER_TEST = (
    *DEFAULT_RULES,
    BlockingRule("year_capped", ("birth_year",), max_block_size=60),
    BlockingRule("names_first", ("phonetic(first_name)", "phonetic(last_name)")),
)


def test_rules_round_trip_through_json() -> None:
    text = rules_to_json(RULES_UNDER_TEST)
    assert rules_from_json(text) == RULES_UNDER_TEST
    assert json.loads(text)[0] == {"name": "names+date", "keys": list(DEFAULT_RULES[0].keys), "max_block_size": 100}
    assert BlockingRule.from_dict({"name": "x", "keys": ["birth_year"]}).max_block_size == 100


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "r", "keys": ["soundex(first_name)"]}, "unknown key function 'soundex'"),
        ({"name": "r", "keys": ["phonetic(address)"]}, "'address' in 'phonetic(address)' is not a name field"),
        ({"name": "r", "keys": ["phonetic(first_name, last_name)"]}, "phonetic takes 1 argument(s), got 2"),
        ({"name": "r", "keys": ["birth_year("]}, "cannot read key term"),
        ({"name": "r", "keys": []}, "'keys' must be a non-empty list"),
        ({"name": "r", "keys": "birth_year"}, "'keys' must be a non-empty list"),
        ({"name": "r", "keys": ["birth_year"], "max_block_size": 1}, "max_block_size must be an integer ≥ 2"),
        ({"name": "r", "keys": ["birth_year"], "cap": 3}, "unknown keys ['cap']"),
        ({"keys": ["birth_year"]}, "'name' and 'keys' are required"),
        ({"name": 3, "keys": ["birth_year"]}, "the name must be a string"),
    ],
)
def test_invalid_rules_are_refused_naming_the_rule(data: dict[str, Any], message: str) -> None:
    with pytest.raises(BlockingRuleError) as caught:
        BlockingRule.from_dict(data)
    assert message in str(caught.value)
    assert isinstance(caught.value, IndexerError)


def test_rule_sets_must_have_distinct_names_and_valid_json() -> None:
    rule = BlockingRule("r", ("birth_year",))
    with pytest.raises(BlockingRuleError, match="repeated: \\['r'\\]"):
        rules_from_json(rules_to_json([rule, rule]))
    with pytest.raises(BlockingRuleError, match="not valid JSON"):
        rules_from_json("[{")
    with pytest.raises(BlockingRuleError, match="must be a JSON list"):
        rules_from_json("{}")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pairs_match_a_brute_force_reference(seed: int) -> None:
    cols = small_records(400, seed)
    got = block_pairs(cols, RULES_UNDER_TEST)
    expected = reference_pairs(RULES_UNDER_TEST, cols)
    assert np.all(got.left < got.right)
    codes = got.left * 400 + got.right
    assert len(np.unique(codes)) == len(codes)
    assert dict(zip(zip(got.left.tolist(), got.right.tolist(), strict=True), got.sources.tolist(), strict=True)) == (
        expected
    )


def test_block_cap_skips_large_blocks_and_counts_them() -> None:
    n = 12
    cols = small_records(n, 0)
    cols["birth_year"] = [1980] * 5 + [1990] * 4 + [2000] * 2 + [0]
    rules = (BlockingRule("year", ("birth_year",), max_block_size=4),)
    got = block_pairs(cols, rules)
    pairs = set(zip(got.left.tolist(), got.right.tolist(), strict=True))
    assert pairs == {*itertools.combinations(range(5, 9), 2), (9, 10)}
    (stats,) = got.stats
    assert (stats.blocks, stats.pairs) == (2, 7)
    assert (stats.skipped_blocks, stats.skipped_entries, stats.skipped_pairs) == (1, 5, 10)
    assert stats.keyed_rows == 11
    assert got.skipped_rows == 5


def test_missing_values_never_block_together() -> None:
    cols = {
        "first_name_latin": ["", "", "Ali"],
        "last_name_latin": ["", "", "Tazi"],
        "cin": ["", None, "X1"],
        "birth_year": [0, 0, 1980],
        "birth_month": [0, 0, 1],
        "birth_day": [0, 0, 2],
    }
    rules = (
        BlockingRule("names", ("phonetic_set(first_name,last_name)",)),
        BlockingRule("cin", ("exact(cin)",)),
        BlockingRule("year", ("birth_year",)),
        BlockingRule("date", ("birth_date",)),
    )
    assert len(block_pairs(cols, rules)) == 0


def test_date_keys_forgive_a_day_month_swap_and_need_a_full_date() -> None:
    cols = {
        "birth_year": [1980, 1980, 1981, 1980],
        "birth_month": [3, 7, 3, 3],
        "birth_day": [7, 3, 7, 7],
        "birth_precision": ["full", "full", "full", "year_month"],
    }
    date = block_pairs(cols, (BlockingRule("d", ("birth_date",)),))
    assert list(zip(date.left.tolist(), date.right.tolist(), strict=True)) == [(0, 1)]
    day_month = block_pairs(cols, (BlockingRule("dm", ("birth_day_month",)),))
    assert list(zip(day_month.left.tolist(), day_month.right.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2)]


def test_names_meet_across_scripts_and_swapped() -> None:
    cols = {
        "first_name_latin": ["Mohammed", "", "El Alaoui"],
        "first_name_arabic": ["", "محمد", ""],
        "last_name_latin": ["El Alaoui", "", "Mohamed"],
        "last_name_arabic": ["", "العلوي", ""],
    }
    got = block_pairs(cols, (BlockingRule("n", ("phonetic_set(first_name,last_name)",)),))
    assert len(got) == 3


def test_records_errors_name_the_column() -> None:
    with pytest.raises(RecordsError, match="column 'birth_year': missing"):
        block_pairs({"first_name_latin": ["a"]}, (BlockingRule("y", ("birth_year",)),))
    with pytest.raises(RecordsError, match="column 'first_name'"):
        block_pairs({"birth_year": [1]}, (BlockingRule("f", ("phonetic(first_name)",)),))
    with pytest.raises(RecordsError, match="has 1 values where other columns have 2"):
        block_pairs({"birth_year": [1, 2], "cin": ["a"]}, (BlockingRule("c", ("exact(cin)", "birth_year")),))
    with pytest.raises(RecordsError, match="column 'birth_year': must hold integers"):
        block_pairs({"birth_year": ["abc"]}, (BlockingRule("y", ("birth_year",)),))
    with pytest.raises(RecordsError, match="mapping of column name"):
        RecordBatch([1, 2])  # type: ignore[arg-type]


def test_a_dataframe_works_as_records() -> None:
    pd = pytest.importorskip("pandas")
    cols = small_records(50, 4)
    assert block_pairs(pd.DataFrame(cols), DEFAULT_RULES).sources.tolist() == (
        block_pairs(cols, DEFAULT_RULES).sources.tolist()
    )


def test_keys_are_the_same_in_another_process() -> None:
    cols = small_records(60, 5)
    rule = DEFAULT_RULES[0]
    rows, keys = rule_keys(rule, cols)
    code = (
        "import json, sys; from indexer.blocking import rule_keys, BlockingRule; "
        "cols = json.loads(sys.stdin.read()); "
        f"rows, keys = rule_keys(BlockingRule.from_dict({rule.to_dict()!r}), cols); "
        "print(json.dumps([rows.tolist(), [str(k) for k in keys.tolist()]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(cols), capture_output=True, text=True, cwd=ROOT, check=True
    )
    other_rows, other_keys = json.loads(done.stdout)
    assert sorted(zip(other_rows, other_keys, strict=True)) == sorted(
        zip(rows.tolist(), [str(k) for k in keys.tolist()], strict=True)
    )


def _subset(cols: dict[str, list[Any]], rows: range | list[int]) -> dict[str, list[Any]]:
    return {c: [v[i] for i in rows] for c, v in cols.items()}


def test_block_index_links_like_a_brute_force_reference() -> None:
    cols = small_records(300, 6)
    rules = RULES_UNDER_TEST
    existing, new = list(range(200)), list(range(200, 300))
    index = BlockIndex(rules)
    ids = np.arange(200, dtype=np.int64) * 10 + 7  # ids unrelated to positions
    for start in range(0, 200, 37):  # added in several batches
        index.add(_subset(cols, existing[start : start + 37]), ids[start : start + 37])
    assert len(index) == 200
    linked = index.link(_subset(cols, new))

    expected: dict[tuple[int, int], int] = defaultdict(int)
    for k, rule in enumerate(rules):
        blocks: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        for i in existing:
            rec = {c: v[i] for c, v in cols.items()}
            for key in itertools.product(*(_term_values(t, rec) for t in rule.keys)):
                blocks[key].add(i)
        for q, i in enumerate(new):
            rec = {c: v[i] for c, v in cols.items()}
            for key in itertools.product(*(_term_values(t, rec) for t in rule.keys)):
                members = blocks.get(key, set())
                if len(members) <= rule.max_block_size:
                    for j in members:
                        expected[(q, int(ids[j]))] |= 1 << k
    got = dict(zip(zip(linked.rows.tolist(), linked.ids.tolist(), strict=True), linked.sources.tolist(), strict=True))
    assert got == dict(expected)


def test_block_index_remove_forgets_records() -> None:
    cols = small_records(100, 7)
    index = BlockIndex(DEFAULT_RULES)
    index.add(cols, np.arange(100))
    before = index.link(_subset(cols, [0]))
    assert 0 in before.ids.tolist()
    index.remove([0, 1, 2])
    assert len(index) == 97
    after = index.link(_subset(cols, [0]))
    assert not {0, 1, 2} & set(after.ids.tolist())
    fresh = BlockIndex(DEFAULT_RULES)  # the same as never having added them
    fresh.add(_subset(cols, range(3, 100)), np.arange(3, 100))
    again = fresh.link(_subset(cols, [0]))
    assert (after.ids.tolist(), after.sources.tolist()) == (again.ids.tolist(), again.sources.tolist())
    index.add(_subset(cols, [0]), [0])
    assert 0 in index.link(_subset(cols, [0])).ids.tolist()


def test_block_index_checks_ids() -> None:
    index = BlockIndex(DEFAULT_RULES)
    cols = small_records(3, 8)
    with pytest.raises(RecordsError, match="column 'ids': one id per record"):
        index.add(cols, [1, 2])
    with pytest.raises(RecordsError, match="ids must be integers"):
        index.add(cols, ["a", "b", "c"])
