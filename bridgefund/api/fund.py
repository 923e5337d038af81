"""The bridge-loan fund: its position as of a date, capital movements, the ledger and the settings."""

from __future__ import annotations

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.common import page_of
from bridgefund.schemas.fund import (
    FundAsOfArgs,
    FundCapitalSchema,
    FundForecastArgs,
    FundForecastSchema,
    FundLedgerEntrySchema,
    FundLedgerListArgs,
    FundPositionSchema,
    FundSettingsSchema,
)
from bridgefund.services import fund, fund_outlook
from bridgefund.web import access, actor, session, today

blp = Blueprint("fund", __name__, description="The emergency bridge-loan fund: position, capital, ledger, settings")


@blp.get("/fund")
@access(fund.position)
@blp.arguments(FundAsOfArgs, location="query")
@blp.response(200, FundPositionSchema)
def get_fund(args: dict):  # noqa: ANN201
    """Show the fund's figures as of a date (default today), computed from the ledger.

    Capital, cash, outstanding principal, cumulative disbursements, fee and penalty income, losses, turnover and average
    days used, all as of the end of `as_of` (the same figures as the monthly report). Changes nothing.
    """
    return fund.position(session(), actor(), args.get("as_of") or today())


@blp.get("/fund/forecast")
@access(fund_outlook.forecast)
@blp.arguments(FundForecastArgs, location="query")
@blp.response(200, FundForecastSchema)
def get_forecast(args: dict):  # noqa: ANN201
    """Forecast the fund's cash for each of the next days (default 30, at most 90) from the books.

    Each day: what open loans bring back on their due date (principal + fee, `expected_in`), what approved loans not
    yet disbursed take out on their maturing loan's due date (`expected_out`; on the first day when that date has
    passed), and the projected `cash`, the previous day's plus in minus out. `lowest` is the first day of the lowest
    cash: below zero, the approved pipeline cannot all be paid out. Loans already overdue are not counted as coming
    in (when they pay is unknown), and no capital out is planned ahead (none can be booked in the future).
    `from` (default today) may not precede the fund's `established_on` (422); a past `from` reads the books as they
    stood at its end. Changes nothing.
    """
    return fund_outlook.forecast(session(), actor(), start=args.get("from_"), days=args["days"], today=today())


@blp.post("/fund/capital")
@access(fund.move_capital)
@blp.arguments(FundCapitalSchema)
@blp.response(201, FundLedgerEntrySchema)
def move_capital(body: dict):  # noqa: ANN201
    """Put capital into the fund or take it out; out beyond the cash of any later day answers 409.

    Books a ledger entry (`direction` `in` or `out`) on `value_date`, which may not be in the future or in a closed
    month (422/409). Writes an audit event with the entry.
    """
    entry = fund.move_capital(session(), actor(), today=today(), **body)
    return fund.ledger_entry(session(), entry.id)


@blp.get("/fund/ledger")
@access(fund.list_ledger)
@blp.arguments(FundLedgerListArgs, location="query")
@blp.response(200, page_of(FundLedgerEntrySchema, keyset=True))
@export.exportable(FundLedgerEntrySchema, export.FUND_LEDGER)
def list_ledger(args: dict):  # noqa: ANN201
    """List ledger entries with the running cash balance (newest value date first by default).

    Every movement of the fund's cash: capital, disbursements, repayments (principal, fee, penalty), recoveries. Filter
    by kind and dates, choose the `sort`; keyset paging with `after_id`. Changes nothing.
    """
    return fund.list_ledger(session(), actor(), **paging(args), **args)


@blp.get("/fund/settings")
@access(fund.get_settings)
@blp.response(200, FundSettingsSchema)
def get_settings():  # noqa: ANN201
    """Show the fund's fee tiers, penalty rate, limits and approval rules.

    The rules new approvals are made under (approved loans keep the settings they were approved with). Changes
    nothing.
    """
    return fund.get_settings(session(), actor()).as_dict()


@blp.put("/fund/settings")
@access(fund.put_settings)
@blp.arguments(FundSettingsSchema)
@blp.response(200, FundSettingsSchema)
def put_settings(body: dict):  # noqa: ANN201
    """Replace the fund's settings; loans already approved keep the settings they were approved under.

    The whole settings object is sent. Fee tiers start at day 1 and ascend (422 otherwise); rates are daily. Writes an
    `update_settings` audit event with the old and new settings.
    """
    return fund.put_settings(session(), actor(), body).as_dict()
