"""Callers: keys stored hashed, looked up in constant time, RPCs allowed per caller."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.callers import CallerRegistry, add_caller, hash_key
from server.errors import CallersFileError, PermissionDenied, Unauthenticated


@pytest.fixture()
def callers_file(tmp_path: Path) -> tuple[Path, str, str]:
    path = tmp_path / "callers.toml"
    k1 = add_caller(path, "cnss-amo", ["Authentication/Authenticate"])
    k2 = add_caller(path, "desk-rabat", ["Registry/*"])
    return path, k1, k2


def test_keys_are_stored_only_hashed(callers_file: tuple[Path, str, str]) -> None:
    path, k1, k2 = callers_file
    text = path.read_text()
    assert k1 not in text and k2 not in text
    assert hash_key(k1) in text and hash_key(k2) in text


def test_lookup_and_permissions(callers_file: tuple[Path, str, str]) -> None:
    path, k1, k2 = callers_file
    registry = CallerRegistry.from_file(path)
    amo = registry.authenticate(k1)
    desk = registry.authenticate(k2)
    assert (amo.caller_id, desk.caller_id) == ("cnss-amo", "desk-rabat")
    registry.authorise(amo, "Authentication/Authenticate")
    registry.authorise(desk, "Registry/Enrol")
    with pytest.raises(PermissionDenied):
        registry.authorise(amo, "Registry/Enrol")
    with pytest.raises(PermissionDenied):
        registry.authorise(desk, "Authentication/Authenticate")
    for bad in (None, "", k1[:-1], k1 + "x"):
        with pytest.raises(Unauthenticated):
            registry.authenticate(bad)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('[callers.X]\nkey_sha256 = "00"\n', "callers.X"),
        ('[callers.a]\nkey_sha256 = "00"\n', "key_sha256"),
        (f'[callers.a]\nkey_sha256 = "{"0" * 64}"\nallowed_rpcs = ["Registry/Delete"]\n', "Registry/Delete"),
        ("callers = [", "not valid TOML"),
    ],
)
def test_malformed_files_say_where(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "callers.toml"
    path.write_text(content)
    with pytest.raises(CallersFileError, match=fragment):
        CallerRegistry.from_file(path)


def test_duplicate_caller_refused(callers_file: tuple[Path, str, str]) -> None:
    path, _, _ = callers_file
    with pytest.raises(CallersFileError, match="already exists"):
        add_caller(path, "cnss-amo", ["Registry/*"])


def test_match_policy_per_caller(tmp_path: Path) -> None:
    from matcher.authentication import MatchMode

    path = tmp_path / "callers.toml"
    key = add_caller(path, "amo", ["Authentication/Authenticate"], ["FUZZY", "EXACT"])
    caller = CallerRegistry.from_file(path).authenticate(key)
    assert caller.default_match_mode is MatchMode.FUZZY
    assert caller.rule(None, 0.0, "policy.default_rule").min_score == caller.min_fuzzy_score
    assert caller.rule(MatchMode.EXACT, 0.0, "policy.first_name").mode is MatchMode.EXACT
    with pytest.raises(PermissionDenied, match="PHONETIC"):
        caller.rule(MatchMode.PHONETIC, 0.0, "policy.first_name")
    with pytest.raises(PermissionDenied, match="below"):
        caller.rule(MatchMode.FUZZY, 0.5, "policy.first_name")
    from server.errors import InvalidField

    with pytest.raises(InvalidField) as err:
        caller.rule(MatchMode.FUZZY, float("nan"), "policy.first_name")
    assert err.value.field == "policy.first_name.min_score"


def test_bad_match_policy_in_file(tmp_path: Path) -> None:
    path = tmp_path / "callers.toml"
    path.write_text(f'[callers.a]\nkey_sha256 = "{"0" * 64}"\nmatch_modes = ["SOUNDEX"]\n')
    with pytest.raises(CallersFileError, match="SOUNDEX"):
        CallerRegistry.from_file(path)
    path.write_text(f'[callers.a]\nkey_sha256 = "{"0" * 64}"\nmatch_modes = ["FUZZY"]\n')
    with pytest.raises(CallersFileError, match="default_match_mode"):
        CallerRegistry.from_file(path)
