"""Pool-loan repayments, penalty interest, days past due, five-grade classification, claim shares.

The state of a pool loan is its installments (:class:`InstallmentState`, one database row each: the schedule
plus paid columns). A repayment is applied by :func:`allocate_pool_repayment`, which returns new states.

Rules where DOMAIN.md is silent, chosen here:

* **What is due.** On a value date D an installment is *due* when ``due_date ≤ D``. The interest of the
  current period (the first installment not yet due) is not due before its date.
* **Penalty interest** is charged on each overdue installment's unpaid principal (not on unpaid interest —
  no compound interest) for the days after its due date, at annual_rate × (1 + markup) × days / 360.
  It is charged at each repayment (and for each as-of view) for the days since the last charge, rounded
  half-up to the fen once per charge. ``penalty_accrued_to`` records the last charge.
* **Waterfall.** Oldest due installment first; within one, penalty → interest → principal.
* **Prepayment.** Money beyond what is due prepays principal, booked as principal paid on the current
  installment. The installments still to come are recomputed for the remaining principal with the same
  method, due dates and term; the current installment keeps its scheduled interest (interest is earned on
  the balance at the start of the period, as the schedule computes it), the later ones get interest on the
  new balance. The principal column therefore always sums to the loan principal.
* **Payoff.** Once all principal is prepaid, the current installment's interest may be paid too (and only
  then, so a prepayment always reduces principal first); later installments become 0/0 and show as
  ``cancelled``. Anything beyond principal + what is due + the current interest is an :class:`Overpayment`.
  For a ``bullet`` loan the current installment is the only one, so its interest is not reduced by a
  prepayment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from .money import ZERO, Overpayment, Repayment, checked_amount, require_rate, round_fen
from .schedule import Installment, RepaymentMethod, monthly_rate, penalty_interest, schedule_amounts


@dataclass(frozen=True)
class InstallmentState:
    """One installment with what has been paid on it; maps one-to-one onto a database row."""

    seq: int
    due_date: date
    principal: Decimal
    interest: Decimal
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    #: Penalty interest charged so far (whole fen); ``penalty_paid`` never exceeds it.
    penalty_charged: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    #: Date through which penalty has been charged; ``None`` until the first charge.
    penalty_accrued_to: date | None = None

    @classmethod
    def from_installment(cls, installment: Installment) -> InstallmentState:
        return cls(installment.seq, installment.due_date, installment.principal, installment.interest)

    @property
    def principal_unpaid(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        return self.interest - self.interest_paid

    @property
    def penalty_unpaid(self) -> Decimal:
        return self.penalty_charged - self.penalty_paid

    @property
    def unpaid(self) -> Decimal:
        return self.penalty_unpaid + self.interest_unpaid + self.principal_unpaid


class InstallmentStatus(StrEnum):
    """How an installment stands on a date."""

    PENDING = "pending"
    DUE = "due"
    OVERDUE = "overdue"
    PAID = "paid"
    #: Nothing scheduled any more: the loan was prepaid before this installment.
    CANCELLED = "cancelled"


def installment_status(state: InstallmentState, as_of: date) -> InstallmentStatus:
    """Status of an installment on ``as_of`` (its paid columns must reflect repayments up to then)."""
    if state.principal == 0 and state.interest == 0 and state.penalty_charged == 0:
        return InstallmentStatus.CANCELLED
    if state.principal_unpaid == 0 and state.interest_unpaid == 0 and state.penalty_unpaid == 0:
        return InstallmentStatus.PAID
    if state.due_date > as_of:
        return InstallmentStatus.PENDING
    return InstallmentStatus.DUE if state.due_date == as_of else InstallmentStatus.OVERDUE


@dataclass(frozen=True)
class InstallmentAllocation:
    """The part of a repayment that went to one installment."""

    seq: int
    penalty: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


@dataclass(frozen=True)
class PoolAllocationResult:
    """A repayment applied: where the money went, and the installments afterwards."""

    #: Installments that received money, oldest first; their totals add up to the repayment.
    allocations: tuple[InstallmentAllocation, ...]
    #: Principal paid ahead of schedule (included in the current installment's allocation).
    prepaid_principal: Decimal
    #: Penalty interest charged on the value date, before the money was applied.
    penalty_charged: Decimal
    installments: tuple[InstallmentState, ...]

    @property
    def penalty(self) -> Decimal:
        return sum((a.penalty for a in self.allocations), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((a.interest for a in self.allocations), ZERO)

    @property
    def principal(self) -> Decimal:
        return sum((a.principal for a in self.allocations), ZERO)

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


def initial_states(schedule: Sequence[Installment]) -> list[InstallmentState]:
    """The states of a freshly built schedule, nothing paid."""
    return [InstallmentState.from_installment(i) for i in schedule]


def charge_penalties(
    installments: Sequence[InstallmentState],
    as_of: date,
    *,
    annual_rate: Decimal,
    penalty_markup: Decimal,
) -> list[InstallmentState]:
    """Charge penalty interest on overdue unpaid principal through ``as_of`` (one rounded charge each)."""
    require_rate("annual_rate", annual_rate)
    require_rate("penalty_markup", penalty_markup)
    charged = []
    for state in installments:
        if state.penalty_accrued_to is not None and state.penalty_accrued_to > as_of:
            raise ValueError(f"installment {state.seq}: penalty charged through {state.penalty_accrued_to}")
        since = max(state.due_date, state.penalty_accrued_to or state.due_date)
        days = (as_of - since).days
        if days > 0 and state.principal_unpaid > 0:
            penalty = round_fen(penalty_interest(state.principal_unpaid, annual_rate, penalty_markup, days))
            state = replace(state, penalty_charged=state.penalty_charged + penalty, penalty_accrued_to=as_of)
        charged.append(state)
    return charged


def amount_due(installments: Sequence[InstallmentState], as_of: date) -> Decimal:
    """What is due on ``as_of``: everything unpaid on installments due by then (charge penalties first)."""
    return sum((s.unpaid for s in installments if s.due_date <= as_of), ZERO)


def payoff_amount(installments: Sequence[InstallmentState], as_of: date) -> Decimal:
    """The most a repayment on ``as_of`` may be: what is due, all other principal, the current interest."""
    future = [s for s in installments if s.due_date > as_of]
    current_interest = future[0].interest_unpaid if future else ZERO
    return amount_due(installments, as_of) + principal_outstanding(future) + current_interest


def allocate_pool_repayment(
    installments: Sequence[InstallmentState],
    amount: Decimal,
    value_date: date,
    *,
    annual_rate: Decimal,
    penalty_markup: Decimal,
    method: RepaymentMethod | str,
) -> PoolAllocationResult:
    """Charge penalties through ``value_date`` and apply ``amount``: what is due first, the rest prepays.

    ``installments`` are the loan's installments in ``seq`` order (due dates ascending). Raises
    :class:`Overpayment` (nothing applied) when ``amount`` exceeds :func:`payoff_amount`.
    """
    amount = checked_amount("amount", amount, positive=True)
    method = RepaymentMethod(method)
    _require_ordered(installments)
    before = charge_penalties(installments, value_date, annual_rate=annual_rate, penalty_markup=penalty_markup)
    penalty_charged = _total_penalty_charged(before) - _total_penalty_charged(installments)
    limit = payoff_amount(before, value_date)
    if amount > limit:
        raise Overpayment(limit)

    due = [s for s in before if s.due_date <= value_date]
    future = [s for s in before if s.due_date > value_date]
    remaining = amount
    states: list[InstallmentState] = []
    allocations: list[InstallmentAllocation] = []
    for state in due:
        penalty = min(remaining, state.penalty_unpaid)
        interest = min(remaining - penalty, state.interest_unpaid)
        principal = min(remaining - penalty - interest, state.principal_unpaid)
        remaining -= penalty + interest + principal
        if penalty + interest + principal > 0:
            allocations.append(InstallmentAllocation(state.seq, penalty, interest, principal))
            state = replace(
                state,
                penalty_paid=state.penalty_paid + penalty,
                interest_paid=state.interest_paid + interest,
                principal_paid=state.principal_paid + principal,
            )
        states.append(state)

    prepaid = min(remaining, principal_outstanding(future))
    if remaining > 0:
        current_interest = remaining - prepaid  # only when all principal is paid off; bounded by `limit`
        allocations.append(InstallmentAllocation(future[0].seq, ZERO, current_interest, prepaid))
        future = _prepay(future, prepaid, current_interest, monthly_rate(annual_rate), method)
    return PoolAllocationResult(
        allocations=tuple(allocations),
        prepaid_principal=prepaid,
        penalty_charged=penalty_charged,
        installments=(*states, *future),
    )


def replay_pool_repayments(
    schedule: Sequence[Installment],
    repayments: Sequence[Repayment],
    *,
    annual_rate: Decimal,
    penalty_markup: Decimal,
    method: RepaymentMethod | str,
) -> tuple[list[InstallmentState], list[PoolAllocationResult]]:
    """Apply repayments (in value-date order) to a fresh schedule: the states after, and each result.

    Evaluating a loan as of a past date is this replay over the repayments dated up to then.
    """
    states = initial_states(schedule)
    results = []
    for index, repayment in enumerate(repayments):
        if index and repayment.value_date < repayments[index - 1].value_date:
            raise ValueError(f"repayment {index + 1} is dated before the previous repayment")
        try:
            result = allocate_pool_repayment(
                states,
                repayment.amount,
                repayment.value_date,
                annual_rate=annual_rate,
                penalty_markup=penalty_markup,
                method=method,
            )
        except Overpayment as exc:
            raise Overpayment(exc.due, index) from None
        states = list(result.installments)
        results.append(result)
    return states, results


def principal_outstanding(installments: Sequence[InstallmentState]) -> Decimal:
    """Unpaid principal over all installments."""
    return sum((s.principal_unpaid for s in installments), ZERO)


def days_past_due(installments: Sequence[InstallmentState], as_of: date) -> int:
    """Days since the due date of the oldest installment with principal or interest unpaid (0 if none)."""
    unpaid = [s.due_date for s in installments if s.principal_unpaid > 0 or s.interest_unpaid > 0]
    oldest = min(unpaid, default=as_of)
    return max((as_of - oldest).days, 0)


class Classification(StrEnum):
    """Five-grade loan classification (五级分类, 2023 rules) by days past due."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


