"""Errors raised by the batch dedup engine."""


class DedupError(Exception):
    """Base of every error the dedup engine raises."""
