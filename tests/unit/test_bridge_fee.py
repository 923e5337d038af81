"""Bridge-loan fee math: worked examples by hand, then properties of the charge and waterfall rules."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bridgefund.finance import (
    Allocation,
    BridgeTerms,
    FeeTier,
    Overpayment,
    Repayment,
    accrual,
    allocate_next,
    from_fen_int,
    position,
    replay,
    round_fen,
    scheduled_fee,
    validate_fee_tiers,
)

D = Decimal
V = date(2020, 3, 2)
TIERS = (FeeTier(1, D("0.0002")), FeeTier(6, D("0.0004")))  # 0.2‰ days 1–5, 0.4‰ from day 6


def terms(principal: str, term_days: int = 10, tiers=TIERS, penalty: str = "0.001") -> BridgeTerms:
    return BridgeTerms(D(principal), V, V + timedelta(days=term_days), tiers, D(penalty))


def day(k: int) -> date:
    return V + timedelta(days=k)


# --- worked examples -------------------------------------------------------------------------------------


def test_the_domain_example_one_payment_on_day_8():
    loan = terms("5700000", term_days=8)
    # 5,700,000 × 0.0002 × 5 + 5,700,000 × 0.0004 × 3 = 5,700 + 6,840
    assert scheduled_fee(loan) == D("12540.00")
    before = position(loan, [], day(8))
    assert (before.fee_accrued, before.amount_due, before.overdue) == (D("12540.00"), D("5712540.00"), False)
    [split] = replay(loan, [Repayment(day(8), D("5712540.00"))])
    assert split == Allocation(penalty=D("0.00"), fee=D("12540.00"), principal=D("5700000.00"))
    after = position(loan, [Repayment(day(8), D("5712540.00"))], day(8))
    assert after.principal_outstanding == 0 and after.amount_due == 0 and after.settled_on == day(8)
    assert after.fee_charged_total == after.fee_paid == D("12540.00")


def test_partial_repayment_mid_term_reduces_principal_from_the_next_day():
    loan = terms("1000000", term_days=10)
    first, second = replay(loan, [Repayment(day(3), D("400000")), Repayment(day(10), D("602041.44"))])
    # days 1–3: 1,000,000 × 0.0002 × 3 = 600.00
    assert first == Allocation(D("0.00"), D("600.00"), D("399400.00"))
    # days 4–5 on 600,600 at 0.0002: 240.24; days 6–10 at 0.0004: 1,201.20
    assert second == Allocation(D("0.00"), D("1441.44"), D("600600.00"))
    final = position(loan, [Repayment(day(3), D("400000")), Repayment(day(10), D("602041.44"))], day(10))
    assert final.principal_outstanding == 0 and final.fee_paid == D("2041.44")


def test_late_repayment_pays_fee_for_the_term_and_penalty_after_it():
    loan = terms("2000000", term_days=10, penalty="0.001")
    on_13 = position(loan, [], day(13))
    # fee: 2,000,000 × (0.0002 × 5 + 0.0004 × 5) = 6,000; penalty days 11–13: 2,000,000 × 0.001 × 3 = 6,000
    assert (on_13.fee_accrued, on_13.penalty_accrued) == (D("6000.00"), D("6000.00"))
    assert (on_13.overdue, on_13.days_overdue, on_13.amount_due) == (True, 3, D("2012000.00"))
    [split] = replay(loan, [Repayment(day(13), D("2012000.00"))])
    assert split == Allocation(D("6000.00"), D("6000.00"), D("2000000.00"))


def test_overdue_starts_the_day_after_the_due_date():
    loan = terms("2000000", term_days=10)
    assert (position(loan, [], day(10)).overdue, position(loan, [], day(10)).days_overdue) == (False, 0)
    assert (position(loan, [], day(11)).overdue, position(loan, [], day(11)).days_overdue) == (True, 1)
    assert position(loan, [], day(11)).penalty_accrued == D("2000.00")


def test_penalty_is_paid_before_fee_and_the_rest_stays_due():
    loan = terms("1000000", term_days=10, tiers=(FeeTier(1, D("0.0002")),), penalty="0.001")
    [split] = replay(loan, [Repayment(day(12), D("1500"))])
    # charged on day 12: fee 2,000.00, penalty 2,000.00
    assert split == Allocation(D("1500.00"), D("0.00"), D("0.00"))
    after = position(loan, [Repayment(day(12), D("1500"))], day(12))
    assert (after.penalty_accrued, after.fee_accrued, after.principal_outstanding) == (
        D("500.00"),
        D("2000.00"),
        D("1000000.00"),
    )
    # penalty keeps accruing on the whole principal: nothing of it was repaid
    assert position(loan, [Repayment(day(12), D("1500"))], day(13)).penalty_accrued == D("1500.00")


def test_rounding_happens_once_per_charge():
    # 500.50 × 0.00001 = 0.005005 a day: each daily charge rounds up to 0.01, two days at once to 0.01
    loan = terms("500.50", term_days=10, tiers=(FeeTier(1, D("0.00001")),))
    assert position(loan, [], day(1)).fee_accrued == D("0.01")
    assert position(loan, [], day(2)).fee_accrued == D("0.01")
    paid_daily = [Repayment(day(1), D("0.01"))]
    assert replay(loan, paid_daily) == [Allocation(D("0.00"), D("0.01"), D("0.00"))]
    assert position(loan, paid_daily, day(2)).fee_charged_total == D("0.02")


def test_repayment_on_the_value_date_is_all_principal():
    loan = terms("1000")
    assert replay(loan, [Repayment(V, D("400"))]) == [Allocation(D("0.00"), D("0.00"), D("400.00"))]
    assert position(loan, [Repayment(V, D("400"))], day(1)).fee_accrued == D("0.12")  # 600 × 0.0002


def test_overpayment_is_refused_with_the_amount_due():
    loan = terms("5700000", term_days=8)
    with pytest.raises(Overpayment) as caught:
        replay(loan, [Repayment(day(8), D("5712540.01"))])
    assert caught.value.due == D("5712540.00") and caught.value.index == 0
    paid = [Repayment(day(3), D("100")), Repayment(day(8), D("5712540.00"))]
    with pytest.raises(Overpayment) as caught:
        replay(loan, paid)
    assert caught.value.index == 1
    settled = [Repayment(day(8), D("5712540.00"))]
    with pytest.raises(Overpayment) as caught:
        allocate_next(loan, settled, Repayment(day(9), D("0.01")))
    assert caught.value.due == 0 and caught.value.index is None


def test_allocate_next_is_the_last_allocation_of_the_replay():
    loan = terms("1000000")
    prior = [Repayment(day(3), D("400000"))]
    assert allocate_next(loan, prior, Repayment(day(10), D("602041.44"))) == Allocation(
        D("0.00"), D("1441.44"), D("600600.00")
    )


def test_repayment_dates_must_not_go_backwards_or_precede_the_value_date():
    loan = terms("1000")
    with pytest.raises(ValueError, match="before the value date"):
        replay(loan, [Repayment(V - timedelta(days=1), D("1"))])
    with pytest.raises(ValueError, match="before the previous repayment"):
        replay(loan, [Repayment(day(3), D("1")), Repayment(day(2), D("1"))])
    with pytest.raises(ValueError, match="before the loan's value date"):
        position(loan, [], V - timedelta(days=1))


def test_position_ignores_repayments_after_as_of():
    loan = terms("1000000")
    repayments = [Repayment(day(3), D("400000")), Repayment(day(10), D("602041.44"))]
    assert position(loan, repayments, day(5)) == position(loan, repayments[:1], day(5))


def test_years_overdue_are_computed_by_segments():
    loan = terms("10000000", term_days=10, penalty="0.0005")
    far = day(10 + 3650)
    view = position(loan, [], far)
    assert view.penalty_accrued == D("18250000.00")  # 10,000,000 × 0.0005 × 3650
    assert view.days_overdue == 3650 and view.fee_accrued == D("30000.00")


def test_fee_tiers_validation():
    assert validate_fee_tiers(TIERS) == []
    assert validate_fee_tiers([]) == ["at least one fee tier is required"]
    assert validate_fee_tiers([FeeTier(2, D("0.0002"))]) == ["tier 1: from_day must be 1"]
    assert validate_fee_tiers([FeeTier(1, D("0.0002")), FeeTier(1, D("0.0004"))]) == [
        "tier 2: from_day must be greater than 1"
    ]
    assert validate_fee_tiers([FeeTier(1, D("-0.0002"))]) == ["tier 1: daily_rate must not be negative"]
    assert validate_fee_tiers([FeeTier(1, 0.0002)]) == ["tier 1: daily_rate must be a finite decimal"]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from_day must be 1"):
        BridgeTerms(D("1000"), V, day(10), [FeeTier(3, D("0.0002"))], D("0.001"))


def test_terms_validation():
    with pytest.raises(ValueError, match="due_date"):
        BridgeTerms(D("1000"), V, V, TIERS, D("0.001"))
    with pytest.raises(ValueError, match="positive"):
        BridgeTerms(D("0"), V, day(10), TIERS, D("0.001"))
    with pytest.raises(TypeError):
        BridgeTerms(1000.0, V, day(10), TIERS, D("0.001"))  # type: ignore[arg-type]
    assert str(terms("1000").principal) == "1000.00" and terms("1000").term_days == 10


# --- properties ------------------------------------------------------------------------------------------

money = st.integers(min_value=1, max_value=10**11).map(from_fen_int)  # 0.01 .. 10^9 yuan
daily_rates = st.integers(min_value=0, max_value=20_000).map(lambda n: Decimal(n).scaleb(-7))  # 0 .. 2‰


@st.composite
def loans(draw) -> BridgeTerms:
    starts = sorted(draw(st.sets(st.integers(min_value=2, max_value=30), max_size=3)))
    tiers = [FeeTier(k, draw(daily_rates)) for k in [1, *starts]]
    term = draw(st.integers(min_value=1, max_value=30))
    return BridgeTerms(draw(money), V, V + timedelta(days=term), tiers, draw(daily_rates))


@st.composite
def loans_with_repayments(draw):
    """A loan and repayments in date order, each a random part (≥ 0.01) of what is due on its date."""
    loan = draw(loans())
    repayments: list[Repayment] = []
    offset = 0
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        offset += draw(st.integers(min_value=0, max_value=20))
        due = position(loan, repayments, day(offset)).amount_due
        if due == 0:
            break
        fen = draw(st.integers(min_value=1, max_value=int(due * 100)))
        repayments.append(Repayment(day(offset), from_fen_int(fen)))
    return loan, repayments


def naive_accrual(loan: BridgeTerms, principal: Decimal, after: int, through: int) -> tuple[Decimal, Decimal]:
    fee = penalty = Decimal(0)
    for k in range(after + 1, through + 1):
        if k > loan.term_days:
            penalty += principal * loan.penalty_daily_rate
        else:
            fee += principal * max((t for t in loan.fee_tiers if t.from_day <= k), key=lambda t: t.from_day).daily_rate
    return fee, penalty


@settings(max_examples=200, deadline=None)
@given(loans(), st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_segment_accrual_equals_day_by_day(loan, a, b):
    after, through = min(a, b), max(a, b)
    exact = accrual(loan, loan.principal, day(after), day(through))
    assert (exact.fee, exact.penalty) == naive_accrual(loan, loan.principal, after, through)


@settings(max_examples=150, deadline=None)
@given(loans_with_repayments())
def test_allocations_conserve_money_and_are_never_negative(case):
    loan, repayments = case
    allocations = replay(loan, repayments)
    for repayment, split in zip(repayments, allocations, strict=True):
        assert split.total == repayment.amount
        assert min(split.penalty, split.fee, split.principal) >= 0
        assert all(x == round_fen(x) for x in (split.penalty, split.fee, split.principal))
    last = repayments[-1].value_date if repayments else V
    view = position(loan, repayments, last)
    assert sum(a.principal for a in allocations) + view.principal_outstanding == loan.principal
    assert sum(a.fee for a in allocations) == view.fee_paid
    assert sum(a.penalty for a in allocations) == view.penalty_paid
    assert view.fee_charged_total == view.fee_paid + view.fee_accrued
    assert view.penalty_charged_total == view.penalty_paid + view.penalty_accrued
    assert min(view.principal_outstanding, view.fee_accrued, view.penalty_accrued) >= 0


@settings(max_examples=100, deadline=None)
@given(loans_with_repayments(), st.integers(min_value=0, max_value=40))
def test_paying_the_amount_due_settles_and_one_fen_more_is_refused(case, extra_days):
    loan, repayments = case
    when = (repayments[-1].value_date if repayments else V) + timedelta(days=extra_days)
    due = position(loan, repayments, when).amount_due
    assume(due > 0)
    with pytest.raises(Overpayment) as caught:
        allocate_next(loan, repayments, Repayment(when, due + D("0.01")))
    assert caught.value.due == due
    settled = [*repayments, Repayment(when, due)]
    view = position(loan, settled, when)
    assert (view.principal_outstanding, view.amount_due, view.settled_on) == (0, 0, when)
    assert not view.overdue
    assert position(loan, settled, when + timedelta(days=100)).amount_due == 0


@settings(max_examples=100, deadline=None)
@given(loans_with_repayments(), st.integers(min_value=2, max_value=5), st.data())
def test_splitting_a_payment_on_the_same_date_changes_nothing(case, parts, data):
    loan, repayments = case
    assume(repayments and repayments[-1].amount >= D("0.01") * parts)
    *prior, whole = repayments
    cents = int(whole.amount * 100)
    cuts = sorted(data.draw(st.sets(st.integers(1, cents - 1), min_size=parts - 1, max_size=parts - 1)))
    pieces = [from_fen_int(b - a) for a, b in zip([0, *cuts], [*cuts, cents], strict=True)]
    split = [*prior, *(Repayment(whole.value_date, p) for p in pieces)]
    one = replay(loan, repayments)[-1]
    many = replay(loan, split)[len(prior) :]
    assert sum((a.penalty for a in many), D(0)) == one.penalty
    assert sum((a.fee for a in many), D(0)) == one.fee
    assert sum((a.principal for a in many), D(0)) == one.principal
    later = whole.value_date + timedelta(days=7)
    assert position(loan, split, later) == position(loan, repayments, later)


@settings(max_examples=150, deadline=None)
@given(loans(), st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=6, unique=True))
def test_extra_charges_change_the_total_by_at_most_one_fen_each(loan, charge_days):
    """Paying only the charges on some days (principal untouched) and paying off at the end, versus one payoff.

    The exact accrual is the same either way; each extra charge rounds on its own, so the totals charged
    differ by at most 0.01 per extra charge, and both paths end with no principal outstanding.
    """
    *middle, end = sorted(charge_days)
    repayments: list[Repayment] = []
    for k in middle:
        view = position(loan, repayments, day(k))
        charges = view.fee_accrued + view.penalty_accrued
        if charges > 0:
            repayments.append(Repayment(day(k), charges))
    extra = len(repayments)
    repayments.append(Repayment(day(end), position(loan, repayments, day(end)).amount_due))
    single = [Repayment(day(end), position(loan, [], day(end)).amount_due)]
    many_view, one_view = position(loan, repayments, day(end)), position(loan, single, day(end))
    assert many_view.principal_outstanding == one_view.principal_outstanding == 0
    assert sum(a.principal for a in replay(loan, repayments)) == loan.principal
    many_total = many_view.fee_charged_total + many_view.penalty_charged_total
    one_total = one_view.fee_charged_total + one_view.penalty_charged_total
    assert abs(many_total - one_total) <= D("0.01") * extra


@settings(max_examples=100, deadline=None)
@given(loans_with_repayments(), st.lists(st.integers(min_value=0, max_value=90), min_size=2, max_size=8))
def test_charges_are_monotone_in_as_of(case, offsets):
    loan, repayments = case
    views = [position(loan, repayments, day(k)) for k in sorted(offsets)]
    totals = [v.fee_charged_total + v.penalty_charged_total for v in views]
    assert totals == sorted(totals)
    assert [v.fee_charged_total for v in views] == sorted(v.fee_charged_total for v in views)
    bare = [position(loan, [], day(k)) for k in sorted(offsets)]
    assert [v.fee_accrued for v in bare] == sorted(v.fee_accrued for v in bare)
    assert [v.penalty_accrued for v in bare] == sorted(v.penalty_accrued for v in bare)
