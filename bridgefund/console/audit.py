"""The audit log (admin, auditor — whoever ``GET /audit-events`` lets read it): the append-only events filtered by
entity, actor, action and dates (kept in the URL), newest first with keyset paging, each event's before/after shown
as a diff with the changed fields marked; an entity's timeline links here with its filter. The same service and
query schema as the API (``audit.list_events``, ``AuditListArgs``); its export is the API's audit sheet.

Dates are the fund's calendar days: ``from``/``to`` given as ``YYYY-MM-DD`` are read as the start of the first
and the end of the last day in the fund's timezone before the schema parses them (any RFC 3339 instant is taken
as it is, like the API).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from flask import request, url_for

from bridgefund import exports
from bridgefund.console import export, forms
from bridgefund.console.base import bp, current_actor, page
from bridgefund.errors import RuleViolation
from bridgefund.schemas.registry import AuditEventSchema, AuditListArgs
from bridgefund.services import audit
from bridgefund.web import access, session, settings

PAGE_SIZE = 50
FILTERS = ("entity_type", "entity_id", "actor_id", "action", "request_id", "from", "to")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Pages of an entity, for the link on its events (the console's routes by entity type).
ENTITY_PAGES = {"bridge_loan": ("console.bridge_loan", "loan_id"), "pool_loan": ("console.pool_loan", "loan_id")}


@dataclass(frozen=True)
class Change:
    """One field of an event: its value before and after, and whether it changed."""

    field: str
    before: Any
    after: Any
    changed: bool
    added: bool
    removed: bool


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields of an event's before/after, changed ones first (in their recorded order), then the unchanged
    (a field missing on one side reads as empty)."""
    b, a = before or {}, after or {}
    keys = list(dict.fromkeys([*a, *b]))
    # a field recorded on one side only counts as changed unless it is empty (a new loan's unset dates are no change)
    rows = [Change(k, b.get(k), a.get(k), b.get(k) != a.get(k), k not in b, k not in a) for k in keys]
    return [r for r in rows if r.changed] + [r for r in rows if not r.changed]


def _instants(raw: dict[str, str]) -> dict[str, str]:
    """``from``/``to`` as calendar days → RFC 3339 instants bounding those days in the fund's timezone."""
    out = dict(raw)
    tz = settings().tz
    for name, end in (("from", False), ("to", True)):
        value = out.get(name, "")
        if _DAY.match(value):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                continue  # the schema names the field
            at = dt.datetime.combine(day, dt.time.max if end else dt.time.min, tzinfo=tz)
            out[name] = at.isoformat()
    return out


def display(value: Any) -> str:
    """A recorded value as text: ``—`` for none, JSON-like for nested values."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@bp.get("/audit")
@access(audit.list_events)
def audit_log() -> Any:
    """The audit log with filters in the URL and keyset paging (``after_id``), newest first."""
    actor = current_actor()
    raw = {k: v.strip() for k, v in request.args.items() if v.strip() and k in (*FILTERS, "after_id")}
    people = audit.actors(session(), actor)
    context = {"filters": {k: v for k, v in raw.items() if k != "after_id"}, "people": people,
               "names": {uid: name for uid, name, _ in people}, "diff": diff, "display": display,
               "entity_link": entity_link}
    try:
        args = forms.load(AuditListArgs(), _instants(raw))
    except RuleViolation as err:
        return page("console/audit_log.html", 422, errors=err.errors, result=None, next_url=None, **context)
    for paging in ("page", "page_size", "total", "format"):
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.AUDIT_EVENTS, AuditEventSchema,
                           functools.partial(audit.list_events, session(), actor), args)
    result = audit.list_events(session(), actor, 1, PAGE_SIZE, count_limit=settings().exact_total_limit, **args)
    next_url = (url_for("console.audit_log", **context["filters"], after_id=result.next_after_id)
                if result.next_after_id else None)
    return page("console/audit_log.html", errors={}, result=result, next_url=next_url, **context)


def entity_link(entity_type: str, entity_id: int | None) -> str | None:
    """The console page of an event's entity, where there is one."""
    target = ENTITY_PAGES.get(entity_type)
    if target is None or entity_id is None:
        return None
    endpoint, arg = target
    return url_for(endpoint, **{arg: entity_id})
