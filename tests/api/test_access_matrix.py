"""The authorization matrix, generated from the app's URL map: every endpoint × every role × own/other bank.

Who may do what is declared once, on the service operation (``bridgefund.authority``); a view names the operation
it performs (``web.access(operation)``). A new endpoint that names no declared operation, with a path parameter
this file cannot provide, or with a body that ``matrix_providers.BODIES`` has no valid example of, fails here, so
nobody can add an endpoint that skips authorization by accident. Every request is valid (bodies are loaded through
the view's own schema first), so what refuses it is the role check (403) or the bank scope (exactly 404), never a
422 of the body; and an allowed role's request succeeds. The expectation is the authority's own answer
(``authority.may``, what the staff console asks), so the console, the boundary and the services cannot disagree.
A declared operation that no route performs and the matrix does not call is a failure too: nothing declared
goes untested, nothing routed goes undeclared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from marshmallow import ValidationError

from bridgefund import authority, web
from bridgefund.errors import Forbidden
from bridgefund.models import Role
from bridgefund.services.actor import Actor
from bridgefund.web import ANY, PUBLIC, access_rule, view_permission
from tests.api import matrix_providers  # a missing module fails collection: the matrix is never skipped
from tests.api_support import Resource, api_routes

#: Endpoints outside /api/v1 that are deliberately public.
PUBLIC_OUTSIDE_API = {
    "/healthz", "/metrics", "/api/openapi.json", "/api/docs", "/api/docs/<path:filename>", "/static/<path:filename>",
}


def _providers() -> dict[str, Callable[[Any, Any], Resource]]:
    """How to make a resource for each path parameter name; ``other`` is a bank the officer does not belong to."""
    providers: dict[str, Callable[[Any, Any], Resource]] = {
        "user_id": lambda f, other: Resource(f.make_user("auditor").id, None),
        "bank_id": lambda f, other: Resource(other.id, other.id),
        "guarantor_id": lambda f, other: Resource(_guarantor(f).id, None),
        "enterprise_id": lambda f, other: Resource(f.make_enterprise().id, None),
        # each a later month of 2018-2019 than the last: every close is a new one, and no 2020 date is closed
        "period": lambda f, other, months=iter(f"{y}-{m:02d}" for y in (2018, 2019) for m in range(1, 13)):
            Resource(next(months), None),
    }
    providers.update(matrix_providers.PROVIDERS)  # resources of later modules
    return providers


def _guarantor(f):  # noqa: ANN001, ANN202
    from decimal import Decimal

    from bridgefund.services import registry
    from bridgefund.services.actor import SYSTEM

    g = registry.create_guarantor(f.session, SYSTEM, name=f"担保{f._next()}", guarantee_share=Decimal("0.2"))
    f.session.commit()
    return g


def test_every_endpoint_performs_a_declared_operation(app):  # noqa: ANN001
    missing = []
    for path, method, view in api_routes(app):
        if path.startswith("/api/v1") and view_permission(view) is None:
            missing.append(f"{method} {path}")
        if not path.startswith("/api/v1") and path not in PUBLIC_OUTSIDE_API:
            missing.append(f"{method} {path} (outside /api/v1: add it to PUBLIC_OUTSIDE_API deliberately)")
    assert not missing, "endpoints naming no service operation (web.access): " + ", ".join(missing)


def test_routes_and_declarations_match(app):  # noqa: ANN001
    """Every declared operation is performed by a route or called directly by the matrix (``UNROUTED``), and only
    those: a permission nobody can exercise, or a matrix entry for an operation that has become routed, fails."""
    routed = {view_permission(view).operation for path, _, view in api_routes(app) if path.startswith("/api/v1")}
    declared = set(authority.PERMISSIONS)
    unrouted = set(matrix_providers.UNROUTED)
    assert routed <= declared
    assert declared - routed == unrouted, (
        f"declared but neither routed nor in matrix_providers.UNROUTED: {sorted(declared - routed - unrouted)}; "
        f"in UNROUTED but routed or undeclared: {sorted(unrouted - (declared - routed))}")


def _cases(app) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(m, p) for p, m, _ in api_routes(app) if p.startswith("/api/v1")]


def _json_schema(view):  # noqa: ANN001, ANN202
    """The marshmallow schema of the view's JSON body (None when it takes none)."""
    params = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    bodies = [p for p in params if p["in"] == "json"]
    if not bodies:
        return None
    schema = bodies[0]["schema"]
    return schema() if isinstance(schema, type) else schema


@dataclass
class _Operation:
    name: str  # "METHOD /rule"
    method: str
    path: str
    params: list[str]
    schema: Any  # the JSON body's schema, or None
    make_body: Callable[[Any, Any, str], dict[str, Any]] | None
    make_form: Callable[[Any, Any, str], dict[str, Any]] | None


