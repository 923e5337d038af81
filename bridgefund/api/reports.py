"""Reports: the monthly fund report (generated, archived, downloaded), bank statements and approval forms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, url_for

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.api.jobs import PREFER_DOC, accepted, wants_async
from bridgefund.jobs import enqueue_after_commit
from bridgefund.reports import service as reports
from bridgefund.schemas.common import page_of
from bridgefund.schemas.report import (
    LangArgs,
    MonthlyReportCreateSchema,
    ReportListArgs,
    ReportSchema,
    StatementArgs,
)
from bridgefund.services import bridge_loans
from bridgefund.web import access, actor, archived_report_download, check_role, db, session, settings, today

blp = Blueprint("reports", __name__, description="Reports: monthly fund report, bank statements, approval forms")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


_PDF = {"description": "The PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
_UNAVAILABLE = _problem("Rendering is unavailable on this server (the CJK font is not installed).")
#: Responses of the views that render a PDF on demand.
RENDER_DOC: dict[str, Any] = {"responses": {"200": _PDF, "503": _UNAVAILABLE}}
#: Responses of the archived-report download.
ARCHIVE_DOC: dict[str, Any] = {"responses": {
    "200": _PDF,
    "409": _problem("The archived file's bytes do not match the recorded SHA-256 (tampered archive)."),
    "410": _problem("The archived file is missing (lost before the archive moved into the database)."),
}}


def visible_bank(view: Callable[..., Any]) -> Callable[..., Any]:
    """404 for another bank before the query is read: an officer learns nothing about other banks."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_role()
        reports.check_bank_visible(session(), actor(), kwargs["bank_id"])
        return view(*args, **kwargs)

    return wrapper


def visible_loan(view: Callable[..., Any]) -> Callable[..., Any]:
    """404 for another bank's bridge loan before the query is read."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_role()
        bridge_loans.check_visible(session(), actor(), kwargs["loan_id"])
        return view(*args, **kwargs)

    return wrapper


def pdf_response(filename: str, data: bytes, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})


@blp.post("/reports/monthly")
@access(reports.generate_monthly_report)
@blp.arguments(MonthlyReportCreateSchema)
@blp.response(201, ReportSchema)
@blp.doc(responses={"503": _UNAVAILABLE, **PREFER_DOC["responses"]}, parameters=PREFER_DOC["parameters"])
def generate_monthly(body: dict):  # noqa: ANN201
    """Render the monthly fund report of a past month and archive it as a new version.

    Renders the PDF (WeasyPrint; Chinese `zh` by default or English `en`) from the figures as of the month's last day,
    stores the file in the database with its SHA-256, and answers the record with its `download_url`. 422
    for a month that has not ended; 503 when rendering is unavailable (no CJK font). Writes an audit event. With
    `Prefer: respond-async` it answers 202 at once with `Location: /api/v1/jobs/{id}` and renders in the background
    (the job's `result` links the report).
    """
    if wants_async():
        job = reports.start_monthly_report(session(), actor(), period=body["period"], lang=body["lang"], today=today())
        enqueue_after_commit(session(), job.id)
        return accepted(job)
    report = reports.generate_monthly_report(session(), actor(), period=body["period"], lang=body["lang"],
                                             today=today(), tz=settings().tz)
    return report, 201, {"Location": url_for("reports.get_report", report_id=report.id)}


@blp.get("/reports")
@access(reports.list_reports)
@blp.arguments(ReportListArgs, location="query")
@blp.response(200, page_of(ReportSchema, keyset=True))
@export.exportable(ReportSchema, export.REPORTS)
def list_reports(args: dict):  # noqa: ANN201
    """List archived reports, newest first (every version is kept).

    Filter by `period` and `lang`; keyset paging with `after_id`. Changes nothing.
    """
    return reports.list_reports(session(), actor(), **paging(args), period=args.get("period"), lang=args.get("lang"))


@blp.get("/reports/<int:report_id>")
@access(reports.get_report)
@blp.response(200, ReportSchema)
def get_report(report_id: int):  # noqa: ANN201
    """Show an archived report's record.

    Period, language, version, SHA-256, who generated it and when. Changes nothing.
    """
    return reports.get_report(session(), actor(), report_id)


@blp.get("/reports/<int:report_id>/pdf")
@access(reports.report_pdf)
@blp.doc(**ARCHIVE_DOC)
def report_pdf(report_id: int) -> Response:
    """Download an archived report; 409 if its bytes no longer match the recorded SHA-256, 410 if missing.

    The bytes are checked against the SHA-256 recorded at generation before they are sent. Changes nothing.
    """
    return archived_report_download(*reports.report_pdf(session(), actor(), report_id, db().sessionmaker))


@blp.get("/banks/<int:bank_id>/statement.pdf")
@access(reports.bank_statement_pdf)
@visible_bank
@blp.arguments(StatementArgs, location="query")
@blp.doc(**RENDER_DOC)
def bank_statement(args: dict, bank_id: int) -> Response:
    """Render a bank's statement of a past month (an officer only their own bank's).

    The bank's bridge loans and repayments, pool quota, new pool loans, repayments, claims and recoveries of `period`,
    as a PDF rendered on demand (not archived). 422 for a month that has not ended; 503 when rendering is unavailable.
    Changes nothing.
    """
    s = settings()
    filename, data = reports.bank_statement_pdf(session(), actor(), bank_id, period=args["period"],
                                                lang=args["lang"], today=today(), tz=s.tz)
    return pdf_response(filename, data)


@blp.get("/bridge-loans/<int:loan_id>/approval-form.pdf")
@access(reports.approval_form_pdf)
@visible_loan
@blp.arguments(LangArgs, location="query")
@blp.doc(**RENDER_DOC)
def approval_form(args: dict, loan_id: int) -> Response:
    """Render a bridge loan's approval form (审批表), scoped like the loan.

    The enterprise, maturing loan, renewal commitment, approved fee settings, every approval, the disbursement and
    repayments, as a PDF rendered on demand. 503 when rendering is unavailable. Changes nothing.
    """
    filename, data = reports.approval_form_pdf(session(), actor(), loan_id, lang=args["lang"], today=today(),
                                               tz=settings().tz)
    return pdf_response(filename, data)
