"""Bridge loans from application to repayment: submit, approve, reject, withdraw, cancel, disburse, repay,
default, write off and recover — plus the loan views (position as of a date) and the scoped lists.

Status changes go through the state machine on :class:`BridgeLoanStatus` (409 naming the current state).
Money movements lock the loan row, then — when money goes out — the fund row (always in that order, so two
operations never wait on each other crosswise), check the books as of the operation's value date, append
ledger entries and write exactly one audit event. Money coming in (repayments, recoveries) cannot overdraw
the fund, so it locks only the loan: two repayments of one loan still never both count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, load_only, selectinload

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.db import money_sum
from bridgefund.errors import (
    Conflict,
    Duplicate,
    Forbidden,
    InvalidTransition,
    NotFound,
    RuleViolation,
)
from bridgefund.finance import (
    BridgePosition,
    BridgeTerms,
    Overpayment,
    Repayment,
    allocate_next,
    financing_cost_saved,
    position,
)
from bridgefund.finance.bridge import Allocation, scheduled_fee
from bridgefund.finance.money import ZERO
from bridgefund.messages import money, percent
from bridgefund.models import (
    AuditEvent,
    Bank,
    BankTerms,
    BridgeApproval,
    BridgeLoan,
    BridgeLoanStatus,
    BridgeRepayment,
    Enterprise,
    LedgerKind,
    Role,
    User,
)
from bridgefund.models.bridge_loan import LENT_STATUSES, OPEN_STATUSES
from bridgefund.services import audit, bank_terms, calendar, documents, references
from bridgefund.services.actor import Actor
from bridgefund.services.common import (
    Page,
    bank_scoped,
    check_established,
    check_not_future,
    check_period_open,
    check_value_date,
    decision_date,
    paginate,
)
from bridgefund.services.fund import (
    cash_headroom,
    current_settings,
    lock_fund,
    post,
    require_cash,
    settings_bank_and_closed_day,
    tiers_from_json,
    tiers_to_json,
    yuan,
)

S = BridgeLoanStatus
ENTITY = "bridge_loan"


# --- loading, scoping -------------------------------------------------------------------------------------


def _loan_query() -> Select[tuple[BridgeLoan]]:
    return select(BridgeLoan).options(
        selectinload(BridgeLoan.enterprise), selectinload(BridgeLoan.approvals), selectinload(BridgeLoan.repayments))


def _load(session: Session, actor: Actor, loan_id: int, *, lock: bool = False) -> BridgeLoan:
    """The loan with its bank, enterprise, approvals and repayments in one query (locked ``FOR UPDATE OF`` the
    loan row when asked); another bank's loan is 404 for an officer (no enumeration).
    """
    stmt = (
        select(BridgeLoan)
        .options(joinedload(BridgeLoan.enterprise, innerjoin=True), joinedload(BridgeLoan.bank, innerjoin=True),
                 joinedload(BridgeLoan.approvals), joinedload(BridgeLoan.repayments))
        .where(BridgeLoan.id == loan_id).execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update(of=BridgeLoan)
    loan = session.scalars(stmt).unique().one_or_none()
    if loan is None or not actor.sees_bank(loan.bank_id):
        raise NotFound(f"bridge loan {loan_id} does not exist")
    return loan


def check_visible(session: Session, actor: Actor, loan_id: int) -> None:
    """404 unless the loan exists and the actor may see it (one indexed lookup; officers only)."""
    if actor.is_officer:
        bank_id = session.scalar(select(BridgeLoan.bank_id).where(BridgeLoan.id == loan_id))
        if bank_id is None or bank_id != actor.bank_id:
            raise NotFound(f"bridge loan {loan_id} does not exist")


def _check_bank_active(session: Session, bank: Bank, on: dt.date, field: str,
                       rows: list[BankTerms] | None = None) -> None:
    """409 unless the bank is a partner and active on ``on`` (the terms in force that day, services.bank_terms;
    from ``rows``, the bank's terms in date order, when the caller has read them)."""
    bank_terms.check_open(bank, bank_terms.require_partner(session, bank, on, field, rows),
                          "it takes no new bridge loans")


# --- submit -------------------------------------------------------------------------------------------------


@allows(Role.bank_officer, Role.fund_manager)
def submit(
    session: Session, actor: Actor, *, enterprise_id: int, maturing_loan: dict[str, Any], amount: Decimal,
    term_days: int, renewal: dict[str, Any], today: dt.date, bank_id: int | None = None,
    purpose: str | None = None, submitted_on: dt.date | None = None,
) -> BridgeLoan:
    """Record a bank's application for a bridge loan (status ``submitted``) after checking every rule."""
    bank_id = actor.acting_bank(bank_id)
    on = submitted_on or today
    context = settings_bank_and_closed_day(session, bank_id)
    if context is None:
        check_value_date(session, on, today, "submitted_on")  # the date's problem first, as for an existing bank
        raise RuleViolation.on("bank_id", f"bank {bank_id} does not exist")
    rules, bank, closed, terms = context
    # services.common.check_value_date's three checks, in its order, on the bounds just read
    check_not_future(on, today, "submitted_on")
    check_established(on, rules.established_on, "submitted_on")
    check_period_open(on, closed, "submitted_on")
    # Lock the enterprise: two applications for one firm must not both slip under its cap.
    ent = session.get(Enterprise, enterprise_id, with_for_update=True)
    if ent is None:
        raise RuleViolation.on("enterprise_id", f"enterprise {enterprise_id} does not exist")
    if ent.size == "large":
        raise RuleViolation.on("enterprise_id", "large enterprises are not eligible (micro, small and medium only)")
    if not ent.in_zone:
        raise RuleViolation.on("enterprise_id", "the enterprise is not registered in the zone")
    errors: dict[str, list[str]] = {}
    if amount > maturing_loan["amount"]:
        errors.setdefault("amount", []).append(
            f"must not exceed the maturing loan's amount of {money(maturing_loan['amount'])}")
    limit = renewal["amount"] * rules.max_share_of_renewal  # exact: compared unrounded
    if amount > limit:
        errors.setdefault("amount", []).append(
            f"must not exceed {percent(rules.max_share_of_renewal)} of the renewal amount, i.e. "
            f"{money(limit.quantize(Decimal('0.01'), rounding=ROUND_DOWN))}")
    term = _term_problem(rules.max_term_days, term_days)
    if term:
        errors.setdefault("term_days", []).append(term)
    # Only the submitting bank's own loans count here: whatever answers an officer may carry no figure of another
    # bank's business. The cap across all banks is judged at approval, where the fund manager sees the figures.
    open_amount = _open_amount(session, ent.id, OPEN_STATUSES, bank_id=bank.id)
    if amount + open_amount > rules.per_enterprise_cap:
        errors.setdefault("amount", []).append(
            f"with this bank's other open bridge loans to the enterprise ({money(open_amount)}) it exceeds the "
            f"per-enterprise cap of {money(rules.per_enterprise_cap)}")
    if errors:
        detail = "; ".join(f"{k}: {m}" for k, ms in errors.items() for m in ms)
        raise RuleViolation(detail, errors)
    _check_bank_active(session, bank, on, "submitted_on", terms)
    loan = BridgeLoan(
        reference_year=on.year,
        status=S.submitted.value, enterprise=ent, enterprise_id=ent.id, bank_id=bank.id, submitted_by=actor.id,
        submitted_on=on, maturing_contract_no=maturing_loan["contract_no"].strip(),
        maturing_amount=maturing_loan["amount"], maturing_due_date=maturing_loan["due_date"], amount=amount,
        term_days=term_days, renewal_amount=renewal["amount"], renewal_expected_date=renewal["expected_date"],
        purpose=purpose, approvals=[], repayments=[],
    )
    _insert_numbered(session, loan)
    audit.record(session, actor, "submit", ENTITY, loan.id, after=loan.snapshot())
    return loan


def _term_problem(max_term_days: int, term_days: int) -> str | None:
    """Why ``term_days`` is not an allowed term (the fund's ``max_term_days``), or None."""
    if not 1 <= term_days <= max_term_days:
        return f"must be between 1 and {max_term_days} days"
    return None


#: Loans that count against the per-enterprise cap at approval: those already approved or lent, of every bank.
COMMITTED_STATUSES = (S.approved, S.disbursed, S.defaulted)


def _open_amount(session: Session, enterprise_id: int, statuses: tuple[BridgeLoanStatus, ...], *,
                 bank_id: int | None = None, except_id: int | None = None) -> Decimal:
    """Outstanding principal of the enterprise's loans in ``statuses`` (of one bank when ``bank_id`` is given)."""
    stmt = (select(money_sum(BridgeLoan.amount - BridgeLoan.principal_repaid))
            .where(BridgeLoan.enterprise_id == enterprise_id, BridgeLoan.status.in_([s.value for s in statuses])))
    if bank_id is not None:
        stmt = stmt.where(BridgeLoan.bank_id == bank_id)
    if except_id is not None:
        stmt = stmt.where(BridgeLoan.id != except_id)
    return yuan(session.scalar(stmt))


def _check_enterprise_cap(session: Session, loan: BridgeLoan, cap: Decimal) -> None:
    """409 when the loan with the enterprise's approved and lent loans of all banks exceeds the per-enterprise cap.

    Judged at approval (the manager may see every bank's figures); the enterprise row is locked, as at
    submission, so two approvals for one firm cannot both slip under the cap.
    """
    session.get(Enterprise, loan.enterprise_id, with_for_update=True)
    committed = _open_amount(session, loan.enterprise_id, COMMITTED_STATUSES, except_id=loan.id)
    if loan.amount + committed > cap:
        raise Conflict(
            f"with the enterprise's approved and lent bridge loans at all banks ({money(committed)}) the amount "
            f"{money(loan.amount)} exceeds the per-enterprise cap of {money(cap)}",
            {"amount": [f"with the enterprise's approved and lent bridge loans at all banks ({money(committed)}) "
                        f"it exceeds the per-enterprise cap of {money(cap)}"]},
            enterprise_open_amount=money(committed))


def _insert_numbered(session: Session, loan: BridgeLoan) -> None:
    """Insert ``loan`` as the next number of its year (``BL-2020-000001`` is 2020's first application;
    :mod:`services.references` serialises the numbering)."""
    loan.reference_no = references.next_number(session, "BL", loan.reference_year)
    loan.reference = references.format_reference("BL", loan.reference_year, loan.reference_no)
    session.add(loan)
    session.flush()


# --- review -------------------------------------------------------------------------------------------------


@allows(Role.fund_manager)
def approve(session: Session, actor: Actor, loan_id: int, *, comment: str | None = None,
            today: dt.date | None = None, decided_on: dt.date | None = None) -> BridgeLoan:
    """Approve (maker-checker). At or above the dual-approval threshold the second, different manager approves.

    ``decided_on`` is the decision's business date (default today): not before the application, not in the
    future, not in a closed month (``services.common.decision_date``).
    """
    loan = _load(session, actor, loan_id, lock=True)
    loan.state.check(S.approved, "approve")
    decided_on = decision_date(session, decided_on, today, loan.submitted_on, "the application")
    if loan.submitted_by is not None and loan.submitted_by == actor.id:
        raise Forbidden("the submitter of a loan may never approve it (maker-checker)",
                        {"approvals": ["the submitter may not approve"]})
    if any(a.manager_id == actor.id for a in loan.approvals):
        raise Duplicate("you have already approved this loan; a second approval must come from another manager",
                        {"approvals": ["already approved by this manager"]})
    rules = current_settings(session)
    check_documents(session, loan.id)
    _check_enterprise_cap(session, loan, rules.per_enterprise_cap)
    if loan.required_approvals is None:
        loan.required_approvals = 2 if loan.amount >= rules.dual_approval_threshold else 1
    loan.approvals.append(BridgeApproval(manager_id=actor.id, comment=comment, decided_on=decided_on))
    before = loan.snapshot()
    if len(loan.approvals) >= loan.required_approvals:
        loan.move_to(S.approved, "approve")
        loan.approved_at = dt.datetime.now(dt.UTC)
        loan.fee_tiers = tiers_to_json(rules.fee_tiers)
        loan.penalty_daily_rate = rules.penalty_daily_rate
        loan.default_after_days = rules.default_after_days
    session.flush()
    after = loan.snapshot()
    after.update(approvals=len(loan.approvals), required_approvals=loan.required_approvals, comment=comment,
                 decided_on=decided_on.isoformat())
    b, a = audit.changes(before, after)
    audit.record(session, actor, "approve", ENTITY, loan.id, before=b, after=a)
    return loan


def _simple_transition(session: Session, actor: Actor, loan: BridgeLoan, target: BridgeLoanStatus, action: str,
                       reason: str | None, **changes: Any) -> BridgeLoan:
    before = loan.snapshot()
    loan.move_to(target, action)
    for name, value in changes.items():
        setattr(loan, name, value)
    if reason is not None:
        loan.status_reason = reason
    session.flush()
    b, a = audit.changes(before, loan.snapshot())
    audit.record(session, actor, action, ENTITY, loan.id, before=b, after=a)
    return loan


@allows(Role.fund_manager)
def reject(session: Session, actor: Actor, loan_id: int, *, reason: str, today: dt.date | None = None,
           decided_on: dt.date | None = None) -> BridgeLoan:
    """Reject an application on ``decided_on`` (business date, default today; rules as for an approval)."""
    reason = _reason(reason)
    loan = _load(session, actor, loan_id, lock=True)
    loan.state.check(S.rejected, "reject")
    decided_on = decision_date(session, decided_on, today, loan.submitted_on, "the application")
    return _simple_transition(session, actor, loan, S.rejected, "reject", reason, rejected_on=decided_on)


def authorised_on(loan: BridgeLoan) -> dt.date | None:
    """The business date from which the loan's approvals authorise its money: the last approval's decision."""
    return max((a.decided_on for a in loan.approvals), default=None)


@allows(Role.bank_officer)
def withdraw(session: Session, actor: Actor, loan_id: int, *, reason: str | None = None) -> BridgeLoan:
    """The submitting bank's officer withdraws an application that is still ``submitted``."""
    loan = _load(session, actor, loan_id, lock=True)
    return _simple_transition(session, actor, loan, S.withdrawn, "withdraw", (reason or "").strip() or None)


@allows(Role.fund_manager)
def cancel(session: Session, actor: Actor, loan_id: int, *, reason: str | None = None) -> BridgeLoan:
    loan = _load(session, actor, loan_id, lock=True)
    return _simple_transition(session, actor, loan, S.cancelled, "cancel", (reason or "").strip() or None)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise RuleViolation.on("reason", "a reason is required")
    return text


# --- money --------------------------------------------------------------------------------------------------


def terms_of(loan: BridgeLoan) -> BridgeTerms:
    """The pure-finance view of a disbursed loan (its snapshot settings)."""
    assert loan.disbursed_on is not None and loan.due_date is not None and loan.fee_tiers is not None
    assert loan.penalty_daily_rate is not None
    return BridgeTerms(principal=loan.amount, value_date=loan.disbursed_on, due_date=loan.due_date,
                       fee_tiers=tiers_from_json(loan.fee_tiers), penalty_daily_rate=loan.penalty_daily_rate)


def _paid(loan: BridgeLoan) -> list[Repayment]:
    return [Repayment(r.value_date, r.amount) for r in loan.repayments]


@allows(SIGNED_IN)
def due_on(session: Session, value_date: dt.date, term_days: int) -> dt.date:
    """The due date of a loan disbursed on ``value_date`` (what a disbursement's confirmation shows beforehand):
    value date + term, rolled to the next working day when it falls on a day off (DOMAIN.md; fund setting
    ``roll_due_date_to_working_day``, default on)."""
    return calendar.roll_due_date(session, value_date + dt.timedelta(days=term_days),
                                  roll=current_settings(session).roll_due_date_to_working_day)


@allows(Role.fund_manager)
def disburse(session: Session, actor: Actor, loan_id: int, *, value_date: dt.date, today: dt.date) -> BridgeLoan:
    """Pay an approved loan out on ``value_date``; 409 when the fund's cash cannot cover it on every day from then."""
    check_not_future(value_date, today)
    # Lock order everywhere: the loan row, then the fund row (held only for the cash check and the writes).
    loan = _load(session, actor, loan_id, lock=True)
    loan.state.check(S.disbursed, "disburse")
    if value_date < loan.submitted_on:
        raise RuleViolation.on("value_date", f"must not be before the application date {loan.submitted_on}")
    approved_on = authorised_on(loan)
    if approved_on is not None and value_date < approved_on:
        raise RuleViolation.on("value_date", f"must not be before the approval decided on {approved_on}")
    _check_bank_active(session, loan.bank, value_date, "value_date")
    lock_fund(session, value_date, today)
    require_cash(session, loan.amount, value_date)
    due_date = due_on(session, value_date, loan.term_days)  # read before the loan moves (autoflush)
    before = loan.snapshot()
    loan.move_to(S.disbursed, "disburse")
    loan.disbursed_on = value_date
    loan.due_date = due_date
    entry = post(session, LedgerKind.disbursement, loan.amount, value_date, actor, bridge_loan_id=loan.id,
                 note=loan.reference)
    session.flush()
    b, a = audit.changes(before, loan.snapshot())
    a["ledger_entry_id"] = entry.id
    audit.record(session, actor, "disburse", ENTITY, loan.id, before=b, after=a)
    return loan


@dataclass
class RepaymentResult:
    """What ``POST /bridge-loans/{id}/repayments`` answers: the repayment with its split, and the loan after."""

    repayment: BridgeRepayment
    loan: BridgeLoan


@allows(Role.bank_officer, Role.fund_manager)
def repay(session: Session, actor: Actor, loan_id: int, *, amount: Decimal, value_date: dt.date,
          external_ref: str, today: dt.date) -> RepaymentResult:
    """Record money received for a loan, split penalty → fee → principal; the loan is ``repaid`` once settled."""
    external_ref = external_ref.strip()
    if not external_ref:
        raise RuleViolation.on("external_ref", "must not be blank")
    # Money in cannot overdraw the fund: only the loan row is locked (so two repayments never both count).
    lock_fund(session, value_date, today, lock=False)
    loan = _load(session, actor, loan_id, lock=True)
    split = _split(loan, amount, value_date)
    before = loan.snapshot()
    rep = BridgeRepayment(bridge_loan_id=loan.id, bank_id=loan.bank_id, external_ref=external_ref, amount=amount,
                          value_date=value_date, penalty=split.penalty, fee=split.fee, principal=split.principal,
                          created_by=actor.id)
    loan.repayments.append(rep)
    for kind, part in ((LedgerKind.penalty, split.penalty), (LedgerKind.fee, split.fee),
                       (LedgerKind.principal_repaid, split.principal)):
        if part > 0:
            post(session, kind, part, value_date, actor, bridge_loan_id=loan.id, note=external_ref)
    loan.penalty_paid += split.penalty
    loan.fee_paid += split.fee
    loan.principal_repaid += split.principal
    if loan.principal_repaid == loan.amount:
        # Principal is paid last, so a zero principal means the penalty and fee due are paid too.
        loan.move_to(S.repaid, "repay")
        loan.repaid_on = value_date
        loan.financing_cost_saved = financing_cost_saved(
            loan.amount, (value_date - loan.disbursed_on).days, current_settings(session).market_bridge_daily_rate,
            loan.fee_paid, loan.penalty_paid)
    try:
        session.flush()
    except IntegrityError as exc:
        # The unique (bank, external_ref) constraint is the check: no extra query, and no race between two.
        if "external_ref" in str(exc.orig):
            raise Duplicate(f"external_ref {external_ref!r} was already used by this bank",
                            {"external_ref": ["already used by this bank"]}) from None
        raise
    b, a = audit.changes(before, loan.snapshot())
    a["repayment"] = {"id": rep.id, "amount": f"{amount:f}", "value_date": value_date.isoformat(),
                      "external_ref": external_ref, "penalty": f"{split.penalty:f}", "fee": f"{split.fee:f}",
                      "principal": f"{split.principal:f}"}
    audit.record(session, actor, "repay", ENTITY, loan.id, before=b, after=a)
    return RepaymentResult(repayment=rep, loan=loan)


# --- the renewal loop (DOMAIN.md): the bank approves its renewal, then disburses it, and the renewal repays the fund


_NO_RENEWAL = (S.submitted, S.rejected, S.withdrawn, S.cancelled)


def next_renewal_step(loan: BridgeLoan) -> str | None:
    """The renewal loop's next recording on ``loan`` — ``"record_renewal_approved"``, ``"record_renewal_disbursed"``
    — or None when neither is open now (what the console offers; the operations themselves check again)."""
    if loan.renewal_approved_on is None:
        return None if S(loan.status) in _NO_RENEWAL else "record_renewal_approved"
    if loan.renewal_disbursed_on is None and loan.disbursed_on is not None:
        return "record_renewal_disbursed"
    return None


def check_documents(session: Session, loan_id: int) -> None:
    """409 ``missing_documents`` unless the loan has every kind the fund settings require before approval (what
    :func:`approve` checks; the console asks it before showing the approval's confirmation)."""
    documents.check_complete(session, "bridge_loan", loan_id, current_settings(session).required_documents)


@allows(Role.bank_officer)
def record_renewal_approved(session: Session, actor: Actor, loan_id: int, *, decided_on: dt.date, amount: Decimal,
                            today: dt.date) -> BridgeLoan:
    """The bank's officer records that the bank approved the renewal (day, amount): once, for a loan the fund has
    approved. ``decided_on`` is a business date (not future, not in a closed month), not before the application."""
    loan = _load(session, actor, loan_id, lock=True)
    if S(loan.status) in _NO_RENEWAL:
        raise Conflict(f"the loan is {loan.status}: a renewal is recorded once the fund has approved the loan",
                       {"status": [loan.status]})
    if loan.renewal_approved_on is not None:
        raise Conflict(f"the renewal's approval was already recorded (on {loan.renewal_approved_on})",
                       {"decided_on": ["already recorded"]})
    check_value_date(session, decided_on, today, "decided_on")
    if decided_on < loan.submitted_on:
        raise RuleViolation.on("decided_on", f"before the application ({loan.submitted_on})")
    before = loan.snapshot()
    loan.renewal_approved_on, loan.renewal_approved_amount = decided_on, amount
    session.flush()
    audit.record(session, actor, "renewal_approved", ENTITY, loan.id, before=_renewal_of(before),
                 after={"renewal_approved_on": decided_on.isoformat(), "renewal_approved_amount": str(amount)})
    return loan


@allows(Role.bank_officer)
def record_renewal_disbursed(session: Session, actor: Actor, loan_id: int, *, value_date: dt.date, amount: Decimal,
                             contract_no: str, today: dt.date) -> BridgeLoan:
    """The bank's officer records that the bank disbursed the renewal (value date, amount, the new contract): once,
    after its approval and not before the fund's own disbursement (the renewal is what repays the fund)."""
    loan = _load(session, actor, loan_id, lock=True)
    if loan.renewal_approved_on is None:
        raise Conflict("record the renewal's approval first (POST …/renewal/approved)", {"status": [loan.status]})
    if loan.renewal_disbursed_on is not None:
        raise Conflict(f"the renewal's disbursement was already recorded (on {loan.renewal_disbursed_on})",
                       {"value_date": ["already recorded"]})
    if loan.disbursed_on is None:
        raise Conflict("the fund has not disbursed this loan yet: the renewal follows the bridge",
                       {"status": [loan.status]})
    check_value_date(session, value_date, today)
    if value_date < max(loan.renewal_approved_on, loan.disbursed_on):
        raise RuleViolation.on("value_date", f"before the renewal's approval ({loan.renewal_approved_on}) or the "
                                             f"fund's disbursement ({loan.disbursed_on})")
    loan.renewal_disbursed_on, loan.renewal_disbursed_amount = value_date, amount
    loan.renewal_contract_no = contract_no
    session.flush()
    audit.record(session, actor, "renewal_disbursed", ENTITY, loan.id, before={"renewal_disbursed_on": None},
                 after={"renewal_disbursed_on": value_date.isoformat(), "renewal_disbursed_amount": str(amount),
                        "renewal_contract_no": contract_no})
    return loan


def _renewal_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"renewal_approved_on": None, "renewal_approved_amount": None} | {
        k: v for k, v in snapshot.items() if k.startswith("renewal_approved")}


