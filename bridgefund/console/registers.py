"""The registers in the console: users, partner banks with their dated quotas, guarantee institutions and
enterprises — the records of ``/users``, ``/banks``, ``/guarantors`` and ``/enterprises``, from the same schemas and
services.

A user's new password is drawn here and shown once, on the answer to the POST that set it (it is stored only as the
service's Argon2 hash); a resubmitted form replays a redirect to the user's page and shows it no more. Whether an
admin may deactivate or demote themselves is the service's rule: the console shows its refusal.
"""

from __future__ import annotations

import functools
import secrets
import string
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _

from bridgefund import exports
from bridgefund.console import document_section, export, forms, idempotency, labels
from bridgefund.console.base import bp, current_actor, page
from bridgefund.console.may import may
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.schemas.registry import (
    ROLES,
    SIZES,
    BankAsOfArgs,
    BankCreateSchema,
    BankPatchSchema,
    BankSchema,
    EnterpriseCreateSchema,
    EnterpriseListArgs,
    EnterprisePatchSchema,
    EnterpriseSchema,
    GuarantorCreateSchema,
    GuarantorPatchSchema,
    GuarantorSchema,
    UserCreateSchema,
    UserListArgs,
    UserPatchSchema,
    UserSchema,
)
from bridgefund.services import registry
from bridgefund.web import access, auth_config, session, today

PAGE_SIZE = 50
_ALPHABET = string.ascii_letters + string.digits


def _after_id(raw: Mapping[str, str]) -> int | None:
    value = (raw.get("after_id") or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _rejected(err: DomainError) -> tuple[dict[str, list[str]], str]:
    session().rollback()
    return forms.field_errors(err)


# --- users -----------------------------------------------------------------------------------------------------


def new_password() -> str:
    """A one-time password the policy accepts: 16 letters and digits, with at least one of each."""
    while True:
        word = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            return word


def _all_banks() -> list[Any]:
    return registry.list_banks(session(), current_actor(), 1, 200).items


def _users_page(status: int = 200, **context: Any) -> Any:
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in ("role", "after_id")}
    try:
        args = forms.load(UserListArgs(), raw)
    except RuleViolation as err:
        args, context["filter_errors"] = {}, err.errors
        status = max(status, 422)
    result = registry.list_users(session(), actor, 1, PAGE_SIZE, role=args.get("role"),
                                 after_id=args.get("after_id"))
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return page("console/admin_users.html", status, result=result, roles=ROLES, banks=_all_banks(),
                role_filter=args.get("role") or "", filters={"role": args["role"]} if args.get("role") else {},
                **context)


@bp.get("/admin/users")
@access(registry.list_users)
def users() -> Any:
    """Users newest first, by role, and the form that creates one; its export: the users of the role."""
    if export.wanted():
        args = forms.load(UserListArgs(), {k: v for k, v in request.args.items() if v.strip() and k == "role"})
        return export.xlsx(exports.USERS, UserSchema, functools.partial(registry.list_users, session(),
                                                                        current_actor()), {"role": args.get("role")})
    return _users_page()


