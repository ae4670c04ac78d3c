"""Errors raised by the matcher."""


class MatcherError(Exception):
    """Base of every error the matcher raises."""
