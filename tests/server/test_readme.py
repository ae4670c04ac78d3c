"""The README's configuration table lists every setting `hawiya serve` reads."""

from __future__ import annotations

from pathlib import Path

from server.config import describe_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [variable for variable, _, _ in describe_settings() if f"| `{variable}` |" not in text]
    assert not missing, f"add to README.md's configuration table: {missing}"
