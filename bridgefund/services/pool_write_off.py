"""A bank's write-off of a pool loan (DOMAIN.md, "Pool write-off"; ``POST /pool-loans/{id}/write-off``).

On its value date D the loan's unpaid principal on D (``written_off_principal``) leaves the bank's outstanding
pool principal — so ``pool_quota_used`` and the pool's guaranteed outstanding fall by it — and counts as
non-performing from D on (``finance.profiles.pool_on``, ``figures.pool``). Nothing accrues after D.
No pool money moves: the pool pays only claims.

Rules chosen where the docs are silent:

* **When.** D is a business date (``check_value_date``), not before the loan's start, its latest repayment,
  recovery or claim payout: the principal written off is the loan's state on D and nothing dated earlier can
  arrive afterwards (repayments are applied in date order, and a written-off loan takes no more money).
* **Claims.** A claim still being decided (``filed`` or ``approved``) must be decided first (409): its amount
  was computed on the unpaid principal, and paying it after a write-off would mix the two. A loan whose claim
  was paid (``claimed``) may be written off.
* **After.** A written-off loan takes no repayments, claims or recoveries (409): what the bank collects on
  written-off debt is outside the pool's books (recoveries that reduce the written-off principal are a
  possible extension; ``services.claims.record_recovery`` refuses them).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.errors import InvalidTransition, RuleViolation
from bridgefund.models import Bank, Claim, ClaimStatus, PoolLoanStatus, PoolRecovery, Role
from bridgefund.services import audit
from bridgefund.services.actor import Actor
from bridgefund.services.common import check_value_date
from bridgefund.services.pool import evaluate_bank
from bridgefund.services.pool_loans import LoanView, get_pool_loan, visible_loan


@allows(Role.bank_officer, Role.fund_manager)
def write_off(session: Session, actor: Actor, today: dt.date, loan_id: int, *, value_date: dt.date,
              reason: str) -> LoanView:
    """Write the loan's unpaid principal on ``value_date`` off (the loan's bank's officer or a fund manager)."""
    loan = visible_loan(session, actor, loan_id, for_update=True)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation.on("reason", "a reason is required to write a loan off")
    loan.state.check(PoolLoanStatus.written_off, "write off",
                     detail=f"pool loan {loan.reference} is {loan.status}: nothing to write off",
                     errors={"status": [f"is {loan.status}; a write-off needs active or claimed"]},
                     current_status=loan.status)
    check_value_date(session, value_date, today)
    latest = [(loan.start_date, "the loan's start date")]
    if loan.last_repayment_on is not None:
        latest.append((loan.last_repayment_on, "the loan's latest repayment"))
    recovered_on = session.scalar(select(func.max(PoolRecovery.value_date)).where(PoolRecovery.loan_id == loan.id))
    if recovered_on is not None:
        latest.append((recovered_on, "the loan's latest recovery"))
    claims = list(session.scalars(select(Claim).where(Claim.loan_id == loan.id)))
    latest += [(c.paid_on, f"the payout of claim {c.reference}") for c in claims if c.paid_on is not None]
    for on, what in latest:
        if value_date < on:
            raise RuleViolation.on("value_date", f"{value_date} is before {what} ({on})")
    open_claim = next((c for c in claims if c.status in (ClaimStatus.filed, ClaimStatus.approved)), None)
    if open_claim is not None:
        raise InvalidTransition(
            f"claim {open_claim.reference} on {loan.reference} is {open_claim.status}: decide it before a write-off",
            {"status": [f"claim {open_claim.reference} is {open_claim.status}"]}, current_status=loan.status)
    unpaid = get_pool_loan(session, actor, loan.id, value_date).principal_outstanding
    if unpaid <= 0:
        raise InvalidTransition(f"pool loan {loan.reference} has no unpaid principal on {value_date}",
                                {"value_date": ["no unpaid principal to write off"]}, current_status=loan.status)
    bank = session.get(Bank, loan.bank_id, with_for_update=True)  # lock order everywhere: loan → bank → pool
    assert bank is not None
    before = loan.snapshot()
    loan.move_to(PoolLoanStatus.written_off, "write off")
    loan.written_off_on, loan.written_off_principal, loan.write_off_reason = value_date, unpaid, reason
    session.flush()
    b, a = audit.changes(before, loan.snapshot())
    audit.record(session, actor, "write_off", "pool_loan", loan.id, before=b, after=a)
    evaluate_bank(session, actor, bank, value_date)
    return get_pool_loan(session, actor, loan.id, today)
