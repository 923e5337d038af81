"""Bridge loans in the console: the list, the application form (with its live checks), the detail with its
timeline, and the actions — each confirmed with its amounts before it is sent, each sent once.

Forms load through the API's own schemas (``bridgefund.schemas.bridge_loan``) and call the API's services; a
refusal shows the problem's field errors beside the fields and changes nothing (the request rolls back).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from bridgefund import exports
from bridgefund.console import document_section, export, forms, idempotency
from bridgefund.console.base import bp, current_actor, htmx, locale, money, page
from bridgefund.console.labels import status_name
from bridgefund.console.may import may
from bridgefund.console.reports import attachment
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.finance.uscc import normalize_uscc, validate_uscc
from bridgefund.models import BridgeLoanStatus
from bridgefund.models.bridge_loan import LENT_STATUSES
from bridgefund.reports import service as reports
from bridgefund.schemas.bridge_loan import (
    STATUSES,
    BridgeApproveSchema,
    BridgeLoanAsOfArgs,
    BridgeLoanCreateSchema,
    BridgeLoanListArgs,
    BridgeLoanSchema,
    BridgeOptionalReasonSchema,
    BridgeOptionalValueDateSchema,
    BridgeRecoveryCreateSchema,
    BridgeRejectSchema,
    BridgeRenewalApprovedSchema,
    BridgeRenewalDisbursedSchema,
    BridgeRepaymentCreateSchema,
    BridgeValueDateSchema,
    BridgeWriteOffSchema,
)
from bridgefund.services import bridge_loans, registry
from bridgefund.web import access, session, settings, today

PAGE_SIZE = 25
#: The application form's fields, named like the JSON members of ``POST /bridge-loans``.
APPLICATION_FIELDS = ("enterprise_id", "bank_id", "maturing_loan.contract_no", "maturing_loan.amount",
                      "maturing_loan.due_date", "amount", "term_days", "renewal.amount", "renewal.expected_date",
                      "purpose")
APPLICATION_MONEY = ("maturing_loan.amount", "amount", "renewal.amount")
LIST_FILTERS = ("status", "awaiting", "overdue", "due_from", "due_to", "disbursed_from", "disbursed_to", "bank_id",
                "enterprise_id")


@dataclass(frozen=True)
class Action:
    """One action on a loan: the service operation it performs (its permission opens the action's confirmation and
    its POST, and :func:`may` shows its button), its schema, its form's fields."""

    name: str  # the name of its operation in services.bridge_loans
    label: Any
    schema: type[Schema]
    fields: tuple[str, ...]
    money: tuple[str, ...] = ()
    #: The status it moves the loan to (None: the loan must be lent, as for a repayment).
    target: BridgeLoanStatus | None = None
    danger: bool = False
    #: A step of the renewal loop (the service says which one is open: ``bridge_loans.next_renewal_step``).
    renewal: bool = False
    #: The status the loan must be in (an action that moves no status, as a recovery on a written-off loan).
    on_status: BridgeLoanStatus | None = None
    #: Tried (and rolled back) at the confirmation, so that a refusal shows there and the confirmation shows what
    #: the service would book (the days overdue of a default, the loss of a write-off).
    dry_run: bool = False

    @property
    def operation(self) -> Callable[..., Any]:
        return getattr(bridge_loans, self.name)

    @property
    def confirm_endpoint(self) -> str:
        return f"console.confirm_{self.name}"

    @property
    def do_endpoint(self) -> str:
        return f"console.do_{self.name}"

    def available(self, loan: Any) -> bool:
        if self.renewal:
            return bridge_loans.next_renewal_step(loan) == self.name
        if self.on_status is not None:
            return loan.state is self.on_status
        if self.target is None:
            return loan.state in LENT_STATUSES
        return self.target in loan.state.next_states


