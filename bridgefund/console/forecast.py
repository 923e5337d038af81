"""The fund's cash forecast on the dashboard: each of the next days (30 by default) with what open loans bring back
on their due dates and what approved-but-not-disbursed loans take out, the projected cash and its lowest day — the
figures of ``GET /fund/forecast`` (DOMAIN.md "Cash forecast"), from the same service and query schema, drawn by
the reports' own SVG line chart. The dashboard loads it as a fragment after its own figures (htmx), so the
forecast adds nothing to the dashboard's server time; without script it is a page of its own.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup

from bridgefund.console import forms
from bridgefund.console.base import bp, current_actor, htmx, page, wan
from bridgefund.errors import RuleViolation
from bridgefund.reports.charts import svg_line_chart
from bridgefund.schemas.fund import FundForecastArgs
from bridgefund.services import fund_outlook
from bridgefund.web import access, session, today


@bp.get("/dashboard/forecast")
@access(fund_outlook.forecast)
def forecast() -> Any:
    """The cash forecast from ``from`` (default today) for ``days`` (default 30, at most 90)."""
    template = "console/partials/forecast.html" if htmx() else "console/forecast.html"
    raw = {k: v.strip() for k, v in request.args.items() if v.strip() and k in ("from", "days")}
    try:
        args = forms.load(FundForecastArgs(), raw)
        result = fund_outlook.forecast(session(), current_actor(), start=args.get("from_"), days=args["days"],
                                       today=today())
    except RuleViolation as err:
        return page(template, 422, errors=err.errors, result=None, values=raw, chart=None)
    return page(template, errors={}, result=result, values=raw, chart=_chart(result["items"]))


def _chart(items: list[dict[str, Any]]) -> Markup:
    """The projected cash of each day, in 万元 (the reports' line chart)."""
    labels = [f"{d['date']:%m-%d}" if n % 5 == 0 else "" for n, d in enumerate(items)]
    return svg_line_chart(list(zip(labels, [d["cash"] for d in items], strict=True)), width=640, height=190,
                          value_format=wan, tick_format=wan, show_values=False,
                          title=_("Projected cash (10k yuan)"))
