"""Reports: generating and archiving the monthly fund report, serving archived PDFs, and the on-demand
bank statement and approval form — each scoped like the records it shows. What ``api/reports.py`` and
``bridgefund report …`` call; it sits above the services and the figures it reads (``services.report_data``).

**The archive is in the database.** ``generate_monthly_report`` renders the PDF *first* (a failed render raises
before anything is added, so it leaves no record), then stores its bytes in chunks (``services.files``), adds the
:class:`Report` row and its audit event — all in the one transaction the boundary commits: a rollback leaves
neither row nor bytes, a commit leaves both. No instance keeps a local directory; any instance serves any report
(``bridgefund export-files`` writes copies to disk for those who want them).

**Downloads** check the stored bytes against the row's SHA-256 (one pass over the chunks) before streaming them
(a second pass, one chunk at a time): a mismatch answers 409 (tampered archive), a row without bytes (a file lost
before migration 0017 read the old archive directory into the database) answers 410 Gone, never a 500.

**Figures from the replica.** With ``BRIDGEFUND_REPLICA_DATABASE_URL`` set, the *data* of a monthly report or a bank
statement (never the report's record, its version or its audit event) is read from the read replica — but only for
a month the replica itself already shows closed (:func:`figures_session`). A streaming replica replays commits in
their order and may lag; no booking can be value-dated in a month once it is closed (and a close is never undone),
so a replica that has replayed the close has replayed every booking of the month: its figures are the primary's.
A month not yet closed (a draft report), or one the replica has not yet seen closed, reads the primary, as does
everything when the replica cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.errors import (
    ArchiveMissing,
    ArchiveTampered,
    NotFound,
    RenderFailed,
    ReportUnavailable,
    RuleViolation,
)
from bridgefund.models import Bank, Job, JobKind, Report, ReportKind, Role
from bridgefund.reports import documents
from bridgefund.reports.render import FontMissing, RenderError
from bridgefund.services import audit, bridge_loans, files, jobs
from bridgefund.services.actor import Actor
from bridgefund.services.common import Page, last_closed_day, paginate
from bridgefund.services.report_data import (
    approval_form_data,
    bank_statement_data,
    monthly_report_data,
    parse_period,
)
from bridgefund.services.report_data import trend as trend_data
from bridgefund.services.unit_of_work import replica_of

log = logging.getLogger(__name__)

ENTITY = "report"
LANGS = ("zh", "en")


# ------------------------------------------------------------------------------------------ helpers


def check_lang(lang: Any, field: str = "lang") -> str:
    if lang not in LANGS:
        raise RuleViolation.on(field, "must be zh or en")
    return lang


def _rendered(render: Callable[[], bytes]) -> bytes:
    try:
        return render()
    except FontMissing as exc:
        log.error("report rendering unavailable: %s", exc)
        raise ReportUnavailable(str(exc)) from exc
    except RenderError as exc:
        log.exception("report rendering failed")
        raise RenderFailed(f"the PDF could not be rendered: {exc}") from exc


def check_period_ended(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    first, last = parse_period(period)
    if last >= today:
        raise RuleViolation.on("period", f"{period} has not ended yet (today is {today}): reports are as of a "
                                         "month's last day")
    return first, last


@contextmanager
def figures_session(session: Session, last_day: dt.date) -> Iterator[Session]:
    """The session to read report figures as of ``last_day`` from: the replica's (one read-only transaction) when the
    app has a replica and the replica shows the month of ``last_day`` closed; else ``session`` itself (the primary)."""
    replica = replica_of(session)
    if replica is None:
        yield session
        return
    reads = replica()
    try:
        try:
            closed = last_closed_day(reads)
        except DBAPIError:
            log.warning("read replica unreachable: report figures are read from the primary", exc_info=True)
            closed = None
        if closed is not None and last_day <= closed:
            yield reads
            return
    finally:
        reads.close()
    yield session


def monthly_figures(session: Session, period: str) -> dict[str, Any]:
    """Every figure of the monthly report of ``period``; a closed month's from the replica (:func:`figures_session`)."""
    _first, last_day = parse_period(period)
    with figures_session(session, last_day) as reads:
        return monthly_report_data(reads, period)


