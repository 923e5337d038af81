"""The working-day calendar: reading a year's exceptions, the admin's edits, and the working-day questions the
rest of the service asks (is D a working day, the next working day, a due date rolled onto one).

The rules themselves are pure (``finance.calendar``); this module only reads the exceptions they need from the
``calendar_days`` table. An edit inside a closed month is refused (409): a closed month's due dates, reminders and
reports were decided on the calendar as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.errors import NotFound, PeriodClosed, RuleViolation
from bridgefund.finance import calendar as rules
from bridgefund.models import CalendarDay, DayKind, Role
from bridgefund.services import audit
from bridgefund.services.actor import Actor
from bridgefund.services.common import last_closed_day

ENTITY = "calendar_day"
#: The years the calendar accepts (as every business date: DOMAIN.md "Date bounds").
MIN_YEAR, MAX_YEAR = 1900, 2199
#: How far ahead a rolled due date may have to look (more than any run of days off).
_LOOKAHEAD = dt.timedelta(days=60)


def audit_id(day: dt.date) -> int:
    """A calendar day's id in the audit log: the date as the number YYYYMMDD."""
    return day.year * 10_000 + day.month * 100 + day.day


def exceptions(session: Session, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The calendar's exceptions from ``start`` to ``end`` (both included)."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day.between(start, end)))
    return {day: kind for day, kind in rows}


@allows(SIGNED_IN)
def list_year(session: Session, actor: Actor, year: int) -> list[CalendarDay]:
    """The year's days that differ from Monday–Friday, in date order (any role)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise RuleViolation.on("year", f"must be from {MIN_YEAR} to {MAX_YEAR}")
    stmt = (select(CalendarDay).where(CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
            .order_by(CalendarDay.day))
    return list(session.scalars(stmt))


def is_working_day(session: Session, day: dt.date) -> bool:
    return rules.is_working_day(day, exceptions(session, day, day))


def working_days(session: Session, start: dt.date, end: dt.date) -> list[dt.date]:
    """The working days from ``start`` to ``end``, both included."""
    return list(rules.working_days(start, end, exceptions(session, start, end)))


def next_working_day(session: Session, day: dt.date) -> dt.date:
    """``day`` when it is a working day, else the first working day after it."""
    return rules.next_working_day(day, exceptions(session, day, day + _LOOKAHEAD))


def add_working_days(session: Session, day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (reminders: "due in 3 working days")."""
    return rules.add_working_days(day, count, exceptions(session, day, day + _LOOKAHEAD + dt.timedelta(days=2 * count)))


def roll_due_date(session: Session, due: dt.date, *, roll: bool) -> dt.date:
    """The due date a loan gets: ``due`` itself, or — with the fund's ``roll_due_date_to_working_day`` — the next
    working day when ``due`` is not one."""
    return rules.roll_to_working_day(due, exceptions(session, due, due + _LOOKAHEAD)) if roll else due


@allows(Role.admin)
def put_day(session: Session, actor: Actor, day: dt.date, *, kind: str, name: str) -> CalendarDay:
    """Set ``day``'s exception (admin). 422 when it would change nothing (a holiday at the weekend, a working day
    on a weekday); 409 inside a closed month."""
    if kind not in (DayKind.holiday, DayKind.workday):
        raise RuleViolation.on("kind", "must be holiday or workday")
    if not rules.differs_from_weekdays(day, kind):
        what = "a Saturday or Sunday is already a day off" if kind == DayKind.holiday else \
            "Monday to Friday are already working days"
        raise RuleViolation.on("kind", f"{day} is a {day.strftime('%A')}: {what}")
    _check_open(session, day)
    row = session.get(CalendarDay, day, with_for_update=True)
    before: dict[str, Any] | None = row.snapshot() if row is not None else None
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.kind, row.name, row.source, row.updated_by = str(kind), name, "admin", actor.id
    session.flush()
    audit.record(session, actor, "update" if before else "create", ENTITY, audit_id(day), before=before,
                 after=row.snapshot())
    return row


@allows(Role.admin)
def delete_day(session: Session, actor: Actor, day: dt.date) -> None:
    """Remove ``day``'s exception: it follows Monday–Friday again (admin; 409 inside a closed month)."""
    row = session.get(CalendarDay, day, with_for_update=True)
    if row is None:
        raise NotFound(f"{day} is not an exception of the calendar")
    _check_open(session, day)
    before = row.snapshot()
    session.delete(row)
    session.flush()
    audit.record(session, actor, "delete", ENTITY, audit_id(day), before=before)


def _check_open(session: Session, day: dt.date) -> None:
    closed = last_closed_day(session)
    if closed is not None and day <= closed:
        raise PeriodClosed(f"{day} falls in a closed period (closed up to {closed}): its due dates and reports stand",
                           {"date": ["period closed"]})
