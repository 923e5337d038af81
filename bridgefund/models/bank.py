"""Partner banks (合作银行) and guarantee institutions (担保机构)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, Money, Rate, UTCDateTime, utcnow
from bridgefund.models import states


class BankStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"

    @property
    def next_states(self) -> frozenset[BankStatus]:
        return BANK_TRANSITIONS[self]

    def check(self, target: BankStatus, action: str, **wording: Any) -> None:
        """409 naming the current status unless ``self → target`` is allowed (models.states.check)."""
        states.check(BANK_TRANSITIONS, self, target, action, "bank", **wording)


#: A bank is suspended by the NPL rule (services.pool.evaluate_bank) and reinstated by an admin
#: (services.registry.update_bank); the status is effective-dated (services.bank_terms.move_to).
BANK_TRANSITIONS: dict[BankStatus, frozenset[BankStatus]] = {
    BankStatus.active: frozenset({BankStatus.suspended}),
    BankStatus.suspended: frozenset({BankStatus.active}),
}


def _dated(field: str) -> property:
    """``bank.<field>`` read or written as if it were timeless fails loudly: the field is effective-dated."""

    def refuse(self: Bank, *_: object) -> None:
        raise AttributeError(f"Bank.{field} is effective-dated: read services.bank_terms.terms_on(session, ids, on), "
                             f"change it with services.bank_terms.change (Bank.latest_{field} mirrors the newest row)")

    return property(refuse, refuse)


class Bank(Base):
    """A partner bank. Its name, status, quota and share are effective-dated (:class:`BankTerms`).

    The ``latest_*`` columns mirror the bank's newest terms row (the greatest ``effective_from``), kept in step by
    ``services.bank_terms``; nothing that computes a figure or applies a rule reads them — every dated read goes
    through ``services.bank_terms.terms_on`` (DOMAIN.md "Dated terms"). They keep the Python names ``latest_*`` so
    that code reading ``bank.pool_quota`` as if it were timeless fails loudly instead of using today's quota.
    """

    __tablename__ = "banks"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
        CheckConstraint("pool_quota >= 0", name="quota_not_negative"),
        CheckConstraint("pool_share >= 0 AND pool_share <= 100000000", name="share_is_ratio"),
        CheckConstraint("status = 'active' OR suspended_on IS NOT NULL", name="suspension_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable code used by scripts and imports, e.g. ``BOC-HN`` (not dated: it never changes).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    latest_name: Mapped[str] = mapped_column("name", String(200))
    latest_status: Mapped[str] = mapped_column("status", String(16), default=BankStatus.active.value)
    #: The bank's credit quota under the risk-compensation pool, yuan (newest terms).
    latest_pool_quota: Mapped[Decimal] = mapped_column("pool_quota", Money(), default=Decimal("0.00"))
    #: The pool's default share of this bank's losses (0–1) (newest terms).
    latest_pool_share: Mapped[Decimal] = mapped_column("pool_share", Rate(), default=Decimal("0.50"))
    #: First day of the newest terms' suspension (set while the newest terms say suspended).
    latest_suspended_on: Mapped[dt.date | None] = mapped_column("suspended_on")
    #: The reason of the last status change; while the bank is active it marks an admin's reinstatement that
    #: overrides the NPL rule until the ratio is back within the threshold (services.pool docstring).
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def npl_override(self) -> bool:
        """An admin's reinstatement holds: the NPL rule does not suspend the bank (services.pool docstring)."""
        return self.status_reason is not None and self.latest_status == BankStatus.active

    name = _dated("name")
    status = _dated("status")
    pool_quota = _dated("pool_quota")
    pool_share = _dated("pool_share")
    suspended_on = _dated("suspended_on")

    def snapshot(self) -> dict:
        return {
            "code": self.code,
            "name": self.latest_name,
            "status": self.latest_status,
            "pool_quota": str(self.latest_pool_quota),
            "pool_share": str(self.latest_pool_share),
            "suspended_on": self.latest_suspended_on.isoformat() if self.latest_suspended_on else None,
            "status_reason": self.status_reason,
        }


class BankTerms(Base):
    """A bank's terms from ``effective_from`` until the next row's date (one row per bank and date).

    The first row's date is the day the bank became a partner: before it the bank has no terms and appears in
    no figure. Each row holds the complete terms in force from its date, and names the fields it sets.
    """

    __tablename__ = "bank_terms"
    __table_args__ = (
        UniqueConstraint("bank_id", "effective_from", name="uq_bank_terms_bank_date"),
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
        CheckConstraint("pool_quota >= 0", name="quota_not_negative"),
        CheckConstraint("pool_share >= 0 AND pool_share <= 100000000", name="share_is_ratio"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    effective_from: Mapped[dt.date]
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    pool_quota: Mapped[Decimal] = mapped_column(Money())
    pool_share: Mapped[Decimal] = mapped_column(Rate())
    #: The fields this row sets, comma-separated (the first row: all four); the others are carried from the row
    #: before. A back-dated change of a field is carried forward up to the next row that sets that field.
    changed_fields: Mapped[str] = mapped_column(String(80))
    #: Who made the change (None: the system, e.g. the automatic NPL suspension or a migration).
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {
            "effective_from": self.effective_from.isoformat(), "name": self.name, "status": self.status,
            "pool_quota": str(self.pool_quota), "pool_share": str(self.pool_share), "reason": self.reason,
            "changed_fields": self.changed_fields,
        }

    @property
    def changed(self) -> list[str]:
        return [f for f in self.changed_fields.split(",") if f]


class Guarantor(Base):
    __tablename__ = "guarantors"
    __table_args__ = (
        CheckConstraint("guarantee_share >= 0 AND guarantee_share <= 100000000", name="share_is_ratio"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Share of a covered loss the guarantor bears (0–1), e.g. 0.20.
    guarantee_share: Mapped[Decimal] = mapped_column(Rate())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {"name": self.name, "guarantee_share": str(self.guarantee_share)}
