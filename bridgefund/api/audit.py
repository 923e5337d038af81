"""The audit log, read-only."""

from __future__ import annotations

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.common import page_of
from bridgefund.schemas.registry import AuditEventSchema, AuditListArgs
from bridgefund.services import audit
from bridgefund.web import access, actor, session

blp = Blueprint("audit", __name__, description="Audit log (append-only)")


@blp.get("/audit-events")
@access(audit.list_events)
@blp.arguments(AuditListArgs, location="query")
@blp.response(200, page_of(AuditEventSchema, keyset=True))
@export.exportable(AuditEventSchema, export.AUDIT_EVENTS)
def list_audit_events(args: dict):  # noqa: ANN201
    """List audit events, newest first, filtered by entity, actor, action, request or time.

    The append-only log: one event per change or money movement, with the actor, their role, the request id and the
    before/after values. Keyset paging with `after_id`. Changes nothing.
    """
    return audit.list_events(session(), actor(), **paging(args), **args)
