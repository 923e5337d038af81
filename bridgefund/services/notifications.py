"""Notifications: raising an event for its recipients (in-app rows and the outbox, in the caller's transaction),
each user's own notifications and channel settings, and the outbox as the admin sees it.

An event is written at most once per ``(kind, subject_type, subject_id, business_date)``: the insert of the
event row skips a key already taken (``ON CONFLICT DO NOTHING``), and only the transaction that wrote it writes
the notifications and deliveries — so a rerun, a retried job or two schedulers racing raise nothing twice.

Who is told (DOMAIN.md, "Reminders"): an event about one bank's figures goes to that bank's active officers and to
the fund managers (never to another bank's officers); fund-wide events go to managers and/or admins as the caller
says. Messages are rendered in each recipient's language when the event is raised (``bridgefund.notification_texts``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.db import utcnow
from bridgefund.errors import NotFound, RuleViolation
from bridgefund.models import (
    Channel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationEvent,
    NotificationSetting,
    Role,
    User,
)
from bridgefund.notification_texts import TEXTS, render
from bridgefund.services import audit
from bridgefund.services.actor import Actor
from bridgefund.services.common import paginate

ENTITY = "notification_event"
#: Every role has its own notifications.
#: What a WeCom group robot's webhook looks like (企业微信群机器人); tests and private deployments set another
#: prefix (``BRIDGEFUND_WECOM_WEBHOOK_PREFIX``) so no message goes anywhere else.
WECOM_PREFIX = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="


def recipients(session: Session, *, bank_id: int | None, roles: Iterable[str]) -> list[User]:
    """The active users told of an event: ``bank_id``'s officers (when the event concerns one bank) and every
    active user of ``roles``."""
    conds = [User.role.in_([str(r) for r in roles])]
    if bank_id is not None:
        conds.append((User.role == Role.bank_officer) & (User.bank_id == bank_id))
    return list(session.scalars(select(User).where(User.active.is_(True), or_(*conds)).order_by(User.id)))


@allows(Role.admin)
def raise_event(
    session: Session, actor: Actor, kind: str, *, subject_type: str, subject_id: int, business_date: dt.date,
    params: dict[str, Any], link: str, to: list[User], bank_id: int | None = None,
) -> NotificationEvent | None:
    """Write event ``kind`` about the subject on ``business_date`` with a notification for each of ``to`` and its
    outbox rows (the channels each recipient chose); None when that event was raised already."""
    if kind not in TEXTS:
        raise ValueError(f"unknown notification kind {kind!r}")
    values = {"kind": kind, "subject_type": subject_type, "subject_id": subject_id, "business_date": business_date,
              "bank_id": bank_id, "params": params, "created_at": utcnow()}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(NotificationEvent).values(**values)
            .on_conflict_do_nothing(index_elements=["kind", "subject_type", "subject_id", "business_date"])
            .returning(NotificationEvent.id))
    event_id = session.execute(stmt).scalar_one_or_none()
    if event_id is None:
        return None
    if bank_id is not None:  # never another bank's figures to an officer, whatever the caller passed
        to = [u for u in to if u.role != Role.bank_officer or u.bank_id == bank_id]
    prefs = {p.user_id: p for p in session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id.in_([u.id for u in to])))}
    for user in to:
        pref = prefs.get(user.id)
        lang = pref.lang if pref is not None else "zh"
        title, body = render(kind, lang, params)
        note = Notification(event_id=event_id, user_id=user.id, kind=kind, subject_type=subject_type,
                            subject_id=subject_id, business_date=business_date, title=title, body=body, link=link)
        session.add(note)
        session.flush()
        for channel, target in _targets(pref):
            session.add(NotificationDelivery(notification_id=note.id, channel=channel, target=target))
    event = session.get(NotificationEvent, event_id)
    audit.record(session, actor, "create", ENTITY, event_id, after={
        "kind": kind, "subject_type": subject_type, "subject_id": subject_id,
        "business_date": business_date.isoformat(), "recipients": len(to)})
    return event


def _targets(pref: NotificationSetting | None) -> list[tuple[str, str]]:
    if pref is None:
        return []
    out = []
    if pref.email_enabled and pref.email:
        out.append((Channel.email.value, pref.email))
    if pref.wecom_enabled and pref.wecom_webhook:
        out.append((Channel.wecom.value, pref.wecom_webhook))
    return out


# ------------------------------------------------------------------------------------------------ the user's own


@allows(SIGNED_IN)
def list_mine(session: Session, actor: Actor, page: int, page_size: int, *, unread: bool | None = None,
              after_id: int | None = None, count_limit: int | None = None) -> Any:
    """The actor's own in-app notifications, newest first (``unread``: only unread, or only read)."""
    stmt = select(Notification).where(Notification.user_id == actor.id).order_by(Notification.id.desc())
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    return paginate(session, stmt, page, page_size, key=Notification.id, after_id=after_id, count_limit=count_limit)


