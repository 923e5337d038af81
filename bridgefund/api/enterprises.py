"""Enterprises (borrowers): master data shared by all banks."""

from __future__ import annotations

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.schemas.common import page_of
from bridgefund.schemas.registry import (
    EnterpriseCreateSchema,
    EnterpriseListArgs,
    EnterprisePatchSchema,
    EnterpriseSchema,
)
from bridgefund.services import registry
from bridgefund.web import access, actor, session

blp = Blueprint("enterprises", __name__, description="Enterprises (borrowers)")


@blp.get("/enterprises")
@access(registry.list_enterprises)
@blp.arguments(EnterpriseListArgs, location="query")
@blp.response(200, page_of(EnterpriseSchema, keyset=True))
@export.exportable(EnterpriseSchema, export.ENTERPRISES)
def list_enterprises(args: dict):  # noqa: ANN201
    """Search enterprises by name or credit code (``q``) or exact ``uscc``.

    Enterprises are master data shared by all banks (a bank officer sees every enterprise, never other banks' loans to
    it). Newest first, keyset paging. Changes nothing.
    """
    return registry.list_enterprises(session(), **paging(args), q=args.get("q"), uscc=args.get("uscc"))


@blp.post("/enterprises")
@access(registry.create_enterprise)
@blp.arguments(EnterpriseCreateSchema)
@blp.response(201, EnterpriseSchema)
def create_enterprise(body: dict):  # noqa: ANN201
    """Register an enterprise; the credit code's check character is verified, duplicates answer 409.

    `uscc` is the 18-character unified social credit code (统一社会信用代码); a wrong check character is a 422
    that names the expected one. Only micro, small and medium enterprises registered in the zone (`in_zone`) may
    borrow. Writes a `create` audit event.
    """
    return registry.create_enterprise(session(), actor(), **body)


@blp.get("/enterprises/<int:enterprise_id>")
@access(registry.get_enterprise)
@blp.response(200, EnterpriseSchema)
def get_enterprise(enterprise_id: int):  # noqa: ANN201
    """Show an enterprise.

    One enterprise's master data. 404 for an unknown id. Changes nothing.
    """
    return registry.get_enterprise(session(), enterprise_id)


@blp.patch("/enterprises/<int:enterprise_id>")
@access(registry.update_enterprise)
@blp.arguments(EnterprisePatchSchema)
@blp.response(200, EnterpriseSchema)
def patch_enterprise(body: dict, enterprise_id: int):  # noqa: ANN201
    """Correct an enterprise's master data.

    Name, size, industry and the in-zone flag can change; the credit code cannot (register a new enterprise).
    Writes an `update` audit event with the before and after values.
    """
    return registry.update_enterprise(session(), actor(), enterprise_id, body)
