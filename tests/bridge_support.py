"""Helpers for bridge-fund tests: a small world (bank, officer, managers, admin), HTTP shortcuts, invariants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.models import AuditEvent, BridgeLoan, BridgeRepayment, FundLedgerEntry

D = Decimal
API = "/api/v1"
TODAY = dt.date(2020, 3, 31)


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


class World:
    """One bank with an officer, two fund managers, an admin, an auditor — and HTTP shortcuts."""

    def __init__(self, client: Any, factory: Any) -> None:
        self.client = client
        self.factory = factory
        self.bank = factory.make_bank()
        self.officer_user = factory.make_user("bank_officer", self.bank)
        self.officer = factory.headers(self.officer_user)
        self.li_user = factory.make_user("fund_manager")
        self.li = factory.headers(self.li_user)
        self.wang_user = factory.make_user("fund_manager")
        self.wang = factory.headers(self.wang_user)
        self.admin = factory.as_role("admin")
        self.auditor = factory.as_role("auditor")
        self.enterprise = factory.make_enterprise()

    # --- raw calls --------------------------------------------------------------------------------------
    def post(self, path: str, body: dict | None, headers: dict) -> Any:
        return self.client.post(API + path, json=body or {}, headers=headers)

    def get(self, path: str, headers: dict | None = None, **query: Any) -> Any:
        return self.client.get(API + path, headers=headers or self.li, query_string=query)

    # --- the happy path -------------------------------------------------------------------------------
    def capital(self, amount: str, value_date: str = "2020-02-07", direction: str = "in") -> Any:
        r = self.post("/fund/capital", {"amount": amount, "value_date": value_date, "direction": direction,
                                        "note": "tranche"}, self.admin)
        return r

    def application(self, amount: str = "1000000.00", term_days: int = 10, **kw: Any) -> dict:
        body = {
            "enterprise_id": kw.pop("enterprise_id", self.enterprise.id),
            "maturing_loan": {"contract_no": "HT-2020-001", "amount": kw.pop("maturing_amount", amount),
                              "due_date": "2020-02-10"},
            "amount": amount,
            "term_days": term_days,
            "renewal": {"amount": kw.pop("renewal_amount", str(D(amount) * 2)), "expected_date": "2020-02-18"},
            "purpose": "repay the maturing working-capital loan",
            "submitted_on": kw.pop("submitted_on", "2020-02-08"),
        }
        body.update(kw)
        return body

    def submit(self, amount: str = "1000000.00", term_days: int = 10, headers: dict | None = None,
               **kw: Any) -> dict:
        r = self.post("/bridge-loans", self.application(amount, term_days, **kw), headers or self.officer)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def approved(self, amount: str = "1000000.00", term_days: int = 10, **kw: Any) -> dict:
        loan = self.submit(amount, term_days, **kw)
        # decided on the day of the application, so that the money may be value-dated from then on
        on = {"decided_on": loan["submitted_on"]}
        r = self.post(f"/bridge-loans/{loan['id']}/approve", {"comment": "ok", **on}, self.li)
        assert r.status_code == 200, r.get_json()
        if r.get_json()["status"] == "submitted":
            r = self.post(f"/bridge-loans/{loan['id']}/approve", on, self.wang)
            assert r.status_code == 200, r.get_json()
        assert r.get_json()["status"] == "approved"
        return r.get_json()

    def disbursed(self, amount: str = "1000000.00", term_days: int = 10, value_date: str = "2020-02-10",
                  **kw: Any) -> dict:
        loan = self.approved(amount, term_days, **kw)
        r = self.disburse(loan["id"], value_date)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def disburse(self, loan_id: int, value_date: str) -> Any:
        return self.post(f"/bridge-loans/{loan_id}/disburse", {"value_date": value_date}, self.li)

    def repay(self, loan_id: int, amount: str, value_date: str, ref: str, headers: dict | None = None) -> Any:
        return self.post(f"/bridge-loans/{loan_id}/repayments",
                         {"amount": amount, "value_date": value_date, "external_ref": ref}, headers or self.officer)


def counts(db: Session) -> dict[str, int]:
    """Row counts of everything a bridge-fund request could change."""
    db.expire_all()
    return {m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0
            for m in (BridgeLoan, BridgeRepayment, FundLedgerEntry, AuditEvent)}


def check_invariants(db: Session) -> dict[str, Decimal]:
    """DOMAIN.md's ledger invariants, on the rows themselves; returns the sums by kind."""
    db.expire_all()
    sums = {k: D(0) for k in ("capital_in", "capital_out", "disbursement", "principal_repaid", "fee", "penalty",
                              "write_off", "recovery")}
    entries = db.scalars(select(FundLedgerEntry).order_by(FundLedgerEntry.value_date, FundLedgerEntry.id)).all()
    balance = D("0.00")
    for e in entries:
        sums[e.kind] += e.amount
        balance += e.cash_delta
        assert balance >= 0, f"balance negative after entry {e.id} on {e.value_date}"
    cash = sum((e.cash_delta for e in entries), D("0.00"))
    assert cash == (sums["capital_in"] - sums["capital_out"] - sums["disbursement"] + sums["principal_repaid"]
                    + sums["fee"] + sums["penalty"] + sums["recovery"])
    loans = db.scalars(select(BridgeLoan)).all()
    outstanding = sum((loan.amount - loan.principal_repaid - loan.written_off_amount
                       for loan in loans if loan.disbursed_on is not None), D("0.00"))
    assert outstanding == sums["disbursement"] - sums["principal_repaid"] - sums["write_off"]
    for loan in loans:
        reps = db.scalars(select(BridgeRepayment).where(BridgeRepayment.bridge_loan_id == loan.id)).all()
        assert sum((r.principal for r in reps), D("0.00")) == loan.principal_repaid
        assert sum((r.fee for r in reps), D("0.00")) == loan.fee_paid
        assert sum((r.penalty for r in reps), D("0.00")) == loan.penalty_paid
        for r in reps:
            assert r.penalty + r.fee + r.principal == r.amount
    sums["cash"] = cash
    return sums