@allows(SIGNED_IN)
def unread_count(session: Session, actor: Actor) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None))) or 0


@allows(SIGNED_IN)
def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (another user's answers 404; already read: unchanged)."""
    note = session.get(Notification, notification_id, with_for_update=True)
    if note is None or note.user_id != actor.id:
        raise NotFound(f"notification {notification_id} not found")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
        audit.record(session, actor, "read", "notification", note.id, after={"read_at": note.read_at.isoformat()})
    return note


@allows(SIGNED_IN)
def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark every unread notification of the actor read; answer how many."""
    now = utcnow()
    count = session.execute(update(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)).values(read_at=now)).rowcount or 0
    if count:
        audit.record(session, actor, "read_all", "notification", None, after={"count": count,
                                                                             "read_at": now.isoformat()})
    return count


@allows(SIGNED_IN)
def get_settings(session: Session, actor: Actor) -> dict[str, Any]:
    return _shown(session.get(NotificationSetting, actor.id))


@allows(SIGNED_IN)
def put_settings(session: Session, actor: Actor, values: dict[str, Any], *,
                 wecom_prefix: str = WECOM_PREFIX) -> dict[str, Any]:
    """Replace the actor's channels. Email needs an address, WeCom a robot webhook (422 naming the field)."""
    channels = values["channels"]
    if channels.get("in_app") is False:
        raise RuleViolation.on("channels.in_app", "in-app notifications cannot be turned off")
    row = session.get(NotificationSetting, actor.id, with_for_update=True)
    before = row.snapshot() if row is not None else None
    email = values.get("email", row.email if row is not None else None)
    webhook = values.get("wecom_webhook", row.wecom_webhook if row is not None else None)
    if channels["email"] and not email:
        raise RuleViolation.on("email", "required to receive e-mail")
    if channels["wecom"] and not webhook:
        raise RuleViolation.on("wecom_webhook", "required to receive WeCom messages")
    if webhook and not webhook.startswith(wecom_prefix):
        raise RuleViolation.on("wecom_webhook", f"must be a WeCom group robot webhook ({wecom_prefix}…)")
    if row is None:
        row = NotificationSetting(user_id=actor.id)
        session.add(row)
    row.email, row.wecom_webhook = email, webhook
    row.lang = values.get("lang", row.lang or "zh")
    row.email_enabled, row.wecom_enabled = bool(channels["email"]), bool(channels["wecom"])
    session.flush()
    if before is None:
        audit.record(session, actor, "create", "notification_setting", actor.id, after=row.snapshot())
    else:
        audit.record_update(session, actor, "notification_setting", actor.id, before, row.snapshot())
    return _shown(row)


def _shown(row: NotificationSetting | None) -> dict[str, Any]:
    if row is None:
        return {"email": None, "wecom_webhook_set": False, "lang": "zh",
                "channels": {"in_app": True, "email": False, "wecom": False}}
    return {"email": row.email, "wecom_webhook_set": row.wecom_webhook is not None, "lang": row.lang,
            "channels": {"in_app": True, "email": row.email_enabled, "wecom": row.wecom_enabled}}


# ------------------------------------------------------------------------------------------------ the outbox


@allows(Role.admin)
def list_deliveries(session: Session, actor: Actor, page: int, page_size: int, *, status: str | None = None,
                    after_id: int | None = None, count_limit: int | None = None) -> Any:
    """The outbox, newest first (admin)."""
    stmt = select(NotificationDelivery).order_by(NotificationDelivery.id.desc())
    if status is not None:
        if status not in tuple(DeliveryStatus):
            raise RuleViolation.on("status", "must be pending, sent or failed")
        stmt = stmt.where(NotificationDelivery.status == status)
    return paginate(session, stmt, page, page_size, key=NotificationDelivery.id, after_id=after_id,
                    count_limit=count_limit)
