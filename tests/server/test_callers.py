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


def test_policies_in_the_file(tmp_path: Path) -> None:
    from server.callers import PERSON_ATTRIBUTES

    path = tmp_path / "callers.toml"
    key = add_caller(
        path,
        "portal",
        ["Residents/*", "Registry/GetPerson"],
        readable_attributes=["first_name", "birth_date"],
        rate_limit_per_second=50,
        rate_limit_burst=80,
        reveal_unknown_idcs=True,
        reveal_denial_reason=True,
        tls_subject="CN=portal,O=DGSN,C=MA",
    )
    other = add_caller(path, "plain", ["Authentication/Authenticate"], readable_attributes=["*"])
    registry = CallerRegistry.from_file(path)
    portal = registry.authenticate(key)
    assert portal.readable_attributes == {"first_name", "birth_date"}
    assert (portal.rate_limit_per_second, portal.rate_limit_burst) == (50.0, 80)
    assert portal.reveal_unknown_idcs and portal.reveal_denial_reason
    assert registry.by_certificate("cn=portal, o=DGSN, c=MA") is portal  # case and spaces do not matter
    assert registry.by_certificate("CN=portal,O=DGSN") is None
    registry.authorise(portal, "Residents/GetAuthHistory")
    plain = registry.authenticate(other)
    assert plain.readable_attributes == set(PERSON_ATTRIBUTES)
    assert not plain.reveal_unknown_idcs and not plain.reveal_denial_reason and plain.rate_limit_per_second == 0


def test_defaults_are_the_strict_ones(tmp_path: Path) -> None:
    path = tmp_path / "callers.toml"
    key = add_caller(path, "amo", ["Registry/GetPerson"])
    caller = CallerRegistry.from_file(path).authenticate(key)
    assert caller.readable_attributes == frozenset()
    assert not caller.reveal_unknown_idcs and not caller.reveal_denial_reason
    assert caller.rate_limit_per_second == 0


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ('readable_attributes = ["religion"]', "readable_attributes"),
        ("readable_attributes = 3", "readable_attributes"),
        ("rate_limit_per_second = -1", "rate_limit_per_second"),
        ("rate_limit_per_second = 5\nrate_limit_burst = 0", "rate_limit_burst"),
        ('reveal_unknown_idcs = "yes"', "reveal_unknown_idcs"),
        ("tls_subject = 5", "tls_subject"),
    ],
)
def test_bad_policies_say_where(tmp_path: Path, entry: str, fragment: str) -> None:
    path = tmp_path / "callers.toml"
    path.write_text(f'[callers.a]\nkey_sha256 = "{"0" * 64}"\n{entry}\n')
    with pytest.raises(CallersFileError, match=fragment):
        CallerRegistry.from_file(path)


def test_a_caller_may_have_a_certificate_and_no_key(tmp_path: Path) -> None:
    path = tmp_path / "callers.toml"
    path.write_text('[callers.a]\ntls_subject = "CN=a"\nallowed_rpcs = ["Authentication/Authenticate"]\n')
    registry = CallerRegistry.from_file(path)
    assert registry.by_certificate("CN=a") is not None
    with pytest.raises(Unauthenticated):
        registry.authenticate("anything")  # no key hashes to its empty digest
    path.write_text('[callers.a]\ntls_subject = "CN=a"\n[callers.b]\ntls_subject = "cn=a"\n')
    with pytest.raises(CallersFileError, match="same tls_subject"):
        CallerRegistry.from_file(path)
    path.write_text("[callers.a]\nallowed_rpcs = []\n")
    with pytest.raises(CallersFileError, match="key_sha256"):
        CallerRegistry.from_file(path)