@allows(Role.fund_manager)
def declare_default(session: Session, actor: Actor, loan_id: int, *, value_date: dt.date,
                    today: dt.date) -> BridgeLoan:
    """Declare a disbursed loan in default, once it is at least ``default_after_days`` overdue on ``value_date``."""
    check_value_date(session, value_date, today)
    loan = _load(session, actor, loan_id, lock=True)
    loan.state.check(S.defaulted, "default")
    assert loan.default_after_days is not None
    last = loan.repayments[-1].value_date if loan.repayments else loan.disbursed_on
    assert last is not None
    if value_date < last:
        raise RuleViolation.on("value_date", f"must not be before {last} (the loan's last money movement)")
    pos = position(terms_of(loan), _paid(loan), value_date)
    if pos.days_overdue < loan.default_after_days:
        raise Conflict(
            f"the loan is {pos.days_overdue} days overdue on {value_date}; default needs "
            f"{loan.default_after_days}",
            {"days_overdue": [f"is {pos.days_overdue}; at least {loan.default_after_days} needed"]},
        )
    before = loan.snapshot()
    loan.move_to(S.defaulted, "default")
    loan.defaulted_on = value_date
    session.flush()
    b, a = audit.changes(before, loan.snapshot())
    a["days_overdue"] = pos.days_overdue
    audit.record(session, actor, "default", ENTITY, loan.id, before=b, after=a)
    return loan


