"""hot paths (issue 16): a counter row per reference series and year instead of an advisory lock and a MAX

Revision ID: 0016_perf
Revises: 0015_notify
Create Date: 2026-12-02

* ``reference_counters(series, year, last_no)``: ``services.references`` bumps the row with one statement
  (``UPDATE … RETURNING``), so a submission no longer takes a transaction-wide advisory lock and reads the
  series' maximum. Filled here with the highest number of every series and year already stored (the reference
  format is ``XX-YYYY-NNNNNN``: the year at characters 4-7, the number from character 9).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_perf"
down_revision: str | Sequence[str] | None = "0015_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_counters",
        sa.Column("series", sa.String(length=2), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_no", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_reference_counters")),
    )
    op.execute(sa.text(
        "INSERT INTO reference_counters (series, year, last_no) "
        "SELECT 'BL', reference_year, MAX(reference_no) FROM bridge_loans GROUP BY reference_year"))
    for series, table in (("PL", "pool_loans"), ("CL", "pool_claims")):
        op.execute(sa.text(
            f"INSERT INTO reference_counters (series, year, last_no) "  # noqa: S608 - constants
            f"SELECT '{series}', CAST(SUBSTR(reference, 4, 4) AS INTEGER), MAX(CAST(SUBSTR(reference, 9) AS INTEGER)) "
            f"FROM {table} WHERE reference LIKE '{series}-____-%' GROUP BY CAST(SUBSTR(reference, 4, 4) AS INTEGER)"))


def downgrade() -> None:
    op.drop_table("reference_counters")
