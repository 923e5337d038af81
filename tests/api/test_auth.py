"""Authentication, tokens, throttling, users and the problem format through the HTTP API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bridgefund.models import ApiToken, LoginThrottle, User
from tests.conftest import audit_count


def login(client, username, password):  # noqa: ANN001, ANN201
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_login_me_logout(client, factory, db):  # noqa: ANN001
    bank = factory.make_bank()
    user = factory.make_user("bank_officer", bank, username="Officer.Zhang", password="Renew-2020-ok")
    r = login(client, "officer.zhang", "Renew-2020-ok")
    assert r.status_code == 200
    body = r.get_json()
    assert body["user"] == {"id": user.id, "username": "officer.zhang", "role": "bank_officer", "bank_id": bank.id,
                            "active": True, "created_at": body["user"]["created_at"]}
    assert dt.datetime.fromisoformat(body["expires_at"]) > dt.datetime.now(dt.UTC)
    # the token itself is never stored, only its hash
    assert db.scalar(select(ApiToken.token_hash).where(ApiToken.user_id == user.id)) != body["token"]
    h = {"Authorization": f"Bearer {body['token']}"}
    me = client.get("/api/v1/me", headers=h)
    assert me.status_code == 200 and me.get_json()["username"] == "officer.zhang"
    assert client.delete("/api/v1/auth/token", headers=h).status_code == 204
    r = client.get("/api/v1/me", headers=h)
    assert r.status_code == 401
    assert r.content_type == "application/problem+json"
    assert audit_count(db, entity_type="user", entity_id=user.id, action="logout") == 1


def test_unknown_user_and_wrong_password_answer_the_same(client, factory):  # noqa: ANN001
    factory.make_user("auditor", username="auditor-a", password="Correct-horse-1")
    a = login(client, "auditor-a", "Wrong-horse-1")
    b = login(client, "nobody-here", "Wrong-horse-1")
    assert a.status_code == b.status_code == 401
    assert a.get_json() == b.get_json()


def test_login_throttled_after_repeated_failures(client, factory, db, app):  # noqa: ANN001
    factory.make_user("auditor", username="auditor-t", password="Correct-horse-1")
    limit = app.config["BRIDGEFUND"].login_max_failures
    for _ in range(limit):
        assert login(client, "auditor-t", "nope-nope-1").status_code == 401
    r = login(client, "auditor-t", "Correct-horse-1")  # even the right password waits
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert r.get_json()["status"] == 429
    # once the lock has passed, the right password works and clears the counter
    throttle = db.get(LoginThrottle, "auditor-t")
    throttle.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.commit()
    assert login(client, "auditor-t", "Correct-horse-1").status_code == 200
    db.expire_all()
    assert db.get(LoginThrottle, "auditor-t") is None


def test_missing_malformed_expired_tokens(client, factory, db):  # noqa: ANN001
    user = factory.make_user("auditor")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    h = factory.headers(user)
    tok = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    tok.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.commit()
    r = client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers


def test_inactive_user_cannot_use_token_or_login(client, factory, db):  # noqa: ANN001
    admin_h = factory.as_role("admin")
    user = factory.make_user("auditor", username="auditor-x", password="Correct-horse-1")
    h = factory.headers(user)
    r = client.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=admin_h)
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert login(client, "auditor-x", "Correct-horse-1").status_code == 401


def test_admin_creates_users_with_role_rules(client, factory, db):  # noqa: ANN001
    h = factory.as_role("admin")
    bank = factory.make_bank()
    r = client.post("/api/v1/users", headers=h,
                    json={"username": "officer9", "password": "Strong-pass-9", "role": "bank_officer"})
    assert r.status_code == 422 and "bank_id" in r.get_json()["errors"]
    r = client.post("/api/v1/users", headers=h, json={"username": "mgr9", "password": "Strong-pass-9",
                                                        "role": "fund_manager", "bank_id": bank.id})
    assert r.status_code == 422 and "bank_id" in r.get_json()["errors"]
    r = client.post("/api/v1/users", headers=h, json={"username": "mgr9", "password": "short", "role": "fund_manager"})
    assert r.status_code == 422 and "password" in r.get_json()["errors"]
    assert db.scalar(select(User).where(User.username == "mgr9")) is None
    r = client.post("/api/v1/users", headers=h, json={"username": "Officer9", "password": "Strong-pass-9",
                                                        "role": "bank_officer", "bank_id": bank.id})
    assert r.status_code == 201
    created = r.get_json()
    assert created["username"] == "officer9" and created["bank_id"] == bank.id and "password" not in created
    r = client.post("/api/v1/users", headers=h, json={"username": "OFFICER9", "password": "Strong-pass-9",
                                                        "role": "auditor"})
    assert r.status_code == 409
    assert audit_count(db, entity_type="user", entity_id=created["id"], action="create") == 1


def test_admin_cannot_lock_themselves_out(client, factory):  # noqa: ANN001
    admin = factory.make_user("admin")
    h = factory.headers(admin)
    r = client.patch(f"/api/v1/users/{admin.id}", json={"active": False}, headers=h)
    assert r.status_code == 422


def test_password_change_is_audited_without_the_password(client, factory, db):  # noqa: ANN001
    from bridgefund.models import AuditEvent

    h = factory.as_role("admin")
    user = factory.make_user("auditor", username="auditor-p", password="Old-password-1")
    r = client.patch(f"/api/v1/users/{user.id}", json={"password": "New-password-2"}, headers=h)
    assert r.status_code == 200
    ev = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.action == "update")).one()
    assert "New-password-2" not in str(ev.after) and ev.after == {"password": "(changed)"}
    assert login(client, "auditor-p", "New-password-2").status_code == 200
    assert login(client, "auditor-p", "Old-password-1").status_code == 401
