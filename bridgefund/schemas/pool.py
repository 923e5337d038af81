"""Schemas of the risk-compensation pool: settings, contributions, pool loans, repayments, claims, recoveries."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate
from marshmallow.utils import get_value, missing

from bridgefund.finance.schedule import RepaymentMethod
from bridgefund.models import ClaimStatus, PoolLoanStatus
from bridgefund.models import document as document_model
from bridgefund.schemas.common import (  # noqa: F401 - EARLIEST, LATEST re-exported from their old home
    EARLIEST,
    LATEST,
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
from bridgefund.schemas.document import KINDS as DOCUMENT_KINDS

METHODS = [m.value for m in RepaymentMethod]

GRADES = ["normal", "special_mention", "substandard", "doubtful", "loss"]


class AsOfArgs(StrictSchema):
    as_of = BusinessDate(metadata={"description": "Evaluate on this business date (default: today)."})


# --- the pool --------------------------------------------------------------------------------------


class PoolPositionSchema(Schema):
    as_of = BusinessDate()
    capital = Money()
    balance = Money()
    contributions = Money()
    claims_paid = Money()
    recoveries = Money()
    total_quota = Money()
    guaranteed_outstanding = Money()
    leverage_used = Rate()
    npl_ratio = Rate()
    suspended = fields.Boolean(metadata={"description": "Paid claims exceed the loss threshold: no new loans."})


def _claim_required(kinds: Any) -> list[str]:
    """The kinds a claim needs: the stored list, or the defaults where none is stored (null, or absent from a
    dict being dumped, as the console's before/after does)."""
    return list(document_model.DEFAULT_CLAIM_REQUIRED if kinds is None or kinds is missing else kinds)


class PoolSettingsSchema(Schema):
    leverage = Rate(maximum=Decimal(1000))
    default_pool_share = Rate()
    claim_after_days_overdue = fields.Integer()
    bank_npl_threshold = Rate()
    pool_loss_threshold = Rate()
    max_loan_amount = Money()
    max_annual_rate = Rate()
    penalty_rate_markup = Rate(maximum=Decimal(10))
    compound_overdue_interest = fields.Boolean(metadata={
        "description": "overdue interest bears penalty interest (复利); a loan keeps the value of its reporting day"})
    claim_required_documents = fields.Function(
        lambda r: _claim_required(get_value(r, "claim_required_documents")),
        metadata={"type": "array", "items": {"type": "string", "enum": DOCUMENT_KINDS},
                  "description": "document kinds a claim needs before approval"})
    updated_at = fields.DateTime(allow_none=True)


class _JsonBoolean(fields.Boolean):
    """``true`` or ``false`` only (marshmallow's Boolean also takes 0, 1, "yes", "false" …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class PoolSettingsPutSchema(StrictSchema):
    leverage = Rate(required=True, maximum=Decimal(1000), min_exclusive=True)
    default_pool_share = Rate(required=True)
    claim_after_days_overdue = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3650))
    bank_npl_threshold = Rate(required=True)
    pool_loss_threshold = Rate(required=True)
    max_loan_amount = Money(required=True, positive=True)
    max_annual_rate = Rate(required=True)
    penalty_rate_markup = Rate(required=True, maximum=Decimal(10))
    compound_overdue_interest = _JsonBoolean(metadata={
        "description": "default true; absent: unchanged"})
    claim_required_documents = fields.List(
        fields.String(validate=validate.OneOf(DOCUMENT_KINDS)), validate=validate.Length(max=len(DOCUMENT_KINDS)),
        metadata={"description": "document kinds a claim needs before approval (default: claim_application, "
                                 "overdue_evidence); absent: unchanged",
                  "example": ["claim_application", "overdue_evidence"]})


class ContributionSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    value_date = BusinessDate(required=True)
    note = Text(500, allow_none=True)


class PoolLedgerEntrySchema(Schema):
    id = fields.Integer()
    value_date = fields.Date()
    kind = fields.String()
    amount = Money()
    balance_after = Money()
    claim_id = fields.Integer(allow_none=True)
    recovery_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.Integer(allow_none=True)


# --- pool loans ------------------------------------------------------------------------------------


class PoolLoanCreateSchema(StrictSchema):
    enterprise_id = Id(required=True)
    bank_id = Id(allow_none=True)
    contract_no = Text(64, required=True)
    principal = Money(required=True, positive=True)
    annual_rate = Rate(required=True, example="0.0435")
    start_date = BusinessDate(required=True)
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=360))
    repayment_method = fields.String(required=True, validate=validate.OneOf(METHODS))
    guarantor_id = Id(allow_none=True)
    pool_share = Rate(allow_none=True)


class InstallmentSchema(Schema):
    seq = fields.Integer()
    due_date = fields.Date()
    principal = Money()
    interest = Money()
    principal_paid = Money()
    interest_paid = Money()
    penalty_charged = Money()
    penalty_paid = Money()
    status = fields.String(metadata={"enum": ["pending", "due", "overdue", "paid", "cancelled"]})


class PoolRepaymentSchema(Schema):
    id = fields.Integer()
    pool_loan_id = fields.Integer(attribute="loan_id")
    amount = Money()
    value_date = fields.Date()
    external_ref = fields.String()
    penalty = Money()
    interest = Money()
    principal = Money()
    prepaid_principal = Money()
    allocation = fields.List(fields.Dict())
    created_at = fields.DateTime()


class ClaimSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    pool_loan_id = fields.Integer(attribute="loan_id")
    bank_id = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in ClaimStatus]})
    amount = Money()
    filed_on = fields.Date()
    days_past_due = fields.Integer()
    unpaid_principal = Money()
    pool_share = Rate()
    filed_by = fields.Integer(allow_none=True)
    approved_by = fields.Integer(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    approved_on = fields.Date(allow_none=True, metadata={
        "description": "business date of the approval: the payout is never value-dated before it"})
    approval_comment = fields.String(allow_none=True)
    rejected_by = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    rejected_on = fields.Date(allow_none=True, metadata={
        "description": "business date of the rejection: the claim counted as live until the day before"})
    paid_on = fields.Date(allow_none=True)
    paid_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class PoolRecoverySchema(Schema):
    id = fields.Integer()
    pool_loan_id = fields.Integer(attribute="loan_id")
    claim_id = fields.Integer()
    amount = Money()
    value_date = fields.Date()
    external_ref = fields.String()
    pool_amount = Money()
    created_at = fields.DateTime()


class PoolLoanSummarySchema(Schema):
    """A pool loan in lists (no schedule or repayments: fetch the loan for those)."""

    id = fields.Integer()
    reference = fields.String()
    bank_id = fields.Integer()
    enterprise_id = fields.Integer()
    contract_no = fields.String()
    principal = Money()
    annual_rate = Rate()
    start_date = fields.Date()
    term_months = fields.Integer()
    repayment_method = fields.String(metadata={"enum": METHODS})
    guarantor_id = fields.Integer(allow_none=True)
    pool_share = Rate()
    guarantor_share = Rate()
    maturity_date = fields.Date()
    status = fields.String(metadata={"enum": [s.value for s in PoolLoanStatus]})
    as_of = BusinessDate()
    classification = fields.String(metadata={"enum": GRADES})
    principal_outstanding = Money()
    days_past_due = fields.Integer()
    amount_due = Money()
    penalty_accrued = Money()
    payoff_amount = Money(metadata={"description": "what settles the loan on as_of: what is due, all other principal "
                                                   "and the current period's interest accrued to as_of"})
    recovered = Money()
    repaid_on = fields.Date(allow_none=True)
    written_off_principal = Money(metadata={
        "description": "principal the bank wrote off by as_of: not outstanding, counted as non-performing"})
    written_off_on = fields.Date(allow_none=True)
    write_off_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PoolLoanSchema(PoolLoanSummarySchema):
    schedule = fields.List(fields.Nested(InstallmentSchema))
    repayments = fields.List(fields.Nested(PoolRepaymentSchema))
    claims = fields.List(fields.Nested(ClaimSchema))


class PoolLoanBriefSchema(Schema):
    """A list item of ``view=brief``: the loan's own columns, as the full item writes them — without the figures as
    of a date (classification, outstanding principal, amounts due, penalty, payoff, recoveries: ask the loan)."""

    id = fields.Integer()
    reference = fields.String()
    bank_id = fields.Integer()
    enterprise_id = fields.Integer()
    contract_no = fields.String()
    principal = Money()
    annual_rate = Rate()
    start_date = fields.Date()
    term_months = fields.Integer()
    repayment_method = fields.String(metadata={"enum": METHODS})
    guarantor_id = fields.Integer(allow_none=True)
    pool_share = Rate()
    guarantor_share = Rate()
    maturity_date = fields.Date()
    status = fields.String(metadata={"enum": [s.value for s in PoolLoanStatus]})
    repaid_on = fields.Date(allow_none=True)
    written_off_on = fields.Date(allow_none=True)
    write_off_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


_CENT = Decimal("0.01")
_RATE = Decimal("1e-8")
_BRIEF_PLAIN = ("id", "reference", "bank_id", "enterprise_id", "contract_no", "term_months", "repayment_method",
                "guarantor_id", "status", "write_off_reason")
_BRIEF_DATES = ("start_date", "maturity_date", "repaid_on", "written_off_on", "created_at")
_BRIEF_RATES = ("annual_rate", "pool_share", "guarantor_share")


def _rate(value: Decimal) -> str:
    """A rate as :func:`~bridgefund.schemas.common.Rate` writes it: up to eight decimals, at least two."""
    d = value.quantize(_RATE).normalize()
    if d.as_tuple().exponent > -2:  # type: ignore[operator]
        d = d.quantize(_CENT)
    return f"{d:f}"


def pool_brief_items(loans: Iterable[Any]) -> list[Dumped]:
    """The ``view=brief`` items of ``loans``: what :class:`PoolLoanBriefSchema` dumps (a test holds them equal),
    written out by hand — marshmallow's per-field machinery is most of a 50-row page's cost (issue 16)."""
    out = []
    for loan in loans:
        item = Dumped((k, getattr(loan, k)) for k in _BRIEF_PLAIN)
        for k in _BRIEF_DATES:
            v = getattr(loan, k)
            item[k] = None if v is None else v.isoformat()
        for k in _BRIEF_RATES:
            item[k] = _rate(getattr(loan, k))
        item["principal"] = f"{loan.principal.quantize(_CENT):f}"
        out.append(item)
    return out


_SUMMARY_PLAIN = _BRIEF_PLAIN + ("days_past_due",)
_SUMMARY_MONEY = ("principal", "principal_outstanding", "amount_due", "penalty_accrued", "payoff_amount", "recovered",
                  "written_off_principal")


def pool_summary_items(views: Iterable[Any]) -> list[Dumped]:
    """The default list items of ``views`` (each loan evaluated on a date): what :class:`PoolLoanSummarySchema`
    dumps (a test holds them equal on the demo's books on many dates), written out by hand as
    :func:`pool_brief_items` is — marshmallow's per-field lookups through the view to its loan were a quarter of a
    full page's time at 10⁶ loans (issue 16)."""
    out = []
    for v in views:
        loan = v.loan
        item = Dumped((k, getattr(loan, k)) for k in _BRIEF_PLAIN)
        item["days_past_due"] = v.days_past_due
        item["classification"] = v.classification.value
        item["as_of"] = v.as_of.isoformat()
        for k in _BRIEF_DATES:
            d = getattr(loan, k)
            item[k] = None if d is None else d.isoformat()
        for k in _BRIEF_RATES:
            item[k] = _rate(getattr(loan, k))
        item["principal"] = f"{loan.principal.quantize(_CENT):f}"
        for k in _SUMMARY_MONEY[1:]:
            item[k] = f"{Decimal(getattr(v, k)).quantize(_CENT):f}"
        out.append(item)
    return out


class PoolLoanListArgs(KeysetListArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in PoolLoanStatus]))
    bank_id = Id()
    enterprise_id = Id()
    classification = fields.String(validate=validate.OneOf(GRADES))
    as_of = BusinessDate()
    view = fields.String(validate=validate.OneOf(LIST_VIEWS), metadata={
        "description": "`full` (default): each loan evaluated on `as_of` (classification, outstanding principal, "
                       "amounts due); `brief`: the loan's own columns only (`PoolLoanBrief`: no figures as of a "
                       "date, no per-row schedule or classification; `classification` still filters), one query "
                       "per page — for long lists and exports"})


class PoolRepaymentCreateSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    value_date = BusinessDate(required=True)
    external_ref = Text(64, required=True)


class PoolRepaymentResultSchema(Schema):
    repayment = fields.Nested(PoolRepaymentSchema)
    loan = fields.Nested(PoolLoanSchema)


class ClaimFileSchema(StrictSchema):
    claimed_on = BusinessDate(required=True)


#: The business date of a claim decision: optional, default today in the fund's timezone.
DECIDED_ON = {"description": "business date of the decision (default: today in the fund's timezone); not before "
                             "the claim was filed, not in the future, not in a closed month"}


class ClaimApproveSchema(StrictSchema):
    comment = Text(500, allow_none=True)
    decided_on = BusinessDate(metadata=DECIDED_ON)


class ClaimRejectSchema(StrictSchema):
    reason = Text(500, required=True)
    decided_on = BusinessDate(metadata=DECIDED_ON)


class ClaimPaySchema(StrictSchema):
    value_date = BusinessDate(required=True)


class ClaimListArgs(KeysetListArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in ClaimStatus]))
    bank_id = Id()
    pool_loan_id = Id()


class PoolWriteOffSchema(StrictSchema):
    value_date = BusinessDate(required=True)
    reason = Text(500, required=True)


class PoolRecoveryCreateSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    value_date = BusinessDate(required=True)
    external_ref = Text(64, required=True)


class ImportResultSchema(Schema):
    created = fields.Integer()
    references = fields.List(fields.String())
