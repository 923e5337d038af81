"""Partner banks and guarantee institutions."""

from __future__ import annotations

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.common import KeysetListArgs, page_of
from bridgefund.schemas.registry import (
    BankAsOfArgs,
    BankCreateSchema,
    BankListArgs,
    BankPatchSchema,
    BankSchema,
    BankTermsListSchema,
    GuarantorCreateSchema,
    GuarantorPatchSchema,
    GuarantorSchema,
)
from bridgefund.services import bank_terms, registry
from bridgefund.web import access, actor, session, today

blp = Blueprint("banks", __name__, description="Partner banks and guarantee institutions")


def _with_figures(banks, as_of=None):  # noqa: ANN001, ANN202
    """Each bank as a record: the terms in force on ``as_of`` (default today; services.bank_terms) and its pool
    figures that day (quota used, NPL ratio), each computed in one query for the whole page."""
    on = as_of or today()
    ids = [b.id for b in banks]
    figures = registry.bank_figures(session(), ids, on)
    terms = bank_terms.shown_terms(session(), ids, on)
    out = []
    for b in banks:
        t = terms[b.id]
        used, npl = figures[b.id]
        out.append({
            "id": b.id, "code": b.code, "name": t.name, "status": t.status, "pool_quota": t.pool_quota,
            "pool_quota_used": used, "pool_share": t.pool_share, "npl_ratio": npl, "suspended_on": t.suspended_on,
            "status_reason": b.status_reason if t.newest_status else t.status_reason,
            "created_at": b.created_at, "partner_since": t.partner_since,
            "terms_effective_from": t.effective_from,
        })
    return out


@blp.get("/banks")
@access(registry.list_banks)
@blp.arguments(BankListArgs, location="query")
@blp.response(200, page_of(BankSchema, keyset=True))
@export.exportable(BankSchema, export.BANKS)
def list_banks(args: dict):  # noqa: ANN201
    """List partner banks (a bank officer sees only their own).

    Each bank with the terms in force on `as_of` (default today: name, status, pool quota and share), its quota used
    and NPL ratio on that date; filter by `status` (`active`, `suspended`). A bank that became a partner after
    `as_of` is not listed. Changes nothing.
    """
    page = registry.list_banks(session(), actor(), **paging(args), status=args.get("status"),
                               as_of=args.get("as_of") or today())
    page.items = _with_figures(page.items, args.get("as_of"))
    return page


@blp.post("/banks")
@access(registry.create_bank)
@blp.arguments(BankCreateSchema)
@blp.response(201, BankSchema)
def create_bank(body: dict):  # noqa: ANN201
    """Register a partner bank.

    `effective_from` (default today) is the day it became a partner: it appears in figures and reports from that
    day on. `code` is unique (stored upper-case; 409 when taken). `pool_quota` defaults to 0.00 and `pool_share` to
    the pool's `default_pool_share`. The sum of all quotas may not exceed the pool's leverage × contributions on any
    day from `effective_from` on: 409 `quota-exceeded` (book a contribution first). `effective_from` inside a closed
    month → 409. Writes a `create` audit event.
    """
    body.setdefault("effective_from", today())
    return _with_figures([registry.create_bank(session(), actor(), **body)])[0]


@blp.get("/banks/<int:bank_id>")
@access(registry.get_bank)
@blp.arguments(BankAsOfArgs, location="query")
@blp.response(200, BankSchema)
def get_bank(args: dict, bank_id: int):  # noqa: ANN201
    """Show a partner bank with the terms in force on `as_of`, its quota used and NPL ratio.

    `as_of` defaults to today. A bank officer may read only their own bank: any other id answers 404, as if it did
    not exist. Changes nothing.
    """
    return _with_figures([registry.get_bank(session(), actor(), bank_id)], args.get("as_of"))[0]


@blp.get("/banks/<int:bank_id>/terms")
@access(registry.bank_terms_history)
@blp.response(200, BankTermsListSchema)
def get_bank_terms(bank_id: int):  # noqa: ANN201
    """List a bank's dated terms, oldest first.

    Each row (name, status, pool quota, pool share, who changed it and why) is in force from its `effective_from`
    until the next row that changes the same field. A bank officer sees only their own bank: another bank is 404.
    Changes nothing.
    """
    return {"items": registry.bank_terms_history(session(), actor(), bank_id)}


@blp.patch("/banks/<int:bank_id>")
@access(registry.update_bank)
@blp.arguments(BankPatchSchema)
@blp.response(200, BankSchema)
def patch_bank(body: dict, bank_id: int):  # noqa: ANN201
    """Edit a bank's terms from `effective_from`; `{"status": "active", "reason": …}` reinstates a suspended bank.

    Name, quota and share can change, each from `effective_from` (default today; 409 inside a closed month) until the
    next change of that field; raising the quota is checked against leverage × contributions on every later day
    (409). Banks are suspended only by the NPL rule, so `status` may only go back to `active`, with a `reason` (422
    otherwise). Writes an `update` or `reinstate` audit event.
    """
    body.setdefault("effective_from", today())
    bank = registry.update_bank(session(), actor(), bank_id, body)
    return _with_figures([bank], body["effective_from"] if body["effective_from"] > today() else None)[0]


@blp.get("/guarantors")
@access(registry.list_guarantors)
@blp.arguments(KeysetListArgs, location="query")
@blp.response(200, page_of(GuarantorSchema, keyset=True))
@export.exportable(GuarantorSchema, export.GUARANTORS)
def list_guarantors(args: dict):  # noqa: ANN201
    """List guarantee institutions.

    Guarantors share a pool loan's loss with the pool and the bank (their `guarantee_share`). Newest first, keyset
    paging. Changes nothing.
    """
    return registry.list_guarantors(session(), **paging(args))


@blp.post("/guarantors")
@access(registry.create_guarantor)
@blp.arguments(GuarantorCreateSchema)
@blp.response(201, GuarantorSchema)
def create_guarantor(body: dict):  # noqa: ANN201
    """Register a guarantee institution.

    `name` is unique (409 when taken); `guarantee_share` is the part of a loss it covers (0.00–1.00). Writes a `create`
    audit event.
    """
    return registry.create_guarantor(session(), actor(), **body)


@blp.get("/guarantors/<int:guarantor_id>")
@access(registry.get_guarantor)
@blp.response(200, GuarantorSchema)
def get_guarantor(guarantor_id: int):  # noqa: ANN201
    """Show a guarantee institution.

    One guarantor with its share. 404 for an unknown id. Changes nothing.
    """
    return registry.get_guarantor(session(), guarantor_id)


@blp.patch("/guarantors/<int:guarantor_id>")
@access(registry.update_guarantor)
@blp.arguments(GuarantorPatchSchema)
@blp.response(200, GuarantorSchema)
def patch_guarantor(body: dict, guarantor_id: int):  # noqa: ANN201
    """Edit a guarantee institution.

    Rename it (409 when the name is taken) or change its share; pool loans already reported keep the share they were
    reported with. Writes an `update` audit event.
    """
    return registry.update_guarantor(session(), actor(), guarantor_id, body)