S = BridgeLoanStatus
ACTIONS = {a.name: a for a in (
    Action("approve", _l("Approve"), BridgeApproveSchema, ("comment", "decided_on"), target=S.approved),
    Action("reject", _l("Reject"), BridgeRejectSchema, ("reason", "decided_on"), target=S.rejected, danger=True),
    Action("disburse", _l("Disburse"), BridgeValueDateSchema, ("value_date",), target=S.disbursed),
    Action("repay", _l("Record repayment"), BridgeRepaymentCreateSchema, ("amount", "value_date", "external_ref"),
           money=("amount",)),
    Action("withdraw", _l("Withdraw"), BridgeOptionalReasonSchema, ("reason",), target=S.withdrawn, danger=True),
    Action("cancel", _l("Cancel"), BridgeOptionalReasonSchema, ("reason",), target=S.cancelled, danger=True),
    Action("record_renewal_approved", _l("Record the bank's renewal approval"), BridgeRenewalApprovedSchema,
           ("decided_on", "amount"), money=("amount",), renewal=True),
    Action("record_renewal_disbursed", _l("Record the renewal's disbursement"), BridgeRenewalDisbursedSchema,
           ("value_date", "amount", "contract_no"), money=("amount",), renewal=True),
    Action("declare_default", _l("Declare default"), BridgeOptionalValueDateSchema, ("value_date",),
           target=S.defaulted, danger=True, dry_run=True),
    Action("write_off", _l("Write off"), BridgeWriteOffSchema, ("reason", "value_date"), target=S.written_off,
           danger=True, dry_run=True),
    Action("recover", _l("Record recovery"), BridgeRecoveryCreateSchema, ("amount", "value_date", "note"),
           money=("amount",), on_status=S.written_off, dry_run=True),
)}


def default_value(action: Action, field: str, loan: Any) -> str:
    """What an action's field shows before anything is typed: today for a date the API requires, the amount the
    action most likely records."""
    if field == "value_date" or (field == "decided_on" and action.renewal):
        return today().isoformat()
    if field == "amount":
        if action.name == "record_renewal_approved":
            return f"{loan.renewal_amount:.2f}"
        if action.name == "record_renewal_disbursed":
            return f"{loan.renewal_approved_amount:.2f}" if loan.renewal_approved_amount is not None else ""
        if action.name == "recover":
            return ""
        if loan.figures.amount_due:
            return f"{loan.figures.amount_due:.2f}"
    return ""


def _actions_for(actor: Any, loan: Any) -> list[Action]:
    return [a for a in ACTIONS.values() if may(actor, a.operation) and a.available(loan)]


# --- the list ----------------------------------------------------------------------------------------------------


@bp.get("/bridge-loans")
@access(bridge_loans.list_loans)
def bridge_loans_list() -> Any:
    """Bridge loans (an officer: their bank's), filters in the URL, keyset paging like the API; ``q`` searches the
    enterprises by name or credit code to filter by one (the one it finds, when it finds exactly one)."""
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in (*LIST_FILTERS, "after_id")}
    search = _enterprise_filter(raw)
    try:
        args = forms.load(BridgeLoanListArgs(), raw)
    except RuleViolation as err:
        return page("console/bridge_list.html", 422, errors=err.errors, filters=raw, result=None, banks=_banks(actor),
                    statuses=STATUSES, **search)
    for paging in ("page", "page_size", "total", "format"):  # the console pages by after_id
        args.pop(paging, None)
    if export.wanted():
        return export.xlsx(exports.BRIDGE_LOANS, BridgeLoanSchema,
                           functools.partial(bridge_loans.list_loans, session(), actor, today=today()), args)
    result = bridge_loans.list_loans(session(), actor, 1, PAGE_SIZE, today=today(),
                                     count_limit=settings().exact_total_limit, **args)
    filters = {k: v for k, v in raw.items() if k != "after_id"}
    next_url = (url_for("console.bridge_loans_list", **filters, after_id=result.next_after_id)
                if result.next_after_id else None)
    template = "console/partials/bridge_rows.html" if htmx() and request.headers.get("HX-Target") == "loan-rows" \
        else "console/bridge_list.html"
    return page(template, result=result, filters=filters, next_url=next_url, errors={}, banks=_banks(actor),
                statuses=STATUSES, **search)


def _enterprise_filter(raw: dict[str, str]) -> dict[str, Any]:
    """The list's enterprise search: the text typed (``q``), the enterprises it finds (at most 10, as the application
    form's search) and the enterprise filtered by; a search finding exactly one filters by it (``raw`` is updated)."""
    q = (request.args.get("q") or "").strip()[:100]
    found = registry.list_enterprises(session(), 1, 10, q=q).items if len(q) >= 2 else []
    if len(found) == 1 and "enterprise_id" not in raw:
        raw["enterprise_id"] = str(found[0].id)
    chosen = _enterprise(raw.get("enterprise_id", ""))
    return {"ent_q": q, "ent_found": [e for e in found if chosen is None or e.id != chosen.id], "ent_chosen": chosen}




