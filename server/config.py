"""The service configuration: read once at start-up from the environment and an optional file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from server.errors import ConfigError

__all__ = ["Config", "describe_settings", "load_config"]

ENV_PREFIX = "HAWIYA_"


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting of ``hawiya serve``. Build it with :func:`load_config`."""

    host: str = "127.0.0.1"
    port: int = 50051
    metrics_port: int = 9464
    data_dir: Path = Path("hawiya-data")
    database_url: str = ""  # empty: SQLite file in data_dir
    redis_url: str = ""  # empty: in-process cache
    cache_ttl_seconds: int = 300
    cache_entries: int = 100_000
    workers: int = 1
    callers_file: Path | None = None  # None: data_dir/callers.toml
    id_hash_key: str = ""  # empty: a random key kept in data_dir/id-hash.key
    rsu_index_formula: Path | None = None  # None: the packaged, illustrative formula
    threads: int = 16
    max_concurrent_rpcs: int = 256
    max_message_bytes: int = 1 << 20
    grace_seconds: float = 10.0
    log_level: str = "INFO"
    # Security and robustness (issue 6).
    max_deadline_seconds: float = 30.0
    max_failed_attempts: int = 10
    attempt_window_seconds: float = 3600.0
    freeze_seconds: float = 1800.0
    tls_cert: Path | None = None  # None: plaintext (put TLS in front, or set cert and key)
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # set: clients must present a certificate it signed (mTLS)
    quality_interval: int = 3600  # seconds between data-quality reports; 0 = none
    # The 1:N duplicate search of enrolment and Identify.
    duplicate_high: float = 0.9  # match probability from which an enrolment is a DUPLICATE
    duplicate_low: float = 0.5  # from which it is a POSSIBLE_DUPLICATE, held for review
    match_model: Path | None = None  # None: the packaged model (dedup/data/register_model.json)
    # Batch dedup jobs (the Deduplication service).
    dedup_input_dir: Path | None = None  # None: data_dir/dedup-input
    dedup_max_running: int = 1
    dedup_max_queued: int = 8
    dedup_max_stream_records: int = 10_000_000
    dedup_retention_days: int = 7  # 0: finished jobs are kept until DeleteJob
    dedup_min_free_mb: int = 1024
    max_stream_seconds: float = 3600.0
    stream_idle_seconds: float = 60.0
    stream_concurrency: int = 1  # AuthenticateStream chunks a worker answers at once

    def __post_init__(self) -> None:
        if not 0.0 < self.duplicate_low <= self.duplicate_high <= 1.0:
            raise ConfigError(
                "HAWIYA_DUPLICATE_LOW",
                "must be greater than 0 and at most HAWIYA_DUPLICATE_HIGH, itself at most 1",
            )
        if (self.tls_cert is None) != (self.tls_key is None):
            missing = "HAWIYA_TLS_KEY" if self.tls_key is None else "HAWIYA_TLS_CERT"
            raise ConfigError(missing, "HAWIYA_TLS_CERT and HAWIYA_TLS_KEY are set together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ConfigError("HAWIYA_TLS_CLIENT_CA", "needs HAWIYA_TLS_CERT and HAWIYA_TLS_KEY")
        if self.dedup_input_dir is not None:
            # Callers name files in the input folder: the jobs' folder (their records and
            # results, every caller's) must be neither it, nor in it, nor around it.
            given, jobs = self.dedup_input_dir.resolve(), self.dedup_jobs_dir.resolve()
            if given.is_relative_to(jobs) or jobs.is_relative_to(given):
                raise ConfigError(
                    "HAWIYA_DEDUP_INPUT_DIR", f"must not be, contain or be inside the dedup jobs folder {jobs}"
                )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "hawiya.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def effective_callers_file(self) -> Path:
        return self.callers_file or self.data_dir / "callers.toml"

    @property
    def effective_dedup_input_dir(self) -> Path:
        return self.dedup_input_dir or self.data_dir / "dedup-input"

    @property
    def dedup_jobs_dir(self) -> Path:
        return self.data_dir / "dedup-jobs"


# name → (parser, description). The description is printed by `hawiya serve --help`
# and in the README's configuration table.
def _port(variable: str, raw: str) -> int:
    value = _int(variable, raw)
    if not 0 <= value <= 65535:
        raise ConfigError(variable, f"must be a port number 0..65535 (0 = any free port), got {raw!r}")
    return value


def _int(variable: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(variable, f"must be an integer, got {raw!r}") from None


def _positive_int(variable: str, raw: str) -> int:
    value = _int(variable, raw)
    if value < 1:
        raise ConfigError(variable, f"must be at least 1, got {raw!r}")
    return value


def _non_negative_int(variable: str, raw: str) -> int:
    value = _int(variable, raw)
    if value < 0:
        raise ConfigError(variable, f"must be 0 or more, got {raw!r}")
    return value


def _positive_float(variable: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(variable, f"must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(variable, f"must be greater than 0, got {raw!r}")
    return value


def _probability(variable: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(variable, f"must be a number, got {raw!r}") from None
    if not 0.0 < value <= 1.0:
        raise ConfigError(variable, f"must be a probability greater than 0 and at most 1, got {raw!r}")
    return value


def _path(variable: str, raw: str) -> Path:
    if not raw.strip():
        raise ConfigError(variable, "must not be empty")
    return Path(raw).expanduser()


def _text(variable: str, raw: str) -> str:
    return raw.strip()


def _database_url(variable: str, raw: str) -> str:
    raw = raw.strip()
    if raw and not raw.startswith(("sqlite:", "postgresql", "postgres:")):
        raise ConfigError(variable, "must start with sqlite:/// or postgresql:// (a SQLAlchemy URL)")
    return raw


def _redis_url(variable: str, raw: str) -> str:
    raw = raw.strip()
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(variable, "must start with redis://, rediss:// or unix://")
    return raw


def _hash_key(variable: str, raw: str) -> str:
    raw = raw.strip()
    if raw:
        try:
            key = bytes.fromhex(raw)
        except ValueError:
            raise ConfigError(variable, "must be hexadecimal") from None
        if len(key) < 32:
            raise ConfigError(variable, "must be at least 32 bytes (64 hex digits)")
    return raw


def _log_level(variable: str, raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(variable, f"must be DEBUG, INFO, WARNING or ERROR, got {raw!r}")
    return level


_SETTINGS: dict[str, tuple[Callable[[str, str], Any], str]] = {
    "host": (_text, "address to listen on (0.0.0.0 or [::] for all interfaces)"),
    "port": (_port, "gRPC port"),
    "metrics_port": (_port, "Prometheus /metrics port"),
    "data_dir": (_path, "folder for the SQLite register, callers file and keys"),
    "database_url": (_database_url, "SQLAlchemy URL of the register; empty = SQLite in the data dir"),
    "redis_url": (_redis_url, "Redis URL of the profile cache; empty = an in-process cache"),
    "cache_ttl_seconds": (_positive_int, "how long a cached match profile lives"),
    "cache_entries": (_positive_int, "size of the in-process cache (one worker, no Redis)"),
    "workers": (_positive_int, "server processes sharing the port (SO_REUSEPORT)"),
    "callers_file": (_path, "TOML file of callers and their hashed API keys; default DATA_DIR/callers.toml"),
    "id_hash_key": (
        _hash_key,
        "hex key of the keyed IDCS hash used in the audit trail; default: generated in the data dir",
    ),
    "rsu_index_formula": (
        _path,
        "JSON weights of the RSU socio-economic index; default: the packaged ILLUSTRATIVE formula",
    ),
    "threads": (_positive_int, "gRPC handler threads"),
    "max_concurrent_rpcs": (_positive_int, "calls served at once; more get RESOURCE_EXHAUSTED"),
    "max_message_bytes": (_positive_int, "largest request accepted, in bytes"),
    "grace_seconds": (_positive_float, "how long in-flight calls may finish after SIGTERM"),
    "log_level": (_log_level, "DEBUG, INFO, WARNING or ERROR"),
    "max_deadline_seconds": (
        _positive_float,
        "longest a call may take, whatever deadline the caller sets (or none): then DEADLINE_EXCEEDED;"
        " also PostgreSQL's statement_timeout",
    ),
    "max_failed_attempts": (
        _positive_int,
        "failed authentications of one IDCS (from all callers) within the window that freeze it",
    ),
    "attempt_window_seconds": (_positive_float, "the window over which failed authentications are counted"),
    "freeze_seconds": (_positive_float, "how long authentication of an IDCS stays frozen after too many failures"),
    "tls_cert": (_path, "PEM certificate chain of the gRPC port; with TLS_KEY the port speaks TLS"),
    "tls_key": (_path, "PEM private key of TLS_CERT"),
    "tls_client_ca": (
        _path,
        "PEM CA bundle: clients must present a certificate it signed (mutual TLS), mapped to callers by tls_subject",
    ),
    "quality_interval": (
        _non_negative_int,
        "seconds between data-quality reports of the RNP and RSU, exported as gauges (0 = off)",
    ),
    "duplicate_high": (
        _probability,
        "match probability from which an enrolment is refused as DUPLICATE of an existing person",
    ),
    "duplicate_low": (
        _probability,
        "match probability from which an enrolment is held for review as POSSIBLE_DUPLICATE",
    ),
    "match_model": (_path, "model.json of `hawiya dedup` scoring the 1:N search; default: the packaged model"),
    "dedup_input_dir": (
        _path,
        "the only folder SubmitJob reads dedup input files (and saved models) from, each caller in its own"
        " CALLER_ID/ folder of it; default DATA_DIR/dedup-input; never DATA_DIR itself nor DATA_DIR/dedup-jobs",
    ),
    "dedup_max_running": (_positive_int, "dedup jobs run at once (each in its own process), over all workers"),
    "dedup_max_queued": (_positive_int, "dedup jobs waiting to run; more submissions get RESOURCE_EXHAUSTED"),
    "dedup_max_stream_records": (_positive_int, "records one SubmitRecords stream may send"),
    "dedup_retention_days": (
        _non_negative_int,
        "days a finished dedup job and its results are kept before they are removed (0 = until DeleteJob)",
    ),
    "dedup_min_free_mb": (
        _non_negative_int,
        "free disk (MB) the dedup jobs folder must keep: streamed records beyond get RESOURCE_EXHAUSTED",
    ),
    "max_stream_seconds": (
        _positive_float,
        "longest a streaming call (SubmitRecords, WatchJob, ReadResults) may stay open; then it ends",
    ),
    "stream_idle_seconds": (
        _positive_float,
        "how long a SubmitRecords stream may send nothing before it is cancelled",
    ),
    "stream_concurrency": (
        _positive_int,
        "AuthenticateStream chunks one worker answers at once; the others wait their turn, leaving the"
        " worker's interpreter to unary calls and the audit writer",
    ),
}


def describe_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting."""
    defaults = Config()
    rows = []
    for name, (_, text) in _SETTINGS.items():
        default = getattr(defaults, name)
        rows.append((ENV_PREFIX + name.upper(), "" if default is None else str(default), text))
    return rows


def load_config(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Build the configuration: defaults < file (HAWIYA_CONFIG_FILE) < environment < overrides.

    ``overrides`` are command-line options, already typed. Every invalid value raises
    :class:`ConfigError` naming the variable.
    """
    env = os.environ if environ is None else environ
    raw: dict[str, tuple[str, str]] = {}  # setting → (where it came from, raw text)

    config_file = env.get(ENV_PREFIX + "CONFIG_FILE", "").strip()
    if config_file:
        for key, value in _read_file(Path(config_file)).items():
            raw[key] = (f"{config_file}: {key}", str(value))

    unknown = sorted(
        k
        for k in env
        if k.startswith(ENV_PREFIX)
        and k[len(ENV_PREFIX) :].lower() not in _SETTINGS
        and k != ENV_PREFIX + "CONFIG_FILE"
        and not k.startswith(ENV_PREFIX + "TEST_")
    )
    if unknown:
        raise ConfigError(unknown[0], "is not a hawiya setting (see `hawiya serve --help`)")
    for name in _SETTINGS:
        variable = ENV_PREFIX + name.upper()
        if variable in env:
            raw[name] = (variable, env[variable])

    values: dict[str, Any] = {}
    for name, (source, text) in raw.items():
        parser = _SETTINGS[name][0]
        values[name] = parser(source, text)
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    known = {f.name for f in fields(Config)}
    return Config(**{k: v for k, v in values.items() if k in known})


def _read_file(path: Path) -> dict[str, Any]:
    variable = ENV_PREFIX + "CONFIG_FILE"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(variable, f"file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(variable, f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(variable, f"{path} is not valid TOML: {exc}") from exc
    for key in data:
        if key not in _SETTINGS:
            raise ConfigError(f"{path}: {key}", "is not a hawiya setting")
    return data
