"""The 12-month trend (the monthly report's trend chart and table, the staff console's dashboard): bridge lending
per month and the bridge principal outstanding at each month end, pool lending per month and the pool principal
outstanding at each month end.

:func:`trend_direct` is its definition, from the whole history (the fund ledger; ``pool_loans``,
``pool_repayments`` and ``pool_recoveries``): seven aggregates over whole tables, linear in the history.
:func:`trend` reads the same figures from the summaries (issue 13): the bridge side from ``fund_days`` (the
ledger's sums per value date and kind), the pool side from the ``lent_count`` / ``lent`` / ``returned`` columns
of ``pool_bank_months`` (the months before the last one) and ``pool_bank_days`` (the last month up to the date) —
a few hundred rows whatever the number of loans —, with this transaction's pending changes; while a summary
awaits a rebuild it is :func:`trend_direct`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, String, bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from bridgefund.db import money_sum
from bridgefund.figures.capture import current
from bridgefund.figures.read import pending_fund_days, pending_pool_days
from bridgefund.figures.store import FUND, POOL
from bridgefund.finance.money import ZERO
from bridgefund.models import (
    FundDay,
    FundLedgerEntry,
    LedgerKind,
    PoolBankDay,
    PoolBankMonth,
    PoolLoan,
    PoolRecovery,
    PoolRepayment,
    SummaryState,
)

#: Months in the trend chart and table.
TREND_MONTHS = 12

K = LedgerKind
E = FundLedgerEntry
CENT = Decimal("0.01")


def month_start(d: dt.date, back: int = 0) -> dt.date:
    """First day of the month ``back`` months before ``d``'s month."""
    index = d.year * 12 + d.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a date column, as SQL (the two dialects spell it differently)."""
    return _month_key(session.get_bind().dialect.name, column)


def _month_key(dialect: str, column: Any) -> ColumnElement[str]:
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def _money(value: Any) -> Decimal:
    """A sum read back from SQL as an exact amount: a Decimal or an integer, never a binary float (a float here
    would mean a sum lost its money type on the way; refused, as ``db.Money`` refuses one on the way in)."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        raise TypeError("binary floats are never money: a trend sum came back as a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _months(last: dt.date) -> list[dt.date]:
    return [month_start(last, back) for back in range(TREND_MONTHS - 1, -1, -1)]


def _key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _rows(months: list[dt.date], bridge_base: Decimal, bridge: dict[str, tuple[int, Decimal, Decimal]],
          pool_base: Decimal, pool: dict[str, tuple[int, Decimal, Decimal]]) -> list[dict[str, Any]]:
    """The 12 rows from the bases (outstanding before the first month) and each month's (count, amount, change)."""
    out = []
    bridge_out, pool_out = bridge_base, pool_base
    for first in months:
        key = _key(first)
        b, p = bridge.get(key), pool.get(key)
        bridge_out += b[2] if b else ZERO
        pool_out += p[2] if p else ZERO
        out.append({
            "month": key, "year": first.year, "month_number": first.month,
            "bridge_count": int(b[0]) if b else 0, "bridge_amount": _money(b[1]) if b else ZERO,
            "bridge_outstanding": _money(bridge_out),
            "pool_count": int(p[0]) if p else 0, "pool_amount": _money(p[1]) if p else ZERO,
            "pool_outstanding": _money(pool_out),
        })
    return out


