"""The data-quality report finds each kind of injected error at its rate (±1 percentage point)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dedup.errors import QualityFileError, ReportFormatError, UnknownColumn
from dedup.quality import (
    CHECKS,
    KNOWN_COLUMNS,
    RELATIONS,
    BlockingEstimator,
    DuplicateEstimate,
    QualityReport,
    assess,
    assess_registers,
    check_names,
    format_table,
    parse_column_map,
    read_table,
    render_html,
    write_report,
)
from dedup.quality.checks import valid_idcs
from dedup.quality.columns import _FEW, BIRTH_PRECISIONS, SEXES, _text
from registry_store import (
    DatePrecision,
    HouseholdStore,
    PersonStatus,
    RegistryStore,
    Relation,
    Sex,
    is_valid_idcs,
)
from synthetic import BIRTH_PRECISIONS as SYNTHETIC_PRECISIONS
from synthetic import COLUMNS, generate
from tests.dedup.quality_data import (
    AS_OF,
    clean_population,
    households,
    inject_household_errors,
    inject_person_errors,
    person,
)
from tests.registry_store.rsu_data import COMFORTABLE, URBAN

N = 20_000
TOLERANCE = 0.01  # one percentage point


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return clean_population(N, seed=11)


@pytest.fixture(scope="module")
def baseline(clean: pd.DataFrame) -> QualityReport:
    return assess(clean, as_of=AS_OF)


def _rates(report: QualityReport) -> dict[tuple[str, str], float]:
    return {(r.field, r.check): r.rate for r in report.results if r.rate is not None}


def test_the_clean_population_has_no_validity_or_consistency_errors(baseline: QualityReport) -> None:
    # Only completeness has a baseline (children have no CIN or phone...), so every injected
    # validity and consistency error below is measured against zero.
    for r in baseline.results:
        if r.category in ("validity", "consistency"):
            assert r.failed == 0, r.key


def test_each_injected_person_error_is_found_at_its_rate(clean: pd.DataFrame, baseline: QualityReport) -> None:
    injected = inject_person_errors(clean, seed=12)
    report = assess(injected.frame, as_of=AS_OF)
    before, after = _rates(baseline), _rates(report)
    measured = {}
    for key, rate in injected.rates.items():
        expected = before.get(key, 0.0) + rate
        measured[key] = (rate, after[key] - before.get(key, 0.0))
        assert abs(after[key] - expected) <= TOLERANCE, (key, after[key], expected)
    print("\ninjected vs measured (percentage points):")
    for (field, check), (rate, found) in sorted(measured.items()):
        print(f"  {field}/{check}: injected {100 * rate:.2f}, found {100 * found:.2f}")
    # Checks no injection aimed at stay clean (no error leaks into another check).
    aimed = set(injected.rates) | {("cin", "missing"), ("phone", "missing"), ("birth_date", "missing")}
    for r in report.results:
        if r.category in ("validity", "consistency") and (r.field, r.check) not in aimed:
            assert r.failed == 0, r.key


def test_each_injected_household_error_is_found_at_its_rate() -> None:
    clean = households(6000, seed=21)
    base = assess(clean, dataset="rsu", as_of=AS_OF)
    for r in base.results:
        if r.category in ("validity", "consistency"):
            assert r.failed == 0, r.key
    injected = inject_household_errors(clean, seed=22)
    report = assess(injected.frame, dataset="rsu", as_of=AS_OF)
    assert report.households == 6000
    print("\ninjected vs measured (percentage points):")
    for key, rate in sorted(injected.rates.items()):
        found = report.rate(*key)
        assert found is not None
        print(f"  {key[0]}/{key[1]}: injected {100 * rate:.2f}, found {100 * found:.2f}")
        assert abs(found - rate) <= TOLERANCE, (key, found, rate)


def test_suspected_duplicates_find_exact_copies_at_their_rate(clean: pd.DataFrame, baseline: QualityReport) -> None:
    assert baseline.duplicates is not None
    rng = np.random.default_rng(5)
    k = round(0.03 * N)
    copies = clean.iloc[rng.choice(N, size=k, replace=False)].copy()
    copies["idcs"] = ""
    report = assess(pd.concat([clean, copies], ignore_index=True), as_of=AS_OF)
    expected = (baseline.duplicates.excess_records + k) / (N + k)
    found = report.rate("record", "suspected_duplicate")
    assert found is not None and abs(found - expected) <= TOLERANCE
    assert report.duplicates is not None and report.duplicates.method == "blocking_estimate"
    # Namesakes born the same year are the baseline's excess: a small share.
    assert baseline.duplicates.rate is not None and baseline.duplicates.rate < 0.02


def test_duplicate_estimate_of_the_generator_noisy_duplicates() -> None:
    records, truth = generate(5000, seed=3, duplicate_rate=0.1)
    assert truth is not None
    report = assess(records, as_of=AS_OF)
    true_excess = (len(records) - truth["entity_id"].nunique()) / len(records)
    found = report.rate("record", "suspected_duplicate")
    # An estimate, not a measure: it sees most noisy copies (shared CIN or phone, names and year)
    # and adds namesakes.
    assert found is not None and 0.5 * true_excess <= found <= 1.5 * true_excess


def test_vectorised_verhoeff_agrees_with_the_store() -> None:
    from registry_store.idcs import new_idcs

    rng = random.Random(7)
    values = [new_idcs(rng) for _ in range(500)]
    values += [s[:k] + str((int(s[k]) + 1) % 10) + s[k + 1 :] for k, s in enumerate(values[:400]) for k in [k % 10]]
    values += [s[:3] + s[4] + s[3] + s[5:] for s in values[:200]]  # adjacent transpositions
    values += ["".join(rng.choice("0123456789") for _ in range(10)) for _ in range(2000)]
    values += ["", "123", "abcdefghij", "٢٣٤٥٦٧٨٩٠١", "23456789012"]
    shaped, valid = valid_idcs(np.array(values, dtype=object))
    assert valid.tolist() == [is_valid_idcs(v) for v in values]
    assert (shaped >= valid).all()


def test_vocabularies_follow_the_registers_and_the_synthetic_schema() -> None:
    assert set(COLUMNS) <= set(KNOWN_COLUMNS)
    assert BIRTH_PRECISIONS == SYNTHETIC_PRECISIONS and set(BIRTH_PRECISIONS) == {p.value for p in DatePrecision}
    assert set(SEXES) == {s.value for s in Sex} - {"U"}  # U (unspecified) is read as missing
    assert set(RELATIONS) == {r.value for r in Relation}
    assert {"active", "deceased", "merged"} == {s.value for s in PersonStatus}
    names = check_names()
    assert all((c.field, c.check) in names for c in CHECKS)
    assert len({c.key for c in CHECKS}) == len(CHECKS)
    # Gauge labels: a closed vocabulary of identifiers.
    assert all(part.replace("_", "").isalnum() and part.isascii() for pair in names for part in pair)


def test_report_round_trips_through_json_and_holds_no_personal_data(clean: pd.DataFrame) -> None:
    injected = inject_person_errors(clean, seed=12)
    report = assess(injected.frame, dataset="file", source="people.parquet", as_of=AS_OF)
    text = report.to_json()
    assert QualityReport.from_json(text) == report
    page = render_html(report)
    table = format_table(report)
    sample = injected.frame.sample(300, random_state=1)
    values = {
        v
        for column in ("idcs", "first_name_latin", "last_name_latin", "last_name_arabic", "cin", "phone", "address")
        for v in sample[column]
        if len(v) >= 6
    }
    for v in values:
        assert v not in text and v not in page and v not in table


def test_report_json_of_another_version_is_refused() -> None:
    with pytest.raises(ReportFormatError, match="format version"):
        QualityReport.from_json(json.dumps({"format_version": 99}))
    with pytest.raises(ReportFormatError, match="not JSON"):
        QualityReport.from_json("{")
    with pytest.raises(ReportFormatError, match="malformed"):
        QualityReport.from_json(json.dumps({"format_version": 1, "results": []}))


def test_checks_run_only_on_the_columns_present() -> None:
    frame = pd.DataFrame({"cin": ["AB12345", "12", ""], "phone": ["0612345678", "", "0712345678"]})
    report = assess(frame, as_of=AS_OF)
    assert report.rate("cin", "format") == 0.5
    assert report.rate("phone", "missing") == pytest.approx(1 / 3)
    assert "birth_date/invalid" in report.not_run and "cin/minor_with_cin" in report.not_run
    with pytest.raises(KeyError):
        report.result("birth_date", "invalid")
    # CIN and phone are enough for the blocking estimate.
    assert report.duplicates is not None and report.duplicates.records == 3


def test_dates_are_judged_by_calendar_precision_and_range() -> None:
    frame = pd.DataFrame(
        {
            "birth_year": ["1980", "1980", "2023", "1899", "x", "0", "1975", "2030", "1990"],
            "birth_month": ["2", "2", "2", "0", "1", "0", "0", "1", "6"],
            "birth_day": ["29", "28", "29", "0", "1", "0", "0", "1", "0"],
            "birth_precision": ["full", "full", "full", "year", "full", "unknown", "year", "full", "full"],
        }
    )
    report = assess(frame, as_of=AS_OF)
    counted = {c: report.result("birth_date", c) for c in ("calendar", "precision", "future", "before_1900", "invalid")}
    assert counted["calendar"].failed == 2  # 2023-02-29 and "x"; 1980-02-29 is fine (leap year)
    assert counted["precision"].failed == 2  # "x" (no year) and 1990-06 written as full
    assert counted["future"].failed == 1
    assert counted["before_1900"].failed == 1
    assert counted["invalid"].checked == 8 and counted["invalid"].failed == 5
    assert report.result("birth_date", "missing").failed == 1


def test_a_frame_without_known_columns_gives_an_empty_report() -> None:
    report = assess(pd.DataFrame({"x": [1, 2]}), as_of=AS_OF)
    assert report.results == () and report.duplicates is None and report.records == 2
    assert "record/suspected_duplicate" in report.not_run
    render_html(report)
    format_table(report)


def test_read_table_maps_columns_and_explains_errors(tmp_path: Path, clean: pd.DataFrame) -> None:
    csv = tmp_path / "people.csv"
    clean.head(50).rename(columns={"first_name_latin": "prenom"}).to_csv(csv, index=False)
    frame = read_table(csv, parse_column_map(["prenom=first_name_latin"]))
    assert "first_name_latin" in frame.columns and frame["birth_year"].dtype == object  # CSV cells are text
    assert assess(frame, as_of=AS_OF).rate("birth_date", "invalid") == 0.0
    with pytest.raises(UnknownColumn, match="'nom'"):
        read_table(csv, {"nom": "last_name_latin"})
    with pytest.raises(UnknownColumn, match="'surname'"):
        parse_column_map(["prenom=surname"])
    with pytest.raises(UnknownColumn, match="FILE_COLUMN=FIELD"):
        parse_column_map(["prenom"])
    with pytest.raises(QualityFileError, match="no such file"):
        read_table(tmp_path / "absent.parquet")
    with pytest.raises(QualityFileError, match="extension"):
        read_table(tmp_path / "people.xlsx")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(QualityFileError, match="not a readable Parquet file"):
        read_table(bad)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("cin,first_name_latin\nAB1,Hélène\n".encode("latin-1"))
    with pytest.raises(QualityFileError, match="UTF-8"):
        read_table(latin1)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(QualityFileError, match="--column-map"):
        read_table(other)


def test_write_report_writes_json_and_html(tmp_path: Path, baseline: QualityReport) -> None:
    json_path, html_path = write_report(baseline, tmp_path / "out")
    assert QualityReport.from_json(json_path.read_text(encoding="utf-8")) == baseline
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    # Self-contained: nothing fetched from anywhere.
    for marker in ("<script", "http://", "https://", "@import", "<link", "url("):
        if marker == "http://":
            assert page.count(marker) == page.count('xmlns="http://www.w3.org/2000/svg"')
        else:
            assert marker not in page


def test_a_custom_estimator_replaces_the_blocking_estimate(clean: pd.DataFrame) -> None:
    class EveryoneOnce:
        method = "test_engine"
        description = "nobody is a duplicate"

        def estimate(self, frame: pd.DataFrame) -> DuplicateEstimate | None:
            return DuplicateEstimate(self.method, self.description, len(frame), 0, 0, ())

    report = assess(clean.head(100), as_of=AS_OF, estimator=EveryoneOnce())
    assert report.duplicates is not None and report.duplicates.method == "test_engine"
    assert report.rate("record", "suspected_duplicate") == 0.0
    assert BlockingEstimator().estimate(pd.DataFrame({"sex": ["M"]})) is None


def test_registers_are_assessed_from_the_store(tmp_path: Path) -> None:
    store = RegistryStore.from_url(f"sqlite:///{tmp_path / 'hawiya.db'}")
    try:
        years = [1970, 1972, 2001, 2010, 1945]
        idcs = [store.enrol(person(i, y)).person.idcs for i, y in enumerate(years)]
        homes = HouseholdStore(store)
        from registry_store import HouseholdMember

        # The head's "parent" is younger than the head (2010 > 1970), and a child (1945) is older.
        members = [
            HouseholdMember(idcs[0], Relation.HEAD),
            HouseholdMember(idcs[1], Relation.SPOUSE),
            HouseholdMember(idcs[2], Relation.CHILD),
            HouseholdMember(idcs[3], Relation.PARENT),
            HouseholdMember(idcs[4], Relation.CHILD),
        ]
        homes.register_household(members, URBAN, COMFORTABLE)
        rnp, rsu = assess_registers(store.iter_persons(), homes.iter_households(), as_of=AS_OF)
    finally:
        store.close()
    assert rnp.dataset == "rnp" and rnp.records == 5 and rnp.rate("idcs", "check_digit") == 0.0
    assert rnp.rate("sex", "missing") == 0.0 and rnp.rate("cin", "minor_with_cin") == 0.0
    assert rsu.dataset == "rsu" and rsu.records == 5 and rsu.households == 1
    assert rsu.result("relation", "parent_younger_than_head").failed == 1
    assert rsu.result("relation", "child_older_than_head").failed == 1
    assert rsu.result("relation", "child_older_than_heads_parent").failed == 2  # both born before 2010
    assert rsu.result("household", "several_heads").failed == 0
    assert rsu.result("idcs", "not_active_in_rnp").failed == 0


def test_a_register_without_households_is_assessed(tmp_path: Path) -> None:
    """An RNP with no RSU household yet (and an empty one: a new deployment) gets its reports,
    not an error at every interval of the server's data-quality loop."""
    store = RegistryStore.from_url(f"sqlite:///{tmp_path / 'hawiya.db'}")
    try:
        homes = HouseholdStore(store)
        empty_rnp, empty_rsu = assess_registers(store.iter_persons(), homes.iter_households(), as_of=AS_OF)
        store.enrol(person(0, 1980))
        rnp, rsu = assess_registers(store.iter_persons(), homes.iter_households(), as_of=AS_OF)
    finally:
        store.close()
    assert (empty_rnp.records, empty_rsu.records, empty_rsu.households) == (0, 0, 0)
    assert (rnp.records, rsu.records, rsu.households) == (1, 0, 0)


def test_dedup_does_not_import_grpc_or_the_store() -> None:
    code = (
        "import sys, dedup, dedup.quality; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'grpc', 'sqlalchemy', 'registry_store', 'server'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_a_few_values_are_cleaned_as_many_are() -> None:
    """`_text` takes a Python loop for a few values (a duplicate search's query and candidates)
    and pandas' machinery for many: both must give the same text for every kind of value."""
    values = [" Mohammed ", "محمد", "", "  ", None, np.nan, pd.NA, pd.NaT, 12, 3.5, 0, np.str_(" x "), True, "a\tb "]
    many = pd.Series((values * (_FEW // len(values) + 2)), dtype=object)
    assert len(many) > _FEW
    few = pd.Series(values, dtype=object)
    expected = _text(many).tolist()[: len(values)]
    assert _text(few).tolist() == expected
    assert expected[:6] == ["Mohammed", "محمد", "", "", "", ""]
    assert all(type(v) is str for v in _text(few))
