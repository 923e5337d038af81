"""finance.profiles: a loan's day deltas sum, on every date, to its figures by definition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bridgefund.finance.profiles import (
    BridgeDay,
    BridgeLoanDates,
    PoolDay,
    PoolLoanDates,
    bridge_deltas,
    bridge_on,
    difference,
    pool_deltas,
    pool_on,
)

START = dt.date(2020, 1, 1)
days = st.integers(min_value=0, max_value=120).map(lambda n: START + dt.timedelta(days=n))
fen = st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


def _sum_bridge(deltas: dict[dt.date, BridgeDay], day: dt.date) -> BridgeDay:
    total = BridgeDay()
    for d, change in deltas.items():
        if d <= day:
            total = total + change  # every field, the financing cost saved too
    return total


def _sum_pool(deltas: dict[dt.date, PoolDay], day: dt.date) -> PoolDay:
    total = PoolDay()
    for d, change in deltas.items():
        if d <= day:
            total = total + change  # every field, the trend's lending too
    return total


def _every_day(first: dt.date, last: dt.date):  # noqa: ANN202
    day = first - dt.timedelta(days=3)
    while day <= last + dt.timedelta(days=3):
        yield day
        day += dt.timedelta(days=1)


@st.composite
def bridge_loans(draw: st.DrawFn) -> BridgeLoanDates:
    amount = draw(fen)
    disbursed = draw(st.one_of(st.none(), days))
    if disbursed is None:
        return BridgeLoanDates(amount, None, None, None, None)
    due = disbursed + dt.timedelta(days=draw(st.integers(1, 30)))
    parts = draw(st.lists(st.integers(1, 100), max_size=4))
    paid_dates = sorted(draw(st.lists(days.filter(lambda d: d >= disbursed), min_size=len(parts),
                                      max_size=len(parts))))
    scale = sum(parts) if draw(st.booleans()) else sum(parts) * 2  # fully repaid, or about half
    payments = [(d, (amount * p / scale).quantize(Decimal("0.01"))) for d, p in zip(paid_dates, parts, strict=True)]
    payments = [(d, p) for d, p in payments if p > 0]
    if scale == sum(parts) and payments:  # make it exact: the last payment takes the rounding
        payments[-1] = (payments[-1][0], amount - sum(p for _, p in payments[:-1]))
        payments = [(d, p) for d, p in payments if p > 0]
    paid = sum((p for _, p in payments), Decimal(0))
    repaid_on = None
    if paid == amount and payments:
        repaid_on = max(d for d, _ in payments) + dt.timedelta(days=draw(st.integers(0, 3)))
    written_off = None
    if repaid_on is None and draw(st.booleans()):
        written_off = draw(days.filter(lambda d: d >= disbursed))
    saved = draw(st.one_of(st.none(), st.integers(-10**6, 10**6).map(lambda n: Decimal(n).scaleb(-2))))
    return BridgeLoanDates(amount, disbursed, due, repaid_on, written_off, tuple(payments), saved)


@settings(max_examples=300, deadline=None)
@given(bridge_loans())
def test_bridge_deltas_sum_to_the_figures_on_every_date(loan: BridgeLoanDates) -> None:
    deltas = bridge_deltas(loan)
    for day in _every_day(START, START + dt.timedelta(days=160)):
        assert _sum_bridge(deltas, day) == bridge_on(loan, day), day


def test_bridge_example_overdue_then_repaid_late() -> None:
    loan = BridgeLoanDates(Decimal("1000.00"), dt.date(2020, 3, 1), dt.date(2020, 3, 8), dt.date(2020, 3, 12), None,
                           ((dt.date(2020, 3, 10), Decimal("400.00")), (dt.date(2020, 3, 12), Decimal("600.00"))))
    assert bridge_deltas(loan) == {
        dt.date(2020, 3, 9): BridgeDay(1, Decimal("1000.00")),
        dt.date(2020, 3, 10): BridgeDay(0, Decimal("-400.00")),
        dt.date(2020, 3, 12): BridgeDay(-1, Decimal("-600.00"), 1, 11),
    }


@st.composite
def pool_loans(draw: st.DrawFn) -> PoolLoanDates:
    start = draw(days)
    principal = draw(fen)
    n = draw(st.integers(0, 6))
    installments = []
    for i in range(n):
        due = start + dt.timedelta(days=10 * (i + 1))
        settled = draw(st.one_of(st.none(), st.integers(-5, 40).map(lambda k, due=due: due + dt.timedelta(days=k))))
        installments.append((due, settled))
    paid = [(draw(days.filter(lambda d: d >= start)), draw(fen)) for _ in range(draw(st.integers(0, 3)))]
    recovered = [(draw(days), draw(fen)) for _ in range(draw(st.integers(0, 2)))]
    claims = tuple((filed, draw(st.one_of(st.none(), st.integers(0, 30).map(
        lambda k, filed=filed: filed + dt.timedelta(days=k))))) for filed in draw(st.lists(days, max_size=2)))
    written_off = tuple((draw(days), draw(fen)) for _ in range(draw(st.integers(0, 1))))
    return PoolLoanDates(7, principal, start, tuple(installments), tuple(paid), tuple(recovered), claims,
                         written_off)


@settings(max_examples=300, deadline=None)
@given(pool_loans(), st.integers(0, 30))
def test_pool_deltas_sum_to_the_figures_on_every_date(loan: PoolLoanDates, after_days: int) -> None:
    deltas = pool_deltas(loan, after_days)
    for day in _every_day(START, START + dt.timedelta(days=220)):
        assert _sum_pool(deltas, day) == pool_on(loan, day, after_days), day


def test_pool_example_late_installment_then_claim() -> None:
    loan = PoolLoanDates(1, Decimal("900.00"), dt.date(2020, 1, 1),
                         ((dt.date(2020, 2, 1), dt.date(2020, 2, 1)), (dt.date(2020, 3, 1), None)),
                         ((dt.date(2020, 2, 1), Decimal("300.00")),), (), ((dt.date(2020, 6, 1), None),))
    assert pool_deltas(loan, 90) == {
        dt.date(2020, 1, 1): PoolDay(Decimal("900.00"), lent_count=1, lent=Decimal("900.00")),
        dt.date(2020, 2, 1): PoolDay(Decimal("-300.00"), returned=Decimal("300.00")),
        # 1 March + 90 days: the unsettled installment makes the loan non-performing (the claim changes nothing)
        dt.date(2020, 5, 30): PoolDay(Decimal(0), Decimal("600.00")),
    }


@settings(deadline=None)  # every field of 220 days' sums: past hypothesis' 200 ms on a loaded machine
@given(pool_loans(), pool_loans(), st.integers(0, 30))
def test_difference_turns_one_contribution_into_the_other(before: PoolLoanDates, after: PoolLoanDates,
                                                          after_days: int) -> None:
    b, a = pool_deltas(before, after_days), pool_deltas(after, after_days)
    change = difference(a, b)
    for day in _every_day(START, START + dt.timedelta(days=220)):
        total = _sum_pool(b, day)
        plus = _sum_pool(change, day)
        assert total + plus == _sum_pool(a, day)
    assert all(change.values())  # zero changes are left out


def test_a_rejected_claim_counts_until_the_day_before_its_rejection() -> None:
    loan = PoolLoanDates(1, Decimal("500.00"), dt.date(2020, 1, 1), (), (), (),
                         ((dt.date(2020, 4, 1), dt.date(2020, 4, 20)),))
    assert pool_on(loan, dt.date(2020, 4, 19), 90).npl_principal == Decimal("500.00")
    assert pool_on(loan, dt.date(2020, 4, 20), 90).npl_principal == 0
    assert pool_deltas(loan, 90) == {
        dt.date(2020, 1, 1): PoolDay(Decimal("500.00"), lent_count=1, lent=Decimal("500.00")),
        dt.date(2020, 4, 1): PoolDay(Decimal(0), Decimal("500.00")),
        dt.date(2020, 4, 20): PoolDay(Decimal(0), Decimal("-500.00")),
    }


def test_written_off_principal_leaves_outstanding_and_stays_non_performing() -> None:
    """DOMAIN.md "Pool write-off": from its value date the written-off principal is no longer outstanding (nor in
    pool_quota_used) and counts as non-performing; the day before, the loan is as it was."""
    loan = PoolLoanDates(1, Decimal("900.00"), dt.date(2020, 1, 1), ((dt.date(2020, 2, 1), None),),
                         ((dt.date(2020, 1, 20), Decimal("100.00")),), (), (),
                         ((dt.date(2020, 3, 10), Decimal("800.00")),))
    # (the trend's lending: lent 900, 100 returned; the write-off is not "returned")
    lending = {"lent_count": 1, "lent": Decimal("900.00"), "returned": Decimal("100.00")}
    assert pool_on(loan, dt.date(2020, 3, 9), 90) == PoolDay(Decimal("800.00"), Decimal(0), **lending)
    assert pool_on(loan, dt.date(2020, 3, 10), 90) == PoolDay(Decimal("0.00"), Decimal("800.00"), **lending)
    # 1 February + 90 days: overdue too, but nothing is outstanding any more: still 800 non-performing
    assert pool_on(loan, dt.date(2020, 5, 1), 90) == PoolDay(Decimal("0.00"), Decimal("800.00"), **lending)
    assert pool_deltas(loan, 90) == {
        dt.date(2020, 1, 1): PoolDay(Decimal("900.00"), lent_count=1, lent=Decimal("900.00")),
        dt.date(2020, 1, 20): PoolDay(Decimal("-100.00"), returned=Decimal("100.00")),
        dt.date(2020, 3, 10): PoolDay(Decimal("-800.00"), Decimal("800.00")),
    }
