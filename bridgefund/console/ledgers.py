"""The fund's and the pool's ledgers (资金流水) in the console: every movement of cash with the balance after it —
the records of ``GET /fund/ledger`` (filtered by kind and value dates, keyset paging) and ``GET /pool/ledger`` (paged
by number), from the same services and query schemas, each with its "Export to Excel" (the API's sheets)."""

from __future__ import annotations

import functools
from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from bridgefund import exports
from bridgefund.console import export, forms
from bridgefund.console.base import bp, current_actor, page
from bridgefund.errors import RuleViolation
from bridgefund.schemas.fund import KINDS, FundLedgerEntrySchema, FundLedgerListArgs
from bridgefund.schemas.pool import PoolLedgerEntrySchema
from bridgefund.services import fund, pool
from bridgefund.web import access, session, settings

PAGE_SIZE = 50
FUND_FILTERS = ("kind", "bridge_loan_id", "from", "to")
#: The kinds of entry as people name them.
KIND_NAMES = {"capital_in": _l("Capital in"), "capital_out": _l("Capital out"), "disbursement": _l("Disbursement"),
              "principal_repaid": _l("Principal repaid"), "fee": _l("Fee"), "penalty": _l("Penalty"),
              "write_off": _l("Write-off loss"), "recovery": _l("Recovery"), "contribution": _l("Contribution"),
              "claim_payout": _l("Claim payout"), "recovery_share": _l("Recovery share")}


def kind_name(code: str) -> str:
    return str(KIND_NAMES.get(code, code))


@bp.get("/fund/ledger")
@access(fund.list_ledger)
def fund_ledger() -> Any:
    """The fund's ledger, newest value date first, by kind, loan and value dates (in the URL); keyset paging."""
    actor = current_actor()
    raw = {k: v.strip() for k, v in request.args.items() if v.strip() and k in (*FUND_FILTERS, "after_id")}
    context = {"filters": {k: v for k, v in raw.items() if k != "after_id"}, "kinds": KINDS, "kind_name": kind_name}
    try:
        args = forms.load(FundLedgerListArgs(), raw)
    except RuleViolation as err:
        return page("console/ledger_fund.html", 422, errors=err.errors, result=None, next_url=None, **context)
    for paging in ("page", "page_size", "total", "format"):
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.FUND_LEDGER, FundLedgerEntrySchema,
                           functools.partial(fund.list_ledger, session(), actor), args)
    result = fund.list_ledger(session(), actor, 1, PAGE_SIZE, count_limit=settings().exact_total_limit, **args)
    next_url = (url_for("console.fund_ledger", **context["filters"], after_id=result.next_after_id)
                if result.next_after_id else None)
    return page("console/ledger_fund.html", errors={}, result=result, next_url=next_url, **context)


@bp.get("/pool/ledger")
@access(pool.list_ledger)
def pool_ledger() -> Any:
    """The pool's ledger, newest value date first, paged by number like ``GET /pool/ledger``."""
    actor = current_actor()
    if export.wanted():
        return export.xlsx(exports.POOL_LEDGER, PoolLedgerEntrySchema,
                           functools.partial(pool.list_ledger, session(), actor), {})
    raw = (request.args.get("page") or "1").strip()
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
    result = pool.list_ledger(session(), actor, number, PAGE_SIZE, count_limit=settings().exact_total_limit)
    next_url = url_for("console.pool_ledger", page=number + 1) if number * PAGE_SIZE < result.total else None
    return page("console/ledger_pool.html", result=result, next_url=next_url, kind_name=kind_name, filters={})
