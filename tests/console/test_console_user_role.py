"""Changing a user's role (and an officer's bank) on the admin's user page: the same schema and service as
``PATCH /users/{id}`` ``{role, bank_id}`` — a confirmation naming before → after first (nothing changes), then
once per confirmation, audited, the user's sessions ended; the service's refusals (a bank exactly for an officer,
no admin changing their own role) shown beside the field, changing nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bridgefund.models import ApiToken, AuditEvent, User
from tests.bridge_support import World
from tests.console_support import one_time_key, signed_in, visible_text


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


def role_events(db, user_id: int) -> list[AuditEvent]:  # noqa: ANN001
    db.expire_all()
    return db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "user", AuditEvent.entity_id == user_id,
                                               AuditEvent.action == "update")).all()


def live_tokens(db, user_id: int) -> int:  # noqa: ANN001
    db.expire_all()
    return len(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all())


def test_an_officer_becomes_a_fund_manager_after_a_confirmation(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    officer = signed_in(app, world.officer_user)  # a session that the change ends
    uid = world.officer_user.id
    page = admin.text(f"/admin/users/{uid}")
    assert 'data-testid="role-form"' in page and 'id="f-new-role"' in page
    # an officer's bank stays chosen: the service refuses a bank for a fund manager, beside the field
    r = admin.get(f"/admin/users/{uid}/role", query_string={"role": "fund_manager", "bank_id": world.bank.id})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="bank_id-error"' in html and "只有银行客户经理有所属银行" in html
    assert 'data-testid="confirm-role"' not in html and role_events(db, uid) == []
    # the bank cleared: before → after, nothing changed yet
    confirm = admin.text(f"/admin/users/{uid}/role", query_string={"role": "fund_manager", "bank_id": ""})
    assert 'data-testid="confirm-role"' in confirm
    before = re.search(r'data-testid="role-before">([^<]+)<', confirm).group(1)
    after = re.search(r'data-testid="role-after">([^<]+)<', confirm).group(1)
    assert "银行客户经理" in before and world.bank.code in before and after == "基金管理人"
    assert db.get(User, uid).role == "bank_officer" and role_events(db, uid) == []
    assert live_tokens(db, uid) >= 1
    data = {"role": "fund_manager", "bank_id": "", "idempotency_key": one_time_key(confirm)}
    assert admin.post(f"/admin/users/{uid}/role", data, csrf=False).status_code == 400  # CSRF
    r = admin.post(f"/admin/users/{uid}/role", data)
    assert r.status_code == 303 and r.headers["Location"] == f"/admin/users/{uid}"
    assert admin.post(f"/admin/users/{uid}/role", data).headers.get("Idempotent-Replayed") == "true"
    db.expire_all()
    user = db.get(User, uid)
    assert (user.role, user.bank_id) == ("fund_manager", None)
    events = role_events(db, uid)
    assert len(events) == 1  # once, audited by the service
    assert events[0].before["role"] == "bank_officer" and events[0].after["role"] == "fund_manager"
    assert live_tokens(db, uid) == 0  # signed out everywhere
    assert officer.get("/").status_code == 302
    assert "基金管理人" in visible_text(admin.text(f"/admin/users/{uid}"))


def test_a_manager_becomes_an_officer_only_with_a_bank(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    uid = world.wang_user.id
    r = admin.get(f"/admin/users/{uid}/role", query_string={"role": "bank_officer"})
    assert r.status_code == 422 and "银行客户经理须指定所属银行" in r.get_data(as_text=True)
    assert 'id="bank_id-error"' in r.get_data(as_text=True)
    r = admin.get(f"/admin/users/{uid}/role", query_string={"role": "bank_officer", "bank_id": "999999"})
    assert r.status_code == 422 and 'id="bank_id-error"' in r.get_data(as_text=True)
    r = admin.get(f"/admin/users/{uid}/role", query_string={"role": "king"})
    assert r.status_code == 422 and 'id="role-error"' in r.get_data(as_text=True)
    full_width = str(world.bank.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    confirm = admin.text(f"/admin/users/{uid}/role", query_string={"role": "bank_officer", "bank_id": full_width})
    assert f'name="bank_id" value="{full_width}"' in confirm  # read as the bank's id, sent on as typed
    assert world.bank.code in re.search(r'data-testid="role-after">([^<]+)<', confirm).group(1)
    # a refusal at the POST (a forged form without the bank) changes nothing and names the field
    bad = {"role": "bank_officer", "bank_id": "", "idempotency_key": one_time_key(confirm)}
    r = admin.post(f"/admin/users/{uid}/role", bad)
    assert r.status_code == 422 and 'id="bank_id-error"' in r.get_data(as_text=True)
    assert db.get(User, uid).role == "fund_manager" and role_events(db, uid) == []
    ok = {"role": "bank_officer", "bank_id": str(world.bank.id), "idempotency_key": one_time_key(confirm)}
    assert admin.post(f"/admin/users/{uid}/role", ok).status_code == 303
    db.expire_all()
    assert (db.get(User, uid).role, db.get(User, uid).bank_id) == ("bank_officer", world.bank.id)
    # the same role and bank again: nothing to confirm
    same = admin.text(f"/admin/users/{uid}/role", query_string={"role": "bank_officer", "bank_id": world.bank.id})
    assert 'data-testid="role-unchanged"' in same and 'data-testid="confirm-role"' not in same


def test_an_admin_cannot_change_their_own_role_and_others_cannot_at_all(app, db, world, factory) -> None:  # noqa: ANN001
    me = factory.make_user("admin")
    admin = signed_in(app, me)
    r = admin.get(f"/admin/users/{me.id}/role", query_string={"role": "auditor"})
    assert r.status_code == 422 and 'id="role-error"' in r.get_data(as_text=True)
    assert "不能更改自己的角色" in r.get_data(as_text=True)
    key = one_time_key(admin.text(f"/admin/users/{me.id}?confirm=password"))
    r = admin.post(f"/admin/users/{me.id}/role", {"role": "auditor", "bank_id": "", "idempotency_key": key})
    assert r.status_code == 422 and db.get(User, me.id).role == "admin"
    manager = signed_in(app, world.li_user)
    uid = world.officer_user.id
    assert manager.get(f"/admin/users/{uid}/role?role=auditor").status_code == 403
    key = one_time_key(manager.text("/bridge-loans/new"))
    assert manager.post(f"/admin/users/{uid}/role", {"role": "auditor", "idempotency_key": key}).status_code == 403
    db.expire_all()
    assert db.get(User, uid).role == "bank_officer" and role_events(db, uid) == []


def test_the_role_form_in_english(app, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    admin.post("/language", {"lang": "en"})
    confirm = admin.text(f"/admin/users/{world.wang_user.id}/role", query_string={"role": "auditor"})
    assert "Change the role of" in confirm and "Confirm: change the role" in confirm
