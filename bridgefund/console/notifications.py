"""The bell, the notifications page and one's notification settings: ``GET /notifications`` and
``/me/notification-settings`` in the console, from the same services (``services.notifications``).

The layout's bell shows the unread count; opening it loads the latest notifications (an htmx fragment), each
linking to its subject's page in the console, with "mark read" and "mark all read".
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from bridgefund import exports
from bridgefund.console import export, forms
from bridgefund.console.base import bp, current_actor, htmx, page
from bridgefund.console.may import may
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.schemas.notification import (
    DELIVERY_STATUSES,
    DeliveryListArgs,
    DeliverySchema,
    NotificationListArgs,
    NotificationSchema,
    NotificationSettingsPutSchema,
)
from bridgefund.services import notifications
from bridgefund.web import access, session, settings

#: Notifications the bell's menu lists (the page lists them all).
BELL_ROWS = 6
PAGE_SIZE = 25


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    def unread() -> int:
        actor = current_actor()
        return notifications.unread_count(session(), actor) if actor is not None else 0

    return {"unread_notifications": unread, "subject_url": subject_url}


def subject_url(note: Any) -> str:
    """The console page of what a notification is about."""
    kind, ident = note.subject_type, note.subject_id
    actor = current_actor()
    if kind == "bridge_loan":
        return url_for("console.bridge_loan", loan_id=ident)
    if kind == "pool_loan":
        return url_for("console.pool_loan", loan_id=ident)
    if kind == "report_period" and may(actor, "reports.service.list_reports"):
        return url_for("console.reports_page", period=f"{ident // 100:04d}-{ident % 100:02d}")
    if kind == "fund" and may(actor, "fund.position"):
        return url_for("console.dashboard")
    if kind == "bank" and may(actor, "pool_loans.list_pool_loans"):
        return url_for("console.pool_loans_list", bank_id=ident)
    if kind == "summaries":
        return url_for("console.audit_log" if may(actor, "audit.list_events") else "console.home")
    # Otherwise the stored link — a console path (rows written before the console moved to / name it under
    # /console) — when the console has that page; else the home page.
    parts = urlsplit((note.link or "").removeprefix("/console"))
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return url_for("console.home")
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return url_for("console.home")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _bell_menu() -> Any:
    actor = current_actor()
    latest = notifications.list_mine(session(), actor, 1, BELL_ROWS)
    return page("console/partials/bell_menu.html", items=latest.items,
                unread=notifications.unread_count(session(), actor))


@bp.get("/notifications/bell")
@access(notifications.list_mine)
def bell() -> Any:
    """Fragment: the bell's menu, the latest notifications."""
    return _bell_menu()


@bp.get("/notifications")
@access(notifications.list_mine)
def notifications_page() -> Any:
    """One's notifications, newest first; ``unread`` filter in the URL; keyset paging."""
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in ("unread", "after_id")}
    try:
        args = forms.load(NotificationListArgs(), raw)
    except RuleViolation as err:
        return page("console/notifications.html", 422, errors=err.errors, filters=raw, result=None, next_url=None)
    for paging in ("page", "page_size", "total", "format"):
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.NOTIFICATIONS, NotificationSchema,
                           functools.partial(notifications.list_mine, session(), actor), args)
    result = notifications.list_mine(session(), actor, 1, PAGE_SIZE, **args)
    filters = {k: v for k, v in raw.items() if k != "after_id"}
    next_url = url_for("console.notifications_page", **filters, after_id=result.next_after_id) \
        if result.next_after_id else None
    return page("console/notifications.html", errors={}, filters=filters, result=result, next_url=next_url)


@bp.get("/admin/deliveries")
@access(notifications.list_deliveries)
def deliveries() -> Any:
    """The outbox (admin): every e-mail/WeCom/SMS delivery with its status, attempts and last error, newest first,
    by status (in the URL); keyset paging and its export — ``GET /notification-deliveries``'s records."""
    actor = current_actor()
    raw = {k: v.strip() for k, v in request.args.items() if v.strip() and k in ("status", "after_id")}
    context = {"filters": {k: v for k, v in raw.items() if k != "after_id"}, "statuses": DELIVERY_STATUSES}
    try:
        args = forms.load(DeliveryListArgs(), raw)
    except RuleViolation as err:
        return page("console/admin_deliveries.html", 422, errors=err.errors, result=None, next_url=None, **context)
    for paging in ("page", "page_size", "total", "format"):
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.NOTIFICATION_DELIVERIES, DeliverySchema,
                           functools.partial(notifications.list_deliveries, session(), actor), args)
    result = notifications.list_deliveries(session(), actor, 1, PAGE_SIZE, **args)
    next_url = url_for("console.deliveries", **context["filters"], after_id=result.next_after_id) \
        if result.next_after_id else None
    return page("console/admin_deliveries.html", errors={}, result=result, next_url=next_url, **context)


def _back() -> Any:
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("console.notifications_page")
    return redirect(target, 303)


@bp.post("/notifications/<int:notification_id>/read")
@access(notifications.mark_read)
def mark_read(notification_id: int) -> Any:
    """Mark one of one's notifications read (another user's: 404)."""
    notifications.mark_read(session(), current_actor(), notification_id)
    return _bell_menu() if htmx() else _back()


@bp.post("/notifications/read-all")
@access(notifications.mark_all_read)
def mark_all_read() -> Any:
    """Mark every unread notification of one's own read."""
    count = notifications.mark_all_read(session(), current_actor())
    if htmx():
        return _bell_menu()
    flash(_("%(n)d notifications marked read.", n=count), "success")
    return _back()


# --- one's settings ------------------------------------------------------------------------------------------------


@bp.get("/me/notification-settings")
@access(notifications.get_settings)
def notification_settings() -> Any:
    """One's channels (in-app always; e-mail; WeCom group robot), address and language."""
    shown = notifications.get_settings(session(), current_actor())
    return page("console/notification_settings.html", shown=shown, errors={}, values={})


@bp.post("/me/notification-settings")
@access(notifications.put_settings)
def save_notification_settings() -> Any:
    """Save them (``PUT /me/notification-settings``: the same schema and service); a blank address or webhook keeps
    what is stored; a refusal names the field and changes nothing."""
    actor = current_actor()
    form = request.form
    values = {k: form.get(k, "") for k in ("email", "wecom_webhook", "lang", "channels.email", "channels.wecom")}
    body: dict[str, Any] = {"channels": {"email": bool(form.get("channels.email")),
                                         "wecom": bool(form.get("channels.wecom"))}}
    for name in ("email", "wecom_webhook", "lang"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    try:
        loaded = forms.load(NotificationSettingsPutSchema(), body)
        notifications.put_settings(session(), actor, loaded, wecom_prefix=settings().wecom_webhook_prefix)
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        shown = notifications.get_settings(session(), actor)
        return page("console/notification_settings.html", err.status, shown=shown, errors=errors, detail=detail,
                    values=values)
    flash(_("Your notification settings were saved."), "success")
    return redirect(url_for("console.notification_settings"), 303)
