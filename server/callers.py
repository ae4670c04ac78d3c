"""Callers (social programmes, registration desks, a residents' portal) and their policies.

The callers file is TOML, one table per caller::

    [callers.cnss-amo]
    key_sha256 = "9f86d0…"            # SHA-256 of the API key, hex; the key itself is never stored
    tls_subject = "CN=cnss-amo,O=CNSS" # and/or: the subject of its client certificate (mutual TLS)
    allowed_rpcs = ["Authentication/Authenticate", "Registry/GetPerson"]   # "Registry/*" allows a service
    match_modes = ["EXACT", "PHONETIC", "FUZZY"]   # name matching it may ask for (default: EXACT only)
    default_match_mode = "EXACT"                   # used when a request leaves the mode unspecified
    min_fuzzy_score = 0.9                          # the lowest FUZZY threshold it may ask for
    readable_attributes = ["first_name", "last_name"]  # what GetPerson shows it (default: none; "*" all)
    rate_limit_per_second = 50                     # calls (stream items) per second; default: no limit
    rate_limit_burst = 100                         # calls it may make at once above the rate (default: the rate)
    reveal_unknown_idcs = false                    # may it learn that an IDCS is not registered (default no)
    reveal_denial_reason = false                   # may it learn "locked" / "too many attempts" (default no)

Keys are random 256-bit tokens (``hawiya callers add`` makes one), so a plain SHA-256 is
enough: there is nothing to brute-force. The presented key is hashed and compared with every
caller's hash in constant time, without stopping at the first match.

What a caller without ``reveal_unknown_idcs`` is told when a request names an IDCS that is not
registered (GetPerson, UpdatePerson, a household member, a complaint's subject): PERMISSION_DENIED
with exactly the status it gets for an RPC it may not call (see `existence_denied`), never
NOT_FOUND. Authenticate and the Residents service never tell anyone: an unknown IDCS is answered
like a mismatch there, and can be locked like any other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matcher.authentication import DEFAULT_FUZZY_MIN_SCORE, MatchMode, MatchRule
from server.errors import CallersFileError, InvalidField, PermissionDenied, Unauthenticated

__all__ = [
    "DEMOGRAPHIC_ATTRIBUTES",
    "KNOWN_RPCS",
    "PERSON_ATTRIBUTES",
    "RECORD_ATTRIBUTES",
    "Caller",
    "CallerRegistry",
    "add_caller",
    "existence_denied",
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
    "Registry/Identify",
    "SocialRegistry/RegisterHousehold",
    "SocialRegistry/GetHousehold",
    "SocialRegistry/UpdateHousehold",
    "SocialRegistry/MoveMember",
    "SocialRegistry/FileComplaint",
    "SocialRegistry/GetComplaint",
    "SocialRegistry/ListComplaints",
    "SocialRegistry/UpdateComplaintStatus",
    "Residents/LockAuthentication",
    "Residents/UnlockAuthentication",
    "Residents/GetAuthHistory",
    "Deduplication/SubmitJob",
    "Deduplication/SubmitRecords",
    "Deduplication/GetJob",
    "Deduplication/ListJobs",
    "Deduplication/WatchJob",
    "Deduplication/CancelJob",
    "Deduplication/ReadResults",
    "Deduplication/DeleteJob",
)
# A person's demographic attributes, as the contract names them (Authenticate's per-attribute
# answers, GetPerson's readable fields).
DEMOGRAPHIC_ATTRIBUTES = (
    "first_name",
    "last_name",
    "father_first_name",
    "mother_first_name",
    "sex",
    "birth_date",
    "birth_place_code",
    "cin",
    "phone",
    "residence",
)
# Facts of the record itself, beside its IDCS, status and version.
RECORD_ATTRIBUTES = ("merged_into", "created_at", "updated_at")
# What GetPerson (and Enrol, UpdatePerson) may show of a person besides its IDCS, status and
# version, one entry per attribute a caller may be allowed to read ("*" in a file: all).
PERSON_ATTRIBUTES = (*DEMOGRAPHIC_ATTRIBUTES, *RECORD_ATTRIBUTES)
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
    """A programme or desk allowed to call hawiya, and its policy."""

    caller_id: str
    key_sha256: str  # "" for a caller identified only by its client certificate
    allowed_rpcs: frozenset[str]
    match_modes: frozenset[MatchMode] = frozenset({MatchMode.EXACT})
    default_match_mode: MatchMode = MatchMode.EXACT
    min_fuzzy_score: float = DEFAULT_FUZZY_MIN_SCORE
    readable_attributes: frozenset[str] = frozenset()
    rate_limit_per_second: float = 0.0  # 0: no limit
    rate_limit_burst: int = 0
    reveal_unknown_idcs: bool = False
    reveal_denial_reason: bool = False
    tls_subject: str = ""

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


def existence_denied(caller: Caller, rpc: str) -> PermissionDenied:
    """The refusal of an RPC the caller may not call; also what it is told of an unknown IDCS."""
    return PermissionDenied(f"caller {caller.caller_id} may not call {rpc}")


class CallerRegistry:
    """The callers known to the server, looked up by presented API key or client certificate."""

    def __init__(self, callers: Iterable[Caller]) -> None:
        self._callers = tuple(callers)
        # A caller without a key gets a digest no key hashes to in practice (and is skipped).
        self._digests = tuple(bytes.fromhex(c.key_sha256) if c.key_sha256 else b"" for c in self._callers)
        self._subjects = {_subject_key(c.tls_subject): c for c in self._callers if c.tls_subject}

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
            if hmac.compare_digest(presented, digest) and digest:
                found = caller
        if found is None:
            raise Unauthenticated("the API key is not valid")
        return found

    def by_certificate(self, subject: str) -> Caller | None:
        """The caller whose ``tls_subject`` is the verified client certificate's subject, if any."""
        return self._subjects.get(_subject_key(subject))

    @staticmethod
    def authorise(caller: Caller, rpc: str) -> None:
        if not caller.may_call(rpc):
            raise existence_denied(caller, rpc)


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
        digest = entry.get("key_sha256", "")
        subject = entry.get("tls_subject", "")
        if not isinstance(subject, str) or len(subject) > 512:
            raise CallersFileError(f'{where}.tls_subject: must be a certificate subject, e.g. "CN=name,O=org"')
        if not isinstance(digest, str) or not (_SHA256_HEX.match(digest) or (digest == "" and subject)):
            raise CallersFileError(f"{where}.key_sha256: must be 64 lower-case hex digits (or give tls_subject)")
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
        rate, burst = _rate_limit(entry, where)
        callers.append(
            Caller(
                caller_id,
                digest,
                frozenset(rpcs),
                modes,
                next(iter(default)),
                float(floor),
                readable_attributes=_attributes(entry.get("readable_attributes", []), f"{where}.readable_attributes"),
                rate_limit_per_second=rate,
                rate_limit_burst=burst,
                reveal_unknown_idcs=_flag(entry, "reveal_unknown_idcs", where),
                reveal_denial_reason=_flag(entry, "reveal_denial_reason", where),
                tls_subject=subject,
            )
        )
    subjects = [_subject_key(c.tls_subject) for c in callers if c.tls_subject]
    if len(subjects) != len(set(subjects)):
        raise CallersFileError(f"{path}: two callers have the same tls_subject")
    return callers


