"""Reference numbers: ``BL-2020-000001`` (bridge loans), ``PL-…`` (pool loans), ``CL-…`` (claims).

Each prefix numbers its records from 1 within a year (the year of submission, of the loan's start, of the
claim's date), six digits wide. One function hands out every number, so the three series follow one rule:

* **Serialised per series and year.** The first number of a transaction takes a transaction-scoped advisory
  lock on PostgreSQL (held to the commit; SQLite has a single writer), then reads the series' last number.
  The unique constraint on ``reference`` stays as the safety net.
* **Counted in the transaction.** Later numbers of the same transaction come from a counter kept in the
  session (a bulk import numbers thousands of loans without a query each); a new transaction starts again
  from the database.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.models import BridgeLoan, Claim, PoolLoan


def _last_bridge_loan(session: Session, year: int) -> int:
    # bridge loans keep the number as a column (uq_bridge_loans_reference_year_no): an index lookup
    return session.scalar(select(func.max(BridgeLoan.reference_no)).where(BridgeLoan.reference_year == year)) or 0


def _last_by_reference(model: type[PoolLoan] | type[Claim], prefix: str) -> Callable[[Session, int], int]:
    def last(session: Session, year: int) -> int:
        head = f"{prefix}-{year}-"
        found = session.scalar(select(func.max(model.reference)).where(model.reference.like(head + "%")))
        return int(found[len(head):]) if found else 0

    return last


#: Prefix → (key of its PostgreSQL advisory lock, the series' last number in a year).
SERIES: dict[str, tuple[int, Callable[[Session, int], int]]] = {
    "BL": (0x424C, _last_bridge_loan),
    "PL": (0x504C, _last_by_reference(PoolLoan, "PL")),
    "CL": (0x434C, _last_by_reference(Claim, "CL")),
}

_INFO_TXN, _INFO_COUNTERS = "bridgefund.references.txn", "bridgefund.references"


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def next_number(session: Session, prefix: str, year: int) -> int:
    """The next number of ``prefix``'s series in ``year`` (see the module docstring for how it is serialised)."""
    lock_key, last = SERIES[prefix]
    session.connection()  # the transaction has begun (its identity keys the counters)
    txn = session.get_transaction()
    if session.info.get(_INFO_TXN) is not txn:  # a new transaction: counters start from the database
        session.info[_INFO_TXN], session.info[_INFO_COUNTERS] = txn, {}
    counters: dict[tuple[str, int], int] = session.info[_INFO_COUNTERS]
    key = (prefix, year)
    if key not in counters:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(lock_key, year)))
        counters[key] = last(session, year)
    counters[key] += 1
    return counters[key]


def next_reference(session: Session, prefix: str, year: int) -> str:
    """``PL-2020-000123``: the next reference of ``prefix``'s series in ``year``."""
    return format_reference(prefix, year, next_number(session, prefix, year))