def trend(session: Session, last: dt.date) -> list[dict[str, Any]]:
    """The 12 months ending with ``last``'s month (the last one up to ``last``): :func:`trend_direct`'s figures,
    from the summaries in two round trips (whether both are fresh; then one UNION of the sums)."""
    if not _both_fresh(session):
        return trend_direct(session, last)
    months = _months(last)
    start, last_month = months[0], months[-1]
    params = {"start": start, "last": last, "last_month": last_month, "last_key": _key(last_month)}
    rows = session.connection().execute(_summary_statement(session.get_bind().dialect.name), params)
    base = {"b": ZERO, "p": ZERO}
    sums: dict[str, dict[str, list[Any]]] = {"b": defaultdict(lambda: [0, ZERO, ZERO]),
                                             "p": defaultdict(lambda: [0, ZERO, ZERO])}
    for side, key, n, amount, delta in rows:
        if key == "":
            base[side] += _money(delta)
        else:
            row = sums[side][key]
            row[0] += int(n)
            row[1] += _money(amount)
            row[2] += _money(delta)
    # this transaction's changes, not in the rows until its commit
    for on, cols in pending_fund_days(session).items():
        delta = cols.get("disbursement", ZERO) - cols.get("principal_repaid", ZERO) - cols.get("write_off", ZERO)
        _add_pending(base, sums, "b", on, start, last, cols.get("disbursed_count", 0), cols.get("disbursement", ZERO),
                     delta)
    for (_bank, on), pool_change in pending_pool_days(session).items():
        _add_pending(base, sums, "p", on, start, last, pool_change.lent_count, pool_change.lent,
                     pool_change.lent - pool_change.returned)
    return _rows(months, base["b"], _tuples(sums["b"]), base["p"], _tuples(sums["p"]))


@functools.cache
def _summary_statement(dialect: str) -> Any:
    """The trend's sums from the summaries as one UNION, built once per dialect (bound parameters ``start``,
    ``last``, ``last_month`` and ``last_key``): rows of (side ``b``/``p``, month ``YYYY-MM`` or ``""`` for the
    outstanding before the first month, count, amount, change of the outstanding)."""
    day, m, d = FundDay.__table__.c, PoolBankMonth.__table__.c, PoolBankDay.__table__.c
    start, last = bindparam("start", type_=Date()), bindparam("last", type_=Date())
    last_month = bindparam("last_month", type_=Date())
    change = day.disbursement - day.principal_repaid - day.write_off
    fund_month, pool_month = _month_key(dialect, day.value_date), _month_key(dialect, m.month)
    zero = literal(0)
    return union_all(
        select(literal("b").label("side"), literal("").label("month"), zero.label("n"),
               money_sum(zero).label("amount"), money_sum(change).label("delta")).where(day.value_date < start),
        select(literal("b"), fund_month, func.coalesce(func.sum(day.disbursed_count), 0),
               money_sum(day.disbursement), money_sum(change))
        .where(day.value_date >= start, day.value_date <= last).group_by(fund_month),
        select(literal("p"), literal(""), zero, money_sum(zero), money_sum(m.lent - m.returned))
        .where(m.month < start),
        # the full months from the month rows, the last month (up to ``last``) from its day rows
        select(literal("p"), pool_month, func.coalesce(func.sum(m.lent_count), 0),
               money_sum(m.lent), money_sum(m.lent - m.returned))
        .where(m.month >= start, m.month < last_month).group_by(pool_month),
        select(literal("p"), bindparam("last_key", type_=String()), func.coalesce(func.sum(d.lent_count), 0),
               money_sum(d.lent), money_sum(d.lent - d.returned))
        .where(d.value_date >= last_month, d.value_date <= last),
    )


def _both_fresh(session: Session) -> bool:
    """``is_fresh`` of the fund and the pool summaries in one query (an ORM select: its autoflush runs first)."""
    stale = session.scalars(select(SummaryState.name).where(SummaryState.name.in_([FUND, POOL]))).first()
    tx = current(session)
    return stale is None and not (tx is not None and tx.rebuild_pool)


def _add_pending(base: dict[str, Decimal], sums: dict[str, dict[str, list[Any]]], side: str, on: dt.date,
                 start: dt.date, last: dt.date, n: int, amount: Decimal, delta: Decimal) -> None:
    if on < start:
        base[side] += delta
    elif on <= last:
        row = sums[side][_key(on)]
        row[0] += n
        row[1] += amount
        row[2] += delta


def _tuples(sums: dict[str, list[Any]]) -> dict[str, tuple[int, Decimal, Decimal]]:
    return {k: (v[0], v[1], v[2]) for k, v in sums.items()}


