"""Authentication decisions: does a claimed identity match the registered one, attribute by attribute?

Each claimed name is compared under the caller's rule:

* ``EXACT``: equal after the full matching normalisation (`names.canonical_name`: case, accents,
  punctuation, spacing, hamza and taa-marbuta forms, titles, particles and compounds), script
  by script: a Latin claim is compared with the registered Latin spelling, an Arabic claim
  with the Arabic one. This is what MOSIP and Aadhaar do, plus a better normalisation.
* ``PHONETIC``: the same phonetic keys (`phonetic.phonetic_keys`), in either script on either
  side, so Mohamed matches محمد and Mohammed, and Youssef matches Yousef.
* ``FUZZY``: phonetically equal, or a similarity of at least the rule's ``min_score``. The
  similarity is 1 − (Damerau–Levenshtein distance ÷ length) between the two names' phonetic
  keys (in their order, or sorted, whichever is closer): transliteration is already folded
  into the keys, so what the score measures is typing slips, not spelling conventions. A given
  name never matches across a feminine ending (Amine/Amina, Said/Saida).

Every script the caller supplied must match (a claim that is right in Latin but names someone
else in Arabic is refused). The other attributes are compared exactly: sex; dates of birth
under the lesser of the two precisions (a year-only claim matches a full registered date of
that year, a full claim matches a year-only registration of that year); codes, CIN and phone
as canonical strings. The decision is *yes* only when every claimed attribute matches.

The false-accept rate of each mode is measured by ``benchmarks/quality.py`` on synthetic
impostors (other people with common names, siblings with the same surname and parents);
`DEFAULT_FUZZY_MIN_SCORE` is the threshold chosen there.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field, fields

from matcher.errors import MatcherError
from matcher.kernels_reference import damerau_levenshtein_similarity
from matcher.names import canonical_name
from matcher.normalise import normalise_name
from matcher.phonetic import phonetic_keys

__all__ = [
    "ATTRIBUTES",
    "DEFAULT_FUZZY_MIN_SCORE",
    "NAME_ATTRIBUTES",
    "AttributeMatch",
    "AuthDecision",
    "DateValue",
    "Identity",
    "MatchMode",
    "MatchProfile",
    "MatchRule",
    "NameValue",
    "claimed_attributes",
    "decide",
    "name_similarity",
    "prepare_profile",
]

PROFILE_FORMAT_VERSION = 1
# Chosen with benchmarks/quality.py (100,000 synthetic persons, seed 1; see the README): the
# goal is a false-accept rate ≤ 0.1% at a false-reject rate ≤ 1% on genuine claims.
DEFAULT_FUZZY_MIN_SCORE = 0.8


class MatchMode(enum.Enum):
    EXACT = "exact"
    PHONETIC = "phonetic"
    FUZZY = "fuzzy"


@dataclass(frozen=True, slots=True)
class MatchRule:
    """How one name attribute is compared."""

    mode: MatchMode = MatchMode.EXACT
    min_score: float = DEFAULT_FUZZY_MIN_SCORE

    def __post_init__(self) -> None:
        if not 0.0 < self.min_score <= 1.0:
            raise MatcherError(f"min_score must be in (0, 1], got {self.min_score}")


@dataclass(frozen=True, slots=True)
class NameValue:
    latin: str = ""
    arabic: str = ""

    def values(self) -> tuple[str, ...]:
        return tuple(v for v in (self.latin, self.arabic) if v)


@dataclass(frozen=True, slots=True)
class DateValue:
    year: int = 0
    month: int = 0
    day: int = 0
    precision: str = "unknown"  # "full", "year_month", "year" or "unknown"


@dataclass(frozen=True, slots=True)
class Identity:
    """The attributes of a person, registered or claimed (empty = not given)."""

    first_name: NameValue = field(default_factory=NameValue)
    last_name: NameValue = field(default_factory=NameValue)
    father_first_name: NameValue = field(default_factory=NameValue)
    mother_first_name: NameValue = field(default_factory=NameValue)
    sex: str = ""  # "M", "F" or ""
    birth_date: DateValue = field(default_factory=DateValue)
    birth_place_code: str = ""
    cin: str = ""
    phone: str = ""
    commune_code: str = ""
    address: str = ""


NAME_ATTRIBUTES = ("first_name", "last_name", "father_first_name", "mother_first_name")
# Claimable attributes in answer order; commune_code and address answer as one "residence".
ATTRIBUTES = (*NAME_ATTRIBUTES, "sex", "birth_date", "birth_place_code", "cin", "phone", "residence")
_EMPTY = Identity()


@dataclass(frozen=True, slots=True)
class _PreparedName:
    latin_canonical: str
    arabic_canonical: str
    keys: tuple[tuple[str, ...], ...]  # phonetic keys of each script's value


@dataclass(frozen=True, slots=True)
class MatchProfile:
    """A registered identity with what comparisons need computed once (it can be cached)."""

    identity: Identity
    names: Mapping[str, _PreparedName]

    def to_json(self) -> bytes:
        """Compact JSON, for a cache (format version 1)."""
        i = self.identity
        data = {
            "v": PROFILE_FORMAT_VERSION,
            "names": {
                a: [*astuple(getattr(i, a)), *astuple(self.names[a])[:2], self.names[a].keys] for a in NAME_ATTRIBUTES
            },
            "sex": i.sex,
            "birth": astuple(i.birth_date),
            "codes": [i.birth_place_code, i.cin, i.phone, i.commune_code, i.address],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> MatchProfile:
        try:
            data = json.loads(raw)
            if data.get("v") != PROFILE_FORMAT_VERSION:
                raise MatcherError(f"match profile format {data.get('v')!r} is not {PROFILE_FORMAT_VERSION}")
            names = {a: data["names"][a] for a in NAME_ATTRIBUTES}
            codes = data["codes"]
            identity = Identity(
                **{a: NameValue(v[0], v[1]) for a, v in names.items()},
                sex=data["sex"],
                birth_date=DateValue(*data["birth"]),
                birth_place_code=codes[0],
                cin=codes[1],
                phone=codes[2],
                commune_code=codes[3],
                address=codes[4],
            )
            prepared = {a: _PreparedName(v[2], v[3], tuple(tuple(k) for k in v[4])) for a, v in names.items()}
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise MatcherError("match profile is not valid JSON of format 1") from exc
        return cls(identity, prepared)


def _prepare_name(name: NameValue) -> _PreparedName:
    return _PreparedName(
        latin_canonical=canonical_name(name.latin) if name.latin else "",
        arabic_canonical=canonical_name(name.arabic) if name.arabic else "",
        keys=tuple(k for k in (phonetic_keys(v) for v in name.values()) if k),
    )


def prepare_profile(identity: Identity) -> MatchProfile:
    return MatchProfile(identity, {a: _prepare_name(getattr(identity, a)) for a in NAME_ATTRIBUTES})


def _feminine_pair(a: list[str], b: list[str]) -> bool:
    """Whether a word of one name is the other's word with the feminine ending -a added.

    Said/Saida, Amine/Amina, Karim/Karima are different people's names one letter apart: no
    typing slip, so fuzzy matching must not bridge them.
    """
    return any(x + "a" == y or y + "a" == x for x in a for y in b)


def name_similarity(a: tuple[str, ...], b: tuple[str, ...], given_name: bool = True) -> float:
    """Order-free similarity in [0, 1] of two names' phonetic keys.

    For given names, 0 across a feminine ending (Amine/Amina); surnames have no gender
    (Berrade is a spelling of Berrada).
    """
    if not a or not b:
        return 0.0
    if sorted(a) == sorted(b) or "".join(a) == "".join(b):
        return 1.0
    rest_a, rest_b = list(a), list(b)
    for key in a:
        if key in rest_b:
            rest_a.remove(key)
            rest_b.remove(key)
    if given_name and _feminine_pair(rest_a, rest_b):
        return 0.0
    # Damerau–Levenshtein, not Jaro–Winkler: JW's prefix bonus rates different names that share
    # a beginning too close (Fatiha/Fatima 0.93, Fatima/Fatima Zahra 0.91; DL 0.83 and 0.55).
    in_order = damerau_levenshtein_similarity(" ".join(a), " ".join(b))
    sorted_ = damerau_levenshtein_similarity(" ".join(sorted(a)), " ".join(sorted(b)))
    return max(in_order, sorted_)


def _name_matches(claimed: NameValue, registered: _PreparedName, rule: MatchRule, given_name: bool) -> bool:
    if rule.mode is MatchMode.EXACT:
        pairs = ((claimed.latin, registered.latin_canonical), (claimed.arabic, registered.arabic_canonical))
        given = [(c, r) for c, r in pairs if c]
        return bool(given) and all(r and canonical_name(c) == r for c, r in given)
    if not registered.keys:
        return False
    for value in claimed.values():
        keys = phonetic_keys(value)
        if not keys:
            return False
        if rule.mode is MatchMode.PHONETIC:
            ok = any(name_similarity(keys, r, given_name) == 1.0 for r in registered.keys)
        else:
            ok = any(name_similarity(keys, r, given_name) >= rule.min_score for r in registered.keys)
        if not ok:
            return False
    return True


_PRECISION_RANK = {"unknown": 0, "year": 1, "year_month": 2, "full": 3}


def _date_matches(claimed: DateValue, registered: DateValue) -> bool:
    """Equal in every part both dates know (`dates.DateLevel` EXACT or COMPATIBLE).

    Written out rather than through `compare_dates`, which grades every other level too: this
    runs on every authentication.
    """
    rank = min(_PRECISION_RANK.get(claimed.precision, 0), _PRECISION_RANK.get(registered.precision, 0))
    if rank == 0 or claimed.year != registered.year:
        return False
    return (rank < 2 or claimed.month == registered.month) and (rank < 3 or claimed.day == registered.day)


# (name, value when not claimed) of every Identity field: claims are checked against these.
_IDENTITY_FIELDS = tuple((f.name, getattr(_EMPTY, f.name)) for f in fields(Identity))


def claimed_attributes(claim: Identity) -> tuple[str, ...]:
    """The attributes set in a claim, in answer order."""
    present = {name for name, empty in _IDENTITY_FIELDS if getattr(claim, name) != empty}
    if "commune_code" in present or "address" in present:
        present.add("residence")
    return tuple(a for a in ATTRIBUTES if a in present)


@dataclass(frozen=True, slots=True)
class AttributeMatch:
    attribute: str
    matched: bool
    mode: MatchMode


@dataclass(frozen=True, slots=True)
class AuthDecision:
    accepted: bool
    matches: tuple[AttributeMatch, ...]


def _attribute_matches(attribute: str, claim: Identity, profile: MatchProfile, rule: MatchRule) -> bool:
    registered = profile.identity
    if attribute in NAME_ATTRIBUTES:
        return _name_matches(getattr(claim, attribute), profile.names[attribute], rule, attribute != "last_name")
    if attribute == "birth_date":
        return _date_matches(claim.birth_date, registered.birth_date)
    if attribute == "residence":
        pairs = ((claim.commune_code, registered.commune_code), (claim.address, registered.address))
        return all(not c or normalise_name(c) == normalise_name(r) for c, r in pairs)
    value = getattr(claim, attribute)
    return bool(value) and value == getattr(registered, attribute)


def decide(
    claim: Identity,
    profile: MatchProfile | None,
    rules: Mapping[str, MatchRule] | MatchRule = MatchRule(),
) -> AuthDecision:
    """Compare every claimed attribute; ``profile`` None (unknown person) matches nothing.

    ``rules`` is one rule for every name attribute, or a rule per name attribute (missing
    ones are EXACT).
    """
    attributes = claimed_attributes(claim)
    if not attributes:
        raise MatcherError("a claim must have at least one attribute")
    results = []
    for attribute in attributes:
        rule = rules if isinstance(rules, MatchRule) else rules.get(attribute, MatchRule())
        mode = rule.mode if attribute in NAME_ATTRIBUTES else MatchMode.EXACT
        matched = profile is not None and _attribute_matches(attribute, claim, profile, rule)
        results.append(AttributeMatch(attribute, matched, mode))
    return AuthDecision(all(m.matched for m in results), tuple(results))
