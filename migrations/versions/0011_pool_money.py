"""pool money rules: compound overdue interest (setting, kept per loan) and the exact actual/360 accrual basis

Revision ID: 0011_pool_money
Revises: 0010_decisions
Create Date: 2026-12-02

* ``pool_settings.compound_overdue_interest`` (default true, DOMAIN.md: overdue interest bears penalty interest)
  and ``pool_loans.compound_overdue_interest``: the setting when the loan was reported, as with the penalty
  markup. Existing loans get true — the rule the domain states; penalty already charged is not recomputed.
* ``pool_installments.accrual_basis``: Σ balance × days (yuan-days, integer fen) of an interest period that a
  prepayment put on actual/360; null for every existing installment (their interest stays as stored).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_pool_money"
down_revision: str | Sequence[str] | None = "0010_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: a batch with an SQL-expression default copies and renames the table, which
    # the foreign keys pointing at pool_loans refuse on a database that holds loans (SQLite adds it in place).
    op.add_column("pool_settings", sa.Column("compound_overdue_interest", sa.Boolean(), server_default=sa.true(),
                                             nullable=False))
    op.add_column("pool_loans", sa.Column("compound_overdue_interest", sa.Boolean(), server_default=sa.true(),
                                          nullable=False))
    op.add_column("pool_installments", sa.Column("accrual_basis", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite ≥ 3.35 drops in place): other tables' foreign keys point at pool_loans, so a
    # batch copy-and-rename is avoided, as in 0008.
    op.execute(sa.text("ALTER TABLE pool_installments DROP COLUMN accrual_basis"))
    op.execute(sa.text("ALTER TABLE pool_loans DROP COLUMN compound_overdue_interest"))
    op.execute(sa.text("ALTER TABLE pool_settings DROP COLUMN compound_overdue_interest"))