def _statement_figures(session: Session, bank: Bank, period: str) -> dict[str, Any]:
    """One bank's statement figures of ``period``, from the replica for a closed month."""
    _first, last_day = parse_period(period)
    with figures_session(session, last_day) as reads:
        return bank_statement_data(reads, reads.get(Bank, bank.id) or bank, period)


# ---------------------------------------------------------------------------------- monthly reports


def _archive(session: Session, actor: Actor, *, kind: str, period: str, lang: str, version: int, pdf: bytes,
             name: str, last_day: dt.date, bank_id: int | None = None) -> Report:
    """The one way a PDF enters the archive (the API, the CLI and the jobs all come here): its bytes stored in
    chunks (``services.files``), the :class:`Report` row and its audit event, all in the caller's transaction."""
    stored = files.store_bytes(session, pdf)
    report = Report(kind=kind, bank_id=bank_id, period=period, lang=lang, version=version, sha256=stored.sha256,
                    path=f"{kind}/{period}/{name}", byte_size=stored.byte_size, file_id=stored.id,
                    created_by=actor.id, draft=_is_draft(session, last_day))
    session.add(report)
    session.flush()
    audit.record(session, actor, "generate", ENTITY, report.id, after=report.snapshot())
    return report


@allows(Role.admin, Role.fund_manager)
def generate_monthly_report(session: Session, actor: Actor, *, period: str, lang: str, today: dt.date,
                            tz: dt.tzinfo) -> Report:
    """Render the monthly report of ``period`` in ``lang``, archive it in the database as the next version and
    record the audit event. Admin and fund managers."""
    check_lang(lang)
    _first, last_day = check_period_ended(period, today)
    kind = ReportKind.monthly.value
    version = (session.scalar(select(func.max(Report.version)).where(
        Report.period == period, Report.kind == kind, Report.lang == lang)) or 0) + 1
    data = monthly_figures(session, period)
    generated_at = dt.datetime.now(tz)
    pdf = _rendered(lambda: documents.monthly_report_pdf(data, lang=lang, version=version,
                                                         generated_at=generated_at))
    return _archive(session, actor, kind=kind, period=period, lang=lang, version=version, pdf=pdf,
                    name=f"{kind}-{period}-{lang}-v{version}.pdf", last_day=last_day)


@allows(Role.admin, Role.fund_manager)
def start_monthly_report(session: Session, actor: Actor, *, period: str, lang: str, today: dt.date) -> Job:
    """Queue the monthly report of ``period`` (``POST /reports/monthly`` with ``Prefer: respond-async``): the same
    checks as the synchronous path first (role, language, a month that has ended), so bad input is still a 4xx."""
    check_lang(lang)
    check_period_ended(period, today)
    return jobs.create(session, actor, JobKind.monthly_report,
                       {"period": period, "lang": lang, "today": today.isoformat()})


def _is_draft(session: Session, last_day: dt.date) -> bool:
    """A report of a month not yet closed is a draft: bookings dated in it may still change its figures."""
    closed = last_closed_day(session)
    return closed is None or last_day > closed


@allows(Role.admin, Role.fund_manager)
def archive_bank_statement(session: Session, actor: Actor, bank_id: int, *, period: str, lang: str, today: dt.date,
                           tz: dt.tzinfo) -> Report:
    """Render one bank's statement of ``period`` and archive it in the database as the next version of (period,
    bank, lang), like the monthly report (the 07:00 run on the 1st does it for every partner)."""
    bank = check_bank_visible(session, actor, bank_id)
    check_lang(lang)
    _first, last_day = check_period_ended(period, today)
    kind = ReportKind.bank_statement.value
    version = (session.scalar(select(func.max(Report.version)).where(
        Report.period == period, Report.bank_id == bank.id, Report.lang == lang)) or 0) + 1
    data = _statement_figures(session, bank, period)
    pdf = _rendered(lambda: documents.bank_statement_pdf(data, lang=lang, generated_at=dt.datetime.now(tz)))
    return _archive(session, actor, kind=kind, period=period, lang=lang, version=version, pdf=pdf,
                    name=f"{kind}-{bank.code}-{period}-{lang}-v{version}.pdf", last_day=last_day, bank_id=bank.id)


