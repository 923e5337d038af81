"""The summary tables' columns, and adding deltas to their rows (``models.summary``).

A delta is a dict ``column → amount`` per date (fund) or a :class:`PoolDay` per (bank, date) (pool);
:func:`upsert_fund` / :func:`upsert_pool` add them to the stored rows, one executemany per table in a fixed
order (by date, then by bank and date), so two transactions never wait for each other's rows in opposite
orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from bridgefund.finance.profiles import (
    BridgeDay,
    PoolDay,
)
from bridgefund.models import (
    FundDay,
    LedgerKind,
    PoolBankDay,
    PoolBankMonth,
)

FUND, POOL = "fund", "pool"

MONEY_COLUMNS = ("capital_in", "capital_out", "disbursement", "principal_repaid", "fee", "penalty", "write_off",
                 "recovery", "cash_delta", "overdue_amount", "financing_cost_saved")
COUNT_COLUMNS = ("entry_count", "disbursed_count", "new_enterprises", "repaid_count", "days_used", "overdue_count")
FUND_COLUMNS = MONEY_COLUMNS + COUNT_COLUMNS
#: The pool summaries' columns: the :class:`PoolDay` fields.
POOL_COLUMNS = tuple(f.name for f in fields(PoolDay))
POOL_MONEY_COLUMNS = ("outstanding", "npl_principal", "lent", "returned")


def add(target: dict[str, Any], column: str, value: Any) -> None:
    target[column] = target.get(column, 0) + value


def add_entries(day: dict[str, Any], kind: str, amount: Decimal, count: int) -> None:
    """``count`` ledger entries of ``kind`` totalling ``amount`` on one value date."""
    add(day, kind, amount)
    add(day, "cash_delta", amount * LedgerKind(kind).sign)
    add(day, "entry_count", count)
    if kind == LedgerKind.disbursement.value:
        add(day, "disbursed_count", count)


def add_figures(day: dict[str, Any], change: BridgeDay) -> None:
    """A change of a bridge loan's dated figures (the :class:`BridgeDay` fields are ``fund_days`` columns)."""
    for f in fields(change):
        add(day, f.name, getattr(change, f.name))


def _insert_for(conn: Connection):  # noqa: ANN202 - the dialect's INSERT with ON CONFLICT
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _upsert(conn: Connection, table: Any, keys: Sequence[str], columns: Sequence[str],
            rows: list[dict[str, Any]]) -> None:
    """Add ``rows`` to ``table`` (insert, or add to the existing row with the same keys), in the given order:
    one executemany, so the rows are locked in that order."""
    if not rows:
        return
    stmt = _insert_for(conn)(table)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys], set_={c: table.c[c] + stmt.excluded[c] for c in columns}), rows)


def upsert_fund(conn: Connection, fund: dict[dt.date, dict[str, Any]]) -> None:
    rows = [{"value_date": day, **{c: fund[day].get(c, 0) for c in FUND_COLUMNS}} for day in sorted(fund)]
    _upsert(conn, FundDay.__table__, ["value_date"], FUND_COLUMNS, rows)


def upsert_pool(conn: Connection, pool: dict[tuple[int, dt.date], PoolDay]) -> None:
    months: dict[tuple[int, dt.date], PoolDay] = {}
    for (bank_id, day), change in pool.items():
        key = (bank_id, day.replace(day=1))
        months[key] = months.get(key, PoolDay()) + change
    for table, changes, date_column in ((PoolBankDay.__table__, pool, "value_date"),
                                        (PoolBankMonth.__table__, months, "month")):
        rows = [{"bank_id": bank_id, date_column: day,
                 **{c: getattr(changes[(bank_id, day)], c) for c in POOL_COLUMNS}} for bank_id, day in sorted(changes)]
        _upsert(conn, table, ["bank_id", date_column], POOL_COLUMNS, rows)
