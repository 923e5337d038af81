"""Notifications: the user's own in-app notifications and channel settings, and the outbox (admin)."""

from __future__ import annotations

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.common import page_of
from bridgefund.schemas.notification import (
    DeliveryListArgs,
    DeliverySchema,
    NotificationListArgs,
    NotificationSchema,
    NotificationSettingsPutSchema,
    NotificationSettingsSchema,
    ReadAllSchema,
    UnreadCountSchema,
)
from bridgefund.services import notifications
from bridgefund.web import access, actor, session, settings

blp = Blueprint("notifications", __name__, description="Notifications: reminders and events, in-app and delivered")


@blp.get("/notifications")
@access(notifications.list_mine)
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, page_of(NotificationSchema, keyset=True))
@export.exportable(NotificationSchema, export.NOTIFICATIONS)
def list_notifications(args: dict):  # noqa: ANN201
    """List your own notifications, newest first (`unread=true`: only unread).

    Reminders of the 08:30 working-day run and events (a month's reports ready, a summaries difference), each
    rendered in your language with the subject's console link. Everyone sees only their own; a bank officer only
    ever receives their own bank's. Keyset paging with `after_id`. Changes nothing.
    """
    return notifications.list_mine(session(), actor(), **paging(args), **args)


@blp.get("/notifications/unread-count")
@access(notifications.unread_count)
@blp.response(200, UnreadCountSchema)
def unread_count():  # noqa: ANN201
    """Count your unread notifications.

    What the console's bell shows: the number of your notifications not yet marked read. Changes nothing.
    """
    return {"unread": notifications.unread_count(session(), actor())}


@blp.post("/notifications/<int:notification_id>/read")
@access(notifications.mark_read)
@blp.response(200, NotificationSchema)
def mark_read(notification_id: int):  # noqa: ANN201
    """Mark one of your notifications read.

    Another user's notification answers 404. Reading one already read changes nothing. Writes an audit event.
    """
    return notifications.mark_read(session(), actor(), notification_id)


@blp.post("/notifications/read-all")
@access(notifications.mark_all_read)
@blp.response(200, ReadAllSchema)
def mark_all_read():  # noqa: ANN201
    """Mark all your unread notifications read.

    Answers how many were marked now. Writes one audit event (none when nothing was unread).
    """
    return {"marked": notifications.mark_all_read(session(), actor())}


@blp.get("/me/notification-settings")
@access(notifications.get_settings)
@blp.response(200, NotificationSettingsSchema)
def get_settings():  # noqa: ANN201
    """Show your notification channels, address and language.

    Without settings of your own: in-app only, in Chinese. The WeCom webhook's key is never shown, only whether
    one is stored. Changes nothing.
    """
    return notifications.get_settings(session(), actor())


@blp.put("/me/notification-settings")
@access(notifications.put_settings)
@blp.arguments(NotificationSettingsPutSchema)
@blp.response(200, NotificationSettingsSchema)
def put_settings(body: dict):  # noqa: ANN201
    """Choose your channels: in-app (always on), e-mail, WeCom group robot; and the language (`zh` or `en`).

    E-mail needs `email`, WeCom needs `wecom_webhook` (a WeCom robot webhook URL; 422 otherwise). Omitted
    `email`/`wecom_webhook` keep what is stored. Applies to notifications raised from now on. Writes an audit event.
    """
    return notifications.put_settings(session(), actor(), body, wecom_prefix=settings().wecom_webhook_prefix)


@blp.get("/notification-deliveries")
@access(notifications.list_deliveries)
@blp.arguments(DeliveryListArgs, location="query")
@blp.response(200, page_of(DeliverySchema, keyset=True))
@export.exportable(DeliverySchema, export.NOTIFICATION_DELIVERIES)
def list_deliveries(args: dict):  # noqa: ANN201
    """List the outbox: every e-mail/WeCom/SMS delivery with its status, attempts and last error (admin).

    `pending` deliveries are tried every minute with a growing pause after each failure; `failed` ones used up
    their attempts (`BRIDGEFUND_NOTIFY_MAX_ATTEMPTS`). Keyset paging with `after_id`. Changes nothing.
    """
    return notifications.list_deliveries(session(), actor(), **paging(args), **args)
