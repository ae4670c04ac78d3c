"""deploy/: the compose file, Prometheus's config and the Grafana dashboard agree with each other
and with the metrics the server defines (Docker does not run here, so they are read, not started).
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "hawiya.json"
METRICS_MODULE = ROOT / "server" / "metrics.py"

# Metrics a panel may show before the server defines them, each with the feature that brings it.
# Their panels must say so in their description. Remove an entry once server/metrics.py has it.
PENDING_METRICS: dict[str, str] = {}

# Labels every scraped series has, or that histogram buckets add.
_TARGET_LABELS = {"job", "instance"}
_SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "enum": ("",),
}
_METRIC_CLASSES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}
_PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "inf", "nan", "atan2",
}  # fmt: skip


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def _panels() -> list[dict[str, Any]]:
    """Every panel that queries something (rows nest their panels when collapsed)."""
    found = []
    for panel in _dashboard()["panels"]:
        found += [panel, *panel.get("panels", [])]
    return [p for p in found if p.get("targets")]


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: str
    labels: frozenset[str]

    @property
    def sample_names(self) -> set[str]:
        return {self.name + suffix for suffix in _SAMPLE_SUFFIXES[self.kind]}


def _literal_strings(node: ast.expr | None) -> list[str] | None:
    if node is None:
        return []
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def server_metrics() -> dict[str, MetricDef]:
    """The metrics server/metrics.py defines, read from its source: exposed sample name → definition."""
    tree = ast.parse(METRICS_MODULE.read_text(encoding="utf-8"))
    defs: dict[str, MetricDef] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _METRIC_CLASSES):
            continue
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        name_node = node.args[0] if node.args else kwargs.get("name")
        label_node = node.args[2] if len(node.args) > 2 else kwargs.get("labelnames")
        names = _literal_strings(name_node)
        labels = _literal_strings(label_node)
        prefix = [
            part[0]
            for key in ("namespace", "subsystem")
            if (part := _literal_strings(kwargs.get(key))) is not None and part and part[0]
        ]
        if not names or labels is None or len(names) != 1:
            pytest.fail(f"server/metrics.py line {node.lineno}: metric name or labels are not literals")
        kind = node.func.id.lower()
        name = "_".join([*prefix, names[0]])
        if kind == "counter":
            name = name.removesuffix("_total")
        metric = MetricDef(name, kind, frozenset(labels))
        for sample in metric.sample_names:
            defs[sample] = metric
    return defs


def promql_metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (not functions, keywords, labels or durations)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[a-zA-Z_:][\w:]*", text):
        word = match.group(0)
        if word in _PROMQL_WORDS or text[match.end() :].lstrip().startswith("("):
            continue
        names.add(word)
    return names


def promql_label_uses(expr: str) -> tuple[list[tuple[str, str]], set[str]]:
    """(metric, label) pairs of the selectors' matchers, and the labels of by/without/on/ignoring lists."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    matchers = []
    for selector in re.finditer(r"(?<![\w.$])([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", text):
        for label in re.finditer(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", selector.group(2)):
            matchers.append((selector.group(1), label.group(1)))
    grouping = set()
    for clause in re.finditer(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", text):
        grouping |= {label.strip() for label in clause.group(1).split(",") if label.strip()}
    return matchers, grouping


def _concrete(expr: str) -> str:
    """A dashboard expression with Grafana's variables replaced, as Prometheus would receive it."""
    return expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$job", "hawiya")


# --- docker-compose ---------------------------------------------------------------------------


def test_compose_runs_the_five_services() -> None:
    services = _load_yaml(COMPOSE)["services"]
    assert {"hawiya", "postgres", "redis", "prometheus", "grafana"} <= services.keys()


def test_compose_runs_hawiya_with_two_workers_on_postgres_and_redis() -> None:
    services = _load_yaml(COMPOSE)["services"]
    hawiya = services["hawiya"]
    command = hawiya["command"]
    assert command[0] == "serve"
    assert command[command.index("--workers") + 1] == "2"
    env = hawiya["environment"]
    database = env["HAWIYA_DATABASE_URL"]
    assert database.startswith("postgresql+psycopg://") and "@postgres:5432/" in database
    postgres_env = services["postgres"]["environment"]
    assert database.endswith("/" + postgres_env["POSTGRES_DB"])
    assert f"{postgres_env['POSTGRES_USER']}:{postgres_env['POSTGRES_PASSWORD']}@" in database
    assert re.fullmatch(r"redis://redis:6379/\d+", env["HAWIYA_REDIS_URL"])
    assert str(env["HAWIYA_METRICS_PORT"]) == "9464"
    assert env["HAWIYA_HOST"] == "0.0.0.0"  # the other containers must reach it
    assert "9464:9464" in hawiya["ports"] and "50051:50051" in hawiya["ports"]
    assert {"postgres", "redis"} <= set(hawiya["depends_on"])


def test_compose_mounts_the_deploy_files_where_the_services_read_them() -> None:
    services = _load_yaml(COMPOSE)["services"]
    mounts = {}
    for service in services.values():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{volume}: {source} does not exist under deploy/"
                mounts[(DEPLOY / source).resolve()] = target
    assert mounts[PROMETHEUS.resolve()] == "/etc/prometheus/prometheus.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert mounts[(DEPLOY / "grafana" / "provisioning").resolve()] == "/etc/grafana/provisioning"
    dashboards_in_container = mounts[DASHBOARD.parent.resolve()]
    providers = _load_yaml(PROVIDERS)["providers"]
    assert [p["options"]["path"] for p in providers] == [dashboards_in_container]


# --- Prometheus -------------------------------------------------------------------------------


def test_prometheus_scrapes_hawiya_metrics_port() -> None:
    config = _load_yaml(PROMETHEUS)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    hawiya = jobs["hawiya"]
    assert hawiya.get("metrics_path", "/metrics") == "/metrics"
    targets = [t for static in hawiya["static_configs"] for t in static["targets"]]
    assert targets == ["hawiya:9464"]


def test_promtool_accepts_the_prometheus_config() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus')")
    done = subprocess.run([promtool, "check", "config", str(PROMETHEUS)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# --- Grafana ----------------------------------------------------------------------------------


def test_dashboard_panels_use_the_provisioned_datasource() -> None:
    sources = _load_yaml(DATASOURCES)["datasources"]
    assert [(s["type"], s["url"]) for s in sources] == [("prometheus", "http://prometheus:9090")]
    uid = sources[0]["uid"]
    panels = _panels()
    assert panels
    for panel in panels:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        for target in panel["targets"]:
            assert target.get("datasource", {"uid": uid})["uid"] == uid, panel["title"]
            assert target["expr"].strip(), panel["title"]


def test_dashboard_ids_are_unique() -> None:
    ids = [p["id"] for p in _dashboard()["panels"]]
    assert len(ids) == len(set(ids))
    assert _dashboard()["uid"]


def test_dashboard_has_the_panels_operations_need() -> None:
    exprs = " ".join(t["expr"] for p in _panels() for t in p["targets"])
    compact = re.sub(r"\s+", "", exprs)
    needed = {
        "request rate": "rate(grpc_server_handled_total",
        "p50 latency": "histogram_quantile(0.5,sumby(le,grpc_method)(rate(grpc_server_handling_seconds_bucket",
        "p99 latency": "histogram_quantile(0.99,sumby(le,grpc_method)(rate(grpc_server_handling_seconds_bucket",
        "errors by code": 'grpc_code!="OK"',
        "decisions": "sumby(decision,mode)(rate(hawiya_auth_decisions_total",
        "cache hit ratio": 'hawiya_cache_events_total{job="$job",event="hit"}',
        "breaker state": "hawiya_cache_breaker_open",
        "CPU per request": 'rate(hawiya_process_cpu_seconds{job="$job"}[5m]))/sum(rate(grpc_server_handled_total',
        "store latency": "hawiya_store_query_seconds_bucket",
        "dedup progress": "hawiya_dedup_job_progress_ratio",
    }
    missing = [what for what, text in needed.items() if text not in compact]
    assert not missing


def test_metric_name_extraction_sees_every_selected_metric() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, grpc_method) (rate(foo_seconds_bucket{job="a", x=~"b|c"}[5m]))) '
        '/ on(job) group_left bar_total offset 5m * 1e-3 + scalar(baz) and count_values("le", qux)'
    )
    assert promql_metric_names(expr) == {"foo_seconds_bucket", "bar_total", "baz", "qux"}
    matchers, grouping = promql_label_uses(expr)
    assert matchers == [("foo_seconds_bucket", "job"), ("foo_seconds_bucket", "x")]
    assert grouping == {"le", "grpc_method", "job"}


def test_dashboard_queries_only_metrics_the_server_defines() -> None:
    defined = server_metrics()
    assert "grpc_server_handled_total" in defined  # the parser read the module
    unknown = {}
    for panel in _panels():
        for target in panel["targets"]:
            for name in promql_metric_names(target["expr"]):
                if name in defined:
                    continue
                if name in PENDING_METRICS:
                    assert "empty until" in panel["description"].lower(), (
                        f"panel {panel['title']!r} shows {name}, not defined yet: its description must say"
                        " it stays empty until that feature lands"
                    )
                    continue
                unknown.setdefault(panel["title"], set()).add(name)
    assert not unknown, f"panels query metrics that server/metrics.py does not define: {unknown}"


def test_dashboard_queries_only_labels_the_metrics_have() -> None:
    defined = server_metrics()
    wrong = []
    for panel in _panels():
        for target in panel["targets"]:
            expr = target["expr"]
            metrics = [defined[n] for n in promql_metric_names(expr) if n in defined]
            matchers, grouping = promql_label_uses(expr)
            for name, label in matchers:
                if name in defined:
                    allowed = defined[name].labels | _TARGET_LABELS | ({"le"} if name.endswith("_bucket") else set())
                    if label not in allowed:
                        wrong.append((panel["title"], name, label))
            if metrics:
                known = set().union(*(m.labels for m in metrics)) | _TARGET_LABELS | {"le"}
                wrong += [(panel["title"], "by/on", label) for label in grouping - known]
    assert not wrong, f"labels the metrics do not have: {wrong}"


def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus')")
    rules = [
        {"record": f"hawiya_dashboard:panel_{panel['id']}_{target['refId']}", "expr": _concrete(target["expr"])}
        for panel in _panels()
        for target in panel["targets"]
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
