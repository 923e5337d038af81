"""The shape of ``bridgefund/``: layered imports with no cycle, and side effects only where they are registered.

Layers, lowest first (a module may import its own layer and the layers below, never above):

    base (db, errors, messages, text, config, migrate) ← finance ← models (and authority) ← figures (and parsing)
        ← services ← reports, schemas, exports ← api, cli, web, demo, console, jobs/, metrics, the package's create_app
        (and notify/ later)

Every import counts, the ones inside functions too. A package importing its own submodules (parent → child,
e.g. ``create_app`` registering the blueprints) is not an edge, as in ``shared/tools/imports.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bridgefund.figures import apply, capture
from bridgefund.services import unit_of_work

PACKAGE = Path(__file__).resolve().parent.parent / "bridgefund"

BASE, FINANCE, MODELS, FIGURES, SERVICES, REPORTS, TOP = range(7)
LAYERS = {
    "db": BASE, "errors": BASE, "messages": BASE, "notification_texts": BASE, "text": BASE, "config": BASE,
    "migrate": BASE,
    "gunicorn_conf": BASE,
    "finance": FINANCE, "models": MODELS, "authority": MODELS, "figures": FIGURES, "parsing": FIGURES,
    "services": SERVICES,
    "reports": REPORTS, "schemas": REPORTS, "exports": REPORTS,
    "api": TOP, "cli": TOP, "web": TOP, "metrics": TOP, "demo": TOP, "console": TOP, "jobs": TOP, "notify": TOP,
}
#: Modules that may import bridgefund modules inside a function, and why.
IN_FUNCTION_IMPORTS = {
    # create_app imports the app's parts when it runs: importing the package (bridgefund.finance alone, the
    # migrations) must not load Flask and the whole application, and bridgefund.cli imports create_app.
    "bridgefund",
}


def _modules(root: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path) -> list[tuple[str, bool]]:
    """(imported name, inside a function?) for every import statement of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts if path.name == "__init__.py" else parts[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        out += [(n, id(node) in in_function) for n in names]
    return out


def import_graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """module → the package's modules it imports; module → those it imports inside a function."""
    mods = _modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    late: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        for name, inside in _imports(module, path):
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name and name != module:
                if inside:
                    late[module].add(name)
                if not name.startswith(module + "."):
                    graph[module].add(name)
    return graph, late


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return TOP  # the package itself: create_app
    if parts[1] not in LAYERS:
        raise AssertionError(f"{module}: put {parts[1]!r} in a layer (tests/test_layers.py LAYERS)")
    return LAYERS[parts[1]]


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets if layer(t) > layer(m))


def test_no_import_cycle_and_no_upward_import() -> None:
    graph, _ = import_graph(PACKAGE)
    assert len(graph) > 80, sorted(graph)
    assert {"bridgefund.figures.fund", "bridgefund.figures.pool", "bridgefund.services.unit_of_work"} <= set(graph)
    assert cycles(graph) == []
    assert upward(graph) == []


def test_imports_inside_functions_only_where_a_reason_is_written() -> None:
    _, late = import_graph(PACKAGE)
    assert {m for m, targets in late.items() if targets} == IN_FUNCTION_IMPORTS


def test_the_checks_find_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The walker on a small package with one cycle (inside a function) and one upward import."""
    root = tmp_path / "pkg"
    for name, body in {
        "__init__.py": "",
        "models/__init__.py": "from pkg.services import fund\n",
        "services/__init__.py": "",
        "services/fund.py": "def f():\n    from pkg.services import pool\n",
        "services/pool.py": "from .fund import f\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    graph, late = import_graph(root)
    assert cycles(graph) == [["pkg.services.fund", "pkg.services.pool"]]
    assert upward(graph) == ["pkg.models -> pkg.services", "pkg.models -> pkg.services.fund"]
    assert late["pkg.services.fund"] == {"pkg.services", "pkg.services.pool"}
    with pytest.raises(AssertionError, match="put 'nowhere' in a layer"):
        layer("bridgefund.nowhere.x")


def _registers_on_session(node: ast.AST) -> bool:
    """``event.listens_for(Session, …)`` / ``event.listen(Session, …)`` (or ``orm.Session``, ``sqlalchemy.orm…``)."""
    if not (isinstance(node, ast.Call) and node.args):
        return False
    func, target = node.func, node.args[0]
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    target_name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("listens_for", "listen") and target_name == "Session"


def test_no_listener_on_the_global_session_class() -> None:
    offending = [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                 for path in _modules(PACKAGE).values()
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if _registers_on_session(node)]
    assert offending == []
    assert _registers_on_session(ast.parse("event.listens_for(Session, 'before_flush')").body[0].value)
    hooks = [("before_flush", capture.on_flush), ("after_soft_rollback", capture.forget),
             ("before_commit", apply.on_commit)]
    assert not any(event.contains(Session, name, fn) for name, fn in hooks)


def test_the_apps_sessions_carry_the_unit_of_work_hooks(app) -> None:  # noqa: ANN001
    """Every session the app makes runs the summary capture/apply and the after-commit actions; a bare
    ``Session`` does not (so the hooks never depend on what happened to be imported)."""
    factory = app.extensions["bridgefund.db"].sessionmaker
    hooks = [("before_flush", capture.on_flush), ("after_soft_rollback", capture.forget),
             ("before_commit", apply.on_commit), ("after_commit", unit_of_work._run_after_commit)]
    for name, fn in hooks:
        assert event.contains(factory, name, fn), name
        assert not event.contains(Session, name, fn), name
    fresh = unit_of_work.sessionmaker(app.extensions["bridgefund.db"].engine)
    assert fresh.class_ is not factory.class_ and issubclass(fresh.class_, Session)
    assert all(event.contains(fresh, name, fn) for name, fn in hooks)
