"""Reports and period close in the console: the archive of monthly reports and bank statements (download, every
version), generating the monthly report through the queue with its progress shown as it runs, a bank's statement on
demand (an officer: their own bank's only), and closing a month after a confirmation that names what becomes
immutable — the close, too, through the queue (it writes the month snapshots: tens of seconds at scale).

Every view calls the service the API calls (``bridgefund.reports.service``, ``services.jobs``,
``services.periods``); the archive's storage is the report service's business, never the console's.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _

from bridgefund import exports
from bridgefund.console import export, forms, idempotency
from bridgefund.console.base import bp, current_actor, htmx, page
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.jobs import enqueue_after_commit, progress
from bridgefund.reports import service as reports
from bridgefund.schemas.period import PeriodSchema
from bridgefund.schemas.report import MonthlyReportCreateSchema, ReportListArgs, ReportSchema, StatementArgs
from bridgefund.services import fund, jobs, periods, pool, registry
from bridgefund.web import access, archived_report_download, content_disposition, db, session, settings, today

PAGE_SIZE = 25
#: Closed months a page of the periods list shows (the API pages this list by number).
PERIODS_PAGE = 24


def attachment(filename: str, data: bytes) -> Response:
    """PDF bytes as a download: an ASCII-only ``filename`` (nothing a header or a path could be made of) and the
    exact name as RFC 6266/5987 ``filename*``."""
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": content_disposition(filename)})


def last_month() -> str:
    first = today().replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


# --- the archive -------------------------------------------------------------------------------------------------


@bp.get("/reports")
@access(reports.list_reports)
def reports_page() -> Any:
    """The archived reports, newest first (every version kept), filters in the URL; the monthly report's generate
    form and a bank's statement."""
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in ("period", "lang", "after_id")}
    context: dict[str, Any] = {"filters": raw, "errors": {}, "result": None, "next_url": None,
                               "banks": _banks(actor), "values": {"period": last_month(), "lang": "zh"}}
    try:
        args = forms.load(ReportListArgs(), raw)
    except RuleViolation as err:
        return page("console/reports.html", 422, **{**context, "errors": err.errors})
    for paging in ("page", "page_size", "total", "format"):
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.REPORTS, ReportSchema, functools.partial(reports.list_reports, session(), actor),
                           args)
    result = reports.list_reports(session(), actor, 1, PAGE_SIZE, count_limit=settings().exact_total_limit, **args)
    filters = {k: v for k, v in raw.items() if k != "after_id"}
    next_url = url_for("console.reports_page", **filters, after_id=result.next_after_id) \
        if result.next_after_id else None
    return page("console/reports.html", **{**context, "filters": filters, "result": result, "next_url": next_url})


def _banks(actor: Any) -> list[Any]:
    if actor.is_officer:
        return [registry.get_bank(session(), actor, actor.bank_id)]
    return registry.list_banks(session(), actor, 1, 100).items


@bp.get("/reports/<int:report_id>/pdf")
@access(reports.report_pdf)
def report_download(report_id: int) -> Any:
    """An archived report's PDF, checked against its recorded SHA-256 (``GET /reports/{id}/pdf``)."""
    return archived_report_download(*reports.report_pdf(session(), current_actor(), report_id, db().sessionmaker))


# --- the monthly report, through the queue -------------------------------------------------------------------------