@bp.post("/admin/users")
@access(registry.create_user)
def create_user() -> Any:
    """Create a user (``POST /users``: the same schema and service) with a one-time password shown once."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ("username", "role", "bank_id")}
    password = new_password()
    try:
        body = forms.collect(request.form, fields=("username", "role", "bank_id"), ints=("bank_id",))
        body = forms.load(UserCreateSchema(), {**body, "password": password})
        user = registry.create_user(session(), actor, auth_config(), **body)
    except DomainError as err:
        errors, detail = _rejected(err)
        return _users_page(err.status, values=values, errors=errors, detail=detail)
    idempotency.done(url_for("console.user", user_id=user.id))  # a resubmit goes to the user's page
    return page("console/admin_password.html", 201, user=user, password=password, created=True)


def _user_page(user_id: int, status: int = 200, **context: Any) -> Any:
    user = registry.get_user(session(), current_actor(), user_id)
    bank = registry.get_bank(session(), current_actor(), user.bank_id) if user.bank_id else None
    context.setdefault("errors", {})
    context.setdefault("role_errors", {})
    context.setdefault("role_values", {"role": user.role, "bank_id": str(user.bank_id or "")})
    if "banks" not in context:
        context["banks"] = _all_banks() if may(current_actor(), registry.update_user) else []
    return page("console/admin_user.html", status, user=user, bank=bank,
                roles=[r for r in ROLES if r not in ("system", "anonymous")], **context)


@bp.get("/admin/users/<int:user_id>")
@access(registry.get_user)
def user(user_id: int) -> Any:
    """A user: role, bank, whether active; deactivate or reactivate, or give a new one-time password (each
    confirmed first)."""
    confirming = request.args.get("confirm")
    return _user_page(user_id, confirming=confirming if confirming in ("deactivate", "activate", "password")
                      else None)


@bp.post("/admin/users/<int:user_id>/active")
@access(registry.update_user)
def set_user_active(user_id: int) -> Any:
    """Deactivate (their sessions end) or reactivate a user (``PATCH /users/{id}`` with ``active``)."""
    actor = current_actor()
    registry.get_user(session(), actor, user_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    active = request.form.get("active", "")
    try:
        if active not in ("true", "false"):
            raise RuleViolation.on("active", "Not a valid boolean.")
        user = registry.update_user(session(), actor, auth_config(), user_id, {"active": active == "true"})
    except DomainError as err:
        errors, detail = _rejected(err)
        return _user_page(user_id, err.status, errors=errors, detail=detail)
    flash(_("%(user)s is active again.", user=user.username) if user.active else
          _("%(user)s is deactivated; their sessions ended.", user=user.username), "success")
    return idempotency.done(url_for("console.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/password")
@access(registry.update_user)
def reset_password(user_id: int) -> Any:
    """Give the user a new one-time password (``PATCH /users/{id}`` with ``password``), shown once; their sessions
    end."""
    actor = current_actor()
    registry.get_user(session(), actor, user_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    password = new_password()
    try:
        user = registry.update_user(session(), actor, auth_config(), user_id, {"password": password})
    except DomainError as err:
        errors, detail = _rejected(err)
        return _user_page(user_id, err.status, errors=errors, detail=detail)
    idempotency.done(url_for("console.user", user_id=user_id))
    return page("console/admin_password.html", user=user, password=password, created=False)


# --- a user's role (and an officer's bank) ------------------------------------------------------------------

ROLE_FIELDS = ("role", "bank_id")


class _DryRun(Exception):
    """Rolls back a role change tried only to learn whether the service would accept it."""


def _role_change(source: Mapping[str, str]) -> dict[str, Any]:
    """``PATCH /users/{id}``'s body for a new role: ``role`` and ``bank_id`` (none chosen: none — whether the role
    needs one is the service's rule)."""
    body = forms.collect(source, fields=ROLE_FIELDS, ints=("bank_id",))
    if "role" not in body:
        raise RuleViolation.on("role", "Missing data for required field.")
    return forms.load(UserPatchSchema(), {"bank_id": None, **body})


def _role_refused(user_id: int, err: DomainError, values: dict[str, str]) -> Any:
    errors, detail = _rejected(err)
    return _user_page(user_id, err.status, role_errors=errors, role_detail=detail, role_values=values)


@bp.get("/admin/users/<int:user_id>/role")
@access(registry.update_user)
def confirm_role(user_id: int) -> Any:
    """The role and bank before → after, once the service has said it would accept the change (tried and rolled
    back: bank required exactly for an officer, no admin changing their own role — the service's rules)."""
    actor = current_actor()
    user = registry.get_user(session(), actor, user_id)
    values = {k: request.args.get(k, "") for k in ROLE_FIELDS}
    before = {"role": user.role, "bank_id": user.bank_id}
    s = session()
    try:
        body = _role_change(request.args)
        with s.begin_nested():
            registry.update_user(s, actor, auth_config(), user_id, dict(body))
            raise _DryRun
    except _DryRun:
        pass
    except DomainError as err:
        return _role_refused(user_id, err, values)
    after = {"role": body["role"], "bank_id": body["bank_id"]}  # as the service accepted it
    if after == before:
        return _user_page(user_id, role_values=values, role_unchanged=True)
    banks = _all_banks()
    return _user_page(user_id, role_values=values, banks=banks, role_confirm={
        "before": before, "after": after, "banks": {b.id: b for b in banks}, "body": values})


@bp.post("/admin/users/<int:user_id>/role")
@access(registry.update_user)
def change_role(user_id: int) -> Any:
    """Give the user the confirmed role and bank (``PATCH /users/{id}`` with ``role``, ``bank_id``: the same schema
    and service, audited there); their sessions end. Once per confirmation; a refusal names the field."""
    actor = current_actor()
    registry.get_user(session(), actor, user_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ROLE_FIELDS}
    try:
        user = registry.update_user(session(), actor, auth_config(), user_id, _role_change(request.form))
    except DomainError as err:
        return _role_refused(user_id, err, values)
    flash(_("%(user)s is now %(role)s; their sessions ended.", user=user.username,
            role=labels.role_name(user.role)), "success")
    return idempotency.done(url_for("console.user", user_id=user_id))


