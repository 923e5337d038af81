"""Bridge-loan fee math: daily fee tiers, penalty days, charges and the penalty → fee → principal waterfall.

The rules (DOMAIN.md, "Fee math"):

* Day *k* of a loan is the date ``value_date + k`` for ``k = 1 … (as_of − value_date).days``; the value date
  itself is not charged. Day *k* is charged at the rate of the tier with the largest ``from_day ≤ k`` — or at
  ``penalty_daily_rate`` instead when its date is after ``due_date`` — on the principal outstanding that day.
* A repayment dated D is charged through D and reduces principal from day D + 1.
* Accrual is exact. A *charge* happens at each repayment and at each ``as_of`` view: the fee and the penalty
  accrued exactly since the previous charge are each rounded half-up to the fen once and become due. So every
  repayment splits into whole fen and penalty + fee + principal allocated equals the money received.

Principal only changes at repayments, and every repayment is a charge, so between two charges the principal
is constant and an accrual is ``principal × Σ rates`` over a range of days. That sum is computed per tier and
per side of the due date, never day by day: a loan overdue for years costs the same as one repaid on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from itertools import pairwise

from .money import EXACT, ZERO, Overpayment, Repayment, checked_amount, require_rate, round_fen


@dataclass(frozen=True)
class FeeTier:
    """From loan day ``from_day`` on (1-based), the fee is ``daily_rate`` of the principal a day."""

    from_day: int
    daily_rate: Decimal


def validate_fee_tiers(tiers: Sequence[FeeTier]) -> list[str]:
    """Return what is wrong with a step schedule of fee tiers (an empty list when it is usable)."""
    if not tiers:
        return ["at least one fee tier is required"]
    errors: list[str] = []
    for n, tier in enumerate(tiers, start=1):
        if isinstance(tier.from_day, bool) or not isinstance(tier.from_day, int):
            errors.append(f"tier {n}: from_day must be an integer")
        if not isinstance(tier.daily_rate, Decimal) or not tier.daily_rate.is_finite():
            errors.append(f"tier {n}: daily_rate must be a finite decimal")
        elif tier.daily_rate < 0:
            errors.append(f"tier {n}: daily_rate must not be negative")
    if errors:
        return errors
    if tiers[0].from_day != 1:
        errors.append("tier 1: from_day must be 1")
    for n, (before, tier) in enumerate(pairwise(tiers), start=2):
        if tier.from_day <= before.from_day:
            errors.append(f"tier {n}: from_day must be greater than {before.from_day}")
    return errors


@dataclass(frozen=True)
class BridgeTerms:
    """What a disbursed bridge loan charges: its settings are snapshotted at approval."""

    principal: Decimal
    value_date: date
    due_date: date
    fee_tiers: tuple[FeeTier, ...]
    penalty_daily_rate: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "fee_tiers", tuple(self.fee_tiers))
        object.__setattr__(self, "principal", checked_amount("principal", self.principal, positive=True))
        require_rate("penalty_daily_rate", self.penalty_daily_rate)
        if self.due_date <= self.value_date:
            raise ValueError("due_date must be after value_date")
        errors = validate_fee_tiers(self.fee_tiers)
        if errors:
            raise ValueError("; ".join(errors))

    @property
    def term_days(self) -> int:
        """Days from value date to due date: the last fee day is day ``term_days``."""
        return (self.due_date - self.value_date).days


@dataclass(frozen=True)
class Allocation:
    """How one repayment was split; the parts always add up to the money received."""

    penalty: Decimal
    fee: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fee + self.principal


@dataclass(frozen=True)
class Accrual:
    """Fee and penalty accrued exactly (unrounded) over a range of loan days."""

    fee: Decimal
    penalty: Decimal


@dataclass(frozen=True)
class BridgePosition:
    """A bridge loan as of a date: what is outstanding, what was charged and paid, whether it is overdue.

    ``fee_accrued`` and ``penalty_accrued`` are charged but unpaid amounts, including the accrual since the
    last repayment rounded for this view; ``amount_due`` is what settles the loan on ``as_of``.
    """

    as_of: date
    principal_outstanding: Decimal
    fee_accrued: Decimal
    penalty_accrued: Decimal
    amount_due: Decimal
    overdue: bool
    days_overdue: int
    principal_repaid: Decimal
    fee_paid: Decimal
    penalty_paid: Decimal
    fee_charged_total: Decimal
    penalty_charged_total: Decimal
    #: Value date of the repayment that cleared everything, or ``None`` while anything is owed.
    settled_on: date | None


def accrual(terms: BridgeTerms, principal: Decimal, after: date, through: date) -> Accrual:
    """Exact fee and penalty on a constant ``principal`` for loan days dated in (``after``, ``through``]."""
    first = max((after - terms.value_date).days, 0)  # days 1..first are excluded
    last = (through - terms.value_date).days
    if last <= first:
        return Accrual(ZERO, ZERO)
    with localcontext(EXACT):
        fee_rate_days = _tier_rate_days(terms.fee_tiers, first, min(last, terms.term_days))
        penalty_days = max(0, last - max(first, terms.term_days))
        return Accrual(
            fee=principal * fee_rate_days,
            penalty=principal * terms.penalty_daily_rate * penalty_days,
        )


def scheduled_fee(terms: BridgeTerms) -> Decimal:
    """The fee if the whole principal is repaid on the due date (for quotes and the approval form)."""
    return round_fen(accrual(terms, terms.principal, terms.value_date, terms.due_date).fee)


def replay(terms: BridgeTerms, repayments: Sequence[Repayment]) -> list[Allocation]:
    """Allocate each repayment (in value-date order) penalty → fee → principal; one allocation per repayment.

    Raises ``ValueError`` for a repayment dated before the value date or out of order, and
    :class:`Overpayment` (with ``index``) for the first repayment larger than what is due on its date.
    """
    return list(_replay(terms, repayments).allocations)


def allocate_next(terms: BridgeTerms, prior: Sequence[Repayment], new: Repayment) -> Allocation:
    """Allocate ``new`` after the ``prior`` repayments have been applied; raises :class:`Overpayment`."""
    try:
        return replay(terms, [*prior, new])[-1]
    except Overpayment as exc:
        if exc.index == len(prior):
            raise Overpayment(exc.due) from None
        raise


def financing_cost_saved(amount: Decimal, days_used: int, market_daily_rate: Decimal, fee: Decimal,
                         penalty: Decimal) -> Decimal:
    """融资成本节约 of one repaid loan (DOMAIN.md): what a private bridge lender would have charged for the days
    used — ``amount × days_used × market_daily_rate``, rounded half-up to the fen once — minus the fee and penalty
    the fund actually charged. Negative when the fund charged more than the market would have."""
    if days_used < 0:
        raise ValueError("days_used must not be negative")
    require_rate("market_daily_rate", market_daily_rate)
    with localcontext(EXACT):
        return round_fen(amount * days_used * market_daily_rate) - fee - penalty


def is_overdue(due_date: date, day: date, principal_outstanding: Decimal) -> bool:
    """The one rule of "a bridge loan is overdue on ``day``": after its due date (the due date itself is still a fee
    day) with principal outstanding that day. finance.profiles.bridge_on adds the loan's life (disbursed by then,
    not repaid or written off by then); its SQL twin is ``BridgeLoan.overdue_on`` (models.bridge_loan)."""
    return day > due_date and principal_outstanding > 0


def position(terms: BridgeTerms, repayments: Sequence[Repayment], as_of: date) -> BridgePosition:
    """Evaluate the loan on ``as_of``, counting only repayments with ``value_date ≤ as_of``."""
    if as_of < terms.value_date:
        raise ValueError("as_of is before the loan's value date")
    with localcontext(EXACT):
        book = _charge(terms, _replay(terms, [r for r in repayments if r.value_date <= as_of]), as_of)
    overdue = is_overdue(terms.due_date, as_of, book.principal)
    return BridgePosition(
        as_of=as_of,
        principal_outstanding=book.principal,
        fee_accrued=book.fee_due,
        penalty_accrued=book.penalty_due,
        amount_due=book.principal + book.fee_due + book.penalty_due,
        overdue=overdue,
        days_overdue=(as_of - terms.due_date).days if overdue else 0,
        principal_repaid=terms.principal - book.principal,
        fee_paid=book.fee_charged - book.fee_due,
        penalty_paid=book.penalty_charged - book.penalty_due,
        fee_charged_total=book.fee_charged,
        penalty_charged_total=book.penalty_charged,
        settled_on=book.settled_on,
    )


@dataclass(frozen=True)
class _Book:
    """Running state of a loan between charges (all amounts in whole fen)."""

    charged_through: date
    principal: Decimal
    fee_due: Decimal = ZERO
    penalty_due: Decimal = ZERO
    fee_charged: Decimal = ZERO
    penalty_charged: Decimal = ZERO
    settled_on: date | None = None
    allocations: tuple[Allocation, ...] = ()


def _replay(terms: BridgeTerms, repayments: Sequence[Repayment]) -> _Book:
    book = _Book(charged_through=terms.value_date, principal=terms.principal)
    for index, repayment in enumerate(repayments):
        book = _apply(terms, book, repayment, index)
    return book


def _apply(terms: BridgeTerms, book: _Book, repayment: Repayment, index: int) -> _Book:
    with localcontext(EXACT):
        if repayment.value_date < book.charged_through:
            raise ValueError(
                f"repayment {index + 1} is dated {repayment.value_date}, before "
                + ("the value date" if index == 0 else "the previous repayment")
            )
        book = _charge(terms, book, repayment.value_date)
        try:
            return _pay(book, repayment)
        except Overpayment as exc:
            raise Overpayment(exc.due, index) from None


def _charge(terms: BridgeTerms, book: _Book, through: date) -> _Book:
    """Round the fee and penalty accrued since the last charge and make them due."""
    if through <= book.charged_through:
        return book
    accrued = accrual(terms, book.principal, book.charged_through, through)
    fee, penalty = round_fen(accrued.fee), round_fen(accrued.penalty)
    return replace(
        book,
        charged_through=through,
        fee_due=book.fee_due + fee,
        penalty_due=book.penalty_due + penalty,
        fee_charged=book.fee_charged + fee,
        penalty_charged=book.penalty_charged + penalty,
    )


def _pay(book: _Book, repayment: Repayment) -> _Book:
    amount = repayment.amount
    due = book.penalty_due + book.fee_due + book.principal
    if amount > due:
        raise Overpayment(due)
    penalty = min(amount, book.penalty_due)
    fee = min(amount - penalty, book.fee_due)
    allocation = Allocation(penalty=penalty, fee=fee, principal=amount - penalty - fee)
    settled = amount == due
    return replace(
        book,
        principal=book.principal - allocation.principal,
        fee_due=book.fee_due - fee,
        penalty_due=book.penalty_due - penalty,
        settled_on=repayment.value_date if settled else book.settled_on,
        allocations=(*book.allocations, allocation),
    )


def _tier_rate_days(tiers: Sequence[FeeTier], first: int, last: int) -> Decimal:
    """Σ tier rate over loan days ``first + 1 … last`` (tiers validated: sorted, starting on day 1)."""
    total = ZERO
    for n, tier in enumerate(tiers):
        start = max(tier.from_day, first + 1)
        end = last if n + 1 == len(tiers) else min(last, tiers[n + 1].from_day - 1)
        if end >= start:
            total += tier.daily_rate * (end - start + 1)
    return total
