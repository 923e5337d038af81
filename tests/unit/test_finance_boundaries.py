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
    initial_states,
    installment_status,
    payoff_amount,
    position,
    principal_outstanding,
    ratio,
    recovery_share,
    replay,
    replay_pool_repayments,
    scheduled_fee,
    to_fen_int,
    validate_fee_tiers,
)
from bridgefund.finance.money import round_fen
from bridgefund.finance.profiles import BridgeLoanDates, PoolLoanDates, bridge_deltas, bridge_on, pool_deltas, pool_on
from bridgefund.finance.uscc import demo_uscc, validate_uscc

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


def test_payoff_on_a_due_date_owes_that_installment_and_nothing_of_the_next_period():
    states = loan()
    principal = sum((s.principal for s in states), D(0))
    assert payoff_amount(states, DUE1, annual_rate=RATE) == principal + states[0].interest
    # the day before: interest for the 30 days elapsed since the start (actual/360), not the month's
    assert payoff_amount(states, DUE1 - ONE, annual_rate=RATE) == principal + round_fen(principal * RATE * 30 / 360)
    assert payoff_amount(states, START, annual_rate=RATE) == principal  # no day has elapsed
    # the day after: installment 1 is due, plus one day of the next period on the balance after it
    after_first = principal - states[0].principal
    assert payoff_amount(states, DUE1 + ONE, annual_rate=RATE) == (
        principal + states[0].interest + round_fen(after_first * RATE / 360))


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


# --- survivors of the first `make mutate` run (docs/reliability.md lists each) ---------------------------------


def test_installment_statuses_on_its_edges():
    first = loan()[0]
    no_interest = InstallmentState(1, DUE1, D("100.00"), D("0.00"))  # a 0 % installment is not cancelled
    assert installment_status(no_interest, DUE1) is InstallmentStatus.DUE
    assert installment_status(InstallmentState(1, DUE1, D("0.00"), D("0.00")), DUE1) is InstallmentStatus.CANCELLED
    assert installment_status(first, DUE1 - ONE) is InstallmentStatus.PENDING
    assert installment_status(first, DUE1 + ONE) is InstallmentStatus.OVERDUE


def test_two_pool_repayments_on_one_date_are_in_order_and_each_has_its_result():
    schedule = build_schedule(D("1200000"), RATE, START, 12, RepaymentMethod.EQUAL_PRINCIPAL)
    states, results = replay_pool_repayments(
        schedule, [Repayment(DUE1, D("6000.00")), Repayment(DUE1, D("100000.00"))], **TERMS)
    assert [r.total for r in results] == [D("6000.00"), D("100000.00")]
    assert [(r.interest, r.principal) for r in results] == [(D("6000.00"), D("0.00")), (D("0.00"), D("100000.00"))]
    assert principal_outstanding(states) == D("1100000.00")


def test_pool_replay_errors_name_the_repayment_and_the_limit():
    schedule = build_schedule(D("1200000"), RATE, START, 12, RepaymentMethod.EQUAL_PRINCIPAL)
    with pytest.raises(ValueError, match="^repayment 2 is dated before the previous repayment$"):
        replay_pool_repayments(schedule, [Repayment(DUE1, D("1.00")), Repayment(DUE1 - ONE, D("1.00"))], **TERMS)
    limit = payoff_amount(initial_states(schedule), DUE1, annual_rate=RATE)
    with pytest.raises(Overpayment) as caught:
        replay_pool_repayments(schedule, [Repayment(DUE1, D("1.00")), Repayment(DUE1, limit)], **TERMS)
    assert (caught.value.due, caught.value.index) == (limit - D("1.00"), 1)


def test_bridge_replay_error_names_the_repayment():
    t = bridge(10)
    with pytest.raises(ValueError, match="^repayment 2 is dated 2020-02-11, before the previous repayment$"):
        replay(t, [Repayment(date(2020, 2, 12), D("1.00")), Repayment(date(2020, 2, 11), D("1.00"))])
    with pytest.raises(ValueError, match="^repayment 1 is dated 2020-02-09, before the value date$"):
        replay(t, [Repayment(date(2020, 2, 9), D("1.00"))])