def _resolve(op: _Operation, providers: dict[str, Callable[[Any, Any], Resource]], factory: Any, own: Any,
             bank: Any, scope: str) -> tuple[str, bool]:
    """Fresh resources of ``bank`` for the path: the URL, and whether one belongs to a bank other than ``own``."""
    resources = {p: providers[p](factory, bank) for p in op.params}
    if scope == "own":  # the officer's own bank for bank-scoped resources
        resources = {p: (Resource(own.id, own.id) if p == "bank_id" else r) for p, r in resources.items()}
    prepare = matrix_providers.PREPARE.get(op.name)
    if prepare is not None:
        (resource,) = resources.values()
        prepare(factory, resource.value)
    url = op.path
    for p, r in resources.items():
        url = re.sub(rf"<(?:\w+:)?{p}>", str(r.value), url)
    query = matrix_providers.QUERIES.get(op.name)
    elsewhere = any(r.bank_id is not None and r.bank_id != own.id for r in resources.values())
    return url + (f"?{query}" if query else ""), elsewhere


def _send(app: Any, client: Any, op: _Operation, url: str, factory: Any, bank: Any, role: str | None,
          headers: dict[str, str] | None, failures: list[str]) -> Any:
    """Send ``op`` with a valid body (multipart form, JSON body checked against the view's schema, or none)."""
    if op.make_form is not None:
        return client.open(url, method=op.method, data=op.make_form(factory, bank, role or "bank_officer"),
                           headers=headers, content_type="multipart/form-data")
    if op.make_body is None:
        return client.open(url, method=op.method, headers=headers)
    body = op.make_body(factory, bank, role or "bank_officer")
    with app.test_request_context():
        try:
            op.schema.load(body)
        except ValidationError as exc:
            failures.append(f"{op.name}: the matrix body {body} is refused by the schema: {exc.messages}")
    return client.open(url, method=op.method, json=body, headers=headers)


@pytest.mark.parametrize("layer", ["http", "service"])
def test_matrix(app, factory, client, db, settings, monkeypatch, layer):  # noqa: ANN001, PLR0915
    """Every role (and no token) against every endpoint, with resources of the officer's own and another bank.

    Each request carries a body the operation's schema accepts (checked below), so an allowed role reaches the
    service and succeeds (each action's resource is first moved into the state it acts on; the few exceptions are
    named in ``matrix_providers.EXPECTED``);
    a role outside the rule gets exactly 403; a bank officer asking for another bank's record gets exactly 404.
    Allowed roles each get fresh resources, so one role's action does not change what the next one meets.

    ``service``: the same with the boundary's rule switched off (every signed-in role passes it), so the operation's
    own check is what refuses, and its 403 names the operation: the services are the authority, the boundary only
    asks them. Both layers record every operation the requests reach; each declared one must be reached.
    """
    if layer == "service":  # the HTTP rule lets every signed-in role through: the services alone must refuse
        monkeypatch.setattr(web, "access_rule", lambda view: (PUBLIC,) if PUBLIC in access_rule(view) else (ANY,))
    reached: set[str] = set()
    monkeypatch.setattr(authority, "reached", lambda permission: reached.add(permission.operation))
    settings.today = "2020-12-31"
    own = factory.make_bank()
    other = factory.make_bank()
    users = {role: factory.make_user(role, own if role is Role.bank_officer else None) for role in Role}
    actors = {role: Actor(id=u.id, username=u.username, role=u.role, bank_id=u.bank_id) for role, u in users.items()}
    providers = _providers()
    failures: list[str] = []
    for method, path in _cases(app):
        view = app.view_functions[app.url_map.bind("").match(_sample(path), method=method)[0]]
        permission = view_permission(view)
        rule = permission.rule
        params = re.findall(r"<(?:\w+:)?(\w+)>", path)
        unknown = [p for p in params if p not in providers]
        if unknown:
            failures.append(f"{method} {path}: no provider for path parameter(s) {unknown} in the matrix")
            continue
        name = f"{method} {path}"
        schema = _json_schema(view)
        make_body = matrix_providers.BODIES.get(name)
        make_form = matrix_providers.MULTIPART.get(name)
        if schema is not None and make_body is None:
            failures.append(f"{name}: takes a JSON body but matrix_providers.BODIES has none")
            continue
        if schema is None and make_body is not None:
            failures.append(f"{name}: takes no JSON body; remove it from matrix_providers.BODIES")
            continue

        op = _Operation(name, method, path, params, schema, make_body, make_form)
        for scope in ("own", "other"):
            bank = own if scope == "own" else other
            url, scoped_elsewhere = _resolve(op, providers, factory, own, bank, scope)
            anon = _send(app, client, op, url, factory, bank, None, None, failures)
            if PUBLIC not in rule and anon.status_code != 401:
                failures.append(f"{method} {url} without a token answered {anon.status_code}, not 401")
            for role in Role:  # a fresh token each time: DELETE /auth/token revokes the one it is called with
                allowed = authority.may(actors[role], permission.operation)  # what the console asks
                if allowed != (PUBLIC in rule or ANY in rule or role in rule):
                    failures.append(f"{name}: the authority and the boundary's rule {rule} disagree on {role}")
                if allowed and params:  # fresh resources: an earlier role's action must not decide this answer
                    url, scoped_elsewhere = _resolve(op, providers, factory, own, bank, scope)
                r = _send(app, client, op, url, factory, bank, role, factory.headers(users[role]), failures)
                what = f"{method} {url} as {role}"
                if not allowed:  # refused by role before any lookup, at the boundary and in the service alike
                    if r.status_code != 403:
                        failures.append(f"{what}: {r.status_code}, expected 403")
                    elif layer == "service" and permission.operation not in r.get_json()["detail"]:
                        failures.append(f"{what}: the 403 did not come from {permission.operation}'s own check: "
                                        f"{r.get_json()['detail']}")
                elif role is Role.bank_officer and scoped_elsewhere:
                    if r.status_code != 404:
                        failures.append(f"{what} of another bank: {r.status_code}, expected exactly 404")
                elif r.status_code != matrix_providers.EXPECTED.get(name, r.status_code if r.status_code < 300 else 0):
                    failures.append(f"{what}: {r.status_code} although the rule allows {rule} and the request is "
                                    f"valid (expected {matrix_providers.EXPECTED.get(name, '2xx')}): "
                                    f"{r.get_data(as_text=True)[:300]}")
                if r.status_code >= 500:
                    failures.append(f"{what}: server error {r.status_code}")
                if r.status_code >= 400 and r.content_type != "application/problem+json":
                    failures.append(f"{what}: error without problem+json ({r.content_type})")
    for operation, call in matrix_providers.UNROUTED.items():  # what no route performs: called as each role
        for role in Role:
            allowed = authority.may(actors[role], operation)
            try:
                call(factory, actors[role])
                factory.session.commit()
                refused = False
            except Forbidden as exc:
                factory.session.rollback()
                refused = operation in str(exc)
            if refused == allowed:
                failures.append(f"{operation} as {role}: {'refused' if refused else 'done'}, but may() says {allowed}")
    unreached = sorted(set(authority.PERMISSIONS) - reached)
    if unreached:
        failures.append(f"declared operations the matrix never reached: {unreached}")
    assert not failures, "\n".join(failures)


