"""The ``bridgefund`` command: database migrations, users, the demo story, serving."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

T = TypeVar("T")


def in_transaction(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one service call in one transaction, as the request boundary does."""
    db = current_app.extensions["bridgefund.db"]
    with db.sessionmaker() as session, session.begin():
        return fn(session, *args, **kwargs)


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(summaries_group)
    app.cli.add_command(create_user)
    app.cli.add_command(demo)
    from bridgefund.reports.cli import report_group

    app.cli.add_command(report_group)
    from bridgefund.cli_pool import import_pool_loans, pool_sweep

    app.cli.add_command(import_pool_loans)
    app.cli.add_command(pool_sweep)
    from bridgefund.jobs.cli import jobs_group

    app.cli.add_command(jobs_group)


@click.group("db", help="Database schema migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from bridgefund.migrate import upgrade

    upgrade(current_app.config["BRIDGEFUND"].database_url, revision)
    click.echo(f"database at {revision}")
    if revision == "heads":
        _rebuild_stale()


def _rebuild_stale() -> None:
    """Fill summaries that a migration left stale (books that existed before the summary tables)."""
    from bridgefund.services import summaries

    def run(session: Any) -> None:
        stale = summaries.stale(session)
        if stale:
            summaries.rebuild(session, stale, echo=click.echo)

    in_transaction(run)


@click.group("summaries", help="The per-day summary tables behind the as-of figures.")
def summaries_group() -> None:
    pass


@summaries_group.command("rebuild")
@with_appcontext
def summaries_rebuild() -> None:
    """Recompute the fund and pool summaries from the books (one transaction)."""
    from bridgefund.services import summaries

    in_transaction(lambda session: summaries.rebuild(session, echo=click.echo))


@summaries_group.command("check")
@click.option("--date", "dates", multiple=True, type=click.DateTime(["%Y-%m-%d"]),
              help="A date to compare on (repeatable; default: every month end of the books and today).")
@with_appcontext
def summaries_check(dates: tuple[Any, ...]) -> None:
    """Compare the summaries with the whole-history figures; exit 1 on any difference."""
    from bridgefund.services import summaries

    def run(session: Any) -> list[str]:
        from bridgefund.web import today

        days = [d.date() for d in dates] or summaries.check_dates(session, today())
        problems = summaries.check(session, days)
        click.echo(f"checked {len(days)} dates: {len(problems)} differences")
        return problems

    problems = in_transaction(run)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        raise SystemExit(1)


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1 or base)."""
    from bridgefund.migrate import downgrade

    downgrade(current_app.config["BRIDGEFUND"].database_url, revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (review it by hand before committing)."""
    from alembic import command

    from bridgefund.migrate import alembic_config

    command.revision(alembic_config(current_app.config["BRIDGEFUND"].database_url), message, autogenerate=True)


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "fund_manager", "bank_officer", "auditor"]))
@click.option("--bank", "bank_code", help="Bank code, for a bank_officer.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(username: str, role: str, bank_code: str | None, password_stdin: bool) -> None:
    """Create a user (the first admin, typically)."""
    from sqlalchemy import select

    from bridgefund.errors import DomainError
    from bridgefund.models import Bank
    from bridgefund.services import registry
    from bridgefund.services.actor import SYSTEM

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    def _create(session):  # noqa: ANN001, ANN202
        bank_id = None
        if bank_code:
            bank_id = session.scalar(select(Bank.id).where(Bank.code == bank_code.upper()))
            if bank_id is None:
                raise click.ClickException(f"no bank with code {bank_code}")
        return registry.create_user(session, SYSTEM, current_app.extensions["bridgefund.auth"], username=username,
                                    password=password, role=role, bank_id=bank_id)

    try:
        user = in_transaction(_create)
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()) or exc.detail
        raise click.ClickException(details) from exc
    click.echo(f"created {user.role} {user.username} (id {user.id})")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has banks.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load the demo story (spring 2020) into an empty database and print the demo logins."""
    from bridgefund.demo import load_demo

    if load_demo(current_app, if_empty=if_empty, echo=click.echo):
        from bridgefund.reports.cli import demo_report

        demo_report(current_app, echo=click.echo)  # after the story's commit: the PDF follows its record


def _create_app(*_args: Any, **_kwargs: Any) -> Flask:
    from bridgefund import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=True, help="BridgeFund administration.")