@allows(Role.fund_manager)
def write_off(session: Session, actor: Actor, loan_id: int, *, reason: str, value_date: dt.date,
              today: dt.date) -> BridgeLoan:
    """Write a defaulted loan off: its outstanding principal becomes a fund loss (a ledger ``write_off``)."""
    reason = _reason(reason)
    check_not_future(value_date, today)
    loan = _load(session, actor, loan_id, lock=True)
    loan.state.check(S.written_off, "write off")
    lock_fund(session, value_date, today)
    assert loan.defaulted_on is not None
    last = max([loan.defaulted_on, *(r.value_date for r in loan.repayments)])
    if value_date < last:
        raise RuleViolation.on("value_date", f"must not be before {last} (default or the last repayment)")
    before = loan.snapshot()
    loss = loan.amount - loan.principal_repaid
    loan.move_to(S.written_off, "write off")
    loan.written_off_on = value_date
    loan.written_off_amount = loss
    loan.status_reason = reason
    entry = post(session, LedgerKind.write_off, loss, value_date, actor, bridge_loan_id=loan.id, note=reason)
    session.flush()
    b, a = audit.changes(before, loan.snapshot())
    a["ledger_entry_id"] = entry.id
    audit.record(session, actor, "write_off", ENTITY, loan.id, before=b, after=a)
    return loan


