"""Logging for the service: every line carries the process id and the request id.

Libraries only call ``logging.getLogger(__name__)``; handlers are installed here, by the entry
point. Never log names, dates of birth, IDCS, phone numbers, OTPs or keys.
"""

from __future__ import annotations

import contextvars
import logging
import sys

__all__ = ["REQUEST_ID", "configure_logging"]

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s pid=%(process)d req=%(request_id)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
