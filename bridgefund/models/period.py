"""Closed accounting months: no ledger entry may carry a value date inside one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class ClosedPeriod(Base):
    __tablename__ = "closed_periods"
    __table_args__ = (CheckConstraint("length(period) = 7", name="period_is_yyyy_mm"),)

    #: ``YYYY-MM``; closing a month closes every earlier one, so the latest row is the boundary.
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    #: Last day of the month (inclusive): value dates on or before it are closed.
    last_day: Mapped[dt.date] = mapped_column(unique=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