@allows(Role.fund_manager)
def recover(session: Session, actor: Actor, loan_id: int, *, amount: Decimal, value_date: dt.date,
            today: dt.date, note: str | None = None) -> BridgeLoan:
    """Money recovered on a written-off loan comes back to the fund (at most the principal written off)."""
    lock_fund(session, value_date, today, lock=False)  # money in
    loan = _load(session, actor, loan_id, lock=True)
    if loan.state is not S.written_off:
        raise InvalidTransition(f"only a written_off loan has recoveries; this one is {loan.status}",
                                {"status": [f"is {loan.status}; recoveries need written_off"]},
                                current_status=loan.status)
    assert loan.written_off_on is not None
    if value_date < loan.written_off_on:
        raise RuleViolation.on("value_date", f"must not be before the write-off on {loan.written_off_on}")
    room = loan.written_off_amount - loan.recovered
    if amount > room:
        raise RuleViolation.on("amount", f"exceeds what remains written off: {money(room)}")
    before = loan.snapshot()
    loan.recovered += amount
    entry = post(session, LedgerKind.recovery, amount, value_date, actor, bridge_loan_id=loan.id, note=note)
    session.flush()
    b, a = audit.changes(before, loan.snapshot())
    a.update(ledger_entry_id=entry.id, amount=f"{amount:f}", value_date=value_date.isoformat())
    audit.record(session, actor, "recover", ENTITY, loan.id, before=b, after=a)
    return loan


