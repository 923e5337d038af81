"""``bridgefund report …``: render reports from the command line, and the demo's March 2020 report.

    bridgefund report monthly 2020-03 --lang zh -o march.pdf      # render to a file (nothing archived)
    bridgefund report monthly 2020-03 --archive                    # archive a new version, like POST /reports/monthly
    bridgefund report statement BOC-HN 2020-03 -o boc.pdf          # a bank's monthly statement
    bridgefund report approval-form BL-2020-000003 -o form.pdf     # a bridge loan's approval form
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from bridgefund.cli.common import fail, in_transaction, today
from bridgefund.errors import DomainError
from bridgefund.models import Bank, BridgeLoan
from bridgefund.reports import documents, service
from bridgefund.services.actor import SYSTEM

LANG = click.Choice(["zh", "en"])


def _settings() -> Any:
    return current_app.config["BRIDGEFUND"]


def archive_monthly(app: Flask, period: str, lang: str) -> Path:
    """Generate and archive the monthly report like ``POST /reports/monthly`` (as the system); return its file.

    One transaction; the file is written by the after-commit hook once it has committed."""
    s = app.config["BRIDGEFUND"]
    report = in_transaction(lambda session: service.generate_monthly_report(
        session, SYSTEM, period=period, lang=lang, today=today(app), reports_dir=s.reports_dir, tz=s.tz), app=app)
    return Path(s.reports_dir) / report.path  # committed: the after-commit hook has written the file


def demo_report(app: Flask, echo: Any = print) -> Path | None:
    """The demo's last chapter, after its commit: archive the March 2020 monthly report and say where it is."""
    try:
        path = archive_monthly(app, "2020-03", "zh")
    except DomainError as exc:
        echo(f"demo: the March 2020 report was not generated: {exc.detail}")
        return None
    echo(f"demo: the March 2020 monthly report (月度运行报告) is at {path.resolve()}")
    echo("      (English: bridgefund report monthly 2020-03 --lang en -o march-en.pdf)")
    return path


@click.group("report", help="Render report PDFs: the monthly fund report, bank statements, approval forms.")
def report_group() -> None:
    pass


@report_group.command("monthly")
@click.argument("period")
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF (default: monthly-PERIOD-LANG.pdf here).")
@click.option("--archive", is_flag=True, help="Also archive it as a new version, as POST /reports/monthly does.")
@with_appcontext
def monthly(period: str, lang: str, output: Path | None, archive: bool) -> None:
    """Render the monthly fund report of PERIOD (YYYY-MM), as of its last day."""
    output = output or Path(f"monthly-{period}-{lang}.pdf")
    try:
        if archive:
            stored = archive_monthly(current_app, period, lang)
            shutil.copyfile(stored, output)
            click.echo(f"archived {stored}")
        else:
            service.check_period_ended(period, today())
            with current_app.extensions["bridgefund.db"].sessionmaker() as session:
                data = service.monthly_figures(session, period)
            pdf = documents.monthly_report_pdf(data, lang=lang, version=0, generated_at=dt.datetime.now(_settings().tz))
            output.write_bytes(pdf)
    except DomainError as exc:
        raise fail(exc) from exc
    click.echo(f"wrote {output}")


@report_group.command("statement")
@click.argument("bank_code")
@click.argument("period")
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def statement(bank_code: str, period: str, lang: str, output: Path | None) -> None:
    """Render BANK_CODE's statement of PERIOD (YYYY-MM)."""
    with current_app.extensions["bridgefund.db"].sessionmaker() as session:
        bank_id = session.scalar(select(Bank.id).where(Bank.code == bank_code.upper()))
        if bank_id is None:
            raise click.ClickException(f"no bank with code {bank_code}")
        try:
            name, pdf = service.bank_statement_pdf(session, SYSTEM, bank_id, period=period, lang=lang, today=today(),
                                                   tz=_settings().tz)
        except DomainError as exc:
            raise fail(exc) from exc
    output = output or Path(name)
    output.write_bytes(pdf)
    click.echo(f"wrote {output}")


@report_group.command("approval-form")
@click.argument("reference")
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def approval_form(reference: str, lang: str, output: Path | None) -> None:
    """Render the approval form of the bridge loan REFERENCE (BL-YYYY-NNNNNN)."""
    with current_app.extensions["bridgefund.db"].sessionmaker() as session:
        loan_id = session.scalar(select(BridgeLoan.id).where(BridgeLoan.reference == reference.upper()))
        if loan_id is None:
            raise click.ClickException(f"no bridge loan {reference}")
        try:
            name, pdf = service.approval_form_pdf(session, SYSTEM, loan_id, lang=lang, today=today(),
                                                  tz=_settings().tz)
        except DomainError as exc:
            raise fail(exc) from exc
    output = output or Path(name)
    output.write_bytes(pdf)
    click.echo(f"wrote {output}")