def _sample(path: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "1", path)


@pytest.mark.parametrize("path", ["/api/v1/banks", "/api/v1/enterprises", "/api/v1/guarantors"])
def test_officer_lists_never_show_another_banks_records(client, factory, path):  # noqa: ANN001
    own, other = factory.make_bank(), factory.make_bank()
    h = factory.as_role("bank_officer", own)
    body = client.get(path + "?page_size=500", headers=h).get_json()
    if path == "/api/v1/banks":
        assert [b["id"] for b in body["items"]] == [own.id] and body["total"] == 1
        assert client.get(f"/api/v1/banks/{other.id}", headers=h).status_code == 404
    else:  # shared master data is visible to every bank
        assert body["total"] == len(body["items"])


def test_refusal_comes_before_the_body_is_read(app, client, factory):  # noqa: ANN001
    """No token → 401 and a role the operation refuses → 403, whatever the body: a refused caller learns nothing
    from validation (the boundary asks the operation's permission before it parses the body or looks a row up)."""
    bank = factory.make_bank()
    failures = []
    for path, method, view in api_routes(app):
        if not path.startswith("/api/v1") or _json_schema(view) is None:
            continue
        permission = view_permission(view)
        url = re.sub(r"<(?:\w+:)?\w+>", "999999", path)
        for body in ({"no_such_field": 1}, "[1, 2"):
            data = body if isinstance(body, str) else None
            kwargs = {"data": data, "content_type": "application/json"} if data else {"json": body}
            if PUBLIC in permission.rule:
                continue
            r = client.open(url, method=method, **kwargs)
            if r.status_code != 401:
                failures.append(f"{method} {url} without a token, body {body!r}: {r.status_code}, expected 401")
            for role in Role:
                user = factory.make_user(role, bank if role is Role.bank_officer else None)
                if authority.may(Actor(id=user.id, username=user.username, role=role), permission.operation):
                    continue
                r = client.open(url, method=method, headers=factory.headers(user), **kwargs)
                if r.status_code != 403:
                    failures.append(f"{method} {url} as {role}, body {body!r}: {r.status_code}, expected 403")
    assert not failures, "\n".join(failures)