def _banks(actor: Any) -> list[Any]:
    if actor.is_officer:
        return []
    return registry.list_banks(session(), actor, 1, 100).items


# --- the application ---------------------------------------------------------------------------------------------


@bp.get("/bridge-loans/new")
@access(bridge_loans.submit)
def new_bridge_loan() -> Any:
    """The application form: enterprise, maturing loan, renewal commitment, amount and term with the fee."""
    actor = current_actor()
    values = {"enterprise_id": request.args.get("enterprise_id", "")}
    return page("console/bridge_new.html", values=values, errors={}, banks=_banks(actor),
                enterprise=_enterprise(values["enterprise_id"]))


def _enterprise(ident: Any) -> Any:
    try:
        return registry.get_enterprise(session(), int(ident)) if str(ident).isdigit() else None
    except DomainError:
        return None


@bp.post("/bridge-loans/new")
@access(bridge_loans.submit)
def submit_bridge_loan() -> Any:
    """Submit the application (``POST /bridge-loans``, the same schema and service)."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in APPLICATION_FIELDS}
    try:
        body = forms.load(BridgeLoanCreateSchema(), forms.collect(request.form, fields=APPLICATION_FIELDS,
                                                                  money=APPLICATION_MONEY,
                                                                  ints=("enterprise_id", "bank_id", "term_days")))
        loan = bridge_loans.submit(session(), actor, today=today(), **body)
    except DomainError as err:
        errors, detail = forms.field_errors(err)
        return page("console/bridge_new.html", err.status, values=values, errors=errors, detail=detail,
                    banks=_banks(actor), enterprise=_enterprise(values["enterprise_id"]))
    flash(_("Application %(reference)s submitted.", reference=loan.reference), "success")
    return idempotency.done(url_for("console.bridge_loan", loan_id=loan.id))


@bp.get("/bridge-loans/enterprises")
@access(registry.list_enterprises)
def enterprise_search() -> Any:
    """Fragment: enterprises whose name or credit code contains the text typed (master data, shared by banks)."""
    q = (request.args.get("q") or "").strip()
    found = registry.list_enterprises(session(), 1, 10, q=q).items if len(q) >= 2 else []
    return page("console/partials/enterprise_options.html", found=found, q=q)


@bp.get("/bridge-loans/uscc-check")
@access(registry.list_enterprises)
def uscc_check() -> Any:
    """Fragment: whether a unified social credit code is well formed, its check character verified as typed, and
    the enterprise registered under it, if any."""
    code = normalize_uscc(request.args.get("q") or request.args.get("uscc") or "")
    problem = validate_uscc(code) if code else None
    known = registry.list_enterprises(session(), 1, 1, uscc=code).items if code and not problem else []
    return page("console/partials/uscc_check.html", code=code, problem=problem, known=known[0] if known else None)


@bp.get("/bridge-loans/fee-preview")
@access(bridge_loans.quote_fee)
def fee_preview() -> Any:
    """Fragment: the fee for the amount and term typed, under today's fee tiers, if repaid on the due date."""
    raw = forms.collect(request.args, fields=("amount", "term_days"), money=("amount",), ints=("term_days",))
    quote, problem = None, None
    if "amount" in raw and "term_days" in raw:
        try:
            body = forms.load(BridgeLoanCreateSchema(partial=True), raw)
            quote = bridge_loans.quote_fee(session(), amount=body["amount"], term_days=body["term_days"],
                                           value_date=today())
        except DomainError as err:
            problem = "; ".join(m for ms in err.errors.values() for m in ms) or err.detail
    return page("console/partials/fee_preview.html", quote=quote, problem=problem)


# --- the detail and its actions ----------------------------------------------------------------------------------


def _detail_context(loan_id: int, as_of: dt.date | None = None,
                    upload: document_section.UploadState = document_section.NO_UPLOAD) -> dict[str, Any]:
    actor = current_actor()
    loan = bridge_loans.get(session(), actor, loan_id, as_of=as_of or today())
    docs = document_section.section("bridge_loan", loan_id, required=loan.required_documents,
                                    missing=loan.missing_documents, upload=upload)
    return {"loan": loan, "history": bridge_loans.history(session(), actor, loan_id),
            "actions": _actions_for(actor, loan), "errors": {}, "open_action": None, "missing": [],
            "docs": docs, "default_value": default_value}


