"""``bridgefund db upgrade|downgrade|revision``: the schema migrations (Alembic)."""

from __future__ import annotations

import click
from alembic import command
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from bridgefund.cli.common import in_transaction
from bridgefund.figures.rebuild import rebuild, stale
from bridgefund.migrate import alembic_config, downgrade, upgrade


@click.group("db", help="Database schema migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    upgrade(current_app.config["BRIDGEFUND"].database_url, revision)
    click.echo(f"database at {revision}")
    if revision == "heads":
        in_transaction(_rebuild_stale)


def _rebuild_stale(session: Session) -> None:
    """Fill summaries that a migration left stale (books that existed before the summary tables)."""
    names = stale(session)
    if names:
        rebuild(session, names, echo=click.echo)


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1 or base)."""
    downgrade(current_app.config["BRIDGEFUND"].database_url, revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (review it by hand before committing)."""
    command.revision(alembic_config(current_app.config["BRIDGEFUND"].database_url), message, autogenerate=True)
