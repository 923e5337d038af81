"""The tasks and periodic schedules of an app's Huey instance.

Tasks receive ids, never ORM objects: ``run_job(job_id)`` runs one ``jobs`` row (``bridgefund.jobs.runner``).
The periodic tasks run in the fund's timezone (``BRIDGEFUND_TIMEZONE``, Asia/Shanghai), whatever the host's clock
zone, and each is one job with a unique key, so two schedulers (two consumers on Redis) or a restart inside the
minute still do the work once:

=====================  ===================================  =====================================================
when (fund time)       job key                              what
=====================  ===================================  =====================================================
08:30, working days    ``reminders:<date>``                 the reminders of the business date (services.reminders)
07:00 on the 1st       ``monthly_report:<YYYY-MM>:zh``      the previous month's monthly report, archived (a draft)
                       ``bank_statement:<YYYY-MM>:<id>:zh`` every partner bank's statement of that month, archived
02:00 every night      ``summaries_check:<date>``           the summaries compared with the books; result recorded
02:00 every night      (none)                               import previews' file bytes purged (retention, below)
every minute           (none)                               the consumer's heartbeat; dead consumers' jobs requeued
every minute           (none)                               the notification outbox's due deliveries sent
=====================  ===================================  =====================================================

The preview purge (``services.jobs.purge_previews``) clears the uploaded file of import previews not confirmed
within ``BRIDGEFUND_IMPORT_PREVIEW_HOURS`` (24) and of previews whose import was sent; it needs no job row: a purged
preview holds no bytes, so a second run (another consumer, the command line) finds nothing to do. One log line and
one ``purge`` audit event per preview purged.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from huey import Huey, crontab

from bridgefund.figures.check import check_dates, summary_differences
from bridgefund.jobs import progress, runner
from bridgefund.models import Job, JobKind
from bridgefund.notify import outbox
from bridgefund.notify.channels import channels_from
from bridgefund.reports import service as report_service
from bridgefund.schemas.period import PeriodSchema
from bridgefund.services import bank_terms, calendar, jobs, periods, reminders
from bridgefund.services import pool_import as pool_import_service
from bridgefund.services.actor import SYSTEM, Actor
from bridgefund.services.jobs import Worker
from bridgefund.services.periods import parse_period

log = logging.getLogger("bridgefund.jobs")


# ------------------------------------------------------------------------------------------------ handlers


def _monthly_report(session: Any, actor: Actor, job: Job, app: Flask) -> dict[str, Any]:
    s = app.config["BRIDGEFUND"]
    p = job.params
    report = report_service.generate_monthly_report(
        session, actor, period=p["period"], lang=p["lang"], today=dt.date.fromisoformat(p["today"]), tz=s.tz)
    return {"report_id": report.id, "period": report.period, "lang": report.lang, "version": report.version,
            "sha256": report.sha256, "draft": report.draft}


def _bank_statement(session: Any, actor: Actor, job: Job, app: Flask) -> dict[str, Any]:
    s = app.config["BRIDGEFUND"]
    p = job.params
    report = report_service.archive_bank_statement(
        session, actor, p["bank_id"], period=p["period"], lang=p["lang"], today=dt.date.fromisoformat(p["today"]),
        tz=s.tz)
    return {"report_id": report.id, "bank_id": report.bank_id, "period": report.period, "lang": report.lang,
            "version": report.version, "sha256": report.sha256, "draft": report.draft}


def _pool_import(session: Any, actor: Actor, job: Job, app: Flask) -> dict[str, Any]:
    p = job.params
    if p.get("preview"):  # checks only: the console's preview, confirmed later (services.jobs.confirm_pool_import)
        return pool_import_service.preview_pool_import(
            session, actor, dt.date.fromisoformat(p["today"]), job.payload or b"", filename=p.get("filename"),
            bank_id=p.get("bank_id"), progress=lambda pct: progress.publish(app, job.id, pct))
    outcome = pool_import_service.import_pool_loans(
        session, actor, dt.date.fromisoformat(p["today"]), job.payload or b"", filename=p.get("filename"),
        bank_id=p.get("bank_id"), progress=lambda pct: progress.publish(app, job.id, pct))
    return {"created": outcome.created, "references": outcome.references}


def _period_close(session: Any, actor: Actor, job: Job, app: Flask) -> dict[str, Any]:
    """The month close (``POST /periods/{period}/close`` with ``Prefer: respond-async``): the synchronous path's
    service, so the job's result is that path's answer and its problem (a month closed meanwhile: 409) the same."""
    p = job.params
    row = periods.close_period(session, actor, p["period"], today=dt.date.fromisoformat(p["today"]),
                               progress=lambda pct: progress.publish(app, job.id, pct))
    return PeriodSchema().dump(row)


def _reminders(session: Any, actor: Actor, job: Job, app: Flask) -> dict[str, Any]:
    return reminders.send_reminders(session, actor, dt.date.fromisoformat(job.params["business_date"]))


def _summaries_check(session: Any, actor: Actor, job: Job, app: Flask) -> dict[str, Any]:
    day = dt.date.fromisoformat(job.params["business_date"])
    dates = check_dates(session, day)
    problems = summary_differences(session, dates)
    if problems:
        log.error("summaries check of %s: %d differences", day, len(problems))
        summaries_differ(session, day, problems)
    return {"business_date": day.isoformat(), "dates_checked": len(dates), "differences": problems[:200],
            "difference_count": len(problems)}


def summaries_differ(session: Any, day: dt.date, problems: list[str]) -> None:
    """Tell the admins the summaries differ (in the check's own transaction: once per business date)."""
    reminders.summaries_differ(session, SYSTEM, day, problems)


HANDLERS: dict[str, runner.Handler] = {
    JobKind.monthly_report.value: _monthly_report,
    JobKind.bank_statement.value: _bank_statement,
    JobKind.pool_import.value: _pool_import,
    JobKind.reminders.value: _reminders,
    JobKind.summaries_check.value: _summaries_check,
    JobKind.period_close.value: _period_close,
}


# ------------------------------------------------------------------------------------------------ schedules


def fund_time(tz: dt.tzinfo, *, hour: int, minute: int, day: int | None = None) -> Callable[[dt.datetime], bool]:
    """A Huey periodic-task test that matches ``hour:minute`` (and ``day`` of the month) in the fund's timezone.
    Huey passes naive UTC (``utc=True``)."""

    def matches(now: dt.datetime) -> bool:
        local = (now if now.tzinfo else now.replace(tzinfo=dt.UTC)).astimezone(tz)
        return local.hour == hour and local.minute == minute and (day is None or local.day == day)

    return matches


def previous_month(day: dt.date) -> str:
    last = day.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def run_scheduled(app: Flask, kind: JobKind, key: str, params: dict[str, Any]) -> Job:
    """Create (or find) the job named ``key`` and run it here, unless it already succeeded or runs elsewhere."""
    database = app.extensions["bridgefund.db"]
    with app.app_context():
        with database.sessionmaker() as s, s.begin():
            job, runnable = jobs.ensure(s, kind, key, params)
            job_id = job.id
        if runnable:
            runner.run(app, job_id, app.extensions["bridgefund.worker"], HANDLERS)
        else:
            log.info(runner._line("already", job_id, key=key, status=job.status))
        with database.sessionmaker() as s:
            return s.get(Job, job_id)


def reminders_of(app: Flask, day: dt.date) -> Job | None:
    """The 08:30 run for business date ``day``: nothing on a day off."""
    with app.extensions["bridgefund.db"].sessionmaker() as s:
        if not calendar.is_working_day(s, day):
            log.info(runner._line("skipped", 0, key=reminders.job_key(day), reason="not a working day"))
            return None
    return run_scheduled(app, JobKind.reminders, reminders.job_key(day), {"business_date": day.isoformat()})


def monthly_report_of(app: Flask, period: str, *, lang: str = "zh", today: dt.date | None = None) -> Job:
    today = today or app.config["BRIDGEFUND"].business_date()
    return run_scheduled(app, JobKind.monthly_report, f"monthly_report:{period}:{lang}",
                         {"period": period, "lang": lang, "today": today.isoformat()})


def bank_statements_of(app: Flask, period: str, *, lang: str = "zh", today: dt.date | None = None) -> list[Job]:
    """Every bank that was a partner on the month's last day: its statement archived (one job per bank)."""
    today = today or app.config["BRIDGEFUND"].business_date()
    _first, last = parse_period(period)
    with app.extensions["bridgefund.db"].sessionmaker() as s:
        bank_ids = sorted(bank_terms.terms_on(s, None, last))
    return [run_scheduled(app, JobKind.bank_statement, f"bank_statement:{period}:{bank_id}:{lang}",
                          {"bank_id": bank_id, "period": period, "lang": lang, "today": today.isoformat()})
            for bank_id in bank_ids]


def month_end_reports(app: Flask, period: str, *, lang: str = "zh", today: dt.date | None = None) -> list[Job]:
    """The 07:00 run on the 1st: the month's report and every partner bank's statement, archived (drafts until the
    month is closed)."""
    done = [monthly_report_of(app, period, lang=lang, today=today), *bank_statements_of(app, period, lang=lang,
                                                                                       today=today)]
    reports_ready(app, period, done, today)
    return done


def reports_ready(app: Flask, period: str, done: list[Job], today: dt.date | None = None) -> None:
    """Tell the fund managers the month's drafts are ready (once per month and business date), when the report
    was archived."""
    if not done or done[0].status != "succeeded":
        return
    today = today or app.config["BRIDGEFUND"].business_date()
    statements = sum(1 for job in done[1:] if job.status == "succeeded")
    with app.app_context(), app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        reminders.reports_ready(s, SYSTEM, period, statements, today)


def summaries_check_of(app: Flask, day: dt.date) -> Job:
    return run_scheduled(app, JobKind.summaries_check, f"summaries_check:{day.isoformat()}",
                         {"business_date": day.isoformat()})


def purge_previews(app: Flask, now: dt.datetime | None = None) -> dict[str, Any]:
    """Clear the file bytes of stale import previews (nightly at 02:00; ``bridgefund jobs run purge-previews``)."""
    hours = app.config["BRIDGEFUND"].import_preview_hours
    with app.app_context(), app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        purged = jobs.purge_previews(s, keep_hours=hours, now=now)
    for item in purged:
        log.info(runner._line("purged", item["job_id"], reason=item["reason"], bytes=item["bytes"],
                              keep_hours=hours))
    return {"keep_hours": hours, "purged": purged}


def heartbeat(app: Flask, huey: Huey) -> list[int]:
    """Record this consumer's heartbeat, requeue dead consumers' jobs, and enqueue them again."""
    s_ = app.config["BRIDGEFUND"]
    with app.app_context(), app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        me = app.extensions["bridgefund.worker"]
        jobs.beat(s, me)
        ids = jobs.recover(s, me, stale_after=dt.timedelta(seconds=s_.worker_stale_seconds),
                           queue_empty=_pending(huey) == 0)
    for job_id in ids:
        enqueue(app, job_id)
    if ids:
        log.warning(runner._line("recovered", 0, jobs=ids))
    return ids


def deliver(app: Flask, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the notification outbox's due deliveries (every minute; ``bridgefund.notify.outbox``)."""
    s_ = app.config["BRIDGEFUND"]
    policy = outbox.Policy(console_url=s_.console_url, max_attempts=s_.notify_max_attempts,
                           per_minute=s_.wecom_per_minute)
    with app.app_context():
        return outbox.deliver_due(app.extensions["bridgefund.db"].sessionmaker,
                                  app.extensions.get("bridgefund.channels") or channels_from(s_), policy, now=now)


def _pending(huey: Huey) -> int:
    try:
        return huey.pending_count()
    except Exception:  # the queue is unreachable: do not also re-enqueue
        return -1


# ------------------------------------------------------------------------------------------------ registration


def register(huey: Huey, app: Flask) -> dict[str, Any]:
    """Declare the app's tasks on ``huey``; answer them by name."""
    tz = app.config["BRIDGEFUND"].tz
    worker: Worker = app.extensions["bridgefund.worker"]

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        runner.run(app, job_id, worker, HANDLERS, retry=lambda i: run_job.schedule((i,), delay=runner.RETRY_DELAY))

    @huey.periodic_task(fund_time(tz, hour=8, minute=30), name="reminders_0830")
    def reminders_0830() -> None:
        reminders_of(app, app.config["BRIDGEFUND"].business_date())

    @huey.periodic_task(fund_time(tz, hour=7, minute=0, day=1), name="monthly_report_0700")
    def monthly_report_0700() -> None:
        today = app.config["BRIDGEFUND"].business_date()
        month_end_reports(app, previous_month(today), lang="zh", today=today)

    @huey.periodic_task(fund_time(tz, hour=2, minute=0), name="summaries_check_0200")
    def summaries_check_0200() -> None:
        summaries_check_of(app, app.config["BRIDGEFUND"].business_date())

    @huey.periodic_task(fund_time(tz, hour=2, minute=0), name="purge_previews_0200")
    def purge_previews_0200() -> None:
        purge_previews(app)

    @huey.periodic_task(crontab(), name="deliver_notifications")
    def deliver_notifications() -> None:
        deliver(app)

    @huey.periodic_task(crontab(), name="heartbeat")
    def heartbeat_task() -> None:
        heartbeat(app, huey)

    started = threading.Lock()
    done: list[bool] = []

    @huey.on_startup(name="bridgefund_startup")
    def startup() -> None:  # each worker thread calls it; the first does the work
        with started:
            if done:
                return
            done.append(True)
        try:
            heartbeat(app, huey)
        except Exception:
            log.exception("consumer start-up: heartbeat and recovery failed (retried every minute)")

    return {"run_job": run_job, "reminders_0830": reminders_0830, "monthly_report_0700": monthly_report_0700,
            "summaries_check_0200": summaries_check_0200, "purge_previews_0200": purge_previews_0200,
            "heartbeat": heartbeat_task,
            "deliver_notifications": deliver_notifications}


def enqueue(app: Flask, job_id: int) -> None:
    """Put job ``job_id`` on the queue (in the tests' immediate mode: run it now)."""
    app.extensions["bridgefund.tasks"]["run_job"](job_id)

