"""The finance functions on their edges: a due date and the day after, a tier's first day, the claim cutoff.

Each test fails under an off-by-one (or a dropped operand) of the rule it names; ``make mutate`` runs mutmut over
bridgefund/finance/ against these and the other unit tests (docs/reliability.md, "Mutation testing").
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bridgefund.finance import (
    BridgeTerms,
    FeeTier,
    InstallmentState,
    RepaymentMethod,
    allocate_pool_repayment,
    amount_due,
    build_schedule,
    charge_penalties,
    days_past_due,
    initial_states,
    payoff_amount,
    position,
    scheduled_fee,
)
from bridgefund.finance.profiles import BridgeLoanDates, PoolLoanDates, bridge_deltas, bridge_on, pool_deltas, pool_on

D = Decimal
RATE, MARKUP = D("0.06"), D("0.5")
TERMS = {"annual_rate": RATE, "penalty_markup": MARKUP, "method": RepaymentMethod.EQUAL_PRINCIPAL}
START = date(2020, 1, 15)
DUE1 = date(2020, 2, 15)  # first due date of the 12-month schedule below
ONE = timedelta(days=1)


def loan() -> list[InstallmentState]:
    return initial_states(build_schedule(D("1200000"), RATE, START, 12, RepaymentMethod.EQUAL_PRINCIPAL))


# --- pool loans ------------------------------------------------------------------------------------------------


def test_amount_due_counts_an_installment_from_its_due_date_on():
    states = loan()
    before = amount_due(states, DUE1 - ONE)
    assert isinstance(before, Decimal) and str(before) == "0.00"  # a Decimal in fen even when nothing is due
    first = states[0].principal + states[0].interest
    assert amount_due(states, DUE1) == first
    assert amount_due(states, states[1].due_date - ONE) == first
    assert amount_due(states, states[1].due_date) == first + states[1].principal + states[1].interest


def test_payoff_on_a_due_date_takes_that_installment_as_due_and_the_next_interest_as_current():
    states = loan()
    principal = sum((s.principal for s in states), D(0))
    assert payoff_amount(states, DUE1) == principal + states[0].interest + states[1].interest
    assert payoff_amount(states, DUE1 - ONE) == principal + states[0].interest


@pytest.mark.parametrize("offset,days", [(-1, 0), (0, 0), (1, 1), (90, 90), (91, 91)])
def test_days_past_due_counts_from_the_day_after_the_due_date(offset, days):
    assert days_past_due(loan(), DUE1 + timedelta(days=offset)) == days


def test_days_past_due_counts_an_installment_with_only_interest_or_only_principal_unpaid():
    first, *rest = loan()
    on = DUE1 + timedelta(days=10)
    interest_open = InstallmentState(first.seq, first.due_date, first.principal, first.interest,
                                     principal_paid=first.principal)
    principal_open = InstallmentState(first.seq, first.due_date, first.principal, first.interest,
                                      interest_paid=first.interest)
    paid = InstallmentState(first.seq, first.due_date, first.principal, first.interest,
                            principal_paid=first.principal, interest_paid=first.interest)
    assert days_past_due([interest_open, *rest], on) == 10
    assert days_past_due([principal_open, *rest], on) == 10
    assert days_past_due([paid, *rest], on) == 0


def test_no_penalty_on_the_due_date_one_day_from_the_day_after():
    on_due = charge_penalties(loan(), DUE1, annual_rate=RATE, penalty_markup=MARKUP)
    assert on_due == loan()  # nothing charged, nothing marked as charged
    next_day = charge_penalties(loan(), DUE1 + ONE, annual_rate=RATE, penalty_markup=MARKUP)
    assert next_day[0].penalty_charged > 0 and next_day[0].penalty_accrued_to == DUE1 + ONE
    assert next_day[1:] == loan()[1:]


def test_the_penalty_charged_by_a_repayment_is_only_the_new_charge():
    """Penalty already charged (an earlier view or repayment) is not reported again by the next repayment."""
    earlier = charge_penalties(loan(), DUE1 + timedelta(days=5), annual_rate=RATE, penalty_markup=MARKUP)
    later = DUE1 + timedelta(days=10)
    result = allocate_pool_repayment(earlier, D("1.00"), later, **TERMS)
    recharged = charge_penalties(earlier, later, annual_rate=RATE, penalty_markup=MARKUP)
    assert result.penalty_charged == recharged[0].penalty_charged - earlier[0].penalty_charged > 0


@pytest.mark.parametrize("swap", ["seq", "due_date"])
def test_installments_out_of_order_by_seq_or_by_date_alone_are_refused(swap):
    a, b = loan()[:2]
    if swap == "seq":
        states = [InstallmentState(2, a.due_date, a.principal, a.interest),
                  InstallmentState(1, b.due_date, b.principal, b.interest)]
    else:
        states = [InstallmentState(1, b.due_date, a.principal, a.interest),
                  InstallmentState(2, a.due_date, b.principal, b.interest)]
    with pytest.raises(ValueError, match="seq order"):
        allocate_pool_repayment(states, D("1.00"), b.due_date, **TERMS)


# --- bridge loans ----------------------------------------------------------------------------------------------


def bridge(term_days: int, tiers: tuple[FeeTier, ...] = (FeeTier(1, D("0.0002")), FeeTier(6, D("0.0004")))):
    v = date(2020, 2, 10)
    return BridgeTerms(principal=D("1000000"), value_date=v, due_date=v + timedelta(days=term_days),
                       fee_tiers=tiers, penalty_daily_rate=D("0.0005"))


@pytest.mark.parametrize("term_days,fee", [(1, "200.00"), (5, "1000.00"), (6, "1400.00"), (10, "3000.00")])
def test_scheduled_fee_changes_tier_on_the_tier_first_day(term_days, fee):
    assert scheduled_fee(bridge(term_days)) == D(fee)


def test_three_tiers_each_start_on_their_own_day():
    tiers = (FeeTier(1, D("0.0001")), FeeTier(3, D("0.0002")), FeeTier(5, D("0.0004")))
    # days 1–2 at 100, 3–4 at 200, 5– at 400
    assert [scheduled_fee(bridge(n, tiers)) for n in range(1, 7)] == [
        D("100.00"), D("200.00"), D("400.00"), D("600.00"), D("1000.00"), D("1400.00")]


@pytest.mark.parametrize("days,fee,penalty,overdue", [
    (0, "3000.00", "0.00", False), (1, "3000.00", "500.00", True), (2, "3000.00", "1000.00", True),
])
def test_bridge_due_date_is_a_fee_day_and_the_day_after_a_penalty_day(days, fee, penalty, overdue):
    t = bridge(10)
    pos = position(t, [], t.due_date + timedelta(days=days))
    assert (pos.fee_accrued, pos.penalty_accrued, pos.overdue, pos.days_overdue) == (D(fee), D(penalty), overdue,
                                                                                     days)


# --- dated figures (profiles) ----------------------------------------------------------------------------------


def test_a_bridge_loan_counts_as_overdue_from_the_day_after_its_due_date_to_the_day_before_repaid():
    loan_ = BridgeLoanDates(D("1000000.00"), date(2020, 2, 10), date(2020, 2, 20), date(2020, 2, 23), None,
                            ((date(2020, 2, 23), D("1000000.00")),))
    assert bridge_on(loan_, date(2020, 2, 20)).overdue_count == 0
    assert bridge_on(loan_, date(2020, 2, 21)).overdue_count == 1
    assert bridge_on(loan_, date(2020, 2, 22)).overdue_amount == D("1000000.00")
    assert bridge_on(loan_, date(2020, 2, 23)).overdue_count == 0
    assert bridge_on(loan_, date(2020, 2, 23)).days_used == 13
    deltas = bridge_deltas(loan_)
    assert deltas[date(2020, 2, 21)].overdue_count == 1 and deltas[date(2020, 2, 23)].overdue_count == -1


@pytest.mark.parametrize("after_days", [1, 90])
def test_a_pool_loan_is_non_performing_from_due_plus_claim_after_days_to_the_day_before_settled(after_days):
    settled = DUE1 + timedelta(days=after_days + 5)
    loan_ = PoolLoanDates(1, D("1200000.00"), START, ((DUE1, settled), (date(2020, 3, 15), None)))
    bad_from = DUE1 + timedelta(days=after_days)
    assert pool_on(loan_, bad_from - ONE, after_days).npl_principal == 0
    assert pool_on(loan_, bad_from, after_days).npl_principal == D("1200000.00")
    assert pool_on(loan_, settled - ONE, after_days).npl_principal == D("1200000.00")
    deltas = pool_deltas(loan_, after_days)
    assert deltas[bad_from].npl_principal == D("1200000.00")
    if after_days == 90:  # the second installment (due 03-15) is 90 days past due only after the settlement
        assert pool_on(loan_, settled, after_days).npl_principal == 0
        assert deltas[settled].npl_principal == D("-1200000.00")


def test_a_claim_makes_a_pool_loan_non_performing_from_its_filing_date():
    loan_ = PoolLoanDates(1, D("500000.00"), START, ((DUE1, None),), claims=((date(2020, 3, 1), None),))
    assert pool_on(loan_, date(2020, 2, 29), 90).npl_principal == 0
    assert pool_on(loan_, date(2020, 3, 1), 90).npl_principal == D("500000.00")
    assert pool_deltas(loan_, 90)[date(2020, 3, 1)].npl_principal == D("500000.00")
