"""``bridgefund jobs``: run scheduled work by hand, and the queue consumer.

    bridgefund jobs run reminders --date 2020-03-20
    bridgefund jobs run monthly-report --month 2020-03 [--lang zh]
    bridgefund jobs run summaries-check [--date 2020-03-20]
    bridgefund jobs run purge-previews
    bridgefund jobs consumer [--workers 2]

``run`` does the work in this process, as the scheduler would (the same job key: a second run of a date that
succeeded does nothing and says so; a failed run is retried). ``consumer`` wraps Huey's consumer with this app's
queue (SQLite file or Redis), its tasks and its periodic schedules.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from bridgefund.jobs import tasks
from bridgefund.jobs.queue import backend
from bridgefund.models import Job
from bridgefund.services.periods import parse_period


@click.group("jobs", help="Background jobs: run scheduled work now, or start the queue consumer.")
def jobs_group() -> None:
    pass


@jobs_group.group("run", help="Run one piece of scheduled work now, in this process.")
def run_group() -> None:
    pass


def _report(job: Job | None) -> None:
    if job is None:
        click.echo("nothing to do (not a working day)")
        return
    click.echo(json.dumps({"job_id": job.id, "key": job.key, "status": job.status, "result": job.result,
                           "error": job.error}, ensure_ascii=False, default=str))
    if job.status == "failed":
        raise SystemExit(1)


def _app():  # noqa: ANN202
    return current_app._get_current_object()  # type: ignore[attr-defined]


@run_group.command("reminders")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The business date (default: today).")
@with_appcontext
def run_reminders(day: dt.datetime | None) -> None:
    """The 08:30 reminders of a business date (nothing on a day off)."""
    app = _app()
    _report(tasks.reminders_of(app, day.date() if day else app.config["BRIDGEFUND"].business_date()))


@run_group.command("monthly-report")
@click.option("--month", "period", required=True, help="The month, YYYY-MM.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@with_appcontext
def run_monthly_report(period: str, lang: str) -> None:
    """The 07:00 run of the 1st for a past month: its monthly report and every partner bank's statement, archived
    (once per month, bank and language)."""
    try:
        parse_period(period)
    except Exception as exc:
        raise click.BadParameter("must be a month as YYYY-MM", param_hint="--month") from exc
    done = tasks.month_end_reports(_app(), period, lang=lang)
    for job in done[1:]:
        _report(job)
    _report(done[0])


@run_group.command("summaries-check")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The business date (default: today).")
@with_appcontext
def run_summaries_check(day: dt.datetime | None) -> None:
    """Compare the summaries with the books (the nightly 02:00 run); the differences are the job's result."""
    app = _app()
    _report(tasks.summaries_check_of(app, day.date() if day else app.config["BRIDGEFUND"].business_date()))


@run_group.command("deliver")
@with_appcontext
def run_deliver() -> None:
    """Send the notification outbox's due deliveries now (what the consumer does every minute)."""
    click.echo(json.dumps(tasks.deliver(_app()), ensure_ascii=False))


@run_group.command("purge-previews")
@with_appcontext
def run_purge_previews() -> None:
    """Clear the uploaded files of import previews not confirmed within BRIDGEFUND_IMPORT_PREVIEW_HOURS, and of
    previews whose import was sent (the nightly 02:00 run; a second run finds nothing)."""
    click.echo(json.dumps(tasks.purge_previews(_app()), ensure_ascii=False, default=str))


@jobs_group.command("consumer")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Worker threads in this consumer.")
@with_appcontext
def consumer(workers: int) -> None:
    """Run the queue consumer: the jobs, the periodic schedules and the heartbeat (stop with Ctrl-C / SIGTERM)."""
    app = _app()
    huey = app.extensions["bridgefund.huey"]
    if huey.immediate:
        raise click.ClickException("the app runs tasks inline (huey_immediate): there is nothing to consume")
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("bridgefund").info("consumer %s on the %s queue, %d workers",
                                         app.extensions["bridgefund.worker"].id, backend(huey), workers)
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True).run()
