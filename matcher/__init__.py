"""Pure matching: name normalisation, comparison specs, the Fellegi–Sunter model (no I/O)."""

from matcher.comparison import LEVEL_KINDS, Comparison, ComparisonLevel, check_gamma
from matcher.errors import (
    ComparisonSpecError,
    GammaError,
    MatcherError,
    ModelError,
    ModelFormatError,
    TrainingError,
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
    "EMResult",
    "FellegiSunterModel",
    "GammaError",
    "MatcherError",
    "ModelError",
    "ModelFormatError",
    "TermFrequencyTable",
    "TrainingError",
    "check_gamma",
    "estimate_m_em",
    "estimate_u",
    "normalise_arabic",
    "normalise_latin",
    "normalise_name",
    "probability_to_weight",
    "term_frequencies",
    "train",
    "weight_to_probability",
]
