"""Pool-loan repayments: penalty interest, oldest-first waterfall, prepayment, payoff, classification."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgefund.finance import (
    Classification,
    InstallmentAllocation,
    InstallmentState,
    InstallmentStatus,
    Overpayment,
    Repayment,
    RepaymentMethod,
    allocate_pool_repayment,
    amount_due,
    build_schedule,
    charge_penalties,
    claim_amount,
    classify,
    days_past_due,
    from_fen_int,
    initial_states,
    installment_status,
    payoff_amount,
    principal_outstanding,
    recovery_share,
    replay_pool_repayments,
)

D = Decimal
RATE, MARKUP = D("0.06"), D("0.5")  # r = 0.005 a month; penalty 9% a year
START = date(2020, 1, 15)
TERMS = {"annual_rate": RATE, "penalty_markup": MARKUP, "method": RepaymentMethod.EQUAL_PRINCIPAL}


def loan() -> list[InstallmentState]:
    """1,200,000 over 12 months, equal principal: 100,000 a month plus 6,000, 5,500, 5,000 … interest."""
    return initial_states(build_schedule(D("1200000"), RATE, START, 12, RepaymentMethod.EQUAL_PRINCIPAL))


def pay(states, amount: str, on: date, **terms):
    return allocate_pool_repayment(states, D(amount), on, **(TERMS | terms))


def test_paying_an_installment_on_its_due_date():
    result = pay(loan(), "106000", date(2020, 2, 15))
    assert result.allocations == (InstallmentAllocation(1, D("0.00"), D("6000.00"), D("100000.00")),)
    assert result.prepaid_principal == 0 and result.penalty_charged == 0
    assert installment_status(result.installments[0], date(2020, 2, 15)) is InstallmentStatus.PAID
    assert days_past_due(result.installments, date(2020, 3, 1)) == 0


def test_late_payment_charges_penalty_and_pays_oldest_first():
    states = loan()
    on = date(2020, 3, 25)
    assert days_past_due(states, on) == 39
    result = pay(states, "110000", on, compound=False)
    # without compound interest, penalty: inst 1, 39 days: 100,000 × 0.06 × 1.5 × 39 / 360 = 975; inst 2, 10 days: 250
    assert result.penalty_charged == D("1225.00")
    assert result.allocations == (
        InstallmentAllocation(1, D("975.00"), D("6000.00"), D("100000.00")),
        InstallmentAllocation(2, D("250.00"), D("2775.00"), D("0.00")),
    )
    after = result.installments
    assert after[1].interest_unpaid == D("2725.00") and after[1].penalty_accrued_to == on
    assert days_past_due(after, on) == 10
    assert installment_status(after[1], on) is InstallmentStatus.OVERDUE
    # the next charge counts from the last one: 10 more days on inst 2's 100,000
    later = charge_penalties(after, date(2020, 4, 4), annual_rate=RATE, penalty_markup=MARKUP, compound=False)
    assert later[1].penalty_unpaid == D("250.00")
    assert amount_due(later, date(2020, 4, 4)) == D("102975.00")


def test_overdue_interest_bears_penalty_interest_by_default():
    """复利: the penalty rate runs on overdue principal and overdue interest (not on unpaid penalty)."""
    on = date(2020, 3, 25)
    result = pay(loan(), "110000", on)
    # inst 1, 39 days: 106,000 × 0.09 × 39 / 360 = 1,033.50; inst 2, 10 days: 105,500 × 0.09 × 10 / 360 = 263.75
    assert result.penalty_charged == D("1297.25")
    assert result.allocations[0] == InstallmentAllocation(1, D("1033.50"), D("6000.00"), D("100000.00"))
    # interest-only: three unpaid interest installments each bear penalty on their interest alone
    states = initial_states(build_schedule(D("1200000"), RATE, START, 12, "interest_only"))
    charged = charge_penalties(states, date(2020, 5, 15), annual_rate=RATE, penalty_markup=MARKUP)
    # 6,000 × 0.09 × (90, 61, 30) / 360 = 135.00, 91.50, 45.00
    assert [s.penalty_charged for s in charged[:3]] == [D("135.00"), D("91.50"), D("45.00")]
    plain = charge_penalties(states, date(2020, 5, 15), annual_rate=RATE, penalty_markup=MARKUP, compound=False)
    assert [s.penalty_charged for s in plain[:3]] == [D("0.00")] * 3


def test_payment_smaller_than_the_penalty_goes_to_penalty_only():
    result = pay(loan(), "500", date(2020, 3, 25), compound=False)
    assert result.allocations == (InstallmentAllocation(1, D("500.00"), D("0.00"), D("0.00")),)
    assert result.installments[0].penalty_unpaid == D("475.00")


def test_money_beyond_what_is_due_prepays_and_recomputes_the_rest():
    result = pay(loan(), "306000", date(2020, 2, 15))
    assert result.prepaid_principal == D("200000.00")
    assert result.allocations == (
        InstallmentAllocation(1, D("0.00"), D("6000.00"), D("100000.00")),
        InstallmentAllocation(2, D("0.00"), D("0.00"), D("200000.00")),
    )
    inst = result.installments
    # 900,000 left over 11 installments: 81,818.18 × 10 + 81,818.20; the current period (prepaid on its first
    # day) is on actual/360 at the new balance: 900,000 × 0.06 × 29 / 360 = 4,350.00
    assert (inst[1].principal, inst[1].principal_paid, inst[1].interest) == (
        D("281818.18"),
        D("200000.00"),
        D("4350.00"),
    )
    assert inst[1].accrual_basis == D("900000.00") * 29
    assert (inst[2].principal, inst[2].interest) == (D("81818.18"), D("4090.91"))  # 818,181.82 × 0.005
    assert inst[-1].principal == D("81818.20")
    assert [s.due_date for s in inst] == [s.due_date for s in loan()]
    assert sum(s.principal for s in inst) == D("1200000.00")
    assert principal_outstanding(inst) == D("900000.00")


def test_payoff_closes_the_loan():
    states = pay(loan(), "306000", date(2020, 2, 15)).installments
    on = date(2020, 2, 20)
    # 900,000 principal + 5 days' interest on it: 900,000 × 0.06 × 5 / 360 = 750.00
    assert payoff_amount(states, on, annual_rate=RATE) == D("900750.00")
    with pytest.raises(Overpayment) as caught:
        pay(states, "900750.01", on)
    assert caught.value.due == D("900750.00")
    result = pay(states, "900750", on)
    assert result.allocations == (InstallmentAllocation(2, D("0.00"), D("750.00"), D("900000.00")),)
    inst = result.installments
    assert principal_outstanding(inst) == 0 and sum(s.principal for s in inst) == D("1200000.00")
    assert installment_status(inst[1], on) is InstallmentStatus.PAID
    assert {installment_status(s, on) for s in inst[2:]} == {InstallmentStatus.CANCELLED}
    assert payoff_amount(inst, on, annual_rate=RATE) == 0


def test_prepaying_all_principal_leaves_the_current_interest_for_its_date():
    states = pay(loan(), "306000", date(2020, 2, 15)).installments
    inst = pay(states, "900000", date(2020, 2, 20)).installments
    assert principal_outstanding(inst) == 0
    assert installment_status(inst[1], date(2020, 2, 20)) is InstallmentStatus.PENDING
    # the interest stopped running with the principal on 20 February: 750.00, whenever it is paid
    assert payoff_amount(inst, date(2020, 2, 21), annual_rate=RATE) == D("750.00")
    assert days_past_due(inst, date(2020, 3, 20)) == 5  # its interest is unpaid after 15 March
    final = pay(inst, "750", date(2020, 2, 25))
    assert final.allocations == (InstallmentAllocation(2, D("0.00"), D("750.00"), D("0.00")),)
    assert days_past_due(final.installments, date(2020, 3, 20)) == 0


def test_installment_statuses():
    states = loan()
    assert installment_status(states[0], date(2020, 2, 14)) is InstallmentStatus.PENDING
    assert installment_status(states[0], date(2020, 2, 15)) is InstallmentStatus.DUE
    assert installment_status(states[0], date(2020, 2, 16)) is InstallmentStatus.OVERDUE


def test_penalty_cannot_be_charged_backwards_and_installments_must_be_ordered():
    charged = charge_penalties(loan(), date(2020, 3, 25), annual_rate=RATE, penalty_markup=MARKUP)
    with pytest.raises(ValueError, match="penalty charged through"):
        charge_penalties(charged, date(2020, 3, 24), annual_rate=RATE, penalty_markup=MARKUP)
    with pytest.raises(ValueError, match="seq order"):
        pay(list(reversed(loan())), "1", date(2020, 3, 1))
    with pytest.raises(ValueError):
        pay(loan(), "0", date(2020, 3, 1))


def test_charging_twice_on_the_same_day_charges_nothing_more():
    once = charge_penalties(loan(), date(2020, 5, 1), annual_rate=RATE, penalty_markup=MARKUP)
    assert charge_penalties(once, date(2020, 5, 1), annual_rate=RATE, penalty_markup=MARKUP) == once


def test_bullet_prepayment_charges_each_balance_for_its_days():
    states = initial_states(build_schedule(D("1000000"), D("0.0435"), START, 12, "bullet"))
    assert states[0].interest == D("44225.00")  # 366 days
    result = pay(states, "400000", date(2020, 6, 1), annual_rate=D("0.0435"), method="bullet")
    [inst] = result.installments
    # 1,000,000 for 138 days + 600,000 for 228 days = 274,800,000 yuan-days × 0.0435 / 360 = 33,205.00
    assert (inst.principal, inst.principal_paid, inst.interest) == (D("1000000.00"), D("400000.00"), D("33205.00"))


def test_replay_matches_one_by_one_and_names_the_overpayment():
    repayments = [Repayment(date(2020, 2, 15), D("306000")), Repayment(date(2020, 2, 20), D("900750"))]
    states, results = replay_pool_repayments(
        build_schedule(D("1200000"), RATE, START, 12, "equal_principal"), repayments, **TERMS
    )
    assert principal_outstanding(states) == 0 and len(results) == 2
    with pytest.raises(Overpayment) as caught:
        replay_pool_repayments(
            build_schedule(D("1200000"), RATE, START, 12, "equal_principal"),
            [*repayments, Repayment(date(2020, 2, 21), D("0.01"))],
            **TERMS,
        )
    assert caught.value.index == 2
    with pytest.raises(ValueError, match="before the previous repayment"):
        replay_pool_repayments(
            build_schedule(D("1200000"), RATE, START, 12, "equal_principal"), list(reversed(repayments)), **TERMS
        )


@pytest.mark.parametrize(
    ("days", "grade"),
    [
        (0, Classification.NORMAL),
        (1, Classification.SPECIAL_MENTION),
        (90, Classification.SPECIAL_MENTION),
        (91, Classification.SUBSTANDARD),
        (270, Classification.SUBSTANDARD),
        (271, Classification.DOUBTFUL),
        (360, Classification.DOUBTFUL),
        (361, Classification.LOSS),
        (5000, Classification.LOSS),
    ],
)
def test_classification_boundaries(days, grade):
    assert classify(days) is grade


def test_classification_refuses_negative_days():
    with pytest.raises(ValueError):
        classify(-1)


def test_claim_and_recovery_shares():
    assert claim_amount(D("1234567.89"), D("0.5")) == D("617283.95")  # 617,283.945 rounds half-up
    assert recovery_share(D("100000"), D("0.20")) == D("20000.00")
    assert claim_amount(D("100"), D("1")) == D("100.00")
    with pytest.raises(ValueError):
        claim_amount(D("100"), D("1.01"))
    with pytest.raises(ValueError):
        recovery_share(D("100"), D("-0.1"))


def test_recoveries_are_shared_on_the_cumulative_amount():
    """Three recoveries of 0.01 at 50 %: 0.01 (of 0.005), 0.00 (0.01 of 0.01), 0.01 (0.02 of 0.015) = 0.02."""
    parts = [recovery_share(D("0.01"), D("0.5"), recovered_before=D(k) / 100) for k in range(3)]
    assert parts == [D("0.01"), D("0.00"), D("0.01")]
    assert sum(parts) == recovery_share(D("0.03"), D("0.5")) == D("0.02")
    # a pool credited more under the old per-part rule gets nothing more until the cumulative share catches up
    assert recovery_share(D("0.01"), D("0.5"), recovered_before=D("0.02"), credited_before=D("0.02")) == D("0.00")


# --- properties ------------------------------------------------------------------------------------------

money = st.integers(min_value=1, max_value=10**11).map(from_fen_int)
annual_rates = st.integers(min_value=0, max_value=2400).map(lambda n: Decimal(n).scaleb(-4))
markups = st.integers(min_value=0, max_value=100).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def pool_cases(draw):
    method = draw(st.sampled_from(RepaymentMethod))
    principal, rate = draw(money), draw(annual_rates)
    start = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2024, 12, 31)))
    schedule = build_schedule(principal, rate, start, draw(st.integers(min_value=1, max_value=24)), method)
    terms = {"annual_rate": rate, "penalty_markup": draw(markups), "method": method}
    steps = draw(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=120), st.sampled_from(["part", "due", "payoff"])),
            max_size=8,
        )
    )
    return principal, schedule, terms, start, steps, draw(st.randoms(use_true_random=False))


def check_result(result, amount: Decimal, value_date: date, before_principal: Decimal, loan_principal: Decimal):
    states = result.installments
    assert sum(a.total for a in result.allocations) == amount
    assert sum(s.principal for s in states) == loan_principal
    assert principal_outstanding(states) == before_principal - result.principal
    for s in states:
        for x in (s.principal, s.interest, s.principal_paid, s.interest_paid, s.penalty_paid, s.penalty_charged):
            assert x >= 0 and x.as_tuple().exponent == -2
        assert s.principal_paid <= s.principal and s.interest_paid <= s.interest
        assert s.penalty_paid <= s.penalty_charged
    by_seq = {s.seq: s for s in states}
    for a in result.allocations:
        assert min(a.penalty, a.interest, a.principal) >= 0 and a.total > 0
        earlier_due = [s for s in states if s.seq < a.seq and s.due_date <= value_date]
        assert all(s.unpaid == 0 for s in earlier_due), "oldest installment first"
        inst = by_seq[a.seq]
        if inst.due_date <= value_date:
            if a.interest > 0:
                assert inst.penalty_unpaid == 0, "penalty before interest"
            if a.principal > 0:
                assert inst.penalty_unpaid == 0 and inst.interest_unpaid == 0, "interest before principal"
        else:
            assert a.principal == result.prepaid_principal and a.penalty == 0
            if a.interest > 0:
                assert principal_outstanding(states) == 0, "current interest only once principal is paid off"


@settings(max_examples=150, deadline=None)
@given(pool_cases())
def test_repayment_sequences_keep_every_invariant(case):
    principal, schedule, terms, start, steps, rnd = case
    states = initial_states(schedule)
    on = start
    for gap, kind in steps:
        on += timedelta(days=gap)
        charged = charge_penalties(states, on, annual_rate=terms["annual_rate"], penalty_markup=terms["penalty_markup"])
        limit = payoff_amount(charged, on, annual_rate=terms["annual_rate"])
        if limit == 0:
            break
        due = amount_due(charged, on)
        fen = {"due": int(due * 100), "payoff": int(limit * 100)}.get(kind) or rnd.randint(1, int(limit * 100))
        amount = from_fen_int(fen)
        with pytest.raises(Overpayment):
            allocate_pool_repayment(states, limit + D("0.01"), on, **terms)
        result = allocate_pool_repayment(states, amount, on, **terms)
        check_result(result, amount, on, principal_outstanding(states), principal)
        states = list(result.installments)
        if kind == "payoff":
            assert principal_outstanding(states) == 0
            assert payoff_amount(states, on, annual_rate=terms["annual_rate"]) == 0
        if amount >= due:
            assert days_past_due(states, on) == 0
    assert days_past_due(states, on + timedelta(days=1)) >= 0


@settings(max_examples=100, deadline=None)
@given(
    annual_rates,
    markups,
    money,
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=6, unique=True),
)
def test_extra_penalty_charges_differ_by_at_most_one_fen_each(rate, markup, principal, offsets):
    states = initial_states(build_schedule(principal, rate, START, 1, "bullet"))
    due = states[0].due_date
    *middle, end = sorted(offsets)
    stepwise = states
    for k in middle:
        stepwise = charge_penalties(stepwise, due + timedelta(days=k), annual_rate=rate, penalty_markup=markup)
    stepwise = charge_penalties(stepwise, due + timedelta(days=end), annual_rate=rate, penalty_markup=markup)
    once = charge_penalties(states, due + timedelta(days=end), annual_rate=rate, penalty_markup=markup)
    assert abs(stepwise[0].penalty_charged - once[0].penalty_charged) <= D("0.01") * len(middle)
