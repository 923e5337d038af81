"""Pool loans: reporting a loan (with every check of API.md), its schedule, repayments and as-of views.

The money rules are :mod:`bridgefund.finance.schedule` and :mod:`bridgefund.finance.pool`; this module
only loads installment rows into ``InstallmentState`` values, calls them, and writes the answers back.

Rules chosen where the docs are silent:

* **Eligible enterprise**: micro, small or medium and registered in the zone (the same firms the fund
  serves) — 422 on ``enterprise_id`` otherwise.
* **Pool share**: the request's, else the bank's ``pool_share``. A guarantor's ``guarantee_share`` is
  added; pool + guarantor ≤ 1 (the bank bears the rest).
* **Order of repayments**: one loan's repayments are applied in value-date order (a repayment dated
  before the loan's latest one → 422), so the stored installments are always the replay of its
  repayments. Views as of an earlier date replay the repayments dated up to then.
* **After a claim**: once a claim is filed (and not rejected) the loan takes no more repayments — money
  recovered from the borrower is reported as a recovery after the claim is paid.
* **Penalty in views** is charged through ``as_of`` for display but stored only when a repayment charges it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from bridgefund.errors import (
    BankSuspended,
    Conflict,
    Duplicate,
    InvalidTransition,
    NotFound,
    QuotaExceeded,
    RuleViolation,
)
from bridgefund.finance.money import ZERO, Overpayment, Repayment
from bridgefund.finance.pool import (
    Classification,
    InstallmentState,
    allocate_pool_repayment,
    charge_penalties,
    classify,
    days_past_due,
    installment_status,
    principal_outstanding,
    replay_pool_repayments,
)
from bridgefund.finance.schedule import RepaymentMethod, build_schedule
from bridgefund.models import (
    Bank,
    BankStatus,
    Claim,
    ClaimStatus,
    Enterprise,
    Guarantor,
    PoolInstallment,
    PoolLoan,
    PoolLoanStatus,
    PoolRepayment,
    PoolSettings,
    Role,
)
from bridgefund.services import audit, bank_terms
from bridgefund.services.actor import Actor
from bridgefund.services.common import Page, bank_scoped, check_value_date, paginate
from bridgefund.services.pool import current_settings, evaluate_bank, lock_pool
from bridgefund.services.pool_figures import (
    bank_pool_figures,
    is_stopped,
    ledger_totals,
    max_outstanding_from,
    outstanding_events,
    ratio,
)

MAX_TERM_MONTHS = 360


# --- references ------------------------------------------------------------------------------------


def next_reference(session: Session, model: type, prefix: str, year: int) -> str:
    """``PL-2020-000123``: the next number of the year. The caller holds the pool lock, so the numbers of
    one transaction are handed out from a counter kept for that transaction."""
    txn = session.get_transaction()
    if session.info.get("pool_refs_txn") is not txn:  # a new transaction: counters start from the database
        session.info["pool_refs_txn"], session.info["pool_refs"] = txn, {}
    counters = session.info["pool_refs"]
    key = (prefix, year)
    if key not in counters:
        head = f"{prefix}-{year}-"
        last = session.scalar(select(func.max(model.reference)).where(model.reference.like(head + "%")))
        counters[key] = int(last[len(head):]) if last else 0
    counters[key] += 1
    return f"{prefix}-{year}-{counters[key]:06d}"


# --- creating --------------------------------------------------------------------------------------


class Batch:
    """Checks of many loans reported in one transaction (a bulk import) without O(n²) queries.

    The database's figures are read once per bank (and per date for NPL ratios) for the loans that existed
    before the batch (``watermark``); the batch's own new loans — which have no repayments yet — are added
    in memory. The answers are the ones the per-loan queries would give.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.watermark = session.scalar(select(func.max(PoolLoan.id))) or 0
        self._events: dict[int, dict[dt.date, Decimal]] = {}
        self._base: dict[tuple[int, dt.date], Any] = {}
        self._ledger: dict[dt.date, Any] = {}
        #: per bank: principal added by this batch by start date, and by first due date
        self.by_start: dict[int, dict[dt.date, Decimal]] = {}
        self.by_first_due: dict[int, dict[dt.date, Decimal]] = {}
        self.locked = False
        self.locked_banks: set[int] = set()
        self.settings: PoolSettings | None = None
        #: per bank: its dated terms rows (services.bank_terms), read once
        self.bank_terms: dict[int, list[Any]] = {}

    def ledger(self, on: dt.date) -> Any:
        if on not in self._ledger:
            self._ledger[on] = ledger_totals(self.session, on)
        return self._ledger[on]

    def max_outstanding_from(self, bank_id: int, on: dt.date) -> Decimal:
        if bank_id not in self._events:
            self._events[bank_id] = outstanding_events(self.session, bank_id, include_pending=False)
        running, best = ZERO, None
        for day in sorted(self._events[bank_id]):
            running += self._events[bank_id][day]
            if day >= on:
                best = running if best is None else max(best, running)
        at = sum((d for day, d in self._events[bank_id].items() if day <= on), ZERO)
        return max(at, best if best is not None else at)

    def breaches(self, bank_id: int, on: dt.date, s: PoolSettings) -> tuple[bool, Decimal]:
        key = (bank_id, on)
        if key not in self._base:
            self._base[key] = bank_pool_figures(self.session, on, [bank_id], s.claim_after_days_overdue,
                                                max_loan_id=self.watermark, include_pending=False)[bank_id]
        base = self._base[key]
        cutoff = on - dt.timedelta(days=s.claim_after_days_overdue)
        outstanding = base.outstanding + sum(
            (p for day, p in self.by_start.get(bank_id, {}).items() if day <= on), ZERO)
        npl = base.npl_principal + sum(
            (p for day, p in self.by_first_due.get(bank_id, {}).items() if day <= cutoff), ZERO)
        return outstanding > 0 and npl > s.bank_npl_threshold * outstanding, \
            (npl / outstanding if outstanding else Decimal(0))

    def add(self, loan: PoolLoan, first_due: dt.date) -> None:
        starts = self.by_start.setdefault(loan.bank_id, {})
        starts[loan.start_date] = starts.get(loan.start_date, ZERO) + loan.principal
        dues = self.by_first_due.setdefault(loan.bank_id, {})
        dues[first_due] = dues.get(first_due, ZERO) + loan.principal
        events = self._events[loan.bank_id]  # loaded by the quota check, before the loan was inserted
        events[loan.start_date] = events.get(loan.start_date, ZERO) + loan.principal