# --- views ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanFigures:
    """A loan's accruals on a date (zero before disbursement and once repaid or written off)."""

    as_of: dt.date
    principal_outstanding: Decimal = ZERO
    fee_accrued: Decimal = ZERO
    penalty_accrued: Decimal = ZERO
    amount_due: Decimal = ZERO
    overdue: bool = False
    days_overdue: int = 0


def figures(loan: BridgeLoan, as_of: dt.date) -> LoanFigures:
    """Evaluate a loan on ``as_of`` with the pure fee math (only repayments dated ≤ ``as_of`` count)."""
    if loan.disbursed_on is None or as_of < loan.disbursed_on:
        return LoanFigures(as_of)
    if loan.written_off_on is not None and as_of >= loan.written_off_on:
        return LoanFigures(as_of)
    pos: BridgePosition = position(terms_of(loan), _paid(loan), as_of)
    return LoanFigures(as_of, pos.principal_outstanding, pos.fee_accrued, pos.penalty_accrued, pos.amount_due,
                       pos.overdue, pos.days_overdue)


def with_figures(loans: list[BridgeLoan], as_of: dt.date) -> list[BridgeLoan]:
    for loan in loans:
        loan.figures = figures(loan, as_of)  # type: ignore[attr-defined]
    return loans


@allows(SIGNED_IN)
def get(session: Session, actor: Actor, loan_id: int, *, as_of: dt.date) -> BridgeLoan:
    """The loan with its figures as of ``as_of``, its latest document of each kind and the required kinds it lacks."""
    loan = with_figures([_load(session, actor, loan_id)], as_of)[0]
    required = current_settings(session).required_documents
    shown = documents.summary(session, "bridge_loan", loan.id, required)
    loan.documents, loan.missing_documents = shown["documents"], shown["missing_documents"]  # type: ignore[attr-defined]
    loan.required_documents = list(required)  # type: ignore[attr-defined]
    return loan


