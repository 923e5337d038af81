"""The 08:30 reminders, time-travelled over the 2020 National Day week (国庆 + 中秋: 10-01 … 10-08 off; Sunday 9-27
and Saturday 10-10 are make-up working days): every kind on the days it must fire and on no other, once per
(subject, kind, business date) whatever reruns, and never another bank's figures to an officer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bridgefund.jobs import tasks
from bridgefund.models import AuditEvent, Notification, NotificationEvent
from bridgefund.services import reminders
from bridgefund.services.actor import SYSTEM
from tests.notify_support import bridge_loan, events_on, notes_of
from tests.pool_support import PoolWorld

D = dt.date
WEEK = [D(2020, 9, 26) + dt.timedelta(days=n) for n in range(16)]  # Sat 9-26 … Sun 10-11
WORKING = {D(2020, 9, 27), D(2020, 9, 28), D(2020, 9, 29), D(2020, 9, 30), D(2020, 10, 9), D(2020, 10, 10)}


@pytest.fixture
def story(app, db, client, factory, settings):  # noqa: ANN001, ANN201
    """Bank A: three lent bridge loans, one approved awaiting disbursement, a pool loan that never pays (quota
    nearly used); bank B: an officer and nothing else. No fund capital: cash is short of the pipeline."""
    settings.today = "2020-10-11"
    world = PoolWorld(client, factory, quota="1100000.00")
    bank, other = world.bank, world.other_bank
    ent = factory.make_enterprise(name="杭州示例科技有限公司")
    s = {
        "bank": bank, "other": other,
        "officer": world.officer_user, "other_officer": factory.make_user("bank_officer", other),
        "manager": factory.make_user("fund_manager"), "admin": factory.make_user("admin"),
        "auditor": factory.make_user("auditor"),
        # due Friday 10-09, right after the holiday; its fee steps up on loan day 6 = 10-01 (a holiday)
        "a": bridge_loan(db, bank, ent, disbursed_on=D(2020, 9, 25), due_date=D(2020, 10, 9),
                         renewal_expected=D(2020, 9, 29)),
        # long overdue: due 9-03, in default from 10-03 (30 days), so the 5-day warning belongs to 9-28
        "b": bridge_loan(db, bank, ent, disbursed_on=D(2020, 8, 20), due_date=D(2020, 9, 3),
                         renewal_expected=D(2020, 9, 1)),
        # due on the make-up Saturday 10-10
        "c": bridge_loan(db, bank, ent, disbursed_on=D(2020, 9, 28), due_date=D(2020, 10, 10),
                         renewal_expected=D(2020, 10, 12)),
        "e": bridge_loan(db, bank, ent, status="approved", amount="3000000.00", maturing_due=D(2020, 10, 9),
                         renewal_expected=D(2020, 10, 20), approved_on=D(2020, 9, 25)),
    }
    s["pool"] = world.loan(principal="1000000.00", start_date="2020-01-15")
    return s


def _bridge(s: dict) -> dict[D, set[tuple[str, str]]]:
    a, b, c = (s[k].id for k in "abc")
    want: dict[D, set[tuple[str, int]]] = defaultdict(set)
    for day in WORKING:
        want[day] |= {("bridge_overdue", b), ("bridge_renewal_late", b)}
    want[D(2020, 9, 28)] |= {("bridge_due_in_3", a), ("bridge_default_soon", b)}
    want[D(2020, 9, 29)] |= {("bridge_due_in_3", c)}
    want[D(2020, 9, 30)] |= {("bridge_due_tomorrow", a), ("bridge_fee_step_up", a), ("bridge_renewal_late", a),
                             ("bridge_fee_step_up", c)}
    want[D(2020, 10, 9)] |= {("bridge_due_today", a), ("bridge_renewal_late", a), ("bridge_due_tomorrow", c)}
    want[D(2020, 10, 10)] |= {("bridge_overdue", a), ("bridge_renewal_late", a), ("bridge_due_today", c)}
    return want


def test_every_kind_fires_on_its_working_days_over_the_holiday_week(app, db, story):  # noqa: ANN001
    want = _bridge(story)
    for day in WEEK:
        job = tasks.reminders_of(app, day)
        assert (job is not None) == (day in WORKING), day
        got = events_on(db, day)
        bridge = {(k, i) for k, t, i in got if t == "bridge_loan"}
        assert bridge == want.get(day, set()), day
        rest = {(k, t, i) for k, t, i in got if t != "bridge_loan"}
        pool_id, bank_id = story["pool"]["id"], story["bank"].id
        expected_rest = {("pool_claim_eligible", "pool_loan", pool_id), ("pool_npl_near_threshold", "bank", bank_id),
                         ("pool_quota_high", "bank", bank_id), ("fund_cash_short", "fund", 1)}
        assert rest == (expected_rest if day in WORKING else set()), day
        if job is not None:
            assert job.status == "succeeded" and job.result["reminders"] == len(got)


def test_messages_name_the_loan_enterprise_amount_date_and_what_to_do(app, db, story):  # noqa: ANN001
    reminders.send_reminders(db, SYSTEM, D(2020, 9, 30))
    notes = {(n.kind, n.subject_id): n for n in notes_of(db, story["officer"])}
    due = notes[("bridge_due_tomorrow", story["a"].id)]
    assert story["a"].reference in due.title and "2020-10-09" in due.title
    assert "杭州示例科技有限公司" in due.body and "1000000.00" in due.body and "请" in due.body
    assert due.link == f"/bridge-loans/{story['a'].id}"
    # every link a reminder stores is a page of the console (served at /; an e-mail puts the console's URL before it)
    pages = app.url_map.bind("localhost")
    for note in db.scalars(select(Notification)):
        endpoint, _args = pages.match(urlsplit(note.link).path, method="GET")
        assert endpoint.startswith("console."), (note.kind, note.link)
    step = notes[("bridge_fee_step_up", story["a"].id)]
    assert "2020-10-01" in step.body and "0.02%" in step.body and "0.04%" in step.body
    fund = [n for n in notes_of(db, story["manager"]) if n.kind == "fund_cash_short"][0]
    # the pipeline and the shortfall: the forecast (GET /fund/forecast) brings A back with its fee, 1,004,600.00
    assert "3000000.00" in fund.body and "1004600.00" in fund.body and "1995400.00" in fund.body


def test_running_a_date_twice_tells_nobody_twice(app, db, story):  # noqa: ANN001
    day = D(2020, 9, 30)
    first = reminders.send_reminders(db, SYSTEM, day)
    counts = (db.scalar(select(func.count()).select_from(NotificationEvent)),
              db.scalar(select(func.count()).select_from(Notification)),
              db.scalar(select(func.count()).where(AuditEvent.entity_type == "notification_event")))
    second = reminders.send_reminders(db, SYSTEM, day)
    assert first["reminders"] == len(events_on(db, day)) > 0 and second["reminders"] == 0
    assert counts == (db.scalar(select(func.count()).select_from(NotificationEvent)),
                      db.scalar(select(func.count()).select_from(Notification)),
                      db.scalar(select(func.count()).where(AuditEvent.entity_type == "notification_event")))
    # the unique key holds on its own: the same event inserted again writes nothing
    again = reminders.notifications.raise_event(
        db, SYSTEM, "bridge_overdue", subject_type="bridge_loan", subject_id=story["b"].id, business_date=day,
        params={}, link="/", to=[story["manager"]], bank_id=story["bank"].id)
    assert again is None
    # each recipient has each event once
    pairs = db.execute(select(Notification.event_id, Notification.user_id)).all()
    assert len(pairs) == len(set(pairs))


def test_who_is_told(app, db, story):  # noqa: ANN001
    reminders.send_reminders(db, SYSTEM, D(2020, 9, 30))
    events = {e.id: e for e in db.scalars(select(NotificationEvent))}
    officer = {events[n.event_id].kind for n in notes_of(db, story["officer"])}
    manager = {events[n.event_id].kind for n in notes_of(db, story["manager"])}
    admin = {events[n.event_id].kind for n in notes_of(db, story["admin"])}
    assert officer == manager - {"fund_cash_short"} and "pool_quota_high" in officer
    assert admin == {"fund_cash_short"}
    assert notes_of(db, story["other_officer"]) == [] and notes_of(db, story["auditor"]) == []
    assert all(events[n.event_id].bank_id == story["bank"].id for n in notes_of(db, story["officer"]))


def test_english_for_users_who_chose_it(app, db, client, factory, story):  # noqa: ANN001
    h = factory.headers(story["manager"])
    r = client.put("/api/v1/me/notification-settings", json={"lang": "en", "channels": {"email": False,
                                                                                        "wecom": False}}, headers=h)
    assert r.status_code == 200, r.get_json()
    reminders.send_reminders(db, SYSTEM, D(2020, 10, 9))
    mine = {n.kind: n for n in notes_of(db, story["manager"])}
    assert mine["bridge_due_today"].title.startswith("Bridge loan BL-2020-")
    assert "Repay today" in mine["bridge_due_today"].body
    officer = {n.kind: n for n in notes_of(db, story["officer"])}
    title = officer["bridge_due_today"].title
    assert title.startswith("转贷资金 BL-2020-") and "到期" in title


def test_month_end_reports_and_summaries_differences_notify(app, db, factory, settings):  # noqa: ANN001
    settings.today = "2020-04-01"
    manager, admin, officer = factory.make_user("fund_manager"), factory.make_user("admin"), \
        factory.make_user("bank_officer", factory.make_bank())
    tasks.month_end_reports(app, "2020-03", today=D(2020, 4, 1))
    tasks.month_end_reports(app, "2020-03", today=D(2020, 4, 1))  # a rerun: the jobs and the event exist once
    ready = [n for n in notes_of(db, manager) if n.kind == "monthly_report_ready"]
    assert len(ready) == 1 and "2020-03" in ready[0].title and ready[0].subject_id == 202003
    assert notes_of(db, officer) == [] and [n.kind for n in notes_of(db, admin)] == []
    tasks.summaries_differ(db, D(2020, 4, 2), ["fund_day 2020-04-01: cash 10.00 ≠ 12.00"])
    differ = [n for n in notes_of(db, admin) if n.kind == "summaries_differ"]
    assert len(differ) == 1 and "1" in differ[0].title and "cash 10.00" in differ[0].body
    assert [n.kind for n in notes_of(db, manager)] == ["monthly_report_ready"]
