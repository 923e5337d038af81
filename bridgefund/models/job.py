"""Work that runs outside a request: the job records of the task queue, and the consumers' heartbeats.

A :class:`Job` row is the durable truth about one piece of background work; the queue (Huey: SQLite or Redis)
only carries the job's id. Its ``status`` moves ``queued → running → succeeded | failed``; a ``running`` job
whose consumer died (``SIGKILL``, a lost host) goes back to ``queued`` and is run again. The work of a job and
its move to ``succeeded`` commit in one transaction, guarded by ``attempt`` (a fencing token: a runner that
lost its claim cannot finish the job), so a job run twice, or killed and retried, changes nothing twice.
``key`` makes scheduled work unique: the 08:30 reminders of a business date, the report of a month.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class JobKind(enum.StrEnum):
    #: ``POST /reports/monthly`` with ``Prefer: respond-async``, and the 07:00 run on the 1st.
    monthly_report = "monthly_report"
    #: One bank's statement of a month, archived by the 07:00 run on the 1st.
    bank_statement = "bank_statement"
    #: ``POST /pool-loans/import`` with ``Prefer: respond-async`` (the file travels in ``payload``).
    pool_import = "pool_import"
    #: The 08:30 working-day reminders of one business date.
    reminders = "reminders"
    #: The nightly comparison of the summaries with the whole-history figures.
    summaries_check = "summaries_check"
    #: ``POST /periods/{period}/close`` with ``Prefer: respond-async``: the month close and its month snapshots.
    period_close = "period_close"


_STATUSES = ", ".join(f"'{s.value}'" for s in JobStatus)
_KINDS = ", ".join(f"'{k.value}'" for k in JobKind)


class Job(Base):
    """One piece of background work, its parameters, progress and outcome."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint(f"kind IN ({_KINDS})", name="kind_known"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_is_percent"),
        CheckConstraint("attempt >= 0", name="attempt_not_negative"),
        CheckConstraint("(status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)", name="finished_iff_done"),
        # The recovery sweep: running jobs (whose consumer may have died) and long-queued ones.
        Index("ix_jobs_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: Unique name of scheduled work (``reminders:2020-03-20``, ``monthly_report:2020-03:zh``); null for a request's.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued.value)
    #: What to do: plain JSON values (ids, dates as text, the language …) — never ORM objects.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Bytes the work needs (an uploaded import file), stored here so that a consumer on any host can run it.
    payload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    #: Per cent done, 0–100.
    progress: Mapped[int] = mapped_column(default=0)
    #: What was made (``{"report_id": 7, …}``, the created references); null until it succeeded.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: An RFC 9457 problem when it failed.
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: How many times a runner has claimed it; the finishing write must still hold the claim it started with.
    attempt: Mapped[int] = mapped_column(default=0)
    #: The consumer running it (``host:pid:boot``), for telling a dead consumer's jobs from a live one's.
    worker_id: Mapped[str | None] = mapped_column(String(120))
    #: Who asked for it (null: the scheduler or the command line).
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The bank of the officer who asked for it: that bank's officers see the job, other banks' get 404.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="SET NULL"))
    #: The request that asked for it (joins the job's log lines to the request's).
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def snapshot(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "status": self.status, "params": self.params,
                "attempt": self.attempt}


class WorkerHeartbeat(Base):
    """A queue consumer's last sign of life (one row per consumer process, refreshed every minute)."""

    __tablename__ = "worker_heartbeats"

    #: ``host:pid:boot`` — the boot part tells a restarted consumer with a reused pid from the one before.
    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(100))
    pid: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_heartbeat: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
