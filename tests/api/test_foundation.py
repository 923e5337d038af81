"""Banks, guarantors, enterprises; bad input; idempotency; audit; request ids; the problem format."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent, Bank, Enterprise, Guarantor
from bridgefund.services import bank_terms
from tests.api_support import assert_problem
from tests.conftest import audit_count

REAL_USCC = "91350200776049653A"


def rows(db, model) -> int:  # noqa: ANN001
    return db.scalar(select(func.count()).select_from(model))


# --- banks -----------------------------------------------------------------------------------------


def test_bank_lifecycle_and_audit(client, factory, db):  # noqa: ANN001
    h = factory.as_role("admin")
    r = client.post("/api/v1/banks", headers=h,
                    json={"code": "boc-hn", "name": "中国银行河南省分行", "pool_quota": "150000000.00",
                          "pool_share": "0.5"})
    assert r.status_code == 201
    bank = r.get_json()
    assert bank["code"] == "BOC-HN" and bank["name"] == "中国银行河南省分行"
    assert bank["pool_quota"] == "150000000.00" and bank["pool_share"] == "0.50"
    assert bank["status"] == "active" and bank["pool_quota_used"] == "0.00" and bank["npl_ratio"] == "0.00"
    assert audit_count(db, entity_type="bank", entity_id=bank["id"], action="create") == 1
    dup = client.post("/api/v1/banks", headers=h, json={"code": "BOC-HN", "name": "x"})
    assert_problem(dup, 409, "code")
    r = client.patch(f"/api/v1/banks/{bank['id']}", headers=h, json={"pool_quota": "160000000.00"})
    assert r.status_code == 200 and r.get_json()["pool_quota"] == "160000000.00"
    ev = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == bank["id"], AuditEvent.action == "update")).one()
    assert ev.before == {"pool_quota": "150000000.00", "effective_from": None}
    assert ev.after == {"pool_quota": "160000000.00", "effective_from": ev.after["effective_from"]}
    # a PATCH that changes nothing writes no event
    client.patch(f"/api/v1/banks/{bank['id']}", headers=h, json={"pool_quota": "160000000.00"})
    assert audit_count(db, entity_type="bank", entity_id=bank["id"]) == 2


def test_reinstating_a_suspended_bank_needs_a_reason(client, factory, db):  # noqa: ANN001
    import datetime as dt

    h = factory.as_role("admin")
    bank = factory.make_bank()
    bank.status_reason = "NPL ratio 7% > 5%"
    bank_terms.change(db, None, bank, dt.date(2020, 3, 1), {"status": "suspended"}, bank.status_reason)
    db.commit()
    assert_problem(client.patch(f"/api/v1/banks/{bank.id}", headers=h, json={"status": "active"}), 422, "reason")
    db.expire_all()
    assert client.get(f"/api/v1/banks/{bank.id}", headers=h).get_json()["status"] == "suspended"
    r = client.patch(f"/api/v1/banks/{bank.id}", headers=h, json={"status": "active", "reason": "NPL back to 3%"})
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    assert audit_count(db, entity_type="bank", entity_id=bank.id, action="reinstate") == 1
    assert_problem(client.patch(f"/api/v1/banks/{bank.id}", headers=h,
                                json={"status": "suspended", "reason": "by hand"}), 422, "status")


def test_guarantors(client, factory, db):  # noqa: ANN001
    h = factory.as_role("admin")
    r = client.post("/api/v1/guarantors", headers=h, json={"name": "嵩岳融资担保有限公司", "guarantee_share": "0.20"})
    assert r.status_code == 201 and r.get_json()["guarantee_share"] == "0.20"
    gid = r.get_json()["id"]
    assert_problem(client.post("/api/v1/guarantors", headers=h, json={"name": "x", "guarantee_share": "1.5"}), 422,
                   "guarantee_share")
    officer = factory.as_role("bank_officer", factory.make_bank())
    assert client.get(f"/api/v1/guarantors/{gid}", headers=officer).get_json()["name"] == "嵩岳融资担保有限公司"
    r = client.post("/api/v1/guarantors", headers=officer, json={"name": "y", "guarantee_share": "0.1"})
    assert_problem(r, 403)
    assert rows(db, Guarantor) == 1


# --- enterprises -----------------------------------------------------------------------------------


def test_enterprise_registration_with_real_credit_code(client, factory, db):  # noqa: ANN001
    officer = factory.as_role("bank_officer", factory.make_bank())
    r = client.post("/api/v1/enterprises", headers=officer,
                    json={"uscc": REAL_USCC.lower(), "name": "厦门某科技有限公司", "size": "small", "in_zone": True})
    assert r.status_code == 201
    ent = r.get_json()
    assert ent["uscc"] == REAL_USCC and ent["industry"] is None
    dup = client.post("/api/v1/enterprises", headers=officer,
                      json={"uscc": REAL_USCC, "name": "另一个名字", "size": "micro", "in_zone": True})
    body = assert_problem(dup, 409, "uscc")
    assert str(ent["id"]) in body["detail"] and body["existing_id"] == ent["id"]
    found = client.get(f"/api/v1/enterprises?uscc={REAL_USCC}", headers=officer).get_json()
    assert found["total"] == 1 and found["items"][0]["id"] == ent["id"]
    assert client.get("/api/v1/enterprises?q=厦门", headers=officer).get_json()["total"] == 1
    assert client.get("/api/v1/enterprises?q=%25", headers=officer).get_json()["total"] == 0  # % is literal
    assert audit_count(db, entity_type="enterprise", entity_id=ent["id"]) == 1


@pytest.mark.parametrize("uscc,why", [
    ("91350200776049653B", "check character"),
    ("91350200776049653", "18"),
    ("9135020077604965OA", "not allowed"),
    ("91350200776049653AA", "18"),
])
def test_bad_credit_codes_are_refused(client, factory, db, uscc, why):  # noqa: ANN001
    h = factory.as_role("fund_manager")
    r = client.post("/api/v1/enterprises", headers=h,
                    json={"uscc": uscc, "name": "x", "size": "small", "in_zone": True})
    body = assert_problem(r, 422, "uscc")
    assert why in " ".join(body["errors"]["uscc"])
    assert rows(db, Enterprise) == 0


# --- bad input: every kind is a problem naming the field, and stores nothing --------------------------


@pytest.mark.parametrize("payload,status,field", [
    (b"{not json", 400, None),
    (b"[1, 2]", 422, None),
    (b'"a string"', 422, None),
    ({"code": "X", "name": "n"}, 422, "code"),  # too short
    ({"code": "OK1", "name": "n", "pool_quota": 100}, 422, "pool_quota"),  # a JSON number is never money
    ({"code": "OK1", "name": "n", "pool_quota": "1.005"}, 422, "pool_quota"),
    ({"code": "OK1", "name": "n", "pool_quota": "-1.00"}, 422, "pool_quota"),
    ({"code": "OK1", "name": "n", "pool_quota": "NaN"}, 422, "pool_quota"),
    ({"code": "OK1", "name": "n", "pool_quota": "1e9"}, 422, "pool_quota"),
    ({"code": "OK1", "name": "n", "pool_quota": "9" * 40}, 422, "pool_quota"),
    ({"code": "OK1", "name": "x" * 10_000}, 422, "name"),
    ({"code": "OK1", "name": ""}, 422, "name"),
    ({"code": "OK1", "name": 5}, 422, "name"),
    ({"code": "OK1", "name": "n", "evil": True}, 422, "evil"),
    ({"code": "OK1"}, 422, "name"),
    ({"code": "OK1", "name": "n", "pool_share": "0.123456789"}, 422, "pool_share"),
    ({"code": "OK1", "name": None}, 422, "name"),
])
def test_bad_input_is_a_problem_and_changes_nothing(client, factory, db, payload, status, field):  # noqa: ANN001
    h = factory.as_role("admin")
    before = (rows(db, Bank), rows(db, AuditEvent))
    if isinstance(payload, bytes):
        r = client.post("/api/v1/banks", headers=h, data=payload, content_type="application/json")
    else:
        r = client.post("/api/v1/banks", headers=h, json=payload)
    assert_problem(r, status, field)
    assert (rows(db, Bank), rows(db, AuditEvent)) == before


@pytest.mark.parametrize("url", [
    "/api/v1/banks?page=0", "/api/v1/banks?page_size=501", "/api/v1/banks?page=abc",
    "/api/v1/banks?page=99999999999999999999", "/api/v1/banks?status=closed",
    "/api/v1/audit-events?entity_id=99999999999", "/api/v1/audit-events?from=yesterday",
])
def test_bad_query_arguments(client, factory, url):  # noqa: ANN001
    h = factory.as_role("admin")
    assert_problem(client.get(url, headers=h), 422)


def test_unknown_routes_methods_and_huge_ids(client, factory):  # noqa: ANN001
    h = factory.as_role("admin")
    assert_problem(client.get("/api/v1/nothing-here", headers=h), 404)
    assert_problem(client.get("/api/v1/banks/99999999999999999999", headers=h), 404)
    assert_problem(client.get("/api/v1/banks/2147483647", headers=h), 404)
    r = client.put("/api/v1/banks", headers=h, json={})
    assert_problem(r, 405)
    assert "GET" in r.headers["Allow"]


def test_request_id_echoed_and_recorded(client, factory, db):  # noqa: ANN001
    h = factory.as_role("admin", ) | {"X-Request-ID": "req-42.abc"}
    r = client.post("/api/v1/banks", headers=h, json={"code": "RID1", "name": "n"})
    assert r.headers["X-Request-ID"] == "req-42.abc"
    assert db.scalars(select(AuditEvent.request_id).where(AuditEvent.entity_type == "bank")).one() == "req-42.abc"
    weird = client.get("/api/v1/me", headers=factory.as_role("auditor") | {"X-Request-ID": "bad id with spaces"})
    assert weird.headers["X-Request-ID"] != "bad id with spaces" and len(weird.headers["X-Request-ID"]) == 32


def test_security_headers(client, factory):  # noqa: ANN001
    r = client.get("/api/v1/me", headers=factory.as_role("auditor"))
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.content_type == "application/json; charset=utf-8"


# --- idempotency ---------------------------------------------------------------------------------------


def test_idempotent_replay_and_conflict(client, factory, db):  # noqa: ANN001
    user = factory.make_user("admin")
    h = factory.headers(user) | {"Idempotency-Key": "create-bank-1"}
    first = client.post("/api/v1/banks", headers=h, json={"code": "IDEM1", "name": "幂等银行"})
    assert first.status_code == 201
    again = client.post("/api/v1/banks", headers=h, json={"code": "IDEM1", "name": "幂等银行"})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert rows(db, Bank) == 1 and audit_count(db, entity_type="bank") == 1
    other = client.post("/api/v1/banks", headers=h, json={"code": "IDEM2", "name": "另一家"})
    assert_problem(other, 422, "Idempotency-Key")
    assert rows(db, Bank) == 1
    # keys are per user: another admin may use the same key for their own request
    h2 = factory.as_role("admin") | {"Idempotency-Key": "create-bank-1"}
    assert client.post("/api/v1/banks", headers=h2, json={"code": "IDEM3", "name": "第三家"}).status_code == 201


def test_failed_request_does_not_burn_the_key(client, factory, db):  # noqa: ANN001
    h = factory.as_role("admin") | {"Idempotency-Key": "k-retry"}
    bad = {"code": "R1", "name": "n", "pool_quota": "x"}
    assert client.post("/api/v1/banks", headers=h, json=bad).status_code == 422
    fixed = client.post("/api/v1/banks", headers=h, json={"code": "R1", "name": "n", "pool_quota": "x"})
    assert fixed.status_code == 422  # not a replay of a stored failure: validated again
    assert "Idempotent-Replayed" not in fixed.headers


def test_key_in_flight_answers_409(client, factory, db):  # noqa: ANN001
    import hashlib
    import json

    from bridgefund.models import IdempotencyRecord

    user = factory.make_user("admin")
    h = factory.headers(user) | {"Idempotency-Key": "in-flight"}
    body = b'{"code": "FLY1", "name": "n"}'
    canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(b"\0".join([b"POST", b"/api/v1/banks?", canonical])).hexdigest()
    db.add(IdempotencyRecord(user_id=user.id, key="in-flight", request_hash=digest))
    db.commit()
    r = client.post("/api/v1/banks", headers=h, data=body, content_type="application/json")
    assert_problem(r, 409)
    assert rows(db, Bank) == 0


def test_overlong_idempotency_key(client, factory):  # noqa: ANN001
    h = factory.as_role("admin") | {"Idempotency-Key": "k" * 129}
    assert_problem(client.post("/api/v1/banks", headers=h, json={"code": "L1", "name": "n"}), 422, "Idempotency-Key")


# --- audit log -----------------------------------------------------------------------------------------


def test_audit_log_is_filterable_and_append_only(client, factory, db):  # noqa: ANN001
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    admin = factory.make_user("admin")
    h = factory.headers(admin)
    client.post("/api/v1/banks", headers=h, json={"code": "AUD1", "name": "n"})
    auditor = factory.as_role("auditor")
    page = client.get(f"/api/v1/audit-events?entity_type=bank&actor_id={admin.id}", headers=auditor).get_json()
    assert page["total"] == 1
    ev = page["items"][0]
    assert ev["action"] == "create" and ev["actor_role"] == "admin" and ev["after"]["code"] == "AUD1"
    assert ev["request_id"] and ev["ip"] == "127.0.0.1"
    officer = factory.as_role("bank_officer", factory.make_bank())
    assert client.get("/api/v1/audit-events", headers=officer).status_code == 403
    # the database itself refuses to change history (trigger), not only the ORM
    for stmt in (update(AuditEvent).values(action="tampered"), delete(AuditEvent)):
        nested = db.begin_nested()
        with pytest.raises(DBAPIError):
            db.execute(stmt)
        nested.rollback()
    assert db.scalar(select(func.count()).where(AuditEvent.action == "tampered")) == 0


def test_openapi_document_and_health(client):  # noqa: ANN001
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/banks" in spec["paths"] and "/api/v1/auth/token" in spec["paths"]
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok",
                                                 "worker": {"status": "immediate", "last_heartbeat": None}}
