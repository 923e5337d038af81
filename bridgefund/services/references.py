"""Reference numbers: ``BL-2020-000001`` (bridge loans), ``PL-…`` (pool loans), ``CL-…`` (claims).

Each prefix numbers its records from 1 within a year (the year of submission, of the loan's start, of the
claim's date), six digits wide. One function hands out every number, so the three series follow one rule:

* **A counter row per series and year** (``reference_counters``, migration ``0016_perf``): taking numbers is one
  ``UPDATE … SET last_no = last_no + n RETURNING last_no`` (the year's first number: an ``INSERT … ON CONFLICT DO
  UPDATE`` starting after the highest number already stored). The row lock it takes orders two transactions that
  number in the same series and year, and only them, until the first commits — no advisory lock, no ``MAX`` over
  the series (issue 16: those serialised every submission of a year behind a read of the whole year's index).
* **Gapless and transactional.** The counter is written in the transaction that stores the record: a rolled-back
  transaction gives its numbers back. The unique constraint on ``reference`` stays as the safety net.
* **In bulk.** :func:`reserve` takes ``n`` consecutive numbers in one statement (a bulk import numbers thousands of
  loans without a query each).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bridgefund.models import BridgeLoan, Claim, PoolLoan, ReferenceCounter


def _last_bridge_loan(session: Session, year: int) -> int:
    # bridge loans keep the number as a column (uq_bridge_loans_reference_year_no): an index lookup
    return session.scalar(select(func.max(BridgeLoan.reference_no)).where(BridgeLoan.reference_year == year)) or 0


def _last_by_reference(model: type[PoolLoan] | type[Claim], prefix: str) -> Callable[[Session, int], int]:
    def last(session: Session, year: int) -> int:
        head = f"{prefix}-{year}-"
        found = session.scalar(select(func.max(model.reference)).where(model.reference.like(head + "%")))
        return int(found[len(head):]) if found else 0

    return last


#: Prefix → the series' highest stored number in a year (read once per series and year, when its counter row is
#: first made; the migration fills the rows of the years already stored).
SERIES: dict[str, Callable[[Session, int], int]] = {
    "BL": _last_bridge_loan,
    "PL": _last_by_reference(PoolLoan, "PL"),
    "CL": _last_by_reference(Claim, "CL"),
}

_COUNTERS = ReferenceCounter.__table__
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def reserve(session: Session, prefix: str, year: int, count: int = 1) -> int:
    """Take ``count`` consecutive numbers of ``prefix``'s series in ``year``; return the first."""
    if count < 1:
        raise ValueError("count must be at least 1")
    last = SERIES[prefix]  # an unknown prefix fails before anything is written
    c = _COUNTERS.c
    bumped = session.scalar(update(_COUNTERS).where(c.series == prefix, c.year == year)
                            .values(last_no=c.last_no + count).returning(c.last_no))
    if bumped is None:  # the year's first number: start after what is stored (two first takers meet in ON CONFLICT)
        insert = _INSERTS[session.get_bind().dialect.name](_COUNTERS)
        bumped = session.scalar(
            insert.values(series=prefix, year=year, last_no=last(session, year) + count)
            .on_conflict_do_update(index_elements=[c.series, c.year], set_={"last_no": c.last_no + count})
            .returning(c.last_no))
    return bumped - count + 1


def next_number(session: Session, prefix: str, year: int) -> int:
    """The next number of ``prefix``'s series in ``year`` (see the module docstring for how it is serialised)."""
    return reserve(session, prefix, year)


def next_reference(session: Session, prefix: str, year: int) -> str:
    """``PL-2020-000123``: the next reference of ``prefix``'s series in ``year``."""
    return format_reference(prefix, year, next_number(session, prefix, year))
