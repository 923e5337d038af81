"""Pool-loan repayments, penalty interest, days past due, five-grade classification, claim shares.

The state of a pool loan is its installments (:class:`InstallmentState`, one database row each: the schedule
plus paid columns). A repayment is applied by :func:`allocate_pool_repayment`, which returns new states.

The rules (DOMAIN.md, "Schedules and money rules"), and the choices made where it is silent:

* **What is due.** On a value date D an installment is *due* when ``due_date ≤ D``. The *current*
  installment is the first one not yet due; its interest period runs from ``period_start`` (the previous due
  date, or the start date) to its due date, and none of it is due before that date.
* **Penalty interest** is charged on each overdue installment's unpaid principal and — with
  ``compound`` (复利, the pool setting ``compound_overdue_interest``, default on) — its unpaid interest, for the
  days after its due date, at annual_rate × (1 + markup) × days / 360. Unpaid penalty bears none. It is charged
  at each repayment (and for each as-of view) for the days since the last charge, rounded half-up to the fen
  once per charge from the exact product. ``penalty_accrued_to`` records the last charge.
* **Waterfall.** Oldest due installment first; within one, penalty → interest → principal.
* **Interest runs to the day money comes back.** Money beyond what is due prepays principal, booked as
  principal paid on the current installment. The current period is then charged actual/360 for each of its
  days at the balance outstanding that day (counting the first day, not the last): its interest is
  ``days_interest(accrual_basis)`` where ``accrual_basis`` = Σ balance × days over the period, kept exact
  (yuan-days) and rounded once. A prepayment of p on D lowers it by p × (due date − D) days. (Before any
  prepayment the period carries its scheduled interest: a month's balance × rate ÷ 12, or for ``bullet``
  actual/360 over the term.) So prepaying 500,000 of 1,000,000 at 4.35 % one day into a 31-day period leaves
  120.83 + 1,812.50 = 1,933.33. The installments after the current one are recomputed for the remaining
  principal with the same method, due dates and term (monthly interest on the new balance). The principal
  column always sums to the loan principal.
* **Payoff.** Once all principal is prepaid, the current installment's interest is what accrued to D
  (nothing on the period's first day, so a payoff on a due date owes that installment and nothing of the
  next period; a bullet loan paid off after one day owes one day's interest) and it may be paid too — only
  then, so a prepayment always reduces principal first. Later installments become 0/0 and show as
  ``cancelled``. :func:`payoff_amount` is what settles the loan on a date; anything beyond it is an
  :class:`Overpayment`.
* **Settled.** An installment is settled when its principal and interest are paid (:func:`is_settled`);
  a zero installment is settled, and stops being settled if a prepayment moves principal into it. Days past
  due count only unsettled installments, so a loan with nothing owing is never past due.
* **Recoveries** are shared on the cumulative amount (:func:`recovery_share`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from itertools import pairwise

from .money import EXACT, ZERO, Overpayment, Repayment, checked_amount, require_rate, round_fen, round_fen_exact
from .schedule import Installment, RepaymentMethod, days_interest, schedule_amounts


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
    #: Σ balance × days (yuan-days) of the interest period once a prepayment has put it on actual/360;
    #: ``None`` while the installment carries its scheduled interest.
    accrual_basis: Decimal | None = None
    #: First day of the interest period (previous due date or the loan's start date); needed for the
    #: first installment, the others default to the previous installment's due date. Derived: not compared.
    period_start: date | None = field(default=None, compare=False)

    @classmethod
    def from_installment(cls, installment: Installment) -> InstallmentState:
        return cls(installment.seq, installment.due_date, installment.principal, installment.interest,
                   period_start=installment.period_start)

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


def is_settled(state: InstallmentState) -> bool:
    """Whether principal and interest are fully paid — the one rule for settlement (``settled_on`` in the
    database, days past due, classification and NPL all follow it). A zero installment is settled."""
    return state.principal_unpaid == 0 and state.interest_unpaid == 0


def installment_status(state: InstallmentState, as_of: date) -> InstallmentStatus:
    """Status of an installment on ``as_of`` (its paid columns must reflect repayments up to then)."""
    if state.principal == 0 and state.interest == 0 and state.penalty_charged == 0:
        return InstallmentStatus.CANCELLED
    if is_settled(state) and state.penalty_unpaid == 0:
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
    compound: bool = True,
) -> list[InstallmentState]:
    """Charge penalty interest through ``as_of`` (one rounded charge each) on overdue unpaid principal and,
    with ``compound`` (复利), overdue unpaid interest."""
    require_rate("annual_rate", annual_rate)
    require_rate("penalty_markup", penalty_markup)
    charged = []
    for state in installments:
        if state.penalty_accrued_to is not None and state.penalty_accrued_to > as_of:
            raise ValueError(f"installment {state.seq}: penalty charged through {state.penalty_accrued_to}")
        since = max(state.due_date, state.penalty_accrued_to or state.due_date)
        days = (as_of - since).days
        base = state.principal_unpaid + (state.interest_unpaid if compound else ZERO)
        if days > 0 and base > 0:
            with localcontext(EXACT):
                product = base * annual_rate * (1 + penalty_markup) * days
            penalty = round_fen_exact(product, 360)
            state = replace(state, penalty_charged=state.penalty_charged + penalty, penalty_accrued_to=as_of)
        charged.append(state)
    return charged


def amount_due(installments: Sequence[InstallmentState], as_of: date) -> Decimal:
    """What is due on ``as_of``: everything unpaid on installments due by then (charge penalties first)."""
    return sum((s.unpaid for s in installments if s.due_date <= as_of), ZERO)


def payoff_amount(installments: Sequence[InstallmentState], as_of: date, *, annual_rate: Decimal) -> Decimal:
    """What settles the loan on ``as_of`` (the most a repayment then may be): what is due, all other
    principal, and the current period's interest accrued to ``as_of`` (charge penalties first)."""
    due = [s for s in installments if s.due_date <= as_of]
    future = [s for s in installments if s.due_date > as_of]
    if not future:
        return amount_due(due, as_of)
    balance = principal_outstanding(future)
    start = _period_start(future[0], due[-1] if due else None)
    accrued = days_interest(_basis_after(future[0], start, as_of, balance, balance), annual_rate)
    return amount_due(due, as_of) + balance + accrued - future[0].interest_paid


