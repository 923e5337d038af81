"""``bridgefund summaries check|rebuild|snapshot``: the per-day summary tables behind the as-of figures, and the
month snapshots behind a closed month's reports."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from bridgefund.cli.common import fail, in_transaction, today
from bridgefund.errors import DomainError
from bridgefund.figures.check import check_dates, summary_differences
from bridgefund.figures.rebuild import rebuild
from bridgefund.services import periods


@click.group("summaries", help="The per-day summary tables behind the as-of figures.")
def summaries_group() -> None:
    pass


@summaries_group.command("rebuild")
@with_appcontext
def summaries_rebuild() -> None:
    """Recompute the fund and pool summaries from the books (one transaction)."""
    in_transaction(lambda session: rebuild(session, echo=click.echo))


@summaries_group.command("check")
@click.option("--date", "dates", multiple=True, type=click.DateTime(["%Y-%m-%d"]),
              help="A date to compare on (repeatable; default: every month end of the books and today).")
@with_appcontext
def summaries_check(dates: tuple[Any, ...]) -> None:
    """Compare the summaries with the whole-history figures; exit 1 on any difference."""

    def run(session: Session) -> list[str]:
        days = [d.date() for d in dates] or check_dates(session, today())
        problems = summary_differences(session, days)
        click.echo(f"checked {len(days)} dates: {len(problems)} differences")
        return problems

    problems = in_transaction(run)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        raise SystemExit(1)


@summaries_group.command("snapshot")
@click.option("--period", "periods_", multiple=True, help="A closed month YYYY-MM (repeatable; default: every "
              "closed month without its snapshot).")
@with_appcontext
def summaries_snapshot(periods_: tuple[str, ...]) -> None:
    """Backfill the month snapshots of closed months that have none (closed before migration 0018_snapshots):
    one transaction per month, each audited; the pool settings recorded are today's."""
    todo = list(periods_) or in_transaction(periods.months_without_snapshot)
    for period in todo:
        try:
            prints = in_transaction(periods.backfill_snapshot, period)
        except DomainError as exc:
            raise fail(exc) from exc
        click.echo(f"{period}: {len(prints)} snapshot rows")
    click.echo(f"{len(todo)} months snapshotted")
