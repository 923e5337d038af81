"""Helpers shared by the API tests: the problem-format check, the app's routes, matrix resources.

Tests import helpers from here (or from the other ``*_support`` modules), never from another test module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bridgefund.web import ANY, access_rule

API = "/api/v1"


def assert_problem(r, status: int, field: str | None = None) -> dict:  # noqa: ANN001
    """``r`` is an RFC 9457 problem with exactly ``status`` (naming ``field`` in ``errors`` when given)."""
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    body = r.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("https://")
    if field is not None:
        assert field in body.get("errors", {}), body
    # never a stack trace or SQL in an error body
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "SELECT " not in text and "INSERT " not in text
    return body


def api_routes(app) -> list[tuple[str, str, Any]]:  # noqa: ANN001
    """Every (rule, method, view) of the app, sorted."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, app.view_functions[rule.endpoint]))
    return sorted(out, key=lambda r: (r[0], r[1]))


@dataclass
class Resource:
    """A path parameter's value, and the bank that owns it (None: shared master data)."""

    value: int | str
    bank_id: int | None


def officer_gets(app: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """GET routes an officer may call: lists (no path parameter) and detail routes (one parameter)."""
    lists, details = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or "GET" not in (rule.methods or ()):
            continue
        if ANY not in (access_rule(app.view_functions[rule.endpoint]) or ()):
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        if not params:
            lists.append(rule.rule)
        elif len(params) == 1:
            details.append((rule.rule, params[0]))
    return sorted(lists), sorted(details)
