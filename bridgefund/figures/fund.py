"""The fund's figures as of any date (no loops over rows).

:func:`fund_position` answers ``GET /fund`` and the monthly report. Every figure uses only ledger entries with
``value_date ≤ as_of`` and loan dates on or before ``as_of``, so a past date gives the same answer whenever it
is asked (unless a back-dated entry is added, which closing the month forbids).

It reads the per-day summary (``figures.read``): one query over at most one row per business day,
whatever the number of loans. :func:`fund_position_direct` is the same figures from the whole history (ledger
sums; loans repaid by ``as_of``; loans overdue on ``as_of`` with their outstanding principal) — the definition
the summary is checked against, and the answer while a summary awaits its rebuild.

:func:`cost_saved` sums each repaid loan's financing cost saved, fixed on the loan when it was repaid
(``services.bridge_loans.repay``), so a closed month's figure never changes whatever ``market_bridge_daily_rate``
becomes: kept per ``repaid_on`` in the day summary (``fund_days.financing_cost_saved``, issue 13), defined by
:func:`cost_saved_direct`.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, bindparam, case, cast, func, select, true
from sqlalchemy.orm import Session

from bridgefund.db import money_sum
from bridgefund.figures.read import (
    fund_totals,
    fund_totals_statement,
    is_fresh,
    pending_fund_days,
    with_pending_fund_days,
)
from bridgefund.figures.store import FUND
from bridgefund.finance import ratio as finance_ratio
from bridgefund.finance.money import ZERO
from bridgefund.models import BridgeLoan, FundDay, FundLedgerEntry, LedgerKind, SummaryState


def days_between(session: Session, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole days from ``earlier`` to ``later`` as an SQL integer expression (both dialects, no floats)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return cast(later - earlier, Integer)


def _sum_kind(kind: LedgerKind) -> ColumnElement[Any]:
    e = FundLedgerEntry
    return money_sum(case((e.kind == kind.value, e.amount), else_=0))


def yuan(v: Any) -> Decimal:
    """An aggregate typed ``Money`` (see :func:`bridgefund.db.money_sum`): Decimal yuan, or None for no rows."""
    if v is None:
        return ZERO
    if not isinstance(v, Decimal):  # pragma: no cover - a programming error: an untyped aggregate
        raise TypeError(f"untyped money aggregate: {v!r}")
    return v.quantize(Decimal("0.01"))


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The fund's ratios (utilization, turnover) carry four decimals (average days used: two), rounded half-up."""
    return finance_ratio(numerator, denominator, 4)


def cost_saved(session: Session, as_of: dt.date) -> dict[str, Decimal]:
    """The financing cost saved (融资成本节约, DOMAIN.md), yuan: ``financing_cost_saved`` over loans repaid on or
    before ``as_of``, ``financing_cost_saved_month`` over those repaid in ``as_of``'s month up to ``as_of`` — from
    the per-day summary (:func:`fund_figures`' statement), or :func:`cost_saved_direct` while it awaits a rebuild."""
    return {k: v for k, v in fund_figures(session, as_of).items() if k in _SAVED}


_SAVED = ("financing_cost_saved", "financing_cost_saved_month")


def cost_saved_direct(session: Session, as_of: dt.date) -> dict[str, Decimal]:
    """:func:`cost_saved` from every repaid loan (its definition; ``bridgefund summaries check`` compares)."""
    loan = BridgeLoan
    month_start = as_of.replace(day=1)
    total, month = session.execute(
        select(money_sum(loan.financing_cost_saved),
               money_sum(case((loan.repaid_on >= month_start, loan.financing_cost_saved), else_=0)))
        .where(loan.repaid_on <= as_of, loan.financing_cost_saved.is_not(None))
    ).one()
    return {"financing_cost_saved": yuan(total), "financing_cost_saved_month": yuan(month)}


@functools.cache
def _figures_statement() -> Any:
    """:func:`fund_figures` in one round trip, built once: the summary's sums up to ``as_of`` (the financing cost
    saved among them), the financing cost saved of ``as_of``'s month (its day rows from ``month_start``) and
    whether the summary awaits a rebuild (:func:`~bridgefund.figures.read.is_fresh`). Selecting the ORM entity's
    columns makes it an ORM statement, so the session's autoflush runs first, as it does for ``is_fresh``."""
    day = FundDay.__table__.c
    totals = fund_totals_statement().subquery("totals")
    month = (select(money_sum(day.financing_cost_saved).label("financing_cost_saved_month"))
             .where(day.value_date >= bindparam("month_start", type_=Date()),
                    day.value_date <= bindparam("as_of", type_=Date())).subquery("month"))
    stale = select(SummaryState.name).where(SummaryState.name == FUND).scalar_subquery()
    return select(totals, month, stale.label("summary_stale")).select_from(totals.join(month, true()))


