""""Export to Excel" on every console list: the list's filtered rows as an .xlsx (台账), scoped exactly like the list.

The sheet is written by :func:`bridgefund.exports.write` from the same :class:`~bridgefund.exports.Table` as the
API's ``format=xlsx`` — the same columns, Chinese headers (English ones when the console is in English) — and the
rows come from the list's own service call with the signed-in actor, so an officer's export holds their bank's rows
only. A list view offers it with one line after loading its filters::

    if export.wanted():
        return export.xlsx(exports.BRIDGE_LOANS, BridgeLoanSchema,
                           functools.partial(bridge_loans.list_loans, session(), actor, today=today()), args)

and its template with ``{{ export_button("console.bridge_loans_list", filters) }}`` (macros.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request
from marshmallow import Schema

from bridgefund import exports
from bridgefund.console.base import locale
from bridgefund.web import settings, today

#: The query argument asking a list for its export (the API's name for it).
FORMAT = "format"


def wanted() -> bool:
    """Whether the list's page was asked for its Excel export (``?format=xlsx``)."""
    return request.args.get(FORMAT) == "xlsx"


def xlsx(table: exports.Table, schema: type[Schema], call: Callable[..., Any], filters: dict[str, Any]) -> Response:
    """Every row the list's ``filters`` match, as an .xlsx download.

    ``call(page=, page_size=, count_limit=, after_id=, **filters)`` is the list's service call with the session and
    the actor bound; paging arguments in ``filters`` are ignored (the export holds every matching row)."""
    rows = {k: v for k, v in filters.items() if k not in ("page", "page_size", "after_id", "total", FORMAT)}
    return exports.write(table, lambda args: call(**args), schema(), rows, tz=settings().tz,
                         stamp=today().isoformat(), lang=locale())
