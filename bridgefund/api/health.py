"""Liveness and database health, outside /api/v1 and without auth."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from bridgefund.web import PUBLIC, access, log, session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@access(PUBLIC)
def healthz():  # noqa: ANN201
    """Report whether the service and its database answer."""
    try:
        session().execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return jsonify(status="degraded", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