# --- banks and their dated terms -------------------------------------------------------------------------------

BANK_NEW = ("code", "name", "pool_quota", "pool_share", "effective_from")
BANK_EDIT = ("name", "pool_quota", "pool_share", "effective_from")
REINSTATE = ("reason", "effective_from")


def _banks_page(status: int = 200, **context: Any) -> Any:
    actor = current_actor()
    raw = {k: v for k, v in request.args.items() if v.strip() and k in ("as_of",)}
    try:
        as_of = forms.load(BankAsOfArgs(), raw).get("as_of") or today()
    except RuleViolation as err:
        as_of, context["filter_errors"] = today(), err.errors
        status = max(status, 422)
    banks = registry.list_banks(session(), actor, 1, 200, as_of=as_of).items
    context.setdefault("values", {"effective_from": today().isoformat()})
    context.setdefault("errors", {})
    return page("console/admin_banks.html", status, rows=registry.bank_rows(session(), banks, as_of), as_of=as_of,
                filters={"as_of": as_of.isoformat()} if "as_of" in raw and "filter_errors" not in context else {},
                **context)


def _bank_records(actor: Any, as_of: Any, **paging: Any) -> Any:
    """A page of banks as records with the terms in force and the figures on ``as_of`` (``GET /banks``'s items)."""
    found = registry.list_banks(session(), actor, as_of=as_of, **paging)
    found.items = registry.bank_rows(session(), found.items, as_of)
    return found


@bp.get("/admin/banks")
@access(registry.list_banks)
def banks() -> Any:
    """Partner banks (an officer: their own) with the terms in force on a date, quota used and NPL ratio; its export:
    the same rows as ``GET /banks?format=xlsx&as_of=``."""
    if export.wanted():
        raw = {k: v for k, v in request.args.items() if v.strip() and k == "as_of"}
        as_of = forms.load(BankAsOfArgs(), raw).get("as_of") or today()
        return export.xlsx(exports.BANKS, BankSchema, functools.partial(_bank_records, current_actor(), as_of), {})
    return _banks_page()