def create_pool_loan(
    session: Session, actor: Actor, today: dt.date, *, enterprise_id: int | None = None,
    enterprise: Enterprise | None = None, bank_id: int | None = None, contract_no: str, principal: Decimal,
    annual_rate: Decimal, start_date: dt.date, term_months: int, repayment_method: str,
    guarantor_id: int | None = None, pool_share: Decimal | None = None, batch: Batch | None = None,
) -> PoolLoan:
    """Report a bank loan under the pool's cover; its schedule is built and stored with it."""
    actor.require(Role.bank_officer, Role.fund_manager)
    bank_id = actor.acting_bank(bank_id)
    locked = batch is not None and bank_id in batch.locked_banks
    bank = session.get(Bank, bank_id, with_for_update=not locked)  # a batch locks each bank once
    if batch is not None and bank is not None:
        batch.locked_banks.add(bank_id)
    if bank is None:
        raise RuleViolation.on("bank_id", f"bank {bank_id} does not exist")
    if enterprise is None:
        enterprise = session.get(Enterprise, enterprise_id) if enterprise_id is not None else None
        if enterprise is None:
            raise RuleViolation.on("enterprise_id", f"enterprise {enterprise_id} does not exist")
    if enterprise.size == "large" or not enterprise.in_zone:
        why = "is a large enterprise" if enterprise.size == "large" else "is not registered in the zone"
        raise RuleViolation.on("enterprise_id", f"{enterprise.name} {why}: not eligible for the pool")
    check_value_date(session, start_date, today, field="start_date")
    if batch is None:
        s = current_settings(session)
    else:
        s = batch.settings = batch.settings or current_settings(session)
    _check_terms(s, principal, annual_rate, term_months, repayment_method)
    contract_no = contract_no.strip()
    if not contract_no:
        raise RuleViolation.on("contract_no", "must not be blank")
    guarantor_share = Decimal("0")
    if guarantor_id is not None:
        guarantor = session.get(Guarantor, guarantor_id)
        if guarantor is None:
            raise RuleViolation.on("guarantor_id", f"guarantor {guarantor_id} does not exist")
        guarantor_share = guarantor.guarantee_share
    # the terms in force on the start date (a batch reads each bank's rows once)
    rows = None
    if batch is not None:
        if bank.id not in batch.bank_terms:
            batch.bank_terms[bank.id] = bank_terms.history(session, bank.id)
        rows = batch.bank_terms[bank.id]
    terms = bank_terms.require_partner(session, bank, start_date, "start_date", rows)
    share = terms.pool_share if pool_share is None else pool_share
    if share > 1 or share + guarantor_share > 1:
        raise RuleViolation.on("pool_share", f"pool share {share} + guarantor share {guarantor_share} exceeds 100%")
    existing = session.scalar(select(PoolLoan.id).where(PoolLoan.bank_id == bank.id,
                                                        PoolLoan.contract_no == contract_no))
    if existing is not None:
        raise Duplicate(f"contract {contract_no} is already reported as pool loan {existing}",
                        {"contract_no": ["already reported by this bank"]}, existing_id=existing)

    if batch is None or not batch.locked:
        lock_pool(session)
        if batch is not None:
            batch.locked = True
    totals = ledger_totals(session, start_date) if batch is None else batch.ledger(start_date)
    if totals.contributions <= 0:
        raise Conflict(f"the pool had received no contributions by {start_date}", {"start_date": ["pool not open"]})
    if is_stopped(totals, s.pool_loss_threshold):
        raise Conflict(
            f"the pool is stopped on {start_date}: claims paid {totals.claims_paid} exceed "
            f"{s.pool_loss_threshold} × contributions {totals.contributions}", {"start_date": ["pool stopped"]})
    _check_bank_open(session, s, bank, terms, start_date, batch)
    used = (max_outstanding_from(session, bank.id, start_date) if batch is None
            else batch.max_outstanding_from(bank.id, start_date))
    headroom = terms.pool_quota - used
    if principal > headroom:
        raise QuotaExceeded(
            f"bank {bank.code}'s quota {terms.pool_quota} leaves {max(headroom, ZERO)} from {start_date}; "
            f"{principal} does not fit", {"principal": [f"exceeds the quota headroom of {max(headroom, ZERO)}"]})

    schedule = build_schedule(principal, annual_rate, start_date, term_months, repayment_method)
    loan = PoolLoan(
        reference=next_reference(session, PoolLoan, "PL", start_date.year), bank_id=bank.id,
        enterprise_id=enterprise.id, contract_no=contract_no, principal=principal, annual_rate=annual_rate,
        start_date=start_date, term_months=term_months, repayment_method=repayment_method,
        guarantor_id=guarantor_id, pool_share=share, guarantor_share=guarantor_share,
        penalty_rate_markup=s.penalty_rate_markup, maturity_date=schedule[-1].due_date,
        status=PoolLoanStatus.active.value, created_by=actor.id,
    )
    session.add(loan)
    session.flush()
    session.execute(PoolInstallment.__table__.insert(), [
        {"loan_id": loan.id, "seq": i.seq, "due_date": i.due_date, "principal": i.principal,
         "interest": i.interest, "principal_paid": ZERO, "interest_paid": ZERO, "penalty_charged": ZERO,
         "penalty_paid": ZERO, "settled_on": start_date if i.principal == 0 and i.interest == 0 else None}
        for i in schedule
    ])
    audit.record(session, actor, "create", "pool_loan", loan.id, after=loan.snapshot())
    if batch is not None:
        batch.add(loan, schedule[0].due_date)
    return loan


