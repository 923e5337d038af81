"""Liveness and health of the service, its database and its queue consumers, outside /api/v1 and without auth.

``worker`` is ``ok`` while a consumer's heartbeat (every minute) is at most ``BRIDGEFUND_WORKER_STALE_SECONDS``
(180) old, ``down`` when the newest is older, ``absent`` when no consumer ever reported to this database, and
``immediate`` when tasks run inline (tests). A ``down`` worker makes ``/healthz`` 503 naming it: consumers ran and
stopped, so reports, imports and reminders wait. ``absent`` is 503 only in production (``BRIDGEFUND_ENV``): in
development the API may run without a consumer (the async endpoints then queue until one starts).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from bridgefund.db import utcnow
from bridgefund.jobs.queue import backend
from bridgefund.services import jobs
from bridgefund.web import PUBLIC, access, log, session, settings

bp = Blueprint("health", __name__)


def worker_status() -> dict[str, str | None]:
    huey = current_app.extensions["bridgefund.huey"]
    if backend(huey) == "immediate":
        return {"status": "immediate", "last_heartbeat": None}
    last = jobs.last_heartbeat(session())
    if last is None:
        return {"status": "absent", "last_heartbeat": None}
    fresh = utcnow() - last <= dt.timedelta(seconds=settings().worker_stale_seconds)
    return {"status": "ok" if fresh else "down", "last_heartbeat": last.isoformat()}


@bp.get("/healthz")
@access(PUBLIC)
def healthz():  # noqa: ANN201
    """Report whether the service, its database and its queue consumers answer."""
    try:
        session().execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return jsonify(status="degraded", database="unreachable", down=["database"],
                       worker={"status": "unknown", "last_heartbeat": None}), 503
    worker = worker_status()
    down = worker["status"] == "down" or (worker["status"] == "absent" and settings().env == "production")
    if down:
        return jsonify(status="degraded", database="ok", worker=worker, down=["worker"]), 503
    return jsonify(status="ok", database="ok", worker=worker)
