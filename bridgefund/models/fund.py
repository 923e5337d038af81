"""The bridge-loan fund's books: its settings, the lock row, and the immutable dated ledger.

* :class:`FundAccount` is a single row that every money movement locks first (``SELECT … FOR UPDATE`` on
  PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``), so balance checks and the entries they
  admit happen one at a time.
* :class:`FundSettings` is the single current row of fee and approval settings (updated in place; every change
  is an audit event with before and after). Approval snapshots them onto the loan.
* :class:`FundLedgerEntry` is one money movement with a value date. ``amount`` is always positive and
  ``cash_delta`` is its signed effect on cash, tied to the kind by a CHECK constraint, so every balance is a
  plain ``SUM`` over entries with ``value_date ≤ as_of``.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, event
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, Money, Rate, UTCDateTime, utcnow

#: The id of the one fund account / settings row.
FUND_ID = 1
#: The fund's ``established_on`` until an admin sets it: no business date may precede it (DOMAIN.md, "Date bounds").
DEFAULT_ESTABLISHED_ON = dt.date(2000, 1, 1)
#: What firms would pay a private bridge lender a day without the fund (DOMAIN.md, "Financing cost saved").
DEFAULT_MARKET_BRIDGE_DAILY_RATE = Decimal("0.001")


class LedgerKind(enum.StrEnum):
    capital_in = "capital_in"
    capital_out = "capital_out"
    disbursement = "disbursement"
    principal_repaid = "principal_repaid"
    fee = "fee"
    penalty = "penalty"
    #: A loss: outstanding principal of a written-off loan. No cash moves.
    write_off = "write_off"
    recovery = "recovery"

    @property
    def sign(self) -> int:
        """+1 when cash comes in, −1 when it goes out, 0 when no cash moves."""
        return _SIGNS[self]


_SIGNS = {
    LedgerKind.capital_in: 1, LedgerKind.principal_repaid: 1, LedgerKind.fee: 1, LedgerKind.penalty: 1,
    LedgerKind.recovery: 1, LedgerKind.capital_out: -1, LedgerKind.disbursement: -1, LedgerKind.write_off: 0,
}
_KINDS_SQL = ", ".join(f"'{k.value}'" for k in LedgerKind)
_IN_SQL = ", ".join(f"'{k.value}'" for k in LedgerKind if k.sign > 0)
_OUT_SQL = ", ".join(f"'{k.value}'" for k in LedgerKind if k.sign < 0)


class FundAccount(Base):
    """The fund itself: one row, locked by every money movement."""

    __tablename__ = "fund_accounts"
    __table_args__ = (CheckConstraint(f"id = {FUND_ID}", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FundSettings(Base):
    """The fund's current rules (one row; absent means :data:`DEFAULT_SETTINGS`)."""

    __tablename__ = "fund_settings"
    __table_args__ = (
        CheckConstraint(f"id = {FUND_ID}", name="singleton"),
        CheckConstraint("penalty_daily_rate >= 0", name="penalty_not_negative"),
        CheckConstraint("max_term_days >= 1", name="term_positive"),
        CheckConstraint("per_enterprise_cap > 0", name="cap_positive"),
        CheckConstraint("max_share_of_renewal > 0 AND max_share_of_renewal <= 100000000", name="share_is_ratio"),
        CheckConstraint("dual_approval_threshold > 0", name="threshold_positive"),
        CheckConstraint("default_after_days >= 1", name="default_after_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Step schedule ``[{"from_day": 1, "daily_rate": "0.0002"}, …]``; rates kept as decimal strings (exact).
    fee_tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Charged per day past ``due_date`` on outstanding principal, instead of the fee.
    penalty_daily_rate: Mapped[Decimal] = mapped_column(Rate())
    #: Longest allowed term, days.
    max_term_days: Mapped[int]
    #: Most one enterprise may have in open bridge loans at once, yuan.
    per_enterprise_cap: Mapped[Decimal] = mapped_column(Money())
    #: A bridge loan may be at most this share of the bank's committed renewal amount (0–1).
    max_share_of_renewal: Mapped[Decimal] = mapped_column(Rate())
    #: Loans of at least this amount (yuan) need two different managers' approvals.
    dual_approval_threshold: Mapped[Decimal] = mapped_column(Money())
    #: Days overdue after which a manager may declare default.
    default_after_days: Mapped[int]
    #: The day the fund began: no business date (application, decision, value date …) may be earlier.
    established_on: Mapped[dt.date] = mapped_column(default=DEFAULT_ESTABLISHED_ON,
                                                    server_default="2000-01-01")
    #: The private bridge-lending rate a day that firms would otherwise pay: a repaid loan's financing cost saved
    #: is amount × days used × this rate − its fee and penalty (fixed on the loan when it is repaid).
    market_bridge_daily_rate: Mapped[Decimal] = mapped_column(
        Rate(), default=DEFAULT_MARKET_BRIDGE_DAILY_RATE, server_default="100000")
    #: A due date (value date + term) on a non-working day moves to the next working day (DOMAIN.md).
    roll_due_date_to_working_day: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    #: Document kinds a bridge loan needs before approval (null: the defaults, DOMAIN.md "Documents").
    required_documents: Mapped[list[str] | None] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class FundLedgerEntry(Base):
    """One immutable money movement of the fund, dated by its value date."""

    __tablename__ = "fund_ledger_entries"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS_SQL})", name="kind_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            f"(kind IN ({_IN_SQL}) AND cash_delta = amount) OR (kind IN ({_OUT_SQL}) AND cash_delta = -amount)"
            " OR (kind = 'write_off' AND cash_delta = 0)",
            name="cash_delta_matches_kind",
        ),
        CheckConstraint(
            "(kind IN ('capital_in', 'capital_out')) = (bridge_loan_id IS NULL)", name="loan_entries_name_loan"
        ),
        Index("ix_fund_ledger_entries_value_date_id", "value_date", "id"),
        Index("ix_fund_ledger_entries_bridge_loan_id", "bridge_loan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The business date the money moved (fund timezone); balances as of D sum entries dated ≤ D.
    value_date: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(20))
    #: Yuan, always positive; ``kind`` says which way it went.
    amount: Mapped[Decimal] = mapped_column(Money())
    #: Signed effect on cash, yuan: +amount in, −amount out, 0 for a write-off.
    cash_delta: Mapped[Decimal] = mapped_column(Money())
    bridge_loan_id: Mapped[int | None] = mapped_column(ForeignKey("bridge_loans.id", ondelete="RESTRICT"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @classmethod
    def make(cls, kind: LedgerKind, amount: Decimal, value_date: dt.date, *, bridge_loan_id: int | None = None,
             note: str | None = None, created_by: int | None = None) -> FundLedgerEntry:
        """An entry whose ``cash_delta`` follows from its kind."""
        return cls(kind=kind.value, amount=amount, cash_delta=amount * kind.sign, value_date=value_date,
                   bridge_loan_id=bridge_loan_id, note=note, created_by=created_by)


@event.listens_for(FundLedgerEntry, "before_update")
@event.listens_for(FundLedgerEntry, "before_delete")
def _immutable(_mapper: Any, _conn: Any, _target: FundLedgerEntry) -> None:
    raise RuntimeError("fund ledger entries are immutable")
