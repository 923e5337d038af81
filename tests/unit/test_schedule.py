"""Pool-loan schedules: the domain's check figure, due-date clamping, the four methods, rounding rules."""

import calendar
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bridgefund.finance import (
    Installment,
    RepaymentMethod,
    add_months,
    annuity_payment,
    build_schedule,
    day_count_interest,
    from_fen_int,
    monthly_rate,
    penalty_interest,
    round_fen,
)

D = Decimal
MILLION = D("1000000")


def test_equal_installment_check_figure():
    schedule = build_schedule(MILLION, D("0.0435"), date(2020, 3, 15), 12, RepaymentMethod.EQUAL_INSTALLMENT)
    assert [i.total for i in schedule[:11]] == [D("85309.90")] * 11
    assert schedule[0] == Installment(1, date(2020, 4, 15), D("81684.90"), D("3625.00"))
    assert schedule[-1] == Installment(12, date(2021, 3, 15), D("85001.76"), D("308.13"))
    assert sum(i.principal for i in schedule) == MILLION


def test_equal_principal_by_hand():
    schedule = build_schedule(MILLION, D("0.0435"), date(2020, 3, 15), 12, "equal_principal")
    assert [i.principal for i in schedule] == [D("83333.33")] * 11 + [D("83333.37")]
    assert schedule[0].interest == D("3625.00")
    assert schedule[1].interest == D("3322.92")  # 916,666.67 × 0.003625 = 3,322.9166…
    assert schedule[-1].interest == D("302.08")  # 83,333.37 × 0.003625 = 302.0834…


def test_interest_only_by_hand():
    schedule = build_schedule(MILLION, D("0.0435"), date(2020, 3, 15), 12, "interest_only")
    assert [i.interest for i in schedule] == [D("3625.00")] * 12
    assert [i.principal for i in schedule] == [D("0.00")] * 11 + [MILLION]


def test_bullet_uses_actual_days_over_360():
    [only] = build_schedule(MILLION, D("0.0435"), date(2020, 3, 15), 12, "bullet")
    # 365 days: 1,000,000 × 0.0435 × 365 / 360 = 44,104.1666…
    assert only == Installment(1, date(2021, 3, 15), MILLION, D("44104.17"))
    [leap] = build_schedule(MILLION, D("0.0435"), date(2020, 1, 31), 1, "bullet")
    assert leap.due_date == date(2020, 2, 29) and leap.interest == D("3504.17")  # 29 days: 3,504.166…


def test_zero_rate_needs_no_division_by_zero():
    for method in RepaymentMethod:
        schedule = build_schedule(D("1000.00"), D("0"), date(2020, 1, 1), 3, method)
        assert sum(i.principal for i in schedule) == D("1000.00")
        assert all(i.interest == 0 for i in schedule)
    level = build_schedule(D("1000.00"), D("0"), date(2020, 1, 1), 3, "equal_installment")
    assert [i.principal for i in level] == [D("333.33"), D("333.33"), D("333.34")]


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2020, 1, 31), 1, date(2020, 2, 29)),
        (date(2020, 1, 31), 2, date(2020, 3, 31)),
        (date(2020, 1, 31), 3, date(2020, 4, 30)),
        (date(2021, 1, 31), 1, date(2021, 2, 28)),
        (date(2020, 8, 31), 1, date(2020, 9, 30)),
        (date(2020, 12, 15), 1, date(2021, 1, 15)),
        (date(2020, 2, 29), 12, date(2021, 2, 28)),
        (date(2020, 2, 29), 48, date(2024, 2, 29)),
        (date(2020, 3, 15), 0, date(2020, 3, 15)),
        (date(2020, 3, 31), -1, date(2020, 2, 29)),
        (date(2020, 1, 31), 360, date(2050, 1, 31)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, due):
    assert add_months(start, months) == due


def test_due_dates_come_from_the_start_date_not_from_each_other():
    schedule = build_schedule(D("1200.00"), D("0.06"), date(2020, 1, 31), 4, "equal_principal")
    assert [i.due_date for i in schedule] == [
        date(2020, 2, 29),
        date(2020, 3, 31),
        date(2020, 4, 30),
        date(2020, 5, 31),
    ]


def test_day_count_helpers():
    assert day_count_interest(MILLION, D("0.0435"), 360) == D("43500")
    assert round_fen(day_count_interest(MILLION, D("0.0435"), 31)) == D("3745.83")  # 3,745.8333…
    assert penalty_interest(D("100000"), D("0.06"), D("0.5"), 39) == D("975")
    assert round_fen(penalty_interest(D("100000"), D("0.0435"), D("0.3"), 1)) == D("15.71")  # 15.7083…