#: The columns a ``view=brief`` item shows (``schemas.bridge_loan.BridgeLoanBriefSchema``): only these are loaded —
#: the loan's JSON columns and the rest of its row are not read, parsed or tracked (issue 16).
BRIEF_COLUMNS = ("id", "reference", "status", "enterprise_id", "bank_id", "submitted_on", "amount", "term_days",
                 "required_approvals", "approved_at", "disbursed_on", "due_date", "repaid_on", "defaulted_on",
                 "written_off_on", "rejected_on", "principal_repaid", "created_at")


@allows(SIGNED_IN)
def list_loans(session: Session, actor: Actor, page: int, page_size: int, *, today: dt.date,
               as_of: dt.date | None = None, status: str | None = None, bank_id: int | None = None,
               enterprise_id: int | None = None, overdue: bool | None = None,
               disbursed_from: dt.date | None = None, disbursed_to: dt.date | None = None,
               due_from: dt.date | None = None, due_to: dt.date | None = None, awaiting: str | None = None,
               after_id: int | None = None, count_limit: int | None = None, view: str = "full",
               total_with_page: bool = False) -> Page[BridgeLoan]:
    """Loans newest first, scoped to the officer's bank; a constant number of queries whatever the page size.

    ``view="brief"``: the loans with their enterprise only (one query for the page, no approvals, repayments or
    accruals computed per row); ``"full"``: each with everything the detail view shows, figures as of ``as_of``.
    ``due_from``/``due_to`` select open lent loans by due date; ``awaiting`` the applications under review that wait
    for their ``first_approval`` or, at or above the dual-approval threshold, their ``second_approval`` (the work
    queues of the staff console). ``total_with_page``: see :func:`~bridgefund.services.common.paginate` (the home
    pages' short queues).
    """
    loan = BridgeLoan
    query = (select(loan).options(load_only(*(getattr(loan, c) for c in BRIEF_COLUMNS), raiseload=True),
                                  joinedload(loan.enterprise, innerjoin=True).load_only(
                                      Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.size,
                                      raiseload=True))
             if view == "brief" else _loan_query())
    stmt = _filtered(query, actor, as_of=as_of or today, status=status, bank_id=bank_id, enterprise_id=enterprise_id,
                     overdue=overdue, disbursed_from=disbursed_from, disbursed_to=disbursed_to, due_from=due_from,
                     due_to=due_to, awaiting=awaiting)
    result = paginate(session, stmt, page, page_size, key=loan.id, after_id=after_id, count_limit=count_limit,
                      total_with_page=total_with_page)
    if view != "brief":
        with_figures(result.items, as_of or today)
    return result


