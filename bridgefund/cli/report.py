"""``bridgefund report …``: render reports from the command line, and the demo's March 2020 report.

    bridgefund report monthly 2020-03 --lang zh -o march.pdf      # render to a file (nothing archived)
    bridgefund report monthly 2020-03 --archive                    # archive a new version, like POST /reports/monthly
    bridgefund report statement BOC-HN 2020-03 -o boc.pdf          # a bank's monthly statement
    bridgefund report approval-form BL-2020-000003 -o form.pdf     # a bridge loan's approval form
    bridgefund export-files [--to reports/]                        # copies of the archive and documents on disk
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from bridgefund.cli.common import fail, in_transaction, today
from bridgefund.errors import DomainError
from bridgefund.models import Bank, BridgeLoan, Document, Report
from bridgefund.reports import documents, service
from bridgefund.services import files
from bridgefund.services.actor import SYSTEM

LANG = click.Choice(["zh", "en"])


def _settings() -> Any:
    return current_app.config["BRIDGEFUND"]


def archive_monthly(app: Flask, period: str, lang: str) -> Path:
    """Generate and archive the monthly report like ``POST /reports/monthly`` (as the system), in the database;
    then, the transaction committed, write a copy under the reports folder (``BRIDGEFUND_REPORTS_DIR``, default
    ``reports/``) and return its path."""
    s = app.config["BRIDGEFUND"]
    report_id, path = in_transaction(lambda session: _archived(session, period, lang, app), app=app)
    db = app.extensions["bridgefund.db"]
    with db.sessionmaker() as session:
        return write_copy(Path(s.reports_dir) / path, service.archived_pdf(session, session.get(Report, report_id)))


def _archived(session: Any, period: str, lang: str, app: Flask) -> tuple[int, str]:
    s = app.config["BRIDGEFUND"]
    report = service.generate_monthly_report(session, SYSTEM, period=period, lang=lang, today=today(app), tz=s.tz)
    return report.id, report.path


def write_copy(target: Path, data: bytes | None) -> Path:
    """Write ``data`` to ``target`` through a temporary name and a rename (a reader never sees half a file)."""
    if data is None:
        raise click.ClickException(f"{target.name}: the stored bytes are missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{target.name}")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


@click.command("export-files")
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder to write into (default: BRIDGEFUND_REPORTS_DIR, i.e. reports/).")
@with_appcontext
def export_files(to: Path | None) -> None:
    """Write copies of every archived report PDF and every document from the database to a folder.

    Reports as monthly/PERIOD/monthly-PERIOD-LANG-vN.pdf, documents as documents/SUBJECT/ID/KIND-vN-FILENAME.
    Existing files with the same bytes are left alone; the database stays the archive of record."""
    root = to or Path(_settings().reports_dir)
    written = kept = lost = 0
    with current_app.extensions["bridgefund.db"].sessionmaker() as session:
        targets: list[tuple[Path, int | None, str]] = [
            (root / r.path, r.file_id, r.sha256) for r in session.scalars(select(Report).order_by(Report.id))]
        targets += [(root / "documents" / d.subject_type / str(d.subject_id) / f"{d.kind}-v{d.version}-{d.filename}",
                     d.file_id, d.sha256) for d in session.scalars(select(Document).order_by(Document.id))]
        for target, file_id, sha256 in targets:
            if file_id is None:
                lost += 1
                continue
            if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
                kept += 1
                continue
            write_copy(target, files.read_all(session, file_id))
            written += 1
    click.echo(f"exported to {root}: {written} written, {kept} already there, {lost} without stored bytes")


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
            if output.resolve() != stored.resolve():
                shutil.copyfile(stored, output)
            click.echo(f"archived (a copy at {stored})")
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
