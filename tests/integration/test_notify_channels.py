"""The outbox and its channels against local servers started by the tests: an SMTP server that fails twice then
accepts gets the mail exactly once; a WeCom robot gets at most 20 messages a minute; every attempt is recorded."""

from __future__ import annotations

import datetime as dt
import email
from email import policy as email_policy

import pytest
from sqlalchemy import select

from bridgefund.models import DeliveryAttempt, NotificationDelivery, NotificationSetting
from bridgefund.notify import outbox
from bridgefund.notify.channels import EmailChannel, WeComChannel
from bridgefund.services import notifications
from bridgefund.services.actor import SYSTEM
from tests.notify_support import FlakySmtp, smtp_server, wecom_robot

FACTS = {"reference": "BL-2020-000042", "enterprise": "杭州示例科技有限公司", "bank": "测试银行",
         "amount": "1000000.00", "due_date": "2020-10-09"}


@pytest.fixture
def T0() -> dt.datetime:  # noqa: N802 - reads as the constant it is within one test
    """"Now" of the delivery runs: a little after the rows are written (they are due from the real moment they are
    written), taken when the test starts — a module constant would fall behind the rows in a long run."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=5)


def _raise(db, user, n: int = 1, kind: str = "bridge_due_tomorrow") -> None:  # noqa: ANN001
    for i in range(n):
        notifications.raise_event(db, SYSTEM, kind, subject_type="bridge_loan", subject_id=1000 + i,
                                  business_date=dt.date.today(), params=FACTS, link=f"/console/bridge-loans/{1000 + i}",
                                  to=[user])
    db.commit()


def _deliveries(db) -> list[NotificationDelivery]:  # noqa: ANN001
    db.expire_all()
    return list(db.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


def test_smtp_that_fails_twice_then_accepts_gets_the_mail_exactly_once(app, db, factory, T0):  # noqa: ANN001, N803
    user = factory.make_user("fund_manager")
    db.add(NotificationSetting(user_id=user.id, email="li.na@fund.example.cn", email_enabled=True, lang="zh"))
    _raise(db, user)
    handler = FlakySmtp(failures=2)
    policy = outbox.Policy(console_url="https://fund.example.cn", max_attempts=6)
    sm = app.extensions["bridgefund.db"].sessionmaker
    with smtp_server(handler) as port:
        channels = {"email": EmailChannel("127.0.0.1", port, "bridgefund@fund.example.cn", timeout=5)}
        assert outbox.deliver_due(sm, channels, policy, now=T0) == {"retry": 1}
        (d,) = _deliveries(db)
        assert d.status == "pending" and d.attempts == 1 and "451" in d.last_error
        assert d.next_attempt_at == T0 + outbox.backoff(1)
        assert outbox.deliver_due(sm, channels, policy, now=T0 + dt.timedelta(seconds=10)) == {}  # backing off
        assert outbox.deliver_due(sm, channels, policy, now=T0 + dt.timedelta(seconds=30)) == {"retry": 1}
        later = T0 + dt.timedelta(seconds=30) + outbox.backoff(2)
        assert outbox.deliver_due(sm, channels, policy, now=later) == {"sent": 1}
        assert outbox.deliver_due(sm, channels, policy, now=later + dt.timedelta(hours=1)) == {}
    assert handler.tries == 3 and len(handler.accepted) == 1
    (d,) = _deliveries(db)
    assert d.status == "sent" and d.attempts == 3 and d.sent_at == later and d.last_error is None
    attempts = db.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == d.id)
                          .order_by(DeliveryAttempt.id)).all()
    assert [a.ok for a in attempts] == [False, False, True] and "451" in attempts[0].error
    mail = email.message_from_bytes(handler.accepted[0], policy=email_policy.default)
    assert mail["To"] == "li.na@fund.example.cn" and "BL-2020-000042" in mail["Subject"]
    text = mail.get_content()
    assert "杭州示例科技有限公司" in text and "https://fund.example.cn/console/bridge-loans/1000" in text


def test_a_delivery_that_keeps_failing_ends_failed_and_the_admin_sees_it(app, db, factory, client, T0):  # noqa: ANN001, N803
    user = factory.make_user("fund_manager")
    db.add(NotificationSetting(user_id=user.id, email="wang@fund.example.cn", email_enabled=True, lang="zh"))
    _raise(db, user)
    sm = app.extensions["bridgefund.db"].sessionmaker
    policy = outbox.Policy(max_attempts=3)
    now = T0
    for _ in range(3):
        outbox.deliver_due(sm, {}, policy, now=now)  # no e-mail channel configured
        now += outbox.MAX_BACKOFF
    (d,) = _deliveries(db)
    assert d.status == "failed" and d.attempts == 3 and "not configured" in d.last_error
    assert outbox.deliver_due(sm, {}, policy, now=now + dt.timedelta(days=1)) == {}
    admin = factory.as_role("admin")
    body = client.get("/api/v1/notification-deliveries?status=failed", headers=admin).get_json()
    assert [(i["id"], i["channel"], i["attempts"]) for i in body["items"]] == [(d.id, "email", 3)]
    assert client.get("/api/v1/notification-deliveries?status=pending", headers=admin).get_json()["total"] == 0
    assert outbox.counts(db) == {"failed": 1}


def test_wecom_robot_gets_at_most_20_messages_a_minute(app, db, factory, T0):  # noqa: ANN001, N803
    user = factory.make_user("bank_officer", factory.make_bank())
    sm = app.extensions["bridgefund.db"].sessionmaker
    with wecom_robot() as (prefix, robot):
        db.add(NotificationSetting(user_id=user.id, wecom_webhook=prefix + "robot-1", wecom_enabled=True, lang="en"))
        _raise(db, user, n=25)
        channels = {"wecom": WeComChannel(timeout=5)}
        policy = outbox.Policy(per_minute=20, console_url="https://fund.example.cn")
        assert outbox.deliver_due(sm, channels, policy, now=T0) == {"sent": 20, "waiting": 5}
        assert len(robot.messages) == 20
        assert outbox.deliver_due(sm, channels, policy, now=T0 + dt.timedelta(seconds=30)) == {}
        assert outbox.deliver_due(sm, channels, policy, now=T0 + dt.timedelta(seconds=60)) == {"sent": 5}
        assert len(robot.messages) == 25
    assert {d.status for d in _deliveries(db)} == {"sent"}
    first = robot.messages[0]
    assert first["path"] == "/cgi-bin/webhook/send?key=robot-1"
    assert first["content_type"].startswith("application/json") and first["json"]["msgtype"] == "text"
    content = first["json"]["text"]["content"]
    assert content.startswith("Bridge loan BL-2020-000042 falls due") and "https://fund.example.cn/console/" in content
    # no attempt was spent on waiting: 25 deliveries, 25 attempts
    assert len(db.scalars(select(DeliveryAttempt)).all()) == 25


def test_an_unreachable_robot_is_an_attempt_and_a_retry(app, db, factory, T0):  # noqa: ANN001, N803
    user = factory.make_user("fund_manager")
    sm = app.extensions["bridgefund.db"].sessionmaker
    with wecom_robot() as (prefix, robot):
        db.add(NotificationSetting(user_id=user.id, wecom_webhook=prefix + "k", wecom_enabled=True))
        _raise(db, user)
    # the robot is gone: a refused connection is one failed attempt and a retry later, never a crash
    assert outbox.deliver_due(sm, {"wecom": WeComChannel(timeout=5)}, outbox.Policy(), now=T0) == {"retry": 1}
    (d,) = _deliveries(db)
    assert d.status == "pending" and d.attempts == 1 and d.last_error.startswith("WeCom") and robot.messages == []
