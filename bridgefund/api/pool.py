"""The risk-compensation pool: position, settings, contributions, pool loans, repayments, claims, recoveries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, request

from bridgefund.api import brief_view, export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.api.jobs import PREFER_DOC, accepted, wants_async
from bridgefund.errors import RuleViolation
from bridgefund.jobs import enqueue_after_commit
from bridgefund.parsing import pool_file
from bridgefund.schemas.common import ListArgs, page_of
from bridgefund.schemas.pool import (
    AsOfArgs,
    ClaimApproveSchema,
    ClaimFileSchema,
    ClaimListArgs,
    ClaimPaySchema,
    ClaimRejectSchema,
    ClaimSchema,
    ContributionSchema,
    ImportResultSchema,
    InstallmentSchema,
    PoolLedgerEntrySchema,
    PoolLoanBriefSchema,
    PoolLoanCreateSchema,
    PoolLoanListArgs,
    PoolLoanSchema,
    PoolLoanSummarySchema,
    PoolPositionSchema,
    PoolRecoveryCreateSchema,
    PoolRecoverySchema,
    PoolRepaymentCreateSchema,
    PoolRepaymentResultSchema,
    PoolSettingsPutSchema,
    PoolSettingsSchema,
    PoolWriteOffSchema,
    pool_brief_items,
    pool_summary_items,
)
from bridgefund.services import claims, jobs, pool, pool_import, pool_loans, pool_write_off
from bridgefund.web import access, actor, check_role, session, today

blp = Blueprint("pool", __name__, description="The risk-compensation pool (风险补偿资金池)")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_pool_loan(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404 for another bank's pool loan before the body is read: an officer learns nothing about it (a role
    the operation refuses is 403 first)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_role()
        pool_loans.visible_loan(session(), actor(), kwargs["pool_loan_id"])
        return view(*args, **kwargs)

    return wrapper


def visible_claim(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404 for another bank's claim before the body is read; a role the operation refuses is 403 first."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_role()
        claims.get_claim(session(), actor(), kwargs["claim_id"])
        return view(*args, **kwargs)

    return wrapper


# --- the pool --------------------------------------------------------------------------------------


@blp.get("/pool")
@access(pool.position)
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, PoolPositionSchema)
def get_pool(args: dict):  # noqa: ANN201
    """Show the pool's figures, now or ``?as_of=``.

    Contributions, balance, claims paid, recoveries, total quota, guaranteed outstanding, leverage used and NPL ratio
    (the same figures as the monthly report). Changes nothing.
    """
    return pool.position(session(), actor(), args.get("as_of") or today())


@blp.get("/pool/settings")
@access(pool.get_settings)
@blp.response(200, PoolSettingsSchema)
def get_settings():  # noqa: ANN201
    """Show the pool's rules.

    Leverage, default pool share, claim threshold, NPL thresholds, loan and rate caps, penalty markup. Changes nothing.
    """
    return pool.get_settings(session(), actor())


@blp.put("/pool/settings")
@access(pool.put_settings)
@blp.arguments(PoolSettingsPutSchema)
@blp.response(200, PoolSettingsSchema)
def put_settings(body: dict):  # noqa: ANN201
    """Replace the pool's rules.

    The whole settings object is sent. Lowering `leverage` below what the banks' quotas already use answers 409;
    `default_pool_share` above 1 is a 422. The rules are not dated, so a `claim_after_days_overdue` or
    `pool_loss_threshold` that would change a figure as of a day of a closed month answers 409 (period-closed).
    Writes an `update_settings` audit event with the old and new rules.
    """
    return pool.put_settings(session(), actor(), body)


@blp.post("/pool/contributions")
@access(pool.contribute)
@blp.arguments(ContributionSchema)
@blp.response(201, PoolLedgerEntrySchema)
def contribute(body: dict):  # noqa: ANN201
    """Book a contribution of public money into the pool.

    Raises the pool's balance and, by the leverage, the room for banks' quotas. `value_date` may not be in the future
    (422) or in a closed month (409). Writes an audit event with the ledger entry.
    """
    entry = pool.contribute(session(), actor(), today(), **body)
    entry.balance_after = pool.balance_after(session(), entry)
    return entry


@blp.get("/pool/ledger")
@access(pool.list_ledger)
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_of(PoolLedgerEntrySchema))
@export.exportable(PoolLedgerEntrySchema, export.POOL_LEDGER)
def list_ledger(args: dict):  # noqa: ANN201
    """List the pool's ledger entries (newest value date first) with the balance after each.

    Contributions, claim payouts and recoveries. Changes nothing.
    """
    return pool.list_ledger(session(), actor(), **paging(args))


# --- pool loans ------------------------------------------------------------------------------------


@blp.post("/pool-loans")
@access(pool_loans.create_pool_loan)
@blp.arguments(PoolLoanCreateSchema)
@blp.response(201, PoolLoanSchema)
def create_pool_loan(body: dict):  # noqa: ANN201
    """Report a loan under the pool's cover; answers with its schedule.

    An officer reports for their own bank (naming another is a 403), a fund manager must name `bank_id`. Checked:
    the enterprise is eligible, the principal and rate are within the pool's caps, pool share + guarantor share ≤
    100% (422); the contract is new (409), the bank is not suspended and its quota covers the principal (409).
    Creates the loan and its installment schedule; writes a `create` audit event.
    """
    loan = pool_loans.create_pool_loan(session(), actor(), today(), **body)
    return pool_loans.get_pool_loan(session(), actor(), loan.id, max(loan.start_date, today()))


@blp.get("/pool-loans")
@access(pool_loans.list_pool_loans)
@blp.arguments(PoolLoanListArgs, location="query")
@blp.response(200, page_of(PoolLoanSummarySchema, keyset=True))
@export.exportable(PoolLoanSummarySchema, export.POOL_LOANS)
@brief_view(PoolLoanBriefSchema)
def list_pool_loans(args: dict):  # noqa: ANN201
    """List pool loans (a bank officer sees only their bank's), evaluated ``?as_of=``.

    Each loan's outstanding principal, amount due, days past due and five-tier classification as of the date;
    `view=brief` lists each loan's own columns only (`PoolLoanBrief`), without the per-row schedule and
    classification. Keyset paging with `after_id`. Changes nothing.
    """
    as_of = args.pop("as_of", None) or today()
    page = pool_loans.list_pool_loans(session(), actor(), as_of, **paging(args), **args)
    page.items = (pool_brief_items if args.get("view") == "brief" else pool_summary_items)(page.items)
    return page


@blp.get("/pool-loans/<int:pool_loan_id>")
@access(pool_loans.get_pool_loan)
@visible_pool_loan
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, PoolLoanSchema)
def get_pool_loan(args: dict, pool_loan_id: int):  # noqa: ANN201
    """Show a pool loan with its schedule, repayments and claims, evaluated ``?as_of=``.

    Another bank's loan answers 404 to an officer. Changes nothing.
    """
    return pool_loans.get_pool_loan(session(), actor(), pool_loan_id, args.get("as_of") or today())


@blp.get("/pool-loans/<int:pool_loan_id>/schedule")
@access(pool_loans.get_pool_loan)
@visible_pool_loan
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, InstallmentSchema(many=True))
def get_schedule(args: dict, pool_loan_id: int):  # noqa: ANN201
    """List a pool loan's installments; the principal column sums exactly to the loan's principal.

    Each installment's due date, principal, interest, what is paid and what is overdue as of `as_of`. Changes nothing.
    """
    return pool_loans.get_pool_loan(session(), actor(), pool_loan_id, args.get("as_of") or today()).schedule


@blp.post("/pool-loans/<int:pool_loan_id>/repayments")
@access(pool_loans.record_repayment)
@visible_pool_loan
@blp.arguments(PoolRepaymentCreateSchema)
@blp.response(201, PoolRepaymentResultSchema)
def repay(body: dict, pool_loan_id: int):  # noqa: ANN201
    """Record a repayment: oldest installment first, penalty → interest → principal; the rest prepays.

    `external_ref` is unique per bank (409 when reused). 422 for a date before the start or the latest repayment, or an
    amount beyond what can be paid; 409 for a closed month, a loan that is not active or one with an open claim. Writes
    a `repay` audit event.
    """
    repayment, loan = pool_loans.record_repayment(session(), actor(), today(), pool_loan_id, **body)
    return {"repayment": repayment, "loan": loan}


@blp.post("/pool-loans/<int:pool_loan_id>/claims")
@access(claims.file_claim)
@visible_pool_loan
@blp.arguments(ClaimFileSchema)
@blp.response(201, ClaimSchema)
def file_claim(body: dict, pool_loan_id: int):  # noqa: ANN201
    """File a claim on a loan at least the claim threshold past due.

    The bank's officer claims the pool's share of the unpaid principal once the loan is `claim_after_days_overdue` past
    due on `claimed_on`. 409 when the loan is not past due long enough, already has a live claim or nothing to claim;
    422 for a date before the start or the latest repayment. Creates the claim (`filed`); writes an audit event.
    """
    return claims.file_claim(session(), actor(), today(), pool_loan_id, **body)


@blp.post("/pool-loans/<int:pool_loan_id>/recoveries")
@access(claims.record_recovery)
@visible_pool_loan
@blp.arguments(PoolRecoveryCreateSchema)
@blp.response(201, PoolRecoverySchema)
def recover(body: dict, pool_loan_id: int):  # noqa: ANN201
    """Record money recovered on a claimed loan; the pool's share returns to the pool.

    422 for an amount beyond the unrecovered principal or a date before the payout; 409 when the loan has no paid claim.
    Books the pool's share in the pool's ledger and writes an audit event.
    """
    return claims.record_recovery(session(), actor(), today(), pool_loan_id, **body)


@blp.post("/pool-loans/<int:pool_loan_id>/write-off")
@access(pool_write_off.write_off)
@visible_pool_loan
@blp.arguments(PoolWriteOffSchema)
@blp.response(200, PoolLoanSchema)
def write_off(body: dict, pool_loan_id: int):  # noqa: ANN201
    """Write a pool loan's unpaid principal off: it leaves the quota used and counts as non-performing.

    From `value_date` the loan is `written_off`: its unpaid principal on that date (`written_off_principal`) leaves
    the bank's `pool_quota_used` and the pool's guaranteed outstanding, counts in the bank's NPL ratio, and stops
    accruing penalty interest. 409 for a loan already written off or repaid, or with a claim still filed or approved;
    422 for a value date before the loan's start, its last repayment, recovery or claim payout; 409 in a closed month.
    Writes a `write_off` audit event.
    """
    return pool_write_off.write_off(session(), actor(), today(), pool_loan_id, **body)


@blp.post("/pool-loans/import")
@access(pool_import.import_pool_loans)
@blp.response(201, ImportResultSchema)
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}, "bank_id": {"type": "integer"}}}}}},
    parameters=PREFER_DOC["parameters"], responses=PREFER_DOC["responses"])
def import_pool_loans():  # noqa: ANN201
    """Import pool loans from a CSV or XLSX file: every row or none.

    Multipart field `file` (CSV or XLSX, Chinese or English headers as in the template) and, for a fund manager,
    `bank_id`. Every row is checked as `POST /pool-loans` would; any bad row answers 422 naming the row and field and
    nothing is imported. Writes one audit event per loan created. With `Prefer: respond-async` it answers 202 at
    once with `Location: /api/v1/jobs/{id}` and imports in the background (the file is kept with the job); the
    job's `result` lists the created references, or its `error` is the same 422 problem.
    """
    upload = request.files.get("file")
    if upload is None:
        raise RuleViolation.on("file", "a multipart field 'file' with a CSV or XLSX file is required")
    bank_id = None
    raw_bank = request.form.get("bank_id")
    if raw_bank:
        if not raw_bank.isdigit() or not 1 <= int(raw_bank) < 2**31:
            raise RuleViolation.on("bank_id", "not a valid id")
        bank_id = int(raw_bank)
    data = upload.stream.read(pool_file.MAX_BYTES + 1)
    if wants_async():
        job = jobs.start_pool_import(session(), actor(), today=today(), data=data, filename=upload.filename,
                                     bank_id=bank_id)
        enqueue_after_commit(session(), job.id)
        return accepted(job)
    return pool_import.import_pool_loans(session(), actor(), today(), data, filename=upload.filename,
                                         bank_id=bank_id)


@blp.get("/pool-loans/import/template.xlsx")
@access(pool_import.template_xlsx)
@blp.doc(responses={"200": {"description": "The XLSX template", "content": {XLSX: {
    "schema": {"type": "string", "format": "binary"}}}}})
def import_template() -> Response:
    """Download the XLSX template for pool-loan imports.

    The header row in Chinese, as banks' staff know it, ready for `POST /pool-loans/import`. Changes nothing.
    """
    return Response(pool_import.template_xlsx(), mimetype=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="pool-loans-template.xlsx"'})


# --- claims ----------------------------------------------------------------------------------------


@blp.get("/claims")
@access(claims.list_claims)
@blp.arguments(ClaimListArgs, location="query")
@blp.response(200, page_of(ClaimSchema, keyset=True))
@export.exportable(ClaimSchema, export.CLAIMS)
def list_claims(args: dict):  # noqa: ANN201
    """List claims (a bank officer sees only their bank's).

    Filter by status, bank or pool loan; keyset paging with `after_id`. Changes nothing.
    """
    return claims.list_claims(session(), actor(), **paging(args), **args)


@blp.get("/claims/<int:claim_id>")
@access(claims.get_claim)
@visible_claim
@blp.response(200, ClaimSchema)
def get_claim(claim_id: int):  # noqa: ANN201
    """Show a claim.

    Another bank's claim answers 404 to an officer. Changes nothing.
    """
    return claims.get_claim(session(), actor(), claim_id)


@blp.post("/claims/<int:claim_id>/approve")
@access(claims.approve_claim)
@visible_claim
@blp.arguments(ClaimApproveSchema)
@blp.response(200, ClaimSchema)
def approve_claim(body: dict, claim_id: int):  # noqa: ANN201
    """Approve a filed claim.

    The claim becomes `approved` (paid later by `/pay`). 409 unless it is `filed`. Writes an `approve` audit event.
    """
    return claims.approve_claim(session(), actor(), claim_id, today=today(), **body)


@blp.post("/claims/<int:claim_id>/reject")
@access(claims.reject_claim)
@visible_claim
@blp.arguments(ClaimRejectSchema)
@blp.response(200, ClaimSchema)
def reject_claim(body: dict, claim_id: int):  # noqa: ANN201
    """Reject a filed claim with a reason.

    The claim becomes `rejected` and the loan takes repayments again. 422 without a reason; 409 unless it is `filed`.
    Writes a `reject` audit event.
    """
    return claims.reject_claim(session(), actor(), claim_id, today=today(), **body)


@blp.post("/claims/<int:claim_id>/pay")
@access(claims.pay_claim)
@visible_claim
@blp.arguments(ClaimPaySchema)
@blp.response(200, ClaimSchema)
def pay_claim(body: dict, claim_id: int):  # noqa: ANN201
    """Pay an approved claim from the pool on a value date.

    Books the payout in the pool's ledger. 409 unless the claim is `approved`, when the pool's balance cannot cover it
    or the date is in a closed month; 422 for a date before the filing. Writes a `pay` audit event.
    """
    return claims.pay_claim(session(), actor(), today(), claim_id, **body)
