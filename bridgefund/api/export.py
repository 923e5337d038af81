"""``format=xlsx`` on every list: the same filtered, scoped rows as a 台账 (ledger sheet) with Chinese headers.

One mechanism for every list. :func:`exportable` wraps a list view: without ``format=xlsx`` the view answers its
JSON page as before; with it the view is called again and again for pages of :data:`CHUNK` rows (keyset by
``after_id`` where the list has it, else by page number) — so the rows are exactly the JSON list's rows, with its
filters, its order and its bank scoping, because they come from the same service call — and written by
:func:`bridgefund.exports.write`, which the console's exports use too. What each list shows (its :class:`Table`)
is defined there, below both layers; the names are re-exported here.

More than :data:`MAX_ROWS` matching rows answer 413 naming the limit (nothing is written): a sheet that big is
a job for narrower filters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response
from marshmallow import Schema

from bridgefund import exports
from bridgefund.errors import RuleViolation
from bridgefund.exports import (  # noqa: F401 - re-exported: the API's views and tests name the tables here
    AUDIT_EVENTS,
    BANKS,
    BRIDGE_LOANS,
    CHUNK,
    CLAIMS,
    DOCUMENTS,
    ENTERPRISES,
    FUND_LEDGER,
    GUARANTORS,
    MAX_ROWS,
    NOTIFICATION_DELIVERIES,
    NOTIFICATIONS,
    PERIODS,
    POOL_LEDGER,
    POOL_LOANS,
    REPORTS,
    TABLES,
    USERS,
    XLSX,
    Column,
    Table,
    content_disposition,
    export_too_large,
    safe_text,
)
from bridgefund.web import settings, today


def exportable(item_schema: type[Schema], table: Table) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a list view ``format=xlsx`` (the query argument is :class:`~bridgefund.schemas.common.ListArgs`'s).

    The view must take the list's query ``args`` first and answer a ``Page`` (services.common) through
    :func:`bridgefund.api.paging`; it is then called once per :data:`CHUNK` rows."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(args: dict[str, Any], *a: Any, **kw: Any) -> Any:
            if args.pop("format", "json") != "xlsx":
                return view(args, *a, **kw)
            return _export(lambda chunk_args: view(chunk_args, *a, **kw), args, item_schema(), table)

        wrapper._bf_export = table  # type: ignore[attr-defined]
        return wrapper

    return decorate


def export_table(view: Callable[..., Any] | None) -> Table | None:
    """The :class:`Table` a view exports (None for views without ``format=xlsx``)."""
    while view is not None:
        found = getattr(view, "_bf_export", None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)
    return None


def _export(fetch: Callable[[dict[str, Any]], Any], args: dict[str, Any], schema: Schema, table: Table) -> Response:
    if args.get("page", 1) > 1 or args.get("after_id") is not None:
        raise RuleViolation.on("query.format", "an XLSX export holds every matching row: leave out page and after_id")
    # ``view`` shapes a JSON item; the workbook is always the list's whole table, written from the full items
    filters = {k: v for k, v in args.items() if k not in ("page", "page_size", "after_id", "total", "view")}
    return exports.write(table, fetch, schema, filters, tz=settings().tz, stamp=today().isoformat())
