"""Properties of the services on the real database: whatever repayments arrive, the books stay consistent.

Hypothesis draws a loan (amount, term) and a sequence of repayments (dates, amounts — some too large); each
example runs inside a savepoint that is rolled back. After every accepted or refused repayment: the split sums to
the money received, the ledger invariants hold, the loan's running totals match its repayments, an overpayment
changes nothing, and the loan is ``repaid`` exactly when the pure fee math says it is settled.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridgefund.errors import RuleViolation
from bridgefund.figures import fund as fund_figures
from bridgefund.finance import Repayment, position
from bridgefund.services import bridge_loans, fund
from bridgefund.services.actor import SYSTEM, Actor
from tests.bridge_support import check_invariants

D = Decimal
TODAY = dt.date(2020, 6, 30)
START = dt.date(2020, 2, 10)

payments = st.lists(
    st.tuples(st.integers(min_value=0, max_value=25), st.integers(min_value=1, max_value=120_000_000)),
    min_size=1, max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount_fen=st.integers(min_value=100_000, max_value=1_000_000_000), term=st.integers(1, 10), pays=payments)
def test_any_repayment_sequence_keeps_the_books(db, factory, amount_fen, term, pays):  # noqa: ANN001
    try:
        with db.begin_nested() as outer:
            _run(db, factory, D(amount_fen) / 100, term, pays)
            outer.rollback()
    finally:
        db.expunge_all()  # ids are reused after the rollback: forget this example's objects


def _run(db, factory, amount: Decimal, term: int, pays: list[tuple[int, int]]) -> None:  # noqa: ANN001
    from bridgefund.finance.uscc import demo_uscc
    from bridgefund.services import registry

    n = factory._next()
    bank = registry.create_bank(db, SYSTEM, code=f"P{n}", name=f"性质银行{n}", effective_from=dt.date(2000, 1, 1))
    ent = registry.create_enterprise(db, SYSTEM, uscc=demo_uscc(30_000_000 + n * 7), name=f"性质企业{n}",
                                     size="small", in_zone=True)
    cfg = factory.app.extensions["bridgefund.auth"]
    li, wang = (registry.create_user(db, SYSTEM, cfg, username=f"p{n}-{who}", password="Prop-erty-123",
                                     role="fund_manager") for who in ("li", "wang"))
    manager = Actor(id=li.id, username=li.username, role="fund_manager")
    fund.move_capital(db, SYSTEM, amount=D("20000000.00"), value_date=START, direction="in", note=None, today=TODAY)
    loan = bridge_loans.submit(
        db, SYSTEM, enterprise_id=ent.id, bank_id=bank.id, amount=amount, term_days=term,
        maturing_loan={"contract_no": "P", "amount": amount, "due_date": START},
        renewal={"amount": amount * 2, "expected_date": START}, today=TODAY, submitted_on=START)
    bridge_loans.approve(db, manager, loan.id)
    if loan.status == "submitted":
        bridge_loans.approve(db, Actor(id=wang.id, username=wang.username, role="fund_manager"), loan.id)
    bridge_loans.disburse(db, manager, loan.id, value_date=START, today=TODAY)
    day, received = START, []
    for i, (gap, fen) in enumerate(pays):
        if loan.status == "repaid":
            break
        day = day + dt.timedelta(days=gap)
        pay = D(fen) / 100
        due = position(bridge_loans.terms_of(loan), received, day).amount_due
        try:
            result = bridge_loans.repay(db, manager, loan.id, amount=pay, value_date=day, external_ref=f"R{i}",
                                        today=TODAY)
        except RuleViolation as exc:
            assert pay > due and "amount" in exc.errors  # only an overpayment is refused here
            continue
        assert pay <= due
        rep = result.repayment
        assert rep.penalty + rep.fee + rep.principal == pay and min(rep.penalty, rep.fee, rep.principal) >= 0
        received.append(Repayment(day, pay))
        assert (loan.status == "repaid") == (pay == due)
        check_invariants(db)
    figures = fund_figures.fund_position(db, TODAY)
    assert figures["outstanding_principal"] == amount - loan.principal_repaid
    assert figures["fee_income"] == loan.fee_paid and figures["penalty_income"] == loan.penalty_paid
