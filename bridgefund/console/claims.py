"""Claims (代偿) and recoveries (追偿) in the console: the list (an officer: their bank's), a claim's page with its
actions (approve, reject with a reason, pay), filing a claim from a pool loan's page, and recoveries on a paid
claim — each confirmed with the amounts the service computes (``claims.quote_claim``, ``claims.quote_recovery``)
before it is sent, each sent once (a one-time key). The same schemas and services as ``/claims`` and
``/pool-loans/{id}/claims|recoveries``."""

from __future__ import annotations

import functools
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from bridgefund import exports
from bridgefund.console import document_section, export, forms, idempotency
from bridgefund.console.base import bp, current_actor, money, page
from bridgefund.console.labels import status_name
from bridgefund.console.may import may
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.models import ClaimStatus
from bridgefund.schemas.pool import (
    ClaimApproveSchema,
    ClaimFileSchema,
    ClaimListArgs,
    ClaimPaySchema,
    ClaimRejectSchema,
    ClaimSchema,
    PoolRecoveryCreateSchema,
)
from bridgefund.services import claims, documents, pool_loans
from bridgefund.web import access, session, settings, today

PAGE_SIZE = 25
STATUSES = [s.value for s in ClaimStatus]

# --- the list ----------------------------------------------------------------------------------------------------


@bp.get("/claims")
@access(claims.list_claims)
def claims_list() -> Any:
    """Claims newest first (an officer: their bank's), filtered by status; keyset paging like the API."""
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in ("status", "bank_id", "after_id")}
    try:
        args = forms.load(ClaimListArgs(), raw)
    except RuleViolation as err:
        return page("console/claim_list.html", 422, errors=err.errors, filters=raw, result=None, statuses=STATUSES)
    for paging in ("page", "page_size", "total", "format"):
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.CLAIMS, ClaimSchema, functools.partial(claims.list_claims, session(), actor), args)
    result = claims.list_claims(session(), actor, 1, PAGE_SIZE, count_limit=settings().exact_total_limit, **args)
    filters = {k: v for k, v in raw.items() if k != "after_id"}
    next_url = (url_for("console.claims_list", **filters, after_id=result.next_after_id)
                if result.next_after_id else None)
    return page("console/claim_list.html", result=result, filters=filters, next_url=next_url, errors={},
                statuses=STATUSES)


# --- a claim and its actions ---------------------------------------------------------------------------------


ACTIONS: dict[str, tuple[Any, type[Schema], tuple[str, ...], ClaimStatus | None, bool]] = {
    # name: (label, schema, fields, status it needs, danger)
    "approve": (_l("Approve"), ClaimApproveSchema, ("comment", "decided_on"), ClaimStatus.filed, False),
    "reject": (_l("Reject"), ClaimRejectSchema, ("reason", "decided_on"), ClaimStatus.filed, True),
    "pay": (_l("Pay"), ClaimPaySchema, ("value_date",), ClaimStatus.approved, False),
    "recover": (_l("Record recovery"), PoolRecoveryCreateSchema, ("amount", "value_date", "external_ref"),
                ClaimStatus.paid, False),
}
OPERATIONS = {"approve": claims.approve_claim, "reject": claims.reject_claim, "pay": claims.pay_claim,
              "recover": claims.record_recovery}


def _context(claim_id: int, upload: document_section.UploadState = document_section.NO_UPLOAD) -> dict[str, Any]:
    actor = current_actor()
    claim = claims.get_claim(session(), actor, claim_id)
    loan = pool_loans.get_pool_loan(session(), actor, claim.loan_id, today())
    recoveries = [r for r in loan.loan.recoveries if r.claim_id == claim.id]
    actions = [name for name, (_label, _s, _f, needs, _d) in ACTIONS.items()
               if claim.status == needs and may(actor, OPERATIONS[name])]
    docs = document_section.section("claim", claim_id, required=documents.claim_required(session()), upload=upload)
    return {"claim": claim, "loan": loan, "recoveries": recoveries, "actions": actions, "ACTIONS": ACTIONS,
            "errors": {}, "open_action": None, "values": {}, "quote": None, "confirming": None, "missing": [],
            "docs": docs}


@bp.get("/claims/<int:claim_id>")
@access(claims.get_claim)
def claim_detail(claim_id: int) -> Any:
    """A claim: its figures, its loan, its decisions, the recoveries on it, and the actions open to you."""
    return page("console/claim_detail.html", **_context(claim_id))


def _body(name: str, source: Any) -> dict[str, Any]:
    _label, schema, fields, _needs, _danger = ACTIONS[name]
    return forms.load(schema(), forms.collect(source, fields=fields, money=("amount",) if name == "recover" else ()))


def _confirm(claim_id: int, name: str) -> Any:
    """What the action will do — for a recovery, the split the service computes — before it is sent."""
    ctx = _context(claim_id)
    ctx["values"] = {k: request.args.get(k, "") for k in ACTIONS[name][2]}
    try:
        body = _body(name, request.args)
        if name == "recover":
            ctx["quote"] = claims.quote_recovery(session(), current_actor(), today(), ctx["claim"].loan_id, **body)
        if name == "approve":  # the papers first: a 409 here names the missing kinds at the button
            claims.check_documents(session(), claim_id)
    except DomainError as err:
        ctx.update(errors=err.errors, open_action=name, detail=err.detail,
                   missing=err.extra.get("missing_documents", []))
        return page("console/claim_detail.html", err.status, **ctx)
    ctx.update(confirming=name, body=body)
    return page("console/claim_detail.html", **ctx)


