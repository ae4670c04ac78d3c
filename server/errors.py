"""Errors raised by the server layer (configuration, callers, request validation)."""

from __future__ import annotations


class ServerError(Exception):
    """Base of every error the server layer raises."""


class ConfigError(ServerError):
    """A configuration variable is missing or invalid; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class InvalidField(ServerError):
    """A request field is malformed; ``field`` is its path in the request message."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Unauthenticated(ServerError):
    """No API key, or one that matches no caller."""


class PermissionDenied(ServerError):
    """The caller is not allowed to make this call."""


class CallersFileError(ServerError):
    """The callers file cannot be read or is malformed; the message names the path and entry."""


class RateLimited(ServerError):
    """The caller has used up its rate limit; ``retry_after`` is when it may try again (seconds)."""

    def __init__(self, caller_id: str, retry_after: float) -> None:
        super().__init__(f"caller {caller_id} is over its rate limit: retry in {retry_after:.3f} s")
        self.retry_after = retry_after


class DeadlineExceeded(ServerError):
    """The call ran out of time: the caller's deadline, or the server's cap on every call."""
