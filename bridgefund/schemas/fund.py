"""Schemas for the bridge-loan fund: settings, capital movements, the ledger and the position as of a date."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bridgefund.models import LedgerKind
from bridgefund.schemas.common import BusinessDate, ExactDecimal, Id, KeysetListArgs, Money, Rate, StrictSchema, Text

KINDS = [k.value for k in LedgerKind]
#: A daily rate above 1% a day (3,650% a year) is a typing mistake, not a fund setting.
MAX_DAILY_RATE = Decimal("0.01")


class FundFeeTierSchema(StrictSchema):
    from_day = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3650))
    daily_rate = Rate(required=True, maximum=MAX_DAILY_RATE, example="0.0002")


class FundSettingsSchema(StrictSchema):
    """``GET`` answers it; ``PUT`` replaces the settings whole (every field required)."""

    fee_tiers = fields.List(fields.Nested(FundFeeTierSchema), required=True, validate=validate.Length(min=1, max=20))
    penalty_daily_rate = Rate(required=True, maximum=MAX_DAILY_RATE, example="0.0005")
    max_term_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=365))
    per_enterprise_cap = Money(required=True, positive=True)
    max_share_of_renewal = Rate(required=True, min_exclusive=True, example="0.95")
    dual_approval_threshold = Money(required=True, positive=True)
    default_after_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3650))
    established_on = BusinessDate(metadata={
        "description": "the day the fund began: no business date may be earlier (default 2000-01-01; a PUT "
                       "without it keeps the current one)"})
    roll_due_date_to_working_day = fields.Boolean(metadata={
        "description": "a due date (value date + term) on a non-working day moves to the next working day of the "
                       "calendar (`GET /calendar/{year}`); fees still count the calendar days used (default true; "
                       "a PUT without it keeps the current choice)"})


class FundCapitalSchema(StrictSchema):
    amount = Money(required=True, positive=True)
    value_date = BusinessDate(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(["in", "out"]))
    note = Text(500, allow_none=True)


class FundLedgerEntrySchema(Schema):
    id = fields.Integer()
    value_date = fields.Date()
    kind = fields.String(metadata={"enum": KINDS})
    #: Always positive; ``kind`` (and ``cash_delta``) say which way the money went.
    amount = Money()
    cash_delta = Money(metadata={"description": "signed effect on cash: + in, − out, 0 for a write-off"})
    balance_after = Money(metadata={"description": "cash balance after this entry, in (value_date, id) order"})
    bridge_loan_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.Integer(allow_none=True)


class FundLedgerListArgs(KeysetListArgs):
    after_id = Id(metadata={"description": "keyset paging: the `page_size` entries that follow this entry in the "
                                           "chosen `sort` (pass the previous answer's `next_after_id`); fast at any "
                                           "depth. Not combinable with `page` > 1"})
    kind = fields.String(validate=validate.OneOf(KINDS))
    bridge_loan_id = Id()
    from_ = BusinessDate(data_key="from")
    to = BusinessDate()
    #: Default newest value date first: ``balance_after`` reads naturally in value-date order.
    sort = fields.String(load_default="-value_date", validate=validate.OneOf(["-value_date", "value_date", "-id",
                                                                              "id"]))

    @validates_schema
    def _range(self, data: dict, **_kw: object) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("must not be after 'to'", "from")


class FundAsOfArgs(StrictSchema):
    as_of = BusinessDate(metadata={"description": "evaluate on this date (default: today in the fund's timezone)"})


class FundPositionSchema(Schema):
    as_of = fields.Date()
    capital = Money()
    capital_in = Money()
    capital_out = Money()
    cash_balance = Money()
    outstanding_principal = Money()
    available = Money()
    utilization = ExactDecimal(4, metadata={"description": "outstanding ÷ capital"})
    fee_income = Money()
    penalty_income = Money()
    losses = Money()
    recoveries = Money()
    principal_repaid = Money()
    cumulative_disbursed_amount = Money()
    cumulative_disbursed_count = fields.Integer()
    enterprises_served = fields.Integer()
    turnover = ExactDecimal(4, metadata={"description": "cumulative disbursed ÷ capital"})
    average_days_used = ExactDecimal(2, metadata={"description": "days, over loans repaid by as_of"})
    repaid_count = fields.Integer()
    overdue_count = fields.Integer()
    overdue_amount = Money()
