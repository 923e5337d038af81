"""Error answers in the OpenAPI document: each operation lists the problem+json statuses it can really give.

flask-smorest documents a catch-all ``default`` error as ``application/json`` with its own error shape; the
service answers RFC 9457 problems as ``application/problem+json`` (see :mod:`bridgefund.web`). After every
blueprint is registered, :func:`document_problems` replaces that catch-all with the statuses that follow from
how the request boundary works, derived from each view's access rule and parameters — so a client (and the
contract fuzzer in ``tests/fuzz``) can rely on: any other status is a bug.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask_smorest import Api

from bridgefund.schemas.common import ProblemSchema
from bridgefund.web import PUBLIC, access_rule

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: Why each status can happen; the descriptions are part of the published contract.
REASONS = {
    400: "Malformed request: the body is not valid JSON (or nests deeper than 32 levels, or has an integer literal "
         "of more than 40 digits), or a header is malformed.",
    401: "No valid bearer token: missing, malformed, expired or revoked.",
    403: "The caller's role may not do this.",
    404: "No such resource, or it belongs to another bank (never 403 for that: no enumeration).",
    409: "State conflict: the transition is not allowed now, a duplicate, insufficient funds or quota, a closed "
         "period, a concurrent change, or the same Idempotency-Key still in flight.",
    413: "The body is too large: JSON bodies up to 1 MiB, file uploads up to 20 MiB.",
    415: "The body is not ``application/json`` (JSON endpoints take nothing else, charset parameter allowed).",
    422: "Invalid fields (``errors`` names each), a rule the request breaks, or an Idempotency-Key reused with "
         "another body.",
    429: "Too many failed logins for this username: retry after ``Retry-After`` seconds.",
}
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def spec_operations(app: Flask, spec: Any) -> list[tuple[str, str, dict, Any]]:
    """(OpenAPI path, method, operation dict, view function) of every operation of the document (the operation
    dicts are the document's own, so changes to them are changes to the document)."""
    views: dict[tuple[str, str], Any] = {}
    for r in app.url_map.iter_rules():
        for m in r.methods or ():
            views[(_PARAM.sub(r"{\1}", r.rule), m.lower())] = app.view_functions[r.endpoint]
    out = []
    for path, operations in spec.to_dict()["paths"].items():
        for method, op in operations.items():
            if method in ("get", "post", "put", "patch", "delete") and isinstance(op, dict):
                out.append((path, method, op, views.get((path, method))))
    return out
_WRITE = {"post", "put", "patch", "delete"}


def _statuses(op: dict[str, Any], method: str, rule: tuple[str, ...] | None, path: str) -> set[int]:
    params = op.get("parameters", [])
    has_query = any(p.get("in") == "query" for p in params if isinstance(p, dict))
    has_body = "requestBody" in op
    out: set[int] = set()
    if rule is not None and PUBLIC not in rule:
        out |= {401, 403}
    if "{" in path:
        out.add(404)
    if has_query or has_body or method == "post":  # POST: the Idempotency-Key header is validated too
        out.add(422)
    if has_body:
        out |= {400, 404}  # a body naming a row that is not there (or not the caller's) → 404
        out |= {413, 415} if _json_body(op) else {413}
    if method in _WRITE - {"delete"}:
        out.add(409)
    if path.endswith("/auth/token") and method == "post":
        out |= {401, 429}
    return out


def _json_body(op: dict[str, Any]) -> bool:
    return "application/json" in op.get("requestBody", {}).get("content", {})


def document_problems(api: Api, app: Flask) -> None:
    """Replace the catch-all error response of every operation by its documented problem statuses."""
    spec = api.spec
    if "Problem" not in spec.components.schemas:
        spec.components.schema("Problem", schema=ProblemSchema)
    for status, reason in REASONS.items():
        spec.components.response(f"Problem{status}", {
            "description": reason,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        })
    for path, method, op, view in spec_operations(app, spec):
        responses = op.setdefault("responses", {})
        responses.pop("default", None)
        rule = access_rule(view)
        for status in _statuses(op, method, rule, path):
            responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
        op["responses"] = dict(sorted(responses.items()))
