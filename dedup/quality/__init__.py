"""The data-quality report: completeness, validity, consistency and suspected duplicates of a register or file."""

from dedup.quality.checks import CATEGORIES, CHECKS, MIN_BIRTH_YEAR, Check, QualitySettings, check_names
from dedup.quality.columns import KNOWN_COLUMNS, RELATIONS, prepare
from dedup.quality.duplicates import BlockingEstimator, DuplicateEstimate, DuplicateEstimator, RuleCount
from dedup.quality.render import format_table, render_html, write_report
from dedup.quality.report import DATASETS, FORMAT_VERSION, CheckResult, QualityReport, assess
from dedup.quality.sources import assess_registers, members_frame, parse_column_map, persons_frame, read_table

__all__ = [
    "CATEGORIES",
    "CHECKS",
    "DATASETS",
    "FORMAT_VERSION",
    "KNOWN_COLUMNS",
    "MIN_BIRTH_YEAR",
    "RELATIONS",
    "BlockingEstimator",
    "Check",
    "CheckResult",
    "DuplicateEstimate",
    "DuplicateEstimator",
    "QualityReport",
    "QualitySettings",
    "RuleCount",
    "assess",
    "assess_registers",
    "check_names",
    "format_table",
    "members_frame",
    "parse_column_map",
    "persons_frame",
    "prepare",
    "read_table",
    "render_html",
    "write_report",
]
