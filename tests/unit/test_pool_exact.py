"""Schedules, payoffs and prepayments against an exact-fraction reference written here (DOMAIN.md, "Schedules
and money rules"), independent of ``bridgefund.finance``: every figure is a ``Fraction`` until it is rounded
half-up to the fen once, by the rule stated in DOMAIN.md.

The reference works in integer fen and ``Fraction``s, dates by ``calendar.monthrange``; it states the interest
of a period touched by a prepayment as a sum of segments (each balance × its own days), while the code keeps
one running Σ balance × days — two formulations that must agree to the fen.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as F

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bridgefund.finance import (
    Overpayment,
    RepaymentMethod,
    allocate_pool_repayment,
    build_schedule,
    charge_penalties,
    days_interest,
    days_past_due,
    initial_states,
    month_interest,
    payoff_amount,
    principal_outstanding,
)

D = Decimal
METHODS = [m.value for m in RepaymentMethod]


# --- the reference -----------------------------------------------------------------------------------------


def fen(x: F) -> int:
    """Half-up to the fen of a non-negative exact amount in yuan: integer fen."""
    assert x >= 0
    scaled = x * 100
    whole = scaled.numerator // scaled.denominator
    return whole + (1 if scaled - whole >= F(1, 2) else 0)


def yuan(n: int) -> Decimal:
    return D(n).scaleb(-2).quantize(D("0.01"))


def months_after(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def ref_amounts(balance: int, rate: F, count: int, method: str) -> list[tuple[int, int]]:
    """(principal, interest) in fen of ``count`` monthly installments on ``balance`` fen."""
    monthly = rate / 12
    if method == "equal_installment":
        level = fen(F(balance, 100) / count if monthly == 0 else
                    F(balance, 100) * monthly * (1 + monthly) ** count / ((1 + monthly) ** count - 1))
    elif method == "equal_principal":
        level = fen(F(balance, 100) / count)
    else:
        level = 0
    out = []
    for k in range(1, count + 1):
        interest = fen(F(balance, 100) * rate / 12)
        if k == count:
            part = balance
        elif method == "equal_installment":
            part = min(level - interest, balance)
        else:
            part = min(level, balance)
        out.append((part, interest))
        balance -= part
    return out


def ref_schedule(principal: int, rate: F, start: date, n: int, method: str) -> list[tuple[date, date, int, int]]:
    """(period start, due date, principal fen, interest fen) of each installment."""
    if method == "bullet":
        due = months_after(start, n)
        return [(start, due, principal, fen(F(principal, 100) * rate * (due - start).days / 360))]
    dues = [months_after(start, k) for k in range(n + 1)]
    return [(dues[k], dues[k + 1], p, i) for k, (p, i) in enumerate(ref_amounts(principal, rate, n, method))]


def ref_penalty(principal: int, interest: int, due: date, on: date, rate: F, markup: F) -> int:
    """One charge of penalty interest on an unpaid installment from its due date to ``on`` (复利: on both)."""
    days = (on - due).days
    return fen(F(principal + interest, 100) * rate * (1 + markup) * days / 360) if days > 0 else 0


def ref_due(schedule, on: date, rate: F, markup: F) -> int:
    return sum(p + i + ref_penalty(p, i, due, on, rate, markup) for _s, due, p, i in schedule if due <= on)


def current(schedule, on: date):
    return next((row for row in schedule if row[1] > on), None)


# --- strategies ----------------------------------------------------------------------------------------------

# fen, up to 50 million yuan; round amounts (whole tens of yuan) are the ones whose interest lands on half a fen
principals = st.one_of(st.integers(min_value=1, max_value=5 * 10**9),
                       st.integers(min_value=1, max_value=5 * 10**6).map(lambda k: k * 1000))
rates = st.one_of(st.sampled_from(["0.0385", "0.0415", "0.0435", "0.0475", "0.0405", "0"]),
                  st.integers(min_value=0, max_value=65250).map(lambda n: str(D(n).scaleb(-6))))
markups = st.sampled_from(["0", "0.3", "0.5"])
starts = st.dates(min_value=date(2019, 1, 1), max_value=date(2025, 12, 31))


def terms(rate: str, markup: str, method: str) -> dict:
    return {"annual_rate": D(rate), "penalty_markup": D(markup), "method": method}


# --- properties ----------------------------------------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(st.integers(min_value=1, max_value=5 * 10**6).map(lambda k: k * 1000),
       st.sampled_from(["0.0385", "0.0415", "0.0475", "0.0435", "0.0405"]), st.integers(min_value=0, max_value=31))
def test_a_period_interest_is_the_exact_product_rounded_once(balance, rate, days):
    """Round balances at the LPR-style rates land on half a fen about once in 24 (issue 10, item 1)."""
    assert month_interest(yuan(balance), D(rate)) == yuan(fen(F(balance, 100) * F(rate) / 12))
    assert days_interest(yuan(balance) * days, D(rate)) == yuan(fen(F(balance, 100) * days * F(rate) / 360))


@settings(max_examples=300, deadline=None)
@given(principals, rates, starts, st.integers(min_value=1, max_value=60), st.sampled_from(METHODS))
@example(156000, "0.0385", date(2020, 4, 20), 1, "interest_only")  # 5.005 → 5.01
@example(18000000, "0.0385", date(2020, 4, 20), 12, "equal_principal")  # installment 2: 529.375 → 529.38
def test_schedules_match_the_exact_reference(principal, rate, start, n, method):
    got = build_schedule(yuan(principal), D(rate), start, n, method)
    want = ref_schedule(principal, F(rate), start, n, method)
    assert [(i.due_date, i.principal, i.interest) for i in got] == [(due, yuan(p), yuan(i))
                                                                   for _s, due, p, i in want]
    assert sum(i.principal for i in got) == yuan(principal)


@settings(max_examples=300, deadline=None)
@given(principals, rates, markups, starts, st.integers(min_value=1, max_value=24), st.sampled_from(METHODS),
       st.integers(min_value=0, max_value=800))
def test_payoff_on_any_day_matches_the_reference(principal, rate, markup, start, n, method, offset):
    """What is due (with compound penalty), all other principal, the current period's interest to that day."""
    on = start + timedelta(days=offset)
    schedule = ref_schedule(principal, F(rate), start, n, method)
    row = current(schedule, on)
    want = ref_due(schedule, on, F(rate), F(markup))
    if row is not None:
        balance = sum(p for _s, due, p, _i in schedule if due > on)
        want += balance + fen(F(balance, 100) * F(rate) * (on - row[0]).days / 360)
    states = initial_states(build_schedule(yuan(principal), D(rate), start, n, method))
    charged = charge_penalties(states, on, annual_rate=D(rate), penalty_markup=D(markup))
    assert payoff_amount(charged, on, annual_rate=D(rate)) == yuan(want)
    with pytest.raises(Overpayment):
        allocate_pool_repayment(states, yuan(want + 1), on, **terms(rate, markup, method))
    if want == 0:
        return
    result = allocate_pool_repayment(states, yuan(want), on, **terms(rate, markup, method))
    after = result.installments
    assert principal_outstanding(after) == 0 and all(s.unpaid == 0 for s in after)
    assert sum(s.principal for s in after) == yuan(principal)
    # nothing owing: never past due, however late the day asked about
    assert days_past_due(after, on + timedelta(days=4000)) == 0


