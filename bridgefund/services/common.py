"""Helpers every service uses: scoped lookups, paging (offset or keyset) with bounded counts, business dates."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from bridgefund.errors import PeriodClosed, RuleViolation, not_found
from bridgefund.models import ClosedPeriod, FundSettings
from bridgefund.models.fund import DEFAULT_ESTABLISHED_ON, FUND_ID

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int
    #: False when ``total`` is the planner's estimate (a large list on PostgreSQL, see :func:`count_total`).
    total_exact: bool = True
    #: The last item's id when more rows follow (keyset lists), else None.
    next_after_id: int | None = None


def paginate(
    session: Session, stmt: Select[Any], page: int, page_size: int, *, key: ColumnElement[int] | None = None,
    after_id: int | None = None, after: ColumnElement[bool] | None = None, count_limit: int | None = None,
    known_total: tuple[int, bool] | None = None, total_with_page: bool = False,
    total_column: ColumnElement[int] | None = None,
) -> Page[Any]:
    """A page of ``stmt`` and its total in a constant number of queries, whatever the page size or depth.

    ``stmt`` must carry a stable ORDER BY; eager loads on it must be ``selectinload`` (one extra query per
    relationship, not per row). Lists ordered by ``key`` descending (their id) also page by keyset: with
    ``after_id`` the page is the ``page_size`` rows with ``key < after_id`` (an index range, no OFFSET), and
    ``next_after_id`` is set whenever more rows follow. A list in another order passes the condition for "after
    that row" as ``after``. ``count_limit``: see :func:`count_total`; ``known_total`` skips the count.
    ``total_with_page``: the first page of a short list (a home page's queue) takes its exact total from the page's
    own statement (``count(*) OVER ()``) instead of a second scan of the same rows; not for long lists, where a
    separate count can be read from an index alone. ``total_column`` (with ``total_with_page``): SQL for that total
    to put beside each row of the page instead of ``count(*) OVER ()`` — the number of the rows ``stmt`` would give
    without its LIMIT (a page with no rows has a total of 0).
    """
    if total_with_page and after_id is None and page == 1 and known_total is None:
        total_sql = total_column if total_column is not None else func.count().over()
        rows = session.execute(stmt.add_columns(total_sql).limit(page_size + 1)).all()
        total = rows[0][1] if rows else 0
        return _page([row[0] for row in rows], page, page_size, key, total, True)
    total, exact = known_total if known_total is not None else count_total(session, stmt, count_limit)
    window = stmt.limit(page_size + 1)  # one row more tells whether another page follows
    if after_id is not None:
        if key is None:
            raise TypeError("after_id needs the list's key column")
        window = window.where(after if after is not None else key < after_id)
    else:
        window = window.offset((page - 1) * page_size)
    return _page(list(session.scalars(window).all()), page, page_size, key, total, exact)


def _page(items: list[Any], page: int, page_size: int, key: ColumnElement[int] | None, total: int,
          exact: bool) -> Page[Any]:
    """The page of ``items`` (``page_size`` + 1 rows asked for: one more tells whether another page follows)."""
    more = len(items) > page_size
    del items[page_size:]
    next_after_id = items[-1].id if more and key is not None else None
    return Page(items=items, page=page, page_size=page_size, total=total, total_exact=exact,
                next_after_id=next_after_id)


#: A planner estimate of at least this many rows (and at least twice the exact-count limit) is the total at once:
#: no capped count, which at 10⁶ loans read 10,001 index entries on every page (issue 16). Estimates come from the
#: table statistics that autovacuum's ANALYZE keeps (or an ANALYZE after a bulk load): an estimate twice the limit
#: means a list past the limit unless the statistics are off by more than 2×.
ESTIMATE_TRUSTED_FROM = 20_000


def count_total(session: Session, stmt: Select[Any], limit: int | None) -> tuple[int, bool]:
    """``(total, exact)`` for the rows of ``stmt``, bounded in cost by ``limit`` (None: always exact).

    Counting every matching row of a 10⁶-row list costs a scan of all of them, so on PostgreSQL the planner's row
    estimate for the filtered query is asked first: from :data:`ESTIMATE_TRUSTED_FROM` rows (and 2 × ``limit``) on,
    that is the total. Otherwise up to ``limit`` rows are counted (``count(*)`` over ``LIMIT limit+1``), exact
    when they are all; above, the estimate, never less than ``limit + 1``. SQLite (the small embedded deployment)
    counts exactly.
    """
    rows = stmt.order_by(None)
    if limit is None or session.get_bind().dialect.name != "postgresql":
        return session.scalar(select(func.count()).select_from(rows.subquery())) or 0, True
    plan = session.execute(_Explain(rows)).scalar_one()
    if isinstance(plan, str):  # the driver hands json back as text when it does not parse it
        plan = json.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if estimate >= max(ESTIMATE_TRUSTED_FROM, 2 * limit):
        return estimate, False
    capped = session.scalar(select(func.count()).select_from(rows.limit(limit + 1).subquery())) or 0
    if capped <= limit:
        return capped, True
    return max(limit + 1, estimate), False


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>`` with the select's own bound parameters (PostgreSQL).

    Cached like any statement, by its select's cache key (``_traverse_internals``): compiled anew on every request
    it was ≈ 3 ms of a list page's ≈ 9 ms (issue 16)."""

    inherit_cache = False
    _traverse_internals = [("stmt", InternalTraversal.dp_clauseelement)]
    #: the result (one JSON column, read by position) maps no column of the statement: nothing to adapt when a
    #: cached compilation serves another request's statement
    _all_selected_columns = ()

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.stmt, **kw)


