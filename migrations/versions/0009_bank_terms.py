"""bank_terms: a bank's name, status, quota and share become effective-dated, so closed months never change

Revision ID: 0009_bank_terms
Revises: 0008_claim_rejected_on
Create Date: 2026-12-02

Each existing bank gets one row of its current terms effective from 2000-01-01 (the fund's default
``established_on``: a bank already on the books counts as a partner for every date it has figures for, so the
reports already made for it do not move), and a suspended bank a second row, ``suspended`` from its
``suspended_on``. The ``banks`` columns stay and mirror the newest row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_bank_terms"
down_revision: str | Sequence[str] | None = "0008_claim_rejected_on"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pool_quota", sa.BigInteger(), nullable=False),
        sa.Column("pool_share", sa.BigInteger(), nullable=False),
        sa.Column("changed_fields", sa.String(length=80), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pool_quota >= 0", name=op.f("ck_bank_terms_quota_not_negative")),
        sa.CheckConstraint("pool_share >= 0 AND pool_share <= 100000000", name=op.f("ck_bank_terms_share_is_ratio")),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_bank_terms_status_known")),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name=op.f("fk_bank_terms_bank_id_banks")),
        sa.ForeignKeyConstraint(["changed_by"], ["users.id"], name=op.f("fk_bank_terms_changed_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_terms")),
        sa.UniqueConstraint("bank_id", "effective_from", name="uq_bank_terms_bank_date"),
    )
    since = "DATE '2000-01-01'" if op.get_bind().dialect.name == "postgresql" else "'2000-01-01'"
    columns = "bank_id, effective_from, name, status, pool_quota, pool_share, changed_fields, reason, created_at"
    first_status = f"CASE WHEN status = 'suspended' AND suspended_on <= {since} THEN 'suspended' ELSE 'active' END"
    op.execute(sa.text(f"INSERT INTO bank_terms ({columns}) SELECT id, {since}, name, {first_status}, pool_quota, "
                       f"pool_share, 'name,status,pool_quota,pool_share', CASE WHEN {first_status} = 'suspended' THEN status_reason END, created_at FROM banks"))
    op.execute(sa.text(f"INSERT INTO bank_terms ({columns}) SELECT id, suspended_on, name, 'suspended', pool_quota, "
                       f"pool_share, 'status', status_reason, created_at FROM banks "
                       f"WHERE status = 'suspended' AND suspended_on > {since}"))


def downgrade() -> None:
    op.drop_table("bank_terms")
