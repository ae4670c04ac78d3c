"""The ``hawiya`` command: serve, generate synthetic data, manage callers, call a server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from server.cli_dedup import add_dedup_command
from server.client import add_client_commands
from server.config import describe_settings

if TYPE_CHECKING:
    from dedup import QualityReport
    from server.callers import CallerRegistry
    from server.config import Config

__all__ = ["main", "run"]

log = logging.getLogger(__name__)


def _settings_epilog() -> str:
    lines = [
        "configuration (environment variables; HAWIYA_CONFIG_FILE names an optional TOML file",
        "with the same settings in lower case, without the prefix):",
    ]
    for variable, default, text in describe_settings():
        shown = f" [default: {default}]" if default else ""
        lines.append(f"  {variable:<26} {text}{shown}")
    return "\n".join(lines)


def _prepare_processes(workers: int, data_dir: Path) -> None:
    """Environment every process must have before prometheus-client, Numba or FAISS load."""
    cores = os.cpu_count() or 1
    per_worker = str(max(1, cores // workers))
    # Workers × threads ≤ cores: each worker's Numba and FAISS (OpenMP) pools get a share.
    os.environ.setdefault("NUMBA_NUM_THREADS", per_worker)
    os.environ.setdefault("OMP_NUM_THREADS", per_worker)
    if workers > 1:
        metrics_dir = data_dir / "metrics-multiprocess"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def _serve(ns: argparse.Namespace) -> int:
    from registry_store.errors import StoreError
    from server.config import load_config
    from server.errors import ServerError
    from server.logs import configure_logging

    try:
        config = load_config(
            overrides={
                "port": ns.port,
                "metrics_port": ns.metrics_port,
                "data_dir": ns.data_dir,
                "host": ns.host,
                "workers": ns.workers,
            }
        )
    except ServerError as exc:
        print(f"hawiya serve: error: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    _prepare_processes(config.workers, config.data_dir)
    # Imported only now: they load prometheus-client and Numba, which read the environment above.
    from registry_store.index_formula import IndexFormula
    from registry_store.store import RegistryStore
    from server.callers import CallerRegistry
    from server.demo import example_command, prepare_demo
    from server.metrics_http import serve_metrics

    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = RegistryStore.from_url(config.effective_database_url, statement_timeout=config.max_deadline_seconds)
        try:
            demo = prepare_demo(config, store, ns.demo_size) if ns.demo else None
            callers_file = config.effective_callers_file
            if not callers_file.exists():
                raise CallersMissing(
                    f"callers file {callers_file} does not exist: create a caller with "
                    f"`hawiya callers add --id NAME --allow Authentication/Authenticate --file {callers_file}`"
                    " (or start with --demo)"
                )
            callers = CallerRegistry.from_file(callers_file)
            # Checked here, once, so that a bad formula file stops the start before any worker forks.
            if config.rsu_index_formula:
                IndexFormula.load(config.rsu_index_formula)
        finally:
            if config.workers > 1:
                store.close()  # no connection may cross a fork
        running = None
        if config.workers == 1:
            from server.app import start_server

            running = start_server(config, store, callers)
        metrics_port = serve_metrics(config.metrics_port, config.host.strip("[]")) if running else None
    except (ServerError, StoreError, OSError, CallersMissing) as exc:
        print(f"hawiya serve: error: {exc}", file=sys.stderr)
        return 2

    def banner(address: str, metrics: int | None) -> None:
        print(f"hawiya is SERVING on {address} with {config.workers} worker(s) (grpc.health.v1.Health)", flush=True)
        print(f"metrics: http://{config.host.strip('[]')}:{metrics}/metrics", flush=True)
        print(f"register: {config.effective_database_url.split('@')[-1]}; callers: {len(callers)}", flush=True)
        if demo is not None:
            target = address.replace("0.0.0.0", "127.0.0.1").replace("[::]", "127.0.0.1")  # noqa: S104
            exe = sys.argv[0] if Path(sys.argv[0]).name == "hawiya" else f"{sys.executable} -m server"
            print(f"demo caller '{demo.api_key[:8]}…' key in {config.data_dir / 'demo-api-key'}", flush=True)
            print("try an authentication of a demo person:", flush=True)
            print(f"  {example_command(target, demo, exe)}", flush=True)

    if running is not None:
        from server.app import serve_forever

        banner(running.address, metrics_port)
        serve_forever(running, config.grace_seconds)
        return 0
    return _serve_workers(config, callers, banner)


class CallersMissing(Exception):
    """No callers file: the server would refuse every call."""


def _serve_workers(config: Config, callers: CallerRegistry, banner: Callable[[str, int | None], None]) -> int:
    from prometheus_client import multiprocess

    from server.metrics_http import serve_metrics
    from server.workers import run_workers

    def worker(ready_fd: int) -> int:
        # Imported in the worker, after the fork: the parent defines no metric and no gRPC object.
        from server.app import open_store, serve_forever, start_server

        store = open_store(config)
        running = start_server(config, store, callers, reuse_port=True)
        os.write(ready_fd, b"1")
        serve_forever(running, config.grace_seconds)
        return 0

    def ready() -> None:
        port = serve_metrics(config.metrics_port, config.host.strip("[]"))
        banner(f"{config.host}:{config.port}", port)

    return run_workers(config.workers, worker, on_ready=ready, on_exit=multiprocess.mark_process_dead)


def _synth(ns: argparse.Namespace) -> int:
    from synthetic import generate, write_population
    from synthetic.errors import SyntheticError

    if ns.truth is not None and ns.duplicates == 0:
        print("hawiya synth: error: --truth needs --duplicates RATE", file=sys.stderr)
        return 2
    try:
        people, truth = generate(ns.n, ns.seed, ns.duplicates)
        write_population(ns.out, people)
        if ns.truth is not None and truth is not None:
            write_population(ns.truth, truth)
    except SyntheticError as exc:
        print(f"hawiya synth: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hawiya synth: error: cannot write: {exc}", file=sys.stderr)
        return 2
    extra = f", truth in {ns.truth}" if ns.truth else ""
    print(f"wrote {len(people)} records to {ns.out}{extra}")
    return 0


def _callers(ns: argparse.Namespace) -> int:
    from server.callers import CallerRegistry, add_caller
    from server.config import load_config
    from server.errors import ServerError

    try:
        path = ns.file or load_config().effective_callers_file
        if ns.callers_command == "add":
            key = add_caller(
                path,
                ns.id,
                ns.allow,
                readable_attributes=ns.read,
                rate_limit_per_second=ns.rate_limit,
                tls_subject=ns.tls_subject,
            )
            print(f"caller {ns.id} added to {path}")
            print(f"API key (shown once, only its hash is stored): {key}")
        else:
            registry = CallerRegistry.from_file(path)
            for caller in registry.callers:
                print(f"{caller.caller_id}: {', '.join(sorted(caller.allowed_rpcs))}")
    except ServerError as exc:
        print(f"hawiya callers: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _quality(ns: argparse.Namespace) -> int:
    """Data-quality report of a file or a register: a table on stdout, JSON and HTML in --out."""
    from dedup import QualityError, assess, format_table, read_table, write_report
    from dedup.quality import parse_column_map
    from registry_store.errors import StoreError
    from server.errors import ServerError

    try:
        if ns.file is not None:
            table = read_table(ns.file, parse_column_map(ns.column_map))
            report = assess(table, dataset="file", source=ns.file.name, as_of=ns.as_of)
        else:
            report = _register_report(ns)
        print(format_table(report))
        if ns.out is not None:
            json_path, html_path = write_report(report, ns.out)
            print(f"wrote {json_path} and {html_path}")
    except (QualityError, ServerError, StoreError) as exc:
        print(f"hawiya quality: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _register_report(ns: argparse.Namespace) -> QualityReport:
    from dedup.quality import assess_registers
    from registry_store.households import HouseholdStore
    from registry_store.store import RegistryStore
    from server.config import load_config
    from server.errors import ConfigError

    config = load_config(overrides={"database_url": ns.database_url, "data_dir": ns.data_dir})
    if not config.database_url and not config.sqlite_path.is_file():
        raise ConfigError("HAWIYA_DATA_DIR", f"no register at {config.sqlite_path} (or set HAWIYA_DATABASE_URL)")
    store = RegistryStore.from_url(config.effective_database_url)
    try:
        households = HouseholdStore(store).iter_households() if ns.rsu else None
        return assess_registers(store.iter_persons(), households, include_rnp=ns.rnp, as_of=ns.as_of)[0]
    finally:
        store.close()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _worker_count(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text!r}")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got {text!r}") from None


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0..65535, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hawiya",
        description="hawiya: identity matching and authentication for the RNP and RSU registers.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the gRPC service",
        description="Run the hawiya gRPC service (Authentication, Registry, health, reflection).",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="address to listen on (HAWIYA_HOST)")
    serve.add_argument("--port", type=_port, help="gRPC port (HAWIYA_PORT, default 50051; 0 = any free port)")
    serve.add_argument("--metrics-port", type=_port, help="Prometheus port (HAWIYA_METRICS_PORT, default 9464)")
    serve.add_argument("--data-dir", type=Path, help="data folder (HAWIYA_DATA_DIR, default ./hawiya-data)")
    serve.add_argument(
        "--workers", type=_worker_count, help="server processes sharing the port (HAWIYA_WORKERS, default 1)"
    )
    serve.add_argument(
        "--demo", action="store_true", help="on first start, load a synthetic population and create a demo caller"
    )
    serve.add_argument(
        "--demo-size", type=_positive_int, default=1000, help="persons in the demo population (default %(default)s)"
    )
    serve.set_defaults(handler=_serve)

    synth = commands.add_parser(
        "synth",
        help="generate a synthetic Moroccan population",
        description="Write a seeded synthetic population (names in Arabic and Latin script, dates, "
        "provinces, CIN) as Parquet or CSV, optionally with noisy duplicates and a truth file.",
    )
    synth.add_argument("--n", type=_positive_int, required=True, help="number of persons")
    synth.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    synth.add_argument("--out", type=Path, required=True, help="output file (.parquet or .csv)")
    synth.add_argument(
        "--duplicates",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of persons given a noisy duplicate record (0..1)",
    )
    synth.add_argument("--truth", type=Path, help="write record_id → entity_id here (needs --duplicates)")
    synth.set_defaults(handler=_synth)

    callers = commands.add_parser("callers", help="manage callers and their API keys")
    callers_commands = callers.add_subparsers(dest="callers_command", required=True, metavar="ACTION")
    add = callers_commands.add_parser("add", help="add a caller and print its new API key")
    add.add_argument("--id", required=True, help="caller id, e.g. cnss-amo")
    add.add_argument(
        "--allow",
        action="append",
        required=True,
        metavar="RPC",
        help="an RPC it may call, e.g. Authentication/Authenticate or Registry/* (repeatable)",
    )
    add.add_argument(
        "--read",
        action="append",
        default=[],
        metavar="ATTRIBUTE",
        help="a person attribute GetPerson shows it, e.g. first_name, or * for all (repeatable; default none)",
    )
    add.add_argument("--rate-limit", type=float, default=0.0, metavar="PER_SECOND", help="calls per second (0: none)")
    add.add_argument("--tls-subject", default="", help='its client certificate\'s subject, e.g. "CN=cnss-amo,O=CNSS"')
    add.add_argument("--file", type=Path, help="callers file (default: HAWIYA_CALLERS_FILE or DATA_DIR/callers.toml)")
    lst = callers_commands.add_parser("list", help="list callers and what they may call")
    lst.add_argument("--file", type=Path, help="callers file")
    callers.set_defaults(handler=_callers)

    quality = commands.add_parser(
        "quality",
        help="data-quality report of the RNP, the RSU or a CSV/Parquet file",
        description="Completeness, validity, consistency and suspected duplicates, per field: printed as a "
        "table, and with --out written as quality.json and a self-contained quality.html with charts.",
    )
    source = quality.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="a CSV (UTF-8, with a header) or Parquet file of persons or members")
    source.add_argument("--rnp", action="store_true", help="the RNP's persons in the register")
    source.add_argument("--rsu", action="store_true", help="the RSU's household members in the register")
    quality.add_argument(
        "--column-map",
        action="append",
        default=[],
        metavar="FILE_COLUMN=FIELD",
        help="read a column of the file as a field of the report, e.g. prenom=first_name_latin (repeatable)",
    )
    quality.add_argument("--database-url", help="the register (HAWIYA_DATABASE_URL; default the SQLite file)")
    quality.add_argument("--data-dir", type=Path, help="data folder of the SQLite register (HAWIYA_DATA_DIR)")
    quality.add_argument("--out", type=Path, help="folder to write quality.json and quality.html into")
    quality.add_argument(
        "--as-of", type=_day, help="judge future dates and ages at this day, YYYY-MM-DD (default today)"
    )
    quality.set_defaults(handler=_quality)

    add_dedup_command(commands)
    add_client_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    return int(ns.handler(ns))


def run() -> NoReturn:
    """The ``hawiya`` executable (and ``python -m server``): `main`, then leave.

    Every command but ``serve`` leaves at once when it is done, with its output flushed,
    without the interpreter's teardown. Arrow (Parquet) leaves C++ worker threads behind, and
    when its thread pools are destroyed at exit while one still runs, the process aborts
    ("terminate called without an active exception", apache/arrow#34314): once in this test
    suite, ``hawiya quality`` had printed its error and then exited -6 instead of 2. A command
    has closed its files and joined its threads when its handler returns. ``serve`` drains,
    stops its workers and returns through the normal teardown.
    """
    ns = build_parser().parse_args()
    code = int(ns.handler(ns))
    if ns.handler is not _serve:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
