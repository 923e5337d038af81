"""Closing accounting months: after a close no entry may carry a value date in that month or any earlier one,
so every figure as of a closed month's last day — and its monthly report — can never change again.

The close also writes the month snapshots (``models.MonthSnapshot``) of every month it closes, in its transaction:
the monthly report's data, each bank's statement data and the pool settings in force, computed from the books once;
the reports of a closed month read those rows ever after (``services.report_data``), and the close's audit event
records their SHA-256."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.errors import Conflict, RuleViolation
from bridgefund.models import ClosedPeriod, FundLedgerEntry, Job, JobKind, MonthSnapshot, PoolLoan, Role, SnapshotKind
from bridgefund.services import audit, jobs, month_snapshots, report_data
from bridgefund.services.actor import SYSTEM, Actor
from bridgefund.services.common import Page, established_on, last_closed_day, paginate


def parse_period(text: str, field: str = "period") -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → (first day, last day) of that month; 422 naming ``field`` otherwise."""
    try:
        if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):  # ASCII digits, nothing more
            raise ValueError
        year_s, month_s = text.split("-")
        year, month = int(year_s), int(month_s)
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise RuleViolation.on(field, "must be a month as YYYY-MM") from exc
    return first, first.replace(day=calendar.monthrange(year, month)[1])


def _check_close(session: Session, period: str, today: dt.date) -> tuple[dt.date, dt.date | None, dt.date]:
    """The close's refusals, in the order the API answers them: (the month's last day, the last closed day, the
    fund's establishment)."""
    _first, last = parse_period(period)
    if last >= today:
        raise RuleViolation.on("period", f"{period} has not ended yet (today is {today})")
    established = established_on(session)
    if last < established:
        raise RuleViolation.on("period", f"{period} ended before the fund was established ({established})")
    # Serialise closes: the check and the insert must not interleave with another close.
    closed = last_closed_day(session)
    if closed is not None and last <= closed:
        raise Conflict(f"{period} is already closed (periods are closed up to {closed:%Y-%m})",
                       {"period": ["already closed"]})
    return last, closed, established


@allows(Role.admin)
def check_close(session: Session, actor: Actor, period: str, *, today: dt.date) -> dt.date:
    """Whether :func:`close_period` would close ``period`` now (its refusals, nothing written and no snapshot
    computed): the console's confirmation page asks before it shows what the close freezes. The month's last day."""
    return _check_close(session, period, today)[0]


@allows(Role.admin)
def close_period(session: Session, actor: Actor, period: str, *, today: dt.date,
                 progress: Callable[[int], None] | None = None) -> ClosedPeriod:
    """Close ``period`` and every earlier open month, writing their month snapshots in this transaction (at 10⁵
    loans this takes tens of seconds: the API's ``Prefer: respond-async`` runs it as a job,
    :func:`start_close_period`). ``progress`` hears the per cent done after each month's snapshot."""
    last, closed, established = _check_close(session, period, today)
    row = ClosedPeriod(period=period, last_day=last, closed_by=actor.id)
    session.add(row)
    session.flush()
    months = newly_closed_months(session, closed, established, last)
    for n, month in enumerate(months, 1):
        report_data.snapshot_month(session, month)
        if progress is not None:
            progress(min(99, n * 100 // len(months)))
    audit.record(session, actor, "close", "period", last.year * 100 + last.month,
                 after={"period": period, "last_day": last.isoformat(),
                        "snapshots": {month: month_snapshots.fingerprints(session, month) for month in months}})
    return row


@allows(Role.admin)
def start_close_period(session: Session, actor: Actor, period: str, *, today: dt.date) -> Job:
    """Queue the close of ``period`` (``POST /periods/{period}/close`` with ``Prefer: respond-async``): the same
    refusals as :func:`close_period` first, so bad input is still a 4xx at once; the job runs
    :func:`close_period` with the request's business date (``jobs.tasks``). A month closed meanwhile (another
    close, a second tab) makes the job fail with the synchronous path's 409 problem — it changes nothing twice."""
    _check_close(session, period, today)
    return jobs.create(session, actor, JobKind.period_close, {"period": period, "today": today.isoformat()})


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def newly_closed_months(session: Session, closed: dt.date | None, established: dt.date, last: dt.date) -> list[str]:
    """The months a close up to ``last`` closes that get snapshot rows: from the month after the previous close
    (the fund's establishment when there is none) to ``last``'s — skipping those before the books' first dated
    row (no ledger entry, no pool loan: nothing in them can move; their reports are computed from the books, with
    the pool settings this close records for the month it names, which always gets its rows)."""
    start = (closed + dt.timedelta(days=1)) if closed is not None else established.replace(day=1)
    first_dated = min((d for d in session.execute(select(
        select(func.min(FundLedgerEntry.value_date)).scalar_subquery(),
        select(func.min(PoolLoan.start_date)).scalar_subquery())).one() if d is not None), default=last)
    start = max(start, first_dated.replace(day=1))
    months, month = [], start.replace(day=1)
    while month < last.replace(day=1):
        months.append(_month(month))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return [*months, _month(last)]


@allows(Role.admin, Role.fund_manager, Role.auditor)
def list_periods(session: Session, actor: Actor, page: int, page_size: int, *,
                 count_limit: int | None = None) -> Page[ClosedPeriod]:
    return paginate(session, select(ClosedPeriod).order_by(ClosedPeriod.last_day.desc()), page, page_size,
                    count_limit=count_limit)


def months_without_snapshot(session: Session) -> list[str]:
    """Closed months (from the books' first dated row) that have no snapshot rows: months closed before the
    snapshots existed (migration ``0018_snapshots``), which ``bridgefund summaries snapshot`` backfills."""
    closed = last_closed_day(session)
    if closed is None:
        return []
    months = newly_closed_months(session, None, established_on(session), closed)
    have = set(session.scalars(select(MonthSnapshot.period).where(
        MonthSnapshot.kind == SnapshotKind.monthly.value)))
    return [m for m in months if m not in have]


def backfill_snapshot(session: Session, period: str) -> dict[str, str]:
    """Write the snapshot rows of a closed month that has none (its reports are computed from the books until
    then), audited as the system's ``snapshot`` of the period; returns their SHA-256 fingerprints. The pool
    settings recorded are today's: settings are not dated, so a backfill cannot know older ones."""
    _first, last = parse_period(period)
    closed = last_closed_day(session)
    if closed is None or last > closed:
        raise RuleViolation.on("period", f"{period} is not closed")
    if month_snapshots.has_snapshot(session, period):
        raise Conflict(f"{period} already has its snapshot", {"period": ["already has its snapshot"]})
    report_data.snapshot_month(session, period)
    prints = month_snapshots.fingerprints(session, period)
    audit.record(session, SYSTEM, "snapshot", "period", last.year * 100 + last.month,
                 after={"period": period, "snapshots": prints})
    return prints