@bp.get("/bridge-loans/<int:loan_id>")
@access(bridge_loans.get)
def bridge_loan(loan_id: int) -> Any:
    """A loan: its terms, approvals, amounts due as of a date, repayments, timeline and the actions open to you."""
    try:
        args = forms.load(BridgeLoanAsOfArgs(), {k: v for k, v in request.args.items() if v.strip()})
    except RuleViolation as err:
        bridge_loans.check_visible(session(), current_actor(), loan_id)
        return page("console/bridge_detail.html", 422, **_detail_context(loan_id), as_of_errors=err.errors)
    return page("console/bridge_detail.html", **_detail_context(loan_id, args.get("as_of")), as_of_errors={})


@bp.get("/bridge-loans/<int:loan_id>/approval-form.pdf")
@access(reports.approval_form_pdf)
def approval_form(loan_id: int) -> Response:
    """The loan's approval form (审批表) as a PDF, in the page's language unless ``lang`` says otherwise — the
    report service's, as ``GET /bridge-loans/{id}/approval-form.pdf`` (another bank's loan → the 404 page)."""
    bridge_loans.check_visible(session(), current_actor(), loan_id)  # another bank's: 404 whatever the query
    lang = (request.args.get("lang") or locale()).strip()
    filename, data = reports.approval_form_pdf(session(), current_actor(), loan_id, lang=lang, today=today(),
                                               tz=settings().tz)
    return attachment(filename, data)


def _load_action(action: Action, form: Any) -> dict[str, Any]:
    return forms.load(action.schema(), forms.collect(form, fields=action.fields, money=action.money))


def confirm_action(loan_id: int, action: Action) -> Any:
    """The confirmation of an action: what it will do, with the amounts (a repayment's split), before it is sent."""
    name = action.name
    actor = current_actor()
    ctx = _detail_context(loan_id)
    template = "console/partials/confirm.html" if htmx() else "console/bridge_detail.html"
    try:
        body = _load_action(action, request.args)
        extra: dict[str, Any] = {}
        if name == "repay":
            extra["split"] = bridge_loans.preview_repayment(session(), actor, loan_id, amount=body["amount"],
                                                            value_date=body["value_date"])
        if name == "approve":  # the papers first: a 409 here shows the missing kinds at the button
            bridge_loans.check_documents(session(), loan_id)
        if name in ("approve", "disburse"):
            on = body.get("value_date") or body.get("decided_on") or today()
            extra["context"] = bridge_loans.approval_context(session(), actor, loan_id, on=on)
        if name == "disburse":
            extra["due_date"] = bridge_loans.due_on(session(), body["value_date"], ctx["loan"].term_days)
        if action.dry_run:
            extra["outcome"] = _tried(actor, loan_id, action, body)
    except DomainError as err:
        ctx.update(errors=err.errors, open_action=name, detail=err.detail, as_of_errors={},
                   missing=err.extra.get("missing_documents", []))
        if htmx():  # the action's own form comes back with its errors, in place of the form that was sent
            body_, status = page("console/partials/action_form.html", err.status, action=action, **ctx)
            return body_, status, {"HX-Retarget": f"#action-{name}", "HX-Reswap": "outerHTML"}
        return page("console/bridge_detail.html", err.status, **ctx)
    values = {k: request.args.get(k, "") for k in action.fields}
    return page(template, action=action, body=body, values=values, confirming=action, as_of_errors={}, **extra,
                **ctx)


