"""One-call synthetic data set: a population, optionally with noisy duplicates and truth."""

from __future__ import annotations

import pandas as pd

from synthetic._args import check_rate
from synthetic.noise import add_duplicates
from synthetic.population import generate_population

__all__ = ["generate"]


def generate(n: int, seed: int, duplicate_rate: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Generate ``n`` people and, when ``duplicate_rate`` > 0, duplicates of that fraction.

    Returns ``(records, truth)``; ``truth`` (``record_id``, ``entity_id`` of every record) is
    None when no duplicates were asked for. Deterministic for ``seed``.
    """
    rate = check_rate("duplicate_rate", duplicate_rate)
    people = generate_population(n, seed)
    if rate == 0.0:
        return people, None
    return add_duplicates(people, rate, seed)