@bp.post("/admin/banks")
@access(registry.create_bank)
def create_bank() -> Any:
    """Register a partner bank from its effective date (``POST /banks``: the same schema and service)."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in BANK_NEW}
    try:
        body = forms.load(BankCreateSchema(), forms.collect(request.form, fields=BANK_NEW, money=("pool_quota",)))
        body.setdefault("effective_from", today())
        bank = registry.create_bank(session(), actor, **body)
    except DomainError as err:
        errors, detail = _rejected(err)
        return _banks_page(err.status, values=values, errors=errors, detail=detail)
    flash(_("Bank %(code)s registered.", code=bank.code), "success")
    return idempotency.done(url_for("console.bank", bank_id=bank.id))


def _bank_page(bank_id: int, status: int = 200, **context: Any) -> Any:
    actor = current_actor()
    bank = registry.get_bank(session(), actor, bank_id)
    row = registry.bank_rows(session(), [bank], today())[0]
    context.setdefault("errors", {})
    context.setdefault("values", {"name": row["name"], "pool_quota": row["pool_quota"],
                                  "pool_share": row["pool_share"], "effective_from": today().isoformat()})
    return page("console/admin_bank.html", status, bank=row,
                terms=registry.bank_terms_history(session(), actor, bank_id), **context)


@bp.get("/admin/banks/<int:bank_id>")
@access(registry.get_bank)
def bank(bank_id: int) -> Any:
    """A bank: its terms today, the history of its dated terms, and (admin) the form that changes them."""
    return _bank_page(bank_id)


def _bank_patch(source: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    body = forms.load(BankPatchSchema(), forms.collect(source, fields=fields, money=("pool_quota",)))
    if "reason" in fields:
        body["status"] = "active"
    body.setdefault("effective_from", today())
    return body


@bp.get("/admin/banks/<int:bank_id>/confirm")
@access(registry.update_bank)
def confirm_bank(bank_id: int) -> Any:
    """The terms before and after the change, from its effective date, before it is sent."""
    actor = current_actor()
    registry.get_bank(session(), actor, bank_id)
    reinstating = request.args.get("op") == "reinstate"
    fields = REINSTATE if reinstating else BANK_EDIT
    values = {k: request.args.get(k, "") for k in fields}
    try:
        body = _bank_patch(request.args, fields)
        on = body["effective_from"]
        before = registry.bank_rows(session(), [registry.get_bank(session(), actor, bank_id)], on)[0]
    except DomainError as err:
        target = "reinstate_errors" if reinstating else "errors"
        return _bank_page(bank_id, err.status, **{target: err.errors}, detail=err.detail,
                          **({"reinstate_values": values} if reinstating else {"values": values}))
    changes = [(k, before[k], body[k]) for k in ("name", "pool_quota", "pool_share", "status") if k in body
               and before[k] != body[k]]  # Decimal equality: 0.5 and 0.50000000 are the same share
    return _bank_page(bank_id, confirm=body, changes=changes, confirm_values=values, reinstating=reinstating,
                      **({"values": values} if not reinstating else {}))


@bp.post("/admin/banks/<int:bank_id>")
@access(registry.update_bank)
def update_bank(bank_id: int) -> Any:
    """Change a bank's terms from the effective date, or reinstate it (``PATCH /banks/{id}``), once per
    confirmation."""
    actor = current_actor()
    registry.get_bank(session(), actor, bank_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    reinstating = request.form.get("op") == "reinstate"
    fields = REINSTATE if reinstating else BANK_EDIT
    values = {k: request.form.get(k, "") for k in fields}
    try:
        bank = registry.update_bank(session(), actor, bank_id, _bank_patch(request.form, fields))
    except DomainError as err:
        errors, detail = _rejected(err)
        target = "reinstate_errors" if reinstating else "errors"
        return _bank_page(bank_id, err.status, **{target: errors}, detail=detail,
                          **({"reinstate_values": values} if reinstating else {"values": values}))
    flash(_("Bank %(code)s: reinstated.", code=bank.code) if reinstating else
          _("Bank %(code)s: the terms are changed from %(date)s.", code=bank.code,
            date=values.get("effective_from") or today().isoformat()), "success")
    return idempotency.done(url_for("console.bank", bank_id=bank_id))


# --- guarantee institutions ------------------------------------------------------------------------------------


def _guarantors_page(status: int = 200, **context: Any) -> Any:
    result = registry.list_guarantors(session(), 1, PAGE_SIZE, after_id=_after_id(request.args))
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("edit_id", None)
    return page("console/admin_guarantors.html", status, result=result, **context)


@bp.get("/admin/guarantors")
@access(registry.list_guarantors)
def guarantors() -> Any:
    """Guarantee institutions with their share of a loss; (admin) the forms that add and edit them."""
    if export.wanted():
        return export.xlsx(exports.GUARANTORS, GuarantorSchema, functools.partial(registry.list_guarantors, session()),
                           {})
    return _guarantors_page()


@bp.post("/admin/guarantors")
@access(registry.create_guarantor)
def create_guarantor() -> Any:
    """Register a guarantee institution (``POST /guarantors``: the same schema and service)."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ("name", "guarantee_share")}
    try:
        body = forms.load(GuarantorCreateSchema(), forms.collect(request.form, fields=("name", "guarantee_share")))
        g = registry.create_guarantor(session(), actor, **body)
    except DomainError as err:
        errors, detail = _rejected(err)
        return _guarantors_page(err.status, values=values, errors=errors, detail=detail)
    flash(_("%(name)s registered.", name=g.name), "success")
    return idempotency.done(url_for("console.guarantors"))


@bp.post("/admin/guarantors/<int:guarantor_id>")
@access(registry.update_guarantor)
def update_guarantor(guarantor_id: int) -> Any:
    """Rename a guarantee institution or change its share (``PATCH /guarantors/{id}``)."""
    actor = current_actor()
    registry.get_guarantor(session(), guarantor_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ("name", "guarantee_share")}
    try:
        body = forms.load(GuarantorPatchSchema(), forms.collect(request.form, fields=("name", "guarantee_share")))
        g = registry.update_guarantor(session(), actor, guarantor_id, body)
    except DomainError as err:
        errors, detail = _rejected(err)
        return _guarantors_page(err.status, edit_values=values, edit_errors=errors, detail=detail,
                                edit_id=guarantor_id)
    flash(_("%(name)s saved.", name=g.name), "success")
    return idempotency.done(url_for("console.guarantors"))


# --- enterprises -----------------------------------------------------------------------------------------------

ENTERPRISE_NEW = ("uscc", "name", "size", "industry", "in_zone")
ENTERPRISE_EDIT = ("name", "size", "industry", "in_zone")