def test_finance_errors_name_the_argument():
    with pytest.raises(ValueError, match="^amount must be positive"):
        allocate_pool_repayment(loan(), D("0.00"), DUE1, **TERMS)
    with pytest.raises(ValueError, match="^days past due cannot be negative: -1$"):
        classify(-1)
    with pytest.raises(ValueError, match="^pool_share must be non-negative"):
        claim_amount(D("100.00"), D("-0.1"))
    with pytest.raises(ValueError, match="^pool_share must be at most 1: 1.01$"):
        recovery_share(D("100.00"), D("1.01"))
    with pytest.raises(TypeError, match="^amount must be a Decimal, got str$"):
        to_fen_int("1.00")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^amount must be finite"):
        to_fen_int(D("NaN"))


def test_installments_must_have_increasing_seq_and_may_share_a_due_date():
    a, b = loan()[:2]
    same_seq = [a, InstallmentState(1, b.due_date, b.principal, b.interest)]
    with pytest.raises(ValueError, match="^installments must be in seq order with ascending due dates$"):
        allocate_pool_repayment(same_seq, D("1.00"), DUE1, **TERMS)
    same_day = [a, InstallmentState(2, a.due_date, b.principal, b.interest)]
    result = allocate_pool_repayment(same_day, D("1.00"), DUE1, **TERMS)
    assert result.total == D("1.00")


def test_a_bridge_loan_repaid_on_its_disbursement_date_counts_as_repaid_that_day():
    on = date(2020, 2, 10)
    loan_ = BridgeLoanDates(D("500.00"), on, date(2020, 2, 20), on, None, ((on, D("500.00")),))
    assert (bridge_on(loan_, on).repaid_count, bridge_on(loan_, on).days_used) == (1, 0)
    assert bridge_on(loan_, on - ONE).repaid_count == 0


def test_overdue_needs_principal_outstanding_even_one_fen():
    due = date(2020, 2, 20)
    paid_off = BridgeLoanDates(D("500.00"), date(2020, 2, 10), due, None, None, ((due, D("500.00")),))
    assert bridge_on(paid_off, due + ONE).overdue_count == 0  # principal repaid, fee still owed: not overdue
    one_fen = BridgeLoanDates(D("500.00"), date(2020, 2, 10), due, None, None, ((due, D("499.99")),))
    assert (bridge_on(one_fen, due + ONE).overdue_count, bridge_on(one_fen, due + ONE).overdue_amount) == (
        1, D("0.01"))
    one_yuan = BridgeLoanDates(D("500.00"), date(2020, 2, 10), due, None, None, ((due, D("499.00")),))
    assert bridge_on(one_yuan, due + ONE).overdue_amount == D("1.00")


def test_a_pool_loan_is_outstanding_from_its_start_date():
    loan_ = PoolLoanDates(1, D("1200000.00"), START, ((DUE1, None),))
    assert pool_on(loan_, START, 90).outstanding == D("1200000.00")
    assert pool_on(loan_, START - ONE, 90).outstanding == 0


def test_one_fen_unpaid_is_past_due_and_bears_penalty():
    first, *rest = loan()
    on = DUE1 + timedelta(days=30)
    fen_principal = InstallmentState(1, DUE1, first.principal, first.interest,
                                     principal_paid=first.principal - D("0.01"), interest_paid=first.interest)
    fen_interest = InstallmentState(1, DUE1, first.principal, first.interest, principal_paid=first.principal,
                                    interest_paid=first.interest - D("0.01"))
    assert days_past_due([fen_principal, *rest], on) == 30
    assert days_past_due([fen_interest, *rest], on) == 30
    half_yuan = InstallmentState(1, DUE1, first.principal, first.interest, principal_paid=first.principal - D("0.50"))
    [charged] = charge_penalties([half_yuan], on, annual_rate=RATE, penalty_markup=MARKUP)
    assert charged.penalty_accrued_to == on  # charged (0.50 × 9 % × 30 / 360 rounds to 0.00, but it was charged)
    principal_paid = InstallmentState(1, DUE1, first.principal, first.interest, principal_paid=first.principal)
    # without compounding only principal bears penalty; with it (the default) the unpaid interest does too
    assert charge_penalties([principal_paid], on, annual_rate=RATE, penalty_markup=MARKUP,
                            compound=False) == [principal_paid]
    [compounded] = charge_penalties([principal_paid], on, annual_rate=RATE, penalty_markup=MARKUP)
    assert compounded.penalty_charged == round_fen(first.interest * RATE * (1 + MARKUP) * 30 / 360)


