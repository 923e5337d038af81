"""Partner banks and guarantee institutions."""

from __future__ import annotations

from flask_smorest import Blueprint

from bridgefund.api import paging
from bridgefund.models import Guarantor
from bridgefund.schemas.common import KeysetListArgs, page_of
from bridgefund.schemas.registry import (
    BankCreateSchema,
    BankListArgs,
    BankPatchSchema,
    BankSchema,
    GuarantorCreateSchema,
    GuarantorPatchSchema,
    GuarantorSchema,
)
from bridgefund.services import registry
from bridgefund.services.common import get_or_404
from bridgefund.web import ANY, access, actor, session, today

blp = Blueprint("banks", __name__, description="Partner banks and guarantee institutions")


def _with_figures(banks):  # noqa: ANN001, ANN202
    """Attach each bank's pool figures (quota used, NPL ratio) computed in one query for the whole page."""
    figures = registry.bank_figures(session(), [b.id for b in banks], today())
    for b in banks:
        b.pool_quota_used, b.npl_ratio = figures[b.id]
    return banks


@blp.get("/banks")
@access(ANY)
@blp.arguments(BankListArgs, location="query")
@blp.response(200, page_of(BankSchema, keyset=True))
def list_banks(args: dict):  # noqa: ANN201
    """List partner banks (a bank officer sees only their own).

    Each bank with its pool quota, quota used and NPL ratio as of today; filter by `status` (`active`, `suspended`).
    Changes nothing.
    """
    page = registry.list_banks(session(), actor(), **paging(args), status=args.get("status"))
    _with_figures(page.items)
    return page


@blp.post("/banks")
@access("admin")
@blp.arguments(BankCreateSchema)
@blp.response(201, BankSchema)
def create_bank(body: dict):  # noqa: ANN201
    """Register a partner bank.

    `code` is unique (stored upper-case; 409 when taken). `pool_quota` defaults to 0.00 and `pool_share` to the pool's
    `default_pool_share`. The sum of all quotas may not exceed the pool's leverage × contributions: 409 `quota-exceeded`
    (book a contribution first). Writes a `create` audit event.
    """
    return _with_figures([registry.create_bank(session(), actor(), **body)])[0]


@blp.get("/banks/<int:bank_id>")
@access(ANY)
@blp.response(200, BankSchema)
def get_bank(bank_id: int):  # noqa: ANN201
    """Show a partner bank with its quota used and NPL ratio.

    A bank officer may read only their own bank: any other id answers 404, as if it did not exist. Changes nothing.
    """
    return _with_figures([registry.get_bank(session(), actor(), bank_id)])[0]


@blp.patch("/banks/<int:bank_id>")
@access("admin")
@blp.arguments(BankPatchSchema)
@blp.response(200, BankSchema)
def patch_bank(body: dict, bank_id: int):  # noqa: ANN201
    """Edit a bank; ``{"status": "active", "reason": …}`` reinstates a suspended bank.

    Name, quota and share can change; raising the quota is checked against leverage × contributions (409). Banks are
    suspended only by the NPL rule, so `status` may only go back to `active`, with a `reason` (422 otherwise). Writes an
    `update` or `reinstate` audit event.
    """
    return _with_figures([registry.update_bank(session(), actor(), bank_id, body)])[0]


@blp.get("/guarantors")
@access(ANY)
@blp.arguments(KeysetListArgs, location="query")
@blp.response(200, page_of(GuarantorSchema, keyset=True))
def list_guarantors(args: dict):  # noqa: ANN201
    """List guarantee institutions.

    Guarantors share a pool loan's loss with the pool and the bank (their `guarantee_share`). Newest first, keyset
    paging. Changes nothing.
    """
    return registry.list_guarantors(session(), **paging(args))


@blp.post("/guarantors")
@access("admin")
@blp.arguments(GuarantorCreateSchema)
@blp.response(201, GuarantorSchema)
def create_guarantor(body: dict):  # noqa: ANN201
    """Register a guarantee institution.

    `name` is unique (409 when taken); `guarantee_share` is the part of a loss it covers (0.00–1.00). Writes a `create`
    audit event.
    """
    return registry.create_guarantor(session(), actor(), **body)


@blp.get("/guarantors/<int:guarantor_id>")
@access(ANY)
@blp.response(200, GuarantorSchema)
def get_guarantor(guarantor_id: int):  # noqa: ANN201
    """Show a guarantee institution.

    One guarantor with its share. 404 for an unknown id. Changes nothing.
    """
    return get_or_404(session(), Guarantor, guarantor_id, entity="guarantor")


@blp.patch("/guarantors/<int:guarantor_id>")
@access("admin")
@blp.arguments(GuarantorPatchSchema)
@blp.response(200, GuarantorSchema)
def patch_guarantor(body: dict, guarantor_id: int):  # noqa: ANN201
    """Edit a guarantee institution.

    Rename it (409 when the name is taken) or change its share; pool loans already reported keep the share they were
    reported with. Writes an `update` audit event.
    """
    return registry.update_guarantor(session(), actor(), guarantor_id, body)
