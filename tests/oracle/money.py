"""An independent money oracle, written from DOMAIN.md only ("Schedules and money rules", "Bridge loans").

Pure Python on ``fractions.Fraction`` and integer fen; it imports nothing from ``bridgefund``. Every figure stays
exact until it is rounded half-up to the fen once. Conventions DOMAIN.md leaves open are named where they are used
(and in docs/reliability.md, "Independent money oracle").
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction as F

GRADES = ((0, "normal"), (90, "special_mention"), (270, "substandard"), (360, "doubtful"))


def fen(x: F) -> int:
    """Half-up to the fen of an exact amount in yuan, as integer fen (ties away from zero)."""
    sign = -1 if x < 0 else 1
    scaled = abs(F(x)) * 100
    whole = scaled.numerator // scaled.denominator
    return sign * (whole + (1 if scaled - whole >= F(1, 2) else 0))


def to_fen(text: str) -> int:
    return int(F(text) * 100)


def text(n: int) -> str:
    sign = "-" if n < 0 else ""
    return f"{sign}{abs(n) // 100}.{abs(n) % 100:02d}"


def add_months(d: date, n: int) -> date:
    """The start date's day of month, ``n`` months on, clamped to that month's last day."""
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def classify(dpd: int) -> str:
    for upper, grade in GRADES:
        if dpd <= upper:
            return grade
    return "loss"


# --- pool schedules ---------------------------------------------------------------------------------------


def amounts(balance: int, rate: F, n: int, method: str) -> list[tuple[int, int]]:
    """(principal, interest) fen of ``n`` monthly installments on ``balance`` fen (not bullet)."""
    r = rate / 12
    P = F(balance, 100)
    if method == "equal_installment":
        payment = fen(P / n) if r == 0 else fen(P * r * (1 + r) ** n / ((1 + r) ** n - 1))
    elif method == "equal_principal":
        payment = fen(P / n)
    else:
        payment = 0
    rows = []
    left = balance
    for k in range(1, n + 1):
        interest = fen(F(left, 100) * rate / 12)
        if k == n:
            part = left  # the last installment absorbs the rounding
        elif method == "equal_installment":
            part = max(0, min(payment - interest, left))
        elif method == "equal_principal":
            part = min(payment, left)
        else:
            part = 0
        rows.append((part, interest))
        left -= part
    return rows


@dataclass
class Inst:
    seq: int
    start: date
    due: date
    principal: int
    interest: int
    principal_paid: int = 0
    interest_paid: int = 0
    penalty_charged: int = 0
    penalty_paid: int = 0
    penalty_from: date | None = None  # penalty charged up to this date
    cancelled: bool = False

    @property
    def unpaid_base(self) -> int:
        return self.principal - self.principal_paid + self.interest - self.interest_paid

    @property
    def settled(self) -> bool:
        return self.unpaid_base == 0 and self.penalty_charged == self.penalty_paid


def schedule(principal: int, rate: F, start: date, n: int, method: str) -> list[Inst]:
    if method == "bullet":
        due = add_months(start, n)
        return [Inst(1, start, due, principal, fen(F(principal, 100) * rate * (due - start).days / 360))]
    dues = [add_months(start, k) for k in range(n + 1)]
    return [Inst(k + 1, dues[k], dues[k + 1], p, i) for k, (p, i) in enumerate(amounts(principal, rate, n, method))]


class Overpaid(Exception):
    pass


@dataclass
class PoolLoan:
    """A pool loan's books after a history of repayments, by DOMAIN.md.

    Open conventions chosen here: penalty interest is charged per installment, rounded once per charge (at each
    repayment and for each view), on unpaid principal + interest from the due date (or the last charge);
    a prepayment recomputes the remaining installments (the current one included) as a fresh schedule of the
    remaining balance, the current installment keeping the principal already prepaid into it and taking as its
    interest Σ balance × days ÷ 360 of the whole current period.
    """

    principal: int
    rate: F
    start: date
    n: int
    method: str
    markup: F = F(1, 2)
    compound: bool = True
    rows: list[Inst] = field(default_factory=list)
    segments: F = F(0)  # Σ balance (yuan) × days of the current period so far, once touched by a prepayment
    seg_from: date | None = None  # the date the running balance holds from, once touched
    touched: int | None = None  # seq of the installment whose period is on actual/360
    last: date | None = None

    def __post_init__(self) -> None:
        self.rows = schedule(self.principal, self.rate, self.start, self.n, self.method)

    # --- figures --------------------------------------------------------------------------------------
    def live(self) -> list[Inst]:
        return [r for r in self.rows if not r.cancelled]

    def penalty_to(self, r: Inst, on: date) -> int:
        """The penalty charge from the last charge to ``on`` (not yet added)."""
        frm = r.penalty_from or r.due
        days = (on - frm).days
        if days <= 0:
            return 0
        base = r.principal - r.principal_paid + (r.interest - r.interest_paid if self.compound else 0)
        return fen(F(base, 100) * self.rate * (1 + self.markup) * days / 360)

    def current(self, on: date) -> Inst | None:
        return next((r for r in self.live() if r.due > on), None)

    def balance_after(self, on: date) -> int:
        """Principal not yet due on ``on``."""
        return sum(r.principal - r.principal_paid for r in self.live() if r.due > on)

    def accrued(self, on: date) -> int:
        """Interest of the current period to ``on`` (actual/360, first day counted, not the last)."""
        cur = self.current(on)
        if cur is None:
            return 0
        bal = self.balance_after(on)
        if bal == 0:  # all principal prepaid: what is left of the interest fixed to that day
            return sum(r.interest - r.interest_paid for r in self.live() if r.due > on)
        if self.touched == cur.seq:
            return fen((self.segments + F(bal, 100) * (on - self.seg_from).days) * self.rate / 360)
        return fen(F(bal, 100) * (on - cur.start).days * self.rate / 360)

    def due_rows(self, on: date) -> list[Inst]:
        return [r for r in self.live() if r.due <= on]

    def penalty_view(self, r: Inst, on: date) -> int:
        return r.penalty_charged + (self.penalty_to(r, on) if r.due < on else 0)

    def amount_due(self, on: date) -> int:
        return sum(r.unpaid_base + self.penalty_view(r, on) - r.penalty_paid for r in self.due_rows(on))

    def payoff(self, on: date) -> int:
        return self.amount_due(on) + self.balance_after(on) + self.accrued(on)

    def outstanding(self) -> int:
        return sum(r.principal - r.principal_paid for r in self.live())

    def days_past_due(self, on: date) -> int:
        for r in self.live():
            if r.due < on and r.unpaid_base + self.penalty_view(r, on) - r.penalty_paid > 0:
                return (on - r.due).days
        return 0

    # --- a repayment ----------------------------------------------------------------------------------
    def repay(self, amount: int, on: date) -> dict:
        """Allocate ``amount`` fen received on ``on``; returns the split. Raises Overpaid beyond the payoff."""
        if amount > self.payoff(on):
            raise Overpaid
        accrued = self.accrued(on)
        for r in self.due_rows(on):  # charge penalty to the day
            if r.due < on:
                r.penalty_charged += self.penalty_to(r, on)
                r.penalty_from = on
        split = {"penalty": 0, "interest": 0, "principal": 0, "prepaid_principal": 0, "allocation": []}
        left = amount
        for r in self.due_rows(on):
            take_pen = min(left, r.penalty_charged - r.penalty_paid)
            left -= take_pen
            take_int = min(left, r.interest - r.interest_paid)
            left -= take_int
            take_pr = min(left, r.principal - r.principal_paid)
            left -= take_pr
            if take_pen or take_int or take_pr:
                r.penalty_paid += take_pen
                r.interest_paid += take_int
                r.principal_paid += take_pr
                split["penalty"] += take_pen
                split["interest"] += take_int
                split["principal"] += take_pr
                split["allocation"].append((r.seq, take_pen, take_int, take_pr))
        cur = self.current(on)
        if left and cur is not None:
            bal = self.balance_after(on)
            if left >= bal:  # all principal: the current period's interest runs to this day, the rest cancelled;
                # money beyond the principal pays that interest in advance (the whole of it: a payoff)
                if bal:  # (with no principal left the interest was fixed by the earlier prepayment)
                    cur.interest = accrued
                cur.principal = cur.principal_paid + bal
                cur.interest_paid += left - bal
                cur.principal_paid = cur.principal
                self.touched = None  # no principal left: nothing accrues any more
                for r in self.live():
                    if r.due > cur.due:
                        r.cancelled = True
                        r.principal = r.interest = 0
                split["interest"] += left - bal
                split["principal"] += bal
                split["prepaid_principal"] = bal
                split["allocation"].append((cur.seq, 0, left - bal, bal))
            else:
                if self.touched != cur.seq:
                    self.touched, self.segments, self.seg_from = cur.seq, F(0), cur.start
                self.segments += F(bal, 100) * (on - self.seg_from).days
                self.seg_from = on
                rest_rows = [r for r in self.live() if r.due > on]
                new_bal = bal - left
                if self.method == "bullet":
                    fresh = [(new_bal, 0)]
                else:
                    fresh = amounts(new_bal, self.rate, len(rest_rows), self.method)
                cur.principal_paid += left
                for r, (p, i) in zip(rest_rows, fresh, strict=True):
                    r.principal = r.principal_paid + p
                    r.interest = i
                cur.interest = fen((self.segments + F(new_bal, 100) * (cur.due - on).days) * self.rate / 360)
                split["prepaid_principal"] = left
                split["principal"] += left
                split["allocation"].append((cur.seq, 0, 0, left))
        self.last = on
        return split


# --- bridge-loan fees -------------------------------------------------------------------------------------


@dataclass
class BridgeLoan:
    """A bridge loan's fee and penalty, by DOMAIN.md "Fee math": day k (1 … days since the value date) at the
    tier with the largest ``from_day ≤ k`` on the principal outstanding that day; days after ``due_date`` at
    ``penalty_daily_rate``; each charge rounded half-up once; repayments take penalty → fee → principal."""

    amount: int
    value_date: date
    due_date: date
    tiers: list[tuple[int, F]]
    penalty_rate: F
    principal: int = 0
    fee_charged: int = 0
    fee_paid: int = 0
    penalty_charged: int = 0
    penalty_paid: int = 0
    charged_to: int = 0  # days k already charged

    def __post_init__(self) -> None:
        self.principal = self.amount

    def tier(self, k: int) -> F:
        return max((t for t in self.tiers if t[0] <= k), key=lambda t: t[0])[1]

    def charge(self, on: date) -> tuple[int, int]:
        """(fee, penalty) for days not yet charged up to ``on``."""
        fee = pen = F(0)
        for k in range(self.charged_to + 1, (on - self.value_date).days + 1):
            if self.value_date + timedelta(days=k) > self.due_date:
                pen += self.penalty_rate
            else:
                fee += self.tier(k)
        p = F(self.principal, 100)
        return fen(p * fee), fen(p * pen)

    def view(self, on: date) -> dict:
        fee, pen = self.charge(on)
        return {"fee": self.fee_charged + fee, "penalty": self.penalty_charged + pen,
                "due": self.principal + self.fee_charged + fee - self.fee_paid + self.penalty_charged + pen
                - self.penalty_paid,
                "days_overdue": max(0, (on - self.due_date).days) if self.principal else 0}

    def repay(self, amount: int, on: date) -> tuple[int, int, int]:
        fee, pen = self.charge(on)
        self.fee_charged += fee
        self.penalty_charged += pen
        self.charged_to = max(self.charged_to, (on - self.value_date).days)
        if amount > self.view(on)["due"]:
            raise Overpaid
        left = amount
        tp = min(left, self.penalty_charged - self.penalty_paid)
        left -= tp
        tf = min(left, self.fee_charged - self.fee_paid)
        left -= tf
        self.penalty_paid += tp
        self.fee_paid += tf
        self.principal -= left
        return tp, tf, left


# --- claims and recoveries --------------------------------------------------------------------------------


def claim_amount(unpaid_principal: int, share: F) -> int:
    """claim = unpaid principal × pool_share, half-up to the fen."""
    return fen(F(unpaid_principal, 100) * share)


def recovery_shares(amounts: list[int], share: F) -> list[int]:
    """The pool's share of each recovery: its share of the cumulative amount, less what was already credited."""
    out, total, credited = [], 0, 0
    for a in amounts:
        total += a
        now = fen(F(total, 100) * share)
        out.append(now - credited)
        credited = now
    return out
