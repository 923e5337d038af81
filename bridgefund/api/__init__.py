"""HTTP API: flask-smorest blueprints. Each view loads, makes one service call, dumps. No rules, no commits."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api as _Api
from werkzeug.exceptions import HTTPException

from bridgefund.schemas.common import ExactDecimal
from bridgefund.web import http_exception_problem, settings


def paging(args: dict[str, Any]) -> dict[str, Any]:
    """Take the paging arguments out of a list's query ``args`` as the keywords its service call takes.

    ``page``, ``page_size``, ``after_id`` (keyset lists only) and ``count_limit``: rows counted exactly before
    ``total`` may be estimated (``BRIDGEFUND_EXACT_TOTAL_LIMIT``), None when the request asks ``total=exact``.
    """
    out = {"page": args.pop("page"), "page_size": args.pop("page_size")}
    if "after_id" in args:
        out["after_id"] = args.pop("after_id")
    out["count_limit"] = None if args.pop("total", "auto") == "exact" else settings().exact_total_limit
    return out


class Api(_Api):
    """flask-smorest's Api with RFC 9457 problem+json for every HTTP error."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_exception_problem(error)


def register(app: Flask) -> Api:
    from bridgefund.api import audit, banks, enterprises, health, periods, users

    api = Api(app)
    api.register_field(ExactDecimal, "string", "decimal")
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for module in (users, banks, enterprises, audit, periods):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    from bridgefund.api import bridge_loans, fund

    for module in (fund, bridge_loans):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    from bridgefund.api import pool

    api.register_blueprint(pool.blp, url_prefix="/api/v1")
    from bridgefund.api import reports

    api.register_blueprint(reports.blp, url_prefix="/api/v1")
    from bridgefund.api import calendar, jobs, notifications

    for module in (jobs, calendar, notifications):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(health.bp)
    return api
