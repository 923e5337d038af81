"""HTTP API: flask-smorest blueprints. Each view loads, makes one service call, dumps. No rules, no commits.

The blueprints are registered on the app by ``api.app.register``; this package holds what they share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridgefund.web import settings


def paging(args: dict[str, Any]) -> dict[str, Any]:
    """Take the paging arguments out of a list's query ``args`` as the keywords its service call takes.

    ``page``, ``page_size``, ``after_id`` (keyset lists only) and ``count_limit``: rows counted exactly before
    ``total`` may be estimated (``BRIDGEFUND_EXACT_TOTAL_LIMIT``), None when the request asks ``total=exact``.
    """
    out = {"page": args.pop("page"), "page_size": args.pop("page_size")}
    if "after_id" in args:
        out["after_id"] = args.pop("after_id")
    total = args.pop("total", "auto")
    if "count_limit" in args:  # set by an export (api.export), never by the query string
        out["count_limit"] = args.pop("count_limit")
    else:
        out["count_limit"] = None if total == "exact" else settings().exact_total_limit
    return out


def brief_view(item_schema: type[Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a list view that answers ``view=brief`` with lighter items of ``item_schema`` (issue 16): the OpenAPI
    document (:func:`bridgefund.api.docs.document_operations`) then gives its 200 answer as one of the two pages."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view._bf_brief = item_schema  # type: ignore[attr-defined]
        return view

    return decorate


def brief_item_schema(view: Callable[..., Any] | None) -> type[Any] | None:
    """The ``view=brief`` item schema of a list view (None for lists without one)."""
    while view is not None:
        found = getattr(view, "_bf_brief", None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)
    return None
