"""Every domain error lives in ``bridgefund/errors.py`` (issue 12, item 6): a new refusal has one place to go,
and the problem types a client can meet are listed there."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bridgefund"


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
    return names


def _domain_errors() -> set[str]:
    """The names of DomainError and its subclasses defined in errors.py."""
    family = {"DomainError"}
    classes = [n for n in ast.walk(ast.parse((PACKAGE / "errors.py").read_text())) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in family and _base_names(node) & family:
                family.add(node.name)
                grew = True
    return family


def test_errors_py_defines_the_family() -> None:
    family = _domain_errors()
    assert {"NotFound", "RuleViolation", "PayloadTooLarge", "ReportUnavailable", "RenderFailed",
            "ArchiveTampered", "ArchiveMissing"} <= family


def test_no_domain_error_is_defined_elsewhere() -> None:
    family = _domain_errors()
    strays = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and _base_names(node) & family:
                strays.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    assert strays == []
