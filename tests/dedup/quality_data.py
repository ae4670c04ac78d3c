"""Seeded populations and household tables with errors injected at known rates, for the data-quality tests.

Each injection picks its rows at random among the rows it applies to (the check's denominator)
and never reuses a row another injection changed, so that every kind of error can be counted
apart. ``Injected.rates`` says which check should see which extra failing share.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from registry_store.idcs import new_idcs
from registry_store.model import BirthDate, DatePrecision, Demographics, Name, Residence, Sex
from synthetic import REFERENCE_DATE, generate

AS_OF = REFERENCE_DATE


def valid_idcs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        idcs = new_idcs(rng)
        if idcs not in seen:
            seen.add(idcs)
            out.append(idcs)
    return out


def clean_population(n: int, seed: int) -> pd.DataFrame:
    """A synthetic population with a valid IDCS per person."""
    people, _ = generate(n, seed)
    people.insert(0, "idcs", valid_idcs(n, seed))
    return people


@dataclass
class Injected:
    """A frame with errors, and the failing share added to each (field, check)."""

    frame: pd.DataFrame
    rates: dict[tuple[str, str], float] = field(default_factory=dict)


class _Picker:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.used = np.zeros(n, dtype=bool)

    def pick(self, eligible: np.ndarray, rate: float, base: int | None = None) -> np.ndarray:
        """round(rate × base) rows (base: the eligible rows) among the eligible ones no injection touched yet."""
        k = round(rate * (int(eligible.sum()) if base is None else base))
        free = np.flatnonzero(eligible & ~self.used)
        rows = self.rng.choice(free, size=k, replace=False)
        self.used[rows] = True
        return np.sort(rows)


def _minor(people: pd.DataFrame) -> np.ndarray:
    """Certainly under 18 at AS_OF, by the earliest day the recorded date allows."""
    y = people["birth_year"].to_numpy()
    m = np.clip(people["birth_month"].to_numpy(), 1, 12)
    d = np.clip(people["birth_day"].to_numpy(), 1, 31)
    cutoff = (AS_OF.year - 18) * 10000 + AS_OF.month * 100 + AS_OF.day
    return (y > 0) & (y * 10000 + m * 100 + d > cutoff)


def inject_person_errors(clean: pd.DataFrame, seed: int) -> Injected:
    """Errors of every person-level kind; ``rates`` are over each check's denominator."""
    df = clean.copy()
    n = len(df)
    picker = _Picker(n, seed)
    rng = np.random.default_rng(seed + 1)
    out = Injected(df)
    everyone = np.ones(n, dtype=bool)

    def filled(column: str) -> np.ndarray:
        return (df[column] != "").to_numpy()

    def put(column: str, rows: np.ndarray, values: list[object]) -> None:
        df.loc[rows, column] = [values[i % len(values)] for i in range(len(rows))]

    def put_dates(rows: np.ndarray, values: list[tuple[int, int, int, str]]) -> None:
        for k, column in enumerate(("birth_year", "birth_month", "birth_day", "birth_precision")):
            df.loc[rows, column] = [values[i % len(values)][k] for i in range(len(rows))]

    # IDCS: 1 % not even the shape of an IDCS, 2.5 % of the well-formed ones with a wrong check digit.
    rows = picker.pick(everyone, 0.01)
    put("idcs", rows, ["123456789", "0123456789", "12345678901", "9A34567890", "1987654321"])
    out.rates[("idcs", "format")] = 0.01
    rows = picker.pick(everyone, 0.025, base=n - len(rows))
    bumped = [s[:-1] + str((int(s[-1]) + 1 + int(rng.integers(0, 9))) % 10) for s in df.loc[rows, "idcs"]]
    df.loc[rows, "idcs"] = bumped
    out.rates[("idcs", "check_digit")] = 0.025

    # Dates: 2 % of the dated records invalid, in four kinds of 0.5 % each.
    dated = (df["birth_precision"] != "unknown").to_numpy()
    base = int(dated.sum())
    date_rows = []
    rows = picker.pick(dated, 0.005)  # not a calendar date
    put_dates(rows, [(1980, 4, 31, "full"), (1975, 2, 30, "full"), (1990, 13, 5, "full"), (2001, 2, 29, "full")])
    out.rates[("birth_date", "calendar")] = 0.005
    date_rows.append(rows)
    rows = picker.pick(dated, 0.005)  # in the future
    put_dates(rows, [(AS_OF.year + 1 + i, 6, 15, "full") for i in range(5)])
    out.rates[("birth_date", "future")] = 0.005
    date_rows.append(rows)
    rows = picker.pick(dated, 0.005)  # before 1900
    put_dates(rows, [(1850 + i, 0, 0, "year") for i in range(50)])
    out.rates[("birth_date", "before_1900")] = 0.005
    date_rows.append(rows)
    full = (df["birth_precision"] == "full").to_numpy()
    rows = picker.pick(full, 0.005, base=base)  # parts that do not fit the precision
    put("birth_precision", rows, ["year", "year_month", "exact"])
    out.rates[("birth_date", "precision")] = 0.005
    date_rows.append(rows)
    out.rates[("birth_date", "invalid")] = 0.02
    bad_date = np.zeros(n, dtype=bool)
    bad_date[np.concatenate(date_rows)] = True

    # CIN: 1.5 % of minors given a (well-formed) CIN, then 3 % of all CINs badly formed.
    minors = _minor(df) & ~bad_date
    rows = picker.pick(minors & ~filled("cin"), 0.015, base=int(minors.sum()))
    put("cin", rows, [f"ZT{100000 + i}" for i in range(len(rows))])
    out.rates[("cin", "minor_with_cin")] = 0.015
    rows = picker.pick(filled("cin"), 0.03)
    put("cin", rows, ["12345678", "ABC12345", "A-12345", "ab12345", "A12345678", "BE 12345"])
    out.rates[("cin", "format")] = 0.03

    # Phone: 5 % of the records lose theirs (beyond those without one); 2 % of the rest badly formed.
    rows = picker.pick(filled("phone"), 0.05, base=n)
    df.loc[rows, "phone"] = ""
    out.rates[("phone", "missing")] = 0.05
    rows = picker.pick(filled("phone"), 0.02)
    put("phone", rows, ["0812345678", "+212612345678", "061234567", "06123456789", "06-12-34-56"])
    out.rates[("phone", "format")] = 0.02

    # Scripts: 4 % of Latin first names written in Arabic, 2 % of Arabic surnames in Latin.
    rows = picker.pick(
        filled("first_name_latin") & filled("first_name_arabic"), 0.04, base=int(filled("first_name_latin").sum())
    )
    df.loc[rows, "first_name_latin"] = df.loc[rows, "first_name_arabic"].to_numpy()
    out.rates[("first_name_latin", "script")] = 0.04
    rows = picker.pick(
        filled("last_name_arabic") & filled("last_name_latin"), 0.02, base=int(filled("last_name_arabic").sum())
    )
    df.loc[rows, "last_name_arabic"] = df.loc[rows, "last_name_latin"].to_numpy()
    out.rates[("last_name_arabic", "script")] = 0.02
    # 1 % of Latin surnames with a digit or a symbol.
    rows = picker.pick(filled("last_name_latin"), 0.01)
    df.loc[rows, "last_name_latin"] = [f"{v}{'2#@_'[i % 4]}" for i, v in enumerate(df.loc[rows, "last_name_latin"])]
    out.rates[("last_name_latin", "characters")] = 0.01

    # Codes: 1 % bad sex codes, 1 % bad commune codes, 2 % more birth places missing.
    rows = picker.pick(filled("sex"), 0.01)
    put("sex", rows, ["X", "H", "1", "m"])
    out.rates[("sex", "code")] = 0.01
    rows = picker.pick(filled("commune_code"), 0.01)
    put("commune_code", rows, ["P01 001", "P01/001", "P01.001.002.003.004", "?"])
    out.rates[("commune_code", "format")] = 0.01
    rows = picker.pick(filled("birth_place_code"), 0.02, base=n)
    df.loc[rows, "birth_place_code"] = ""
    out.rates[("birth_place_code", "missing")] = 0.02
    return out


