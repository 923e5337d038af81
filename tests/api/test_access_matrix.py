"""The authorization matrix, generated from the app's URL map: every endpoint × every role × own/other bank.

A new endpoint without an access rule, or with a path parameter this file cannot provide, fails here, so
nobody can add an endpoint that skips authorization by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bridgefund.web import ALL_ROLES, ANY, PUBLIC, access_rule

#: Endpoints outside /api/v1 that are deliberately public.
PUBLIC_OUTSIDE_API = {
    "/healthz", "/api/openapi.json", "/api/docs", "/api/docs/<path:filename>", "/static/<path:filename>",
}


@dataclass
class Resource:
    """A path parameter's value, and the bank that owns it (None: shared master data)."""

    value: int | str
    bank_id: int | None


def _providers() -> dict[str, Callable[[Any, Any], Resource]]:
    """How to make a resource for each path parameter name; ``other`` is a bank the officer does not belong to."""
    providers: dict[str, Callable[[Any, Any], Resource]] = {
        "user_id": lambda f, other: Resource(f.make_user("auditor").id, None),
        "bank_id": lambda f, other: Resource(other.id, other.id),
        "guarantor_id": lambda f, other: Resource(_guarantor(f).id, None),
        "enterprise_id": lambda f, other: Resource(f.make_enterprise().id, None),
        "period": lambda f, other: Resource("2019-01", None),
    }
    try:  # resources of later modules register themselves here
        from tests.api import matrix_providers

        providers.update(matrix_providers.PROVIDERS)
    except ImportError:
        pass
    return providers


def _guarantor(f):  # noqa: ANN001, ANN202
    from decimal import Decimal

    from bridgefund.services import registry
    from bridgefund.services.actor import SYSTEM

    g = registry.create_guarantor(f.session, SYSTEM, name=f"担保{f._next()}", guarantee_share=Decimal("0.2"))
    f.session.commit()
    return g


def api_routes(app) -> list[tuple[str, str, Any]]:  # noqa: ANN001
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, app.view_functions[rule.endpoint]))
    return sorted(out, key=lambda r: (r[0], r[1]))


def test_every_endpoint_declares_an_access_rule(app):  # noqa: ANN001
    missing = []
    for path, method, view in api_routes(app):
        if path.startswith("/api/v1") and access_rule(view) is None:
            missing.append(f"{method} {path}")
        if not path.startswith("/api/v1") and path not in PUBLIC_OUTSIDE_API:
            missing.append(f"{method} {path} (outside /api/v1: add it to PUBLIC_OUTSIDE_API deliberately)")
    assert not missing, "endpoints without an access rule: " + ", ".join(missing)


def _cases(app) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(m, p) for p, m, _ in api_routes(app) if p.startswith("/api/v1")]


def test_matrix(app, factory, client, db):  # noqa: ANN001
    """Every role (and no token) against every endpoint, with resources of the officer's own and another bank."""
    own = factory.make_bank()
    other = factory.make_bank()
    users = {role: factory.make_user(role, own if role == "bank_officer" else None) for role in ALL_ROLES}
    providers = _providers()
    failures: list[str] = []
    for method, path in _cases(app):
        view = app.view_functions[app.url_map.bind("").match(_sample(path), method=method)[0]]
        rule = access_rule(view)
        params = re.findall(r"<(?:\w+:)?(\w+)>", path)
        unknown = [p for p in params if p not in providers]
        if unknown:
            failures.append(f"{method} {path}: no provider for path parameter(s) {unknown} in the matrix")
            continue
        for scope in ("own", "other"):
            resources = {p: providers[p](factory, own if scope == "own" else other) for p in params}
            if scope == "own":  # the officer's own bank for bank-scoped resources
                resources = {p: (Resource(own.id, own.id) if p == "bank_id" else r) for p, r in resources.items()}
            url = path
            for p, r in resources.items():
                url = re.sub(rf"<(?:\w+:)?{p}>", str(r.value), url)
            scoped_elsewhere = any(r.bank_id is not None and r.bank_id != own.id for r in resources.values())
            body = {} if method in ("POST", "PUT", "PATCH") else None
            anon = client.open(url, method=method, json=body)
            if PUBLIC not in rule and anon.status_code != 401:
                failures.append(f"{method} {url} without a token answered {anon.status_code}, not 401")
            for role in ALL_ROLES:  # a fresh token each time: DELETE /auth/token revokes the one it is called with
                r = client.open(url, method=method, json=body, headers=factory.headers(users[role]))
                allowed = PUBLIC in rule or ANY in rule or role in rule
                if not allowed:
                    if r.status_code != 403:
                        failures.append(f"{method} {url} as {role}: {r.status_code}, expected 403")
                elif role == "bank_officer" and scoped_elsewhere:
                    if r.status_code not in (404, 403):
                        failures.append(f"{method} {url} as officer of another bank: {r.status_code}, expected 404")
                elif r.status_code in (401, 403):
                    failures.append(f"{method} {url} as {role}: {r.status_code} although the rule allows {rule}")
                if r.status_code >= 500:
                    failures.append(f"{method} {url} as {role}: server error {r.status_code}")
                if r.status_code >= 400 and r.content_type != "application/problem+json":
                    failures.append(f"{method} {url} as {role}: error without problem+json ({r.content_type})")
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
