"""Security checks beyond the authorization matrix: bank isolation through every list filter and every nested
field, token revocation everywhere, the password policy, security headers on every kind of answer, and error
bodies that never leak a stack trace or SQL.

(Login throttling and token expiry: tests/api/test_auth.py; the dependency audit: ``dependency_audit.py``,
run by ``make test``.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bridgefund.models import BridgeLoan, Claim, PoolLoan
from tests.api_support import officer_gets
from tests.fuzz import seed as seeding

API = "/api/v1"
LEAK = re.compile(r"Traceback|File \"|sqlalchemy|psycopg|sqlite|SELECT |INSERT |UPDATE |DELETE FROM|"
                  r"\bline \d+|Error\(|0x[0-9a-f]{6,}", re.I)


@pytest.fixture
def world(factory, db, settings):  # noqa: ANN001, ANN201
    settings.today = seeding.TODAY.isoformat()
    return seeding.build(factory, db)


def _other_bank_marks(db: Any, seed: seeding.Seed) -> dict[str, set[Any]]:
    """Everything that identifies a record of bank B: ids by key name, and references."""
    b = seed.bank_b.id
    refs = set(db.scalars(select(BridgeLoan.reference).where(BridgeLoan.bank_id == b)))
    refs |= set(db.scalars(select(PoolLoan.reference).where(PoolLoan.bank_id == b)))
    refs |= set(db.scalars(select(Claim.reference).where(Claim.bank_id == b)))
    return {
        "bank_id": {b},
        "loan_id": seed.other_bank_ids["loan_id"] | seed.other_bank_ids["pool_loan_id"],
        "bridge_loan_id": seed.other_bank_ids["loan_id"],
        "pool_loan_id": seed.other_bank_ids["pool_loan_id"],
        "claim_id": seed.other_bank_ids["claim_id"],
        "reference": refs,
    }


def _leaks(body: Any, marks: dict[str, set[Any]], path: str = "$") -> list[str]:
    """Paths in a JSON body where a mark of bank B appears, at any depth."""
    found = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k in marks and not isinstance(v, dict | list) and v in marks[k]:
                found.append(f"{path}.{k}={v}")
            found += _leaks(v, marks, f"{path}.{k}")
    elif isinstance(body, list):
        for i, v in enumerate(body):
            found += _leaks(v, marks, f"{path}[{i}]")
    return found


def test_another_banks_records_are_unreachable_through_every_list_and_filter(app, client, db, world):  # noqa: ANN001
    marks = _other_bank_marks(db, world)
    h = world.headers["bank_officer"]
    b = world.bank_b.id
    filters = [{}, {"bank_id": b}, {"page_size": 500}]
    for key in ("loan_id", "pool_loan_id"):
        filters += [{key: i} for i in sorted(world.other_bank_ids[key])[:1]]
    lists, _ = officer_gets(app)
    spec = client.get("/api/openapi.json").get_json()["paths"]
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", p): {x["name"] for x in ops.get("get", {}).get("parameters", [])}
                  for p, ops in spec.items()}
    assert {"bank_id"} <= documented[f"{API}/bridge-loans"] & documented[f"{API}/pool-loans"]
    assert {f"{API}/bridge-loans", f"{API}/pool-loans", f"{API}/claims", f"{API}/banks"} <= set(lists)
    failures = []
    for url in lists:
        for q in filters:
            r = client.get(url, headers=h, query_string=q)
            if r.status_code == 422:  # a filter the list does not take: refused, so nothing shown
                continue
            if r.status_code != 200:
                failures.append(f"GET {url} {q}: {r.status_code}")
                continue
            if r.mimetype != "application/json":
                continue
            leaks = _leaks(r.get_json(), marks)
            if leaks:
                failures.append(f"GET {url} {q} shows bank B's records: {leaks[:5]}")
            if "bank_id" in q and "bank_id" in documented.get(url, ()):  # the filter exists: nothing of B
                body = r.get_json()
                if isinstance(body, dict) and body.get("total"):
                    failures.append(f"GET {url}?bank_id=<other bank> answered {body['total']} records")
    assert not failures, "\n".join(failures)


def test_another_banks_records_answer_404_on_every_detail_route(app, client, world):  # noqa: ANN001
    h = world.headers["bank_officer"]
    _, details = officer_gets(app)
    ids = {"loan_id": world.other_bank_ids["loan_id"], "pool_loan_id": world.other_bank_ids["pool_loan_id"],
           "claim_id": world.other_bank_ids["claim_id"], "bank_id": world.other_bank_ids["bank_id"],
           "document_id": world.other_bank_ids["document_id"]}
    failures, checked = [], 0
    for rule, param in details:
        for i in sorted(ids.get(param, ())):
            url = re.sub(r"<(?:\w+:)?\w+>", str(i), rule)
            r = client.get(url, headers=h)
            checked += 1
            if r.status_code != 404:
                failures.append(f"GET {url}: {r.status_code}")
    assert checked >= 8 and not failures, "\n".join(failures)


def test_own_records_carry_no_other_bank_ids_in_nested_fields(app, client, db, world):  # noqa: ANN001
    marks = _other_bank_marks(db, world)
    h = world.headers["bank_officer"]
    _, details = officer_gets(app)
    own = {"loan_id": sorted(set(world.ids["loan_id"]) - world.other_bank_ids["loan_id"]),
           "pool_loan_id": sorted(set(world.ids["pool_loan_id"]) - world.other_bank_ids["pool_loan_id"]),
           "claim_id": sorted(set(world.ids["claim_id"]) - world.other_bank_ids["claim_id"]),
           "bank_id": [world.bank_a.id]}
    failures = []
    for rule, param in details:
        for i in own.get(param, []):
            r = client.get(re.sub(r"<(?:\w+:)?\w+>", str(i), rule), headers=h)
            if r.status_code == 200 and r.mimetype == "application/json":
                failures += _leaks(r.get_json(), marks, rule)
    assert not failures, failures


def test_a_revoked_token_is_refused_everywhere(client, factory):  # noqa: ANN001
    h = factory.as_role("fund_manager")
    assert client.get(f"{API}/me", headers=h).status_code == 200
    assert client.delete(f"{API}/auth/token", headers=h).status_code == 204
    for method, url in (("GET", "/me"), ("GET", "/bridge-loans"), ("POST", "/enterprises"), ("DELETE", "/auth/token")):
        r = client.open(API + url, method=method, headers=h, json={} if method == "POST" else None)
        assert r.status_code == 401, (method, url, r.status_code)
        assert r.mimetype == "application/problem+json" and "WWW-Authenticate" in r.headers


def test_deactivating_a_user_cuts_their_tokens(client, factory):  # noqa: ANN001
    admin = factory.as_role("admin")
    user = factory.make_user("auditor")
    h = factory.headers(user)
    assert client.patch(f"{API}/users/{user.id}", headers=admin, json={"active": False}).status_code == 200
    assert client.get(f"{API}/me", headers=h).status_code == 401


@pytest.mark.parametrize("password,why", [
    ("short-1", "10 to 128"), ("onlyletterspassword", "mix"), ("12345678901234", "mix"), ("x" * 129, "128"),
    ("Pw-policyuser-99", "username"),
])
def test_password_policy(client, factory, password, why):  # noqa: ANN001
    admin = factory.as_role("admin")
    r = client.post(f"{API}/users", headers=admin, json={"username": "policyuser", "password": password,
                                                          "role": "auditor"})
    assert r.status_code == 422 and why in " ".join(r.get_json()["errors"]["password"])
    user = factory.make_user("auditor")
    r = client.patch(f"{API}/users/{user.id}", headers=admin, json={"password": password.replace("policyuser",
                                                                                                  user.username)})
    assert r.status_code == 422


def test_security_headers_on_every_kind_of_answer(client, factory):  # noqa: ANN001
    h = factory.as_role("auditor")
    answers = [client.get(f"{API}/me", headers=h), client.get(f"{API}/me"), client.get(f"{API}/nowhere", headers=h),
               client.post(f"{API}/banks", headers=h, json={}), client.get("/healthz"),
               client.post(f"{API}/enterprises", headers=h | {"Content-Type": "application/json"}, data="{bad"),
               client.get("/api/openapi.json")]
    for r in answers:
        assert r.headers["X-Content-Type-Options"] == "nosniff", r
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers.get("X-Request-ID")
    for r in answers[:5]:
        assert r.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]


@pytest.mark.parametrize("method,url,kw", [
    ("POST", "/enterprises", {"data": "{not json", "content_type": "application/json"}),
    ("POST", "/enterprises", {"data": b"\xff\xfe\x00", "content_type": "application/json"}),
    ("POST", "/enterprises", {"json": {"uscc": ["x"], "name": {"a": 1}, "size": 10**400}}),
    ("POST", "/fund/capital", {"json": {"amount": "1e999999", "value_date": "2020-13-45", "direction": "sideways"}}),
    ("POST", "/fund/capital", {"json": {"amount": "99999999999999999999.00", "value_date": "0001-01-01",
                                        "direction": "in"}}),
    ("GET", "/bridge-loans?page=99999999999999999999&page_size=-1&as_of=not-a-date", {}),
    ("GET", "/audit-events?entity_id=1%27%20OR%201=1--&from=2020-01-01T25:99", {}),
    ("GET", "/enterprises?q=%27%3B%20DROP%20TABLE%20users%3B--", {}),
    ("POST", "/pool-loans/import", {"data": {"file": (__import__("io").BytesIO(b"PK\x03\x04garbage"), "x.xlsx")},
                                    "content_type": "multipart/form-data"}),
])
def test_provoked_errors_leak_no_internals(client, factory, method, url, kw):  # noqa: ANN001
    h = factory.as_role("admin") if "capital" in url or "audit" in url else factory.as_role("fund_manager")
    r = client.open(API + url, method=method, headers=h, **kw)
    assert r.status_code < 500, r.get_data(as_text=True)
    text = r.get_data(as_text=True)
    if r.status_code >= 400:
        assert r.mimetype == "application/problem+json"
        assert not LEAK.search(text), text


def test_an_unexpected_failure_answers_a_bare_500(app, client, factory, monkeypatch):  # noqa: ANN001
    """With testing off (as in production): no exception text, no SQL, only the request id to quote."""
    from sqlalchemy.exc import OperationalError

    from bridgefund.services import registry

    def boom(*_a: Any, **_k: Any) -> None:
        raise OperationalError("SELECT password_hash FROM users WHERE id = 1", {}, Exception("server closed"))

    monkeypatch.setattr(registry, "list_enterprises", boom)
    monkeypatch.setitem(app.config, "TESTING", False)
    h = factory.as_role("auditor") | {"X-Request-ID": "leak-check-1"}
    r = client.get(f"{API}/enterprises", headers=h)
    assert r.status_code == 500 and r.mimetype == "application/problem+json"
    text = r.get_data(as_text=True)
    assert "leak-check-1" in text and not LEAK.search(text), text