def test_annuity_payment_and_monthly_rate():
    assert monthly_rate(D("0.0435")) == D("0.003625")
    assert round_fen(annuity_payment(MILLION, D("0.003625"), 12)) == D("85309.90")
    assert annuity_payment(D("1200"), D("0"), 12) == D("100")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"term_months": 0}, ValueError),
        ({"term_months": True}, ValueError),
        ({"annual_rate": D("-0.01")}, ValueError),
        ({"principal": D("0")}, ValueError),
        ({"principal": D("1.001")}, ValueError),
        ({"principal": 1000.0}, TypeError),
        ({"method": "balloon"}, ValueError),
    ],
)
def test_bad_inputs_are_refused(kwargs, error):
    args = {
        "principal": D("1000"),
        "annual_rate": D("0.05"),
        "start_date": date(2020, 1, 1),
        "term_months": 12,
        "method": "equal_installment",
    }
    with pytest.raises(error):
        build_schedule(**(args | kwargs))


# --- properties ------------------------------------------------------------------------------------------

money = st.integers(min_value=1, max_value=10**11).map(from_fen_int)
annual_rates = st.integers(min_value=0, max_value=2400).map(lambda n: Decimal(n).scaleb(-4))  # 0 .. 24%
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=150, deadline=None)
@given(money, annual_rates, starts, st.integers(min_value=1, max_value=360), st.sampled_from(RepaymentMethod))
# 2.40 × 0.175 ÷ 12 is exactly 0.035: half-up from the exact product is 0.04 (a rate ÷ 12 rounded first gave 0.03)
@example(D("2.40"), D("0.175"), date(2000, 1, 1), 1, RepaymentMethod.INTEREST_ONLY)
def test_schedule_rules_hold_for_every_method(principal, rate, start, term, method):
    schedule = build_schedule(principal, rate, start, term, method)
    assert [i.seq for i in schedule] == list(range(1, len(schedule) + 1))
    assert len(schedule) == (1 if method is RepaymentMethod.BULLET else term)
    assert sum(i.principal for i in schedule) == principal
    for i in schedule:
        for amount in (i.principal, i.interest):
            assert amount >= 0 and amount.as_tuple().exponent == -2
    for i in schedule:
        months = term if method is RepaymentMethod.BULLET else i.seq
        assert i.due_date == add_months(start, months)
        last_day = calendar.monthrange(i.due_date.year, i.due_date.month)[1]
        assert i.due_date.day == min(start.day, last_day)

    if method is RepaymentMethod.BULLET:
        exact = principal * rate * (schedule[0].due_date - start).days / 360
        assert abs(schedule[0].interest - exact) <= D("0.005")
        return
    r = rate / 12
    balance = principal
    for i in schedule:
        assert i.interest == round_fen(balance * rate / 12)  # on the opening balance, from the exact product
        assert abs(i.interest - balance * rate / 12) <= D("0.005")
        balance -= i.principal
    assert balance == 0
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        level = round_fen(annuity_payment(principal, r, term))
        opening = principal
        for i in schedule[:-1]:
            if opening > level:  # not paid off early by rounding (only tiny loans are)
                assert i.total == level
            opening -= i.principal
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        level = round_fen(principal / term)
        assert all(i.principal <= level for i in schedule[:-1])
    if method is RepaymentMethod.INTEREST_ONLY:
        assert all(i.principal == 0 for i in schedule[:-1])


def test_thirty_year_schedule():
    schedule = build_schedule(D("1000000000.00"), D("0.24"), date(2020, 1, 31), 360, "equal_installment")
    assert len(schedule) == 360 and schedule[-1].due_date == date(2050, 1, 31)
    assert sum(i.principal for i in schedule) == D("1000000000.00")
    assert len({i.total for i in schedule[:-1]}) == 1
    # rounding the level payment by ≤ 0.005 compounds at 2% a month into the last installment:
    # the difference is bounded by 0.005 × Σ 1.02^k (k < 360) plus a fen of interest rounding
    bound = D("0.005") * ((D("1.02") ** 360 - 1) / D("0.02")) + D("0.01")
    assert abs(schedule[-1].total - schedule[0].total) <= bound


def test_tiny_loans_never_get_negative_principal():
    # 1.80 over 360 months at 0%: the rounded level payment (0.01) would overpay; later months carry 0.00
    schedule = build_schedule(D("1.80"), D("0"), date(2020, 1, 1), 360, "equal_installment")
    assert sum(i.principal for i in schedule) == D("1.80")
    assert all(i.principal >= 0 for i in schedule)
    assert [i.principal for i in schedule[178:182]] == [D("0.01"), D("0.01"), D("0.00"), D("0.00")]
