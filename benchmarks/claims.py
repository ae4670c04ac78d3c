"""Synthetic persons and authentication claims for the load benchmarks (Locust, auth_throughput).

A population is enrolled through ``Registry/Enrol`` with idempotency keys derived from the seed
and the record id, so enrolling the same (size, seed) again returns the same persons and IDCS
(``ENROL_OUTCOME_ALREADY_ENROLLED``) instead of growing the register. Claims come in three
kinds, each with the decision a correct server gives:

* genuine: the person's own names, sex and birth date (at the registered precision) → YES;
* wrong details: the same with the birth year off by one → NO;
* unknown IDCS: a well-formed IDCS (valid Verhoeff check digit) that is not in the population,
  with someone's genuine details → NO (the same answer as wrong details, by design).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc

from hawiya.v1 import authentication_pb2, person_pb2, registry_pb2, registry_pb2_grpc
from registry_store.idcs import verhoeff_check_digit
from synthetic import generate

__all__ = [
    "CLAIM_KINDS",
    "Claim",
    "Enrolled",
    "claim",
    "enrol_population",
    "enrol_request",
    "synthetic_demographics",
    "unknown_idcs",
]

_SEX = {"M": person_pb2.SEX_MALE, "F": person_pb2.SEX_FEMALE}
_PRECISION = {
    "full": person_pb2.DATE_PRECISION_FULL,
    "year_month": person_pb2.DATE_PRECISION_YEAR_MONTH,
    "year": person_pb2.DATE_PRECISION_YEAR,
    "unknown": person_pb2.DATE_PRECISION_UNKNOWN,
}
_MODES = {
    "DEFAULT": authentication_pb2.MATCH_MODE_UNSPECIFIED,
    "EXACT": authentication_pb2.MATCH_MODE_EXACT,
    "PHONETIC": authentication_pb2.MATCH_MODE_PHONETIC,
    "FUZZY": authentication_pb2.MATCH_MODE_FUZZY,
}
CLAIM_KINDS = ("genuine", "wrong", "unknown")


@dataclass(frozen=True, slots=True)
class Enrolled:
    """A person of the register as the load generator knows it."""

    idcs: str
    demographics: person_pb2.Demographics


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str
    request: authentication_pb2.AuthenticateRequest
    expected: int  # authentication_pb2.Decision


def _name(latin: str, arabic: str) -> person_pb2.PersonName:
    return person_pb2.PersonName(latin=latin, arabic=arabic)


def synthetic_demographics(n: int, seed: int) -> list[tuple[str, person_pb2.Demographics]]:
    """``n`` seeded synthetic persons as (record id, full enrolment demographics)."""
    people, _ = generate(n, seed)
    out = []
    for row in people.to_dict("records"):
        precision = _PRECISION[row["birth_precision"]]
        out.append(
            (
                str(row["record_id"]),
                person_pb2.Demographics(
                    first_name=_name(row["first_name_latin"], row["first_name_arabic"]),
                    last_name=_name(row["last_name_latin"], row["last_name_arabic"]),
                    father_first_name=_name(row["father_first_name_latin"], row["father_first_name_arabic"]),
                    mother_first_name=_name(row["mother_first_name_latin"], row["mother_first_name_arabic"]),
                    sex=_SEX[row["sex"]],
                    birth_date=person_pb2.BirthDate(
                        year=int(row["birth_year"]),
                        month=int(row["birth_month"]),
                        day=int(row["birth_day"]),
                        precision=precision,
                    ),
                    birth_place_code=row["birth_place_code"],
                    cin=row["cin"],
                    phone=row["phone"],
                    residence=person_pb2.Residence(commune_code=row["commune_code"], address=row["address"]),
                ),
            )
        )
    return out


def enrol_request(key: str, demographics: person_pb2.Demographics) -> registry_pb2.EnrolRequest:
    return registry_pb2.EnrolRequest(idempotency_key=key, demographics=demographics)


def enrol_population(
    channel: grpc.Channel, api_key: str, n: int, seed: int, *, threads: int = 8, timeout: float = 30.0
) -> list[Enrolled]:
    """Enrol ``n`` seeded synthetic persons (idempotently) and return those enrolled, with their IDCS.

    The synthetic register holds duplicates on purpose; enrolment's duplicate search refuses
    them (no person, no IDCS in the answer), so they are left out of the population.
    """
    registry = registry_pb2_grpc.RegistryStub(channel)
    metadata = (("x-api-key", api_key),)

    def enrol(item: tuple[str, person_pb2.Demographics]) -> Enrolled | None:
        record_id, demographics = item
        reply = registry.Enrol(
            enrol_request(f"bench-{seed}-{record_id}", demographics), metadata=metadata, timeout=timeout
        )
        return Enrolled(reply.person.idcs, demographics) if reply.HasField("person") else None

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [e for e in pool.map(enrol, synthetic_demographics(n, seed)) if e is not None]


def unknown_idcs(rng: random.Random, known: set[str]) -> str:
    """A well-formed IDCS (first digit 2-9, Verhoeff check digit) outside ``known``."""
    while True:
        body = str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        candidate = body + str(verhoeff_check_digit(body))
        if candidate not in known:
            return candidate


def _one_script(name: person_pb2.PersonName) -> person_pb2.PersonName:
    return _name(name.latin, "") if name.latin else _name("", name.arabic)


def _claimed(d: person_pb2.Demographics) -> person_pb2.Demographics:
    """What a programme typically holds: names (one script), sex and birth date."""
    claimed = person_pb2.Demographics(
        first_name=_one_script(d.first_name), last_name=_one_script(d.last_name), sex=d.sex
    )
    if d.birth_date.precision != person_pb2.DATE_PRECISION_UNKNOWN:
        claimed.birth_date.CopyFrom(d.birth_date)
    return claimed


def claim(
    kind: str,
    population: Sequence[Enrolled],
    rng: random.Random,
    known: set[str],
    mode: str = "DEFAULT",
) -> Claim:
    """One claim of the given kind about a random person of ``population``, with its expected answer."""
    policy = authentication_pb2.MatchPolicy(default_rule=authentication_pb2.AttributePolicy(mode=_MODES[mode]))
    if kind == "wrong":
        # Only a person with a known birth date can be contradicted by a wrong one.
        while True:
            person = rng.choice(population)
            if person.demographics.birth_date.precision != person_pb2.DATE_PRECISION_UNKNOWN:
                break
        claimed = _claimed(person.demographics)
        claimed.birth_date.year -= 1
        if (claimed.birth_date.month, claimed.birth_date.day) == (2, 29):
            claimed.birth_date.day = 28
        request = authentication_pb2.AuthenticateRequest(idcs=person.idcs, claimed=claimed, policy=policy)
        return Claim(kind, request, authentication_pb2.DECISION_NO)
    person = rng.choice(population)
    if kind == "unknown":
        request = authentication_pb2.AuthenticateRequest(
            idcs=unknown_idcs(rng, known), claimed=_claimed(person.demographics), policy=policy
        )
        return Claim(kind, request, authentication_pb2.DECISION_NO)
    if kind != "genuine":
        raise ValueError(f"claim kind must be one of {CLAIM_KINDS}, got {kind!r}")
    request = authentication_pb2.AuthenticateRequest(
        idcs=person.idcs, claimed=_claimed(person.demographics), policy=policy
    )
    return Claim(kind, request, authentication_pb2.DECISION_YES)
