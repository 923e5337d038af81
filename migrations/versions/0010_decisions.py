"""decisions: business dates of decisions, the fund's established_on, pool write-offs

Revision ID: 0010_decisions
Revises: 0009_bank_terms
Create Date: 2026-12-02

* ``bridge_approvals.decided_on`` (NOT NULL), ``bridge_loans.rejected_on``, ``pool_claims.approved_on``: the
  business date of each decision (DOMAIN.md, "Decisions have business dates"). Existing approvals get the
  loan's ``submitted_on`` and existing claim approvals the claim's ``filed_on`` — the earliest date the decision
  could bear, so no money already booked becomes dated before the decision that authorised it.
* ``fund_settings.established_on`` (default 2000-01-01): no business date before it.
* ``pool_loans.written_off_on``, ``written_off_principal``, ``write_off_reason`` and the status ``written_off``
  (the status column grows to 12 characters). On SQLite the status CHECK and the column's declared length are
  changed in the stored schema text (``writable_schema``, as SQLite's ALTER TABLE documentation describes for
  changes that leave the stored rows as they are): a copy-and-rename of ``pool_loans`` would fail its
  children's foreign keys on a database that holds loans.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_decisions"
down_revision: str | Sequence[str] | None = "0009_bank_terms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUS = "status IN ('active', 'repaid', 'claimed')"
NEW_STATUS = "status IN ('active', 'repaid', 'claimed', 'written_off')"
WRITTEN_OFF = "status != 'written_off' OR (written_off_on IS NOT NULL AND written_off_principal > 0)"


def _sqlite_pool_loans_sql(replace: list[tuple[str, str]]) -> None:
    """Edit the stored CREATE TABLE text of ``pool_loans`` (SQLite only; the rows are unaffected)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pool_loans'").scalar()
    for old, new in replace:
        if old not in sql:
            raise RuntimeError(f"pool_loans schema does not contain {old!r}")
        sql = sql.replace(old, new, 1)
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'pool_loans'", (sql,))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("bridge_approvals") as batch_op:
        batch_op.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
    op.execute(sa.text("UPDATE bridge_approvals SET decided_on = (SELECT submitted_on FROM bridge_loans "
                       "WHERE bridge_loans.id = bridge_approvals.bridge_loan_id)"))
    with op.batch_alter_table("bridge_approvals") as batch_op:
        batch_op.alter_column("decided_on", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("bridge_loans") as batch_op:
        batch_op.add_column(sa.Column("rejected_on", sa.Date(), nullable=True))
    with op.batch_alter_table("pool_claims") as batch_op:
        batch_op.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
    op.execute(sa.text("UPDATE pool_claims SET approved_on = filed_on WHERE approved_by IS NOT NULL"))
    with op.batch_alter_table("fund_settings") as batch_op:
        batch_op.add_column(sa.Column("established_on", sa.Date(), server_default="2000-01-01", nullable=False))

    with op.batch_alter_table("pool_loans") as batch_op:
        batch_op.add_column(sa.Column("written_off_on", sa.Date(), nullable=True))
        # (a plain string default: SQLite then adds the column in place; an SQL expression would make the batch
        # copy-and-rename the table, which its children's foreign keys refuse on a database that holds loans)
        batch_op.add_column(sa.Column("written_off_principal", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("write_off_reason", sa.String(length=500), nullable=True))
    if sqlite:
        _sqlite_pool_loans_sql([
            ("status VARCHAR(10)", "status VARCHAR(12)"),
            (f"CHECK ({OLD_STATUS})",
             f"CHECK ({NEW_STATUS}), CONSTRAINT ck_pool_loans_written_off_dated CHECK ({WRITTEN_OFF})"),
        ])
    else:
        op.alter_column("pool_loans", "status", existing_type=sa.String(length=10), type_=sa.String(length=12),
                        existing_nullable=False)
        op.drop_constraint(op.f("ck_pool_loans_status_known"), "pool_loans", type_="check")
        op.create_check_constraint(op.f("ck_pool_loans_status_known"), "pool_loans", NEW_STATUS)
        op.create_check_constraint(op.f("ck_pool_loans_written_off_dated"), "pool_loans", WRITTEN_OFF)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(sa.text("UPDATE pool_loans SET status = 'claimed' WHERE status = 'written_off' AND EXISTS "
                       "(SELECT 1 FROM pool_claims WHERE pool_claims.loan_id = pool_loans.id "
                       "AND pool_claims.status = 'paid')"))
    op.execute(sa.text("UPDATE pool_loans SET status = 'active' WHERE status = 'written_off'"))
    if sqlite:
        _sqlite_pool_loans_sql([
            ("status VARCHAR(12)", "status VARCHAR(10)"),
            (f"CHECK ({NEW_STATUS}), CONSTRAINT ck_pool_loans_written_off_dated CHECK ({WRITTEN_OFF})",
             f"CHECK ({OLD_STATUS})"),
        ])
        # Plain DROP COLUMN (SQLite ≥ 3.35), not a copy-and-rename: other tables' foreign keys point here.
        for table, column in (("pool_loans", "write_off_reason"), ("pool_loans", "written_off_principal"),
                              ("pool_loans", "written_off_on"), ("pool_claims", "approved_on"),
                              ("bridge_loans", "rejected_on")):
            op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    else:
        op.drop_constraint(op.f("ck_pool_loans_written_off_dated"), "pool_loans", type_="check")
        op.drop_constraint(op.f("ck_pool_loans_status_known"), "pool_loans", type_="check")
        op.create_check_constraint(op.f("ck_pool_loans_status_known"), "pool_loans", OLD_STATUS)
        op.alter_column("pool_loans", "status", existing_type=sa.String(length=12), type_=sa.String(length=10),
                        existing_nullable=False)
        for table, column in (("pool_loans", "write_off_reason"), ("pool_loans", "written_off_principal"),
                              ("pool_loans", "written_off_on"), ("pool_claims", "approved_on"),
                              ("bridge_loans", "rejected_on")):
            op.drop_column(table, column)
    with op.batch_alter_table("fund_settings") as batch_op:
        batch_op.drop_column("established_on")
    with op.batch_alter_table("bridge_approvals") as batch_op:
        batch_op.drop_column("decided_on")