@allows(Role.admin, Role.fund_manager, Role.auditor)
def trend(session: Session, actor: Actor, as_of: dt.date) -> list[dict[str, Any]]:
    """The 12-month trend of bridge and pool lending up to ``as_of`` (the roles that see the fund's figures)."""
    return trend_data(session, as_of)


@allows(Role.admin, Role.fund_manager, Role.auditor)
def list_reports(session: Session, actor: Actor, page: int, page_size: int, *, period: str | None = None,
                 lang: str | None = None, after_id: int | None = None,
                 count_limit: int | None = None) -> Page[Report]:
    stmt = select(Report).order_by(Report.id.desc())
    if period is not None:
        parse_period(period)
        stmt = stmt.where(Report.period == period)
    if lang is not None:
        stmt = stmt.where(Report.lang == check_lang(lang))
    return paginate(session, stmt, page, page_size, key=Report.id, after_id=after_id, count_limit=count_limit)


@allows(Role.admin, Role.fund_manager, Role.auditor)
def get_report(session: Session, actor: Actor, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"report {report_id} does not exist")
    return report


@allows(Role.admin, Role.fund_manager, Role.auditor)
def report_pdf(session: Session, actor: Actor, report_id: int,
               sessions: Callable[[], Session]) -> tuple[Report, Iterator[bytes]]:
    """An archived report and its bytes (streamed from the database on sessions of ``sessions``), after checking
    them against the record's SHA-256."""
    report = get_report(session, actor, report_id)
    if report.file_id is None:
        raise ArchiveMissing(
            f"the file of report {report_id} (version {report.version}) is missing from the archive: it was lost "
            "before the archive moved into the database. Generate the report again: that makes a new version")
    digest = files.digest(session, report.file_id)
    if digest != report.sha256:
        log.error("report %s: stored bytes have sha256 %s, the record says %s", report.id, digest, report.sha256)
        raise ArchiveTampered(
            f"the archived file of report {report_id} does not match its recorded SHA-256: it was changed after "
            "it was generated", {"sha256": ["mismatch"]}, expected_sha256=report.sha256)
    return report, files.chunks(sessions, report.file_id, report.sha256)


def archived_pdf(session: Session, report: Report) -> bytes | None:
    """A report's whole PDF (exports to disk), or None if its bytes were lost."""
    return None if report.file_id is None else files.read_all(session, report.file_id)


# ------------------------------------------------------------------------------ on-demand documents


def check_bank_visible(session: Session, actor: Actor, bank_id: int) -> Bank:
    """The bank, if the actor may see it; another bank is simply not found (no enumeration)."""
    bank = session.get(Bank, bank_id)
    if bank is None or not actor.sees_bank(bank.id):
        raise NotFound(f"bank {bank_id} does not exist")
    return bank


@allows(Role.admin, Role.fund_manager, Role.auditor, Role.bank_officer)
def bank_statement_pdf(session: Session, actor: Actor, bank_id: int, *, period: str, lang: str,
                       today: dt.date, tz: dt.tzinfo) -> tuple[str, bytes]:
    """One bank's month as a PDF: staff, auditors and that bank's officers (another bank's → 404)."""
    bank = check_bank_visible(session, actor, bank_id)
    check_lang(lang)
    check_period_ended(period, today)
    data = _statement_figures(session, bank, period)
    pdf = _rendered(lambda: documents.bank_statement_pdf(data, lang=lang, generated_at=dt.datetime.now(tz)))
    return f"statement-{bank.code}-{period}-{lang}.pdf", pdf


@allows(SIGNED_IN)
def approval_form_pdf(session: Session, actor: Actor, loan_id: int, *, lang: str, today: dt.date,
                      tz: dt.tzinfo) -> tuple[str, bytes]:
    """A bridge loan's approval form (审批表), scoped like the loan (another bank's officer → 404)."""
    check_lang(lang)
    loan = bridge_loans.get(session, actor, loan_id, as_of=today)
    data = approval_form_data(session, loan)
    pdf = _rendered(lambda: documents.approval_form_pdf(data, lang=lang, generated_at=dt.datetime.now(tz)))
    return f"approval-form-{loan.reference or loan.id}.pdf", pdf
