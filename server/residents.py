"""Residents' controls: lock and unlock authentication of their IDCS, and read its history.

The domain side of the Residents service. Everything is keyed by the keyed hash of the IDCS
and answers the same whether the IDCS is registered or not (no look-up of the person is made):
a lock can be set on any well-formed IDCS, and an unregistered one has no history but the
authentications tried against it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from registry_store.idcs import validate_idcs
from registry_store.security import MAX_HISTORY_PAGE, AuthSecurity, HistoryPage, LockState
from server.errors import InvalidField

__all__ = ["DEFAULT_HISTORY_PAGE", "ResidentsService"]

log = logging.getLogger(__name__)

DEFAULT_HISTORY_PAGE = 50


class ResidentsService:
    """Locks, unlocks and history of one IDCS at a time."""

    def __init__(self, security: AuthSecurity, hash_idcs: Callable[[str], str]) -> None:
        self._security = security
        self._hash_idcs = hash_idcs

    def _hash(self, idcs: str) -> str:
        return self._hash_idcs(validate_idcs(idcs, field="idcs"))

    def lock(self, caller_id: str, idcs: str, until: datetime | None) -> LockState:
        id_hash = self._hash(idcs)
        state = self._security.set_lock(id_hash, locked=True, until=until, changed_by=caller_id)
        log.info("authentication locked id=%s… timed=%s by=%s", id_hash[:12], until is not None, caller_id)
        return state

    def unlock(self, caller_id: str, idcs: str, until: datetime | None) -> LockState:
        id_hash = self._hash(idcs)
        state = self._security.set_lock(id_hash, locked=False, until=until, changed_by=caller_id)
        log.info("authentication unlocked id=%s… temporary=%s by=%s", id_hash[:12], state.until is not None, caller_id)
        return state

    def history(self, idcs: str, page_size: int, page_token: str) -> HistoryPage:
        id_hash = self._hash(idcs)
        if page_size < 0:
            raise InvalidField("page_size", "must be 0 (the default, 50) or more")
        size = min(page_size or DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE)
        return self._security.history(id_hash, page_size=size, page_token=page_token)