@allows(SIGNED_IN)
def list_queues(session: Session, actor: Actor, rows: int, queues: Sequence[tuple[str, dict[str, Any]]], *,
                today: dt.date, total_with_page: bool = False) -> list[tuple[str, Page[BridgeLoan]]]:
    """The first ``rows`` loans of each queue (``(name, filters of list_loans)``), each as ``list_loans`` answers
    its first page, with their figures as of ``today`` — the home pages' work queues. The loans of every queue
    share one load of their enterprises, approvals and repayments (three statements, not three per queue)."""
    stmts = [_newest_overdue(actor, today, filters, rows + 1) if _one_banks_overdue(actor, filters)
             else _filtered(select(BridgeLoan), actor, as_of=today, **filters) for _, filters in queues]
    # Every queue's total in one statement (a scalar subquery each), unless the pages count their own rows.
    totals: Sequence[int | None] = [None] * len(stmts) if total_with_page or not stmts else session.execute(select(
        *(_queue_total(actor, today, filters, stmt) for (_, filters), stmt in zip(queues, stmts, strict=True))
    )).one()
    pages = [(name, paginate(
        session, stmt, 1, rows, key=BridgeLoan.id, total_with_page=total_with_page,
        known_total=None if total is None else (total, True),
        # an officer's overdue page counts its loans by the two halves (from the index) beside its rows
        total_column=_queue_total(actor, today, filters, stmt) if _one_banks_overdue(actor, filters) else None))
        for (name, filters), stmt, total in zip(queues, stmts, totals, strict=True)]
    ids = {loan.id for _, page in pages for loan in page.items}
    if ids:
        session.scalars(_loan_query().where(BridgeLoan.id.in_(ids))).all()
    with_figures([loan for _, page in pages for loan in page.items], today)
    return pages


def _one_banks_overdue(actor: Actor, filters: dict[str, Any]) -> bool:
    """An officer's overdue queue: one bank's loans, so :func:`_newest_overdue` reads it from the bank's open loans."""
    return actor.is_officer and filters.get("overdue") is True


def _newest_overdue(actor: Actor, today: dt.date, filters: dict[str, Any], n: int) -> Select[Any]:
    """The loans of an overdue queue newest first, as ``_filtered(..., overdue=True)`` selects them, found by their
    ids: the newest ``n`` ids of each of ``overdue_on``'s two disjoint halves. For one bank, the open half's ids come
    from the partial index of its open loans by due date (which INCLUDEs the id) alone, where the ``OR`` of both
    halves read every overdue loan's row to sort them by id (at 10⁶, one bank's 2,000 loans: 7.6 → 1.4 ms). The
    closed-later half is a range of the repaid_on / written_off_on indexes. Together, the newest ``n`` of the union
    are the newest ``n`` of the queue."""
    others = _filtered(select(BridgeLoan.id), actor, as_of=today, **{**filters, "overdue": None})
    halves = [others.where(half).limit(n).subquery() for half in BridgeLoan.overdue_halves(today)]
    ids = union_all(*(select(half.c.id) for half in halves))
    return select(BridgeLoan).where(BridgeLoan.id.in_(ids)).order_by(BridgeLoan.id.desc())


def _queue_total(actor: Actor, today: dt.date, filters: dict[str, Any], stmt: Select[Any]) -> Any:
    """SQL for the number of loans in a queue. The overdue queue is counted as the sum of its two disjoint halves
    (``BridgeLoan.overdue_halves``): the open half is then counted from its partial index alone, where the one
    ``OR`` of both had to visit every overdue loan's row (at 10⁶, all banks: 4.8 → 2 ms)."""
    def count(rows: Select[Any]) -> Any:
        return select(func.count()).select_from(rows.order_by(None).subquery()).scalar_subquery()

    if filters.get("overdue") is not True:
        return count(stmt)
    others = _filtered(select(BridgeLoan.id), actor, as_of=today, **{**filters, "overdue": None})
    still_open, closed_later = BridgeLoan.overdue_halves(today)
    return count(others.where(still_open)) + count(others.where(closed_later))


def _filtered(query: Select[Any], actor: Actor, *, as_of: dt.date, status: str | None = None,
              bank_id: int | None = None, enterprise_id: int | None = None, overdue: bool | None = None,
              disbursed_from: dt.date | None = None, disbursed_to: dt.date | None = None,
              due_from: dt.date | None = None, due_to: dt.date | None = None,
              awaiting: str | None = None) -> Select[Any]:
    """``query`` newest first with :func:`list_loans`' filters, scoped to what ``actor`` may see."""
    loan = BridgeLoan
    stmt = bank_scoped(query.order_by(loan.id.desc()), loan.bank_id, actor, bank_id)
    if status:
        stmt = stmt.where(loan.status == status)
    if enterprise_id is not None:
        stmt = stmt.where(loan.enterprise_id == enterprise_id)
    if disbursed_from is not None:
        stmt = stmt.where(loan.disbursed_on >= disbursed_from)
    if disbursed_to is not None:
        stmt = stmt.where(loan.disbursed_on <= disbursed_to)
    if due_from is not None or due_to is not None:
        stmt = stmt.where(loan.status.in_([s.value for s in LENT_STATUSES]))
        if due_from is not None:
            stmt = stmt.where(loan.due_date >= due_from)
        if due_to is not None:
            stmt = stmt.where(loan.due_date <= due_to)
    if awaiting is not None:
        approvals = (select(func.count()).where(BridgeApproval.bridge_loan_id == loan.id)
                     .correlate(loan).scalar_subquery())
        stmt = stmt.where(loan.status == S.submitted.value,
                          approvals == 0 if awaiting == "first_approval" else approvals >= 1)
    if overdue is not None:
        # Overdue on that date from the loan's dates (as GET /fund counts it), so a past date answers as it did then.
        is_overdue = loan.overdue_on(as_of)
        stmt = stmt.where(is_overdue if overdue else ~is_overdue)
    return stmt


