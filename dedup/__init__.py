"""The batch deduplication engine (file in; pairs, clusters and a summary out), and the data-quality report.

The engine: `dedup.engine.run_dedup` (stages and outputs in its docstring), configured by
`dedup.config.DedupConfig`; `dedup.scorer.RecordScorer` scores one record against candidates
(enrolment's 1:N search). They are imported from their modules, so that the data-quality report
does not load FAISS. The package must never import gRPC.
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
