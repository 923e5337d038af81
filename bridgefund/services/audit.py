"""Writing audit events: exactly one per change or money movement, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.db import utcnow
from bridgefund.models import AuditEvent, Role, User
from bridgefund.services.actor import Actor
from bridgefund.services.bulk import insert_rows
from bridgefund.services.common import paginate


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id,
        actor_role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        request_id=actor.request_id,
        ip=actor.ip,
    )
    session.add(event)
    return event


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    events: Sequence[tuple[int | None, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """One event per ``(entity_id, before, after)``, the rows :func:`record` would write, in one bulk insert
    (for bulk changes stored with Core inserts)."""
    if not events:
        return
    insert_rows(session.connection(), AuditEvent.__table__, [
        {"at": utcnow(), "actor_id": actor.id, "actor_role": actor.role, "action": action,
         "entity_type": entity_type, "entity_id": entity_id, "before": before, "after": after,
         "request_id": actor.request_id, "ip": actor.ip}
        for entity_id, before, after in events])


def record_update(
    session: Session, actor: Actor, entity_type: str, entity_id: int, before: dict[str, Any], after: dict[str, Any],
    *, action: str = "update",
) -> AuditEvent | None:
    """Record the changed keys only; an update that changed nothing is not an event."""
    b, a = changes(before, after)
    if not a:
        return None
    return record(session, actor, action, entity_type, entity_id, before=b, after=a)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys that changed, as (before, after) — what an update event records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@allows(Role.admin, Role.auditor)
def list_events(  # noqa: ANN201
    session: Session, actor: Actor, page: int, page_size: int, *, after_id: int | None = None,
    count_limit: int | None = None, **filters: Any,
):
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    for name in ("entity_type", "entity_id", "actor_id", "action", "request_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(AuditEvent, name) == filters[name])
    if filters.get("from_") is not None:
        stmt = stmt.where(AuditEvent.at >= filters["from_"])
    if filters.get("to") is not None:
        stmt = stmt.where(AuditEvent.at <= filters["to"])
    return paginate(session, stmt, page, page_size, key=AuditEvent.id, after_id=after_id, count_limit=count_limit)


@allows(Role.admin, Role.auditor)
def actors(session: Session, actor: Actor) -> list[tuple[int, str, str]]:
    """Every user who can appear in the audit log as ``(id, username, role)``, by username: the audit log's
    actor filter and the names on its events (for those who may read the log)."""
    stmt = select(User.id, User.username, User.role).order_by(User.username)
    return [(uid, name, str(role)) for uid, name, role in session.execute(stmt).all()]
