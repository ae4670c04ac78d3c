"""Dependencies run one way (DESIGN.md): each package is imported alone in a fresh interpreter
and must not pull in the modules of the layers above it or of I/O it must not do."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = {
    "matcher": [
        "grpc",
        "redis",
        "sqlalchemy",
        "psycopg",
        "sqlite3",
        "faiss",
        "server",
        "registry_store",
        "indexer",
        "dedup",
        "hawiya",
        "logging.handlers",
    ],
    "indexer": ["grpc", "sqlalchemy", "psycopg", "server", "registry_store", "dedup", "hawiya"],
    "registry_store": ["grpc", "server", "hawiya", "dedup", "indexer"],
    "dedup": ["grpc", "server", "hawiya"],
    "synthetic": ["grpc", "server", "hawiya", "sqlalchemy", "registry_store"],
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    code = f"import sys, json; import {package}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = json.loads(out)
    bad = [m for m in loaded for f in FORBIDDEN[package] if m == f or m.startswith(f + ".")]
    assert not bad, f"{package} imports {bad}"


def test_only_server_imports_generated_stubs() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = [
        str(p.relative_to(root))
        for package in ("matcher", "indexer", "registry_store", "dedup", "synthetic")
        for p in (root / package).rglob("*.py")
        if "hawiya.v1" in p.read_text(encoding="utf-8")
    ]
    assert not offenders
