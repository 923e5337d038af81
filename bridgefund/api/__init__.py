"""HTTP API: flask-smorest blueprints. Each view loads, makes one service call, dumps. No rules, no commits.

The blueprints are registered on the app by ``api.app.register``; this package holds what they share.
"""

from __future__ import annotations

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
