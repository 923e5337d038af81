"""Pool-loan repayment schedules and day-count interest (DOMAIN.md, "Schedules and money rules").

* Installment *i* is due *i* months after the start date, on the start date's day of month clamped to the
  month's last day; each due date is computed from the start date, so 31 Jan → 29 Feb → 31 Mar.
* The monthly methods charge a month's interest of balance × annual_rate ÷ 12 on the balance at the start of
  each month — the exact product, rounded once (the monthly rate is never rounded or truncated first:
  1,560.00 at 3.85 % is 5.005 → 5.01); ``bullet`` is a single installment at maturity with interest on
  actual days / 360. The level payment of ``equal_installment`` uses r = annual_rate / 12 at 50 digits.
* Every amount is rounded half-up to the fen from its exact value (:func:`~.money.round_fen_exact`); the last
  installment takes whatever principal is left, so the principals sum exactly to the loan principal.
  No installment's principal is ever negative: when rounding would pay the balance off early (tiny loans),
  the remaining installments carry zero principal.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum

from .money import EXACT, WIDE, ZERO, checked_amount, require_rate, round_fen, round_fen_exact


class RepaymentMethod(StrEnum):
    """How a pool loan is repaid."""

    #: 等额本息: the same payment (principal + interest) every month.
    EQUAL_INSTALLMENT = "equal_installment"
    #: 等额本金: the same principal every month plus interest on the balance.
    EQUAL_PRINCIPAL = "equal_principal"
    #: 按月付息到期还本: interest every month, all principal with the last.
    INTEREST_ONLY = "interest_only"
    #: 到期一次还本付息: principal and interest in one installment at maturity.
    BULLET = "bullet"


@dataclass(frozen=True)
class Installment:
    """One scheduled installment (1-based ``seq``)."""

    seq: int
    due_date: date
    principal: Decimal
    interest: Decimal
    #: The day the installment's interest period begins (the previous due date, or the loan's start date);
    #: derived from the dates above, so not compared.
    period_start: date | None = field(default=None, compare=False)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def add_months(d: date, n: int) -> date:
    """Return the date ``n`` months after ``d`` on the same day of month, clamped to the month's last day."""
    month_index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(d.day, _month_days(year, month)))


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(year: int, month: int) -> int:
    """Days in a month (``calendar.monthrange`` also computes a weekday: this is on the schedule's hot path)."""
    return 29 if month == 2 and calendar.isleap(year) else _DAYS[month - 1]


def monthly_rate(annual_rate: Decimal) -> Decimal:
    """The monthly rate r = annual_rate / 12 used by the monthly methods."""
    with localcontext(WIDE):
        return annual_rate / 12


def month_interest(balance: Decimal, annual_rate: Decimal) -> Decimal:
    """A month's interest on ``balance``: balance × annual_rate ÷ 12 from the exact product, rounded once."""
    with localcontext(EXACT):
        product = balance * annual_rate
    return round_fen_exact(product, 12)


def days_interest(balance_days: Decimal, annual_rate: Decimal) -> Decimal:
    """Interest on ``balance_days`` (Σ balance × days, yuan-days) at actual/360, rounded once from the exact value."""
    with localcontext(EXACT):
        product = balance_days * annual_rate
    return round_fen_exact(product, 360)


def day_count_interest(principal: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Interest on actual days / 360, unrounded: principal × annual_rate × days / 360."""
    with localcontext(WIDE):
        return principal * annual_rate * days / 360


def penalty_interest(principal: Decimal, annual_rate: Decimal, markup: Decimal, days: int) -> Decimal:
    """Penalty interest on overdue principal, unrounded: principal × rate × (1 + markup) × days / 360."""
    with localcontext(WIDE):
        return principal * annual_rate * (1 + markup) * days / 360


def build_schedule(
    principal: Decimal,
    annual_rate: Decimal,
    start_date: date,
    term_months: int,
    method: RepaymentMethod | str,
) -> list[Installment]:
    """Build the installments of a pool loan; principals sum exactly to ``principal``."""
    principal = checked_amount("principal", principal, positive=True)
    require_rate("annual_rate", annual_rate)
    method = RepaymentMethod(method)
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValueError(f"term_months must be a positive integer: {term_months!r}")
    if method is RepaymentMethod.BULLET:
        due = add_months(start_date, term_months)
        with localcontext(EXACT):
            balance_days = principal * (due - start_date).days
        return [Installment(1, due, principal, days_interest(balance_days, annual_rate), start_date)]
    amounts = schedule_amounts(principal, annual_rate, term_months, method)
    starts = [start_date, *(add_months(start_date, seq) for seq in range(1, term_months + 1))]
    return [
        Installment(seq, starts[seq], part, interest, starts[seq - 1])
        for seq, (part, interest) in enumerate(amounts, start=1)
    ]


def schedule_amounts(
    balance: Decimal, annual_rate: Decimal, count: int, method: RepaymentMethod
) -> list[tuple[Decimal, Decimal]]:
    """(principal, interest) of ``count`` monthly installments repaying ``balance`` at ``annual_rate``.

    Used to build a schedule and, after a prepayment, to recompute the installments still to come.
    Each interest is balance × annual_rate ÷ 12 rounded once from the exact product (:func:`month_interest`).
    For ``bullet`` (one installment) the interest returned is one month's; callers use their own.
    """
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        level = round_fen(annuity_payment(balance, monthly_rate(annual_rate), count))
    elif method is RepaymentMethod.EQUAL_PRINCIPAL:
        level = round_fen_exact(balance, count)
    else:
        level = ZERO
    amounts: list[tuple[Decimal, Decimal]] = []
    # One context for the loop (entering one per installment dominated the cost); sums and differences of
    # fen amounts are exact at 50 digits, and the products fen × rate are exact too (at most ~25 digits).
    with localcontext(WIDE):
        for seq in range(1, count + 1):
            interest = round_fen_exact(balance * annual_rate, 12)
            if seq == count:
                part = balance
            elif method is RepaymentMethod.EQUAL_INSTALLMENT:
                part = min(level - interest, balance)
            else:
                part = min(level, balance)
            amounts.append((part, interest))
            balance -= part
    return amounts


def annuity_payment(balance: Decimal, rate: Decimal, count: int) -> Decimal:
    """The level payment B·r·(1+r)^n / ((1+r)^n − 1), unrounded; B / n when r is zero."""
    with localcontext(WIDE):
        if rate == 0:
            return balance / count
        growth = (1 + rate) ** count
        return balance * rate * growth / (growth - 1)
