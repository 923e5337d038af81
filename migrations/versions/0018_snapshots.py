"""month snapshots (issue 16): a closed month's report data stored when it closes

Revision ID: 0018_snapshots
Revises: 0017_documents
Create Date: 2026-12-02

* ``month_snapshots(period, kind, bank_id, data, sha256)``: written by ``services.periods.close_period`` in the
  close's transaction; the monthly report and the bank statements of a closed month read them.
* Months closed before this revision get no rows here: computing a month's report needs the application's code
  (the report queries, the figures), which a migration must not depend on, and at 10⁶ + 10⁶ loans it takes
  tens of seconds per month. Until ``bridgefund summaries snapshot`` backfills them (docs/operations), their
  reports are computed from the books exactly as before this revision — same figures, only slower.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0018_snapshots"
down_revision: str | Sequence[str] | None = "0017_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "month_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('monthly', 'bank_statement', 'settings')",
                           name=op.f("ck_month_snapshots_kind_known")),
        sa.CheckConstraint("(kind = 'bank_statement') = (bank_id IS NOT NULL)",
                           name=op.f("ck_month_snapshots_statement_names_bank")),
        sa.CheckConstraint("length(period) = 7", name=op.f("ck_month_snapshots_period_is_yyyy_mm")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_month_snapshots_sha256_hex")),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name=op.f("fk_month_snapshots_bank_id_banks"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_snapshots")),
    )
    op.create_index("uq_month_snapshots_fund", "month_snapshots", ["period", "kind"], unique=True,
                    sqlite_where=sa.text("bank_id IS NULL"), postgresql_where=sa.text("bank_id IS NULL"))
    op.create_index("uq_month_snapshots_bank", "month_snapshots", ["period", "bank_id"], unique=True,
                    sqlite_where=sa.text("bank_id IS NOT NULL"), postgresql_where=sa.text("bank_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("uq_month_snapshots_bank", table_name="month_snapshots")
    op.drop_index("uq_month_snapshots_fund", table_name="month_snapshots")
    op.drop_table("month_snapshots")