@bp.post("/reports/monthly")
@access(reports.start_monthly_report)
def generate_report() -> Any:
    """Queue the monthly report (``POST /reports/monthly`` with ``Prefer: respond-async``: the same checks, the same
    job), once per form; then the job's progress."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ("period", "lang")}
    try:
        body = forms.load(MonthlyReportCreateSchema(), forms.collect(request.form, fields=("period", "lang")))
        job = reports.start_monthly_report(session(), actor, period=body["period"], lang=body["lang"],
                                           today=today())
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        if htmx():  # the form comes back with its errors, in place of the form that was sent
            body_, status = page("console/partials/generate_form.html", err.status, errors=errors, detail=detail,
                                 values=values)
            return body_, status, {"HX-Retarget": "#generate-form", "HX-Reswap": "outerHTML"}
        return page("console/reports.html", err.status, errors=errors, detail=detail, values=values, filters={},
                    result=None, next_url=None, banks=_banks(actor))
    enqueue_after_commit(session(), job.id)
    # ``fresh``: the job's first answer also gives the form a new one-time key (the next report is a new job)
    return idempotency.done(url_for("console.job_page", job_id=job.id, fresh=1))


@bp.get("/jobs/<int:job_id>")
@access(jobs.get)
def job_page(job_id: int) -> Any:
    """A background job's status and progress; htmx polls the fragment until it is done, then it links what was
    made (another bank's job, like the API: 404)."""
    job = jobs.get(session(), current_actor(), job_id)
    percent = job.progress
    if job.status == "running":
        percent = max(percent, progress.read(current_app, job.id) or 0)
    template = "console/partials/job.html" if htmx() else "console/job.html"
    return page(template, job=job, percent=percent, fresh_key=htmx() and request.args.get("fresh") == "1")


# --- bank statements -----------------------------------------------------------------------------------------------


@bp.get("/statements")
@access(reports.bank_statement_pdf)
def statements_page() -> Any:
    """A bank's statement of a month (an officer: their own bank's)."""
    return page("console/statements.html", banks=_banks(current_actor()), errors={},
                values={"period": last_month(), "lang": "zh", "bank_id": ""})


@bp.get("/statements/pdf")
@access(reports.bank_statement_pdf)
def statement_download() -> Any:
    """The statement as a PDF (``GET /banks/{id}/statement.pdf``): another bank's → 404, before anything else."""
    actor = current_actor()
    values = {k: request.args.get(k, "") for k in ("bank_id", "period", "lang")}
    bank_id = forms.normalize_int(values["bank_id"])
    if not isinstance(bank_id, int):
        return page("console/statements.html", 422, banks=_banks(actor), values=values,
                    errors={"bank_id": [_("Choose a bank.")]})
    reports.check_bank_visible(session(), actor, bank_id)
    try:
        args = forms.load(StatementArgs(), forms.collect(request.args, fields=("period", "lang")))
        filename, data = reports.bank_statement_pdf(session(), actor, bank_id, period=args["period"],
                                                    lang=args["lang"], today=today(), tz=settings().tz)
    except DomainError as err:
        errors, detail = forms.field_errors(err)
        return page("console/statements.html", err.status, banks=_banks(actor), values=values, errors=errors,
                    detail=detail)
    return attachment(filename, data)


# --- closing a month -----------------------------------------------------------------------------------------------


@bp.get("/periods")
@access(periods.list_periods)
def periods_page() -> Any:
    """The closed months, latest first, and (admin) the form to close the next; the export holds every closed
    month."""
    if export.wanted():
        return export.xlsx(exports.PERIODS, PeriodSchema,
                           functools.partial(periods.list_periods, session(), current_actor()), {})
    raw = (request.args.get("page") or "1").strip()
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1
    closed = periods.list_periods(session(), current_actor(), number, PERIODS_PAGE)
    next_url = url_for("console.periods_page", page=number + 1) if number * PERIODS_PAGE < closed.total else None
    return page("console/periods.html", closed=closed, errors={}, values={"period": last_month()}, next_url=next_url)


@bp.get("/periods/confirm")
@access(periods.check_close)
def confirm_close() -> Any:
    """What closing the month will freeze — the month and every earlier open one, the fund's and the pool's figures
    as of its last day, each bank's statement, the monthly report — after the service has said it would accept it
    (``periods.check_close``: the close's own refusals, nothing written, no snapshot computed)."""
    actor = current_actor()
    period = (request.args.get("period") or "").strip()
    closed = periods.list_periods(session(), actor, 1, 24)
    s = session()
    try:
        periods.check_close(s, actor, period, today=today())
    except DomainError as err:
        errors, detail = forms.field_errors(err)
        return page("console/periods.html", err.status, closed=closed, errors=errors, detail=detail,
                    values={"period": period})
    first, last = periods.parse_period(period)
    latest = closed.items[0].last_day if closed.items else None
    months = _months_between(latest, last)
    return page("console/periods.html", closed=closed, errors={}, values={"period": period}, confirm={
        "period": period, "first": first, "last": last, "months": months,
        "fund": fund.position(s, actor, last), "pool": pool.position(s, actor, last),
        "banks": registry.list_banks(s, actor, 1, 100, as_of=last).items,
        "reports": reports.list_reports(s, actor, 1, 100, period=period).items,
    })


def _months_between(latest_closed: dt.date | None, last: dt.date) -> list[str]:
    """The months a close of ``last``'s month closes: every open one up to it (at most the last 24 shown)."""
    months, day = [], last
    while (latest_closed is None or day > latest_closed) and len(months) < 24:
        months.append(f"{day:%Y-%m}")
        day = day.replace(day=1) - dt.timedelta(days=1)
    return months[::-1]


@bp.post("/periods/close")
@access(periods.start_close_period)
def close_period() -> Any:
    """Close the month through the queue (``POST /periods/{period}/close`` with ``Prefer: respond-async``: the same
    refusals at once, the same close in the job), once per confirmation; then the job's progress, as the reports
    screen shows a report's."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    period = (request.form.get("period") or "").strip()
    try:
        job = periods.start_close_period(session(), actor, period, today=today())
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        return page("console/periods.html", err.status, closed=periods.list_periods(session(), actor, 1, 24),
                    errors=errors, detail=detail, values={"period": period})
    enqueue_after_commit(session(), job.id)
    return idempotency.done(url_for("console.job_page", job_id=job.id))
