"""The OpenAPI document is enough for a newcomer: every operation says who may call it, what it changes and its
errors; every request body has an example that the service accepts; every POST that honours ``Idempotency-Key``
declares it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from bridgefund import authority
from bridgefund.api.docs import EXAMPLES
from bridgefund.api.problems import _PARAM
from bridgefund.models import Role
from bridgefund.web import PUBLIC, access_rule

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(app) -> dict[str, Any]:  # noqa: ANN001
    return app.test_client().get("/api/openapi.json").get_json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()
            if method in METHODS]


def resolve(spec: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        node: Any = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def idempotent_posts(app) -> set[str]:  # noqa: ANN001
    """The POSTs whose Idempotency-Key the request boundary honours: every signed-in POST of the API."""
    out = set()
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and rule.rule.startswith("/api/v1/"):
            access = access_rule(app.view_functions[rule.endpoint])
            if access is not None and PUBLIC not in access:
                out.add(_PARAM.sub(r"{\1}", rule.rule))
    return out


def test_every_operation_says_who_may_call_it_what_it_changes_and_its_errors(spec) -> None:  # noqa: ANN001
    missing, thin = [], []
    for path, method, op in operations(spec):
        name = f"{method.upper()} {path}"
        description = (op.get("description") or "").strip()
        if not op.get("summary") or not description:
            missing.append(name)
            continue
        written = description.split("**Who may call:**")[0].strip()  # the view docstring's own text
        if len(written) < 40 or written.rstrip(".") == op["summary"].rstrip("."):
            thin.append(name)
        assert "**Who may call:**" in description, name
        errors = sorted(s for s in op["responses"] if s.isdigit() and int(s) >= 400)
        if errors:
            assert "**Errors:** " + ", ".join(errors) in description, name
    assert missing == [], f"operations without a description (add a docstring body to the view): {missing}"
    assert thin == [], f"descriptions that say no more than the summary: {thin}"
    assert len(operations(spec)) >= 60


def test_every_request_body_has_an_example(spec) -> None:  # noqa: ANN001
    missing = []
    for path, method, op in operations(spec):
        if method in ("post", "put", "patch") and "requestBody" in op:
            for media_type, media in op["requestBody"]["content"].items():
                if "example" not in media and not media.get("examples"):
                    missing.append(f"{method.upper()} {path} ({media_type})")
    assert missing == [], f"request bodies without an example (bridgefund/api/docs.py EXAMPLES): {missing}"


def test_every_example_belongs_to_an_operation_and_is_accepted_by_its_schema(app, spec) -> None:  # noqa: ANN001
    """An example is loaded through the view's own marshmallow schema, as a request would be."""
    views = {}
    for rule in app.url_map.iter_rules():
        for m in rule.methods or ():
            views[m + " " + _PARAM.sub(r"{\1}", rule.rule)] = app.view_functions[rule.endpoint]
    documented = {f"{m.upper()} {p}" for p, m, op in operations(spec) if "requestBody" in op}
    assert set(EXAMPLES) <= documented, f"examples of no operation with a body: {set(EXAMPLES) - documented}"
    loaded = 0
    with app.test_request_context():
        for name, example in EXAMPLES.items():
            params = getattr(views[name], "_apidoc", {}).get("arguments", {}).get("parameters", [])
            bodies = [p for p in params if p["in"] == "json"]
            if not bodies:
                continue  # multipart (the import): its example is a file's content
            schema = bodies[0]["schema"]
            schema = schema() if isinstance(schema, type) else schema
            try:
                schema.load(example)
            except ValidationError as exc:
                pytest.fail(f"the example of {name} is refused: {exc.messages}")
            loaded += 1
    assert loaded >= 30


def test_idempotent_posts_declare_the_idempotency_key_header(app, spec) -> None:  # noqa: ANN001
    honoured = idempotent_posts(app)
    assert "/api/v1/bridge-loans/{loan_id}/repayments" in honoured and "/api/v1/auth/token" not in honoured
    undeclared = []
    for path, method, op in operations(spec):
        if method != "post":
            continue
        headers = [resolve(spec, p) for p in op.get("parameters", [])]
        declared = [h for h in headers if h.get("in") == "header" and h.get("name") == "Idempotency-Key"]
        if path in honoured:
            if not declared:
                undeclared.append(path)
            else:
                header = declared[0]
                assert header["required"] is False and header["schema"]["maxLength"] == 128
                assert "24 hours" in header["description"]
        else:
            assert not declared, f"{path} declares Idempotency-Key but the service ignores it there"
    assert undeclared == [], f"POSTs that honour Idempotency-Key without declaring it: {undeclared}"


def test_the_declared_header_is_the_one_the_service_honours(client, factory) -> None:  # noqa: ANN001
    """The documented behaviour, once: the same key and body answer the first response again."""
    admin = factory.as_role("admin")
    body = {"code": "IDEM-DOC", "name": "示例银行", "pool_quota": "0.00"}
    first = client.post("/api/v1/banks", json=body, headers={**admin, "Idempotency-Key": "doc-1"})
    again = client.post("/api/v1/banks", json=body, headers={**admin, "Idempotency-Key": "doc-1"})
    assert first.status_code == 201, first.get_json()
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = client.post("/api/v1/banks", json={**body, "code": "IDEM-DOC2"},
                        headers={**admin, "Idempotency-Key": "doc-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]


def test_the_readme_points_to_the_document_not_to_a_missing_file() -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert "/api/docs" in text
    assert not re.search(r"follow\s+API\.md", text), "API.md is not in the repository: link /api/docs"


def test_every_operation_states_its_roles_from_the_authority(spec) -> None:  # noqa: ANN001
    """``x-operation`` names the service operation asked; ``x-roles`` are exactly the roles its permission allows."""
    for path, method, op in operations(spec):
        if not path.startswith("/api/v1"):
            continue
        permission = authority.permission_of(op["x-operation"])
        assert op["x-public"] is (permission.rule == ("public",)), (method, path)
        expected = [] if op["x-public"] else [r.value for r in Role if permission.allows(r)]
        assert op["x-roles"] == expected, (method, path)
        assert ("403" in op["responses"]) is (not op["x-public"]), (method, path)
    approve = spec["paths"]["/api/v1/bridge-loans/{loan_id}/approve"]["post"]
    assert approve["x-roles"] == ["fund_manager"] and approve["x-operation"] == "bridge_loans.approve"
