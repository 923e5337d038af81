"""The archive of generated report PDFs: one row per file, every regeneration a new version.

The row is written in the request's transaction; the file is written under the reports directory only after
that transaction commits (``bridgefund.reports.service``), so a row can exist without its file (a crash
between the commit and the write) but a file never exists without its row. Downloads check the file's
SHA-256 against the row.

This module also declares the indexes that the report queries need on other aggregates' tables (see
``REPORT_INDEXES``): they belong to the reports' access paths, and keeping them here keeps them next to the
queries' owner and out of the fund and pool modules.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow
from bridgefund.models.pool import Claim, PoolLoan, PoolRepayment


class ReportKind(enum.StrEnum):
    #: The monthly fund report (月度运行报告).
    monthly = "monthly"
    #: One bank's month (对账单), archived by the 07:00 run on the 1st (rendered on demand otherwise).
    bank_statement = "bank_statement"


class Report(Base):
    """One archived PDF (``kind``, ``period``, ``lang``, ``version``) and the fingerprint of its bytes."""

    __tablename__ = "reports"
    __table_args__ = (
        # Leading with period: ``GET /reports?period=`` and the next-version lookup use these indexes. Versions
        # count per (period, kind, lang) for the fund's report, per (period, bank, lang) for a bank's statement.
        Index("uq_reports_monthly_version", "period", "kind", "lang", "version", unique=True,
              sqlite_where=text("bank_id IS NULL"), postgresql_where=text("bank_id IS NULL")),
        Index("uq_reports_statement_version", "period", "bank_id", "lang", "version", unique=True,
              sqlite_where=text("bank_id IS NOT NULL"), postgresql_where=text("bank_id IS NOT NULL")),
        CheckConstraint("kind IN ('monthly', 'bank_statement')", name="kind_known"),
        CheckConstraint("(kind = 'bank_statement') = (bank_id IS NOT NULL)", name="statement_names_bank"),
        CheckConstraint("lang IN ('zh', 'en')", name="lang_known"),
        CheckConstraint("length(period) = 7", name="period_is_yyyy_mm"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        CheckConstraint("byte_size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``monthly`` or ``bank_statement`` (statements are archived by the scheduler; approval forms never are).
    kind: Mapped[str] = mapped_column(String(16))
    #: The bank of a ``bank_statement``; null for the fund's monthly report.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    #: Generated while its month was still open: its figures may yet change (a report of a closed month is final).
    draft: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The month reported on, ``YYYY-MM``; figures are as of its last day.
    period: Mapped[str] = mapped_column(String(7))
    #: ``zh`` or ``en``.
    lang: Mapped[str] = mapped_column(String(2))
    #: 1 for the first report of (kind, period, lang), then 2, 3 … for each regeneration.
    version: Mapped[int]
    #: Lower-case hex SHA-256 of the PDF bytes, checked on every download.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file's name under an export folder (``bridgefund export-files``; before 0017, under the reports directory).
    path: Mapped[str] = mapped_column(String(300))
    #: Size of the PDF in bytes.
    byte_size: Mapped[int]
    #: The PDF's bytes in the database (``stored_files``); null only for an archive row whose file was lost before
    #: migration 0017 read the archive directory into the database (its download answers 410).
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def snapshot(self) -> dict[str, object]:
        return {"kind": self.kind, "period": self.period, "lang": self.lang, "version": self.version,
                "sha256": self.sha256, "path": self.path, "byte_size": self.byte_size, "bank_id": self.bank_id,
                "draft": self.draft}


#: Indexes for the reports' month queries (see bench/bench_reports.py for what each one saves at 10⁶ loans).
REPORT_INDEXES = (
    # The month's new pool loans (appendix, statement) and the 12-month trend of new pool lending.
    Index("ix_pool_loans_start_date", PoolLoan.start_date),
    # A bank's pool repayments of a month (statement).
    Index("ix_pool_repayments_bank_id_value_date", PoolRepayment.bank_id, PoolRepayment.value_date),
    # Claims paid by a date, per bank (bank table, pool section).
    Index("ix_pool_claims_paid_on", Claim.paid_on),
)