def _enterprise_body(source: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    """The form's fields, with the in-zone checkbox as the boolean the schema loads."""
    body = forms.collect(source, fields=tuple(f for f in fields if f != "in_zone"))
    body["in_zone"] = source.get("in_zone") == "true"
    if "uscc" in body:
        body["uscc"] = unicodedata.normalize("NFKC", body["uscc"]).strip().upper()
    return body


def _enterprises_page(status: int = 200, **context: Any) -> Any:
    raw = {k: v for k, v in request.args.items() if v.strip() and k in ("q", "after_id")}
    try:
        args = forms.load(EnterpriseListArgs(), raw)
    except RuleViolation as err:
        args, context["filter_errors"] = {}, err.errors
        status = max(status, 422)
    result = registry.list_enterprises(session(), 1, PAGE_SIZE, q=args.get("q"), after_id=args.get("after_id"))
    context.setdefault("values", {"in_zone": "true"})
    context.setdefault("errors", {})
    next_url = (url_for("console.enterprises", q=args.get("q") or None, after_id=result.next_after_id)
                if result.next_after_id else None)
    return page("console/admin_enterprises.html", status, result=result, q=args.get("q") or "", sizes=SIZES,
                next_url=next_url, filters={"q": args["q"]} if args.get("q") else {}, **context)


@bp.get("/enterprises")
@access(registry.list_enterprises)
def enterprises() -> Any:
    """Enterprises by name or credit code, and the form that registers one (the check character verified as it
    is typed); its export: the enterprises the search finds."""
    if export.wanted():
        args = forms.load(EnterpriseListArgs(), {k: v for k, v in request.args.items() if v.strip() and k == "q"})
        return export.xlsx(exports.ENTERPRISES, EnterpriseSchema,
                           functools.partial(registry.list_enterprises, session()), {"q": args.get("q")})
    return _enterprises_page()


@bp.post("/enterprises")
@access(registry.create_enterprise)
def create_enterprise() -> Any:
    """Register an enterprise (``POST /enterprises``: the same schema and service)."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ENTERPRISE_NEW}
    try:
        body = forms.load(EnterpriseCreateSchema(), _enterprise_body(request.form, ENTERPRISE_NEW))
        ent = registry.create_enterprise(session(), actor, **body)
    except DomainError as err:
        errors, detail = _rejected(err)
        return _enterprises_page(err.status, values=values, errors=errors, detail=detail)
    flash(_("%(name)s registered.", name=ent.name), "success")
    return idempotency.done(url_for("console.enterprise", enterprise_id=ent.id))


def _enterprise_page(enterprise_id: int, status: int = 200, *,
                     upload: document_section.UploadState = document_section.NO_UPLOAD, **context: Any) -> Any:
    ent = registry.get_enterprise(session(), enterprise_id)
    context.setdefault("values", {"name": ent.name, "size": ent.size, "industry": ent.industry or "",
                                  "in_zone": "true" if ent.in_zone else ""})
    context.setdefault("errors", {})
    return page("console/admin_enterprise.html", status, enterprise=ent, sizes=SIZES,
                editable=may(current_actor(), registry.update_enterprise),
                docs=document_section.section("enterprise", enterprise_id, upload=upload), **context)


@bp.get("/enterprises/<int:enterprise_id>")
@access(registry.get_enterprise)
def enterprise(enterprise_id: int) -> Any:
    """An enterprise's master data and (admin, fund manager) the form that corrects it."""
    return _enterprise_page(enterprise_id)


@bp.post("/enterprises/<int:enterprise_id>")
@access(registry.update_enterprise)
def update_enterprise(enterprise_id: int) -> Any:
    """Correct an enterprise's master data (``PATCH /enterprises/{id}``); the credit code cannot change."""
    actor = current_actor()
    registry.get_enterprise(session(), enterprise_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in ENTERPRISE_EDIT}
    try:
        body = _enterprise_body(request.form, ENTERPRISE_EDIT)
        if "industry" not in body:
            body["industry"] = None  # cleared
        ent = registry.update_enterprise(session(), actor, enterprise_id,
                                         forms.load(EnterprisePatchSchema(), body))
    except DomainError as err:
        errors, detail = _rejected(err)
        return _enterprise_page(enterprise_id, err.status, values=values, errors=errors, detail=detail)
    flash(_("%(name)s saved.", name=ent.name), "success")
    return idempotency.done(url_for("console.enterprise", enterprise_id=enterprise_id))


def _show_refused_upload(enterprise_id: int, state: document_section.UploadState, status: int) -> Any:
    return _enterprise_page(enterprise_id, status, upload=state)


# An enterprise is master data shared by every bank, and so are its papers (services.documents).
document_section.add_upload_route("/enterprises/<int:enterprise_id>/documents", "upload_enterprise_document",
                                  "enterprise", "console.enterprise", _show_refused_upload)
