"""Helpers every service uses: scoped lookups, paging with a constant number of queries, business dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bridgefund.errors import PeriodClosed, RuleViolation, not_found
from bridgefund.models import ClosedPeriod

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int


def paginate(session: Session, stmt: Select[Any], page: int, page_size: int) -> Page[Any]:
    """One COUNT and one page query, whatever the page size. ``stmt`` must carry a stable ORDER BY.

    Eager loads on ``stmt`` must be ``selectinload`` (one extra query per relationship, not per row).
    """
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)).all())
    return Page(items=items, page=page, page_size=page_size, total=total)


def get_or_404(session: Session, model: type[T], ident: int, *, entity: str, **kwargs: Any) -> T:
    obj = session.get(model, ident, **kwargs)
    if obj is None:
        raise not_found(entity, ident)
    return obj


def last_closed_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(ClosedPeriod.last_day)))


def check_value_date(session: Session, value_date: dt.date, today: dt.date, field: str = "value_date") -> None:
    """A value date is never in the future (fund timezone) and never inside a closed month."""
    check_not_future(value_date, today, field)
    check_period_open(value_date, last_closed_day(session), field)


def check_not_future(value_date: dt.date, today: dt.date, field: str = "value_date") -> None:
    if value_date > today:
        raise RuleViolation.on(field, f"{value_date} is in the future (today is {today} in the fund's timezone)")


def check_period_open(value_date: dt.date, closed: dt.date | None, field: str = "value_date") -> None:
    """The closed-period half of :func:`check_value_date`, for callers that fetched ``closed`` in another query."""
    if closed is not None and value_date <= closed:
        raise PeriodClosed(
            f"{field} {value_date} falls in a closed period (closed up to {closed})", {field: ["period closed"]}
        )
