"""Closing accounting months: after a close no entry may carry a value date in that month or any earlier one,
so every figure as of a closed month's last day — and its monthly report — can never change again."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.errors import Conflict, RuleViolation
from bridgefund.models import ClosedPeriod, Role
from bridgefund.services import audit
from bridgefund.services.actor import Actor
from bridgefund.services.common import Page, established_on, last_closed_day, paginate


def parse_period(text: str, field: str = "period") -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → (first day, last day) of that month; 422 naming ``field`` otherwise."""
    try:
        if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):  # ASCII digits, nothing more
            raise ValueError
        year_s, month_s = text.split("-")
        year, month = int(year_s), int(month_s)
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise RuleViolation.on(field, "must be a month as YYYY-MM") from exc
    return first, first.replace(day=calendar.monthrange(year, month)[1])


@allows(Role.admin)
def close_period(session: Session, actor: Actor, period: str, *, today: dt.date) -> ClosedPeriod:
    _first, last = parse_period(period)
    if last >= today:
        raise RuleViolation.on("period", f"{period} has not ended yet (today is {today})")
    established = established_on(session)
    if last < established:
        raise RuleViolation.on("period", f"{period} ended before the fund was established ({established})")
    # Serialise closes: the check and the insert must not interleave with another close.
    closed = last_closed_day(session)
    if closed is not None and last <= closed:
        raise Conflict(f"{period} is already closed (periods are closed up to {closed:%Y-%m})",
                       {"period": ["already closed"]})
    row = ClosedPeriod(period=period, last_day=last, closed_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "close", "period", last.year * 100 + last.month,
                 after={"period": period, "last_day": last.isoformat()})
    return row


@allows(Role.admin, Role.fund_manager, Role.auditor)
def list_periods(session: Session, actor: Actor, page: int, page_size: int, *,
                 count_limit: int | None = None) -> Page[ClosedPeriod]:
    return paginate(session, select(ClosedPeriod).order_by(ClosedPeriod.last_day.desc()), page, page_size,
                    count_limit=count_limit)
