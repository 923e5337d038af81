"""The dashboard: the fund and the pool as of any date — the same figures as ``GET /fund`` and ``GET /pool`` —, a row
per partner bank (``GET /banks``: quota used, NPL ratio against the suspension threshold) and
the 12-month trend drawn by the monthly report's own SVG chart code (so the console and the PDF draw the same
figures the same way)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup

from bridgefund.console import forms
from bridgefund.console.base import bp, current_actor, page, wan
from bridgefund.errors import RuleViolation
from bridgefund.reports import service as reports
from bridgefund.reports.charts import svg_bar_chart, svg_line_chart
from bridgefund.schemas.bridge_loan import BridgeLoanAsOfArgs
from bridgefund.services import fund, pool, registry
from bridgefund.web import access, session, today


@bp.get("/dashboard")
@access(fund.position)
def dashboard() -> Any:
    """The fund's and the pool's positions on a date (the roles ``fund.position`` allows: admins, fund managers,
    auditors)."""
    actor = current_actor()
    try:
        args = forms.load(BridgeLoanAsOfArgs(), {k: v for k, v in request.args.items() if v.strip()})
    except RuleViolation as err:
        return page("console/dashboard.html", 422, errors=err.errors, fund=None, pool=None, as_of=None)
    as_of = args.get("as_of") or today()
    fund_position = fund.position(session(), actor, as_of)
    pool_position = pool.position(session(), actor, as_of)
    months = reports.trend(session(), actor, as_of)
    banks = registry.bank_rows(session(), registry.list_banks(session(), actor, 1, 100, as_of=as_of).items, as_of)
    return page("console/dashboard.html", fund=fund_position, pool=pool_position, as_of=as_of, errors={},
                charts=_charts(months), banks=banks,
                npl_threshold=pool.current_settings(session()).bank_npl_threshold)


def _charts(months: list[dict[str, Any]]) -> list[Markup]:
    """Bridge lending per month (bars) and pool loans outstanding at each month end (a line), in 万元."""
    labels = [f"{m['month_number']}" + ("\n" + str(m["year"]) if m["month_number"] == 1 or i == 0 else "")
              for i, m in enumerate(months)]
    return [
        svg_bar_chart(list(zip(labels, [m["bridge_amount"] for m in months], strict=True)), width=640, height=190,
                      value_format=wan, tick_format=wan, title=_("Bridge loans disbursed per month (10k yuan)")),
        svg_line_chart(list(zip(labels, [m["pool_outstanding"] for m in months], strict=True)), width=640,
                       height=190, value_format=wan, tick_format=wan,
                       title=_("Pool loans outstanding at month end (10k yuan)")),
    ]
