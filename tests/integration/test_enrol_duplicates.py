"""Enrolment's 1:N duplicate search and Identify, through the real server over a real channel.

A person is enrolled; the same person written with another transliteration of his first name
is refused as DUPLICATE with the first IDCS (and a retry gets the same answer); another man with
the same common name and birth year is enrolled; Identify ranks the first person top; a caller
not allowed to identify is refused. On SQLite and PostgreSQL (the `server` fixture).
"""

from __future__ import annotations

import uuid

import grpc
import pytest

from hawiya.v1 import person_pb2, registry_pb2, registry_pb2_grpc
from tests.integration.conftest import ServerHandle
from tests.integration.helpers import bad_fields, demographics, enrol_request


def _mohammed(first: str = "Mohammed", **changes: object) -> person_pb2.Demographics:
    fields: dict[str, object] = {
        "first_ar": "محمد",
        "last_ar": "العلوي",
        "sex": person_pb2.SEX_MALE,
        "birth": (1985, 4, 12),
        "birth_place_code": "141.01",
        "cin": "BE654321",
        "phone": "0612000001",
        "father_first_name": person_pb2.PersonName(latin="Abdellah", arabic="عبد الله"),
        "mother_first_name": person_pb2.PersonName(latin="Fatima", arabic="فاطمة"),
        **changes,
    }
    father = fields.pop("father_first_name")
    mother = fields.pop("mother_first_name")
    d = demographics(first, "El Alaoui", **fields)  # type: ignore[arg-type]
    d.father_first_name.CopyFrom(father)  # type: ignore[arg-type]
    d.mother_first_name.CopyFrom(mother)  # type: ignore[arg-type]
    return d


def _identify(d: person_pb2.Demographics, **fields: object) -> registry_pb2.IdentifyRequest:
    return registry_pb2.IdentifyRequest(demographics=d, **fields)  # type: ignore[arg-type]


def test_duplicates_are_refused_namesakes_enrolled_and_identify_ranks(server: ServerHandle) -> None:
    with server.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        store = server.store()
        try:
            first = registry.Enrol(enrol_request(_mohammed()), metadata=server.metadata())
            assert first.outcome == registry_pb2.ENROL_OUTCOME_ENROLLED
            before = store.count_persons()

            # The same man, his first name transliterated "Mohamed" by another desk.
            key = uuid.uuid4().hex
            duplicate = registry.Enrol(enrol_request(_mohammed("Mohamed"), key), metadata=server.metadata())
            assert duplicate.outcome == registry_pb2.ENROL_OUTCOME_DUPLICATE
            assert [m.idcs for m in duplicate.matches] == [first.person.idcs]
            assert duplicate.matches[0].probability >= 0.9
            assert not duplicate.HasField("person") and duplicate.review_id == ""
            assert store.count_persons() == before
            # A retry with the same key: the same answer, still nothing written.
            again = registry.Enrol(enrol_request(_mohammed("Mohamed"), key), metadata=server.metadata())
            assert again == duplicate and store.count_persons() == before

            # Another man with the same common name and birth year: other father, date, place, CIN, phone.
            namesake = _mohammed(
                birth=(1985, 9, 3),
                birth_place_code="201.05",
                cin="JA112233",
                phone="0661000002",
                father_first_name=person_pb2.PersonName(latin="Ahmed", arabic="أحمد"),
                mother_first_name=person_pb2.PersonName(latin="Khadija", arabic="خديجة"),
            )
            other = registry.Enrol(enrol_request(namesake), metadata=server.metadata())
            assert other.outcome == registry_pb2.ENROL_OUTCOME_ENROLLED
            assert other.person.idcs != first.person.idcs and store.count_persons() == before + 1
        finally:
            store.close()

        # Identify: the transliteration variant finds the first man, top, with per-field levels.
        reply = registry.Identify(_identify(_mohammed("Mohamed")), metadata=server.metadata())
        ranked = list(reply.candidates)
        assert ranked[0].idcs == first.person.idcs and ranked[0].probability >= 0.9
        assert other.person.idcs in {c.idcs for c in ranked}
        assert [c.probability for c in ranked] == sorted((c.probability for c in ranked), reverse=True)
        levels = {f.field: f.level for f in ranked[0].levels}
        assert levels["cin"] == 1 and "first_name" in levels
        top = registry.Identify(_identify(_mohammed("Mohamed"), max_results=1), metadata=server.metadata())
        assert [c.idcs for c in top.candidates] == [first.person.idcs]
        sure = registry.Identify(_identify(namesake, min_probability=0.9), metadata=server.metadata())
        assert [c.idcs for c in sure.candidates] == [other.person.idcs]
        with pytest.raises(grpc.RpcError) as err:
            registry.Identify(_identify(_mohammed(), max_results=500), metadata=server.metadata())
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(err.value) == ["max_results"]


def test_identify_is_only_for_callers_allowed_to(server: ServerHandle) -> None:
    with server.channel() as channel:
        registry = registry_pb2_grpc.RegistryStub(channel)
        for caller in ("reader", "auth-only"):
            with pytest.raises(grpc.RpcError) as err:
                registry.Identify(_identify(_mohammed()), metadata=server.metadata(caller))
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "Registry/Identify" in (err.value.details() or "")


def test_the_index_size_is_a_metric_without_personal_data(server: ServerHandle) -> None:
    text = server.scrape_metrics()
    store = server.store()
    try:
        registered = store.count_persons()
    finally:
        store.close()
    (line,) = [x for x in text.splitlines() if x.startswith("hawiya_candidate_index_records ")]
    assert float(line.split()[1]) == registered
    for secret in ("Alaoui", "العلوي", "BE654321", "0612000001"):
        assert secret not in text and secret not in server.log_text()
