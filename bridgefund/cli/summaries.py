"""``bridgefund summaries check|rebuild``: the per-day summary tables behind the as-of figures."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from bridgefund.cli.common import in_transaction, today
from bridgefund.figures.check import check_dates, summary_differences
from bridgefund.figures.rebuild import rebuild


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