def _period_start(current: InstallmentState, previous: InstallmentState | None) -> date:
    if current.period_start is not None:
        return current.period_start
    if previous is None:
        raise ValueError(f"installment {current.seq}: period_start is needed for the first installment")
    return previous.due_date


def _basis_after(current: InstallmentState, start: date, on: date, balance: Decimal, prepaid: Decimal) -> Decimal:
    """The current period's Σ balance × days once ``prepaid`` of ``balance`` comes back on ``on``.

    Until a prepayment the balance stays ``balance`` over the whole period (``accrual_basis`` is ``None``);
    ``prepaid`` is then off the balance for the days from ``on`` to the due date.
    """
    period_days = max((current.due_date - start).days, 0)
    days_left = min(max((current.due_date - on).days, 0), period_days)
    with localcontext(EXACT):
        basis = balance * period_days if current.accrual_basis is None else current.accrual_basis
        return basis - prepaid * days_left



def allocate_pool_repayment(
    installments: Sequence[InstallmentState],
    amount: Decimal,
    value_date: date,
    *,
    annual_rate: Decimal,
    penalty_markup: Decimal,
    method: RepaymentMethod | str,
    compound: bool = True,
) -> PoolAllocationResult:
    """Charge penalties through ``value_date`` and apply ``amount``: what is due first, the rest prepays.

    ``installments`` are the loan's installments in ``seq`` order (due dates ascending). Raises
    :class:`Overpayment` (nothing applied) when ``amount`` exceeds :func:`payoff_amount`.
    """
    amount = checked_amount("amount", amount, positive=True)
    method = RepaymentMethod(method)
    _require_ordered(installments)
    before = charge_penalties(installments, value_date, annual_rate=annual_rate, penalty_markup=penalty_markup,
                              compound=compound)
    penalty_charged = _total_penalty_charged(before) - _total_penalty_charged(installments)
    limit = payoff_amount(before, value_date, annual_rate=annual_rate)
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
        start = _period_start(future[0], due[-1] if due else None)
        future = _prepay(future, start, value_date, prepaid, current_interest, annual_rate, method)
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
    compound: bool = True,
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
                compound=compound,
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


