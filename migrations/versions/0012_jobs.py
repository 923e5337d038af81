"""jobs: background work records, consumer heartbeats, the working-day calendar, rolling due dates

Revision ID: 0012_jobs
Revises: 0011_pool_money
Create Date: 2026-12-02

* ``jobs``: one row per piece of background work (async reports and imports, the scheduled runs), with a unique
  ``key`` for scheduled work and the import file's bytes in ``payload``; ``worker_heartbeats``: one row per
  queue consumer.
* ``calendar_days``: the days that differ from Monday–Friday, seeded here from the ``chinesecalendar`` package (its
  data ships inside the package: no network). Only the days that change something are stored: a holiday on a
  weekday, a make-up working day (调休) at the weekend.
* ``fund_settings.roll_due_date_to_working_day`` (default true, DOMAIN.md). Loans already disbursed keep the due
  date they were given.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_jobs"
down_revision: str | Sequence[str] | None = "0011_pool_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_jobs_status_known")),
        sa.CheckConstraint("kind IN ('monthly_report', 'bank_statement', 'pool_import', 'reminders', 'summaries_check')",
                           name=op.f("ck_jobs_kind_known")),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name=op.f("ck_jobs_progress_is_percent")),
        sa.CheckConstraint("attempt >= 0", name=op.f("ck_jobs_attempt_not_negative")),
        sa.CheckConstraint("(status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)",
                           name=op.f("ck_jobs_finished_iff_done")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_jobs_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name=op.f("fk_jobs_bank_id_banks"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    op.create_index("ix_jobs_status_id", "jobs", ["status", "id"], unique=False)
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("last_heartbeat", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_last_heartbeat"), "worker_heartbeats", ["last_heartbeat"],
                    unique=False)
    calendar = op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f("ck_calendar_days_kind_known")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_calendar_days_updated_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.bulk_insert(calendar, seed_rows(dt.datetime.now(dt.UTC)))
    # Archived bank statements, and drafts: reports generated while their month was open. Nothing points at reports,
    # so a batch (a copy on SQLite) is safe here.
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("bank_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("draft", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(op.f("fk_reports_bank_id_banks"), "banks", ["bank_id"], ["id"],
                                    ondelete="RESTRICT")
        batch_op.drop_constraint("uq_reports_period_kind_lang_version", type_="unique")
        batch_op.drop_constraint(op.f("ck_reports_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_reports_kind_known"), "kind IN ('monthly', 'bank_statement')")
        batch_op.create_check_constraint(op.f("ck_reports_statement_names_bank"),
                                         "(kind = 'bank_statement') = (bank_id IS NOT NULL)")
    op.execute(sa.text("UPDATE reports SET draft = NOT EXISTS "
                       "(SELECT 1 FROM closed_periods WHERE closed_periods.period >= reports.period)"))
    op.create_index("uq_reports_monthly_version", "reports", ["period", "kind", "lang", "version"], unique=True,
                    sqlite_where=sa.text("bank_id IS NULL"), postgresql_where=sa.text("bank_id IS NULL"))
    op.create_index("uq_reports_statement_version", "reports", ["period", "bank_id", "lang", "version"],
                    unique=True, sqlite_where=sa.text("bank_id IS NOT NULL"),
                    postgresql_where=sa.text("bank_id IS NOT NULL"))
    # A plain ADD COLUMN (no batch copy of fund_settings).
    op.add_column("fund_settings", sa.Column("roll_due_date_to_working_day", sa.Boolean(), server_default=sa.true(),
                                             nullable=False))


def seed_rows(now: dt.datetime) -> list[dict]:
    """The ``chinesecalendar`` package's holidays and make-up working days that differ from Monday–Friday."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    chinese = {h.value: h.chinese for h in Holiday}
    stamp = now if op.get_bind().dialect.name != "sqlite" else now.replace(tzinfo=None)
    rows = []
    for day, english in sorted(chinese_calendar.holidays.items()):
        if day.weekday() < 5:
            rows.append({"day": day, "kind": "holiday", "name": chinese.get(english, english)[:60],
                         "source": "chinesecalendar", "updated_at": stamp})
    for day, english in sorted(chinese_calendar.workdays.items()):
        if day.weekday() >= 5:
            rows.append({"day": day, "kind": "workday", "name": (chinese.get(english, english) + "调休")[:60],
                         "source": "chinesecalendar", "updated_at": stamp})
    return rows


def downgrade() -> None:
    op.execute(sa.text("ALTER TABLE fund_settings DROP COLUMN roll_due_date_to_working_day"))
    # archived statements have no place in the older schema: their records go (their files stay on disk)
    op.execute(sa.text("DELETE FROM reports WHERE kind = 'bank_statement'"))
    op.drop_index("uq_reports_statement_version", table_name="reports")
    op.drop_index("uq_reports_monthly_version", table_name="reports")
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_constraint(op.f("ck_reports_statement_names_bank"), type_="check")
        batch_op.drop_constraint(op.f("ck_reports_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_reports_kind_known"), "kind IN ('monthly')")
        batch_op.create_unique_constraint("uq_reports_period_kind_lang_version", ["period", "kind", "lang", "version"])
        batch_op.drop_constraint(op.f("fk_reports_bank_id_banks"), type_="foreignkey")
        batch_op.drop_column("draft")
        batch_op.drop_column("bank_id")
    op.drop_table("calendar_days")
    op.drop_index(op.f("ix_worker_heartbeats_last_heartbeat"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_jobs_status_id", table_name="jobs")
    op.drop_table("jobs")