@settings(max_examples=300, deadline=None)
@given(principals, rates, markups, starts, st.integers(min_value=1, max_value=24), st.sampled_from(METHODS),
       st.integers(min_value=0, max_value=700), st.fractions(min_value=0, max_value=1),
       st.integers(min_value=0, max_value=40))
def test_partial_prepayment_then_payoff_match_the_reference(principal, rate, markup, start, n, method, offset,
                                                            part, later):
    """A prepayment of X on D: the current period is B for its days to D and B − X after (actual/360, one
    rounding), the later installments are the schedule of B − X over the same due dates; a payoff on D2 in the
    same period owes B − X and the interest of B to D plus B − X from D to D2."""
    on = start + timedelta(days=offset)
    schedule = ref_schedule(principal, F(rate), start, n, method)
    row = current(schedule, on)
    if row is None:
        return
    balance = sum(p for _s, due, p, _i in schedule if due > on)
    prepaid = int(balance * part)
    if prepaid == 0 or prepaid == balance:
        return
    due_now = ref_due(schedule, on, F(rate), F(markup))
    states = initial_states(build_schedule(yuan(principal), D(rate), start, n, method))
    result = allocate_pool_repayment(states, yuan(due_now + prepaid), on, **terms(rate, markup, method))
    assert result.prepaid_principal == yuan(prepaid)
    period_start, period_end = row[0], row[1]
    left = balance - prepaid
    touched = F(balance, 100) * (on - period_start).days + F(left, 100) * (period_end - on).days
    after = [s for s in result.installments if s.due_date > on]
    rest = ref_amounts(left, F(rate), len(after), method)
    assert after[0].interest == yuan(fen(touched * F(rate) / 360))
    assert after[0].principal - after[0].principal_paid == yuan(rest[0][0])
    assert [(s.principal, s.interest) for s in after[1:]] == [(yuan(p), yuan(i)) for p, i in rest[1:]]
    assert sum(s.principal for s in result.installments) == yuan(principal)
    # pay it off later in the same period
    on2 = min(on + timedelta(days=later), period_end - timedelta(days=1))
    accrued = F(balance, 100) * (on - period_start).days + F(left, 100) * (on2 - on).days
    want = left + fen(accrued * F(rate) / 360)
    assert payoff_amount(list(result.installments), on2, annual_rate=D(rate)) == yuan(want)
    final = allocate_pool_repayment(list(result.installments), yuan(want), on2, **terms(rate, markup, method))
    assert all(s.unpaid == 0 for s in final.installments)


