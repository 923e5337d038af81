"""The working-day calendar: the year's exceptions to Monday–Friday, and the admin's edits."""

from __future__ import annotations

import datetime as dt

from bridgefund.api.blueprint import Blueprint
from bridgefund.errors import RuleViolation
from bridgefund.schemas.common import EARLIEST, LATEST
from bridgefund.schemas.job import CalendarDayPutSchema, CalendarDaySchema, CalendarYearSchema
from bridgefund.services import calendar
from bridgefund.web import access, actor, session

blp = Blueprint("calendar", __name__, description="The working-day calendar (holidays and make-up days, 调休)")

#: A year or a date in the path is checked by the view (422 naming it); an edit inside a closed month is 409.
_INVALID = {"422": {"$ref": "#/components/responses/Problem422"}}
_CLOSED = {"409": {"$ref": "#/components/responses/Problem409"}}


def _day(text: str) -> dt.date:
    try:
        if len(text) != 10 or not text.isascii():
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise RuleViolation.on("date", "must be a date as YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise RuleViolation.on("date", f"must be from {EARLIEST} to {LATEST}")
    return day


@blp.get("/calendar/<int:year>")
@access(calendar.list_year)
@blp.response(200, CalendarYearSchema)
@blp.doc(responses=_INVALID)
def get_year(year: int):  # noqa: ANN201
    """List a year's days that differ from Monday–Friday: holidays on weekdays and make-up working days (调休).

    Every other Monday–Friday is a working day and every other Saturday and Sunday is not. The years the
    `chinesecalendar` package knows are seeded; an admin adds later years. 422 for a year outside 1900–2199.
    Changes nothing.
    """
    return {"year": year, "items": calendar.list_year(session(), actor(), year)}


@blp.put("/calendar/days/<string:date>")
@access(calendar.put_day)
@blp.arguments(CalendarDayPutSchema)
@blp.response(200, CalendarDaySchema)
def put_day(body: dict, date: str):  # noqa: ANN201
    """Set a day's exception: a weekday `holiday` or a weekend `workday` (admin).

    422 when it changes nothing (a holiday on a Saturday, a working day on a Monday) or the date is malformed;
    409 inside a closed month (its due dates and reports were decided on the calendar as it was). Writes an audit
    event.
    """
    return calendar.put_day(session(), actor(), _day(date), kind=body["kind"], name=body["name"])


@blp.delete("/calendar/days/<string:date>")
@access(calendar.delete_day)
@blp.response(204)
@blp.doc(responses={**_INVALID, **_CLOSED})
def delete_day(date: str) -> None:
    """Remove a day's exception: it follows Monday–Friday again (admin).

    404 when the day is no exception; 409 inside a closed month. Writes an audit event.
    """
    calendar.delete_day(session(), actor(), _day(date))