def _check_terms(s: PoolSettings, principal: Decimal, annual_rate: Decimal, term_months: int, method: str) -> None:
    if principal <= 0:
        raise RuleViolation.on("principal", "must be greater than 0")
    if principal > s.max_loan_amount:
        raise RuleViolation.on("principal", f"exceeds the pool's maximum loan of {s.max_loan_amount}")
    if annual_rate > s.max_annual_rate:
        raise RuleViolation.on("annual_rate", f"exceeds the pool's rate cap of {s.max_annual_rate}")
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise RuleViolation.on("term_months", f"must be 1 to {MAX_TERM_MONTHS}")
    if method not in RepaymentMethod.__members__.values():
        raise RuleViolation.on("repayment_method", "must be one of " + ", ".join(m.value for m in RepaymentMethod))


def _check_bank_open(session: Session, s: PoolSettings, bank: Bank, terms: bank_terms.Terms, on: dt.date,
                     batch: Batch | None = None) -> None:
    """409 when the bank is suspended on ``on``: by the terms in force that day, or by its NPL ratio that day."""
    if terms.suspended:
        raise BankSuspended(f"bank {bank.code} is suspended since {terms.suspended_on}: no new loans dated from then",
                            {"bank_id": ["bank suspended"]})
    if bank.status_reason is not None and bank.latest_status == BankStatus.active:
        return  # reinstated by an admin: the override holds (services.pool docstring)
    if batch is not None:
        breached, npl_ratio = batch.breaches(bank.id, on, s)
    else:
        figures = bank_pool_figures(session, on, [bank.id], s.claim_after_days_overdue)[bank.id]
        breached, npl_ratio = figures.breaches(s.bank_npl_threshold), figures.npl_ratio
    if breached:
        raise BankSuspended(
            f"bank {bank.code}'s NPL ratio on {on} is {ratio(npl_ratio, Decimal(1))}, above {s.bank_npl_threshold}",
            {"bank_id": ["bank suspended by its NPL ratio"]})


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class LoanView:
    """A loan evaluated on a date: installments (penalty charged through it) and the derived figures."""

    loan: PoolLoan
    as_of: dt.date
    states: list[InstallmentState]
    principal_outstanding: Decimal
    days_past_due: int
    classification: Classification
    recovered: Decimal
    repayments: list[PoolRepayment]

    def __getattr__(self, name: str) -> Any:  # the loan's own columns read through
        return getattr(self.loan, name)

    @property
    def schedule(self) -> list[dict[str, Any]]:
        return [{"seq": st.seq, "due_date": st.due_date, "principal": st.principal, "interest": st.interest,
                 "principal_paid": st.principal_paid, "interest_paid": st.interest_paid,
                 "penalty_charged": st.penalty_charged, "penalty_paid": st.penalty_paid,
                 "status": installment_status(st, self.as_of).value} for st in self.states]

    @property
    def amount_due(self) -> Decimal:
        return sum((st.unpaid for st in self.states if st.due_date <= self.as_of), ZERO)

    @property
    def penalty_accrued(self) -> Decimal:
        return sum((st.penalty_unpaid for st in self.states), ZERO)

    @property
    def claims(self) -> list[Claim]:
        return [c for c in self.loan.claims if c.filed_on <= self.as_of]