def households(n_households: int, seed: int) -> pd.DataFrame:
    """Consistent households: a head, usually a spouse, children, sometimes a parent, a sibling, a grandchild."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, int]] = []
    for h in range(n_households):
        hid = f"H{h:06d}"
        head = int(rng.integers(1945, 1986))
        rows.append((hid, "head", head))
        if rng.random() < 0.8:
            rows.append((hid, "spouse", head + int(rng.integers(-8, 9))))
        for _ in range(int(rng.integers(0, 5))):
            rows.append((hid, "child", head + int(rng.integers(20, 36))))
        if rng.random() < 0.25:
            rows.append((hid, "parent", head - int(rng.integers(20, 36))))
        if rng.random() < 0.15:
            rows.append((hid, "sibling", head + int(rng.integers(-10, 11))))
        if head < 1975 and rng.random() < 0.3:
            rows.append((hid, "grandchild", head + int(rng.integers(42, 50))))
    frame = pd.DataFrame(rows, columns=["household_id", "relation", "birth_year"])
    frame["birth_month"] = 0
    frame["birth_day"] = 0
    frame["birth_precision"] = "year"
    frame["idcs"] = valid_idcs(len(frame), seed)
    frame["member_status"] = "active"
    return frame


def inject_household_errors(clean: pd.DataFrame, seed: int) -> Injected:
    """Household errors; ``rates`` are over each check's denominator (households, or members of a relation)."""
    df = clean.copy()
    n = len(df)
    picker = _Picker(n, seed)
    rng = np.random.default_rng(seed + 2)
    out = Injected(df)
    hh = df["household_id"].to_numpy()
    head_year = df[df["relation"] == "head"].set_index("household_id")["birth_year"]
    n_households = len(head_year)

    def relation(name: str) -> np.ndarray:
        return (df["relation"] == name).to_numpy()

    # Heads: 1 % of households get a second head (a spouse relabelled), 1.5 % lose theirs.
    rows = picker.pick(relation("spouse"), 0.01, base=n_households)
    df.loc[rows, "relation"] = "head"
    touched = set(hh[rows])
    untouched = ~np.isin(hh, list(touched))
    rows = picker.pick(relation("head") & untouched, 0.015, base=n_households)
    df.loc[rows, "relation"] = "other_relative"
    touched |= set(hh[rows])
    untouched = ~np.isin(hh, list(touched))
    out.rates[("household", "several_heads")] = 0.01
    out.rates[("household", "no_head")] = 0.015

    # Ages are judged against the head only in households with one head: the denominators.
    heads_year = df["household_id"].map(head_year).to_numpy()
    children = relation("child") & untouched
    rows = picker.pick(children, 0.02)
    df.loc[rows, "birth_year"] = heads_year[rows] - rng.integers(1, 10, len(rows))
    older_than_head = len(rows)
    rows = picker.pick(relation("parent") & untouched, 0.03)
    df.loc[rows, "birth_year"] = heads_year[rows] + rng.integers(1, 10, len(rows))
    out.rates[("relation", "parent_younger_than_head")] = 0.03
    # A child older than a parent of the head (so older than the head too). The check counts
    # the children of every household with a parent, whatever its heads.
    parent_year = df[relation("parent")].groupby("household_id")["birth_year"].max()
    with_parent = np.isin(hh, parent_year.index)
    kept_parent = np.isin(hh, hh[relation("parent") & ~picker.used])  # parents not made younger
    rows = picker.pick(children & kept_parent, 0.02, base=int((relation("child") & with_parent).sum()))
    years_of_parents = df.loc[rows, "household_id"].map(parent_year).to_numpy()
    df.loc[rows, "birth_year"] = years_of_parents - rng.integers(1, 5, len(rows))
    out.rates[("relation", "child_older_than_heads_parent")] = 0.02
    out.rates[("relation", "child_older_than_head")] = (older_than_head + len(rows)) / int(children.sum())
    rows = picker.pick(relation("spouse") & untouched, 0.02)
    sign = np.where(rng.random(len(rows)) < 0.5, -1, 1)
    df.loc[rows, "birth_year"] = heads_year[rows] + sign * rng.integers(31, 40, len(rows))
    out.rates[("relation", "spouse_age_gap")] = 0.02

    # 0.5 % of members with a relation the RSU does not know (siblings and grandchildren).
    rows = picker.pick(relation("sibling") | relation("grandchild"), 0.005, base=n)
    put = ["cousin", "HEAD", "wife", "fils"]
    df.loc[rows, "relation"] = [put[i % 4] for i in range(len(rows))]
    out.rates[("relation", "code")] = 0.005

    # 0.5 % of members given the IDCS of a member of another household: both rows are flagged.
    targets = picker.pick(~picker.used, 0.005, base=n)
    sources = picker.pick(~picker.used, 0.005, base=n)
    pairs = [(t, s) for t, s in zip(targets, rng.permutation(sources), strict=True) if hh[t] != hh[s]]
    df.loc[[t for t, _ in pairs], "idcs"] = df.loc[[s for _, s in pairs], "idcs"].to_numpy()
    out.rates[("idcs", "in_several_households")] = 2 * len(pairs) / n

    # RNP status of members: 1 % not in the RNP, 2 % of the others no longer active.
    rows = picker.pick(~picker.used, 0.01, base=n)
    df.loc[rows, "member_status"] = "missing"
    out.rates[("idcs", "not_in_rnp")] = 0.01
    rows = picker.pick(~picker.used, 0.02, base=n - len(rows))
    df.loc[rows, "member_status"] = ["deceased" if i % 2 else "merged" for i in range(len(rows))]
    out.rates[("idcs", "not_active_in_rnp")] = 0.02
    return out


def person(i: int, year: int) -> Demographics:
    """Demographics of a register person born in ``year`` (a CIN when an adult)."""
    return Demographics(
        first_name=Name(f"Prenom{chr(65 + i % 26)}{chr(65 + i // 26)}", "محمد"),
        last_name=Name("Alaoui", "العلوي"),
        sex=Sex.MALE if i % 2 else Sex.FEMALE,
        birth_date=BirthDate(year, 5, 10, DatePrecision.FULL),
        birth_place_code="P01",
        cin=f"AB{100000 + i}" if year < 2000 else "",
        phone=f"06{10000000 + i}",
        residence=Residence("P01.001", "1 rue Test"),
    )
