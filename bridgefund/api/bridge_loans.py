"""Bridge loans: the application, review, disbursement, repayments, default, write-off and recoveries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import url_for
from werkzeug.exceptions import HTTPException

from bridgefund.api import brief_view, export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.bridge_loan import (
    BridgeApproveSchema,
    BridgeLoanAsOfArgs,
    BridgeLoanBriefSchema,
    BridgeLoanCreateSchema,
    BridgeLoanListArgs,
    BridgeLoanSchema,
    BridgeOptionalReasonSchema,
    BridgeOptionalValueDateSchema,
    BridgeRecoveryCreateSchema,
    BridgeRejectSchema,
    BridgeRenewalApprovedSchema,
    BridgeRenewalDisbursedSchema,
    BridgeRepaymentCreateSchema,
    BridgeRepaymentResultSchema,
    BridgeValueDateSchema,
    BridgeWriteOffSchema,
    brief_items,
)
from bridgefund.schemas.common import page_of
from bridgefund.services import bridge_loans
from bridgefund.web import access, actor, session, today

blp = Blueprint("bridge_loans", __name__, description="Bridge loans (应急转贷), from application to repayment")


def visible_loan(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404, not 422, when an officer sends a bad body for another bank's loan: they learn nothing about it.

    The check runs only when the body is refused (the service scopes every lookup on the happy path anyway).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except HTTPException as exc:
            if exc.code in (400, 422):
                bridge_loans.check_visible(session(), actor(), kwargs["loan_id"])
            raise

    return wrapper


def _shown(loan):  # noqa: ANN001, ANN202
    """The loan with its figures as of today, as every action answers it."""
    return bridge_loans.with_figures([loan], today())[0]


@blp.post("/bridge-loans")
@access(bridge_loans.submit)
@blp.arguments(BridgeLoanCreateSchema)
@blp.response(201, BridgeLoanSchema)
def submit(body: dict):  # noqa: ANN201
    """Submit a bridge-loan application for an enterprise whose bank loan is about to mature.

    A bank officer submits for their own bank (`bank_id` is taken from the token; naming another bank is a 403); a
    fund manager must name `bank_id` (422 without). Checked: the enterprise exists, is micro/small/medium and in the
    zone; `amount` ≤ the maturing loan and ≤ `max_share_of_renewal` of the renewal; `term_days` ≤ `max_term_days`;
    the per-enterprise cap (422 naming the field). 409 when the bank is suspended. Creates the loan in status
    `submitted` and writes a `submit` audit event.
    """
    loan = bridge_loans.submit(session(), actor(), today=today(), **body)
    return _shown(loan), 201, {"Location": url_for("bridge_loans.get_loan", loan_id=loan.id)}


@blp.get("/bridge-loans")
@access(bridge_loans.list_loans)
@blp.arguments(BridgeLoanListArgs, location="query")
@blp.response(200, page_of(BridgeLoanSchema, keyset=True))
@export.exportable(BridgeLoanSchema, export.BRIDGE_LOANS)
@brief_view(BridgeLoanBriefSchema)
def list_loans(args: dict):  # noqa: ANN201
    """List bridge loans (an officer sees only their bank's), filtered by status, bank, enterprise, dates.

    Each loan with its figures as of today (`as_of`); `view=brief` lists each loan's own columns and enterprise
    only (`BridgeLoanBrief`), without the per-row fee math. Keyset paging with `after_id`. Changes nothing.
    """
    page = bridge_loans.list_loans(session(), actor(), **paging(args), today=today(), **args)
    if args.get("view") == "brief":
        page.items = brief_items(page.items)
    return page


@blp.get("/bridge-loans/<int:loan_id>")
@access(bridge_loans.get)
@visible_loan
@blp.arguments(BridgeLoanAsOfArgs, location="query")
@blp.response(200, BridgeLoanSchema)
def get_loan(args: dict, loan_id: int):  # noqa: ANN201
    """Show a bridge loan with its accrued fee, penalty and amount due as of a date (default today).

    Another bank's loan answers 404 to an officer. Changes nothing.
    """
    return bridge_loans.get(session(), actor(), loan_id, as_of=args.get("as_of") or today())


@blp.post("/bridge-loans/<int:loan_id>/approve")
@access(bridge_loans.approve)
@visible_loan
@blp.arguments(BridgeApproveSchema)
@blp.response(200, BridgeLoanSchema)
def approve(body: dict, loan_id: int):  # noqa: ANN201
    """Approve an application (never by its submitter; two managers at or above the dual-approval threshold).

    The loan is approved under the fund's settings of this moment (fee tiers, penalty rate), which it keeps. At or above
    `dual_approval_threshold` the first approval is recorded and a second manager completes it. 403 for the submitter
    (maker-checker), 409 for a second approval by the same manager or a loan not under review. Writes an `approve` audit
    event.
    """
    return _shown(bridge_loans.approve(session(), actor(), loan_id, today=today(), **body))


@blp.post("/bridge-loans/<int:loan_id>/reject")
@access(bridge_loans.reject)
@visible_loan
@blp.arguments(BridgeRejectSchema)
@blp.response(200, BridgeLoanSchema)
def reject(body: dict, loan_id: int):  # noqa: ANN201
    """Reject an application, with a reason.

    The loan ends in status `rejected`. 422 without a reason; 409 when it is no longer under review. Writes a `reject`
    audit event.
    """
    return _shown(bridge_loans.reject(session(), actor(), loan_id, today=today(), **body))


@blp.post("/bridge-loans/<int:loan_id>/withdraw")
@access(bridge_loans.withdraw)
@visible_loan
@blp.arguments(BridgeOptionalReasonSchema)
@blp.response(200, BridgeLoanSchema)
def withdraw(body: dict, loan_id: int):  # noqa: ANN201
    """Withdraw an application still under review (the submitting bank's officer).

    The loan ends in status `withdrawn`. 409 once it is approved or decided. Writes an audit event.
    """
    return _shown(bridge_loans.withdraw(session(), actor(), loan_id, **body))


@blp.post("/bridge-loans/<int:loan_id>/cancel")
@access(bridge_loans.cancel)
@visible_loan
@blp.arguments(BridgeOptionalReasonSchema)
@blp.response(200, BridgeLoanSchema)
def cancel(body: dict, loan_id: int):  # noqa: ANN201
    """Cancel an approved loan before it is disbursed.

    The loan ends in status `cancelled`. 409 unless it is approved and not yet disbursed. Writes an audit event.
    """
    return _shown(bridge_loans.cancel(session(), actor(), loan_id, **body))


@blp.post("/bridge-loans/<int:loan_id>/disburse")
@access(bridge_loans.disburse)
@visible_loan
@blp.arguments(BridgeValueDateSchema)
@blp.response(200, BridgeLoanSchema)
def disburse(body: dict, loan_id: int):  # noqa: ANN201
    """Pay an approved loan out on a value date; 409 when the fund's cash cannot cover it.

    Books the disbursement in the fund's ledger and sets the due date (`value_date` + `term_days`). `value_date` may not
    be before the application, in the future (422) or in a closed month (409); 409 unless the loan is approved. Writes a
    `disburse` audit event.
    """
    return _shown(bridge_loans.disburse(session(), actor(), loan_id, today=today(), **body))


@blp.post("/bridge-loans/<int:loan_id>/repayments")
@access(bridge_loans.repay)
@visible_loan
@blp.arguments(BridgeRepaymentCreateSchema)
@blp.response(201, BridgeRepaymentResultSchema)
def repay(body: dict, loan_id: int):  # noqa: ANN201
    """Record a repayment; it is split penalty → fee → principal and the answer shows the split and the loan.

    Fees accrue per day after disbursement by the approved tiers, the penalty per day overdue. `external_ref` (the
    bank's reference) is unique per bank: 409 when it was already used. 422 for an amount beyond what is due, a value
    date before the disbursement or the previous repayment; 409 for a closed month or a loan not disbursed. Writes a
    `repay` audit event; the loan becomes `repaid` when nothing is left.
    """
    result = bridge_loans.repay(session(), actor(), loan_id, today=today(), **body)
    _shown(result.loan)
    return result


@blp.post("/bridge-loans/<int:loan_id>/default")
@access(bridge_loans.declare_default)
@visible_loan
@blp.arguments(BridgeOptionalValueDateSchema)
@blp.response(200, BridgeLoanSchema)
def declare_default(body: dict, loan_id: int):  # noqa: ANN201
    """Declare a loan in default once it is at least `default_after_days` overdue.

    `value_date` defaults to today. 409 when the loan is not overdue long enough or not disbursed. The loan becomes
    `defaulted`; writes a `default` audit event.
    """
    t = today()
    return _shown(bridge_loans.declare_default(session(), actor(), loan_id, value_date=body.get("value_date") or t,
                                               today=t))


@blp.post("/bridge-loans/<int:loan_id>/write-off")
@access(bridge_loans.write_off)
@visible_loan
@blp.arguments(BridgeWriteOffSchema)
@blp.response(200, BridgeLoanSchema)
def write_off(body: dict, loan_id: int):  # noqa: ANN201
    """Write a defaulted loan off; its outstanding principal becomes a fund loss.

    Needs a `reason`; `value_date` defaults to today. 409 unless the loan is `defaulted`. Books the loss in the fund's
    ledger and writes a `write_off` audit event.
    """
    t = today()
    return _shown(bridge_loans.write_off(session(), actor(), loan_id, reason=body["reason"],
                                         value_date=body.get("value_date") or t, today=t))


@blp.post("/bridge-loans/<int:loan_id>/recoveries")
@access(bridge_loans.recover)
@visible_loan
@blp.arguments(BridgeRecoveryCreateSchema)
@blp.response(201, BridgeLoanSchema)
def recover(body: dict, loan_id: int):  # noqa: ANN201
    """Record money recovered on a written-off loan (back into the fund's cash).

    422 for an amount beyond what remains written off or a date before the write-off; 409 unless the loan is
    `written_off`. Books a recovery in the fund's ledger and writes an audit event.
    """
    return _shown(bridge_loans.recover(session(), actor(), loan_id, today=today(), **body))


@blp.post("/bridge-loans/<int:loan_id>/renewal/approved")
@access(bridge_loans.record_renewal_approved)
@visible_loan
@blp.arguments(BridgeRenewalApprovedSchema)
@blp.response(200, BridgeLoanSchema)
def renewal_approved(body: dict, loan_id: int):  # noqa: ANN201
    """Record that the bank approved the renewal (the loan's bank officer): the day and the amount.

    Once per loan, after the fund approved it (409 otherwise); `decided_on` not before the application, not in the
    future, not in a closed month. The loan's `renewal.status` becomes `approved`. Writes a `renewal_approved` audit
    event.
    """
    return _shown(bridge_loans.record_renewal_approved(session(), actor(), loan_id, today=today(), **body))


@blp.post("/bridge-loans/<int:loan_id>/renewal/disbursed")
@access(bridge_loans.record_renewal_disbursed)
@visible_loan
@blp.arguments(BridgeRenewalDisbursedSchema)
@blp.response(200, BridgeLoanSchema)
def renewal_disbursed(body: dict, loan_id: int):  # noqa: ANN201
    """Record that the bank disbursed the renewal (the loan's bank officer): value date, amount, new contract number.

    Once per loan, after the renewal's approval and the fund's disbursement (409 otherwise); `value_date` not before
    either. The loan's `renewal.status` becomes `disbursed`; the repayment that follows is linked to it
    (`renewal.repayment_id`). Writes a `renewal_disbursed` audit event.
    """
    return _shown(bridge_loans.record_renewal_disbursed(session(), actor(), loan_id, today=today(), **body))
