"""The risk-compensation pool (风险补偿资金池): settings, the pool ledger, pool loans, claims, recoveries.

A pool loan is a bank's ordinary loan that the pool partly covers. Its schedule lives in one
:class:`PoolInstallment` row per installment (the schedule plus what has been paid on it, exactly the
state :class:`bridgefund.finance.pool.InstallmentState` describes), its repayments and recoveries are
immutable dated rows, and every money movement of the pool itself is an immutable
:class:`PoolLedgerEntry`. Balances and report figures are sums over those rows with
``value_date ≤ as_of``.

Money columns are exact yuan stored as integer fen (``Money``), rates and shares are 8-decimal scaled
integers (``Rate``): no float anywhere.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridgefund.db import Base, Money, Rate, UTCDateTime, utcnow
from bridgefund.models import states


class PoolEntryKind(enum.StrEnum):
    """Kinds of pool ledger entries; ``contribution`` and ``recovery_share`` bring money in."""

    contribution = "contribution"
    claim_payout = "claim_payout"
    recovery_share = "recovery_share"


class PoolLoanStatus(enum.StrEnum):
    #: Reported and being repaid (current or past due).
    active = "active"
    #: Every installment paid.
    repaid = "repaid"
    #: The pool paid a claim on it; what the bank recovers later is shared back.
    claimed = "claimed"
    #: The bank wrote its unpaid principal off (``written_off_on``): no longer outstanding, still non-performing.
    written_off = "written_off"

    @property
    def next_states(self) -> frozenset[PoolLoanStatus]:
        return POOL_LOAN_TRANSITIONS[self]

    def check(self, target: PoolLoanStatus, action: str, **wording: Any) -> None:
        """409 naming the current status unless ``self → target`` is allowed (models.states.check)."""
        states.check(POOL_LOAN_TRANSITIONS, self, target, action, "pool loan", **wording)


class ClaimStatus(enum.StrEnum):
    filed = "filed"
    approved = "approved"
    rejected = "rejected"
    paid = "paid"

    @property
    def next_states(self) -> frozenset[ClaimStatus]:
        return CLAIM_TRANSITIONS[self]

    def check(self, target: ClaimStatus, action: str, **wording: Any) -> None:
        """409 naming the current status unless ``self → target`` is allowed (models.states.check)."""
        states.check(CLAIM_TRANSITIONS, self, target, action, "claim", **wording)


#: Where a pool loan may go: repaid by its last installment, claimed when the pool pays a claim on it, written off
#: by the bank while active or after a claim (DOMAIN.md, "Pool").
POOL_LOAN_TRANSITIONS: dict[PoolLoanStatus, frozenset[PoolLoanStatus]] = {
    PoolLoanStatus.active: frozenset({PoolLoanStatus.repaid, PoolLoanStatus.claimed, PoolLoanStatus.written_off}),
    PoolLoanStatus.claimed: frozenset({PoolLoanStatus.written_off}),
    PoolLoanStatus.repaid: frozenset(),
    PoolLoanStatus.written_off: frozenset(),
}
CLAIM_TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.filed: frozenset({ClaimStatus.approved, ClaimStatus.rejected}),
    ClaimStatus.approved: frozenset({ClaimStatus.paid}),
    ClaimStatus.rejected: frozenset(),
    ClaimStatus.paid: frozenset(),
}


class PoolSettings(Base):
    """The pool's rules (one row, id 1). Absent until an admin first saves them: defaults apply."""

    __tablename__ = "pool_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint("leverage > 0", name="leverage_positive"),
        CheckConstraint("claim_after_days_overdue >= 1", name="claim_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: Σ bank quotas may be at most leverage × contributions (放大倍数), e.g. 10.
    leverage: Mapped[Decimal] = mapped_column(Rate())
    #: Pool's share of a loss when a loan names none (0–1).
    default_pool_share: Mapped[Decimal] = mapped_column(Rate())
    #: Days past due from which a bank may claim (and a loan counts as non-performing).
    claim_after_days_overdue: Mapped[int] = mapped_column(Integer)
    #: NPL ratio (0–1) above which a bank is suspended.
    bank_npl_threshold: Mapped[Decimal] = mapped_column(Rate())
    #: Paid claims above this share of contributions stop the pool (0–1).
    pool_loss_threshold: Mapped[Decimal] = mapped_column(Rate())
    #: Largest principal of one pool loan, yuan.
    max_loan_amount: Mapped[Decimal] = mapped_column(Money())
    #: Highest contract annual rate a pool loan may carry, e.g. 0.06525.
    max_annual_rate: Mapped[Decimal] = mapped_column(Rate())
    #: Penalty interest = contract rate × (1 + markup), e.g. 0.50.
    penalty_rate_markup: Mapped[Decimal] = mapped_column(Rate())
    #: Overdue interest bears penalty interest too (复利); loans reported from then on keep the setting.
    compound_overdue_interest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Document kinds a claim needs before approval (null: the defaults, DOMAIN.md "Documents").
    claim_required_documents: Mapped[list[str] | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    FIELDS = ("leverage", "default_pool_share", "claim_after_days_overdue", "bank_npl_threshold",
              "pool_loss_threshold", "max_loan_amount", "max_annual_rate", "penalty_rate_markup",
              "compound_overdue_interest")

    def snapshot(self) -> dict[str, Any]:
        return {**{k: (v if isinstance(v := getattr(self, k), int) else str(v)) for k in self.FIELDS},
                "claim_required_documents": self.claim_required_documents}


class PoolAccount(Base):
    """The pool's lock row (id 1): payouts, loans and contributions lock it ``FOR UPDATE``."""

    __tablename__ = "pool_account"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PoolLedgerEntry(Base):
    """One immutable, dated movement of the pool's money (amount always positive; ``kind`` gives the sign)."""

    __tablename__ = "pool_ledger_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('contribution', 'claim_payout', 'recovery_share')", name="kind_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind != 'claim_payout' OR claim_id IS NOT NULL", name="payout_names_claim"),
        Index("ix_pool_ledger_entries_value_date", "value_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    value_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    #: Yuan, > 0: in for contributions and recovery shares, out for claim payouts.
    amount: Mapped[Decimal] = mapped_column(Money())
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("pool_claims.id"), index=True)
    recovery_id: Mapped[int | None] = mapped_column(ForeignKey("pool_recoveries.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == PoolEntryKind.claim_payout else self.amount


class PoolLoan(Base):
    """A bank loan reported under the pool's cover (``PL-YYYY-NNNNNN``)."""

    __tablename__ = "pool_loans"
    __table_args__ = (
        UniqueConstraint("bank_id", "contract_no", name="uq_pool_loans_bank_contract"),
        CheckConstraint("status IN ('active', 'repaid', 'claimed', 'written_off')", name="status_known"),
        CheckConstraint("status != 'written_off' OR (written_off_on IS NOT NULL AND written_off_principal > 0)",
                        name="written_off_dated"),
        CheckConstraint("principal > 0", name="principal_positive"),
        CheckConstraint("term_months >= 1 AND term_months <= 360", name="term_range"),
        CheckConstraint("repayment_method IN ('equal_installment', 'equal_principal', 'interest_only', 'bullet')",
                        name="method_known"),
        CheckConstraint("pool_share + guarantor_share <= 100000000", name="shares_within_one"),
        CheckConstraint("status != 'repaid' OR repaid_on IS NOT NULL", name="repaid_dated"),
        Index("ix_pool_loans_bank_id_id", "bank_id", "id"),
        Index("ix_pool_loans_status_id", "status", "id"),
        #: a bank's loans in one status (the officer's home: its claim-eligible active loans, issue 13)
        Index("ix_pool_loans_bank_id_status_id", "bank_id", "status", "id"),
        #: a bank's active loans by their oldest unsettled installment's due date (the claim-eligible ones of a
        #: date are a range of this index, not a probe of every active loan's installments; issue 13)
        Index("ix_pool_loans_active_bank_id_oldest_unpaid_due", "bank_id", "oldest_unpaid_due",
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        #: … and by their latest repayment (those with an installment settled after a past date)
        Index("ix_pool_loans_active_last_repayment_on", "last_repayment_on",
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        Index("ix_pool_loans_enterprise_id", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human reference ``PL-<start year>-<6 digits>``.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    #: The bank's loan contract number; unique per bank.
    contract_no: Mapped[str] = mapped_column(String(64))
    #: Yuan lent.
    principal: Mapped[Decimal] = mapped_column(Money())
    #: Contract annual rate, e.g. 0.0435.
    annual_rate: Mapped[Decimal] = mapped_column(Rate())
    #: Value date of the loan (disbursement by the bank).
    start_date: Mapped[dt.date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    #: ``equal_installment`` | ``equal_principal`` | ``interest_only`` | ``bullet``.
    repayment_method: Mapped[str] = mapped_column(String(20))
    guarantor_id: Mapped[int | None] = mapped_column(ForeignKey("guarantors.id"))
    #: Pool's share of a loss on this loan (0–1).
    pool_share: Mapped[Decimal] = mapped_column(Rate())
    #: Guarantor's share (0–1); the bank bears 1 − pool − guarantor.
    guarantor_share: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0"))
    #: Penalty markup in force when the loan was reported (the loan keeps it).
    penalty_rate_markup: Mapped[Decimal] = mapped_column(Rate())
    #: Whether overdue interest bears penalty interest (复利): the pool setting when the loan was reported.
    compound_overdue_interest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    maturity_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=PoolLoanStatus.active.value)
    #: Running totals of the repayments' split (kept with each repayment for fast current views).
    principal_repaid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    interest_repaid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    penalty_repaid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: Due date of the oldest installment not settled today (None: every installment is settled): kept by the
    #: services wherever an installment's ``settled_on`` is written, in the same transaction, and checked by
    #: ``bridgefund summaries check``. Claim eligibility reads it (``services.pool_loans``).
    oldest_unpaid_due: Mapped[dt.date | None] = mapped_column(Date)
    #: Value date of the latest repayment: repayments of one loan are applied in value-date order.
    last_repayment_on: Mapped[dt.date | None] = mapped_column(Date)
    repaid_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Value date of the bank's write-off, the principal it wrote off (unpaid on that date, yuan) and why.
    written_off_on: Mapped[dt.date | None] = mapped_column(Date)
    written_off_principal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"),
                                                           server_default="0")
    write_off_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    installments: Mapped[list[PoolInstallment]] = relationship(
        order_by="PoolInstallment.seq", back_populates="loan", lazy="raise_on_sql")
    repayments: Mapped[list[PoolRepayment]] = relationship(
        order_by="(PoolRepayment.value_date, PoolRepayment.id)", lazy="raise_on_sql", viewonly=True)
    recoveries: Mapped[list[PoolRecovery]] = relationship(
        order_by="(PoolRecovery.value_date, PoolRecovery.id)", lazy="raise_on_sql", viewonly=True)
    claims: Mapped[list[Claim]] = relationship(order_by="Claim.id", lazy="raise_on_sql", viewonly=True)

    @property
    def state(self) -> PoolLoanStatus:
        return PoolLoanStatus(self.status)

    def move_to(self, target: PoolLoanStatus, action: str) -> None:
        """Change status through the state machine (409 naming the current state if not allowed)."""
        self.state.check(target, action)
        self.status = target.value

    def snapshot(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "bank_id": self.bank_id, "enterprise_id": self.enterprise_id,
            "contract_no": self.contract_no, "principal": str(self.principal), "annual_rate": str(self.annual_rate),
            "start_date": self.start_date.isoformat(), "term_months": self.term_months,
            "repayment_method": self.repayment_method, "guarantor_id": self.guarantor_id,
            "pool_share": str(self.pool_share), "guarantor_share": str(self.guarantor_share),
            "status": self.status,
            "written_off_on": self.written_off_on.isoformat() if self.written_off_on else None,
            "written_off_principal": str(self.written_off_principal), "write_off_reason": self.write_off_reason,
        }


class PoolInstallment(Base):
    """One installment of a pool loan: the schedule and what has been paid (finance.pool.InstallmentState)."""

    __tablename__ = "pool_installments"
    __table_args__ = (
        UniqueConstraint("loan_id", "seq", name="uq_pool_installments_loan_seq"),
        #: a loan's installments due by a date, with their settlement date (an index-only "has an installment
        #: unpaid N days" — claim eligibility, non-performing; issue 13)
        Index("ix_pool_installments_loan_id_due_date", "loan_id", "due_date", postgresql_include=["settled_on"]),
        CheckConstraint("principal >= 0 AND interest >= 0", name="amounts_not_negative"),
        CheckConstraint("principal_paid >= 0 AND principal_paid <= principal", name="principal_paid_range"),
        CheckConstraint("interest_paid >= 0 AND interest_paid <= interest", name="interest_paid_range"),
        CheckConstraint("penalty_paid >= 0 AND penalty_paid <= penalty_charged", name="penalty_paid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("pool_loans.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    #: Scheduled principal and interest, yuan (recomputed for later installments after a prepayment).
    principal: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money())
    principal_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    interest_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: Penalty interest charged so far (at repayments), and paid.
    penalty_charged: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    penalty_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: Date through which penalty has been charged.
    penalty_accrued_to: Mapped[dt.date | None] = mapped_column(Date)
    #: Σ balance × days (yuan-days, exact) of the interest period once a prepayment put it on actual/360;
    #: null while ``interest`` is the scheduled one (finance.pool.InstallmentState.accrual_basis).
    accrual_basis: Mapped[Decimal | None] = mapped_column(Money())
    #: Value date on which principal and interest were both fully paid (``finance.pool.is_settled``): the
    #: installment is unpaid on a date D when ``due_date ≤ D`` and (``settled_on`` is null or later than D).
    #: This is what lets days past due, NPL ratios and classifications as of any date come from SQL. It is
    #: cleared when a prepayment moves principal into a zero installment (only ever one not yet due).
    settled_on: Mapped[dt.date | None] = mapped_column(Date)

    loan: Mapped[PoolLoan] = relationship(back_populates="installments", lazy="raise_on_sql")


class PoolRepayment(Base):
    """Money the borrower paid on a pool loan, as reported by the bank, and where it went."""

    __tablename__ = "pool_repayments"
    __table_args__ = (
        UniqueConstraint("bank_id", "external_ref", name="uq_pool_repayments_bank_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("amount = penalty + interest + principal", name="split_adds_up"),
        Index("ix_pool_repayments_loan_id_value_date", "loan_id", "value_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("pool_loans.id"))
    #: Denormalised from the loan: external references are unique per bank.
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    value_date: Mapped[dt.date] = mapped_column(Date)
    #: The bank's own transaction reference.
    external_ref: Mapped[str] = mapped_column(String(64))
    penalty: Mapped[Decimal] = mapped_column(Money())
    interest: Mapped[Decimal] = mapped_column(Money())
    principal: Mapped[Decimal] = mapped_column(Money())
    #: Part of ``principal`` paid ahead of schedule.
    prepaid_principal: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: ``[{seq, penalty, interest, principal}]`` as strings: the split per installment.
    allocation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Claim(Base):
    """A bank's claim on the pool for a defaulted pool loan (``CL-YYYY-NNNNNN``)."""

    __tablename__ = "pool_claims"
    __table_args__ = (
        CheckConstraint("status IN ('filed', 'approved', 'rejected', 'paid')", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status != 'paid' OR paid_on IS NOT NULL", name="paid_dated"),
        CheckConstraint("status != 'rejected' OR reason IS NOT NULL", name="rejection_reasoned"),
        CheckConstraint("status NOT IN ('approved', 'paid') OR approved_by IS NOT NULL", name="approval_named"),
        Index("ix_pool_claims_loan_id", "loan_id"),
        Index("ix_pool_claims_bank_id_id", "bank_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("pool_loans.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.filed.value)
    #: The date the claim is made on (``claimed_on`` in the request): days past due are judged then.
    filed_on: Mapped[dt.date] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer)
    #: Unpaid principal on ``filed_on``, and the pool share applied to it.
    unpaid_principal: Mapped[Decimal] = mapped_column(Money())
    pool_share: Mapped[Decimal] = mapped_column(Rate())
    #: The compensation: unpaid principal × pool share, rounded half-up to the fen.
    amount: Mapped[Decimal] = mapped_column(Money())
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Business date of the approval (``decided_on``): the payout may not be value-dated before it.
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    approval_comment: Mapped[str | None] = mapped_column(String(500))
    rejected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The business date of the rejection: the claim counts as live (non-performing) from ``filed_on`` to the
    #: day before, so figures of dates before the rejection never change (migration 0008).
    rejected_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Why the claim was rejected.
    reason: Mapped[str | None] = mapped_column(String(500))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[PoolLoan] = relationship(lazy="raise_on_sql", viewonly=True)

    @property
    def state(self) -> ClaimStatus:
        return ClaimStatus(self.status)

    def move_to(self, target: ClaimStatus, action: str) -> None:
        """Change status through the state machine (409 naming the current state if not allowed)."""
        self.state.check(target, action)
        self.status = target.value

    def snapshot(self) -> dict[str, Any]:
        return {"reference": self.reference, "loan_id": self.loan_id, "status": self.status,
                "filed_on": self.filed_on.isoformat(), "amount": str(self.amount),
                "paid_on": self.paid_on.isoformat() if self.paid_on else None, "reason": self.reason,
                "approved_on": self.approved_on.isoformat() if self.approved_on else None,
                "rejected_on": self.rejected_on.isoformat() if self.rejected_on else None}


class PoolRecovery(Base):
    """Money a bank recovered on a claimed loan; the pool's share of it returns to the pool ledger."""

    __tablename__ = "pool_recoveries"
    __table_args__ = (
        UniqueConstraint("bank_id", "external_ref", name="uq_pool_recoveries_bank_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("pool_amount >= 0 AND pool_amount <= amount", name="pool_amount_range"),
        Index("ix_pool_recoveries_loan_id", "loan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("pool_loans.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("pool_claims.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    #: Yuan recovered from the borrower (reduces the loan's unpaid principal).
    amount: Mapped[Decimal] = mapped_column(Money())
    value_date: Mapped[dt.date] = mapped_column(Date)
    external_ref: Mapped[str] = mapped_column(String(64))
    #: The pool's share returned to it: amount × the claim's pool share.
    pool_amount: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


@event.listens_for(PoolLedgerEntry, "before_update")
@event.listens_for(PoolLedgerEntry, "before_delete")
@event.listens_for(PoolRepayment, "before_update")
@event.listens_for(PoolRepayment, "before_delete")
@event.listens_for(PoolRecovery, "before_update")
@event.listens_for(PoolRecovery, "before_delete")
def _immutable(_mapper: Any, _conn: Any, target: Any) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are immutable")