#: The one table of the five grades: each grade's days-past-due band, inclusive (``None`` = unbounded), in order.
#: :func:`classify` reads it, and the SQL filter of ``GET /pool/loans?classification=`` is generated from it
#: (services.pool_loans).
CLASSIFICATION_BANDS: dict[Classification, tuple[int, int | None]] = {
    Classification.NORMAL: (0, 0),
    Classification.SPECIAL_MENTION: (1, 90),
    Classification.SUBSTANDARD: (91, 270),
    Classification.DOUBTFUL: (271, 360),
    Classification.LOSS: (361, None),
}


def classify(days_past_due: int) -> Classification:
    """0 → normal, 1–90 → special mention, 91–270 → substandard, 271–360 → doubtful, over 360 → loss."""
    if days_past_due < 0:
        raise ValueError(f"days past due cannot be negative: {days_past_due}")
    for grade, (low, high) in CLASSIFICATION_BANDS.items():
        if low <= days_past_due and (high is None or days_past_due <= high):
            return grade
    raise AssertionError(f"no band holds {days_past_due} days")  # the bands cover 0…∞ without a gap


def claim_amount(unpaid_principal: Decimal, pool_share: Decimal) -> Decimal:
    """The compensation the pool pays on a claim: unpaid principal × pool share, rounded to the fen."""
    return round_fen(unpaid_principal * _share(pool_share))


def recovery_share(
    amount: Decimal, pool_share: Decimal, *, recovered_before: Decimal = ZERO, credited_before: Decimal | None = None
) -> Decimal:
    """The part of a recovery that returns to the pool, shared on the cumulative amount.

    The pool's share of everything recovered on the claim so far (``recovered_before`` + ``amount``), rounded
    half-up, minus what was already credited (``credited_before``, by default the same rule applied to
    ``recovered_before``) — so splitting a recovery into parts never changes the total. Never negative and
    never more than ``amount`` (a pool credited more under an older rule gets nothing until the rule catches up).
    """
    amount = checked_amount("amount", amount)
    recovered_before = checked_amount("recovered_before", recovered_before)
    share = _share(pool_share)
    with localcontext(EXACT):
        total = round_fen(share * (recovered_before + amount))
        credited = round_fen(share * recovered_before) if credited_before is None else credited_before
    return min(max(total - credited, ZERO), amount)


def _share(pool_share: Decimal) -> Decimal:
    require_rate("pool_share", pool_share)
    if pool_share > 1:
        raise ValueError(f"pool_share must be at most 1: {pool_share}")
    return pool_share


def _prepay(
    future: list[InstallmentState],
    start: date,
    value_date: date,
    prepaid: Decimal,
    current_interest: Decimal,
    annual_rate: Decimal,
    method: RepaymentMethod,
) -> list[InstallmentState]:
    """Book a prepayment on the current installment (its period on actual/360 from now on) and recompute
    the ones to come for what remains."""
    current = future[0]
    if prepaid == 0:
        return [replace(current, interest_paid=current.interest_paid + current_interest), *future[1:]]
    balance = principal_outstanding(future)
    basis = _basis_after(current, start, value_date, balance, prepaid)
    amounts = schedule_amounts(balance - prepaid, annual_rate, len(future), method)
    recomputed = [
        replace(
            current,
            principal=current.principal_paid + prepaid + amounts[0][0],
            principal_paid=current.principal_paid + prepaid,
            interest=days_interest(basis, annual_rate),
            interest_paid=current.interest_paid + current_interest,
            accrual_basis=basis,
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
