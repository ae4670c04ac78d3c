"""Callers (social programmes, registration desks): hashed API keys and the RPCs each may call.

The callers file is TOML, one table per caller::

    [callers.cnss-amo]
    key_sha256 = "9f86d0…"            # SHA-256 of the API key, hex; the key itself is never stored
    allowed_rpcs = ["Authentication/Authenticate", "Registry/GetPerson"]   # "Registry/*" allows a service
    match_modes = ["EXACT", "PHONETIC", "FUZZY"]   # name matching it may ask for (default: EXACT only)
    default_match_mode = "EXACT"                   # used when a request leaves the mode unspecified
    min_fuzzy_score = 0.9                          # the lowest FUZZY threshold it may ask for

Keys are random 256-bit tokens (``hawiya callers add`` makes one), so a plain SHA-256 is
enough: there is nothing to brute-force. The presented key is hashed and compared with every
caller's hash in constant time, without stopping at the first match.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matcher.authentication import DEFAULT_FUZZY_MIN_SCORE, MatchMode, MatchRule
from server.errors import CallersFileError, InvalidField, PermissionDenied, Unauthenticated

__all__ = [
    "KNOWN_RPCS",
    "Caller",
    "CallerRegistry",
    "add_caller",
    "hash_key",
    "new_api_key",
]

# Short names of the RPCs a caller may be granted ("Service/Method").
KNOWN_RPCS = (
    "Authentication/Authenticate",
    "Authentication/AuthenticateStream",
    "Registry/Enrol",
    "Registry/GetPerson",
    "Registry/UpdatePerson",
    "SocialRegistry/RegisterHousehold",
    "SocialRegistry/GetHousehold",
    "SocialRegistry/UpdateHousehold",
    "SocialRegistry/MoveMember",
    "SocialRegistry/FileComplaint",
    "SocialRegistry/GetComplaint",
    "SocialRegistry/ListComplaints",
    "SocialRegistry/UpdateComplaintStatus",
)
_CALLER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def new_api_key() -> str:
    """A fresh random API key (shown once to the operator, stored only hashed)."""
    return "hwk_" + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Caller:
    """A programme or desk allowed to call hawiya."""

    caller_id: str
    key_sha256: str
    allowed_rpcs: frozenset[str]
    match_modes: frozenset[MatchMode] = frozenset({MatchMode.EXACT})
    default_match_mode: MatchMode = MatchMode.EXACT
    min_fuzzy_score: float = DEFAULT_FUZZY_MIN_SCORE

    def may_call(self, rpc: str) -> bool:
        """``rpc`` is "Service/Method"."""
        service = rpc.split("/", 1)[0]
        return rpc in self.allowed_rpcs or f"{service}/*" in self.allowed_rpcs

    def rule(self, mode: MatchMode | None, min_score: float, field: str) -> MatchRule:
        """The match rule for a request's (mode, min_score), within this caller's policy.

        ``mode`` None and ``min_score`` 0 mean "unspecified": the caller's defaults apply.
        """
        mode = mode or self.default_match_mode
        if mode not in self.match_modes:
            raise PermissionDenied(f"caller {self.caller_id} may not use {mode.name} matching ({field}.mode)")
        if min_score != min_score or not 0.0 <= min_score <= 1.0:  # NaN is not equal to itself
            raise InvalidField(f"{field}.min_score", "must be between 0 and 1 (0 for the caller's default)")
        if mode is not MatchMode.FUZZY:
            return MatchRule(mode)
        if min_score == 0.0:
            min_score = self.min_fuzzy_score
        if min_score < self.min_fuzzy_score:
            raise PermissionDenied(
                f"caller {self.caller_id} may not match below {self.min_fuzzy_score} ({field}.min_score)"
            )
        return MatchRule(mode, min_score)


class CallerRegistry:
    """The callers known to the server, looked up by presented API key."""

    def __init__(self, callers: Iterable[Caller]) -> None:
        self._callers = tuple(callers)
        self._digests = tuple(bytes.fromhex(c.key_sha256) for c in self._callers)

    def __len__(self) -> int:
        return len(self._callers)

    @property
    def callers(self) -> tuple[Caller, ...]:
        return self._callers

    @classmethod
    def from_file(cls, path: Path) -> CallerRegistry:
        return cls(_read_callers(path))

    def authenticate(self, api_key: str | None) -> Caller:
        """The caller owning ``api_key``; :class:`Unauthenticated` if none does."""
        if not api_key:
            raise Unauthenticated("no API key: send it in the 'x-api-key' metadata")
        presented = hashlib.sha256(api_key.encode("utf-8", "replace")).digest()
        found: Caller | None = None
        for caller, digest in zip(self._callers, self._digests, strict=True):
            if hmac.compare_digest(presented, digest):
                found = caller
        if found is None:
            raise Unauthenticated("the API key is not valid")
        return found

    @staticmethod
    def authorise(caller: Caller, rpc: str) -> None:
        if not caller.may_call(rpc):
            raise PermissionDenied(f"caller {caller.caller_id} may not call {rpc}")


def _read_callers(path: Path) -> list[Caller]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CallersFileError(f"callers file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CallersFileError(f"cannot read callers file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CallersFileError(f"callers file {path} is not valid TOML: {exc}") from exc
    table = data.get("callers", {})
    if not isinstance(table, dict):
        raise CallersFileError(f"{path}: 'callers' must be a table of callers")
    callers = []
    for caller_id, entry in table.items():
        where = f"{path}: callers.{caller_id}"
        if not _CALLER_ID.match(caller_id):
            raise CallersFileError(f"{where}: id must be 1-64 of a-z 0-9 . _ - (lower case)")
        if not isinstance(entry, dict):
            raise CallersFileError(f"{where}: must be a table")
        digest = entry.get("key_sha256")
        if not isinstance(digest, str) or not _SHA256_HEX.match(digest):
            raise CallersFileError(f"{where}.key_sha256: must be 64 lower-case hex digits")
        rpcs = entry.get("allowed_rpcs", [])
        if not isinstance(rpcs, list) or not all(isinstance(r, str) for r in rpcs):
            raise CallersFileError(f"{where}.allowed_rpcs: must be a list of strings")
        for rpc in rpcs:
            _check_rpc(rpc, f"{where}.allowed_rpcs")
        modes = _modes(entry.get("match_modes", ["EXACT"]), f"{where}.match_modes")
        default = _modes([entry.get("default_match_mode", "EXACT")], f"{where}.default_match_mode")
        if not default <= modes:
            raise CallersFileError(f"{where}.default_match_mode: must be one of match_modes")
        floor = entry.get("min_fuzzy_score", DEFAULT_FUZZY_MIN_SCORE)
        if isinstance(floor, bool) or not isinstance(floor, int | float) or not 0.0 < floor <= 1.0:
            raise CallersFileError(f"{where}.min_fuzzy_score: must be a number in (0, 1]")
        callers.append(Caller(caller_id, digest, frozenset(rpcs), modes, next(iter(default)), float(floor)))
    return callers


def _modes(names: object, where: str) -> frozenset[MatchMode]:
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise CallersFileError(f"{where}: must be a non-empty list of EXACT, PHONETIC, FUZZY")
    try:
        return frozenset(MatchMode[n] for n in names)
    except KeyError as exc:
        raise CallersFileError(f"{where}: unknown match mode {exc.args[0]!r}; known: EXACT, PHONETIC, FUZZY") from None


def _check_rpc(rpc: str, where: str) -> None:
    services = {r.split("/")[0] for r in KNOWN_RPCS}
    service, _, method = rpc.partition("/")
    if rpc not in KNOWN_RPCS and not (method == "*" and service in services):
        raise CallersFileError(f"{where}: unknown RPC {rpc!r}; known: {', '.join(KNOWN_RPCS)} or 'Service/*'")


def add_caller(path: Path, caller_id: str, allowed_rpcs: Sequence[str], match_modes: Sequence[str] = ("EXACT",)) -> str:
    """Add a caller to the callers file (created if absent); return its new API key."""
    if not _CALLER_ID.match(caller_id):
        raise CallersFileError(f"caller id {caller_id!r}: must be 1-64 of a-z 0-9 . _ - (lower case)")
    for rpc in allowed_rpcs:
        _check_rpc(rpc, "allowed RPC")
    _modes(list(match_modes), "match modes")
    existing = _read_callers(path) if path.exists() else []
    if any(c.caller_id == caller_id for c in existing):
        raise CallersFileError(f"{path}: caller {caller_id} already exists")
    key = new_api_key()
    rpcs = ", ".join(f'"{r}"' for r in allowed_rpcs)
    modes = ", ".join(f'"{m}"' for m in match_modes)
    block = (
        f'\n[callers.{caller_id}]\nkey_sha256 = "{hash_key(key)}"\nallowed_rpcs = [{rpcs}]\n'
        f'match_modes = [{modes}]\ndefault_match_mode = "{match_modes[0]}"\n'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "" if path.exists() else "# hawiya callers: API keys are stored as SHA-256 only.\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(header + block)
    return key
