"""Candidate generation for 1:N search and batch dedup: blocking keys and FAISS indexes.

It must never import gRPC or SQL.
"""

from indexer.ann import (
    DEFAULT_EXACT_THRESHOLD,
    DEFAULT_NPROBE,
    NameIndex,
    choose_factory,
    index_threads,
    self_neighbours,
    set_index_threads,
    sidecar_path,
)
from indexer.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    DEFAULT_RULES,
    BlockedPairs,
    BlockIndex,
    BlockingRule,
    LinkedPairs,
    RecordBatch,
    RuleStats,
    block_pairs,
    rule_keys,
    rules_from_json,
    rules_to_json,
)
from indexer.candidates import (
    ANN_SOURCE,
    CandidateIndex,
    CandidatePairs,
    CandidateSettings,
    LinkedCandidates,
    find_candidates,
)
from indexer.errors import (
    BlockingRuleError,
    CandidateSettingsError,
    IndexerError,
    IndexFileError,
    IndexStateError,
    RecordsError,
    VectorShapeError,
)
from indexer.vectors import DEFAULT_DATE_WEIGHT, DEFAULT_DIMENSION, VECTOR_FIELDS, name_features, name_vectors

__all__ = [
    "ANN_SOURCE",
    "DEFAULT_DATE_WEIGHT",
    "DEFAULT_DIMENSION",
    "DEFAULT_EXACT_THRESHOLD",
    "DEFAULT_MAX_BLOCK_SIZE",
    "DEFAULT_NPROBE",
    "DEFAULT_RULES",
    "VECTOR_FIELDS",
    "BlockIndex",
    "BlockedPairs",
    "BlockingRule",
    "BlockingRuleError",
    "CandidateIndex",
    "CandidatePairs",
    "CandidateSettings",
    "CandidateSettingsError",
    "IndexFileError",
    "IndexStateError",
    "IndexerError",
    "LinkedCandidates",
    "LinkedPairs",
    "NameIndex",
    "RecordBatch",
    "RecordsError",
    "RuleStats",
    "VectorShapeError",
    "block_pairs",
    "choose_factory",
    "find_candidates",
    "index_threads",
    "name_features",
    "name_vectors",
    "rule_keys",
    "rules_from_json",
    "rules_to_json",
    "self_neighbours",
    "set_index_threads",
    "sidecar_path",
]
