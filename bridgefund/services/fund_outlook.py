"""The cash forecast (``GET /fund/forecast``, DOMAIN.md "Cash forecast"): the fund's cash on each of the next N
days, from the books as they stand — what open loans bring back, what approved loans will take out."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bridgefund.authority import allows
from bridgefund.finance import Repayment, position
from bridgefund.finance.money import ZERO
from bridgefund.models import BridgeLoan, BridgeLoanStatus, Role
from bridgefund.services.actor import Actor
from bridgefund.services.bridge_loans import terms_of
from bridgefund.services.common import check_established, established_on
from bridgefund.services.fund import cash_balance

#: Longest forecast, days (API.md).
MAX_FORECAST_DAYS = 90
#: The statuses of loans that were disbursed (open on a past day, whatever they became since).
_LENT_ONCE = [s.value for s in (BridgeLoanStatus.disbursed, BridgeLoanStatus.defaulted, BridgeLoanStatus.repaid,
                                BridgeLoanStatus.written_off)]


@allows(Role.admin, Role.fund_manager, Role.auditor)
def forecast(session: Session, actor: Actor, *, start: dt.date | None, days: int, today: dt.date) -> dict[str, Any]:
    """The fund's cash on each day ``start`` … ``start + days − 1`` (DOMAIN.md, "Cash forecast").

    From the books as they stand at the end of ``base`` = the earlier of ``start`` and today (entries dated on or
    before it): the cash then, plus what each loan open then brings back on its due date (principal + fee due that
    day, after its repayments so far), minus each approved loan not yet disbursed, on its maturing loan's due date
    (on ``base`` when that date has passed). Planned capital out: none can be booked ahead (value dates are never in
    the future), so none is counted. Loans already overdue on ``base`` are not counted as coming in: when they pay is
    not known. Movements expected between ``base`` and ``start`` (a future ``start``) are in the opening cash.
    ``cash(d) = cash(d − 1) + expected_in(d) − expected_out(d)``, starting from ``opening_cash`` (the booked cash
    at the end of ``base``, what is still expected on ``base`` being that day's in and out); ``lowest`` is the
    first day of the lowest cash.
    """
    start = start or today
    check_established(start, established_on(session), "from")
    if not 1 <= days <= MAX_FORECAST_DAYS:
        raise ValueError(f"days must be 1…{MAX_FORECAST_DAYS}")  # the query schema refuses it first (422)
    base = min(start, today)
    end = start + dt.timedelta(days=days - 1)
    ins: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    outs: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in expected_in(session, base, end):
        ins[day] += amount
    for day, amount in expected_out(session, base, end):
        outs[day] += amount

    cash = cash_balance(session, base)
    day = base
    while day < start:  # a future start: what is expected before it is in its opening cash
        cash += ins[day] - outs[day]
        day += dt.timedelta(days=1)
    opening = cash
    items = []
    lowest: dict[str, Any] | None = None
    for n in range(days):
        day = start + dt.timedelta(days=n)
        cash = cash + ins[day] - outs[day]
        items.append({"date": day, "expected_in": ins[day], "expected_out": outs[day], "cash": cash})
        if lowest is None or cash < lowest["cash"]:
            lowest = {"date": day, "cash": cash}
    return {"from": start, "days": days, "books_as_of": base, "opening_cash": opening, "items": items,
            "lowest": lowest}


def expected_in(session: Session, base: dt.date, end: dt.date) -> list[tuple[dt.date, Decimal]]:
    """(due date, principal + fee due that day) of each loan open at the end of ``base`` and due in
    [``base``, ``end``]: disbursed by then, neither repaid nor written off by then; repayments dated after ``base``
    are not known yet."""
    loan = BridgeLoan
    loans = session.scalars(
        select(loan).options(selectinload(loan.repayments))
        # the status list lets the (status, due_date) index find the window's loans among millions
        .where(loan.status.in_(_LENT_ONCE), loan.due_date >= base, loan.due_date <= end, loan.disbursed_on <= base,
               or_(loan.repaid_on.is_(None), loan.repaid_on > base),
               or_(loan.written_off_on.is_(None), loan.written_off_on > base))
    ).all()
    out = []
    for ln in loans:
        assert ln.due_date is not None
        paid = [Repayment(r.value_date, r.amount) for r in ln.repayments if r.value_date <= base]
        due = position(terms_of(ln), paid, ln.due_date).amount_due
        if due > 0:
            out.append((ln.due_date, due))
    return out


def expected_out(session: Session, base: dt.date, end: dt.date) -> list[tuple[dt.date, Decimal]]:
    """(maturing loan's due date, or ``base`` once it has passed; amount) of each loan approved by the end of
    ``base`` and not disbursed by then, whose money is due out by ``end``."""
    loan = BridgeLoan
    loans = session.scalars(
        select(loan).options(selectinload(loan.approvals))
        .where(loan.maturing_due_date <= end,
               or_(loan.status == BridgeLoanStatus.approved.value, loan.disbursed_on > base))
    ).all()
    out = []
    for ln in loans:
        approved_on = max((a.decided_on for a in ln.approvals), default=None)
        if approved_on is None or approved_on > base:
            continue  # approved after base (a past start): not yet in the pipeline then
        out.append((max(ln.maturing_due_date, base), ln.amount))
    return out
