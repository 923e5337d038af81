"""Races on the bridge-loan fund with real threads, separate connections and committed transactions.

PostgreSQL serialises them with ``SELECT … FOR UPDATE`` on the fund row and the loan row; SQLite (a temporary
file database here) with ``BEGIN IMMEDIATE``. Either way: the fund is never overdrawn, a loan is disbursed once,
one of two racing transitions wins and the other answers 409.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent, BridgeLoan, BridgeRepayment, FundLedgerEntry
from bridgefund.services import bridge_loans, fund
from bridgefund.services.actor import SYSTEM
from tests.bridge_support import check_invariants
from tests.conftest import Factory
from tests.race_support import actor_of as _actor
from tests.race_support import race as _race

D = Decimal
DAY = dt.date(2020, 2, 10)


@pytest.fixture
def world(real_db, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    session = real_db.extensions["bridgefund.db"].sessionmaker()
    f = Factory(real_db, session)
    bank = f.make_bank()
    w = {"app": real_db, "session": session, "factory": f, "bank": bank,
         "li": f.make_user("fund_manager"), "wang": f.make_user("fund_manager"),
         "officer": f.make_user("bank_officer", bank)}
    yield w
    session.close()


def _capital(w: dict, amount: str) -> None:
    admin = w["factory"].make_user("admin")
    fund.move_capital(w["session"], _actor(admin), amount=D(amount), value_date=dt.date(2020, 2, 7),
                      direction="in", note=None, today=dt.date(2020, 3, 31))
    w["session"].commit()


def _loan(w: dict, amount: str, *, approve: bool = True) -> int:
    s, f = w["session"], w["factory"]
    ent = f.make_enterprise()
    loan = bridge_loans.submit(
        s, SYSTEM, enterprise_id=ent.id, bank_id=w["bank"].id, amount=D(amount), term_days=10,
        maturing_loan={"contract_no": "HT", "amount": D(amount), "due_date": DAY},
        renewal={"amount": D(amount) * 2, "expected_date": DAY}, today=DAY, submitted_on=DAY - dt.timedelta(days=1))
    if approve:
        bridge_loans.approve(s, _actor(w["li"]), loan.id)
        if loan.status == "submitted":
            bridge_loans.approve(s, _actor(w["wang"]), loan.id)
    s.commit()
    return loan.id




def _count(w: dict, model: Any, *where: Any) -> int:
    s = w["session"]
    s.expire_all()
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_many_disbursements_against_a_fund_that_covers_only_some(world):  # noqa: ANN001
    _capital(world, "10000000.00")
    loans = [_loan(world, "3000000.00") for _ in range(8)]
    results = _race(world, [(f"/bridge-loans/{i}/disburse", {"value_date": "2020-02-10"}, world["li"])
                            for i in loans])
    assert Counter(results) == {200: 3, 409: 5}
    assert _count(world, FundLedgerEntry, FundLedgerEntry.kind == "disbursement") == 3
    assert _count(world, BridgeLoan, BridgeLoan.status == "disbursed") == 3
    sums = check_invariants(world["session"])
    assert sums["cash"] == D("1000000.00")


def test_the_same_loan_disbursed_from_two_threads(world):  # noqa: ANN001
    _capital(world, "10000000.00")
    loan = _loan(world, "1000000.00")
    results = _race(world, [(f"/bridge-loans/{loan}/disburse", {"value_date": "2020-02-10"}, world[who])
                            for who in ("li", "wang")])
    assert sorted(results) == [200, 409]
    assert _count(world, FundLedgerEntry, FundLedgerEntry.bridge_loan_id == loan) == 1
    check_invariants(world["session"])


def test_approve_racing_reject(world):  # noqa: ANN001
    loan = _loan(world, "1000000.00", approve=False)
    results = _race(world, [(f"/bridge-loans/{loan}/approve", {}, world["li"]),
                            (f"/bridge-loans/{loan}/reject", {"reason": "材料不全"}, world["wang"])])
    assert sorted(results) == [200, 409]
    status = world["session"].get(BridgeLoan, loan).status
    assert status == ("approved" if results[0] == 200 else "rejected")
    events = _count(world, AuditEvent, AuditEvent.entity_type == "bridge_loan", AuditEvent.entity_id == loan)
    assert events == 2  # submit + the winner


def test_two_full_repayments_race_only_one_counts(world):  # noqa: ANN001
    _capital(world, "5000000.00")
    loan = _loan(world, "1000000.00")
    s = world["session"]
    bridge_loans.disburse(s, _actor(world["li"]), loan, value_date=DAY, today=dt.date(2020, 3, 31))
    s.commit()
    body = {"amount": "1003000.00", "value_date": "2020-02-20"}
    results = _race(world, [(f"/bridge-loans/{loan}/repayments", body | {"external_ref": ref}, world["officer"])
                            for ref in ("R-1", "R-2", "R-1")])
    assert sorted(results) == [201, 409, 409]
    assert _count(world, BridgeRepayment, BridgeRepayment.bridge_loan_id == loan) == 1
    sums = check_invariants(s)
    assert sums["principal_repaid"] == D("1000000.00") and sums["fee"] == D("3000.00")


def test_concurrent_submissions_get_consecutive_references(world):  # noqa: ANN001
    f = world["factory"]
    firms = [f.make_enterprise() for _ in range(6)]
    body = {"amount": "1000000.00", "term_days": 10, "submitted_on": "2020-02-09",
            "maturing_loan": {"contract_no": "HT", "amount": "1000000.00", "due_date": "2020-02-10"},
            "renewal": {"amount": "2000000.00", "expected_date": "2020-02-20"}}
    results = _race(world, [("/bridge-loans", body | {"enterprise_id": e.id}, world["officer"]) for e in firms])
    assert results == [201] * 6
    world["session"].expire_all()
    refs = sorted(world["session"].scalars(select(BridgeLoan.reference)).all())
    assert refs == [f"BL-2020-{n:06d}" for n in range(1, 7)]


def test_repayments_and_disbursements_on_shared_days_keep_the_summary_exact(world):  # noqa: ANN001
    """Every money movement adds to its day's summary row at commit; racing on the same rows (in either date
    order) must neither deadlock nor lose or double an amount."""
    from bridgefund.figures.check import summary_differences

    _capital(world, "100000000.00")
    s = world["session"]
    out = [_loan(world, "1000000.00") for _ in range(6)]
    for loan in out:
        bridge_loans.disburse(s, _actor(world["li"]), loan, value_date=DAY, today=dt.date(2020, 3, 31))
    s.commit()
    waiting = [_loan(world, "2000000.00") for _ in range(6)]
    days = ["2020-02-18", "2020-02-25"]  # one before and one after the repaid loans' due date (2020-02-20)
    calls = [(f"/bridge-loans/{loan}/repayments",
              {"amount": "500000.00", "value_date": days[i % 2], "external_ref": f"RR-{i}"}, world["officer"])
             for i, loan in enumerate(out)]
    calls += [(f"/bridge-loans/{loan}/disburse", {"value_date": days[(i + 1) % 2]}, world[("li", "wang")[i % 2]])
              for i, loan in enumerate(waiting)]
    results = _race(world, calls)
    assert results == [201] * 6 + [200] * 6, results
    s.expire_all()
    check_invariants(s)
    dates = [DAY, dt.date(2020, 2, 18), dt.date(2020, 2, 21), dt.date(2020, 2, 25), dt.date(2020, 3, 31)]
    assert summary_differences(s, dates) == []
