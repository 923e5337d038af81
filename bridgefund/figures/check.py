"""Checking the summaries against the whole-history definitions (``bridgefund summaries check``): the fund's
figures and financing cost saved, each bank's pool figures, and the pool lending the 12-month trend reads
(``figures.trend``) on each date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.figures import fund, pool, trend
from bridgefund.figures.facts import claim_after_days
from bridgefund.finance.money import ZERO
from bridgefund.models import (
    FundLedgerEntry,
    PoolInstallment,
    PoolLoan,
)


def summary_differences(session: Session, dates: Iterable[dt.date]) -> list[str]:
    """Differences between the summaries and the whole-history definitions on ``dates`` (empty: they agree)."""
    problems = oldest_unpaid_differences(session)
    after_days = claim_after_days(session.connection())
    for day in dates:
        fast, slow = fund.fund_position(session, day), fund.fund_position_direct(session, day)
        problems += [f"{day} fund {k}: summary {fast[k]} != books {slow[k]}" for k in slow if fast[k] != slow[k]]
        fast, slow = fund.cost_saved(session, day), fund.cost_saved_direct(session, day)
        problems += [f"{day} fund {k}: summary {fast[k]} != books {slow[k]}" for k in slow if fast[k] != slow[k]]
        # the trend's pool side (its bridge side is the fund's disbursed count and amount, repaid and written off)
        fast_l, slow_l = trend.pool_lending(session, day), trend.pool_lending_direct(session, day)
        if fast_l != slow_l:
            problems.append(f"{day} pool lending (count, lent, returned): summary {fast_l} != books {slow_l}")
        fast_b = pool.bank_pool_figures(session, day, None, after_days)
        slow_b = pool.bank_pool_figures_direct(session, day, None, after_days)
        for bank_id in fast_b.keys() | slow_b.keys():
            f = fast_b.get(bank_id, pool.BankPoolFigures(ZERO, ZERO))
            s = slow_b.get(bank_id, pool.BankPoolFigures(ZERO, ZERO))
            if f != s:
                problems.append(f"{day} pool bank {bank_id}: summary {f} != books {s}")
    return problems


def check_dates(session: Session, today: dt.date) -> list[dt.date]:
    """Every month end from the first dated row of the books to today, and today (for ``summaries check``)."""
    first = min((d for d in (session.scalar(select(func.min(FundLedgerEntry.value_date))),
                             session.scalar(select(func.min(PoolLoan.start_date)))) if d is not None),
                default=None)
    if first is None:
        return [today]
    out, month = [], first.replace(day=1)
    while month <= today:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        out.append(following - dt.timedelta(days=1))
        month = following
    return [*out, today]


def oldest_unpaid_differences(session: Session) -> list[str]:
    """Pool loans whose ``oldest_unpaid_due`` is not the earliest due date of their unsettled installments (the
    claim-eligible loans are read from it)."""
    books = (select(func.min(PoolInstallment.due_date))
             .where(PoolInstallment.loan_id == PoolLoan.id, PoolInstallment.settled_on.is_(None))
             .correlate(PoolLoan).scalar_subquery())
    rows = session.execute(select(PoolLoan.reference, PoolLoan.oldest_unpaid_due, books)
                           .where(PoolLoan.oldest_unpaid_due.is_distinct_from(books)).order_by(PoolLoan.id))
    return [f"pool loan {ref} oldest unpaid due: stored {kept} != installments {actual}" for ref, kept, actual in rows]