def fund_figures(session: Session, as_of: dt.date) -> dict[str, Any]:
    """``GET /fund``'s figures: :func:`fund_position` and the financing cost saved — one statement over the
    per-day summary while it is fresh (issue 13: the cost saved is a summary column, no scan of the repaid
    loans), the whole-history queries (:func:`fund_position_direct`, :func:`cost_saved_direct`) while it is not."""
    month_start = as_of.replace(day=1)
    row = dict(session.execute(_figures_statement(), {"as_of": as_of, "month_start": month_start}).one()._mapping)
    month = row.pop("financing_cost_saved_month")
    if row.pop("summary_stale") is not None:
        return {**fund_position_direct(session, as_of), **cost_saved_direct(session, as_of)}
    pending = pending_fund_days(session)
    totals = with_pending_fund_days(session, as_of, row, pending)
    for day, cols in pending.items():
        if month_start <= day <= as_of:
            month += cols.get("financing_cost_saved", ZERO)
    saved = {"financing_cost_saved": yuan(totals.pop("financing_cost_saved")),
             "financing_cost_saved_month": yuan(month)}
    return {**_from_totals(as_of, totals), **saved}


def fund_position(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Every figure of ``GET /fund`` as of ``as_of`` (API.md, "The bridge-loan fund"), from the daily summary."""
    if not is_fresh(session, FUND):
        return fund_position_direct(session, as_of)
    return _from_totals(as_of, fund_totals(session, as_of))


def _from_totals(as_of: dt.date, t: dict[str, Any]) -> dict[str, Any]:
    m = {k.value: t[k.value] for k in LedgerKind}
    return _position(as_of, m, t["cash_delta"], disbursed_count=t["disbursed_count"],
                     enterprises=t["new_enterprises"], days_sum=t["days_used"], repaid_count=t["repaid_count"],
                     overdue_count=t["overdue_count"], overdue_amount=t["overdue_amount"])


def fund_position_direct(session: Session, as_of: dt.date) -> dict[str, Any]:
    """The figures of :func:`fund_position` from the whole history: three aggregate queries over every row."""
    e, loan = FundLedgerEntry, BridgeLoan
    sums = session.execute(
        select(
            *(_sum_kind(k).label(k.value) for k in LedgerKind),
            money_sum(e.cash_delta).label("cash"),
            func.count(case((e.kind == LedgerKind.disbursement.value, e.id))).label("disbursed_count"),
            func.count(func.distinct(case((e.kind == LedgerKind.disbursement.value, loan.enterprise_id))))
            .label("enterprises"),
        )
        .select_from(e).outerjoin(loan, loan.id == e.bridge_loan_id)
        .where(e.value_date <= as_of)
    ).one()._mapping
    m = {k.value: yuan(sums[k.value]) for k in LedgerKind}
    cash = yuan(sums["cash"])

    used = days_between(session, loan.repaid_on, loan.disbursed_on)
    days_sum, repaid_count = session.execute(
        select(func.coalesce(func.sum(used), 0), func.count(loan.id)).where(loan.repaid_on <= as_of)
    ).one()

    repaid_by = (
        select(e.bridge_loan_id, func.sum(e.amount).label("repaid"))
        .where(e.kind == LedgerKind.principal_repaid.value, e.value_date <= as_of)
        .group_by(e.bridge_loan_id).subquery()
    )
    overdue_count, overdue_amount = session.execute(
        select(func.count(loan.id), money_sum(loan.amount - func.coalesce(repaid_by.c.repaid, 0)))
        .select_from(loan).outerjoin(repaid_by, repaid_by.c.bridge_loan_id == loan.id)
        .where(loan.overdue_on(as_of, repaid_by.c.repaid))
    ).one()
    return _position(as_of, m, cash, disbursed_count=sums["disbursed_count"], enterprises=sums["enterprises"],
                     days_sum=days_sum, repaid_count=repaid_count, overdue_count=overdue_count,
                     overdue_amount=yuan(overdue_amount))


def _position(as_of: dt.date, m: dict[str, Decimal], cash: Decimal, *, disbursed_count: int, enterprises: int,
              days_sum: int, repaid_count: int, overdue_count: int, overdue_amount: Decimal) -> dict[str, Any]:
    capital = m["capital_in"] - m["capital_out"]
    outstanding = m["disbursement"] - m["principal_repaid"] - m["write_off"]
    average_days = finance_ratio(Decimal(int(days_sum)), Decimal(int(repaid_count)), 2)
    return {
        "as_of": as_of,
        "capital": capital,
        "capital_in": m["capital_in"],
        "capital_out": m["capital_out"],
        "cash_balance": cash,
        "outstanding_principal": outstanding,
        #: What a disbursement dated ``as_of`` could draw, judged on entries up to ``as_of``: the cash.
        "available": cash,
        "utilization": ratio(outstanding, capital),
        "fee_income": m["fee"],
        "penalty_income": m["penalty"],
        "losses": m["write_off"],
        "recoveries": m["recovery"],
        "principal_repaid": m["principal_repaid"],
        "cumulative_disbursed_amount": m["disbursement"],
        "cumulative_disbursed_count": int(disbursed_count),
        "enterprises_served": int(enterprises),
        "turnover": ratio(m["disbursement"], capital),
        "average_days_used": average_days,
        "repaid_count": int(repaid_count),
        "overdue_count": int(overdue_count),
        "overdue_amount": overdue_amount,
    }
