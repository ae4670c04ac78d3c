"""Synthetic Moroccan population register records, duplicates and truth for tests and demos."""

from synthetic.dataset import generate
from synthetic.errors import (
    InvalidArgumentError,
    PopulationFileError,
    ReferenceDataError,
    SyntheticError,
    UnsupportedFormatError,
)
from synthetic.io import read_population, write_population
from synthetic.noise import (
    COPIES_PROBABILITIES,
    NOISE_KINDS,
    NOISE_PROBABILITIES,
    Duplicates,
    add_duplicates,
    make_duplicates,
)
from synthetic.population import Families, generate_families, generate_population
from synthetic.schema import (
    BIRTH_PRECISIONS,
    COLUMNS,
    INT_COLUMNS,
    REFERENCE_DATE,
    STRING_COLUMNS,
    TRUTH_COLUMNS,
)

__all__ = [
    "BIRTH_PRECISIONS",
    "COLUMNS",
    "COPIES_PROBABILITIES",
    "INT_COLUMNS",
    "NOISE_KINDS",
    "NOISE_PROBABILITIES",
    "REFERENCE_DATE",
    "STRING_COLUMNS",
    "TRUTH_COLUMNS",
    "Duplicates",
    "Families",
    "InvalidArgumentError",
    "PopulationFileError",
    "ReferenceDataError",
    "SyntheticError",
    "UnsupportedFormatError",
    "add_duplicates",
    "generate",
    "generate_families",
    "generate_population",
    "make_duplicates",
    "read_population",
    "write_population",
]