# --- the issue's repros, at the finance level ----------------------------------------------------------------


def test_issue_repros_at_the_finance_level():
    # 1. half a fen is rounded up from the exact product
    [only] = build_schedule(D("1560.00"), D("0.0385"), date(2020, 4, 20), 1, "interest_only")
    assert only.interest == D("5.01")
    assert build_schedule(D("180000.00"), D("0.0385"), date(2020, 4, 20), 12, "equal_principal")[1].interest == \
        D("529.38")
    million = build_schedule(D("1000000.00"), D("0.0435"), date(2020, 1, 15), 12, "equal_installment")
    assert {i.total for i in million[:11]} == {D("85309.90")}
    kw = terms("0.0435", "0.5", "equal_installment")
    # 2. a payoff on a due date owes that installment and nothing of the next period
    states = initial_states(million)
    assert payoff_amount(states, date(2020, 2, 15), annual_rate=D("0.0435")) == D("1003625.00")
    assert payoff_amount(states, date(2020, 1, 15), annual_rate=D("0.0435")) == D("1000000.00")
    paid = allocate_pool_repayment(states, D("1003625.00"), date(2020, 2, 15), **kw).installments
    assert all(s.unpaid == 0 for s in paid) and paid[1].interest == 0
    assert days_past_due(paid, date(2020, 11, 12)) == 0
    # 3. a bullet loan repaid after one day owes one day's interest
    bullet = initial_states(build_schedule(D("1000000.00"), D("0.0435"), date(2020, 1, 15), 12, "bullet"))
    assert payoff_amount(bullet, date(2020, 1, 16), annual_rate=D("0.0435")) == D("1000120.83")
    # 4. a partial prepayment mid-period: each balance for its days
    part = allocate_pool_repayment(states, D("500000.00"), date(2020, 1, 16), **kw).installments
    assert part[0].interest == D("1933.33")
