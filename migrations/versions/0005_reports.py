"""reports: the archive of generated PDFs, and the indexes the report queries need

Revision ID: 0005_reports
Revises: 0004_merge_fund_and_pool
Create Date: 2026-11-25

The indexes on pool tables are declared with the Report model (bridgefund/models/report.py, REPORT_INDEXES);
bench/bench_reports.py shows what they save at 10⁶ loans (docs/benchmarks.md, "Reports").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reports"
down_revision: str | Sequence[str] | None = "0004_merge_fund_and_pool"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_pool_loans_start_date", "pool_loans", ["start_date"]),
    ("ix_pool_repayments_bank_id_value_date", "pool_repayments", ["bank_id", "value_date"]),
    ("ix_pool_claims_paid_on", "pool_claims", ["paid_on"]),
]


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('monthly')", name=op.f("ck_reports_kind_known")),
        sa.CheckConstraint("lang IN ('zh', 'en')", name=op.f("ck_reports_lang_known")),
        sa.CheckConstraint("byte_size > 0", name=op.f("ck_reports_size_positive")),
        sa.CheckConstraint("length(period) = 7", name=op.f("ck_reports_period_is_yyyy_mm")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_reports_sha256_hex")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reports_version_positive")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_reports_created_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("period", "kind", "lang", "version", name="uq_reports_period_kind_lang_version"),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("reports")
