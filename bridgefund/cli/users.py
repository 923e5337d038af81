"""``bridgefund create-user``: the first admin, typically."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.cli.common import fail, in_transaction
from bridgefund.errors import DomainError
from bridgefund.models import Bank, Role, User
from bridgefund.services import registry
from bridgefund.services.actor import SYSTEM


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--bank", "bank_code", help="Bank code, for a bank_officer.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(username: str, role: str, bank_code: str | None, password_stdin: bool) -> None:
    """Create a user (the first admin, typically)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    def create(session: Session) -> User:
        bank_id = None
        if bank_code:
            bank_id = session.scalar(select(Bank.id).where(Bank.code == bank_code.upper()))
            if bank_id is None:
                raise click.ClickException(f"no bank with code {bank_code}")
        return registry.create_user(session, SYSTEM, current_app.extensions["bridgefund.auth"], username=username,
                                    password=password, role=role, bank_id=bank_id)

    try:
        user = in_transaction(create)
    except DomainError as exc:
        raise fail(exc) from exc
    click.echo(f"created {user.role} {user.username} (id {user.id})")
