"""The role authority (``bridgefund.authority``): one declaration per service operation, enforced by the operation,
asked by the boundary, the OpenAPI document and a console. The access matrix (``tests/api/test_access_matrix.py``)
exercises every declared operation over HTTP; these tests pin the authority's own rules."""

from __future__ import annotations

import ast
import pathlib

import pytest

import bridgefund
from bridgefund import authority
from bridgefund.authority import PUBLIC, SIGNED_IN, allows, may, permission_of
from bridgefund.errors import Forbidden
from bridgefund.models import Role
from bridgefund.services import bridge_loans, claims, registry
from bridgefund.services.actor import SYSTEM, Actor

PACKAGE = pathlib.Path(bridgefund.__file__).parent


def _as(role: Role) -> Actor:
    return Actor(id=1, username=role.value, role=role, bank_id=1 if role is Role.bank_officer else None)


@pytest.fixture
def scratch(monkeypatch):  # noqa: ANN001, ANN201
    """Declarations made by a test stay out of the app's table."""
    monkeypatch.setattr(authority, "PERMISSIONS", dict(authority.PERMISSIONS))


def test_an_operation_refuses_a_role_outside_its_declaration_before_it_runs(scratch) -> None:  # noqa: ANN001
    ran = []

    @allows(Role.fund_manager)
    def approve_thing(session: object, actor: Actor, thing_id: int) -> int:
        ran.append(thing_id)
        return thing_id

    assert approve_thing(None, _as(Role.fund_manager), 7) == 7
    assert approve_thing(None, actor=SYSTEM, thing_id=8) == 8  # the command line may do everything
    for role in (Role.admin, Role.bank_officer, Role.auditor):
        with pytest.raises(Forbidden, match=r"may not call .*approve_thing \(needs fund_manager\)"):
            approve_thing(None, _as(role), 9)
    assert ran == [7, 8]
    with pytest.raises(Forbidden, match="nobody signed in"):
        approve_thing(None, None, 10)
    assert Forbidden("x").status == 403


def test_may_answers_what_the_operation_would_do() -> None:
    for role in Role:
        assert may(_as(role), bridge_loans.approve) == (role is Role.fund_manager)
        assert may(_as(role), "bridge_loans.approve") == (role is Role.fund_manager)
        assert may(_as(role), claims.file_claim) == (role is Role.bank_officer)
        assert may(_as(role), registry.get_bank) is True  # every signed-in role; the bank scope is the lookup's
    assert may(None, registry.get_bank) is False
    assert may(None, "auth.login") is True
    assert may(SYSTEM, registry.create_user) is True


def test_declarations_are_checked_when_the_module_is_imported(scratch) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="takes no actor"):
        @allows(Role.admin)
        def no_actor(session: object) -> None: ...
    with pytest.raises(TypeError):
        allows()
    with pytest.raises(TypeError):
        allows(PUBLIC, Role.admin)

    @allows(SIGNED_IN)
    def shared_list(session: object) -> str:  # master data every role reads: nothing to refuse, no actor needed
        return "ok"

    assert shared_list(None) == "ok"
    with pytest.raises(RuntimeError, match="twice"):
        allows(Role.admin)(shared_list.__wrapped__)
    with pytest.raises(KeyError, match="declares no permission"):
        permission_of(lambda session, actor: None)


def test_rules_in_words_follow_the_role_order() -> None:
    assert permission_of(registry.create_enterprise).rule == ("admin", "fund_manager", "bank_officer")
    assert permission_of(registry.get_bank).rule == ("any",)
    assert permission_of("auth.login").rule == ("public",)


def _calls(tree: ast.AST, attr: str) -> list[int]:
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == attr]


def test_no_permission_is_stated_outside_the_authority() -> None:
    """Services declare permissions only with ``@allows`` (no ``actor.require``), views only name the operation
    (``web.access(operation)``, never role names), and no role is compared as a string literal."""
    found = []
    roles = {r.value for r in Role}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{rel}:{line}: .require(" for line in _calls(tree, "require")]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("access", "allows"):
                found += [f"{rel}:{node.lineno}: role literal in {node.func.id}()" for a in node.args
                          if isinstance(a, ast.Constant)]
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                found += [f"{rel}:{node.lineno}: role compared as a string" for o in operands
                          if isinstance(o, ast.Constant) and o.value in roles]
    assert found == []
