"""The batch deduplication engine (file in; pairs, clusters and a summary out), and the data-quality report.

The engine is empty until the batch-dedup issue; the package must never import gRPC.
"""

from dedup.errors import DedupError, QualityError, QualityFileError, ReportFormatError, UnknownColumn
from dedup.quality import QualityReport, assess, assess_registers, format_table, read_table, write_report

__all__ = [
    "DedupError",
    "QualityError",
    "QualityFileError",
    "QualityReport",
    "ReportFormatError",
    "UnknownColumn",
    "assess",
    "assess_registers",
    "format_table",
    "read_table",
    "write_report",
]