def states_of(loan: PoolLoan) -> list[InstallmentState]:
    return [InstallmentState(i.seq, i.due_date, i.principal, i.interest, i.principal_paid, i.interest_paid,
                             i.penalty_charged, i.penalty_paid, i.penalty_accrued_to) for i in loan.installments]


def view(loan: PoolLoan, as_of: dt.date) -> LoanView:
    """Evaluate a loan on ``as_of`` (installments, repayments, recoveries and claims must be loaded)."""
    repayments = [r for r in loan.repayments if r.value_date <= as_of]
    if loan.last_repayment_on is None or as_of >= loan.last_repayment_on:
        states = states_of(loan)
    else:
        schedule = build_schedule(loan.principal, loan.annual_rate, loan.start_date, loan.term_months,
                                  loan.repayment_method)
        states, _ = replay_pool_repayments(
            schedule, [Repayment(r.value_date, r.amount) for r in repayments], annual_rate=loan.annual_rate,
            penalty_markup=loan.penalty_rate_markup, method=loan.repayment_method)
    if as_of >= loan.start_date:
        states = charge_penalties(states, as_of, annual_rate=loan.annual_rate,
                                  penalty_markup=loan.penalty_rate_markup)
    recovered = sum((r.amount for r in loan.recoveries if r.value_date <= as_of), ZERO)
    dpd = days_past_due(states, as_of)
    return LoanView(loan=loan, as_of=as_of, states=states,
                    principal_outstanding=principal_outstanding(states) - recovered, days_past_due=dpd,
                    classification=classify(dpd), recovered=recovered, repayments=repayments)


