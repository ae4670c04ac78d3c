"""Configuration: defaults, environment, file, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Config, load_config
from server.errors import ConfigError


def test_defaults_are_embedded() -> None:
    config = load_config({})
    assert config == Config()
    assert config.effective_database_url == "sqlite:///hawiya-data/hawiya.db"
    assert config.effective_callers_file == Path("hawiya-data/callers.toml")


def test_environment_and_overrides() -> None:
    config = load_config(
        {"HAWIYA_PORT": "6000", "HAWIYA_DATA_DIR": "/srv/h", "HAWIYA_LOG_LEVEL": "debug"},
        overrides={"port": 7000, "metrics_port": None},
    )
    assert config.port == 7000 and config.data_dir == Path("/srv/h") and config.log_level == "DEBUG"
    assert config.metrics_port == 9464


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HAWIYA_PORT", "abc"),
        ("HAWIYA_PORT", "70000"),
        ("HAWIYA_THREADS", "0"),
        ("HAWIYA_DATABASE_URL", "mysql://x"),
        ("HAWIYA_ID_HASH_KEY", "zz"),
        ("HAWIYA_ID_HASH_KEY", "ab" * 8),
        ("HAWIYA_LOG_LEVEL", "LOUD"),
        ("HAWIYA_GRACE_SECONDS", "-1"),
        ("HAWIYA_PROT", "50051"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config({variable: value})
    assert err.value.variable == variable
    assert str(err.value).startswith(variable)


def test_file_settings_under_environment(tmp_path: Path) -> None:
    path = tmp_path / "hawiya.toml"
    path.write_text("port = 6001\nthreads = 4\n")
    config = load_config({"HAWIYA_CONFIG_FILE": str(path), "HAWIYA_THREADS": "8"})
    assert config.port == 6001 and config.threads == 8


def test_bad_file_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "hawiya.toml"
    path.write_text('port = "x"\n')
    with pytest.raises(ConfigError, match="port"):
        load_config({"HAWIYA_CONFIG_FILE": str(path)})
    path.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="colour"):
        load_config({"HAWIYA_CONFIG_FILE": str(path)})
    with pytest.raises(ConfigError, match="HAWIYA_CONFIG_FILE"):
        load_config({"HAWIYA_CONFIG_FILE": str(tmp_path / "missing.toml")})


def test_security_settings() -> None:
    config = load_config(
        {
            "HAWIYA_MAX_DEADLINE_SECONDS": "2.5",
            "HAWIYA_MAX_FAILED_ATTEMPTS": "5",
            "HAWIYA_ATTEMPT_WINDOW_SECONDS": "60",
            "HAWIYA_FREEZE_SECONDS": "1800",
        }
    )
    assert (config.max_deadline_seconds, config.max_failed_attempts) == (2.5, 5)
    assert (config.attempt_window_seconds, config.freeze_seconds) == (60.0, 1800.0)
    for variable, value in (("HAWIYA_MAX_FAILED_ATTEMPTS", "0"), ("HAWIYA_MAX_DEADLINE_SECONDS", "0")):
        with pytest.raises(ConfigError) as err:
            load_config({variable: value})
        assert err.value.variable == variable


def test_tls_settings_go_together() -> None:
    assert load_config({"HAWIYA_TLS_CERT": "c.pem", "HAWIYA_TLS_KEY": "k.pem"}).tls_cert == Path("c.pem")
    for env, variable in (
        ({"HAWIYA_TLS_CERT": "c.pem"}, "HAWIYA_TLS_KEY"),
        ({"HAWIYA_TLS_KEY": "k.pem"}, "HAWIYA_TLS_CERT"),
        ({"HAWIYA_TLS_CLIENT_CA": "ca.pem"}, "HAWIYA_TLS_CLIENT_CA"),
    ):
        with pytest.raises(ConfigError) as err:
            load_config(env)
        assert err.value.variable == variable


def test_id_hash_key_is_created_once_by_racing_processes(tmp_path: Path) -> None:
    import multiprocessing

    from server.idhash import load_or_create_key

    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        keys = pool.starmap(load_or_create_key, [("", tmp_path)] * 8)
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert load_or_create_key("", tmp_path) == keys[0]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("input_dir", ["{data}", "{data}/dedup-jobs", "{data}/dedup-jobs/inbox", "{data}/../d/."])
def test_the_dedup_input_folder_is_never_the_jobs_folder(tmp_path: Path, input_dir: str) -> None:
    data = tmp_path / "d"
    env = {"HAWIYA_DATA_DIR": str(data), "HAWIYA_DEDUP_INPUT_DIR": input_dir.format(data=data)}
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    assert "HAWIYA_DEDUP_INPUT_DIR" in str(caught.value)
    env["HAWIYA_DEDUP_INPUT_DIR"] = str(data / "dedup-input")
    assert load_config(env).effective_dedup_input_dir == data / "dedup-input"
    env["HAWIYA_DEDUP_INPUT_DIR"] = str(tmp_path / "elsewhere")
    assert load_config(env).dedup_input_dir == tmp_path / "elsewhere"
