"""Pool loans: the list (an officer: their bank's) with each loan's figures as of a date, and a loan's page with its
installment schedule and repayments — the records of ``GET /pool-loans`` and ``GET /pool-loans/{id}``, from the same
services and query schemas."""

from __future__ import annotations

import functools
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _

from bridgefund import exports
from bridgefund.console import document_section, export, forms, idempotency
from bridgefund.console.base import bp, current_actor, money, page
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.schemas.pool import AsOfArgs, PoolLoanListArgs, PoolLoanSummarySchema, PoolRepaymentCreateSchema
from bridgefund.services import pool_loans
from bridgefund.web import access, session, settings, today

PAGE_SIZE = 25
LIST_FILTERS = ("status", "classification", "as_of", "bank_id", "enterprise_id")


@bp.get("/pool-loans")
@access(pool_loans.list_pool_loans)
def pool_loans_list() -> Any:
    """Pool loans newest first, each evaluated on ``as_of`` (today by default); filters in the URL, keyset paging."""
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in (*LIST_FILTERS, "after_id")}
    try:
        args = forms.load(PoolLoanListArgs(), raw)
    except RuleViolation as err:
        return page("console/pool_list.html", 422, errors=err.errors, filters=raw, result=None, as_of=None)
    for paging in ("page", "page_size", "total", "format"):  # the console pages by after_id
        args.pop(paging, None)
    as_of = args.pop("as_of", None) or today()
    if export.wanted():
        return export.xlsx(exports.POOL_LOANS, PoolLoanSummarySchema,
                           functools.partial(pool_loans.list_pool_loans, session(), actor, as_of), args)
    result = pool_loans.list_pool_loans(session(), actor, as_of, 1, PAGE_SIZE,
                                        count_limit=settings().exact_total_limit, **args)
    filters = {k: v for k, v in raw.items() if k != "after_id"}
    next_url = (url_for("console.pool_loans_list", **filters, after_id=result.next_after_id)
                if result.next_after_id else None)
    return page("console/pool_list.html", result=result, filters=filters, next_url=next_url, errors={}, as_of=as_of)


def _detail(loan: Any, status: int = 200, *, upload: document_section.UploadState = document_section.NO_UPLOAD,
            **context: Any) -> Any:
    """The loan's page: its terms, schedule, repayments, claims and documents (``context``: the forms' state)."""
    context = {"as_of_errors": {}, "errors": {}, "values": {}, **context}
    return page("console/pool_detail.html", status, loan=loan,
                docs=document_section.section("pool_loan", loan.id, upload=upload), **context)


@bp.get("/pool-loans/<int:loan_id>")
@access(pool_loans.get_pool_loan)
def pool_loan(loan_id: int) -> Any:
    """A pool loan: its terms, the installment schedule and the repayments, evaluated as of a date (another bank's
    loan is a 404 page for an officer)."""
    actor = current_actor()
    try:
        args = forms.load(AsOfArgs(), {k: v for k, v in request.args.items() if v.strip()})
    except RuleViolation as err:
        loan = pool_loans.get_pool_loan(session(), actor, loan_id, today())
        return _detail(loan, 422, as_of_errors=err.errors)
    return _detail(pool_loans.get_pool_loan(session(), actor, loan_id, args.get("as_of") or today()))


# --- recording a repayment: confirmation first, then once per one-time key ---------------------------------------

REPAY_FIELDS = ("amount", "value_date", "external_ref")


def _repayment_body(source: Any) -> dict[str, Any]:
    return forms.load(PoolRepaymentCreateSchema(), forms.collect(source, fields=REPAY_FIELDS, money=("amount",)))


@bp.get("/pool-loans/<int:loan_id>/confirm/repay")
@access(pool_loans.record_repayment)
def confirm_pool_repayment(loan_id: int) -> Any:
    """What a repayment will record (amount, value date, the bank's reference) before it is sent."""
    actor = current_actor()
    loan = pool_loans.get_pool_loan(session(), actor, loan_id, today())
    values = {k: request.args.get(k, "") for k in REPAY_FIELDS}
    try:
        body = _repayment_body(request.args)
    except RuleViolation as err:
        return _detail(loan, err.status, errors=err.errors, values=values)
    return _detail(loan, values=values, confirm=body)


@bp.post("/pool-loans/<int:loan_id>/repay")
@access(pool_loans.record_repayment)
def record_pool_repayment(loan_id: int) -> Any:
    """Record the repayment (``POST /pool-loans/{id}/repayments``: the same schema and service), once per
    confirmation; a refusal shows each field's error and changes nothing."""
    actor = current_actor()
    pool_loans.visible_loan(session(), actor, loan_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in REPAY_FIELDS}
    try:
        repayment, loan = pool_loans.record_repayment(session(), actor, today(), loan_id,
                                                      **_repayment_body(request.form))
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        loan = pool_loans.get_pool_loan(session(), actor, loan_id, today())
        return _detail(loan, err.status, errors=errors, detail=detail, values=values)
    flash(_("Repayment of %(amount)s recorded on %(reference)s.", amount=money(repayment.amount),
            reference=loan.reference), "success")
    return idempotency.done(url_for("console.pool_loan", loan_id=loan_id))


# --- documents: the loan's papers (downloads: console.document_section) -----------------------------------------


def _show_refused_upload(loan_id: int, state: document_section.UploadState, status: int) -> Any:
    return _detail(pool_loans.get_pool_loan(session(), current_actor(), loan_id, today()), status, upload=state)


document_section.add_upload_route("/pool-loans/<int:loan_id>/documents", "upload_pool_loan_document", "pool_loan",
                                  "console.pool_loan", _show_refused_upload)