def _do(claim_id: int, name: str) -> Any:
    """Carry the action out (the same service call as the API), once per confirmation."""
    actor = current_actor()
    claim = claims.get_claim(session(), actor, claim_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    s, t = session(), today()
    try:
        body = _body(name, request.form)
        if name == "approve":
            claims.approve_claim(s, actor, claim_id, today=t, **body)
        elif name == "reject":
            claims.reject_claim(s, actor, claim_id, today=t, **body)
        elif name == "pay":
            claims.pay_claim(s, actor, t, claim_id, **body)
        else:
            recovery = claims.record_recovery(s, actor, t, claim.loan_id, **body)
    except DomainError as err:
        session().rollback()
        ctx = _context(claim_id)
        ctx.update(errors=err.errors, open_action=name, detail=err.detail,
                   values={k: request.form.get(k, "") for k in ACTIONS[name][2]},
                   missing=err.extra.get("missing_documents", []))
        return page("console/claim_detail.html", err.status, **ctx)
    if name == "recover":
        flash(_("Recovery of %(amount)s recorded; %(pool)s returns to the pool.", amount=money(recovery.amount),
                pool=money(recovery.pool_amount)), "success")
    else:
        flash(_("%(action)s: claim %(reference)s is now %(status)s.", action=ACTIONS[name][0],
                reference=claim.reference, status=status_name(claim.status)), "success")
    return idempotency.done(url_for("console.claim_detail", claim_id=claim_id))


def _views(name: str) -> None:
    def confirm(claim_id: int) -> Any:
        return _confirm(claim_id, name)

    def do(claim_id: int) -> Any:
        return _do(claim_id, name)

    for view, rule, verb, method in ((confirm, f"/claims/<int:claim_id>/confirm/{name}", "confirm", "GET"),
                                     (do, f"/claims/<int:claim_id>/{name}", "do", "POST")):
        view.__name__ = view.__qualname__ = f"{verb}_claim_{name}"
        view.__doc__ = f"{(_confirm if verb == 'confirm' else _do).__doc__} ({name})"
        operation = claims.quote_recovery if (name, verb) == ("recover", "confirm") else OPERATIONS[name]
        bp.add_url_rule(rule, view.__name__, access(operation)(view), methods=[method])


for _name in ACTIONS:
    _views(_name)


# --- documents: the claim's papers and its checklist (downloads: console.document_section) ------------------------


def _show_refused_upload(claim_id: int, state: document_section.UploadState, status: int) -> Any:
    return page("console/claim_detail.html", status, **_context(claim_id, upload=state))


document_section.add_upload_route("/claims/<int:claim_id>/documents", "upload_claim_document", "claim",
                                  "console.claim_detail", _show_refused_upload)


# --- filing a claim on a pool loan -------------------------------------------------------------------------------


@bp.get("/pool-loans/<int:loan_id>/claim")
@access(claims.quote_claim)
def new_claim(loan_id: int) -> Any:
    """The claim form of a loan; with ``claimed_on`` given, the claim the service would file (amount, unpaid
    principal, days past due, pool share), to confirm."""
    actor = current_actor()
    loan = pool_loans.get_pool_loan(session(), actor, loan_id, today())
    values = {"claimed_on": request.args.get("claimed_on", "")}
    if not values["claimed_on"]:
        return page("console/claim_new.html", loan=loan, values={"claimed_on": today().isoformat()}, errors={},
                    quote=None)
    try:
        body = forms.load(ClaimFileSchema(), forms.collect(request.args, fields=("claimed_on",)))
        quote = claims.quote_claim(session(), actor, today(), loan_id, **body)
    except DomainError as err:
        return page("console/claim_new.html", err.status, loan=loan, values=values, errors=err.errors,
                    detail=err.detail, quote=None)
    return page("console/claim_new.html", loan=loan, values=values, errors={}, quote=quote)


@bp.post("/pool-loans/<int:loan_id>/claim")
@access(claims.file_claim)
def file_claim(loan_id: int) -> Any:
    """File the claim (``POST /pool-loans/{id}/claims``: the same schema and service), once per confirmation."""
    actor = current_actor()
    pool_loans.visible_loan(session(), actor, loan_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {"claimed_on": request.form.get("claimed_on", "")}
    try:
        body = forms.load(ClaimFileSchema(), forms.collect(request.form, fields=("claimed_on",)))
        claim = claims.file_claim(session(), actor, today(), loan_id, **body)
    except DomainError as err:
        session().rollback()
        loan = pool_loans.get_pool_loan(session(), actor, loan_id, today())
        return page("console/claim_new.html", err.status, loan=loan, values=values, errors=err.errors,
                    detail=err.detail, quote=None)
    flash(_("Claim %(reference)s of %(amount)s filed.", reference=claim.reference, amount=money(claim.amount)),
          "success")
    return idempotency.done(url_for("console.claim_detail", claim_id=claim.id))
