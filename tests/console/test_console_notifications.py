"""The bell, the notifications page and one's notification settings in the console: the same services as
``GET /notifications`` and ``/me/notification-settings`` — one's own only, marked read once, escaped, CSRF-guarded,
a refused setting naming its field and changing nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bridgefund.models import Notification, NotificationSetting
from bridgefund.services import notifications
from bridgefund.services.actor import SYSTEM
from tests.bridge_support import World
from tests.conftest import audit_count
from tests.console_support import signed_in

HX = {"HX-Request": "true"}


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


def overdue(db, world: World, loan_id: int, day: dt.date, *to) -> None:  # noqa: ANN001, ANN002
    notifications.raise_event(
        db, SYSTEM, "bridge_overdue", subject_type="bridge_loan", subject_id=loan_id, business_date=day,
        params={"reference": "BL-<script>1</script>", "days_overdue": 3, "bank": "银行", "enterprise": "企业",
                "due_date": "2020-03-01", "amount": "1.00"},
        link=f"/console/bridge-loans/{loan_id}", to=list(to), bank_id=world.bank.id)
    db.commit()


def bell_count(html: str) -> int:
    return int(re.search(r'id="bell-count" data-testid="bell-count"[^>]*>(\d+)<', html).group(1))


def test_the_bell_counts_lists_links_and_marks_read(app, db, world) -> None:  # noqa: ANN001
    loan = world.submit()
    overdue(db, world, loan["id"], dt.date(2020, 3, 30), world.officer_user, world.li_user)
    overdue(db, world, loan["id"], dt.date(2020, 3, 31), world.officer_user, world.li_user)
    officer = signed_in(app, world.officer_user)
    home = officer.text("/")
    assert bell_count(home) == 2 and 'data-testid="bell"' in home
    menu = officer.text("/notifications/bell", headers=HX)
    assert "<html" not in menu and menu.count('data-testid="bell-item"') == 2
    assert "<script>1</script>" not in menu and "&lt;script&gt;1&lt;/script&gt;" in menu
    assert f'href="/bridge-loans/{loan["id"]}"' in menu  # the subject's page in the console
    assert officer.get(f"/bridge-loans/{loan['id']}").status_code == 200
    mine = db.scalars(select(Notification).where(Notification.user_id == world.officer_user.id)
                      .order_by(Notification.id)).all()
    events = audit_count(db, action="read")
    r = officer.post(f"/notifications/{mine[0].id}/read", headers=HX)
    assert r.status_code == 200
    assert bell_count(r.get_data(as_text=True)) == 1 and 'hx-swap-oob="true"' in r.get_data(as_text=True)
    assert officer.post(f"/notifications/{mine[0].id}/read", headers=HX).status_code == 200  # again: unchanged
    assert audit_count(db, action="read") == events + 1
    api = world.get("/notifications/unread-count", world.officer).get_json()
    assert api == {"unread": 1} and bell_count(officer.text("/")) == 1
    # another user's notification: 404, and it stays unread
    theirs = db.scalars(select(Notification).where(Notification.user_id == world.li_user.id)).first()
    assert officer.post(f"/notifications/{theirs.id}/read", headers=HX).status_code == 404
    assert officer.post("/notifications/999999/read").status_code == 404
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None
    # without the CSRF token: refused
    assert officer.post(f"/notifications/{mine[1].id}/read", csrf=False).status_code == 400
    r = officer.post("/notifications/read-all", headers=HX)
    assert r.status_code == 200 and bell_count(r.get_data(as_text=True)) == 0
    assert bell_count(signed_in(app, world.li_user).text("/")) == 2  # the manager's are the manager's


def test_the_notifications_page_filters_and_pages(app, db, world) -> None:  # noqa: ANN001
    loan = world.submit()
    for n in range(1, 4):
        overdue(db, world, loan["id"], dt.date(2020, 3, n), world.officer_user)
    officer = signed_in(app, world.officer_user)
    first = db.scalars(select(Notification).where(Notification.user_id == world.officer_user.id)
                       .order_by(Notification.id)).first()
    r = officer.post(f"/notifications/{first.id}/read", {"next": "/notifications?unread=true"})
    assert r.status_code == 303 and r.headers["Location"] == "/notifications?unread=true"
    unread = officer.text("/notifications?unread=true")
    assert unread.count("data-testid=\"mark-read-") == 2 and "<td>2020-03-01</td>" not in unread
    read = officer.text("/notifications?unread=false")
    assert "<td>2020-03-01</td>" in read and "data-testid=\"mark-read-" not in read
    r = officer.get("/notifications?unread=maybe")
    assert r.status_code == 422 and 'id="unread-error"' in r.get_data(as_text=True)
    r = officer.post("/notifications/read-all", {"next": "//evil.example/"})
    assert r.status_code == 303 and r.headers["Location"] == "/notifications"
    assert "data-testid=\"mark-read-" not in officer.text("/notifications")
    assert signed_in(app, world.li_user).text("/notifications").count("data-testid=\"mark-read-") == 0


def test_every_role_has_its_bell_and_settings(app, world, factory) -> None:  # noqa: ANN001
    for user in (world.officer_user, world.li_user, factory.make_user("admin"), factory.make_user("auditor")):
        b = signed_in(app, user)
        for path in ("/notifications", "/notifications/bell", "/me/notification-settings"):
            assert b.get(path).status_code == 200, (user.role, path)
    anonymous = app.test_client()
    assert anonymous.get("/notifications").status_code == 302
    assert anonymous.get("/notifications/bell", headers=HX).status_code == 204


def test_settings_are_saved_through_the_apis_schema_and_service(app, db, world, settings) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    page = officer.text("/me/notification-settings")
    assert 'for="f-email"' in page and 'for="ch-wecom"' in page and 'for="f-lang"' in page
    # e-mail chosen without an address: the service's 422 names the field; nothing stored
    r = officer.post("/me/notification-settings", {"channels.email": "true", "lang": "en"})
    assert r.status_code == 422 and 'id="email-error"' in r.get_data(as_text=True)
    r = officer.post("/me/notification-settings", {"email": "not-an-address<script>"})
    assert r.status_code == 422 and 'id="email-error"' in r.get_data(as_text=True)
    assert "not-an-address<script>" not in r.get_data(as_text=True)
    r = officer.post("/me/notification-settings", {"channels.wecom": "true",
                                                   "wecom_webhook": "https://evil.example/hook"})
    assert r.status_code == 422 and 'id="wecom_webhook-error"' in r.get_data(as_text=True)
    assert db.get(NotificationSetting, world.officer_user.id) is None
    assert officer.post("/me/notification-settings", {"lang": "en"}, csrf=False).status_code == 400
    hook = settings.wecom_webhook_prefix + "secret-key"
    r = officer.post("/me/notification-settings", {"channels.email": "true", "email": "li@example.com",
                                                   "channels.wecom": "true", "wecom_webhook": hook, "lang": "en"})
    assert r.status_code == 303
    api = world.get("/me/notification-settings", world.officer).get_json()
    assert api == {"email": "li@example.com", "wecom_webhook_set": True, "lang": "en",
                   "channels": {"in_app": True, "email": True, "wecom": True}}
    page = officer.text("/me/notification-settings")
    assert "secret-key" not in page and "li@example.com" in page
    # a blank webhook keeps the stored one; unticking WeCom turns it off
    assert officer.post("/me/notification-settings", {"channels.email": "true", "lang": "zh"}).status_code == 303
    api = world.get("/me/notification-settings", world.officer).get_json()
    assert api["channels"] == {"in_app": True, "email": True, "wecom": False} and api["wecom_webhook_set"]
    assert api["lang"] == "zh" and api["email"] == "li@example.com"


def test_every_notification_links_to_a_console_page_its_reader_may_open(app, db, world) -> None:  # noqa: ANN001
    """The stored links name the console under /console; the bell links the console's own pages (a page the
    console lacks: the home page)."""
    loan = world.submit()
    params = {"bank": "银行", "used_share": "95%", "date": "2020-03-31", "outstanding": "1.00", "quota": "1.00",
              "cash": "1.00", "pipeline": "2.00", "cash_today": "1.00", "shortfall": "1.00", "period": "2020-02",
              "statements": 1, "count": 1, "first": "x", "reference": "BL", "days_overdue": 1, "enterprise": "企业",
              "due_date": "2020-03-01", "amount": "1.00"}
    day = dt.date(2020, 3, 31)
    to = [world.li_user]
    for kind, subject_type, subject_id, link in (
            ("bridge_overdue", "bridge_loan", loan["id"], f"/console/bridge-loans/{loan['id']}"),
            ("pool_quota_high", "bank", world.bank.id, f"/console/banks/{world.bank.id}"),
            ("fund_cash_short", "fund", 1, "/console/fund/forecast"),
            ("monthly_report_ready", "report_period", 202002, "/console/reports?period=2020-02"),
            ("summaries_differ", "summaries", 0, "/console/audit")):
        notifications.raise_event(db, SYSTEM, kind, subject_type=subject_type, subject_id=subject_id,
                                  business_date=day, params=params, link=link, to=to)
    db.commit()
    manager = signed_in(app, world.li_user)
    menu = manager.text("/notifications/bell", headers=HX)
    links = re.findall(r'<a href="([^"]+)" class="d-block">', menu)
    assert len(links) == 5
    assert f"/bridge-loans/{loan['id']}" in links and "/dashboard" in links and "/reports?period=2020-02" in links
    assert f"/pool-loans?bank_id={world.bank.id}" in links
    for link in links:
        assert not link.startswith("/console"), link
        assert manager.get(link.replace("&amp;", "&")).status_code == 200, link