@allows(SIGNED_IN)
def count_by_status(session: Session, actor: Actor, *, bank_id: int | None = None) -> dict[str, int]:
    """How many loans are in each status (an officer: their bank's only), in one aggregate query."""
    stmt = bank_scoped(select(BridgeLoan.status, func.count()).group_by(BridgeLoan.status), BridgeLoan.bank_id, actor,
                       bank_id)
    counts = {s.value: 0 for s in BridgeLoanStatus}
    counts.update({status: n for status, n in session.execute(stmt).all()})
    return counts


@dataclass(frozen=True)
class FeeQuote:
    """What an application would cost if repaid on its due date, under the fund's settings of today."""

    amount: Decimal
    term_days: int
    fee: Decimal
    fee_tiers: tuple[Any, ...]
    max_term_days: int


@allows(SIGNED_IN)
def quote_fee(session: Session, *, amount: Decimal, term_days: int, value_date: dt.date) -> FeeQuote:
    """The fee for ``amount`` over ``term_days`` days from ``value_date`` (finance.bridge.scheduled_fee), with the
    tiers in force now — an application keeps the settings in force at its approval. 422 for a term out of range."""
    rules = current_settings(session)
    term = _term_problem(rules.max_term_days, term_days)
    if term:
        raise RuleViolation.on("term_days", term)
    terms = BridgeTerms(principal=amount, value_date=value_date, due_date=value_date + dt.timedelta(days=term_days),
                        fee_tiers=rules.fee_tiers, penalty_daily_rate=rules.penalty_daily_rate)
    return FeeQuote(amount=amount, term_days=term_days, fee=scheduled_fee(terms), fee_tiers=tuple(rules.fee_tiers),
                    max_term_days=rules.max_term_days)


@allows(Role.bank_officer, Role.fund_manager)
def preview_repayment(session: Session, actor: Actor, loan_id: int, *, amount: Decimal,
                      value_date: dt.date) -> Allocation:
    """How a repayment of ``amount`` on ``value_date`` would be split (penalty → fee → principal), without storing
    anything: the same allocation :func:`repay` books. 422 for an overpayment or a date before the last movement."""
    return _split(_load(session, actor, loan_id), amount, value_date)


def _split(loan: BridgeLoan, amount: Decimal, value_date: dt.date) -> Allocation:
    """The allocation of a repayment of ``amount`` on ``value_date``, after the rules every repayment meets."""
    if loan.state not in LENT_STATUSES:
        loan.state.check(S.repaid, "repay")  # raises, naming the current state
    assert loan.disbursed_on is not None
    if value_date < loan.disbursed_on:
        raise RuleViolation.on("value_date", f"must not be before the disbursement on {loan.disbursed_on}")
    last = loan.repayments[-1].value_date if loan.repayments else None
    if last is not None and value_date < last:
        raise RuleViolation.on("value_date", f"must not be before the previous repayment on {last}")
    try:
        return allocate_next(terms_of(loan), _paid(loan), Repayment(value_date, amount))
    except Overpayment as exc:
        raise RuleViolation(
            f"amount {money(amount)} exceeds the {money(exc.due)} due on {value_date}",
            {"amount": [f"exceeds the amount due on {value_date}: {money(exc.due)}"]}, amount_due=money(exc.due),
        ) from None


@allows(SIGNED_IN)
def history(session: Session, actor: Actor, loan_id: int) -> list[tuple[Any, str | None]]:
    """The loan's audit events, oldest first, each with the acting user's name: the timeline of its detail page
    (scoped like the loan: another bank's loan is 404 for an officer)."""
    _load(session, actor, loan_id)
    stmt = (select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.entity_type == ENTITY, AuditEvent.entity_id == loan_id).order_by(AuditEvent.id))
    return [(event, name) for event, name in session.execute(stmt).all()]


@dataclass(frozen=True)
class ApprovalContext:
    """What a fund manager sees before approving: the enterprise's committed bridge loans at every bank and the
    fund's cash headroom on a value date."""

    committed_all_banks: Decimal
    per_enterprise_cap: Decimal
    cash_headroom: Decimal
    headroom_on: dt.date


@allows(Role.fund_manager)
def approval_context(session: Session, actor: Actor, loan_id: int, *, on: dt.date) -> ApprovalContext:
    """The figures beside the approve button (fund managers only: they span every bank)."""
    loan = _load(session, actor, loan_id)
    headroom, headroom_on = cash_headroom(session, on)
    return ApprovalContext(
        committed_all_banks=_open_amount(session, loan.enterprise_id, COMMITTED_STATUSES, except_id=loan.id),
        per_enterprise_cap=current_settings(session).per_enterprise_cap, cash_headroom=headroom,
        headroom_on=headroom_on)
