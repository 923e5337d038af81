"""jobs: the month close runs as a job (``POST /periods/{period}/close`` with ``Prefer: respond-async``)

Revision ID: 0020_period_close_jobs
Revises: 0019_console_perf
Create Date: 2026-12-02

* ``jobs.kind`` accepts ``period_close``. Nothing points at ``jobs``, so a batch (a copy on SQLite) is safe.
  Downgrading removes the period-close jobs first (their months stay closed: the ``closed_periods`` rows are the
  truth, the job only recorded who asked and when).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_period_close_jobs"
down_revision: str | Sequence[str] | None = "0019_console_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "kind IN ('monthly_report', 'bank_statement', 'pool_import', 'reminders', 'summaries_check')"
NEW = "kind IN ('monthly_report', 'bank_statement', 'pool_import', 'reminders', 'summaries_check', 'period_close')"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_constraint(op.f("ck_jobs_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_jobs_kind_known"), NEW)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM jobs WHERE kind = 'period_close'"))
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_constraint(op.f("ck_jobs_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_jobs_kind_known"), OLD)
