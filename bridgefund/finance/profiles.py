"""A loan's contribution to the dated books as *day deltas*: the step functions behind ``GET /fund?as_of`` and
``GET /pool?as_of``, written so that any figure on any date D is a plain sum of deltas dated ≤ D.

A loan's figures (is it overdue? how much of it is outstanding? is it non-performing?) are functions of the
date: they change only on the loan's own dates (disbursement, due date, repayments, write-off, installment due
dates, settlements, claims, recoveries). Each function here sweeps those dates once and returns, for every date
where a figure changes, how much it changes by. The summary tables (``figures``) keep the sum of
every loan's deltas per date; when a loan changes, the difference between its deltas after and before is added.

Each figure's definition is also written as a plain evaluation on one date (``*_on``), the way the old
whole-history SQL read it: the property tests check that the running sum of the deltas equals it on every date.

Pure functions: dates, Decimals and tuples in, dicts out. No floats, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from .bridge import is_overdue
from .money import ZERO

ONE_DAY = dt.timedelta(days=1)


# --- bridge loans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BridgeLoanDates:
    """What a bridge loan's dated figures depend on (no fee or penalty: those are ledger entries)."""

    amount: Decimal
    disbursed_on: dt.date | None
    due_date: dt.date | None
    repaid_on: dt.date | None
    written_off_on: dt.date | None
    #: (value date, principal) of every repayment, any order.
    principal_paid: tuple[tuple[dt.date, Decimal], ...] = ()
    #: The financing cost saved fixed on the loan when it was repaid (None: not fixed).
    financing_cost_saved: Decimal | None = None


class _Figures:
    """Figures that add and subtract field by field; false when every field is zero."""

    def __add__(self, other: _Figures) -> _Figures:
        return type(self)(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))  # type: ignore[arg-type]

    def __sub__(self, other: _Figures) -> _Figures:
        return type(self)(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]


@dataclass(frozen=True)
class BridgeDay(_Figures):
    """A bridge loan's figures on one date (or their change on that date)."""

    overdue_count: int = 0
    overdue_amount: Decimal = ZERO
    repaid_count: int = 0
    days_used: int = 0
    #: Σ of ``financing_cost_saved`` of the loans repaid by the date (``GET /fund``'s financing cost saved).
    financing_cost_saved: Decimal = ZERO


def bridge_on(loan: BridgeLoanDates, day: dt.date) -> BridgeDay:
    """The loan's figures on ``day``, by definition (GET /fund's):

    * **overdue** on D: disbursed by D, ``due_date`` < D, not repaid by D, not written off by D, and principal
      still outstanding on D (amount − principal repaid with value date ≤ D); the overdue amount is that principal;
    * **repaid** by D: ``repaid_on`` ≤ D, and then its days used are ``repaid_on − disbursed_on`` and its
      financing cost saved is the one fixed on the loan (none: 0).
    """
    if loan.disbursed_on is None or loan.disbursed_on > day:
        return BridgeDay()
    outstanding = loan.amount - sum((p for d, p in loan.principal_paid if d <= day), ZERO)
    overdue = (loan.due_date is not None and is_overdue(loan.due_date, day, outstanding)
               and (loan.repaid_on is None or loan.repaid_on > day)
               and (loan.written_off_on is None or loan.written_off_on > day))
    repaid = loan.repaid_on is not None and loan.repaid_on <= day
    return BridgeDay(
        overdue_count=1 if overdue else 0,
        overdue_amount=outstanding if overdue else ZERO,
        repaid_count=1 if repaid else 0,
        days_used=(loan.repaid_on - loan.disbursed_on).days if repaid else 0,  # type: ignore[operator]
        financing_cost_saved=loan.financing_cost_saved if repaid and loan.financing_cost_saved is not None
        else ZERO,
    )


def bridge_deltas(loan: BridgeLoanDates) -> dict[dt.date, BridgeDay]:
    """The loan's figures as changes per date: Σ of the deltas dated ≤ D equals :func:`bridge_on` on D.

    The figures can only change on the disbursement date, the day after the due date, a repayment's value date,
    the repaid date and the write-off date; the function is evaluated there, in date order (a handful of dates).
    """
    if loan.disbursed_on is None:
        return {}
    points = {loan.disbursed_on, *(d for d, _ in loan.principal_paid)}
    points.update(d for d in (loan.repaid_on, loan.written_off_on) if d is not None)
    if loan.due_date is not None:
        points.add(loan.due_date + ONE_DAY)
    return _steps(sorted(points), lambda d: bridge_on(loan, d), BridgeDay())


# --- pool loans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolLoanDates:
    """What a pool loan's dated figures depend on."""

    bank_id: int
    principal: Decimal
    start_date: dt.date
    #: (due date, settled on or None) of every installment.
    installments: tuple[tuple[dt.date, dt.date | None], ...] = ()
    #: (value date, principal) of every repayment.
    principal_paid: tuple[tuple[dt.date, Decimal], ...] = ()
    #: (value date, amount) of every recovery.
    recovered: tuple[tuple[dt.date, Decimal], ...] = ()
    #: (filed on, rejected on or None) of every claim of the loan.
    claims: tuple[tuple[dt.date, dt.date | None], ...] = ()
    #: (value date, principal written off) of the bank's write-off, if any (at most one).
    written_off: tuple[tuple[dt.date, Decimal], ...] = ()