_LOADS = (selectinload(PoolLoan.installments), selectinload(PoolLoan.repayments),
          selectinload(PoolLoan.recoveries), selectinload(PoolLoan.claims))


def visible_loan(session: Session, actor: Actor, loan_id: int, *, for_update: bool = False) -> PoolLoan:
    """The loan, if the actor may see it (another bank's loan is simply not found)."""
    loan = session.get(PoolLoan, loan_id, with_for_update=for_update or None)
    if loan is None or not actor.sees_bank(loan.bank_id):
        raise NotFound(f"pool loan {loan_id} does not exist")
    return loan


def get_pool_loan(session: Session, actor: Actor, loan_id: int, as_of: dt.date) -> LoanView:
    visible_loan(session, actor, loan_id)
    loan = session.scalars(select(PoolLoan).where(PoolLoan.id == loan_id).options(*_LOADS)
                           .execution_options(populate_existing=True)).one()
    return view(loan, as_of)


#: Days-past-due bounds of each grade (inclusive); ``None`` = unbounded.
_GRADES: dict[str, tuple[int, int | None]] = {
    Classification.NORMAL.value: (0, 0),
    Classification.SPECIAL_MENTION.value: (1, 90),
    Classification.SUBSTANDARD.value: (91, 270),
    Classification.DOUBTFUL.value: (271, 360),
    Classification.LOSS.value: (361, None),
}


def _classification_filter(grade: str, as_of: dt.date):  # noqa: ANN202 - a SQL condition on PoolLoan
    """Loans of ``grade`` on ``as_of``: the oldest installment unpaid then is due between two dates."""
    low, high = _GRADES[grade]
    unpaid = and_(PoolInstallment.loan_id == PoolLoan.id, PoolInstallment.due_date < as_of,
                  or_(PoolInstallment.settled_on.is_(None), PoolInstallment.settled_on > as_of))
    if low == 0:
        return ~exists().where(unpaid)
    oldest = select(func.min(PoolInstallment.due_date)).where(unpaid).correlate(PoolLoan).scalar_subquery()
    cond = oldest <= as_of - dt.timedelta(days=low)
    if high is not None:
        cond = and_(cond, oldest >= as_of - dt.timedelta(days=high))
    return cond


def list_pool_loans(
    session: Session, actor: Actor, as_of: dt.date, page: int, page_size: int, *, status: str | None = None,
    bank_id: int | None = None, classification: str | None = None, enterprise_id: int | None = None,
    after_id: int | None = None, count_limit: int | None = None,
) -> Page[LoanView]:
    """Loans newest first, each evaluated on ``as_of``; a constant number of queries per page."""
    stmt = bank_scoped(select(PoolLoan).order_by(PoolLoan.id.desc()).options(*_LOADS), PoolLoan.bank_id, actor, bank_id)
    if status:
        stmt = stmt.where(PoolLoan.status == status)
    if enterprise_id is not None:
        stmt = stmt.where(PoolLoan.enterprise_id == enterprise_id)
    if classification:
        stmt = stmt.where(PoolLoan.start_date <= as_of, _classification_filter(classification, as_of))
    result = paginate(session, stmt, page, page_size, key=PoolLoan.id, after_id=after_id, count_limit=count_limit)
    return replace(result, items=[view(loan, as_of) for loan in result.items])


# --- repayments ------------------------------------------------------------------------------------


