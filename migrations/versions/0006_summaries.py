"""summaries: the fund per value date and each bank's pool principal per date and month

Revision ID: 0006_summaries
Revises: 0005_reports
Create Date: 2026-11-25

Figures "as of D" read these instead of the whole history (bridgefund/models/summary.py). A database that already
holds loans gets a ``summary_state`` row per set, so the figures keep using the whole-history queries until
``bridgefund db upgrade`` (which rebuilds stale summaries right after migrating) or ``bridgefund summaries
rebuild`` has filled them; a new, empty database starts with fresh (empty) summaries.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_summaries"
down_revision: str | Sequence[str] | None = "0005_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUND_MONEY = ("capital_in", "capital_out", "disbursement", "principal_repaid", "fee", "penalty", "write_off",
              "recovery", "cash_delta")
FUND_COUNTS = ("entry_count", "disbursed_count", "new_enterprises", "repaid_count")


def _pool_table(name: str, date_column: str) -> None:
    op.create_table(
        name,
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column(date_column, sa.Date(), nullable=False),
        sa.Column("outstanding", sa.BigInteger(), nullable=False),
        sa.Column("npl_principal", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name=op.f(f"fk_{name}_bank_id_banks")),
        sa.PrimaryKeyConstraint("bank_id", date_column, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.create_table(
        "fund_days",
        sa.Column("value_date", sa.Date(), nullable=False),
        *(sa.Column(c, sa.BigInteger(), nullable=False) for c in FUND_MONEY),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in FUND_COUNTS),
        sa.Column("days_used", sa.BigInteger(), nullable=False),
        sa.Column("overdue_count", sa.Integer(), nullable=False),
        sa.Column("overdue_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("value_date", name=op.f("pk_fund_days")),
    )
    _pool_table("pool_bank_days", "value_date")
    _pool_table("pool_bank_months", "month")
    op.create_table(
        "summary_state",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_summary_state")),
    )
    reason = "created by migration 0006 over existing books"
    for name, table in (("fund", "fund_ledger_entries"), ("pool", "pool_loans")):
        op.execute(sa.text(
            f"INSERT INTO summary_state (name, reason, since) SELECT '{name}', '{reason}', CURRENT_TIMESTAMP "
            f"WHERE EXISTS (SELECT 1 FROM {table})"))


def downgrade() -> None:
    for name in ("summary_state", "pool_bank_months", "pool_bank_days", "fund_days"):
        op.drop_table(name)
