"""Pool loans: the list (an officer: their bank's) with each loan's figures as of a date, and a loan's page with its
installment schedule and repayments — the records of ``GET /pool-loans`` and ``GET /pool-loans/{id}``, from the same
services and query schemas."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from bridgefund.console import forms
from bridgefund.console.base import bp, current_actor, page
from bridgefund.errors import RuleViolation
from bridgefund.schemas.pool import AsOfArgs, PoolLoanListArgs
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
    for paging in ("page", "page_size", "total"):
        args.pop(paging, None)
    as_of = args.pop("as_of", None) or today()
    result = pool_loans.list_pool_loans(session(), actor, as_of, 1, PAGE_SIZE,
                                        count_limit=settings().exact_total_limit, **args)
    filters = {k: v for k, v in raw.items() if k != "after_id"}
    next_url = (url_for("console.pool_loans_list", **filters, after_id=result.next_after_id)
                if result.next_after_id else None)
    return page("console/pool_list.html", result=result, filters=filters, next_url=next_url, errors={}, as_of=as_of)


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
        return page("console/pool_detail.html", 422, loan=loan, as_of_errors=err.errors)
    loan = pool_loans.get_pool_loan(session(), actor, loan_id, args.get("as_of") or today())
    return page("console/pool_detail.html", loan=loan, as_of_errors={})
