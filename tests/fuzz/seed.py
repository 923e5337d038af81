"""A small seeded world shared by the contract fuzzer and the security checks.

Two banks (A, B), a user and a token per role (the officer belongs to bank A; a second officer to bank B),
enterprises, a guarantor, fund capital, bridge loans in every early state, pool money, pool loans and claims
in every state — so that fuzzed ids hit real rows of both banks some of the time.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bridgefund.services import bridge_loans, claims, documents, fund, periods, pool, pool_loans, registry
from bridgefund.services.actor import SYSTEM, Actor
from tests.documents_support import PDF

D = Decimal
TODAY = dt.date(2020, 12, 31)


@dataclass
class Seed:
    bank_a: Any
    bank_b: Any
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]
    ids: dict[str, list[Any]] = field(default_factory=dict)
    #: Ids owned by bank B (an officer of bank A must never see them).
    other_bank_ids: dict[str, set[int]] = field(default_factory=dict)


def _as(user: Any) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)


def build(factory: Any, session: Any) -> Seed:
    """Load the world through the services (one commit per step, as requests would)."""
    s = session
    pool.contribute(s, SYSTEM, TODAY, amount=D("100000000.00"), value_date=dt.date(2019, 6, 28))
    s.commit()
    bank_a = factory.make_bank(pool_quota=D("300000000.00"))
    bank_b = factory.make_bank(pool_quota=D("100000000.00"))
    users = {
        "admin": factory.make_user("admin"),
        "fund_manager": factory.make_user("fund_manager"),
        "fund_manager_2": factory.make_user("fund_manager"),
        "bank_officer": factory.make_user("bank_officer", bank_a),
        "bank_officer_b": factory.make_user("bank_officer", bank_b),
        "auditor": factory.make_user("auditor"),
    }
    headers = {role: factory.headers(u) for role, u in users.items()}
    ents = [factory.make_enterprise() for _ in range(3)]
    guarantor = registry.create_guarantor(s, SYSTEM, name="郑州担保", guarantee_share=D("0.20"))
    fund.move_capital(s, SYSTEM, amount=D("100000000.00"), value_date=dt.date(2020, 2, 1), direction="in",
                      note="first tranche", today=TODAY)
    s.commit()

    mgr1, mgr2 = _as(users["fund_manager"]), _as(users["fund_manager_2"])
    bl: dict[int, list[int]] = {bank_a.id: [], bank_b.id: []}

    def submit(bank: Any, ent: Any, amount: str, on: dt.date) -> Any:
        loan = bridge_loans.submit(
            s, SYSTEM, enterprise_id=ent.id, bank_id=bank.id, amount=D(amount), term_days=10,
            maturing_loan={"contract_no": f"HT-{bank.code}-{on}", "amount": D(amount), "due_date": on},
            renewal={"amount": D(amount) * 2, "expected_date": on + dt.timedelta(days=10)},
            today=TODAY, submitted_on=on)
        s.commit()
        bl[bank.id].append(loan.id)
        return loan

    for i, bank in enumerate((bank_a, bank_b)):
        on = dt.date(2020, 2, 8 + i)
        submit(bank, ents[0], "500000.00", on)                                  # submitted
        approved = submit(bank, ents[1], "800000.00", on)
        bridge_loans.approve(s, mgr1, approved.id)                              # approved
        s.commit()
        lent = submit(bank, ents[2], "1000000.00", on)
        bridge_loans.approve(s, mgr1, lent.id)
        bridge_loans.disburse(s, mgr1, lent.id, value_date=on + dt.timedelta(days=2), today=TODAY)
        s.commit()                                                              # disbursed, overdue
        repaid = submit(bank, ents[0], "200000.00", on + dt.timedelta(days=1))
        bridge_loans.approve(s, mgr2, repaid.id)
        vd = on + dt.timedelta(days=3)
        bridge_loans.disburse(s, mgr2, repaid.id, value_date=vd, today=TODAY)
        bridge_loans.repay(s, mgr2, repaid.id, amount=D("200200.00"), value_date=vd + dt.timedelta(days=5),
                           external_ref=f"R-{bank.code}", today=TODAY)
        s.commit()                                                              # repaid (or partly)

    pl: dict[int, list[int]] = {bank_a.id: [], bank_b.id: []}
    cl: dict[int, list[int]] = {bank_a.id: [], bank_b.id: []}
    for bank in (bank_a, bank_b):
        for n, method in enumerate(("equal_principal", "bullet", "equal_installment")):
            loan = pool_loans.create_pool_loan(
                s, SYSTEM, TODAY, enterprise_id=ents[n].id, bank_id=bank.id, contract_no=f"PM-{bank.code}-{n}",
                principal=D("1000000.00"), annual_rate=D("0.0435"), start_date=dt.date(2020, 1, 15),
                term_months=12, repayment_method=method, guarantor_id=guarantor.id if n == 2 else None)
            s.commit()
            pl[bank.id].append(loan.id)
        officer = _as(users["bank_officer" if bank is bank_a else "bank_officer_b"])
        filed = claims.file_claim(s, officer, TODAY, pl[bank.id][0], claimed_on=dt.date(2020, 6, 1))
        s.commit()
        cl[bank.id].append(filed.id)
        if bank is bank_a:
            paid = claims.file_claim(s, officer, TODAY, pl[bank.id][2], claimed_on=dt.date(2020, 6, 1))
            claims.approve_claim(s, mgr1, paid.id)
            claims.pay_claim(s, mgr1, TODAY, paid.id, value_date=dt.date(2020, 6, 10))
            s.commit()
            cl[bank.id].append(paid.id)
    # a paper on a bridge loan of each bank and on an enterprise (shared): the fuzzer reaches real documents
    docs: dict[int | None, list[int]] = {bank_a.id: [], bank_b.id: [], None: []}
    for subject, ident, bank_id in (("bridge_loan", bl[bank_a.id][0], bank_a.id),
                                    ("bridge_loan", bl[bank_b.id][0], bank_b.id), ("enterprise", ents[0].id, None)):
        doc = documents.upload(s, SYSTEM, subject, ident, kind="other", file=io.BytesIO(PDF), filename="seed.pdf")
        docs[bank_id].append(doc.id)
    s.commit()
    periods.close_period(s, SYSTEM, "2019-12", today=TODAY)
    s.commit()

    seed = Seed(bank_a=bank_a, bank_b=bank_b, users=users, headers=headers)
    seed.ids = {
        "loan_id": bl[bank_a.id] + bl[bank_b.id],
        "pool_loan_id": pl[bank_a.id] + pl[bank_b.id],
        "claim_id": cl[bank_a.id] + cl[bank_b.id],
        "bank_id": [bank_a.id, bank_b.id],
        "user_id": [u.id for u in users.values()],
        "enterprise_id": [e.id for e in ents],
        "guarantor_id": [guarantor.id],
        "document_id": [i for ids in docs.values() for i in ids],
        "period": ["2019-12", "2020-01", "2020-06", "2021-01", "1999-02"],
    }
    seed.other_bank_ids = {"loan_id": set(bl[bank_b.id]), "pool_loan_id": set(pl[bank_b.id]),
                           "claim_id": set(cl[bank_b.id]), "bank_id": {bank_b.id},
                           "document_id": set(docs[bank_b.id])}
    return seed
