"""Compensation claims (代偿) and recoveries (追偿) on pool loans.

* A bank's officer files a claim on ``claimed_on`` when the loan is at least ``claim_after_days_overdue``
  days past due then (409 otherwise — the loan's state does not allow it); amount = unpaid principal on
  that date × the loan's pool share, half-up to the fen. One live claim per loan (a rejected one may be
  filed again).
* A fund manager approves or rejects (with a reason) a filed claim, and pays an approved one on a value
  date: the pool's row is locked and the payout is accepted only if the pool's balance stays ≥ 0 on that
  date and every later one (the dated rule of DOMAIN.md). The loan becomes ``claimed``.
* After a paid claim, money the bank recovers from the borrower is reported as a recovery: it reduces
  the loan's unpaid principal (never below zero) and the pool's share of it (amount × the claim's pool
  share) returns to the pool ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.db import utcnow
from bridgefund.errors import InsufficientFunds, InvalidTransition, NotFound, RuleViolation
from bridgefund.figures.pool import lowest_balance_from
from bridgefund.finance.money import ZERO
from bridgefund.finance.pool import claim_amount, recovery_share
from bridgefund.messages import money
from bridgefund.models import (
    Bank,
    Claim,
    ClaimStatus,
    PoolEntryKind,
    PoolLedgerEntry,
    PoolLoan,
    PoolLoanStatus,
    PoolRecovery,
    Role,
)
from bridgefund.services import audit, documents, references
from bridgefund.services.actor import Actor
from bridgefund.services.common import Page, bank_scoped, check_value_date, decision_date, paginate
from bridgefund.services.pool import current_settings, evaluate_bank, lock_pool
from bridgefund.services.pool_loans import _check_external_ref, get_pool_loan, visible_loan


@allows(Role.bank_officer)
def file_claim(session: Session, actor: Actor, today: dt.date, loan_id: int, *, claimed_on: dt.date) -> Claim:
    """File a claim for the pool's share of a defaulted loan's unpaid principal (the bank's officer)."""
    loan = visible_loan(session, actor, loan_id, for_update=True)
    v, amount = _claim_terms(session, actor, today, loan, claimed_on)
    session.get(Bank, loan.bank_id, with_for_update=True)  # lock order everywhere: loan → bank → pool
    lock_pool(session)
    claim = Claim(reference=references.next_reference(session, "CL", claimed_on.year), loan_id=loan.id,
                  bank_id=loan.bank_id, status=ClaimStatus.filed.value, filed_on=claimed_on,
                  days_past_due=v.days_past_due, unpaid_principal=v.principal_outstanding,
                  pool_share=loan.pool_share, amount=amount, filed_by=actor.id)
    session.add(claim)
    session.flush()
    audit.record(session, actor, "file", "claim", claim.id, after=claim.snapshot())
    evaluate_bank(session, actor, session.get(Bank, loan.bank_id, with_for_update=True), claimed_on)
    return claim


@dataclass(frozen=True)
class ClaimQuote:
    """What filing a claim on ``claimed_on`` would record: the figures :func:`file_claim` computes."""

    reference: str
    claimed_on: dt.date
    days_past_due: int
    unpaid_principal: Decimal
    pool_share: Decimal
    amount: Decimal


def _claim_terms(session: Session, actor: Actor, today: dt.date, loan: PoolLoan,
                 claimed_on: dt.date) -> tuple[Any, Decimal]:
    """Every check of filing a claim on ``loan`` and its amount (the loan's figures on ``claimed_on``); writes
    nothing."""
    check_value_date(session, claimed_on, today, field="claimed_on")
    if claimed_on < loan.start_date:
        raise RuleViolation.on("claimed_on", f"before the loan's start date {loan.start_date}")
    if loan.last_repayment_on is not None and claimed_on < loan.last_repayment_on:
        raise RuleViolation.on("claimed_on", f"before the loan's latest repayment ({loan.last_repayment_on})")
    loan.state.check(PoolLoanStatus.claimed, "claim", detail=f"pool loan {loan.reference} is {loan.status}: nothing to "
                     "claim", errors={"claimed_on": [f"loan is {loan.status}"]})
    live = session.scalar(select(Claim.reference).where(Claim.loan_id == loan.id,
                                                        Claim.status != ClaimStatus.rejected.value))
    if live is not None:
        raise InvalidTransition(f"claim {live} is already filed on {loan.reference}",
                                {"claimed_on": ["a claim is already filed"]})
    s = current_settings(session)
    v = get_pool_loan(session, actor, loan.id, claimed_on)
    if v.days_past_due < s.claim_after_days_overdue:
        raise InvalidTransition(
            f"{loan.reference} is {v.days_past_due} days past due on {claimed_on}; a claim needs at least "
            f"{s.claim_after_days_overdue}", {"claimed_on": [f"only {v.days_past_due} days past due"]})
    amount = claim_amount(v.principal_outstanding, loan.pool_share)
    if amount <= 0:
        raise InvalidTransition(f"{loan.reference} has no claimable principal", {"claimed_on": ["nothing to claim"]})
    return v, amount


@allows(Role.bank_officer)
def quote_claim(session: Session, actor: Actor, today: dt.date, loan_id: int, *, claimed_on: dt.date) -> ClaimQuote:
    """The claim :func:`file_claim` would file on ``claimed_on`` (the same checks and computation), for a
    confirmation; changes nothing."""
    loan = visible_loan(session, actor, loan_id)
    v, amount = _claim_terms(session, actor, today, loan, claimed_on)
    return ClaimQuote(reference=loan.reference, claimed_on=claimed_on, days_past_due=v.days_past_due,
                      unpaid_principal=v.principal_outstanding, pool_share=loan.pool_share, amount=amount)


def _claim_for_update(session: Session, actor: Actor, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id, with_for_update=True)
    if claim is None or not actor.sees_bank(claim.bank_id):
        raise NotFound(f"claim {claim_id} does not exist")
    return claim


def _transition(claim: Claim, target: ClaimStatus) -> None:
    claim.state.check(target, target.value, detail=f"claim {claim.reference} is {claim.status}; it cannot become "
                      f"{target.value}")


@allows(Role.fund_manager)
def approve_claim(session: Session, actor: Actor, claim_id: int, *, comment: str | None = None,
                  today: dt.date | None = None, decided_on: dt.date | None = None) -> Claim:
    """Approve a filed claim on ``decided_on`` (business date, default today; not before the filing): the
    payout may not be value-dated before it."""
    claim = _claim_for_update(session, actor, claim_id)
    _transition(claim, ClaimStatus.approved)
    check_documents(session, claim.id)
    decided_on = decision_date(session, decided_on, today, claim.filed_on, "the claim")
    before = claim.snapshot()
    claim.move_to(ClaimStatus.approved, "approve")
    claim.approved_by, claim.approved_at, claim.approved_on = actor.id, utcnow(), decided_on
    claim.approval_comment = (comment or "").strip() or None
    session.flush()
    audit.record(session, actor, "approve", "claim", claim.id, before={"status": before["status"]},
                 after={"status": claim.status, "comment": claim.approval_comment,
                        "approved_on": decided_on.isoformat()})
    return claim


def check_documents(session: Session, claim_id: int) -> None:
    """409 ``missing_documents`` unless the claim has every kind the pool settings require before approval (what
    :func:`approve_claim` checks; the console asks it before showing the approval's confirmation)."""
    documents.check_complete(session, "claim", claim_id, documents.claim_required(session))


@allows(Role.fund_manager)
def reject_claim(session: Session, actor: Actor, claim_id: int, *, reason: str, today: dt.date,
                 decided_on: dt.date | None = None) -> Claim:
    """Reject a filed claim (reason required) on ``decided_on`` (business date, default today; not before the
    filing). It stops counting as a live claim from that date: the non-performing figures of earlier dates stay
    as they were."""
    claim = _claim_for_update(session, actor, claim_id)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation.on("reason", "a reason is required to reject a claim")
    _transition(claim, ClaimStatus.rejected)
    decided_on = decision_date(session, decided_on, today, claim.filed_on, "the claim")
    claim.move_to(ClaimStatus.rejected, "reject")
    claim.reason = reason
    claim.rejected_by, claim.rejected_at, claim.rejected_on = actor.id, utcnow(), decided_on
    session.flush()
    audit.record(session, actor, "reject", "claim", claim.id, before={"status": ClaimStatus.filed.value},
                 after={"status": claim.status, "reason": reason, "rejected_on": claim.rejected_on.isoformat()})
    return claim


@allows(Role.fund_manager)
def pay_claim(session: Session, actor: Actor, today: dt.date, claim_id: int, *, value_date: dt.date) -> Claim:
    """Pay an approved claim from the pool; 409 if the pool's balance cannot cover it on every date from then."""
    claim = _claim_for_update(session, actor, claim_id)
    _transition(claim, ClaimStatus.paid)
    check_value_date(session, value_date, today)
    if value_date < claim.filed_on:
        raise RuleViolation.on("value_date", f"before the claim was filed ({claim.filed_on})")
    if claim.approved_on is not None and value_date < claim.approved_on:
        raise RuleViolation.on("value_date", f"before the claim's approval, decided on {claim.approved_on}")
    loan = session.get(PoolLoan, claim.loan_id, with_for_update=True)  # lock order: loan → pool
    lock_pool(session)
    lowest = lowest_balance_from(session, value_date)
    if claim.amount > lowest:
        raise InsufficientFunds(
            f"the pool cannot pay {money(claim.amount)} on {value_date}: its balance from then falls to "
            f"{money(lowest)}",
            {"value_date": [f"pool balance available from this date: {money(lowest)}"]}, available=money(lowest))
    entry = PoolLedgerEntry(value_date=value_date, kind=PoolEntryKind.claim_payout.value, amount=claim.amount,
                            claim_id=claim.id, note=f"claim {claim.reference}", created_by=actor.id)
    session.add(entry)
    claim.move_to(ClaimStatus.paid, "pay")
    claim.paid_on, claim.paid_by = value_date, actor.id
    loan.move_to(PoolLoanStatus.claimed, "pay a claim on")
    session.flush()
    audit.record(session, actor, "pay", "claim", claim.id, before={"status": ClaimStatus.approved.value},
                 after={"status": claim.status, "paid_on": value_date.isoformat(), "amount": str(claim.amount),
                        "ledger_entry_id": entry.id})
    return claim


@allows(Role.bank_officer, Role.fund_manager)
def record_recovery(
    session: Session, actor: Actor, today: dt.date, loan_id: int, *, amount: Decimal, value_date: dt.date,
    external_ref: str,
) -> PoolRecovery:
    """Book money recovered on a claimed loan; the pool's share returns to the pool ledger."""
    loan = visible_loan(session, actor, loan_id, for_update=True)
    external_ref = (external_ref or "").strip()
    claim, share, _remaining = _recovery_terms(session, today, loan, amount=amount, value_date=value_date,
                                               external_ref=external_ref)
    session.get(Bank, loan.bank_id, with_for_update=True)  # lock order: loan → bank → pool
    lock_pool(session)
    recovery = PoolRecovery(loan_id=loan.id, claim_id=claim.id, bank_id=loan.bank_id, amount=amount,
                            value_date=value_date, external_ref=external_ref, pool_amount=share,
                            created_by=actor.id)
    session.add(recovery)
    session.flush()
    entry_id = None
    if share > 0:
        entry = PoolLedgerEntry(value_date=value_date, kind=PoolEntryKind.recovery_share.value, amount=share,
                                claim_id=claim.id, recovery_id=recovery.id,
                                note=f"recovery on {loan.reference}", created_by=actor.id)
        session.add(entry)
        session.flush()
        entry_id = entry.id
    audit.record(session, actor, "recover", "pool_loan", loan.id, after={
        "recovery_id": recovery.id, "amount": str(amount), "value_date": value_date.isoformat(),
        "external_ref": external_ref, "pool_amount": str(share), "ledger_entry_id": entry_id})
    evaluate_bank(session, actor, session.get(Bank, loan.bank_id, with_for_update=True), value_date)
    return recovery


@dataclass(frozen=True)
class RecoveryQuote:
    """How :func:`record_recovery` would split a recovery: the pool's share and the bank's."""

    claim_reference: str
    amount: Decimal
    pool_amount: Decimal
    bank_amount: Decimal
    unrecovered_after: Decimal


def _recovery_terms(session: Session, today: dt.date, loan: PoolLoan, *, amount: Decimal, value_date: dt.date,
                    external_ref: str) -> tuple[Claim, Decimal, Decimal]:
    """Every check of a recovery on ``loan``: ``(the paid claim, the pool's share, the principal unrecovered
    before it)``; writes nothing."""
    if not external_ref:
        raise RuleViolation.on("external_ref", "must not be blank")
    if loan.status == PoolLoanStatus.written_off:
        raise InvalidTransition(f"pool loan {loan.reference} is written off: it takes no recoveries",
                                {"status": ["is written_off"]})
    claim = session.scalar(select(Claim).where(Claim.loan_id == loan.id, Claim.status == ClaimStatus.paid.value))
    if claim is None:
        raise InvalidTransition(f"pool loan {loan.reference} has no paid claim: recoveries follow a payout")
    _check_external_ref(session, loan.bank_id, external_ref)
    check_value_date(session, value_date, today)
    if value_date < claim.paid_on:
        raise RuleViolation.on("value_date", f"before the claim was paid ({claim.paid_on})")
    if amount <= 0:
        raise RuleViolation.on("amount", "must be greater than 0")
    recovered = sum(session.scalars(select(PoolRecovery.amount).where(PoolRecovery.loan_id == loan.id)), ZERO)
    remaining = claim.unpaid_principal - recovered
    if amount > remaining:
        raise RuleViolation.on("amount", f"exceeds the unrecovered principal of {money(remaining)}")
    # Shared on the cumulative amount (DOMAIN.md): the pool's share of all this claim's recoveries so far,
    # half-up, minus what was already credited — splitting a recovery into parts never changes the total.
    credited = sum(session.scalars(select(PoolRecovery.pool_amount).where(PoolRecovery.claim_id == claim.id)), ZERO)
    recovered_on_claim = sum(session.scalars(select(PoolRecovery.amount).where(PoolRecovery.claim_id == claim.id)),
                             ZERO)
    share = recovery_share(amount, claim.pool_share, recovered_before=recovered_on_claim, credited_before=credited)
    return claim, share, remaining


@allows(Role.bank_officer, Role.fund_manager)
def quote_recovery(session: Session, actor: Actor, today: dt.date, loan_id: int, *, amount: Decimal,
                   value_date: dt.date, external_ref: str) -> RecoveryQuote:
    """The split :func:`record_recovery` would book (the same checks and computation), for a confirmation;
    changes nothing."""
    loan = visible_loan(session, actor, loan_id)
    claim, share, remaining = _recovery_terms(session, today, loan, amount=amount, value_date=value_date,
                                              external_ref=(external_ref or "").strip())
    return RecoveryQuote(claim_reference=claim.reference, amount=amount, pool_amount=share,
                         bank_amount=amount - share, unrecovered_after=remaining - amount)


@allows(SIGNED_IN)
def get_claim(session: Session, actor: Actor, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None or not actor.sees_bank(claim.bank_id):
        raise NotFound(f"claim {claim_id} does not exist")
    return claim


@allows(SIGNED_IN)
def list_claims(
    session: Session, actor: Actor, page: int, page_size: int, *, status: str | None = None,
    bank_id: int | None = None, pool_loan_id: int | None = None, after_id: int | None = None,
    count_limit: int | None = None,
) -> Page[Claim]:
    stmt = bank_scoped(select(Claim).order_by(Claim.id.desc()), Claim.bank_id, actor, bank_id)
    if status:
        stmt = stmt.where(Claim.status == status)
    if pool_loan_id is not None:
        stmt = stmt.where(Claim.loan_id == pool_loan_id)
    return paginate(session, stmt, page, page_size, key=Claim.id, after_id=after_id, count_limit=count_limit)