def do_action(loan_id: int, action: Action) -> Any:
    """Carry an action out (the same service call as the API), once per confirmation."""
    name = action.name
    actor = current_actor()
    bridge_loans.check_visible(session(), actor, loan_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    try:
        body = _load_action(action, request.form)
        loan = _perform(session(), actor, loan_id, action, body)
    except DomainError as err:
        session().rollback()
        ctx = _detail_context(loan_id)
        ctx.update(errors=err.errors, open_action=name, detail=err.detail, as_of_errors={},
                   missing=err.extra.get("missing_documents", []))
        return page("console/bridge_detail.html", err.status, **ctx)
    if action.renewal:
        flash(_("%(action)s: recorded on %(reference)s.", action=action.label, reference=loan.reference), "success")
    elif name == "recover":
        flash(_("Recovery of %(amount)s recorded on %(reference)s.", amount=money(body["amount"]),
                reference=loan.reference), "success")
    else:
        flash(_("%(action)s: %(reference)s is now %(status)s.", action=action.label, reference=loan.reference,
                status=_status(loan.status)), "success")
    return idempotency.done(url_for("console.bridge_loan", loan_id=loan_id))


def _perform(s: Any, actor: Any, loan_id: int, action: Action, body: dict[str, Any]) -> Any:
    """The action's service call (the API's), answering the loan."""
    name, t = action.name, today()
    if name == "approve":
        return bridge_loans.approve(s, actor, loan_id, today=t, **body)
    if name == "reject":
        return bridge_loans.reject(s, actor, loan_id, today=t, **body)
    if name == "disburse":
        return bridge_loans.disburse(s, actor, loan_id, today=t, **body)
    if name == "repay":
        return bridge_loans.repay(s, actor, loan_id, today=t, **body).loan
    if name == "withdraw":
        return bridge_loans.withdraw(s, actor, loan_id, **body)
    if name == "record_renewal_approved":
        return bridge_loans.record_renewal_approved(s, actor, loan_id, today=t, **body)
    if name == "record_renewal_disbursed":
        return bridge_loans.record_renewal_disbursed(s, actor, loan_id, today=t, **body)
    if name == "declare_default":
        return bridge_loans.declare_default(s, actor, loan_id, value_date=body.get("value_date") or t, today=t)
    if name == "write_off":
        return bridge_loans.write_off(s, actor, loan_id, reason=body["reason"],
                                      value_date=body.get("value_date") or t, today=t)
    if name == "recover":
        return bridge_loans.recover(s, actor, loan_id, today=t, **body)
    return bridge_loans.cancel(s, actor, loan_id, **body)


class _DryRun(Exception):
    """Rolls back an action tried at its confirmation only to learn what the service would do."""


def _tried(actor: Any, loan_id: int, action: Action, body: dict[str, Any]) -> dict[str, Any]:
    """What the service books for the action (tried in a savepoint and rolled back; a refusal raises here, at the
    confirmation): the days overdue on the default's date, the principal written off, what remains written off after
    a recovery."""
    s = session()
    outcome: dict[str, Any] = {}
    try:
        with s.begin_nested():
            loan = _perform(s, actor, loan_id, action, body)
            on = body.get("value_date") or today()
            if action.name == "declare_default":
                outcome["days_overdue"] = bridge_loans.figures(loan, on).days_overdue
            if action.name in ("write_off", "recover"):
                outcome["written_off"] = loan.written_off_amount
                outcome["remaining"] = loan.written_off_amount - loan.recovered
            raise _DryRun
    except _DryRun:
        pass
    return outcome


def _status(code: str) -> str:
    return status_name(code)


def _views(action: Action) -> None:
    """The confirmation (GET) and the action (POST) of ``action``: two views declaring the action's operation."""

    def confirm(loan_id: int) -> Any:
        return confirm_action(loan_id, action)

    def do(loan_id: int) -> Any:
        return do_action(loan_id, action)

    for view, rule, verb, method in ((confirm, f"/bridge-loans/<int:loan_id>/confirm/{action.name}", "confirm", "GET"),
                                     (do, f"/bridge-loans/<int:loan_id>/{action.name}", "do", "POST")):
        view.__name__ = view.__qualname__ = f"{verb}_{action.name}"
        view.__doc__ = f"{(confirm_action if verb == 'confirm' else do_action).__doc__} ({action.name})"
        bp.add_url_rule(rule, view.__name__, access(action.operation)(view), methods=[method])


for _action in ACTIONS.values():
    _views(_action)


# --- documents: the checklist's uploads (downloads: console.document_section) ------------------------------------


def _show_refused_upload(loan_id: int, state: document_section.UploadState, status: int) -> Any:
    return page("console/bridge_detail.html", status, **_detail_context(loan_id, upload=state), as_of_errors={})


document_section.add_upload_route("/bridge-loans/<int:loan_id>/documents", "upload_bridge_loan_document",
                                  "bridge_loan", "console.bridge_loan", _show_refused_upload)
