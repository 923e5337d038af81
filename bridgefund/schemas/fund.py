"""Schemas for the bridge-loan fund: settings, capital movements, the ledger and the position as of a date."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bridgefund.models import LedgerKind
from bridgefund.schemas.common import (
    MAX_MONEY,
    BusinessDate,
    ExactDecimal,
    Id,
    KeysetListArgs,
    Money,
    Rate,
    StrictSchema,
    Text,
)
from bridgefund.schemas.document import KINDS as DOCUMENT_KINDS

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
    market_bridge_daily_rate = Rate(maximum=MAX_DAILY_RATE, min_exclusive=True, example="0.001", metadata={
        "description": "the private bridge-lending rate a day that firms would pay without the fund (default "
                       "0.001, i.e. 1‰ a day): a repaid loan's financing cost saved is amount × days used × this "
                       "rate − its fee and penalty, fixed when it is repaid. A PUT without it keeps the current one"})
    roll_due_date_to_working_day = fields.Boolean(metadata={
        "description": "a due date (value date + term) on a non-working day moves to the next working day of the "
                       "calendar (`GET /calendar/{year}`); fees still count the calendar days used (default true; "
                       "a PUT without it keeps the current choice)"})
    required_documents = fields.List(
        fields.String(validate=validate.OneOf(DOCUMENT_KINDS)), validate=validate.Length(max=len(DOCUMENT_KINDS)),
        metadata={"description": "document kinds a bridge loan needs before approval (default: renewal_commitment, "
                                 "application, tripartite_agreement; a PUT without it keeps the current list)",
                  "example": ["renewal_commitment", "application", "tripartite_agreement"]})


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


class FundForecastArgs(StrictSchema):
    from_ = BusinessDate(data_key="from", metadata={
        "description": "first day of the forecast (default: today in the fund's timezone); not before the fund's "
                       "`established_on`"})
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=90),
                          metadata={"description": "how many days, 1 to 90 (default 30)"})


class ForecastDaySchema(Schema):
    date = fields.Date(required=True)
    expected_in = Money(required=True, metadata={
        "description": "principal + fee of open loans due that day (after their repayments so far)"})
    expected_out = Money(required=True, metadata={
        "description": "approved loans not yet disbursed, on their maturing loan's due date (the first day when "
                       "that date has passed)"})
    cash = ExactDecimal(2, minimum=-MAX_MONEY, required=True, metadata={
        "description": "projected cash at the end of the day: the previous day's + expected_in − expected_out "
                       "(negative: the approved pipeline exceeds the cash)"})


class ForecastLowestSchema(Schema):
    date = fields.Date(required=True)
    cash = ExactDecimal(2, minimum=-MAX_MONEY, required=True)


class FundForecastSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    days = fields.Integer()
    books_as_of = fields.Date(metadata={"description": "the books are read as they stand at the end of this day "
                                                       "(the earlier of `from` and today)"})
    opening_cash = ExactDecimal(2, minimum=-MAX_MONEY, metadata={
        "description": "the cash the forecast starts from: the books at the end of `books_as_of` (and, for a future "
                       "`from`, what is expected before it); the first item's cash is this + its in − its out"})
    items = fields.List(fields.Nested(ForecastDaySchema), required=True)
    lowest = fields.Nested(ForecastLowestSchema, required=True, metadata={
        "description": "the first day with the lowest projected cash"})


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
    financing_cost_saved = ExactDecimal(2, minimum=-MAX_MONEY, metadata={
        "description": "融资成本节约: over bridge loans repaid by as_of, amount × days used × the market bridge rate "
                       "(fund setting `market_bridge_daily_rate` when each was repaid) − the fee and penalty charged"})
    financing_cost_saved_month = ExactDecimal(2, minimum=-MAX_MONEY, metadata={
        "description": "the same over loans repaid in as_of's month up to as_of"})
