"""Authentication decisions per mode: what each accepts and what it keeps apart."""

from __future__ import annotations

import pytest

from matcher.authentication import (
    DateValue,
    Identity,
    MatchMode,
    MatchRule,
    NameValue,
    claimed_attributes,
    decide,
    name_similarity,
    prepare_profile,
)
from matcher.errors import MatcherError
from matcher.phonetic import phonetic_keys

REGISTERED = Identity(
    first_name=NameValue("Mohammed Amine", "محمد أمين"),
    last_name=NameValue("El Idrissi", "الإدريسي"),
    father_first_name=NameValue("Abdelkader", "عبد القادر"),
    sex="M",
    birth_date=DateValue(1984, 7, 2, "full"),
    cin="BE123456",
)
PROFILE = prepare_profile(REGISTERED)


IDRISSI = NameValue("El Idrissi")


def _claim(first: NameValue, last: NameValue = IDRISSI, **more: object) -> Identity:
    return Identity(first_name=first, last_name=last, sex="M", birth_date=DateValue(1984, 7, 2, "full"), **more)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("claim", "exact", "phonetic", "fuzzy"),
    [
        (_claim(NameValue("MOHAMMED-AMINE"), NameValue("el idrissi")), True, True, True),
        (_claim(NameValue("Mohamedamine")), False, True, True),
        (_claim(NameValue("Mohamed Amine"), NameValue("Idrissi")), False, True, True),
        (_claim(NameValue(arabic="محمد امين"), NameValue(arabic="ادريسي")), True, True, True),
        (_claim(NameValue(arabic="محمد أمين"), NameValue("Elidrissi")), True, True, True),
        (_claim(NameValue("Mohamed Amine"), NameValue(arabic="الادريسي")), False, True, True),
        (_claim(NameValue("Mohammed Amnie")), False, False, True),
        (_claim(NameValue("Mahmoud Amine")), False, False, False),
        (_claim(NameValue("Mohammed Amina")), False, False, False),
        (_claim(NameValue("Mohammed Amine", "محمود")), False, False, False),
        (_claim(NameValue("Mohammed Amine"), NameValue("El Idrissi"), cin="BE123457"), False, False, False),
    ],
)
def test_modes(claim: Identity, exact: bool, phonetic: bool, fuzzy: bool) -> None:
    got = [decide(claim, PROFILE, MatchRule(mode)).accepted for mode in MatchMode]
    assert got == [exact, phonetic, fuzzy]


def test_dates_compare_under_the_lesser_precision() -> None:
    for date, ok in [
        (DateValue(1984, 0, 0, "year"), True),
        (DateValue(1984, 7, 0, "year_month"), True),
        (DateValue(1984, 2, 7, "full"), False),  # day and month swapped: a different date
        (DateValue(1985, 0, 0, "year"), False),
    ]:
        claim = Identity(first_name=NameValue("Mohammed Amine"), birth_date=date)
        assert decide(claim, PROFILE).accepted is ok, date


def test_unknown_person_matches_nothing_with_the_same_shape() -> None:
    claim = _claim(NameValue("Mohammed Amine"))
    known, unknown = decide(claim, PROFILE), decide(claim, None)
    assert known.accepted and not unknown.accepted
    assert [m.attribute for m in known.matches] == [m.attribute for m in unknown.matches]
    assert not any(m.matched for m in unknown.matches)


def test_claims_list_their_attributes_in_order() -> None:
    claim = Identity(cin="X1", first_name=NameValue("A"), commune_code="C1")
    assert claimed_attributes(claim) == ("first_name", "cin", "residence")
    with pytest.raises(MatcherError):
        decide(Identity(), PROFILE)


def test_similarity_is_order_free_and_bounded() -> None:
    a, b = phonetic_keys("Fatima Zahra El Alaoui"), phonetic_keys("El Alaoui Fatima-Zahra")
    assert name_similarity(a, b) == 1.0
    assert 0.0 <= name_similarity(phonetic_keys("Said"), phonetic_keys("Saida")) < 1.0
    assert name_similarity((), a) == 0.0


def test_rules_validate_their_threshold() -> None:
    with pytest.raises(MatcherError):
        MatchRule(MatchMode.FUZZY, 0.0)
