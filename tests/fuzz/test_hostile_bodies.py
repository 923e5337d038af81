"""Hostile bodies on every JSON operation of the contract, as every role (issue 11, items 3–5, 7–9).

Each documented operation that takes a JSON body gets, in every property its schema names: a lone surrogate, a
bidi override, BEL, a zero-width space, blank text, money in full-width and Arabic-Indic digits, an integer of 5,000
digits, a number beyond a float; plus bodies nested 100,000 deep, a wrong content type and no content type. Every
answer must be a problem (problem+json) with a status the operation documents — never a 5xx.
"""

from __future__ import annotations

import re

import pytest

from tests.fuzz import seed as seeding

ROLES = ("admin", "fund_manager", "bank_officer", "auditor")
#: Raw JSON texts of hostile values (escapes kept as the client would send them).
VALUES = ['"a\\ud800b"', '"\\u202eRTL"', '"a\\u0007b"', '"a\\u200bb"', '"   "',
          '"\\uff11\\uff10\\uff10.\\uff10\\uff10"', '"\\u0661\\u0660\\u0660.\\u0660\\u0660"',
          '" 100.00"', "9" * 5000, "1e400", '"2020-03\\n"']


@pytest.fixture
def seed(factory, db, settings):  # noqa: ANN001, ANN201
    settings.today = seeding.TODAY.isoformat()
    return seeding.build(factory, db)


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _json_operations(spec: dict) -> list[tuple[str, str, list[str], set[str]]]:
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            content = (op.get("requestBody") or {}).get("content", {}) if isinstance(op, dict) else {}
            if "application/json" not in content:
                continue
            schema = _resolve(spec, content["application/json"].get("schema", {}))
            out.append((method, path, sorted(schema.get("properties", {})), set(op["responses"])))
    return out


def test_hostile_bodies_on_every_json_operation_are_documented_problems(app, client, seed, connection, db):  # noqa: ANN001
    spec = client.get("/api/openapi.json").get_json()
    operations = _json_operations(spec)
    assert len(operations) > 20
    failures: list[str] = []
    sent = 0
    for role in ROLES:
        headers = seed.headers[role]
        for method, path, props, documented in operations:
            url = re.sub(r"\{(\w+)\}", lambda m: str((seed.ids.get(m.group(1)) or [1])[0]), path)
            bodies: list[tuple[str, str | None]] = [("[" * 100_000 + "]" * 100_000, "application/json"),
                                                   ("{}", "text/plain"), ('{"a": 1}', None)]
            bodies += [("{" + f'"{p}": {v}' + "}", "application/json") for p in props for v in VALUES]
            for body, ctype in bodies:
                sp = connection.begin_nested()
                try:
                    h = dict(headers) | ({"Content-Type": ctype} if ctype else {})
                    r = client.open(url, method=method.upper(), data=body.encode(), headers=h)
                    sent += 1
                    if r.status_code >= 500 or str(r.status_code) not in documented or (
                            r.status_code >= 400 and r.mimetype != "application/problem+json"):
                        failures.append(f"{method.upper()} {path} as {role} {ctype} {body[:60]!r}: {r.status_code} "
                                        f"{r.get_data(as_text=True)[:200]}")
                finally:
                    if sp.is_active:
                        sp.rollback()
                db.expire_all()
    print(f"\nhostile bodies: {sent} requests on {len(operations)} operations")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
