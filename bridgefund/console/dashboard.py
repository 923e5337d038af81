"""The dashboard: the fund and the pool as of any date — the same figures as ``GET /fund`` and ``GET /pool``."""

from __future__ import annotations

from typing import Any

from flask import request

from bridgefund.console import forms
from bridgefund.console.base import bp, current_actor, page
from bridgefund.errors import RuleViolation
from bridgefund.schemas.bridge_loan import BridgeLoanAsOfArgs
from bridgefund.services import fund_figures, pool
from bridgefund.web import ANY, access, session, today


@bp.get("/dashboard")
@access(ANY)
def dashboard() -> Any:
    """The fund's and the pool's positions on a date (staff and auditors; the services refuse officers)."""
    actor = current_actor()
    try:
        args = forms.load(BridgeLoanAsOfArgs(), {k: v for k, v in request.args.items() if v.strip()})
    except RuleViolation as err:
        return page("console/dashboard.html", 422, errors=err.errors, fund=None, pool=None, as_of=None)
    as_of = args.get("as_of") or today()
    fund = fund_figures.position(session(), actor, as_of)
    pool_position = pool.position(session(), actor, as_of)
    return page("console/dashboard.html", fund=fund, pool=pool_position, as_of=as_of, errors={})