def test_rate_and_ratio_errors_name_the_argument():
    with pytest.raises(ValueError, match="^annual_rate must be non-negative"):
        charge_penalties(loan(), DUE1, annual_rate=D("-0.01"), penalty_markup=MARKUP)
    with pytest.raises(ValueError, match="^penalty_markup must be non-negative"):
        charge_penalties(loan(), DUE1, annual_rate=RATE, penalty_markup=D("-0.01"))
    with pytest.raises(TypeError, match="^numerator must be a Decimal"):
        ratio(1, D("2"), 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^denominator must be a Decimal"):
        ratio(D("1"), 2, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^as_of is before the loan's value date$"):
        position(bridge(10), [], date(2020, 2, 9))


def test_ratio_with_a_denominator_of_one_or_less_than_one():
    assert ratio(D("1"), D("1"), 4) == D("1.0000")
    assert ratio(D("1"), D("0.5"), 2) == D("2.00")
    assert ratio(D("0.01"), D("0.03"), 4) == D("0.3333")


def test_bridge_position_on_a_partial_repayment_and_with_one_fen_left():
    t = bridge(10)
    part = position(t, [Repayment(date(2020, 2, 12), D("400000.00"))], date(2020, 2, 15))
    assert part.settled_on is None and part.as_of == date(2020, 2, 15)
    assert part.principal_repaid == D("399600.00")  # the fee of days 1–2 (2 × 200) is paid first
    left = t.principal - D("0.50")
    late = position(t, [Repayment(t.due_date, left + D("3000.00"))], t.due_date + ONE)
    assert (late.principal_outstanding, late.overdue, late.days_overdue) == (D("0.50"), True, 1)


def test_two_installments_settled_on_one_day_both_stop_counting():
    """Both overdue installments paid by one repayment: non-performing ends that day (two closings on one date)."""
    second = date(2020, 3, 15)
    paid = date(2020, 4, 20)
    loan_ = PoolLoanDates(1, D("1200000.00"), START, ((DUE1, paid), (second, paid), (date(2020, 4, 15), None)))
    deltas = pool_deltas(loan_, 1)
    assert pool_on(loan_, paid - ONE, 1).npl_principal == D("1200000.00")
    assert sum((c.npl_principal for d, c in deltas.items() if d <= paid - ONE), D(0)) == D("1200000.00")
    assert pool_on(loan_, paid + timedelta(days=30), 100).npl_principal == 0
    late = PoolLoanDates(1, D("1200000.00"), START, ((DUE1, paid), (second, paid)))
    assert sum((c.npl_principal for c in pool_deltas(late, 1).values()), D(0)) == 0  # closed again


def test_a_claim_filed_the_day_an_installment_turns_bad_and_rejected_later_leaves_the_installment_counting():
    bad_from = DUE1 + timedelta(days=90)
    loan_ = PoolLoanDates(1, D("500000.00"), START, ((DUE1, None),),
                          claims=((bad_from, bad_from + timedelta(days=10)),))
    deltas = pool_deltas(loan_, 90)
    later = bad_from + timedelta(days=20)
    assert pool_on(loan_, later, 90).npl_principal == D("500000.00")
    assert sum((c.npl_principal for d, c in deltas.items() if d <= later), D(0)) == D("500000.00")


def test_fee_tier_from_day_must_be_an_int():
    assert validate_fee_tiers([FeeTier("1", D("0.0002"))]) == ["tier 1: from_day must be an integer"]  # type: ignore[arg-type]


def test_demo_uscc_serial_and_region_bounds():
    assert len(demo_uscc(10**8 - 1)) == 18
    with pytest.raises(ValueError, match="^serial must be 0..99999999: 100000000$"):
        demo_uscc(10**8)
    for region in ("41010a", "4101000"):
        with pytest.raises(ValueError, match="^region must be 6 digits"):
            demo_uscc(1, region)


def test_bridge_terms_keep_fee_tiers_as_a_tuple_and_name_bad_arguments():
    t = BridgeTerms(principal=D("100"), value_date=date(2020, 2, 10), due_date=date(2020, 2, 11),
                    fee_tiers=[FeeTier(1, D("0.0002"))], penalty_daily_rate=D("0.0005"))  # type: ignore[arg-type]
    assert t.fee_tiers == (FeeTier(1, D("0.0002")),) and hash(t)
    kw = {"value_date": date(2020, 2, 10), "due_date": date(2020, 2, 11), "fee_tiers": (FeeTier(1, D("0.0002")),),
          "penalty_daily_rate": D("0.0005")}
    with pytest.raises(ValueError, match="^principal must be positive"):
        BridgeTerms(principal=D("0"), **kw)
    with pytest.raises(ValueError, match="^penalty_daily_rate must be non-negative"):
        BridgeTerms(principal=D("1"), **{**kw, "penalty_daily_rate": D("-1")})
    with pytest.raises(ValueError, match="^due_date must be after value_date$"):
        BridgeTerms(principal=D("1"), **{**kw, "due_date": date(2020, 2, 10)})
    with pytest.raises(ValueError, match="^tier 1: from_day must be 1; tier 2: from_day must be greater than 2$"):
        BridgeTerms(principal=D("1"), **{**kw, "fee_tiers": (FeeTier(2, D("0")), FeeTier(2, D("0")))})
    with pytest.raises(ValueError, match=r"^amount must be positive"):
        Repayment(date(2020, 2, 10), D("0"))


def test_overpayment_message_names_the_limit_and_the_repayment():
    assert str(Overpayment(D("12.34"))) == "payment exceeds the amount due of 12.34"
    assert str(Overpayment(D("12.34"), 0)) == "payment exceeds the amount due of 12.34 (repayment 1)"


def test_days_overdue_is_zero_before_the_due_date_and_once_the_loan_is_settled():
    t = bridge(10)
    assert position(t, [], t.due_date - ONE).days_overdue == 0
    repaid = position(t, [Repayment(t.due_date, D("1003000.00"))], t.due_date + timedelta(days=3))
    assert (repaid.principal_outstanding, repaid.overdue, repaid.days_overdue) == (D("0.00"), False, 0)
    assert repaid.settled_on == t.due_date


def test_uscc_upper_case_hint_only_when_upper_case_would_help():
    good = demo_uscc(12345678)
    assert good == "91410100123456788Y" and validate_uscc(good) is None
    assert validate_uscc(good.lower()) == "characters not allowed: y (use upper case)"
    assert validate_uscc("91410100ma1234567!") == "characters not allowed: !am"  # upper case would not be enough
    assert validate_uscc(good[:16] + "I" + good[17]) == "characters not allowed: I"


def test_money_and_schedule_errors_name_the_argument():
    from bridgefund.finance.money import checked_amount, from_fen_int, require_rate, round_fen

    with pytest.raises(TypeError, match="^principal must be a Decimal, got str$"):
        checked_amount("principal", "1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^fee must be non-negative: -1$"):
        checked_amount("fee", D("-1"))
    with pytest.raises(TypeError, match="^fen must be an int, got str$"):
        from_fen_int("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^annual_rate must be a Decimal, got str$"):
        require_rate("annual_rate", "0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^amount must be a Decimal, got str$"):
        round_fen("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^principal must be positive: 0$"):
        build_schedule(D("0"), RATE, START, 12, RepaymentMethod.EQUAL_PRINCIPAL)
    with pytest.raises(ValueError, match="^annual_rate must be non-negative: -0.01$"):
        build_schedule(D("100"), D("-0.01"), START, 12, RepaymentMethod.EQUAL_PRINCIPAL)
    with pytest.raises(ValueError, match="^term_months must be a positive integer: 0$"):
        build_schedule(D("100"), RATE, START, 0, RepaymentMethod.EQUAL_PRINCIPAL)


# --- one definition per predicate (issue 12): the rule itself on its edge and the day after ---------------------


def test_is_overdue_is_the_one_rule_on_the_due_date_the_day_after_and_at_zero_principal():
    from bridgefund.finance.bridge import is_overdue

    due = date(2020, 2, 20)
    assert is_overdue(due, due, D("0.01")) is False                      # the due date is still a fee day
    assert is_overdue(due, due + timedelta(days=1), D("0.01")) is True   # the day after: overdue
    assert is_overdue(due, due + timedelta(days=1), D("0.00")) is False  # nothing outstanding: never overdue


def test_classify_reads_the_band_table_on_every_edge_and_the_bands_leave_no_gap():
    from bridgefund.finance.pool import CLASSIFICATION_BANDS, Classification

    bands = list(CLASSIFICATION_BANDS.items())
    assert [g for g, _ in bands] == list(Classification)
    assert bands[0][1][0] == 0 and bands[-1][1][1] is None
    for (_, (_, high)), (_, (low, _)) in zip(bands, bands[1:], strict=False):
        assert low == high + 1  # each band starts the day after the previous one ends
    for grade, (low, high) in bands:
        assert classify(low) is grade
        if high is not None:
            assert classify(high) is grade and classify(high + 1) is not grade
