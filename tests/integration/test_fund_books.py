"""The fund's books on the real database: the money-out rule, ledger immutability, figures from SQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bridgefund.errors import InsufficientFunds, RuleViolation
from bridgefund.figures import fund as fund_figures
from bridgefund.models import FundLedgerEntry, LedgerKind
from bridgefund.services import fund
from bridgefund.services.actor import Actor

D = Decimal
ADMIN = Actor(id=None, username="admin", role="admin")
TODAY = dt.date(2020, 3, 31)


def day(n: int) -> dt.date:
    return dt.date(2020, 2, 1) + dt.timedelta(days=n)


def cap(db, amount: str, n: int, direction: str = "in") -> FundLedgerEntry:  # noqa: ANN001
    return fund.move_capital(db, ADMIN, amount=D(amount), value_date=day(n), direction=direction, note=None,
                             today=TODAY)


def test_headroom_is_the_lowest_balance_from_the_date_on(db):  # noqa: ANN001
    assert fund.cash_headroom(db, day(1)) == (D("0.00"), day(1))
    cap(db, "100.00", 1)
    cap(db, "60.00", 5, "out")
    cap(db, "30.00", 8)
    cap(db, "50.00", 9, "out")  # balances: d1 100, d5 40, d8 70, d9 20
    assert fund.cash_headroom(db, day(0)) == (D("0.00"), day(0))
    assert fund.cash_headroom(db, day(2)) == (D("20.00"), day(9))
    assert fund.cash_headroom(db, day(6)) == (D("20.00"), day(9))
    assert fund.cash_headroom(db, day(9)) == (D("20.00"), day(9))
    assert fund.cash_headroom(db, day(20)) == (D("20.00"), day(20))
    with pytest.raises(InsufficientFunds):
        cap(db, "20.01", 3, "out")
    cap(db, "20.00", 3, "out")
    assert fund.cash_balance(db, day(30)) == D("0.00")


def test_capital_refuses_future_and_non_positive(db):  # noqa: ANN001
    with pytest.raises(RuleViolation):
        fund.move_capital(db, ADMIN, amount=D("1.00"), value_date=TODAY + dt.timedelta(days=1), direction="in",
                          note=None, today=TODAY)
    with pytest.raises(RuleViolation):
        cap(db, "0.00", 1)


def test_ledger_entries_are_immutable_in_the_orm_and_the_database(db):  # noqa: ANN001
    entry = cap(db, "100.00", 1)
    db.flush()
    entry.note = "changed"
    with pytest.raises(RuntimeError):
        db.flush()
    db.rollback()
    entry = cap(db, "100.00", 1)
    db.flush()
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("UPDATE fund_ledger_entries SET amount = 1 WHERE id = :i"), {"i": entry.id})
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("DELETE FROM fund_ledger_entries WHERE id = :i"), {"i": entry.id})


def test_the_database_ties_cash_delta_to_the_kind(db):  # noqa: ANN001
    bad = FundLedgerEntry(kind=LedgerKind.capital_in.value, amount=D("5.00"), cash_delta=D("-5.00"),
                          value_date=day(1))
    with pytest.raises(DBAPIError), db.begin_nested():
        db.add(bad)
        db.flush()


def test_fund_position_on_an_empty_fund(db):  # noqa: ANN001
    f = fund_figures.fund_position(db, TODAY)
    assert f["capital"] == D("0.00") and f["utilization"] == D("0.0000") and f["average_days_used"] == D("0.00")
    assert f["cumulative_disbursed_count"] == 0 and f["overdue_amount"] == D("0.00")
