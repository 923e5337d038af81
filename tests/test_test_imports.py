"""Tests import helpers from ``*_support`` modules (or fixtures from conftest), never from another test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
            out += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def test_no_test_module_imports_another_test_module() -> None:
    offending = []
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 20, files
    for path in files:
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "tests" and any(p.startswith("test_") for p in parts[1:]):
                offending.append(f"{path.relative_to(TESTS.parent)} imports {module}")
    assert not offending, "move shared helpers to a *_support module:\n" + "\n".join(offending)
