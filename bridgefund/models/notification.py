"""Notifications: the events that cause them, the in-app rows each recipient reads, the outbox of deliveries to
the other channels (email, WeCom, SMS) with every attempt, and each user's choice of channels.

* :class:`NotificationEvent` is one reminder or event — ``(kind, subject_type, subject_id, business_date)`` is
  unique, so a reminder is raised at most once per subject, kind and business date whatever reruns or retries
  happen (the second insert finds the key taken and writes nothing).
* :class:`Notification` is that event for one recipient (the in-app channel): ``(event_id, user_id)`` is unique.
* :class:`NotificationDelivery` is an outbox row, written in the same transaction as the notification, for one
  other channel; a task delivers it later (``bridgefund.notify.outbox``) and records each
  :class:`DeliveryAttempt`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class Channel(enum.StrEnum):
    in_app = "in_app"
    email = "email"
    wecom = "wecom"
    sms = "sms"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


_CHANNELS = ", ".join(f"'{c.value}'" for c in Channel if c != Channel.in_app)
_STATUSES = ", ".join(f"'{s.value}'" for s in DeliveryStatus)


class NotificationEvent(Base):
    """One reminder or event, once per (kind, subject, business date)."""

    __tablename__ = "notification_events"
    __table_args__ = (
        UniqueConstraint("kind", "subject_type", "subject_id", "business_date", name="uq_notification_events_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``bridge_due_in_3``, ``pool_claim_eligible``, ``monthly_report_ready`` … (``bridgefund.notification_texts``).
    kind: Mapped[str] = mapped_column(String(40))
    #: ``bridge_loan``, ``pool_loan``, ``bank``, ``fund``, ``report_period``, ``summaries``.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    #: The business date (fund timezone) the event belongs to.
    business_date: Mapped[dt.date]
    #: The bank whose figures the event shows (null: fund-wide); its officers are the only officers told.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="SET NULL"))
    #: The message's facts (reference, enterprise, amount, date …) as plain JSON-able strings.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    """An event as one user sees it in the app (rendered in the user's language when it was raised)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_notifications_event_user"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    business_date: Mapped[dt.date]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    #: The console page of the subject, relative to the console's base URL (``/console/bridge-loans/7``).
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class NotificationDelivery(Base):
    """The outbox: one notification to be sent on one channel other than in-app."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_notification_channel"),
        CheckConstraint(f"channel IN ({_CHANNELS})", name="channel_known"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        # the delivery task's scan: pending rows whose next attempt is due
        Index("ix_notification_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_channel_sent_at", "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    #: Where it goes (an e-mail address, a WeCom robot's webhook URL, a phone number), fixed when it was written.
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: Not to be tried before this instant (the backoff after a failure, or a robot's rate limit).
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeliveryAttempt(Base):
    """One try of a delivery: when, and the channel's error (null when it went through)."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(String(500))


class NotificationSetting(Base):
    """A user's channels (absent: in-app only, Chinese)."""

    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint("lang IN ('zh', 'en')", name="lang_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    #: The WeCom group robot's webhook URL (企业微信群机器人) of the user's group.
    wecom_webhook: Mapped[str | None] = mapped_column(String(500))
    #: ``zh`` (default) or ``en``: the language of the user's messages.
    lang: Mapped[str] = mapped_column(String(2), default="zh")
    email_enabled: Mapped[bool] = mapped_column(default=False)
    wecom_enabled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict[str, Any]:
        """What the audit log records (the webhook's key is a secret: only whether one is set)."""
        return {"email": self.email, "lang": self.lang, "email_enabled": self.email_enabled,
                "wecom_enabled": self.wecom_enabled, "wecom_webhook_set": self.wecom_webhook is not None}
