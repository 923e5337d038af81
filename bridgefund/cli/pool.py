"""``bridgefund import-pool-loans`` and ``bridgefund pool-sweep``: the pool's command-line tools."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.cli.common import fail, in_transaction, today
from bridgefund.errors import DomainError
from bridgefund.models import Bank
from bridgefund.services import pool, pool_import
from bridgefund.services.actor import SYSTEM


@click.command("import-pool-loans")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_code", required=True, help="Code of the bank the loans belong to, e.g. BOC-HN.")
@with_appcontext
def import_pool_loans(file: Path, bank_code: str) -> None:
    """Import pool loans from a CSV or XLSX FILE: every row or none."""
    data = file.read_bytes()

    def run(session: Session) -> Any:  # pool_import.ImportResult
        bank_id = session.scalar(select(Bank.id).where(Bank.code == bank_code.strip().upper()))
        if bank_id is None:
            raise click.ClickException(f"no bank with code {bank_code}")
        return pool_import.import_pool_loans(session, SYSTEM, today(), data, filename=file.name, bank_id=bank_id)

    try:
        result = in_transaction(run)
    except DomainError as exc:
        raise fail(exc) from exc
    click.echo(f"imported {result.created} pool loans: {', '.join(result.references[:5])}"
               + (" …" if result.created > 5 else ""))


@click.command("pool-sweep")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Business date (default today).")
@with_appcontext
def pool_sweep(as_of: dt.datetime | None) -> None:
    """Suspend every bank whose NPL ratio exceeds the threshold (run daily)."""
    day = as_of.date() if as_of else today()
    banks = in_transaction(lambda s: [b.code for b in pool.sweep_suspensions(s, SYSTEM, day)])
    click.echo(f"{day}: " + (f"suspended {', '.join(banks)}" if banks else "no bank suspended"))
