"""Bridge loans (应急转贷): the application, its approvals, its repayments — and its state machine.

The allowed transitions live on :class:`BridgeLoanStatus` and nowhere else; services call
:meth:`BridgeLoanStatus.check` before changing a loan's status. Named CHECK constraints tie each status to the
columns it needs (an approved loan has its settings snapshot, a disbursed one its dates, and so on).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    func,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridgefund.db import Base, Money, Rate, UTCDateTime, utcnow
from bridgefund.errors import InvalidTransition
from bridgefund.models.bank import Bank
from bridgefund.models.enterprise import Enterprise


class BridgeLoanStatus(enum.StrEnum):
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    cancelled = "cancelled"
    disbursed = "disbursed"
    repaid = "repaid"
    defaulted = "defaulted"
    written_off = "written_off"

    @property
    def next_states(self) -> frozenset[BridgeLoanStatus]:
        """Where a loan in this status may go (API.md, "Bridge loans")."""
        return TRANSITIONS[self]

    def check(self, target: BridgeLoanStatus, action: str) -> None:
        """Raise :class:`InvalidTransition` (409) naming the current state unless ``self → target`` is allowed."""
        if target not in TRANSITIONS[self]:
            raise InvalidTransition(
                f"cannot {action} a bridge loan that is {self.value}",
                {"status": [f"is {self.value}; {action} needs "
                            + " or ".join(sorted(s.value for s in SOURCES[target]))]},
                current_status=self.value,
            )


S = BridgeLoanStatus
TRANSITIONS: dict[BridgeLoanStatus, frozenset[BridgeLoanStatus]] = {
    S.submitted: frozenset({S.approved, S.rejected, S.withdrawn}),
    S.approved: frozenset({S.disbursed, S.cancelled}),
    S.disbursed: frozenset({S.repaid, S.defaulted}),
    S.defaulted: frozenset({S.repaid, S.written_off}),
    S.rejected: frozenset(),
    S.withdrawn: frozenset(),
    S.cancelled: frozenset(),
    S.repaid: frozenset(),
    S.written_off: frozenset(),
}
#: For each status, the statuses it can be reached from (for error messages).
SOURCES: dict[BridgeLoanStatus, frozenset[BridgeLoanStatus]] = {
    t: frozenset(s for s, targets in TRANSITIONS.items() if t in targets) for t in BridgeLoanStatus
}
#: Statuses in which a loan still counts against the enterprise's cap.
OPEN_STATUSES = (S.submitted, S.approved, S.disbursed, S.defaulted)
#: Statuses in which money is lent out (repayments accepted, accruals run).
LENT_STATUSES = (S.disbursed, S.defaulted)
_STATUS_SQL = ", ".join(f"'{s.value}'" for s in BridgeLoanStatus)
_APPROVED_OR_LATER = "'approved', 'cancelled', 'disbursed', 'repaid', 'defaulted', 'written_off'"
_DISBURSED_OR_LATER = "'disbursed', 'repaid', 'defaulted', 'written_off'"
#: Lent and still open: neither repaid nor written off (the rows of ix_bridge_loans_open_bank_id_due_date).
OPEN_SQL = "disbursed_on IS NOT NULL AND repaid_on IS NULL AND written_off_on IS NULL"


class BridgeLoan(Base):
    __tablename__ = "bridge_loans"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_days >= 1", name="term_positive"),
        CheckConstraint("maturing_amount > 0 AND renewal_amount > 0", name="commitments_positive"),
        CheckConstraint(
            f"status NOT IN ({_APPROVED_OR_LATER}) OR "
            "(approved_at IS NOT NULL AND fee_tiers IS NOT NULL AND penalty_daily_rate IS NOT NULL "
            "AND default_after_days IS NOT NULL)",
            name="approved_has_snapshot",
        ),
        CheckConstraint(
            f"status NOT IN ({_DISBURSED_OR_LATER}) OR (disbursed_on IS NOT NULL AND due_date IS NOT NULL)",
            name="disbursed_has_dates",
        ),
        CheckConstraint("disbursed_on IS NULL OR due_date > disbursed_on", name="due_after_disbursement"),
        CheckConstraint("status <> 'repaid' OR repaid_on IS NOT NULL", name="repaid_has_date"),
        CheckConstraint("status NOT IN ('defaulted', 'written_off') OR defaulted_on IS NOT NULL",
                        name="defaulted_has_date"),
        CheckConstraint("status <> 'written_off' OR written_off_on IS NOT NULL", name="written_off_has_date"),
        CheckConstraint("status NOT IN ('rejected', 'written_off') OR status_reason IS NOT NULL",
                        name="refusal_has_reason"),
        CheckConstraint("principal_repaid >= 0 AND principal_repaid <= amount", name="repaid_within_amount"),
        CheckConstraint("fee_paid >= 0 AND penalty_paid >= 0 AND written_off_amount >= 0 AND recovered >= 0",
                        name="paid_not_negative"),
        UniqueConstraint("reference_year", "reference_no", name="uq_bridge_loans_reference_year_no"),
        #: a bank's loans by status (its counts, index-only) and, within a status, by due date (the officer's
        #: "due in the next 7 days": a range, not a walk of every bank's lent loans due in those days; issue 13)
        Index("ix_bridge_loans_bank_id_status_due_date", "bank_id", "status", "due_date"),
        Index("ix_bridge_loans_bank_id_id", "bank_id", "id"),
        Index("ix_bridge_loans_enterprise_id_status", "enterprise_id", "status"),
        Index("ix_bridge_loans_status_due_date", "status", "due_date"),
        Index("ix_bridge_loans_disbursed_on", "disbursed_on"),
        Index("ix_bridge_loans_repaid_on", "repaid_on"),
        #: a bank's open lent loans (neither repaid nor written off) by due date: the "overdue today" half of
        #: ``overdue_on`` is a range of this index, not every unrepaid loan's row ANDed with the bank's; with the
        #: ids, an officer's overdue queue takes its newest loans and its count from the index alone (issue 13)
        Index("ix_bridge_loans_open_bank_id_due_date", "bank_id", "due_date",
              postgresql_include=["disbursed_on", "id"],
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
        #: … and its other half, loans repaid or written off after the date asked about
        Index("ix_bridge_loans_written_off_on", "written_off_on",
              postgresql_where=text("written_off_on IS NOT NULL"), sqlite_where=text("written_off_on IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human reference ``BL-YYYY-NNNNNN``: the year of submission and the loan's number within that year.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    #: The two parts of ``reference`` as numbers (the next number of a year is ``MAX(reference_no) + 1``).
    reference_year: Mapped[int]
    reference_no: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=BridgeLoanStatus.submitted.value)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Business date of the application; rules (bank suspension) are judged as of it.
    submitted_on: Mapped[dt.date]

    #: The maturing bank loan the bridge repays (到期贷款): contract number, yuan, due date.
    maturing_contract_no: Mapped[str] = mapped_column(String(64))
    maturing_amount: Mapped[Decimal] = mapped_column(Money())
    maturing_due_date: Mapped[dt.date]
    #: The bridge loan's principal, yuan.
    amount: Mapped[Decimal] = mapped_column(Money())
    #: Days from disbursement to ``due_date``.
    term_days: Mapped[int]
    #: The bank's written renewal commitment (续贷承诺): yuan and expected date.
    renewal_amount: Mapped[Decimal] = mapped_column(Money())
    renewal_expected_date: Mapped[dt.date]
    #: The renewal loop (DOMAIN.md): the day the bank approved the renewal and the amount it approved.
    renewal_approved_on: Mapped[dt.date | None]
    renewal_approved_amount: Mapped[Decimal | None] = mapped_column(Money())
    #: The renewal's disbursement: value date, amount and the new loan's contract number.
    renewal_disbursed_on: Mapped[dt.date | None]
    renewal_disbursed_amount: Mapped[Decimal | None] = mapped_column(Money())
    renewal_contract_no: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(500))

    #: Settings in force at approval (snapshot; later settings changes never alter this loan).
    fee_tiers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    penalty_daily_rate: Mapped[Decimal | None] = mapped_column(Rate())
    default_after_days: Mapped[int | None]
    #: Approvals this loan needs (1, or 2 at or above the dual-approval threshold), fixed at the first approval.
    required_approvals: Mapped[int | None]
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    disbursed_on: Mapped[dt.date | None]
    #: ``disbursed_on + term_days``: the last day charged the fee; later days are charged the penalty.
    due_date: Mapped[dt.date | None]
    repaid_on: Mapped[dt.date | None]
    defaulted_on: Mapped[dt.date | None]
    written_off_on: Mapped[dt.date | None]
    #: Business date of the rejection (``decided_on`` of ``POST /reject``).
    rejected_on: Mapped[dt.date | None]
    #: Why the loan was rejected, withdrawn, cancelled or written off.
    status_reason: Mapped[str | None] = mapped_column(String(500))

    #: Running totals of the repayments (yuan), kept in step with the ledger in the same transaction.
    principal_repaid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    fee_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    penalty_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: Principal booked as a fund loss at write-off, and what was recovered of it since (yuan).
    written_off_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: Yuan; set when the loan is repaid (DOMAIN.md "Financing cost saved"): amount × days used × the fund's
    #: ``market_bridge_daily_rate`` then, rounded to the fen, − fee and penalty paid. Null until repaid; fixed
    #: after, so a closed month's figure never changes whatever the setting becomes.
    financing_cost_saved: Mapped[Decimal | None] = mapped_column(Money())
    recovered: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Enterprise] = relationship(lazy="raise")
    bank: Mapped[Bank] = relationship(lazy="raise")
    approvals: Mapped[list[BridgeApproval]] = relationship(
        back_populates="loan", order_by="BridgeApproval.id", lazy="raise", cascade="all, delete-orphan")
    repayments: Mapped[list[BridgeRepayment]] = relationship(
        back_populates="loan", order_by=lambda: (BridgeRepayment.value_date, BridgeRepayment.id), lazy="raise",
        cascade="all, delete-orphan")

    @property
    def state(self) -> BridgeLoanStatus:
        return BridgeLoanStatus(self.status)

    def move_to(self, target: BridgeLoanStatus, action: str) -> None:
        """Change status through the state machine (409 naming the current state if not allowed)."""
        self.state.check(target, action)
        self.status = target.value

    @classmethod
    def overdue_on(cls, on: dt.date, principal_repaid: Any = None) -> ColumnElement[bool]:
        """SQL for "overdue on ``on``" (finance.bridge.is_overdue within finance.profiles.bridge_on): disbursed by
        then, due date before it, not repaid and not written off by then, and — given ``principal_repaid``, the
        principal repaid by ``on`` per loan — principal still outstanding. The list filter passes no
        ``principal_repaid`` and goes by the dates alone (as it always has)."""
        cond = or_(*cls.overdue_halves(on))
        if principal_repaid is not None:
            cond = and_(cond, cls.amount - func.coalesce(principal_repaid, 0) > 0)
        return cond

    @classmethod
    def overdue_halves(cls, on: dt.date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """The dates' part of :meth:`overdue_on` as two disjoint halves, each an index range (issue 13): still open
        (the partial index ix_bridge_loans_open_bank_id_due_date; a count of it is read from the index alone), or
        closed only after ``on`` (repaid_on / written_off_on after it: none for today, a few for a past date).
        Together they are exactly "repaid_on null or after ``on``, and written_off_on null or after it"."""
        lent = (cls.disbursed_on.is_not(None), cls.disbursed_on <= on, cls.due_date < on)
        still_open = and_(cls.repaid_on.is_(None), cls.written_off_on.is_(None), *lent)
        closed_later = and_(*lent, or_(and_(cls.repaid_on > on, or_(cls.written_off_on.is_(None),
                                                                     cls.written_off_on > on)),
                                       and_(cls.written_off_on > on, cls.repaid_on.is_(None))))
        return still_open, closed_later

    @property
    def principal_outstanding_now(self) -> Decimal:
        """Principal lent and neither repaid nor written off (zero before disbursement)."""
        if self.disbursed_on is None:
            return Decimal("0.00")
        return self.amount - self.principal_repaid - self.written_off_amount

    def snapshot(self) -> dict[str, Any]:
        """What the audit log records about a loan's state."""
        def s(v: Any) -> Any:
            return None if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v))

        return {
            "reference": self.reference, "status": self.status, "enterprise_id": self.enterprise_id,
            "bank_id": self.bank_id, "amount": s(self.amount), "term_days": self.term_days,
            "disbursed_on": s(self.disbursed_on), "due_date": s(self.due_date), "repaid_on": s(self.repaid_on),
            "defaulted_on": s(self.defaulted_on), "written_off_on": s(self.written_off_on),
            "rejected_on": s(self.rejected_on),
            "principal_repaid": s(self.principal_repaid), "fee_paid": s(self.fee_paid),
            "penalty_paid": s(self.penalty_paid), "written_off_amount": s(self.written_off_amount),
            "recovered": s(self.recovered), "status_reason": self.status_reason,
        }


