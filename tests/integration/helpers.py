"""Request builders and status readers shared by the integration tests."""

from __future__ import annotations

import uuid

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from hawiya.v1 import authentication_pb2, person_pb2, registry_pb2


def distinct_name(prefix: str, n: int) -> str:
    """``prefix`` and five syllables spelling ``n`` (0 ≤ n < 32768): each n its own phonetic key.

    Test people are told apart by such names; letters alone (SalmaA, SalmaE) share a phonetic
    key, and with the same surname, date and parents Enrol's 1:N search rightly calls them one
    person.
    """
    if not 0 <= n < 8**5:
        raise ValueError(f"n must be in [0, {8**5}), got {n}")
    syllables = []
    for _ in range(5):
        syllables.append("bdflmnrt"[n % 8] + "a")
        n //= 8
    return prefix + "".join(syllables)


def demographics(
    first: str = "Fatima Zahra",
    last: str = "El Alaoui",
    *,
    first_ar: str = "فاطمة الزهراء",
    last_ar: str = "العلوي",
    sex: int = person_pb2.SEX_FEMALE,
    birth: tuple[int, int, int] = (1987, 3, 12),
    precision: int = person_pb2.DATE_PRECISION_FULL,
    **extra: object,
) -> person_pb2.Demographics:
    year, month, day = birth
    fields: dict[str, object] = {"birth_place_code": "P101", "cin": "BE123456", "phone": "0612345678", **extra}
    return person_pb2.Demographics(
        first_name=person_pb2.PersonName(latin=first, arabic=first_ar),
        last_name=person_pb2.PersonName(latin=last, arabic=last_ar),
        father_first_name=person_pb2.PersonName(latin="Abdelkader", arabic="عبد القادر"),
        mother_first_name=person_pb2.PersonName(latin="Khadija", arabic="خديجة"),
        sex=sex,
        birth_date=person_pb2.BirthDate(year=year, month=month, day=day, precision=precision),
        **fields,  # type: ignore[arg-type]
    )


def enrol_request(d: person_pb2.Demographics, key: str | None = None) -> registry_pb2.EnrolRequest:
    return registry_pb2.EnrolRequest(idempotency_key=key or uuid.uuid4().hex, demographics=d)


def claim(idcs: str, **fields: object) -> authentication_pb2.AuthenticateRequest:
    return authentication_pb2.AuthenticateRequest(idcs=idcs, claimed=person_pb2.Demographics(**fields))  # type: ignore[arg-type]


def bad_fields(err: grpc.RpcError) -> list[str]:
    """The field paths of the BadRequest detail of an error (empty if none)."""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    fields: list[str] = []
    if status is None:
        return fields
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    return fields


def unknown_valid_idcs(known: set[str]) -> str:
    from registry_store.idcs import new_idcs

    while True:
        candidate = new_idcs()
        if candidate not in known:
            return candidate


def mistype(idcs: str) -> str:
    """The IDCS with one digit changed (the check digit then fails)."""
    digit = str((int(idcs[4]) + 1) % 10)
    return idcs[:4] + digit + idcs[5:]


def metric_samples(text: str, name: str, **labels: str) -> list[float]:
    """The values of metric ``name``'s samples in a /metrics scrape that carry all of ``labels``."""
    found = []
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            found.append(float(line.rsplit(" ", 1)[1]))
    return found
