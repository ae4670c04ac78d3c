"""The public surface of the synthetic package and its module conventions."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import synthetic
from synthetic import errors

PACKAGE = Path(synthetic.__file__).parent


def test_all_names_are_exported() -> None:
    for name in synthetic.__all__:
        assert hasattr(synthetic, name), name
    assert {
        "generate",
        "generate_population",
        "add_duplicates",
        "write_population",
        "read_population",
        "SyntheticError",
    } <= set(synthetic.__all__)


def test_every_module_opens_with_a_one_line_docstring() -> None:
    for path in PACKAGE.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, path
        assert "\n" not in doc.strip(), path


def test_errors_share_one_base() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) >= 4
    for cls in classes:
        assert issubclass(cls, synthetic.SyntheticError)


def test_no_assert_in_package_code() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(isinstance(node, ast.Assert) for node in ast.walk(tree)), path
