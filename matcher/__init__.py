"""Pure matching: name normalisation, comparison specs, the Fellegi–Sunter model (no I/O)."""

from matcher.comparison import LEVEL_KINDS, Comparison, ComparisonLevel, check_gamma
from matcher.dates import (
    DateLevel,
    DatePrecision,
    PartialDate,
    compare_dates,
    compare_dates_arrays,
    precision_codes,
)
from matcher.errors import (
    ComparisonSpecError,
    GammaError,
    MatcherError,
    ModelError,
    ModelFormatError,
    TrainingError,
)
from matcher.kernels import (
    compile_kernels,
    damerau_levenshtein_pairs,
    damerau_levenshtein_similarity_pairs,
    encode_strings,
    jaro_winkler_pairs,
    max_kernel_threads,
    set_kernel_threads,
    token_set_similarity_pairs,
)
from matcher.model import (
    FORMAT_VERSION,
    FellegiSunterModel,
    TermFrequencyTable,
    probability_to_weight,
    weight_to_probability,
)
from matcher.normalise import normalise_arabic, normalise_latin, normalise_name
from matcher.training import EMResult, estimate_m_em, estimate_u, term_frequencies, train

__all__ = [
    "FORMAT_VERSION",
    "LEVEL_KINDS",
    "Comparison",
    "ComparisonLevel",
    "ComparisonSpecError",
    "DateLevel",
    "DatePrecision",
    "EMResult",
    "FellegiSunterModel",
    "GammaError",
    "MatcherError",
    "ModelError",
    "ModelFormatError",
    "PartialDate",
    "TermFrequencyTable",
    "TrainingError",
    "check_gamma",
    "compare_dates",
    "compare_dates_arrays",
    "compile_kernels",
    "damerau_levenshtein_pairs",
    "damerau_levenshtein_similarity_pairs",
    "encode_strings",
    "estimate_m_em",
    "estimate_u",
    "jaro_winkler_pairs",
    "max_kernel_threads",
    "normalise_arabic",
    "normalise_latin",
    "normalise_name",
    "precision_codes",
    "probability_to_weight",
    "set_kernel_threads",
    "term_frequencies",
    "token_set_similarity_pairs",
    "train",
    "weight_to_probability",
]
