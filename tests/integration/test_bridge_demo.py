"""The demo's second chapter tells the zone's story: 74 enterprises, 620,450,000.00 yuan, books that balance."""

from __future__ import annotations

from sqlalchemy import func, select

from bridgefund.demo import bridge, registry
from bridgefund.models import AuditEvent, BridgeLoan, FundLedgerEntry
from tests.bridge_support import D, check_invariants


def test_spring_2020_story(app, db, factory, client):  # noqa: ANN001
    story = {"app": app, "logins": []}
    registry.load(db, story)  # only the chapters this one needs: the pool's chapter has its own test
    bridge.load(db, story)
    db.commit()
    f = client.get("/api/v1/fund?as_of=2020-03-31", headers=factory.as_role("auditor")).get_json()
    assert f["cumulative_disbursed_amount"] == "620450000.00"
    assert f["cumulative_disbursed_count"] == 74 == f["enterprises_served"]
    assert f["capital"] == "150000000.00" and D(f["turnover"]) > 4
    assert f["overdue_count"] >= 1 and D(f["penalty_income"]) > 0 and D(f["fee_income"]) > 0
    assert D(f["outstanding_principal"]) > 0  # a few loans still open on 31 March
    statuses = dict(db.execute(select(BridgeLoan.status, func.count()).group_by(BridgeLoan.status)).all())
    assert statuses["repaid"] >= 60 and statuses["disbursed"] >= 3 and statuses["defaulted"] == 1
    assert db.scalar(select(func.count(func.distinct(BridgeLoan.bank_id)))) == 12
    first, last = db.execute(select(func.min(BridgeLoan.disbursed_on), func.max(BridgeLoan.disbursed_on))).one()
    assert first.isoformat() == "2020-02-10" and "2020-03-20" <= last.isoformat() <= "2020-03-31"
    dual = db.scalars(select(BridgeLoan).where(BridgeLoan.amount >= D("5000000.00"))).all()
    assert dual and all(loan.required_approvals == 2 for loan in dual)
    check_invariants(db)
    # every money movement of a loan went through a service that audited it
    moves = db.scalar(select(func.count(func.distinct(FundLedgerEntry.bridge_loan_id))))
    disburse_events = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "disburse"))
    assert moves == disburse_events == 74
