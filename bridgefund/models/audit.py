"""The append-only audit log: one event per change and per money movement, in the same transaction.

Nothing updates or deletes an event: the ORM refuses it here, and the migration adds database triggers
that refuse it too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # (filter, id): a filtered page newest first, or after an id, is one index range (migration 0007)
        Index("ix_audit_events_entity_id", "entity_type", "entity_id", "id"),
        Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: No foreign key: the log outlives whatever it talks about.
    actor_id: Mapped[int | None]
    actor_role: Mapped[str | None] = mapped_column(String(20))
    #: Verb, e.g. ``create``, ``update``, ``approve``, ``disburse``, ``login``.
    action: Mapped[str] = mapped_column(String(40))
    #: snake_case singular of the resource: ``bridge_loan``, ``bank``, ``user`` …
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(_mapper: Any, _conn: Any, _target: AuditEvent) -> None:
    raise RuntimeError("audit events are append-only")
