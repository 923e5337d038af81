"""Races on the pool with real threads, separate connections and committed transactions.

PostgreSQL serialises them with ``SELECT … FOR UPDATE`` on the bank row (quota) and the pool's row (payouts);
SQLite (a temporary file database here) with ``BEGIN IMMEDIATE``. Either way exactly one of two loans fighting
over the last quota headroom wins, and the pool's balance never goes below zero.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridgefund.figures.pool import ledger_totals
from bridgefund.models import Claim, PoolLedgerEntry, PoolLoan
from bridgefund.services import bank_terms, claims, pool, pool_loans
from bridgefund.services.actor import SYSTEM
from tests.conftest import PARTNER_SINCE, Factory
from tests.race_support import actor_of as _actor
from tests.race_support import race as _race

D = Decimal
TODAY = dt.date(2020, 12, 31)


@pytest.fixture
def world(real_db, settings):  # noqa: ANN001, ANN201
    settings.today = TODAY.isoformat()
    session = real_db.extensions["bridgefund.db"].sessionmaker()
    f = Factory(real_db, session)
    bank = f.make_bank(pool_quota=D("3000000.00"))
    w = {"app": real_db, "session": session, "factory": f, "bank": bank,
         "officers": [f.make_user("bank_officer", bank) for _ in range(4)],
         "managers": [f.make_user("fund_manager") for _ in range(4)]}
    yield w
    session.close()


def _contribute(w: dict, amount: str) -> None:
    pool.contribute(w["session"], SYSTEM, TODAY, amount=D(amount), value_date=dt.date(2019, 6, 28))
    w["session"].commit()




def test_two_loans_fight_over_the_last_quota_headroom(world):  # noqa: ANN001
    _contribute(world, "100000000.00")
    ents = [world["factory"].make_enterprise() for _ in range(4)]
    calls = [("/pool-loans", {"enterprise_id": ent.id, "contract_no": f"RACE-{i}", "principal": "2000000.00",
                              "annual_rate": "0.0435", "start_date": "2020-03-02", "term_months": 12,
                              "repayment_method": "equal_installment"}, world["officers"][i])
             for i, ent in enumerate(ents)]
    results = _race(world, calls)
    assert Counter(results) == Counter({201: 1, 409: 3}), results
    s = world["session"]
    s.expire_all()
    assert s.scalar(select(func.sum(PoolLoan.principal))) == D("2000000.00")
    # references stay unique and consecutive under the race
    assert s.scalar(select(func.count()).select_from(PoolLoan)) == 1


def test_payouts_fight_over_the_last_pool_money(world):  # noqa: ANN001
    _contribute(world, "1000000.00")
    s, f = world["session"], world["factory"]
    bank_terms.change(s, None, world["bank"], PARTNER_SINCE, {"pool_quota": D("10000000.00")}, check_dates=False)
    s.commit()
    claim_ids = []
    for i in range(3):
        loan = pool_loans.create_pool_loan(
            s, _actor(world["officers"][0]), TODAY, enterprise_id=f.make_enterprise().id,
            contract_no=f"DEF-{i}", principal=D("1200000.00"), annual_rate=D("0.0435"),
            start_date=dt.date(2020, 1, 15), term_months=12, repayment_method="equal_principal")
        s.commit()
    for loan in s.scalars(select(PoolLoan).order_by(PoolLoan.id)):
        claim = claims.file_claim(s, _actor(world["officers"][0]), TODAY, loan.id, claimed_on=dt.date(2020, 6, 1))
        claims.approve_claim(s, _actor(world["managers"][0]), claim.id)
        s.commit()
        claim_ids.append(claim.id)
    # three approved claims of 600,000 each against 1,000,000 in the pool
    calls = [(f"/claims/{cid}/pay", {"value_date": "2020-06-10"}, world["managers"][i + 1])
             for i, cid in enumerate(claim_ids)]
    results = _race(world, calls)
    assert Counter(results) == Counter({200: 1, 409: 2}), results
    s.expire_all()
    totals = ledger_totals(s)
    assert totals.balance == D("400000.00") and totals.balance >= 0
    assert s.scalar(select(func.count()).select_from(Claim).where(Claim.status == "paid")) == 1
    assert s.scalar(select(func.count()).select_from(PoolLedgerEntry)
                    .where(PoolLedgerEntry.kind == "claim_payout")) == 1
