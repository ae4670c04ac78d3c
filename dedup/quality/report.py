"""The data-quality report of one table: what each check counted, as a frozen value that round-trips through JSON.

A report holds counts and rates only, with field and check names from the fixed vocabulary
(`checks.CHECKS`): no value from the data, so it can be shown, exported and kept anywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from dedup.errors import ReportFormatError
from dedup.quality.checks import CATEGORIES, Category, QualitySettings, count
from dedup.quality.columns import prepare
from dedup.quality.duplicates import BlockingEstimator, DuplicateEstimate, DuplicateEstimator

__all__ = ["DATASETS", "FORMAT_VERSION", "CheckResult", "QualityReport", "assess"]

FORMAT_VERSION = 1
# What a report is about: the RNP's persons, the RSU's household members, or a file.
DATASETS: tuple[str, ...] = ("rnp", "rsu", "file")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's counts: ``failed`` of the ``checked`` rows (or households) fail it."""

    field: str
    check: str
    category: Category
    checked: int
    failed: int

    @property
    def rate(self) -> float | None:
        """The failing share, None when the check applied to nothing."""
        return self.failed / self.checked if self.checked else None

    @property
    def key(self) -> str:
        return f"{self.field}/{self.check}"


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The data-quality report of one table (see `assess`)."""

    dataset: str
    source: str  # a label for people: "RNP register", a file name
    generated_at: datetime
    settings: QualitySettings
    records: int
    households: int | None
    results: tuple[CheckResult, ...]
    not_run: tuple[str, ...]  # field/check of the checks whose columns the table lacks
    duplicates: DuplicateEstimate | None
    format_version: int = FORMAT_VERSION

    def result(self, field: str, check: str) -> CheckResult:
        for r in self.results:
            if r.field == field and r.check == check:
                return r
        raise KeyError(f"{field}/{check}")

    def rate(self, field: str, check: str) -> float | None:
        return self.result(field, check).rate

    def by_category(self, category: Category) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.category == category)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "dataset": self.dataset,
            "source": self.source,
            "generated_at": self.generated_at.isoformat(),
            "settings": self.settings.to_dict(),
            "records": self.records,
            "households": self.households,
            "results": [
                {
                    "field": r.field,
                    "check": r.check,
                    "category": r.category,
                    "checked": r.checked,
                    "failed": r.failed,
                    "rate": r.rate,
                }
                for r in self.results
            ],
            "not_run": list(self.not_run),
            "duplicates": self.duplicates.to_dict() if self.duplicates else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "report") -> QualityReport:
        """Read `to_json`'s output; a malformed text or another format version raises ReportFormatError."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ReportFormatError(source, "is not JSON") from exc
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            version = data.get("format_version") if isinstance(data, dict) else None
            raise ReportFormatError(source, f"format version {version!r}, this code reads {FORMAT_VERSION}")
        try:
            results = tuple(
                CheckResult(r["field"], r["check"], _category(r["category"]), int(r["checked"]), int(r["failed"]))
                for r in data["results"]
            )
            duplicates = data["duplicates"]
            return cls(
                dataset=str(data["dataset"]),
                source=str(data["source"]),
                generated_at=datetime.fromisoformat(data["generated_at"]),
                settings=QualitySettings.from_dict(data["settings"]),
                records=int(data["records"]),
                households=None if data["households"] is None else int(data["households"]),
                results=results,
                not_run=tuple(str(k) for k in data["not_run"]),
                duplicates=DuplicateEstimate.from_dict(duplicates) if duplicates is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportFormatError(source, f"malformed report ({type(exc).__name__})") from exc


def _category(text: object) -> Category:
    for c in CATEGORIES:
        if c == text:
            return c
    raise ValueError("unknown category")


def assess(
    frame: pd.DataFrame,
    *,
    dataset: str = "file",
    source: str = "",
    as_of: date | None = None,
    settings: QualitySettings | None = None,
    estimator: DuplicateEstimator | None = None,
) -> QualityReport:
    """The data-quality report of ``frame`` (columns of `columns.KNOWN_COLUMNS`; others are ignored).

    Every check whose columns are present runs (`checks.CHECKS`); the suspected duplicates come
    from ``estimator`` (default `BlockingEstimator`). ``settings`` default to the defaults at
    ``as_of`` (default today).
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}")
    if settings is None:
        settings = QualitySettings(as_of=as_of or date.today())
    table = prepare(frame)
    counted, skipped = count(table, settings)
    results = [CheckResult(c.field, c.check, c.category, n.checked, n.failed) for c, n in counted]
    duplicates = (estimator or BlockingEstimator()).estimate(table)
    if duplicates is not None:
        results.append(
            CheckResult("record", "suspected_duplicate", "duplicates", duplicates.records, duplicates.excess_records)
        )
    households = None
    if "household_id" in table.columns:
        ids = table["household_id"]
        households = int(ids[ids != ""].nunique())
    return QualityReport(
        dataset=dataset,
        source=source or dataset,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        settings=settings,
        records=len(table),
        households=households,
        results=tuple(results),
        not_run=tuple(c.key for c in skipped) + (() if duplicates is not None else ("record/suspected_duplicate",)),
        duplicates=duplicates,
    )
