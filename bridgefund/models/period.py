"""Closed accounting months: no ledger entry may carry a value date inside one; and what each closed month's
reports print, frozen when it closed (:class:`MonthSnapshot`)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
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


class SnapshotKind(enum.StrEnum):
    #: The monthly fund report's data (``services.report_data.monthly_report_data``).
    monthly = "monthly"
    #: One bank's statement data (``services.report_data.bank_statement_data``): one row per bank.
    bank_statement = "bank_statement"
    #: The pool settings in force when the month closed (a later bank's statement of the month prints them).
    settings = "settings"


class MonthSnapshot(Base):
    """What a closed month's monthly report and bank statements print, computed once when the month closed
    (``services.periods.close_period``, same transaction) and read instead of the month's loans ever after.

    ``data`` is the report data as canonical JSON with typed values (``services.month_snapshots``: Decimals keep
    their exponent, dates stay dates), so the decoded data equals what was computed at the close, exactly;
    ``sha256`` is its fingerprint, recorded in the close's audit event."""

    __tablename__ = "month_snapshots"
    __table_args__ = (
        Index("uq_month_snapshots_fund", "period", "kind", unique=True,
              sqlite_where=text("bank_id IS NULL"), postgresql_where=text("bank_id IS NULL")),
        Index("uq_month_snapshots_bank", "period", "bank_id", unique=True,
              sqlite_where=text("bank_id IS NOT NULL"), postgresql_where=text("bank_id IS NOT NULL")),
        CheckConstraint("kind IN ('monthly', 'bank_statement', 'settings')", name="kind_known"),
        CheckConstraint("(kind = 'bank_statement') = (bank_id IS NOT NULL)", name="statement_names_bank"),
        CheckConstraint("length(period) = 7", name="period_is_yyyy_mm"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``YYYY-MM`` of a closed month (closing a month closes the earlier ones: each gets its rows).
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    data: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
