"""pool loans: the due date of each loan's oldest unsettled installment (issue 13, the officer's home at 10⁶)

Revision ID: 0021_oldest_unpaid
Revises: 0020_period_close_jobs
Create Date: 2026-12-03

* ``pool_loans.oldest_unpaid_due``: the earliest ``due_date`` of the loan's installments whose ``settled_on`` is
  NULL (NULL when every installment is settled). The services write it wherever they write ``settled_on`` (a new
  loan, a repayment), in the same transaction; ``bridgefund summaries check`` compares it with the installments.
  Filled here from the installments stored.
* ``ix_pool_loans_active_bank_id_oldest_unpaid_due`` and ``ix_pool_loans_active_last_repayment_on`` (partial: active
  loans): the claim-eligible loans of a date are two index ranges instead of a probe of every active loan's
  installments (≈ 83,000 per bank at 10⁶ + 10⁶ loans).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_oldest_unpaid"
down_revision: str | Sequence[str] | None = "0020_period_close_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.add_column("pool_loans", sa.Column("oldest_unpaid_due", sa.Date(), nullable=True))
    op.execute(sa.text(
        "UPDATE pool_loans SET oldest_unpaid_due = (SELECT min(i.due_date) FROM pool_installments i "
        "WHERE i.loan_id = pool_loans.id AND i.settled_on IS NULL)"))
    op.create_index("ix_pool_loans_active_bank_id_oldest_unpaid_due", "pool_loans", ["bank_id", "oldest_unpaid_due"],
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)
    op.create_index("ix_pool_loans_active_last_repayment_on", "pool_loans", ["last_repayment_on"],
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("ix_pool_loans_active_last_repayment_on", table_name="pool_loans")
    op.drop_index("ix_pool_loans_active_bank_id_oldest_unpaid_due", table_name="pool_loans")
    # Plain DROP COLUMN (SQLite ≥ 3.35 drops in place, as 0011 does): other tables' foreign keys point at pool_loans,
    # so a batch copy-and-rename would fail them.
    op.execute(sa.text("ALTER TABLE pool_loans DROP COLUMN oldest_unpaid_due"))
