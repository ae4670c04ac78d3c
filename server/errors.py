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


class JobNotFound(ServerError):
    """No dedup job has this id, or the caller did not submit it (the two are not told apart)."""


class JobLimitReached(ServerError):
    """A limit of the dedup jobs is reached: jobs waiting (HAWIYA_DEDUP_MAX_QUEUED), or long calls open."""


class JobStateConflict(ServerError):
    """A dedup job is not in a state that allows the call (results of a job still running, ...)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class JobFileError(ServerError):
    """A dedup job's state file cannot be read or written; the message names the path."""


class ServerStopping(ServerError):
    """The server is shutting down: a long call (watching a job) ends; the caller retries elsewhere."""


class IndexNotReady(ServerError):
    """The 1:N search's candidate index is still loading (the server is starting): retry shortly."""
