"""Errors raised by the indexer."""


class IndexerError(Exception):
    """Base of every error the indexer raises."""
