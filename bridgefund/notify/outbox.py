"""Delivering the outbox: each pending delivery whose time has come is tried once, in its own transaction, and
the attempt recorded; a failure is tried again after a growing pause (30 s, 1, 2, 4 … minutes) until
``max_attempts``, then it is ``failed`` (``GET /notification-deliveries?status=failed`` shows it to the admin).

A WeCom robot takes at most ``per_minute`` messages a minute: a delivery to a robot that had that many attempts in
the last 60 seconds waits (no attempt is spent) until the oldest of them is a minute old.

Delivery is at least once: the message leaves before the transaction recording it commits, so a consumer killed
in between sends it again on the next run. The row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) keeps two
consumers from sending the same delivery at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.db import utcnow
from bridgefund.models import DeliveryAttempt, DeliveryStatus, Notification, NotificationDelivery, NotificationSetting
from bridgefund.notification_texts import with_link
from bridgefund.notify.channels import ChannelAdapter, DeliveryError

log = logging.getLogger("bridgefund.notify")

#: The first pause after a failure; each further failure doubles it, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Policy:
    console_url: str = "http://localhost:8000"
    max_attempts: int = 6
    per_minute: int = 20
    batch: int = 200


def backoff(attempts: int) -> dt.timedelta:
    """The pause after the ``attempts``-th failed attempt."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_due(sessionmaker: Callable[[], Session], channels: Mapping[str, ChannelAdapter], policy: Policy,
                *, now: dt.datetime | None = None) -> dict[str, int]:
    """Try every pending delivery due by ``now`` once; answer the outcomes counted (sent, retry, failed, waiting)."""
    now = now or utcnow()
    with sessionmaker() as s:
        ids = list(s.scalars(select(NotificationDelivery.id).where(
            NotificationDelivery.status == DeliveryStatus.pending, NotificationDelivery.next_attempt_at <= now)
            .order_by(NotificationDelivery.id).limit(policy.batch)))
    outcomes: Counter[str] = Counter()
    for delivery_id in ids:
        with sessionmaker() as s, s.begin():
            outcomes[_deliver_one(s, delivery_id, channels, policy, now)] += 1
    if ids:
        log.info("notification deliveries: %s", dict(outcomes))
    return dict(outcomes)


def _deliver_one(s: Session, delivery_id: int, channels: Mapping[str, ChannelAdapter], policy: Policy,
                 now: dt.datetime) -> str:
    stmt = select(NotificationDelivery).where(NotificationDelivery.id == delivery_id)
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    d = s.scalars(stmt).one_or_none()
    if d is None or d.status != DeliveryStatus.pending or _aware(d.next_attempt_at) > now:
        return "skipped"
    if d.channel == "wecom":
        recent = list(s.scalars(
            select(DeliveryAttempt.at)
            .join(NotificationDelivery, NotificationDelivery.id == DeliveryAttempt.delivery_id)
            .where(NotificationDelivery.target == d.target, DeliveryAttempt.at > now - WINDOW)
            .order_by(DeliveryAttempt.at)))
        if len(recent) >= policy.per_minute:
            d.next_attempt_at = _aware(recent[len(recent) - policy.per_minute]) + WINDOW
            return "waiting"
    note = s.get(Notification, d.notification_id)
    pref = s.get(NotificationSetting, note.user_id)
    lang = pref.lang if pref is not None else "zh"
    channel = channels.get(d.channel)
    error: str | None = None
    try:
        if channel is None:
            raise DeliveryError(f"the {d.channel} channel is not configured")
        channel.send(d.target, note.title, with_link(note.body, note.link, policy.console_url, lang))
    except DeliveryError as exc:
        error = str(exc)[:500]
    d.attempts += 1
    s.add(DeliveryAttempt(delivery_id=d.id, at=now, ok=error is None, error=error))
    if error is None:
        d.status, d.sent_at, d.last_error = DeliveryStatus.sent.value, now, None
        return "sent"
    d.last_error = error
    if d.attempts >= policy.max_attempts:
        d.status = DeliveryStatus.failed.value
        log.warning("notification delivery %s failed for good after %d attempts: %s", d.id, d.attempts, error)
        return "failed"
    d.next_attempt_at = now + backoff(d.attempts)
    return "retry"


def counts(session: Session) -> dict[str, int]:
    """Deliveries by status (for ``/metrics``)."""
    return {status: n for status, n in session.execute(
        select(NotificationDelivery.status, func.count()).group_by(NotificationDelivery.status))}


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