@dataclass(frozen=True)
class PoolDay(_Figures):
    """A pool loan's outstanding and non-performing principal on one date (or their change on that date), and
    its lending as the 12-month trend counts it (``services.report_data.trend``): ``lent_count`` / ``lent`` — the
    loan and its principal from its start date on —, ``returned`` — its principal repaid and recovered, each on
    its own value date (not moved to the start date, and written-off principal not subtracted: the trend's pool
    outstanding is ``lent − returned``)."""

    outstanding: Decimal = ZERO
    npl_principal: Decimal = ZERO
    lent_count: int = 0
    lent: Decimal = ZERO
    returned: Decimal = ZERO


def pool_on(loan: PoolLoanDates, day: dt.date, claim_after_days: int) -> PoolDay:
    """The loan's figures on ``day``, by definition (``figures.pool``):

    * **outstanding** on D: principal (once started) − principal repaid by D − recovered by D − written off by D;
    * **non-performing** on D: started, and an installment due on or before D − ``claim_after_days`` is not
      settled by D (``settled_on`` null or later than D), or a claim filed by D is not rejected; its
      non-performing principal is then its outstanding principal; a claim is live from its filing date until
      the day before its rejection. Principal written off by D is non-performing too (DOMAIN.md, "Pool
      write-off"): it leaves the outstanding principal but stays in the non-performing principal.
    """
    returned = (sum((p for d, p in loan.principal_paid if d <= day), ZERO)
                + sum((a for d, a in loan.recovered if d <= day), ZERO))
    if loan.start_date > day:
        return PoolDay(returned=returned)
    written_off = sum((w for d, w in loan.written_off if d <= day), ZERO)
    outstanding = (loan.principal - sum((p for d, p in loan.principal_paid if d <= day), ZERO)
                   - sum((a for d, a in loan.recovered if d <= day), ZERO) - written_off)
    cutoff = day - dt.timedelta(days=claim_after_days)
    bad = any(due <= cutoff and (settled is None or settled > day) for due, settled in loan.installments) \
        or any(filed <= day and (rejected is None or rejected > day) for filed, rejected in loan.claims)
    return PoolDay(outstanding, (outstanding if bad else ZERO) + written_off, 1, loan.principal, returned)


def pool_deltas(loan: PoolLoanDates, claim_after_days: int) -> dict[dt.date, PoolDay]:
    """The loan's figures as changes per date: Σ of the deltas dated ≤ D equals :func:`pool_on` on D.

    One sweep over the loan's dates (O(k log k) for k installments, not k² like evaluating :func:`pool_on` on
    every date): an installment is a "bad" interval from ``due + claim_after_days`` until its settlement, a
    claim one from its filing date until its rejection; the loan is non-performing while any is open.
    """
    after = dt.timedelta(days=claim_after_days)
    money: dict[dt.date, Decimal] = {loan.start_date: loan.principal}
    written: dict[dt.date, Decimal] = {}
    for d, w in loan.written_off:
        day = max(d, loan.start_date)
        written[day] = written.get(day, ZERO) + w
    for d, p in (*loan.principal_paid, *loan.recovered, *written.items()):
        if d >= loan.start_date:
            money[d] = money.get(d, ZERO) - p
        else:  # money before the start date still counts from the start date on (as pool_on reads it)
            money[loan.start_date] -= p
    opened: dict[dt.date, int] = {}
    for due, settled in loan.installments:
        start = max(due + after, loan.start_date)
        if settled is None or settled > start:
            opened[start] = opened.get(start, 0) + 1
            if settled is not None:
                opened[settled] = opened.get(settled, 0) - 1
    for filed, rejected in loan.claims:
        start = max(filed, loan.start_date)
        if rejected is None or rejected > start:
            opened[start] = opened.get(start, 0) + 1
            if rejected is not None:
                opened[rejected] = opened.get(rejected, 0) - 1

    returned: dict[dt.date, Decimal] = {}
    for d, p in (*loan.principal_paid, *loan.recovered):
        returned[d] = returned.get(d, ZERO) + p

    out: dict[dt.date, PoolDay] = {}
    outstanding, written_off, open_count, before = ZERO, ZERO, 0, PoolDay()
    lent_count, lent, back = 0, ZERO, ZERO
    for day in sorted(money.keys() | opened.keys() | returned.keys()):
        if day >= loan.start_date:
            outstanding += money.get(day, ZERO)
            written_off += written.get(day, ZERO)
            open_count += opened.get(day, 0)
            lent_count, lent = 1, loan.principal
        back += returned.get(day, ZERO)
        now = PoolDay(outstanding, (outstanding if open_count > 0 else ZERO) + written_off, lent_count, lent, back)
        if change := now - before:
            out[day] = change
        before = now
    return out


# --- both -----------------------------------------------------------------------------------------------


def _steps(points: Sequence[dt.date], value_on, zero):  # noqa: ANN001, ANN202 - generic over the day types
    out, before = {}, zero
    for day in points:
        now = value_on(day)
        if change := now - before:
            out[day] = change
        before = now
    return out


def difference(after: dict, before: dict) -> dict:  # noqa: ANN001 - dict[date, BridgeDay | PoolDay]
    """Deltas to add to go from ``before``'s contribution to ``after``'s (dates whose change is zero left out)."""
    out = {}
    for day in after.keys() | before.keys():
        a, b = after.get(day), before.get(day)
        change = a if b is None else (b.__class__() - b if a is None else a - b)
        if change:
            out[day] = change
    return out

