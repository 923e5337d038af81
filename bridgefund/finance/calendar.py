"""Working days: mainland China's Monday–Friday, corrected by a set of exceptions (pure; no database).

``exceptions`` maps a date to ``"holiday"`` (a weekday off) or ``"workday"`` (a weekend day on, 调休); the
service layer reads them from the calendar table (``services.calendar``). A date absent from it follows the
Monday–Friday rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

HOLIDAY = "holiday"
WORKDAY = "workday"
#: No schedule has more than a few weeks off in a row (the longest, 春节 2020, was 17 days with the epidemic
#: extension); a search that finds no working day in a year means the calendar data is broken.
_MAX_SEARCH = 366

Exceptions = Mapping[dt.date, str]


def is_weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def is_working_day(day: dt.date, exceptions: Exceptions) -> bool:
    """Monday–Friday unless a holiday; Saturday and Sunday only as a make-up working day."""
    kind = exceptions.get(day)
    if kind == HOLIDAY:
        return False
    if kind == WORKDAY:
        return True
    return not is_weekend(day)


def next_working_day(day: dt.date, exceptions: Exceptions) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    for offset in range(_MAX_SEARCH):
        candidate = day + dt.timedelta(days=offset)
        if is_working_day(candidate, exceptions):
            return candidate
    raise ValueError(f"no working day within {_MAX_SEARCH} days of {day}: the calendar is broken")


def roll_to_working_day(due: dt.date, exceptions: Exceptions) -> dt.date:
    """A due date on a non-working day moves to the next working day (DOMAIN.md); a working day stays."""
    return next_working_day(due, exceptions)


def working_days(start: dt.date, end: dt.date, exceptions: Exceptions) -> Iterator[dt.date]:
    """The working days from ``start`` to ``end``, both included, in order."""
    day = start
    while day <= end:
        if is_working_day(day, exceptions):
            yield day
        day += dt.timedelta(days=1)


def add_working_days(day: dt.date, count: int, exceptions: Exceptions) -> dt.date:
    """The ``count``-th working day after ``day`` (``count`` ≥ 0; 0 is ``day`` rolled to a working day)."""
    if count < 0:
        raise ValueError("count must not be negative")
    current = next_working_day(day, exceptions)
    for _ in range(count):
        current = next_working_day(current + dt.timedelta(days=1), exceptions)
    return current


def differs_from_weekdays(day: dt.date, kind: str) -> bool:
    """Whether an exception changes anything: a holiday on a weekday, or a working day at the weekend."""
    return (kind == HOLIDAY) != is_weekend(day)
