"""Errors raised by the matcher."""


class MatcherError(Exception):
    """Base of every error the matcher raises."""


class ComparisonSpecError(MatcherError):
    """A comparison or comparison level is not a valid spec; names the field when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"comparison {field!r}: {message}" if field is not None else message)


class GammaError(MatcherError):
    """A comparison-vector (gamma) matrix does not fit the comparisons it is scored against."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"gamma column {field!r}: {message}" if field is not None else message)


class ModelError(MatcherError):
    """A Fellegi–Sunter model's parameters are missing, out of range or inconsistent."""


class ModelFormatError(ModelError):
    """A saved model cannot be read: not JSON, not a model, or another format version."""

    def __init__(self, message: str, *, version: object = None) -> None:
        self.version = version
        super().__init__(message)


class TrainingError(MatcherError):
    """Training cannot proceed or did not converge (no pairs, a field always null, EM stuck)."""
