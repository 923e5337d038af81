"""Schemas for bridge loans: the application, the actions on it, the loan as of a date, and the list filters."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bridgefund.models import BridgeLoanStatus
from bridgefund.schemas.common import (
    LIST_VIEWS,
    BusinessDate,
    Dumped,
    Id,
    KeysetListArgs,
    Money,
    Rate,
    StrictSchema,
    Text,
)
from bridgefund.schemas.document import DocumentSchema
from bridgefund.schemas.fund import FundFeeTierSchema

STATUSES = [s.value for s in BridgeLoanStatus]


class BridgeMaturingLoanSchema(StrictSchema):
    contract_no = Text(64, required=True)
    amount = Money(required=True, positive=True)
    due_date = BusinessDate(required=True)


class BridgeRenewalSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    expected_date = BusinessDate(required=True)


class BridgeLoanCreateSchema(StrictSchema):
    enterprise_id = Id(required=True)
    bank_id = Id(metadata={"description": "required for a fund manager; an officer's own bank otherwise"})
    maturing_loan = fields.Nested(BridgeMaturingLoanSchema, required=True)
    amount = Money(required=True, positive=True)
    term_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3650))
    renewal = fields.Nested(BridgeRenewalSchema, required=True)
    purpose = Text(500, allow_none=True)
    submitted_on = BusinessDate(metadata={"description": "business date of the application (default: today)"})


#: The business date of a decision (approve, reject): optional, default today in the fund's timezone.
DECIDED_ON = {"description": "business date of the decision (default: today in the fund's timezone); not before "
                             "the application, not in the future, not in a closed month"}


class BridgeApproveSchema(StrictSchema):
    comment = Text(500, allow_none=True)
    decided_on = BusinessDate(metadata=DECIDED_ON)


class BridgeReasonSchema(StrictSchema):
    reason = Text(500, required=True)


class BridgeRejectSchema(BridgeReasonSchema):
    decided_on = BusinessDate(metadata=DECIDED_ON)


class BridgeOptionalReasonSchema(StrictSchema):
    reason = Text(500, allow_none=True)


class BridgeRenewalApprovedSchema(StrictSchema):
    decided_on = BusinessDate(required=True, metadata={"description": "the day the bank approved the renewal"})
    amount = Money(required=True, positive=True)


class BridgeRenewalDisbursedSchema(StrictSchema):
    value_date = BusinessDate(required=True, metadata={"description": "the renewal's value date"})
    amount = Money(required=True, positive=True)
    contract_no = Text(64, required=True)


class BridgeValueDateSchema(StrictSchema):
    value_date = BusinessDate(required=True)


class BridgeOptionalValueDateSchema(StrictSchema):
    value_date = BusinessDate(metadata={"description": "default: today in the fund's timezone"})


class BridgeWriteOffSchema(StrictSchema):
    reason = Text(500, required=True)
    value_date = BusinessDate(metadata={"description": "default: today in the fund's timezone"})


class BridgeRepaymentCreateSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    value_date = BusinessDate(required=True)
    external_ref = Text(64, required=True)


class BridgeRecoveryCreateSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    value_date = BusinessDate(required=True)
    note = Text(500, allow_none=True)


class BridgeApprovalSchema(Schema):
    manager_id = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    decided_on = fields.Date(metadata={"description": "business date of the approval"})
    at = fields.DateTime(metadata={"description": "when the approval was recorded"})


class BridgeRepaymentSchema(Schema):
    id = fields.Integer()
    amount = Money()
    value_date = fields.Date()
    external_ref = fields.String()
    penalty = Money()
    fee = Money()
    principal = Money()
    created_at = fields.DateTime()


class BridgeEnterpriseBriefSchema(Schema):
    id = fields.Integer()
    uscc = fields.String()
    name = fields.String()
    size = fields.String()





def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def renewal_view(loan: Any) -> dict[str, Any]:
    """The renewal loop of a loan as answered (API.md "Second round")."""
    status = ("disbursed" if loan.renewal_disbursed_on is not None
              else "approved" if loan.renewal_approved_on is not None else "committed")
    return {"status": status, "amount": f"{loan.renewal_amount:.2f}",
            "expected_date": loan.renewal_expected_date.isoformat(),
            "approved_on": loan.renewal_approved_on and loan.renewal_approved_on.isoformat(),
            "approved_amount": _money(loan.renewal_approved_amount),
            "disbursed_on": loan.renewal_disbursed_on and loan.renewal_disbursed_on.isoformat(),
            "disbursed_amount": _money(loan.renewal_disbursed_amount), "contract_no": loan.renewal_contract_no,
            "repayment_id": _renewal_repayment(loan)}


def _renewal_repayment(loan: Any) -> int | None:
    """The repayment that followed the renewal: the first on or after its value date (linked, not booked twice)."""
    if loan.renewal_disbursed_on is None or "repayments" not in loan.__dict__:
        return None
    after = [r for r in loan.repayments if r.value_date >= loan.renewal_disbursed_on]
    return min(after, key=lambda r: (r.value_date, r.id)).id if after else None


class BridgeLoanSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    enterprise = fields.Nested(BridgeEnterpriseBriefSchema)
    enterprise_id = fields.Integer()
    bank_id = fields.Integer()
    submitted_by = fields.Integer(allow_none=True)
    submitted_on = fields.Date()
    maturing_loan = fields.Function(lambda loan: {
        "contract_no": loan.maturing_contract_no, "amount": f"{loan.maturing_amount:.2f}",
        "due_date": loan.maturing_due_date.isoformat()}, metadata={"type": "object"})
    amount = Money()
    term_days = fields.Integer()
    renewal = fields.Function(lambda loan: renewal_view(loan), metadata={
        "type": "object", "description": "the bank's renewal (the loop the fund lends on): `status` committed, "
        "approved or disbursed; `amount`/`expected_date` as committed at submission; `approved_on`, "
        "`approved_amount`; `disbursed_on`, `disbursed_amount`, `contract_no` once the bank records them"})
    documents = fields.List(fields.Nested(DocumentSchema), metadata={
        "description": "`GET /bridge-loans/{id}` only: the latest document of each kind"})
    missing_documents = fields.List(fields.String(), metadata={
        "description": "`GET /bridge-loans/{id}` only: required kinds (fund settings) with no document yet"})
    purpose = fields.String(allow_none=True)
    fee_tiers = fields.List(fields.Nested(FundFeeTierSchema), allow_none=True)
    penalty_daily_rate = Rate(allow_none=True)
    default_after_days = fields.Integer(allow_none=True)
    required_approvals = fields.Integer(allow_none=True)
    approvals = fields.List(fields.Nested(BridgeApprovalSchema))
    approved_at = fields.DateTime(allow_none=True)
    disbursed_on = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    repaid_on = fields.Date(allow_none=True)
    defaulted_on = fields.Date(allow_none=True)
    written_off_on = fields.Date(allow_none=True)
    rejected_on = fields.Date(allow_none=True, metadata={"description": "business date of the rejection"})
    status_reason = fields.String(allow_none=True)
    principal_repaid = Money()
    fee_paid = Money()
    penalty_paid = Money()
    written_off_amount = Money()
    recovered = Money()
    as_of = fields.Function(lambda loan: loan.figures.as_of.isoformat(), metadata={"format": "date"})
    principal_outstanding = fields.Function(lambda loan: f"{loan.figures.principal_outstanding:.2f}")
    fee_accrued = fields.Function(lambda loan: f"{loan.figures.fee_accrued:.2f}")
    penalty_accrued = fields.Function(lambda loan: f"{loan.figures.penalty_accrued:.2f}")
    amount_due = fields.Function(lambda loan: f"{loan.figures.amount_due:.2f}")
    overdue = fields.Function(lambda loan: loan.figures.overdue, metadata={"type": "boolean"})
    days_overdue = fields.Function(lambda loan: loan.figures.days_overdue, metadata={"type": "integer"})
    repayments = fields.List(fields.Nested(BridgeRepaymentSchema))
    created_at = fields.DateTime()


class BridgeLoanBriefSchema(Schema):
    """A list item of ``view=brief``: the loan's own columns and its enterprise, as the full item writes them —
    without approvals, repayments or the accruals as of a date (no fee math per row; ask the loan for those)."""

    id = fields.Integer()
    reference = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    enterprise = fields.Nested(BridgeEnterpriseBriefSchema)
    enterprise_id = fields.Integer()
    bank_id = fields.Integer()
    submitted_on = fields.Date()
    amount = Money()
    term_days = fields.Integer()
    required_approvals = fields.Integer(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    disbursed_on = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    repaid_on = fields.Date(allow_none=True)
    defaulted_on = fields.Date(allow_none=True)
    written_off_on = fields.Date(allow_none=True)
    rejected_on = fields.Date(allow_none=True)
    principal_repaid = Money()
    created_at = fields.DateTime()


_CENT = Decimal("0.01")
_BRIEF_PLAIN = ("id", "reference", "status", "enterprise_id", "bank_id", "term_days", "required_approvals")
_BRIEF_DATES = ("submitted_on", "disbursed_on", "due_date", "repaid_on", "defaulted_on", "written_off_on",
                "rejected_on", "approved_at", "created_at")


def brief_items(loans: Iterable[Any]) -> list[Dumped]:
    """The ``view=brief`` items of ``loans``: what :class:`BridgeLoanBriefSchema` dumps (a test holds them equal),
    written out by hand — a list page is dumped 50 loans at a time, and marshmallow's per-field machinery was
    most of its cost (issue 16)."""
    out = []
    for loan in loans:
        item = Dumped((k, getattr(loan, k)) for k in _BRIEF_PLAIN)
        for k in _BRIEF_DATES:
            v = getattr(loan, k)
            item[k] = None if v is None else v.isoformat()
        e = loan.enterprise
        item["enterprise"] = {"id": e.id, "uscc": e.uscc, "name": e.name, "size": e.size}
        item["amount"] = f"{loan.amount.quantize(_CENT):f}"
        item["principal_repaid"] = f"{loan.principal_repaid.quantize(_CENT):f}"
        out.append(item)
    return out


class BridgeRepaymentResultSchema(Schema):
    """The repayment with its split, and the loan after it."""

    repayment = fields.Nested(BridgeRepaymentSchema)
    loan = fields.Nested(BridgeLoanSchema)


class BridgeLoanListArgs(KeysetListArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))
    bank_id = Id()
    enterprise_id = Id()
    overdue = fields.Boolean()
    disbursed_from = BusinessDate()
    disbursed_to = BusinessDate()
    due_from = BusinessDate(metadata={"description": "lent loans (disbursed or defaulted) due on or after this date"})
    due_to = BusinessDate(metadata={"description": "lent loans (disbursed or defaulted) due on or before this date"})
    awaiting = fields.String(validate=validate.OneOf(["first_approval", "second_approval"]), metadata={
        "description": "applications under review waiting for their first approval, or for the second one (dual "
                       "approval at or above the threshold)"})
    as_of = BusinessDate(metadata={"description": "evaluate accruals (and `overdue`) on this date"})
    view = fields.String(validate=validate.OneOf(LIST_VIEWS), metadata={
        "description": "`full` (default): each loan as `GET /bridge-loans/{id}` shows it, accruals as of `as_of` "
                       "included; `brief`: the loan's own columns and its enterprise only (`BridgeLoanBrief`: no "
                       "approvals, repayments or accruals), one query per page — for long lists and exports"})

    @validates_schema
    def _range(self, data: dict, **_kw: object) -> None:
        if data.get("disbursed_from") and data.get("disbursed_to") and data["disbursed_from"] > data["disbursed_to"]:
            raise ValidationError("must not be after disbursed_to", "disbursed_from")
        if data.get("due_from") and data.get("due_to") and data["due_from"] > data["due_to"]:
            raise ValidationError("must not be after due_to", "due_from")


class BridgeLoanAsOfArgs(StrictSchema):
    as_of = BusinessDate(metadata={"description": "evaluate accruals on this date (default: today)"})
