"""Persons' match profiles for authentication: from the cache, else from the register.

The profile is what the matcher needs of a registered person (normalised names, phonetic
keys, dates, codes). An IDCS with no authenticable person (unknown, deceased, merged) is cached
too, as a tombstone, so that unknown and known IDCS take the same path and the same time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, cast

from matcher.authentication import MatchProfile, prepare_profile
from matcher.errors import MatcherError
from registry_store.cache import LocalProfileCache, ProfileCache
from registry_store.errors import StoreError
from registry_store.model import PersonStatus
from registry_store.store import RegistryStore
from server.identity import identity_from_demographics
from server.metrics import STORE_QUERY_SECONDS

__all__ = ["ProfileSource"]

log = logging.getLogger(__name__)

_NOBODY = b"-"
_FIND_SECONDS = STORE_QUERY_SECONDS.labels("find_person")


class ProfileSource:
    """Read-through access to match profiles, keyed by the keyed hash of the IDCS.

    The in-process cache holds the profile objects themselves (no serialisation); Redis holds
    their JSON.
    """

    def __init__(self, store: RegistryStore, cache: ProfileCache) -> None:
        self._store = store
        self._cache = cache
        self._objects = isinstance(cache, LocalProfileCache)

    def get(self, idcs: str, idcs_hash: str) -> MatchProfile | None:
        return self._resolve(idcs, idcs_hash, self._cache.get(idcs_hash))

    def get_many(self, people: Sequence[tuple[str, str]]) -> list[MatchProfile | StoreError | None]:
        """The profiles of several (IDCS, hash) pairs, in order, with one cache round trip for all.

        A person the cache misses is read from the register; if that fails, the store's error
        takes the person's place, and the others are still answered.
        """
        cached = self._cache.get_many([h for _, h in people])
        found: list[MatchProfile | StoreError | None] = []
        for (idcs, idcs_hash), value in zip(people, cached, strict=True):
            try:
                found.append(self._resolve(idcs, idcs_hash, value))
            except StoreError as exc:
                found.append(exc)
        return found

    def _resolve(self, idcs: str, idcs_hash: str, cached: Any) -> MatchProfile | None:
        """The cached value's profile; on a miss (or an unreadable value), the register's, then cached."""
        if cached is not None:
            if cached == _NOBODY:
                return None
            if self._objects:
                return cast(MatchProfile, cached)
            try:
                return MatchProfile.from_json(cached)
            except MatcherError:
                log.warning("discarding an unreadable cached profile id=%s…", idcs_hash[:12])
        begin = time.perf_counter()
        person = self._store.find_person(idcs)
        _FIND_SECONDS.observe(time.perf_counter() - begin)
        profile = None
        if person is not None and person.status is PersonStatus.ACTIVE:
            profile = prepare_profile(identity_from_demographics(person.demographics))
        if profile is None:
            self._cache.set(idcs_hash, _NOBODY)
        else:
            self._cache.set(idcs_hash, profile if self._objects else profile.to_json())  # type: ignore[arg-type]
        return profile

    def invalidate(self, idcs_hash: str) -> None:
        """Call after the person behind ``idcs_hash`` was written (enrolled, updated)."""
        self._cache.delete(idcs_hash)
