"""Persons for the enrolment and candidate-index tests, and the service under test over a real store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dedup.scorer import RecordScorer
from registry_store.cache import NoCache
from registry_store.model import BirthDate, DatePrecision, Demographics, Name, Residence, Sex
from registry_store.reviews import ReviewStore
from registry_store.store import RegistryStore
from server.enrolment import DuplicatePolicy, RegistryService
from server.identify import Identifier
from server.person_index import SNAPSHOT_FOLDER, PersonIndex
from server.profiles import ProfileSource

MOHAMMED = Demographics(
    first_name=Name("Mohammed", "محمد"),
    last_name=Name("El Alaoui", "العلوي"),
    father_first_name=Name("Abdellah", "عبد الله"),
    mother_first_name=Name("Fatima", "فاطمة"),
    sex=Sex.MALE,
    birth_date=BirthDate(1985, 4, 12, DatePrecision.FULL),
    birth_place_code="141.01",
    cin="BE123456",
    phone="0612345678",
    residence=Residence("141.01.03", "12 derb Sidi Ahmed, Fès"),
)
# The same person written by another desk: the usual other transliteration of his first name.
MOHAMED = replace(MOHAMMED, first_name=Name("Mohamed", "محمد"))
# Another man with the same (very common) name and birth year: other parents, date, place, CIN.
NAMESAKE = replace(
    MOHAMMED,
    father_first_name=Name("Ahmed", "أحمد"),
    mother_first_name=Name("Khadija", "خديجة"),
    birth_date=BirthDate(1985, 9, 3, DatePrecision.FULL),
    birth_place_code="201.05",
    cin="JA765432",
    phone="0661234567",
    residence=Residence("201.05.01", "3 rue Ibn Sina, Casablanca"),
)
# The same names, date, parents and place as MOHAMMED but another CIN and phone: the model is
# unsure (a probability of a few percent), which the tests use to reach POSSIBLE_DUPLICATE.
UNSURE = replace(MOHAMMED, cin="ZZ999999", phone="0700000000")

_FIRST = ["Youssef", "Hamza", "Zakaria", "Omar", "Karim", "Anas", "Ilyas", "Mehdi"]
_FIRST_AR = ["يوسف", "حمزة", "زكرياء", "عمر", "كريم", "أنس", "إلياس", "مهدي"]
_LAST = ["Bennani", "Tazi", "Idrissi", "Berrada", "Chraibi", "Fassi"]
_LAST_AR = ["بناني", "التازي", "الإدريسي", "برادة", "الشرايبي", "الفاسي"]


def distinct(i: int) -> Demographics:
    """A person clearly different from every other ``i`` (and from MOHAMMED)."""
    return Demographics(
        first_name=Name(_FIRST[i % 8], _FIRST_AR[i % 8]),
        last_name=Name(_LAST[i // 8 % 6], _LAST_AR[i // 8 % 6]),
        father_first_name=Name(_FIRST[(i * 3 + 1) % 8], _FIRST_AR[(i * 3 + 1) % 8]),
        mother_first_name=Name("Amina", "أمينة"),
        sex=Sex.MALE,
        birth_date=BirthDate(1950 + i % 50, 1 + i % 12, 1 + i % 28, DatePrecision.FULL),
        birth_place_code=f"{100 + i % 90}.01",
        cin=f"DS{i:06d}",
        phone=f"069{i:07d}",
    )


@dataclass
class Registry:
    """A register on disk with the enrolment service over it, as one server process holds it."""

    store: RegistryStore
    index: PersonIndex
    service: RegistryService
    reviews: ReviewStore


_SCORER: RecordScorer | None = None


def scorer() -> RecordScorer:
    global _SCORER
    if _SCORER is None:
        _SCORER = RecordScorer.default()
    return _SCORER


def open_registry(
    url: str, data_dir: Path | None = None, policy: DuplicatePolicy | None = None, *, load: bool = True
) -> Registry:
    store = RegistryStore.from_url(url)
    index = PersonIndex(store, data_dir / SNAPSHOT_FOLDER if data_dir is not None else None)
    if load:
        index.load()
    reviews = ReviewStore(store)
    service = RegistryService(
        store,
        ProfileSource(store, NoCache()),
        lambda idcs: "0" * 64,
        Identifier(store, index, scorer()),
        reviews,
        policy,
    )
    return Registry(store, index, service, reviews)