def classify(days_past_due: int) -> Classification:
    """0 → normal, 1–90 → special mention, 91–270 → substandard, 271–360 → doubtful, over 360 → loss."""
    if days_past_due < 0:
        raise ValueError(f"days past due cannot be negative: {days_past_due}")
    if days_past_due == 0:
        return Classification.NORMAL
    if days_past_due <= 90:
        return Classification.SPECIAL_MENTION
    if days_past_due <= 270:
        return Classification.SUBSTANDARD
    if days_past_due <= 360:
        return Classification.DOUBTFUL
    return Classification.LOSS


def claim_amount(unpaid_principal: Decimal, pool_share: Decimal) -> Decimal:
    """The compensation the pool pays on a claim: unpaid principal × pool share, rounded to the fen."""
    return round_fen(unpaid_principal * _share(pool_share))


def recovery_share(amount: Decimal, pool_share: Decimal) -> Decimal:
    """The part of a recovery that returns to the pool: amount × pool share, rounded to the fen."""
    return round_fen(amount * _share(pool_share))


def _share(pool_share: Decimal) -> Decimal:
    require_rate("pool_share", pool_share)
    if pool_share > 1:
        raise ValueError(f"pool_share must be at most 1: {pool_share}")
    return pool_share


def _prepay(
    future: list[InstallmentState],
    prepaid: Decimal,
    current_interest: Decimal,
    rate: Decimal,
    method: RepaymentMethod,
) -> list[InstallmentState]:
    """Book a prepayment on the current installment and recompute the ones to come for what remains."""
    current = future[0]
    if prepaid == 0:
        return [replace(current, interest_paid=current.interest_paid + current_interest), *future[1:]]
    remaining = principal_outstanding(future) - prepaid
    amounts = schedule_amounts(remaining, rate, len(future), method)
    recomputed = [
        replace(
            current,
            principal=current.principal_paid + prepaid + amounts[0][0],
            principal_paid=current.principal_paid + prepaid,
            interest_paid=current.interest_paid + current_interest,
        )
    ]
    # Later installments are never paid ahead (prepayment is booked on the current one): only amounts change.
    for state, (principal, interest) in zip(future[1:], amounts[1:], strict=True):
        recomputed.append(replace(state, principal=state.principal_paid + principal, interest=interest))
    return recomputed


def _total_penalty_charged(installments: Sequence[InstallmentState]) -> Decimal:
    return sum((s.penalty_charged for s in installments), ZERO)


def _require_ordered(installments: Sequence[InstallmentState]) -> None:
    for a, b in pairwise(installments):
        if b.seq <= a.seq or b.due_date < a.due_date:
            raise ValueError("installments must be in seq order with ascending due dates")