def trend_direct(session: Session, last: dt.date) -> list[dict[str, Any]]:
    """:func:`trend` from the whole history (its definition; 7 aggregates over whole tables): bridge lending per
    month from the fund ledger's disbursements, the outstanding change from disbursements − principal repaid −
    written off; pool lending per month from the loans' start dates, the outstanding change from principal lent
    − principal repaid (repayments with principal) − recovered, each on its own date."""
    months = _months(last)
    start = months[0]

    month = month_key(session, E.value_date)
    delta = case((E.kind == K.disbursement.value, E.amount),
                 (E.kind.in_([K.principal_repaid.value, K.write_off.value]), -E.amount), else_=0)
    bridge = {
        r.month: (r.count, r.amount, r.delta) for r in session.execute(
            select(month.label("month"),
                   func.count(case((E.kind == K.disbursement.value, E.id))).label("count"),
                   money_sum(case((E.kind == K.disbursement.value, E.amount), else_=0)).label("amount"),
                   money_sum(delta).label("delta"))
            .where(E.value_date >= start, E.value_date <= last).group_by(month))
    }
    bridge_base = _money(session.scalar(select(money_sum(delta)).where(E.value_date < start)))

    events = union_all(
        select(PoolLoan.start_date.label("d"), PoolLoan.principal.label("delta"),
               literal(1).label("new"), PoolLoan.principal.label("lent")),
        select(PoolRepayment.value_date, -PoolRepayment.principal, literal(0), literal(0))
        .where(PoolRepayment.principal > 0),
        select(PoolRecovery.value_date, -PoolRecovery.amount, literal(0), literal(0)),
    ).subquery()
    pmonth = month_key(session, events.c.d)
    pool = {
        r.month: (r.count, r.amount, r.delta) for r in session.execute(
            select(pmonth.label("month"), func.coalesce(func.sum(events.c.new), 0).label("count"),
                   money_sum(events.c.lent).label("amount"), money_sum(events.c.delta).label("delta"))
            .where(events.c.d >= start, events.c.d <= last).group_by(pmonth))
    }
    pool_base = _money(session.scalar(select(money_sum(events.c.delta)).where(events.c.d < start)))
    return _rows(months, bridge_base, bridge, pool_base, pool)


def pool_lending(session: Session, as_of: dt.date) -> tuple[int, Decimal, Decimal]:
    """(pool loans started, their principal, principal repaid and recovered) by ``as_of``, from the summaries
    (the months before ``as_of``'s month, then its days) with this transaction's pending changes."""
    m, d = PoolBankMonth.__table__.c, PoolBankDay.__table__.c
    first = as_of.replace(day=1)
    count, lent, returned = 0, ZERO, ZERO
    for n, a, r in session.connection().execute(union_all(
            select(func.coalesce(func.sum(m.lent_count), 0), money_sum(m.lent), money_sum(m.returned))
            .where(m.month < first),
            select(func.coalesce(func.sum(d.lent_count), 0), money_sum(d.lent), money_sum(d.returned))
            .where(d.value_date >= first, d.value_date <= as_of))):
        count, lent, returned = count + int(n), lent + a, returned + r
    for (_bank, day), change in pending_pool_days(session).items():
        if day <= as_of:
            count, lent, returned = count + change.lent_count, lent + change.lent, returned + change.returned
    return count, _money(lent), _money(returned)


def pool_lending_direct(session: Session, as_of: dt.date) -> tuple[int, Decimal, Decimal]:
    """:func:`pool_lending` from the books (its definition, as :func:`trend_direct` counts them)."""
    count, lent = session.execute(select(func.count(PoolLoan.id), money_sum(PoolLoan.principal))
                                  .where(PoolLoan.start_date <= as_of)).one()
    repaid = session.scalar(select(money_sum(PoolRepayment.principal))
                            .where(PoolRepayment.principal > 0, PoolRepayment.value_date <= as_of))
    recovered = session.scalar(select(money_sum(PoolRecovery.amount)).where(PoolRecovery.value_date <= as_of))
    return int(count), _money(lent), _money(repaid + recovered)