def bank_scoped(stmt: Select[Any], column: ColumnElement[int], actor: Any, bank_id: int | None = None) -> Select[Any]:
    """A list's rows as ``actor`` may see them: an officer only their own bank's (``column`` names the bank);
    anyone may narrow to ``bank_id`` (an officer asking for another bank gets nothing)."""
    if actor.is_officer:
        stmt = stmt.where(column == actor.bank_id)
    if bank_id is not None:
        stmt = stmt.where(column == bank_id)
    return stmt


def get_or_404(session: Session, model: type[T], ident: int, *, entity: str, **kwargs: Any) -> T:
    obj = session.get(model, ident, **kwargs)
    if obj is None:
        raise not_found(entity, ident)
    return obj


def last_closed_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(ClosedPeriod.last_day)))


def established_on_subquery():  # noqa: ANN201 - a scalar subquery: the fund's established_on (NULL: default)
    return select(FundSettings.established_on).where(FundSettings.id == FUND_ID).scalar_subquery()


def established_on(session: Session) -> dt.date:
    """The fund's ``established_on`` (fund setting; :data:`DEFAULT_ESTABLISHED_ON` until an admin sets it)."""
    return session.scalar(select(established_on_subquery())) or DEFAULT_ESTABLISHED_ON


def check_value_date(session: Session, value_date: dt.date, today: dt.date, field: str = "value_date") -> None:
    """The one rule for every business date (value dates, applications, decisions, start and claim dates):
    never in the future (fund timezone, 422), never before the fund's ``established_on`` (422), never inside a
    closed month (409). One round trip reads both bounds."""
    check_not_future(value_date, today, field)
    established, closed = session.execute(
        select(established_on_subquery(), select(func.max(ClosedPeriod.last_day)).scalar_subquery())).one()
    check_established(value_date, established, field)
    check_period_open(value_date, closed, field)


def decision_date(session: Session, decided_on: dt.date | None, today: dt.date | None, subject_on: dt.date,
                  subject: str) -> dt.date:
    """A decision's business date, checked: ``decided_on`` (default ``today``) is a business date
    (:func:`check_value_date`, field ``decided_on``) and not before ``subject_on``, the date of what it decides
    (an application's submission, a claim's filing).

    A caller outside a request that passes neither (a script, a test building books) gets ``subject_on``: the
    earliest date the decision can bear, which is also what migration 0010 gave the decisions made before it.
    """
    if decided_on is None and today is None:
        return subject_on
    on = decided_on or today
    assert on is not None
    if today is not None:
        check_value_date(session, on, today, "decided_on")
    if on < subject_on:
        raise RuleViolation.on("decided_on", f"{on} is before {subject} it decides ({subject_on})")
    return on


def check_established(value_date: dt.date, established: dt.date | None, field: str = "value_date") -> None:
    """422 for a business date before the fund's ``established_on`` (``None``: the default)."""
    established = established or DEFAULT_ESTABLISHED_ON
    if value_date < established:
        raise RuleViolation.on(field, f"{value_date} is before the fund was established ({established})")


def check_not_future(value_date: dt.date, today: dt.date, field: str = "value_date") -> None:
    if value_date > today:
        raise RuleViolation.on(field, f"{value_date} is in the future (today is {today} in the fund's timezone)")


def check_period_open(value_date: dt.date, closed: dt.date | None, field: str = "value_date") -> None:
    """The closed-period half of :func:`check_value_date`, for callers that fetched ``closed`` in another query."""
    if closed is not None and value_date <= closed:
        raise PeriodClosed(
            f"{field} {value_date} falls in a closed period (closed up to {closed})", {field: ["period closed"]}
        )
