"""fund forecast and financing cost saved: ``fund_settings.market_bridge_daily_rate``, each repaid loan's figure

Revision ID: 0014_fund_forecast
Revises: 0012_jobs
Create Date: 2026-12-02

* ``fund_settings.market_bridge_daily_rate`` (Rate, stored ×10⁸): the private bridge-lending rate a day firms
  would otherwise pay, default 0.001 (DOMAIN.md, "Financing cost saved").
* ``bridge_loans.financing_cost_saved`` (fen): fixed when a loan is repaid. Loans repaid before this migration get
  it from the default rate, the one in force until now: amount × days used × 0.001, rounded half-up to the fen,
  minus the fee and penalty paid — in integer fen, so both databases compute the same exact figure.
* ``ix_bridge_loans_repaid_on``: ``GET /fund`` sums the figure over loans repaid by a date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_fund_forecast"
down_revision: str | Sequence[str] | None = "0012_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("fund_settings", sa.Column("market_bridge_daily_rate", sa.BigInteger(), server_default="100000",
                                             nullable=False))
    op.add_column("bridge_loans", sa.Column("financing_cost_saved", sa.BigInteger(), nullable=True))
    op.create_index("ix_bridge_loans_repaid_on", "bridge_loans", ["repaid_on"])
    if op.get_bind().dialect.name == "sqlite":
        days = "CAST(julianday(repaid_on) - julianday(disbursed_on) AS INTEGER)"
    else:
        days = "(repaid_on - disbursed_on)"
    # amount and fees are integer fen: amount × days × 1/1000, half-up, is (amount × days + 500) / 1000 truncated
    op.execute(sa.text(
        f"UPDATE bridge_loans SET financing_cost_saved = (amount * {days} + 500) / 1000 - fee_paid - penalty_paid "
        "WHERE status = 'repaid' AND repaid_on IS NOT NULL AND disbursed_on IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_bridge_loans_repaid_on", table_name="bridge_loans")
    # Plain DROP COLUMN (SQLite ≥ 3.35 drops in place), as in 0011: no batch copy of tables others point at.
    op.execute(sa.text("ALTER TABLE bridge_loans DROP COLUMN financing_cost_saved"))
    op.execute(sa.text("ALTER TABLE fund_settings DROP COLUMN market_bridge_daily_rate"))
