"""IDCS format, Verhoeff check digit and allocation."""

from __future__ import annotations

import random

import pytest

from registry_store import (
    InvalidField,
    InvalidIdcs,
    is_valid_idcs,
    new_idcs,
    validate_idcs,
    verhoeff_check_digit,
)
from registry_store.idcs import _has_long_run


@pytest.mark.parametrize(
    ("digits", "check"),
    [
        ("236", "3"),
        ("12345", "1"),
        ("142857", "0"),
        ("0", "4"),
        ("75872", "2"),
        ("123456789012", "0"),
        ("8473643095483728456789", "2"),
    ],
)
def test_verhoeff_known_vectors(digits: str, check: str) -> None:
    assert verhoeff_check_digit(digits) == check


@pytest.mark.parametrize("bad", ["", "12a", "１２３", " 12", "12.3", "-1"])
def test_verhoeff_refuses_non_ascii_digits(bad: str) -> None:
    with pytest.raises(InvalidField) as info:
        verhoeff_check_digit(bad)
    assert info.value.field == "digits"


def _valid_samples(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [new_idcs(rng) for _ in range(n)]


def test_new_idcs_is_valid_and_seeded_rng_is_reproducible() -> None:
    first = _valid_samples(500, seed=11)
    assert first == _valid_samples(500, seed=11)
    assert len(set(first)) == 500
    for idcs in first:
        assert len(idcs) == 10
        assert idcs.isascii() and idcs.isdigit()
        assert idcs[0] not in "01"
        assert is_valid_idcs(idcs)
        assert validate_idcs(idcs) == idcs
        assert verhoeff_check_digit(idcs[:9]) == idcs[9]


def test_new_idcs_default_source_is_random() -> None:
    drawn = {new_idcs() for _ in range(200)}
    assert len(drawn) == 200
    assert all(is_valid_idcs(s) for s in drawn)


def test_every_single_substitution_and_adjacent_transposition_is_detected() -> None:
    for idcs in _valid_samples(300, seed=2024):
        for pos in range(10):
            for digit in "0123456789":
                if digit != idcs[pos]:
                    typo = idcs[:pos] + digit + idcs[pos + 1 :]
                    assert not is_valid_idcs(typo), (idcs, pos, digit)
        for pos in range(9):
            if idcs[pos] != idcs[pos + 1]:
                swapped = idcs[:pos] + idcs[pos + 1] + idcs[pos] + idcs[pos + 2 :]
                assert not is_valid_idcs(swapped), (idcs, pos)


def _with_check(body: str) -> str:
    return body + verhoeff_check_digit(body)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "123",
        _with_check("23456789")[:-1],  # 9 digits
        _with_check("2345678901"),  # 11 digits
        _with_check("034567890"),  # leading 0
        _with_check("134567890"),  # leading 1
        "２３４５６７８９０１",  # full-width digits
        "٢٣٤٥٦٧٨٩٠١",  # Arabic-Indic digits
        " " + _with_check("23456789")[:9],
        _with_check("234567890") + " ",
        _with_check("234567890") + "\n",
        "23456789O1",  # letter O
    ],
)
def test_invalid_idcs_refused(bad: str) -> None:
    assert not is_valid_idcs(bad)
    with pytest.raises(InvalidIdcs) as info:
        validate_idcs(bad)
    assert info.value.field == "idcs"
    assert str(info.value) == "idcs: must be 10 digits with a valid check digit"


def test_full_width_digits_of_a_valid_idcs_are_refused() -> None:
    idcs = _valid_samples(1, seed=3)[0]
    full_width = "".join(chr(ord(c) - ord("0") + ord("０")) for c in idcs)
    assert full_width.isdigit()  # Python calls them digits; the IDCS does not
    assert not is_valid_idcs(full_width)


def test_wrong_check_digit_refused_and_field_named_without_value() -> None:
    idcs = _valid_samples(1, seed=5)[0]
    wrong = idcs[:9] + str((int(idcs[9]) + 1) % 10)
    with pytest.raises(InvalidIdcs) as info:
        validate_idcs(wrong, field="merged_into")
    assert info.value.field == "merged_into"
    assert wrong not in str(info.value)
    assert str(info.value).startswith("merged_into:")


def test_non_string_refused() -> None:
    assert not is_valid_idcs(2345678901)  # type: ignore[arg-type]
    with pytest.raises(InvalidIdcs):
        validate_idcs(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2777712345", True),  # four identical
        ("2777813579", False),  # three identical
        ("2345098765", True),  # 2345 ascending
        ("2340987650", True),  # 9876 descending
        ("2348909650", False),  # 89 then 0: no wrap-around
        ("2124689753", False),
        ("9876000000", True),
    ],
)
def test_allocation_filter_runs(text: str, expected: bool) -> None:
    assert _has_long_run(text) is expected


class _ScriptedRandom(random.Random):
    """Yields scripted digits from randrange, to drive new_idcs through its filters."""

    def __init__(self, digits: str) -> None:
        super().__init__(0)
        self._digits = iter(digits)

    def randrange(self, *args: int, **kwargs: object) -> int:  # type: ignore[override]
        return int(next(self._digits))


def test_new_idcs_skips_numbers_with_long_runs() -> None:
    repeated = "277771234"  # four 7s: rejected
    ascending = "245678912"  # 45678: rejected
    good = "281736459"
    drawn = new_idcs(_ScriptedRandom(repeated + ascending + good))
    assert drawn == _with_check(good)
    assert is_valid_idcs(drawn)


def test_allocated_idcs_never_have_long_runs() -> None:
    assert not any(_has_long_run(s) for s in _valid_samples(5000, seed=99))


def test_verhoeff_tables_are_consistent() -> None:
    from registry_store.idcs import _D, _INV, _P

    for i in range(1, 8):  # p(i) is p(1) applied i times
        assert _P[i] == tuple(_P[1][x] for x in _P[i - 1])
    for j in range(10):
        assert _D[j][_INV[j]] == 0


def test_is_valid_idcs_agrees_with_the_check_digit_over_random_numbers() -> None:
    # is_valid_idcs runs Verhoeff from precomputed per-position tables; verhoeff_check_digit
    # composes the published tables. Over random ten-digit strings they must agree.
    rng = random.Random(7)
    numbers = ["".join(rng.choice("0123456789") for _ in range(10)) for _ in range(20_000)]
    valid = 0
    for number in numbers:
        expected = number[0] not in "01" and verhoeff_check_digit(number[:9]) == number[9]
        assert is_valid_idcs(number) is expected, number
        valid += expected
    assert 1_000 < valid < 2_500  # about one in ten numbers has the right check digit, 8 in 10 a good first digit
