"""Rebuilding the summaries from the books (``bridgefund summaries rebuild``, a migration's stale sets).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, delete, func, select, type_coerce
from sqlalchemy.orm import Session

from bridgefund.db import Money
from bridgefund.figures.capture import forget
from bridgefund.figures.facts import bridge_dates, claim_after_days, pool_dates, pool_fact_queries
from bridgefund.figures.store import FUND, POOL, add, add_entries, add_figures, upsert_fund, upsert_pool
from bridgefund.finance.profiles import (
    PoolDay,
    bridge_deltas,
    pool_deltas,
)
from bridgefund.models import (
    BridgeLoan,
    FundDay,
    FundLedgerEntry,
    LedgerKind,
    PoolBankDay,
    PoolBankMonth,
    PoolLoan,
    SummaryState,
)


def stale(session: Session) -> list[str]:
    """The summary sets awaiting a rebuild."""
    return list(session.scalars(select(SummaryState.name).order_by(SummaryState.name)))


def mark_stale(session: Session, name: str, reason: str) -> None:
    if session.get(SummaryState, name) is None:
        session.add(SummaryState(name=name, reason=reason[:200]))
        session.flush()


def rebuild(session: Session, names: Iterable[str] = (FUND, POOL), *, echo: Any = None) -> dict[str, float]:
    """Recompute the summary sets from the books, in this transaction; returns seconds per set.

    On PostgreSQL the summary tables are locked (``EXCLUSIVE``: reads go on, writers wait for the commit), so
    a change committed meanwhile is either in what the rebuild reads or added after it, never lost or doubled.
    Loans are streamed in id order; memory stays bounded by the per-date totals.
    """
    session.flush()
    forget(session)
    conn = session.connection()
    timings: dict[str, float] = {}
    for name in names:
        started = time.perf_counter()
        tables = [FundDay.__table__] if name == FUND else [PoolBankDay.__table__, PoolBankMonth.__table__]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"LOCK TABLE {', '.join(t.name for t in tables)} IN EXCLUSIVE MODE")
        for table in tables:
            conn.execute(delete(table))
        if name == FUND:
            upsert_fund(conn, _rebuild_fund(conn))
        else:
            upsert_pool(conn, _rebuild_pool(conn))
        conn.execute(delete(SummaryState.__table__).where(SummaryState.__table__.c.name == name))
        timings[name] = time.perf_counter() - started
        if echo:
            echo(f"rebuilt the {name} summary in {timings[name]:.1f} s")
    session.expire_all()
    return timings


def _stream(conn: Connection, stmt: Any) -> Iterator[Any]:
    """Rows in batches through a server-side cursor (the options go on the statement, not the connection)."""
    return conn.execute(stmt.execution_options(stream_results=True, yield_per=5000))


def _rebuild_fund(conn: Connection) -> dict[dt.date, dict[str, Any]]:
    fund: dict[dt.date, dict[str, Any]] = defaultdict(dict)
    e = FundLedgerEntry.__table__.c
    for day, kind, amount, count in conn.execute(
            select(e.value_date, e.kind, type_coerce(func.sum(e.amount), Money()), func.count())
            .group_by(e.value_date, e.kind)):
        add_entries(fund[day], kind, amount, int(count))
    loan = BridgeLoan.__table__.c
    firsts = (select(func.min(loan.disbursed_on).label("d")).where(loan.disbursed_on.is_not(None))
              .group_by(loan.enterprise_id).subquery())
    for day, count in conn.execute(select(firsts.c.d, func.count()).group_by(firsts.c.d)):
        add(fund[day], "new_enterprises", int(count))
    # Every loan's contribution, streamed in id order next to its principal repayments (also in loan id order).
    paid_rows = _stream(conn, select(e.bridge_loan_id, e.value_date, e.amount)
                        .where(e.kind == LedgerKind.principal_repaid.value).order_by(e.bridge_loan_id))
    paid = _grouped(paid_rows)
    loans = _stream(conn, select(loan.id, loan.amount, loan.disbursed_on, loan.due_date, loan.repaid_on,
                                 loan.written_off_on, loan.financing_cost_saved)
                    .where(loan.disbursed_on.is_not(None)).order_by(loan.id))
    for row in loans:
        for day, change in bridge_deltas(bridge_dates(row, paid.take(row.id))).items():
            add_figures(fund[day], change)
    return {d: c for d, c in fund.items() if any(c.values())}


def _rebuild_pool(conn: Connection) -> dict[tuple[int, dt.date], PoolDay]:
    after_days = claim_after_days(conn)
    streams = {name: _grouped(_stream(conn, stmt.order_by(stmt.selected_columns[0])))
               for name, stmt in pool_fact_queries().items()}
    loan = PoolLoan.__table__.c
    pool: dict[tuple[int, dt.date], PoolDay] = {}
    for row in _stream(conn, select(loan.id, loan.bank_id, loan.principal, loan.start_date, loan.written_off_on,
                                    loan.written_off_principal).order_by(loan.id)):
        dates = pool_dates(row, {name: stream.take(row.id) for name, stream in streams.items()})
        for day, change in pool_deltas(dates, after_days).items():
            pool[(row.bank_id, day)] = pool.get((row.bank_id, day), PoolDay()) + change
    return {k: v for k, v in pool.items() if v}


class _grouped:  # noqa: N801 - used like a function
    """Rows ``(loan_id, *rest)`` ordered by loan id, handed out one loan at a time as the loans stream by."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, loan_id: int) -> list[tuple[Any, ...]]:
        out = []
        while self._next is not None and self._next[0] <= loan_id:
            if self._next[0] == loan_id:
                out.append(tuple(self._next[1:]))
            self._next = next(self._rows, None)
        return out
