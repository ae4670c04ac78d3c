"""Demographics as a register-layout table: the same columns and values as registered persons'."""

from __future__ import annotations

from datetime import UTC, datetime

from dedup.demographics import REGISTER_COLUMNS, demographics_frame
from dedup.quality.sources import persons_frame
from registry_store.model import BirthDate, DatePrecision, Demographics, Name, Person, PersonStatus, Residence, Sex


def test_demographics_frame_matches_persons_frame() -> None:
    records = [
        Demographics(
            first_name=Name("Mohammed", "محمد"),
            last_name=Name("El Alaoui", "العلوي"),
            sex=Sex.MALE,
            birth_date=BirthDate(1985, 4, 12, DatePrecision.FULL),
            birth_place_code="141.01",
            cin="BE123456",
            residence=Residence("141.01.03", "12 derb Sidi Ahmed"),
        ),
        Demographics(last_name=Name("", "بناني"), birth_date=BirthDate(1950, 0, 0, DatePrecision.YEAR)),
    ]
    frame = demographics_frame(records)
    assert tuple(frame.columns) == REGISTER_COLUMNS
    assert frame["sex"].tolist() == ["M", ""]  # unspecified is missing
    assert frame["birth_year"].dtype == "int64" and frame["birth_month"].tolist() == [4, 0]
    now = datetime.now(UTC)
    persons = [Person(f"{i}", 1, d, PersonStatus.ACTIVE, "", now, now) for i, d in enumerate(records)]
    assert frame.equals(persons_frame(persons)[list(REGISTER_COLUMNS)])
    assert len(demographics_frame([])) == 0
