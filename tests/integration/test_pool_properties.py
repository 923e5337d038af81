"""Properties that tie the pool's SQL figures to the pure finance rules, on random repayment histories.

For any loan and any sequence of repayments, on any date: the SQL classification filter and the SQL
outstanding/NPL aggregates agree with ``finance.pool`` evaluated on the loan's installments, and the view
of a past date (a replay) agrees with the stored installments once no later repayment exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridgefund.errors import RuleViolation
from bridgefund.figures.pool import bank_pool_figures, ledger_totals
from bridgefund.finance.pool import Classification, classify
from bridgefund.finance.schedule import RepaymentMethod
from bridgefund.services import pool, pool_loans
from bridgefund.services.actor import SYSTEM

D = Decimal
TODAY = dt.date(2023, 12, 31)
START = dt.date(2020, 1, 31)


@given(st.integers(min_value=0, max_value=2000))
def test_classification_follows_days_past_due(days):
    grade = classify(days)
    order = list(Classification)
    assert grade == order[(days > 0) + (days > 90) + (days > 270) + (days > 360)]
    assert order.index(classify(days + 1)) >= order.index(grade)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(RepaymentMethod), term=st.integers(min_value=1, max_value=18),
       steps=st.lists(st.tuples(st.integers(min_value=1, max_value=120), st.sampled_from(["due", "part", "more"])),
                      max_size=6),
       probes=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=4))
def test_sql_figures_agree_with_the_finance_rules(db, factory, method, term, steps, probes):  # noqa: ANN001
    bank = factory.make_bank(pool_quota=D("10000000.00"))
    if ledger_totals(db).contributions == 0:
        pool.contribute(db, SYSTEM, TODAY, amount=D("100000000.00"), value_date=dt.date(2019, 6, 28))
    loan = pool_loans.create_pool_loan(
        db, SYSTEM, TODAY, enterprise_id=factory.make_enterprise().id, bank_id=bank.id, contract_no="P",
        principal=D("1000000.00"), annual_rate=D("0.0435"), start_date=START, term_months=term,
        repayment_method=method.value)
    on = START
    for n, (gap, kind) in enumerate(steps):
        on = on + dt.timedelta(days=gap)
        if on > TODAY:
            break
        v = pool_loans.get_pool_loan(db, SYSTEM, loan.id, on)
        if v.status != "active":
            break
        amount = v.amount_due if kind == "due" else (v.amount_due / 2 if kind == "part" else v.amount_due + 1000)
        amount = amount.quantize(D("0.01"))
        if amount <= 0:
            continue
        if amount > v.payoff_amount:  # more than settles the loan: refused on the amount, nothing applied
            with pytest.raises(RuleViolation) as refused:
                pool_loans.record_repayment(db, SYSTEM, TODAY, loan.id, amount=amount, value_date=on,
                                            external_ref=f"R{loan.id}-{n}")
            assert list(refused.value.errors) == ["amount"], refused.value.errors
            assert pool_loans.get_pool_loan(db, SYSTEM, loan.id, on) == v
            continue
        pool_loans.record_repayment(db, SYSTEM, TODAY, loan.id, amount=amount, value_date=on,
                                    external_ref=f"R{loan.id}-{n}")
    for offset in probes:
        as_of = START + dt.timedelta(days=offset)
        v = pool_loans.get_pool_loan(db, SYSTEM, loan.id, as_of)
        page = pool_loans.list_pool_loans(db, SYSTEM, as_of, 1, 500, bank_id=bank.id,
                                          classification=v.classification.value)
        assert [x.id for x in page.items] == [loan.id], (as_of, v.days_past_due)
        figures = bank_pool_figures(db, as_of, [bank.id], 90)[bank.id]
        assert figures.outstanding == v.principal_outstanding
        assert figures.npl_principal == (v.principal_outstanding if v.days_past_due >= 90 else D("0.00"))
