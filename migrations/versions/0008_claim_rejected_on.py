"""claims: the business date of a rejection, so a later rejection never changes an earlier date's figures

Revision ID: 0008_claim_rejected_on
Revises: 0007_list_indexes
Create Date: 2026-11-25

A claim counts as live (its loan non-performing) from ``filed_on`` until the day before ``rejected_on``. Before
this, a rejected claim counted as never filed, so rejecting it rewrote the NPL figures of every earlier date,
closed months included. Claims rejected before this migration keep that reading (``rejected_on = filed_on``),
so the figures already reported for them do not move.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_claim_rejected_on"
down_revision: str | Sequence[str] | None = "0007_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pool_claims") as batch_op:
        batch_op.add_column(sa.Column("rejected_on", sa.Date(), nullable=True))
    op.execute(sa.text("UPDATE pool_claims SET rejected_on = filed_on WHERE status = 'rejected'"))


def downgrade() -> None:
    # Not a batch (copy-and-rename) on SQLite: other tables' foreign keys point at pool_claims, and SQLite ≥ 3.35
    # drops a plain column in place.
    op.execute(sa.text("ALTER TABLE pool_claims DROP COLUMN rejected_on"))
