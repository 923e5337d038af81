"""Reading the summaries: the committed rows plus this transaction's pending deltas (computed, not written),
so a figure read in the middle of a change sees the change. Reads never write or flush: they query through the
session, whose autoflush makes the transaction's pending ORM changes visible (and captured) first.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, bindparam, func, select, type_coerce, union_all
from sqlalchemy.orm import Session

from bridgefund.db import money_sum
from bridgefund.figures.capture import current, pending
from bridgefund.figures.facts import DEFAULT_CLAIM_AFTER_DAYS
from bridgefund.figures.store import FUND_COLUMNS, MONEY_COLUMNS, POOL, POOL_MONEY_COLUMNS
from bridgefund.finance.money import ZERO
from bridgefund.finance.profiles import (
    PoolDay,
)
from bridgefund.models import (
    FundDay,
    PoolBankDay,
    PoolBankMonth,
    PoolSettings,
    SummaryState,
)


def is_fresh(session: Session, name: str) -> bool:
    """False while the summary set ``name`` awaits a rebuild (figures then use the whole-history queries),
    or — for the pool — while this transaction changed ``claim_after_days_overdue`` (rebuilt at its commit).

    The query goes through the session (an ORM select), so its autoflush captures this transaction's pending
    changes first: the read functions below, always asked after this one, see them."""
    stale_row = session.scalar(select(SummaryState.name).where(SummaryState.name == name))
    tx = current(session)
    if name == POOL and tx is not None and tx.rebuild_pool:
        return False
    return stale_row is None


def pool_summary_serves(session: Session, claim_after_days: int) -> bool:
    """:func:`is_fresh` for the pool and the summary built for ``claim_after_days`` (the stored settings'), in one
    round trip (two before; issue 16). Through the session, so its autoflush runs first, as for ``is_fresh``."""
    stale = select(SummaryState.name).where(SummaryState.name == POOL).scalar_subquery()
    stored = select(PoolSettings.claim_after_days_overdue).limit(1).scalar_subquery()
    stale_row, stored_days = session.execute(select(stale, stored)).one()
    tx = current(session)
    if stale_row is not None or (tx is not None and tx.rebuild_pool):
        return False
    return claim_after_days == (DEFAULT_CLAIM_AFTER_DAYS if stored_days is None else int(stored_days))


def _pending_for_read(session: Session) -> tuple[dict[dt.date, dict[str, Any]], dict[tuple[int, dt.date], PoolDay]]:
    """This transaction's deltas as captured so far (computed, nothing written, nothing flushed)."""
    tx = current(session)
    return pending(session, tx) if tx else ({}, {})


@functools.cache
def _fund_totals_statement() -> Any:
    """The sums of :func:`fund_totals`, built once: constructing its 16 typed SUMs was a third of ``GET /fund``'s
    time (issue 16); the date is a bound parameter."""
    table = FundDay.__table__
    return (select(*(_sum(table.c[c]).label(c) for c in FUND_COLUMNS))
            .where(table.c.value_date <= bindparam("as_of", type_=Date())))


def fund_totals_statement() -> Any:
    """The one statement of :func:`fund_totals` (bound parameter ``as_of``), for callers that read more with it."""
    return _fund_totals_statement()


def fund_totals(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Σ of every :class:`FundDay` column over the days ≤ ``as_of``, this transaction's changes included."""
    row = session.connection().execute(_fund_totals_statement(), {"as_of": as_of}).one()._mapping
    return with_pending_fund_days(session, as_of, dict(row))


def pending_fund_days(session: Session) -> dict[dt.date, dict[str, Any]]:
    """This transaction's pending :class:`FundDay` deltas per date (computed, nothing written)."""
    return _pending_for_read(session)[0]


def pending_pool_days(session: Session) -> dict[tuple[int, dt.date], PoolDay]:
    """This transaction's pending pool deltas per (bank, date) (computed, nothing written)."""
    return _pending_for_read(session)[1]


def with_pending_fund_days(session: Session, as_of: dt.date, totals: dict[str, Any],
                           pending: dict[dt.date, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``totals`` (committed :class:`FundDay` sums up to ``as_of``) plus this transaction's pending days
    (``pending``: those already computed by :func:`pending_fund_days`)."""
    for day, cols in (pending_fund_days(session) if pending is None else pending).items():
        if day <= as_of:
            for c, v in cols.items():
                totals[c] += v
    return totals


def _sum(column: Any) -> Any:
    """``COALESCE(SUM(column), 0)`` typed like the column: yuan for money (stored as fen), int for counts."""
    if column.name in MONEY_COLUMNS + POOL_MONEY_COLUMNS:
        return money_sum(column)
    return type_coerce(func.coalesce(func.sum(column), 0), BigInteger())


def fund_days(session: Session) -> list[tuple[dt.date, Decimal]]:
    """(date, Σ of the day's signed entries) for every date with ledger entries, oldest first (pending included)."""
    table = FundDay.__table__
    days = {d: v for d, v in session.connection().execute(
        select(table.c.value_date, table.c.cash_delta).where(table.c.entry_count != 0))}
    for day, cols in _pending_for_read(session)[0].items():
        if "cash_delta" in cols or "entry_count" in cols:
            days[day] = days.get(day, ZERO) + cols.get("cash_delta", ZERO)
    return sorted(days.items())


def cash_before(session: Session, days: Sequence[dt.date]) -> dict[dt.date, Decimal]:
    """The fund's cash at the end of the day before each of ``days``: one sum up to the earliest of them and the
    few day rows between the earliest and the latest (pending changes included)."""
    if not days:
        return {}
    days = sorted(set(days))
    table = FundDay.__table__.c
    conn = session.connection()
    base = conn.scalar(select(_sum(table.cash_delta)).where(table.value_date < days[0]))
    between = list(conn.execute(select(table.value_date, table.cash_delta)
                                .where(table.value_date >= days[0], table.value_date < days[-1])))
    for day, cols in _pending_for_read(session)[0].items():
        if "cash_delta" in cols:
            if day < days[0]:
                base += cols["cash_delta"]
            elif day < days[-1]:
                between.append((day, cols["cash_delta"]))
    return {d: base + sum((v for day, v in between if day < d), ZERO) for d in days}


#: Up to this many banks, :func:`pool_bank_totals` narrows its statement to them; past it, it reads every bank's.
FEW_BANKS = 8


def pool_bank_totals(session: Session, as_of: dt.date, bank_ids: Iterable[int] | None, *,
                     include_pending: bool = True) -> dict[int, PoolDay]:
    """Each bank's outstanding and non-performing principal on ``as_of``: Σ of the months before ``as_of``'s
    month plus the days of its month up to ``as_of`` (≤ 60 + 31 rows a bank for five years of business)."""
    days, months = PoolBankDay.__table__.c, PoolBankMonth.__table__.c
    first = as_of.replace(day=1)
    ids = None if bank_ids is None else set(bank_ids)
    parts = [
        select(months.bank_id, _sum(months.outstanding), _sum(months.npl_principal))
        .where(months.month < first).group_by(months.bank_id),
        select(days.bank_id, _sum(days.outstanding), _sum(days.npl_principal))
        .where(days.value_date >= first, days.value_date <= as_of).group_by(days.bank_id),
    ]
    if ids is not None and len(ids) <= FEW_BANKS:
        parts = [stmt.where(column.in_(sorted(ids))) for stmt, column in zip(parts, (months.bank_id, days.bank_id),
                                                                               strict=True)]
    out: dict[int, PoolDay] = {}
    # one round trip for both parts (issue 16); the money columns keep their type through UNION ALL. For many banks
    # (a list of every bank: the dashboard, GET /banks) every bank's row is read and the others dropped here: the
    # same rows, without an IN list of dozens of parameters to bind and plan (5.8 → 3.6 ms for 50 banks at 10⁶)
    for bank_id, outstanding, npl in session.connection().execute(union_all(*parts)):
        if ids is None or bank_id in ids:
            out[bank_id] = out.get(bank_id, PoolDay()) + PoolDay(outstanding, npl)
    if include_pending:
        for (bank_id, day), change in _pending_for_read(session)[1].items():
            if day <= as_of and (ids is None or bank_id in ids):
                out[bank_id] = out.get(bank_id, PoolDay()) + change
    return out


def pool_bank_days(session: Session, bank_id: int, *, include_pending: bool = True) -> dict[dt.date, Decimal]:
    """The bank's change of outstanding principal per date (dates with no change left out)."""
    days = PoolBankDay.__table__.c
    out = {d: v for d, v in session.connection().execute(
        select(days.value_date, days.outstanding).where(days.bank_id == bank_id, days.outstanding != 0))}
    if include_pending:
        for (bank, day), change in _pending_for_read(session)[1].items():
            if bank == bank_id and change.outstanding:
                out[day] = out.get(day, ZERO) + change.outstanding
    return {d: v.quantize(Decimal("0.01")) for d, v in out.items() if v}
