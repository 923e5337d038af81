"""Summary tables: the dated books folded per day, so figures "as of D" read a few thousand rows, not millions.

Every row holds *changes on that date* (deltas); a figure as of D is the sum of the rows dated ≤ D. The rows are
kept by ``figures`` in the same transaction as the change they summarise (ledger entries as they
are added; a loan's dated figures as the difference between its contribution after and before the change), so
a committed summary always agrees with the rows it folds. ``bridgefund summaries check`` proves it against the
whole-history aggregates; ``bridgefund summaries rebuild`` recomputes them.

* :class:`FundDay` — the bridge-loan fund per value date: the ledger by kind, cash, disbursements, enterprises
  served for the first time, loans repaid and their days used, and the change of the overdue figures.
* :class:`PoolBankDay` / :class:`PoolBankMonth` — each bank's outstanding and non-performing pool principal,
  changes per date and the same folded per calendar month (so a date reads ≤ 60 months + ≤ 31 days per bank).
* :class:`SummaryState` — one row per summary set that is *stale* (e.g. right after the migration that created
  the tables, before the first rebuild); figures fall back to the whole-history aggregates while it exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, Money, UTCDateTime, utcnow
from bridgefund.finance.money import ZERO


class FundDay(Base):
    """The fund's changes on one value date."""

    __tablename__ = "fund_days"

    value_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    capital_in: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    capital_out: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    disbursement: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    principal_repaid: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    fee: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    penalty: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    write_off: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    recovery: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    #: Σ of the day's signed entries.
    cash_delta: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    #: Ledger entries of the day (any kind); lets a ledger page find its running balance without a full scan.
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    disbursed_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Enterprises whose first disbursement is dated this day.
    new_enterprises: Mapped[int] = mapped_column(Integer, default=0)
    #: Loans whose ``repaid_on`` is this day, and Σ of their days used (repaid_on − disbursed_on).
    repaid_count: Mapped[int] = mapped_column(Integer, default=0)
    days_used: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Change of the number of overdue loans and of their outstanding principal.
    overdue_count: Mapped[int] = mapped_column(Integer, default=0)
    overdue_amount: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    #: Σ of ``financing_cost_saved`` of the loans whose ``repaid_on`` is this day (``GET /fund``).
    financing_cost_saved: Mapped[Decimal] = mapped_column(Money(), default=ZERO)


class PoolBankDay(Base):
    """A bank's pool-loan changes on one date."""

    __tablename__ = "pool_bank_days"
    #: every bank's days of one month (the month's part of every pool figure as of a date: ``GET /pool``, the
    #: dashboard's bank rows, each new pool loan's quota and NPL checks) — a range, not a scan of every bank's days
    __table_args__ = (Index("ix_pool_bank_days_value_date", "value_date"),)

    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), primary_key=True)
    value_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    outstanding: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    npl_principal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    #: The 12-month trend's pool lending (``finance.profiles.PoolDay``): loans started, their principal, and
    #: principal repaid or recovered on its own value date.
    lent_count: Mapped[int] = mapped_column(Integer, default=0)
    lent: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    returned: Mapped[Decimal] = mapped_column(Money(), default=ZERO)


class PoolBankMonth(Base):
    """A bank's pool-loan changes in one calendar month (``month`` is its first day): Σ of its PoolBankDay rows."""

    __tablename__ = "pool_bank_months"

    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    outstanding: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    npl_principal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    #: The 12-month trend's pool lending (``finance.profiles.PoolDay``): loans started, their principal, and
    #: principal repaid or recovered on its own value date.
    lent_count: Mapped[int] = mapped_column(Integer, default=0)
    lent: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    returned: Mapped[Decimal] = mapped_column(Money(), default=ZERO)


class SummaryState(Base):
    """A summary set (``fund`` or ``pool``) that must be rebuilt before it can be read."""

    __tablename__ = "summary_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
