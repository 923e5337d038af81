"""Helpers for pool tests: a small world (pool money, two banks, officers, managers, admin) and invariants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.models import AuditEvent, Claim, PoolLedgerEntry, PoolLoan, PoolRecovery, PoolRepayment

D = Decimal
API = "/api/v1"


class PoolWorld:
    """100 million contributed on 2019-06-28; bank A (quota 500M) and bank B; officers, managers, an admin."""

    def __init__(self, client: Any, factory: Any, *, contribute: str | None = "100000000.00",
                 quota: str = "500000000.00") -> None:
        self.client = client
        self.factory = factory
        self.admin = factory.as_role("admin")
        self.bank = factory.make_bank(pool_quota=D(quota))
        self.other_bank = factory.make_bank(pool_quota=D("100000000.00"))
        self.officer_user = factory.make_user("bank_officer", self.bank)
        self.officer = factory.headers(self.officer_user)
        self.other_officer = factory.as_role("bank_officer", self.other_bank)
        self.manager = factory.as_role("fund_manager")
        self.manager2 = factory.as_role("fund_manager")
        self.auditor = factory.as_role("auditor")
        self.enterprise = factory.make_enterprise()
        self._n = 0
        if contribute:
            r = self.post("/pool/contributions", {"amount": contribute, "value_date": "2019-06-28",
                                                  "note": "2019 fiscal contribution"}, self.admin)
            assert r.status_code == 201, r.get_json()

    def post(self, path: str, body: dict | None, headers: dict) -> Any:
        return self.client.post(API + path, json=body if body is not None else {}, headers=headers)

    def get(self, path: str, headers: dict | None = None, **query: Any) -> Any:
        return self.client.get(API + path, headers=headers or self.manager, query_string=query)

    def loan_body(self, **kw: Any) -> dict:
        self._n += 1
        body = {"enterprise_id": self.enterprise.id, "contract_no": f"HT-{self._n:04d}", "principal": "1200000.00",
                "annual_rate": "0.0435", "start_date": "2020-01-15", "term_months": 12,
                "repayment_method": "equal_principal"}
        body.update(kw)
        return body

    def loan(self, headers: dict | None = None, **kw: Any) -> dict:
        r = self.post("/pool-loans", self.loan_body(**kw), headers or self.officer)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def repay(self, loan_id: int, amount: str, value_date: str, ref: str | None = None,
              headers: dict | None = None) -> Any:
        self._n += 1
        return self.post(f"/pool-loans/{loan_id}/repayments",
                         {"amount": amount, "value_date": value_date, "external_ref": ref or f"R{self._n}"},
                         headers or self.officer)

    def default_and_claim(self, principal: str = "1200000.00", claimed_on: str = "2020-06-01") -> tuple[dict, dict]:
        """A loan started 2020-01-15 that never pays: on 2020-06-01 it is 107 days past due; filed claim."""
        loan = self.loan(principal=principal)
        r = self.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": claimed_on}, self.officer)
        assert r.status_code == 201, r.get_json()
        return loan, r.get_json()


def counts(db: Session) -> dict[str, int]:
    """Row counts that a refused request must leave unchanged."""
    return {m.__name__: db.scalar(select(func.count()).select_from(m)) or 0
            for m in (PoolLoan, PoolRepayment, Claim, PoolRecovery, PoolLedgerEntry, AuditEvent)}


def pool_balance(db: Session) -> Decimal:
    total = D("0.00")
    for e in db.scalars(select(PoolLedgerEntry)):
        total += e.signed_amount
    return total


#: The pool-loan import's column headers (the template's first row).
IMPORT_HEADERS = ["企业信用代码", "合同编号", "本金", "年利率", "起始日", "期限(月)", "还款方式", "担保机构",
                  "补偿比例"]
