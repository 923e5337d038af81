"""The API on the app: flask-smorest's :class:`Api` (problem+json errors) and every blueprint, in order."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api as _Api
from werkzeug.exceptions import HTTPException

from bridgefund.api import (
    audit,
    banks,
    bridge_loans,
    calendar,
    documents,
    enterprises,
    fund,
    health,
    jobs,
    notifications,
    periods,
    pool,
    reports,
    users,
)
from bridgefund.schemas.common import ExactDecimal
from bridgefund.web import http_exception_problem


class Api(_Api):
    """flask-smorest's Api with RFC 9457 problem+json for every HTTP error."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_exception_problem(error)


def register(app: Flask) -> Api:
    api = Api(app)
    api.register_field(ExactDecimal, "string", "decimal")
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for module in (users, banks, enterprises, audit, periods, fund, bridge_loans, pool, reports, jobs,
                   calendar, notifications, documents):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(health.bp)
    return api
