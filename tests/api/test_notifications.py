"""The notification endpoints: each user's own list (officers only their bank's), read / read-all, the channel
settings with their 422s, the outbox for the admin."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bridgefund.models import AuditEvent, NotificationDelivery, NotificationSetting
from bridgefund.services import notifications
from bridgefund.services.actor import SYSTEM
from tests.api_support import assert_problem

API = "/api/v1"
DAY = dt.date(2020, 9, 30)


def _event(db, kind: str, subject_id: int, bank, to) -> None:  # noqa: ANN001
    notifications.raise_event(db, SYSTEM, kind, subject_type="bridge_loan", subject_id=subject_id,
                              business_date=DAY, params={"reference": f"BL-2020-{subject_id:06d}"},
                              link=f"/console/bridge-loans/{subject_id}", to=to, bank_id=bank.id)
    db.commit()


def test_each_user_sees_only_their_own_and_officers_only_their_banks(client, db, factory):  # noqa: ANN001
    a, b = factory.make_bank(), factory.make_bank()
    officer_a, officer_b = factory.make_user("bank_officer", a), factory.make_user("bank_officer", b)
    manager = factory.make_user("fund_manager")
    _event(db, "bridge_overdue", 1, a, [officer_a, manager])
    # a caller passing another bank's officer by mistake: the service drops them
    _event(db, "bridge_due_today", 2, b, [officer_a, officer_b, manager])
    ha, hb, hm = (factory.headers(u) for u in (officer_a, officer_b, manager))
    mine = client.get(f"{API}/notifications", headers=ha).get_json()
    assert [i["subject_id"] for i in mine["items"]] == [1] and mine["total"] == 1
    assert mine["items"][0]["title"].startswith("转贷资金 BL-2020-000001") and mine["items"][0]["read_at"] is None
    assert [i["subject_id"] for i in client.get(f"{API}/notifications", headers=hb).get_json()["items"]] == [2]
    assert [i["subject_id"] for i in client.get(f"{API}/notifications", headers=hm).get_json()["items"]] == [2, 1]
    # another user's notification: 404, and nothing changes
    other_id = client.get(f"{API}/notifications", headers=hb).get_json()["items"][0]["id"]
    assert_problem(client.post(f"{API}/notifications/{other_id}/read", headers=ha), 404)
    assert client.get(f"{API}/notifications?unread=true", headers=hb).get_json()["total"] == 1


def test_read_one_read_all_and_the_unread_filter(client, db, factory):  # noqa: ANN001
    bank = factory.make_bank()
    manager = factory.make_user("fund_manager")
    for n in (1, 2, 3):
        _event(db, "bridge_overdue", n, bank, [manager])
    h = factory.headers(manager)
    items = client.get(f"{API}/notifications", headers=h).get_json()["items"]
    assert client.get(f"{API}/notifications/unread-count", headers=h).get_json() == {"unread": 3}
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    r = client.post(f"{API}/notifications/{items[0]['id']}/read", headers=h)
    assert r.status_code == 200 and r.get_json()["read_at"] is not None
    again = client.post(f"{API}/notifications/{items[0]['id']}/read", headers=h)
    assert again.get_json()["read_at"] == r.get_json()["read_at"]  # reading twice changes nothing
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    assert [i["id"] for i in client.get(f"{API}/notifications?unread=true", headers=h).get_json()["items"]] == \
        [items[1]["id"], items[2]["id"]]
    assert [i["id"] for i in client.get(f"{API}/notifications?unread=false", headers=h).get_json()["items"]] == \
        [items[0]["id"]]
    assert client.post(f"{API}/notifications/read-all", headers=h).get_json() == {"marked": 2}
    assert client.post(f"{API}/notifications/read-all", headers=h).get_json() == {"marked": 0}
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before + 2
    assert client.get(f"{API}/notifications/unread-count", headers=h).get_json() == {"unread": 0}
    assert_problem(client.get(f"{API}/notifications?unread=maybe", headers=h), 422, "query.unread")


def test_settings_and_the_outbox_rows_they_cause(client, db, factory, settings):  # noqa: ANN001
    bank = factory.make_bank()
    user = factory.make_user("bank_officer", bank)
    h = factory.headers(user)
    assert client.get(f"{API}/me/notification-settings", headers=h).get_json() == {
        "email": None, "wecom_webhook_set": False, "lang": "zh",
        "channels": {"in_app": True, "email": False, "wecom": False}}
    url = f"{API}/me/notification-settings"
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    assert_problem(client.put(url, json={"channels": {"email": True, "wecom": False}}, headers=h), 422, "email")
    assert_problem(client.put(url, json={"channels": {"email": False, "wecom": True}}, headers=h), 422,
                   "wecom_webhook")
    assert_problem(client.put(url, json={"wecom_webhook": "http://evil.example/hook", "channels": {
        "email": False, "wecom": True}}, headers=h), 422, "wecom_webhook")
    assert_problem(client.put(url, json={"email": "not-an-address", "channels": {"email": True, "wecom": False}},
                              headers=h), 422, "email")
    assert_problem(client.put(url, json={"lang": "fr", "channels": {"email": False, "wecom": False}}, headers=h),
                   422, "lang")
    assert_problem(client.put(url, json={"channels": {"in_app": False, "email": False, "wecom": False}},
                              headers=h), 422)
    assert db.get(NotificationSetting, user.id) is None  # refused bodies changed nothing
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before
    r = client.put(url, json={"email": "zhao@bank.example.cn", "wecom_webhook": hook, "lang": "en",
                              "channels": {"in_app": True, "email": True, "wecom": True}}, headers=h)
    assert r.status_code == 200 and r.get_json() == {
        "email": "zhao@bank.example.cn", "wecom_webhook_set": True, "lang": "en",
        "channels": {"in_app": True, "email": True, "wecom": True}}
    assert hook not in str(db.scalars(select(AuditEvent.after).order_by(AuditEvent.id.desc())).first())
    _event(db, "bridge_overdue", 7, bank, [user])
    rows = db.scalars(select(NotificationDelivery).order_by(NotificationDelivery.channel)).all()
    assert [(d.channel, d.target, d.status) for d in rows] == [
        ("email", "zhao@bank.example.cn", "pending"), ("wecom", hook, "pending")]
    # the outbox is the admin's
    assert_problem(client.get(f"{API}/notification-deliveries", headers=h), 403)
    admin = factory.as_role("admin")
    listed = client.get(f"{API}/notification-deliveries?status=pending", headers=admin).get_json()
    assert {i["channel"] for i in listed["items"]} == {"email", "wecom"}
    assert "target" not in listed["items"][0]  # addresses and webhook keys stay inside
    assert_problem(client.get(f"{API}/notification-deliveries?status=lost", headers=admin), 422, "query.status")
    # turning e-mail off keeps the stored address
    r = client.put(url, json={"channels": {"email": False, "wecom": False}}, headers=h)
    assert r.get_json()["email"] == "zhao@bank.example.cn" and r.get_json()["channels"]["email"] is False


def test_metrics_count_the_deliveries_by_status(client, db, factory, settings, monkeypatch):  # noqa: ANN001
    bank = factory.make_bank()
    user = factory.make_user("fund_manager")
    db.add(NotificationSetting(user_id=user.id, email="m@fund.example.cn", email_enabled=True))
    _event(db, "bridge_overdue", 9, bank, [user])
    monkeypatch.setattr(settings, "metrics_token", "s3cret-metrics")
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).get_data(as_text=True)
    assert 'bridgefund_notification_deliveries{status="pending"} 1.0' in text
    assert 'bridgefund_notification_deliveries{status="failed"} 0.0' in text


def test_the_cli_delivers_the_outbox(app, db, factory):  # noqa: ANN001
    bank = factory.make_bank()
    user = factory.make_user("fund_manager")
    db.add(NotificationSetting(user_id=user.id, email="m@fund.example.cn", email_enabled=True))
    _event(db, "bridge_overdue", 9, bank, [user])
    out = app.test_cli_runner().invoke(args=["jobs", "run", "deliver"])
    assert out.exit_code == 0 and '"retry": 1' in out.output  # no SMTP host configured here: tried, kept for later
    (d,) = db.scalars(select(NotificationDelivery)).all()
    db.refresh(d)
    assert d.attempts == 1 and "not configured" in d.last_error
