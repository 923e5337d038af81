"""Claim-eligible pool loans (the officer's home) read ``pool_loans.oldest_unpaid_due``, kept by the services: on
every day of a year of repayments paid late, early, in part and not at all, they are the loans an independent
oracle finds from the installments themselves, and the kept column equals its definition after every write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bridgefund.figures.check import oldest_unpaid_differences
from bridgefund.models import Claim, PoolInstallment, PoolLoan
from bridgefund.services import pool_loans
from bridgefund.services.actor import Actor
from tests.pool_support import PoolWorld

CLAIM_AFTER_DAYS = 90  # the pool setting's default (DOMAIN.md: an installment overdue ≥ 90 days)


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def oracle(db: Any, bank_id: int | None, on: dt.date) -> list[int]:
    """DOMAIN.md's rule read from the rows in Python: an active loan started by ``on`` with an installment due
    ``CLAIM_AFTER_DAYS`` days or more before ``on`` and not settled on ``on``, and no claim filed by then and not
    rejected by then."""
    cutoff = on - dt.timedelta(days=CLAIM_AFTER_DAYS)
    out = []
    for loan in db.scalars(select(PoolLoan).order_by(PoolLoan.id)):
        if loan.status != "active" or loan.start_date > on or (bank_id is not None and loan.bank_id != bank_id):
            continue
        rows = db.scalars(select(PoolInstallment).where(PoolInstallment.loan_id == loan.id))
        unpaid = any(r.due_date <= cutoff and (r.settled_on is None or r.settled_on > on) for r in rows)
        claims = db.scalars(select(Claim).where(Claim.loan_id == loan.id))
        live = any(c.filed_on <= on and (c.rejected_on is None or c.rejected_on > on) for c in claims)
        if unpaid and not live:
            out.append(loan.id)
    return out


def payoff(world: PoolWorld, loan_id: int, on: str, field: str = "payoff_amount") -> str:
    r = world.get(f"/pool-loans/{loan_id}", as_of=on)
    assert r.status_code == 200, r.get_json()
    return r.get_json()[field]


def test_claim_eligible_loans_equal_the_rule_on_every_day_of_a_year(app, db, world) -> None:  # noqa: ANN001
    never = world.loan()  # installments of 100,000.00 + interest from 2020-02-15; never pays
    late = world.loan()  # pays part of what is due on 2020-06-20, then all that is due on 2020-09-30
    first = world.loan()  # pays the first installment on time, then stops
    early = world.loan(start_date="2020-03-10", principal="600000.00")  # prepays half on 2020-04-01, then stops
    paid_off = world.loan(principal="240000.00", term_months=2)  # pays everything late, on 2020-07-01
    world.loan(headers=world.other_officer)  # another bank's, never pays
    for loan_id, amount, on in ((late["id"], "210000.00", "2020-06-20"),
                                (late["id"], lambda: payoff(world, late["id"], "2020-09-30", "amount_due"),
                                 "2020-09-30"),
                                (first["id"], "104350.00", "2020-02-15"), (early["id"], "300000.00", "2020-04-01"),
                                (paid_off["id"], payoff(world, paid_off["id"], "2020-07-01"), "2020-07-01")):
        r = world.repay(loan_id, amount() if callable(amount) else amount, on)
        assert r.status_code == 201, r.get_json()
        assert oldest_unpaid_differences(db) == []
    db.expire_all()
    stored = {loan.id: loan.oldest_unpaid_due for loan in db.scalars(select(PoolLoan))}
    assert stored[never["id"]] == dt.date(2020, 2, 15)
    assert stored[first["id"]] == dt.date(2020, 3, 15)
    assert stored[paid_off["id"]] is None  # every installment settled

    officer = Actor(id=world.officer_user.id, username="o", role="bank_officer", bank_id=world.bank.id)
    staff = Actor(id=None, username="m", role="fund_manager")
    seen = set()
    day = dt.date(2020, 1, 1)
    while day <= dt.date(2020, 12, 31):
        for actor, bank_id in ((officer, world.bank.id), (staff, None)):
            want = oracle(db, bank_id, day)
            assert pool_loans.claim_eligible_count(db, actor, day) == len(want), (actor.role, day)
            assert [loan.id for loan in pool_loans.claim_eligible_loans(db, actor, day, limit=10)] == want[:10]
            seen.add(tuple(want))
        day += dt.timedelta(days=1)
    # the year went through the interesting states: none, some, and every loan of the bank at once
    assert () in seen and len(seen) >= 6
    assert any(late["id"] in s for s in seen) and any(late["id"] not in s for s in seen if never["id"] in s)


def test_a_claim_and_its_rejection_move_a_loan_out_of_and_back_into_the_list(db, world) -> None:  # noqa: ANN001
    loan, claim = world.default_and_claim()  # filed on 2020-06-01
    officer = Actor(id=world.officer_user.id, username="o", role="bank_officer", bank_id=world.bank.id)
    on = dt.date(2020, 7, 1)
    assert loan["id"] not in [x.id for x in pool_loans.claim_eligible_loans(db, officer, on)]
    r = world.post(f"/claims/{claim['id']}/reject", {"reason": "papers missing"}, world.manager)
    assert r.status_code == 200, r.get_json()
    db.expire_all()
    rejected_on = db.get(Claim, claim["id"]).rejected_on
    assert [x.id for x in pool_loans.claim_eligible_loans(db, officer, max(on, rejected_on))] == [loan["id"]]
    assert oracle(db, world.bank.id, max(on, rejected_on)) == [loan["id"]]