def record_repayment(
    session: Session, actor: Actor, today: dt.date, loan_id: int, *, amount: Decimal, value_date: dt.date,
    external_ref: str,
) -> tuple[PoolRepayment, LoanView]:
    """Apply a repayment: oldest installment first, penalty → interest → principal; the rest prepays."""
    actor.require(Role.bank_officer, Role.fund_manager)
    loan = visible_loan(session, actor, loan_id, for_update=True)
    external_ref = external_ref.strip()
    if not external_ref:
        raise RuleViolation.on("external_ref", "must not be blank")
    _check_external_ref(session, loan.bank_id, external_ref)
    check_value_date(session, value_date, today)
    if value_date < loan.start_date:
        raise RuleViolation.on("value_date", f"before the loan's start date {loan.start_date}")
    if loan.last_repayment_on is not None and value_date < loan.last_repayment_on:
        raise RuleViolation.on("value_date", f"repayments are applied in date order; the latest is dated "
                                             f"{loan.last_repayment_on}")
    if loan.status != PoolLoanStatus.active:
        raise InvalidTransition(f"pool loan {loan.reference} is {loan.status}: it takes no repayments")
    open_claim = session.scalar(select(Claim.reference).where(
        Claim.loan_id == loan.id, Claim.status.in_([ClaimStatus.filed.value, ClaimStatus.approved.value])))
    if open_claim is not None:
        raise InvalidTransition(f"claim {open_claim} is open on {loan.reference}: reject it before repayments")
    rows = list(session.scalars(select(PoolInstallment).where(PoolInstallment.loan_id == loan.id)
                                .order_by(PoolInstallment.seq)))
    try:
        result = allocate_pool_repayment(
            [_state(r) for r in rows], amount, value_date, annual_rate=loan.annual_rate,
            penalty_markup=loan.penalty_rate_markup, method=loan.repayment_method)
    except Overpayment as exc:
        raise RuleViolation.on("amount", f"exceeds the most that can be paid on {value_date}: {exc.due}") from None
    for row, state in zip(rows, result.installments, strict=True):
        _write_state(row, state, value_date)
    repayment = PoolRepayment(
        loan_id=loan.id, bank_id=loan.bank_id, amount=amount, value_date=value_date, external_ref=external_ref,
        penalty=result.penalty, interest=result.interest, principal=result.principal,
        prepaid_principal=result.prepaid_principal, created_by=actor.id,
        allocation=[{"seq": a.seq, "penalty": str(a.penalty), "interest": str(a.interest),
                     "principal": str(a.principal)} for a in result.allocations],
    )
    session.add(repayment)
    loan.principal_repaid += result.principal
    loan.interest_repaid += result.interest
    loan.penalty_repaid += result.penalty
    loan.last_repayment_on = value_date
    if all(r.settled_on is not None and r.penalty_paid == r.penalty_charged for r in rows):
        loan.status, loan.repaid_on = PoolLoanStatus.repaid.value, value_date
    session.flush()
    audit.record(session, actor, "repay", "pool_loan", loan.id, after={
        "repayment_id": repayment.id, "amount": str(amount), "value_date": value_date.isoformat(),
        "external_ref": external_ref, "penalty": str(result.penalty), "interest": str(result.interest),
        "principal": str(result.principal), "prepaid_principal": str(result.prepaid_principal),
        "status": loan.status})
    evaluate_bank(session, actor, session.get(Bank, loan.bank_id, with_for_update=True), value_date)
    return repayment, get_pool_loan(session, actor, loan.id, value_date)


def _check_external_ref(session: Session, bank_id: int, external_ref: str) -> None:
    from bridgefund.models import PoolRecovery

    for model in (PoolRepayment, PoolRecovery):
        found = session.scalar(select(model.id).where(model.bank_id == bank_id, model.external_ref == external_ref))
        if found is not None:
            raise Duplicate(f"external_ref {external_ref} is already booked for this bank",
                            {"external_ref": ["already used by this bank"]}, existing_id=found)


def _state(row: PoolInstallment) -> InstallmentState:
    return InstallmentState(row.seq, row.due_date, row.principal, row.interest, row.principal_paid,
                            row.interest_paid, row.penalty_charged, row.penalty_paid, row.penalty_accrued_to)


def _write_state(row: PoolInstallment, state: InstallmentState, value_date: dt.date) -> None:
    for name in ("principal", "interest", "principal_paid", "interest_paid", "penalty_charged", "penalty_paid",
                 "penalty_accrued_to"):
        new = getattr(state, name)
        if getattr(row, name) != new:
            setattr(row, name, new)
    if row.settled_on is None and state.principal_unpaid == 0 and state.interest_unpaid == 0:
        row.settled_on = value_date