class BridgeApproval(Base):
    """One fund manager's approval of a loan (maker-checker: never the submitter, never twice)."""

    __tablename__ = "bridge_approvals"
    __table_args__ = (UniqueConstraint("bridge_loan_id", "manager_id", name="uq_bridge_approvals_loan_manager"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bridge_loan_id: Mapped[int] = mapped_column(ForeignKey("bridge_loans.id", ondelete="CASCADE"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    comment: Mapped[str | None] = mapped_column(String(500))
    #: Business date of the decision (``decided_on``, fund timezone): the disbursement may not be dated before the
    #: loan's last approval. ``at`` is when it was recorded.
    decided_on: Mapped[dt.date]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[BridgeLoan] = relationship(back_populates="approvals", lazy="raise")


class BridgeRepayment(Base):
    """Money received for a loan, split penalty → fee → principal when it was recorded."""

    __tablename__ = "bridge_repayments"
    __table_args__ = (
        UniqueConstraint("bank_id", "external_ref", name="uq_bridge_repayments_bank_external_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("penalty >= 0 AND fee >= 0 AND principal >= 0", name="parts_not_negative"),
        CheckConstraint("penalty + fee + principal = amount", name="parts_sum_to_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bridge_loan_id: Mapped[int] = mapped_column(ForeignKey("bridge_loans.id", ondelete="CASCADE"), index=True)
    #: The loan's bank (copied) so that ``external_ref`` is unique per bank.
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    #: The bank's own reference for the transfer (e.g. the renewal's payment id).
    external_ref: Mapped[str] = mapped_column(String(64))
    #: Money received, yuan, and its split.
    amount: Mapped[Decimal] = mapped_column(Money())
    value_date: Mapped[dt.date]
    penalty: Mapped[Decimal] = mapped_column(Money())
    fee: Mapped[Decimal] = mapped_column(Money())
    principal: Mapped[Decimal] = mapped_column(Money())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    loan: Mapped[BridgeLoan] = relationship(back_populates="repayments", lazy="raise")
