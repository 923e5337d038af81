"""Partner banks (合作银行) and guarantee institutions (担保机构)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, Money, Rate, UTCDateTime, utcnow


class BankStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"


class Bank(Base):
    __tablename__ = "banks"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
        CheckConstraint("pool_quota >= 0", name="quota_not_negative"),
        CheckConstraint("pool_share >= 0 AND pool_share <= 100000000", name="share_is_ratio"),
        CheckConstraint("status = 'active' OR suspended_on IS NOT NULL", name="suspension_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable code used by scripts and imports, e.g. ``BOC-HN``.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=BankStatus.active.value)
    #: The bank's credit quota under the risk-compensation pool, yuan.
    pool_quota: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    #: The pool's default share of this bank's losses (0–1).
    pool_share: Mapped[Decimal] = mapped_column(Rate(), default=Decimal("0.50"))
    #: Value date from which the bank takes no new loans (set while suspended).
    suspended_on: Mapped[dt.date | None]
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "pool_quota": str(self.pool_quota),
            "pool_share": str(self.pool_share),
            "suspended_on": self.suspended_on.isoformat() if self.suspended_on else None,
            "status_reason": self.status_reason,
        }


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
