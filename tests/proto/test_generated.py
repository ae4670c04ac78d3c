"""The committed stubs are exactly what the pinned generator makes from the .proto files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stubs_are_fresh(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in (tmp_path / "hawiya").rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(ROOT / "proto")
        for p in (ROOT / "proto" / "hawiya").rglob("*")
        if p.is_file() and p.suffix != ".proto" and "__pycache__" not in p.parts
    )
    assert generated == committed
    stale = [str(p) for p in generated if (tmp_path / p).read_bytes() != (ROOT / "proto" / p).read_bytes()]
    assert not stale, f"regenerate with scripts/gen_proto.py: {stale}"


def test_stubs_are_marked_generated() -> None:
    for path in (ROOT / "proto" / "hawiya" / "v1").glob("*_pb2*.py"):
        assert "DO NOT EDIT" in "".join(path.read_text(encoding="utf-8").splitlines()[:3]), path
