"""Validation of public arguments, raising errors that name the argument."""

from __future__ import annotations

import math
import numbers

from synthetic.errors import InvalidArgumentError


def check_count(name: str, value: object) -> int:
    """Return ``value`` as an int if it is a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(name, f"must be an integer, got {value!r}")
    count = int(value)
    if count < 0:
        raise InvalidArgumentError(name, f"must be >= 0, got {count}")
    return count


def check_seed(name: str, value: object) -> int:
    """Return ``value`` as an int if it can seed numpy (a non-negative integer)."""
    return check_count(name, value)


def check_rate(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a real number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(name, f"must be a number in [0, 1], got {value!r}")
    rate = float(value)
    if math.isnan(rate) or not 0.0 <= rate <= 1.0:
        raise InvalidArgumentError(name, f"must be in [0, 1], got {rate}")
    return rate