def _subject_key(subject: str) -> str:
    """A certificate subject compared without case or spaces around its parts ("CN=a, O=b" = "cn=a,o=b")."""
    return ",".join(part.strip().lower() for part in subject.replace("/", ",").split(",") if part.strip())


def _flag(entry: dict[str, object], name: str, where: str) -> bool:
    value = entry.get(name, False)
    if not isinstance(value, bool):
        raise CallersFileError(f"{where}.{name}: must be true or false")
    return value


def _attributes(names: object, where: str) -> frozenset[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CallersFileError(f"{where}: must be a list of attribute names")
    if "*" in names:
        return frozenset(PERSON_ATTRIBUTES)
    unknown = [n for n in names if n not in PERSON_ATTRIBUTES]
    if unknown:
        raise CallersFileError(
            f"{where}: unknown attribute {unknown[0]!r}; known: {', '.join(PERSON_ATTRIBUTES)} or '*'"
        )
    return frozenset(names)


def _rate_limit(entry: dict[str, object], where: str) -> tuple[float, int]:
    rate = entry.get("rate_limit_per_second", 0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1e9:
        raise CallersFileError(f"{where}.rate_limit_per_second: must be a number, 0 for no limit")
    burst = entry.get("rate_limit_burst", max(1, math.ceil(rate)) if rate else 0)
    if isinstance(burst, bool) or not isinstance(burst, int) or not 0 <= burst <= 10**9 or (rate and burst < 1):
        raise CallersFileError(f"{where}.rate_limit_burst: must be a whole number of calls, at least 1")
    return float(rate), burst


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


def add_caller(
    path: Path,
    caller_id: str,
    allowed_rpcs: Sequence[str],
    match_modes: Sequence[str] = ("EXACT",),
    *,
    readable_attributes: Sequence[str] = (),
    rate_limit_per_second: float = 0.0,
    rate_limit_burst: int | None = None,
    reveal_unknown_idcs: bool = False,
    reveal_denial_reason: bool = False,
    tls_subject: str = "",
) -> str:
    """Add a caller to the callers file (created if absent); return its new API key."""
    if not _CALLER_ID.match(caller_id):
        raise CallersFileError(f"caller id {caller_id!r}: must be 1-64 of a-z 0-9 . _ - (lower case)")
    for rpc in allowed_rpcs:
        _check_rpc(rpc, "allowed RPC")
    _modes(list(match_modes), "match modes")
    _attributes(list(readable_attributes), "readable attributes")
    extra = ""
    if readable_attributes:
        extra += f"readable_attributes = [{', '.join(json.dumps(a) for a in readable_attributes)}]\n"
    if rate_limit_per_second:
        extra += f"rate_limit_per_second = {float(rate_limit_per_second)!r}\n"
        if rate_limit_burst is not None:
            extra += f"rate_limit_burst = {int(rate_limit_burst)}\n"
    if reveal_unknown_idcs:
        extra += "reveal_unknown_idcs = true\n"
    if reveal_denial_reason:
        extra += "reveal_denial_reason = true\n"
    if tls_subject:
        extra += f"tls_subject = {json.dumps(tls_subject)}\n"
    limits: dict[str, object] = {"rate_limit_per_second": rate_limit_per_second}
    if rate_limit_burst is not None:
        limits["rate_limit_burst"] = rate_limit_burst
    _rate_limit(limits, "rate limit")
    existing = _read_callers(path) if path.exists() else []
    if any(c.caller_id == caller_id for c in existing):
        raise CallersFileError(f"{path}: caller {caller_id} already exists")
    key = new_api_key()
    rpcs = ", ".join(f'"{r}"' for r in allowed_rpcs)
    modes = ", ".join(f'"{m}"' for m in match_modes)
    block = (
        f'\n[callers.{caller_id}]\nkey_sha256 = "{hash_key(key)}"\nallowed_rpcs = [{rpcs}]\n'
        f'match_modes = [{modes}]\ndefault_match_mode = "{match_modes[0]}"\n{extra}'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "" if path.exists() else "# hawiya callers: API keys are stored as SHA-256 only.\n"
    with path.open("a", encoding="utf-8") as out:
        out.write(header + block)
    return key
