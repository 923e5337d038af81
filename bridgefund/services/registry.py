"""Master data: users, partner banks, guarantee institutions and enterprises."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.config import Settings
from bridgefund.db import utcnow
from bridgefund.errors import Duplicate, NotFound, RuleViolation
from bridgefund.finance.money import ZERO
from bridgefund.finance.uscc import validate_uscc
from bridgefund.models import ApiToken, Bank, BankStatus, Enterprise, Guarantor, Role, User
from bridgefund.services import audit, bank_terms, pool
from bridgefund.services.actor import Actor
from bridgefund.services.auth import AuthConfig, hash_password, user_read_by_token, validate_password
from bridgefund.services.common import Page, bank_scoped, get_or_404, paginate

# --- users -----------------------------------------------------------------------------------------


@allows(Role.admin)
def create_user(
    session: Session, actor: Actor, cfg: AuthConfig, *, username: str, password: str, role: str,
    bank_id: int | None = None,
) -> User:
    name = username.strip().lower()
    _check_role_bank(session, role, bank_id)
    validate_password(password, name)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Duplicate(f"username {name!r} is taken", {"username": ["already taken"]})
    user = User(username=name, password_hash=hash_password(cfg, password), role=role, bank_id=bank_id)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id, after=user.snapshot())
    return user


@allows(Role.admin)
def update_user(session: Session, actor: Actor, cfg: AuthConfig, user_id: int, changes: dict[str, Any]) -> User:
    user = get_or_404(session, User, user_id, entity="user", with_for_update=True)
    before = user.snapshot()
    role = changes.get("role", user.role)
    bank_id = changes["bank_id"] if "bank_id" in changes else (user.bank_id if role == Role.bank_officer else None)
    if role != user.role or bank_id != user.bank_id:
        _check_role_bank(session, role, bank_id)
    if user.id == actor.id and (changes.get("active") is False or role != user.role):
        field = "role" if "role" in changes else "active"
        raise RuleViolation.on(field, "admins may not demote or deactivate themselves")
    # Deactivation, a new password, role or bank ends every session the user has: the old tokens are revoked
    # for good, so reactivating the user later does not bring them back (a fresh login is needed).
    revoke = (changes.get("active") is False or "password" in changes or role != user.role
              or bank_id != user.bank_id)
    user.role, user.bank_id = role, bank_id
    if "active" in changes:
        user.active = changes["active"]
    if "password" in changes:
        validate_password(changes["password"], user.username)
        user.password_hash = hash_password(cfg, changes["password"])
    after = user.snapshot()
    if "password" in changes:
        before["password"], after["password"] = "(unchanged)", "(changed)"
    if revoke:
        revoked = session.execute(
            update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())).rowcount
        if revoked:
            after["tokens_revoked"] = revoked
    audit.record_update(session, actor, "user", user.id, before, after)
    return user


def _check_role_bank(session: Session, role: str, bank_id: int | None) -> None:
    if role == Role.bank_officer:
        if bank_id is None:
            raise RuleViolation.on("bank_id", "required for a bank_officer")
        if session.get(Bank, bank_id) is None:
            raise RuleViolation.on("bank_id", f"bank {bank_id} does not exist")
    elif bank_id is not None:
        raise RuleViolation.on("bank_id", "only a bank_officer is bound to a bank")


@allows(Role.admin)
def list_users(session: Session, actor: Actor, page: int, page_size: int, role: str | None = None, *,
               after_id: int | None = None, count_limit: int | None = None) -> Page[User]:
    stmt = select(User).order_by(User.id.desc())
    if role:
        stmt = stmt.where(User.role == role)
    return paginate(session, stmt, page, page_size, key=User.id, after_id=after_id, count_limit=count_limit)


@allows(Role.admin)
def get_user(session: Session, actor: Actor, user_id: int) -> User:
    return get_or_404(session, User, user_id, entity="user")


# --- banks -----------------------------------------------------------------------------------------


@allows(Role.admin)
def create_bank(
    session: Session, actor: Actor, *, code: str, name: str, pool_quota: Decimal | None = None,
    pool_share: Decimal | None = None, effective_from: dt.date | None = None,
) -> Bank:
    """Register a partner bank; ``effective_from`` (default today) is the day it became a partner."""
    code = code.strip().upper()
    existing = session.scalar(select(Bank).where(Bank.code == code))
    if existing is not None:
        raise Duplicate(f"bank code {code} is taken by bank {existing.id}", {"code": ["already taken"]},
                        existing_id=existing.id)
    since = effective_from or _today()
    bank_terms.check_effective_from(session, since)
    quota = pool_quota or ZERO
    share = pool_share if pool_share is not None else pool.default_pool_share(session)
    bank = Bank(code=code, latest_name=name.strip(), latest_pool_quota=quota, latest_pool_share=share)
    session.add(bank)
    session.flush()
    bank_terms.start(session, actor, bank, since, name=name.strip(), pool_quota=quota, pool_share=share)
    if pool_quota:  # Σ quotas ≤ leverage × contributions (services.pool.check_quota_total)
        pool.check_quota_total(session, since)
    audit.record(session, actor, "create", "bank", bank.id,
                 after={**bank.snapshot(), "effective_from": since.isoformat()})
    return bank


@allows(Role.admin)
def update_bank(session: Session, actor: Actor, bank_id: int, changes: dict[str, Any]) -> Bank:
    """Edit a bank's terms from ``effective_from`` (default today). Setting ``status`` back to ``active``
    reinstates a suspended bank and needs a reason."""
    bank = get_or_404(session, Bank, bank_id, entity="bank", with_for_update=True)
    since = changes.get("effective_from") or _today()
    bank_terms.check_effective_from(session, since)
    was = bank_terms.require_partner(session, bank, since, "effective_from")
    before_reason = bank.status_reason
    dated = {key: changes[key] for key in ("name", "pool_quota", "pool_share") if key in changes}
    if "name" in dated:
        dated["name"] = dated["name"].strip()
    action = "update"
    reason = None
    status = changes.get("status")
    if status is not None and status != was.status:
        reason = (changes.get("reason") or "").strip()
        if not reason:
            raise RuleViolation.on("reason", "a reason is required to change a bank's status")
        if status == BankStatus.active:
            dated["status"] = BankStatus.active.value
            bank.status_reason = reason
            action = "reinstate"
        else:
            raise RuleViolation.on("status", "banks are suspended by the NPL rule, only reinstated by hand")
    elif "reason" in changes and status is None:
        raise RuleViolation.on("reason", "a reason goes with a status change")
    dated = {k: v for k, v in dated.items() if getattr(was, k) != v}  # what changes on effective_from
    if dated:
        bank_terms.change(session, actor, bank, since, dated, reason, check_dates=False)
        if "pool_quota" in dated and dated["pool_quota"] > was.pool_quota:
            pool.check_quota_total(session, since)
    # The event records the dated change: the terms in force on effective_from before and after it.
    before = {**{k: _plain(getattr(was, k)) for k in dated}, "status_reason": before_reason}
    after = {**{k: _plain(v) for k, v in dated.items()}, "status_reason": bank.status_reason}
    if dated:
        after["effective_from"] = since.isoformat()
    audit.record_update(session, actor, "bank", bank.id, before, after, action=action)
    return bank


def _plain(value: Any) -> Any:
    return value if isinstance(value, str) else str(value)


def _today() -> dt.date:
    """The default date when a caller outside the HTTP layer gives none: today in the default business timezone
    (Asia/Shanghai, not pinned: the API always passes its own today)."""
    return Settings().business_date()


@allows(SIGNED_IN)
def bank_terms_history(session: Session, actor: Actor, bank_id: int) -> list[Any]:
    """``GET /banks/{id}/terms``: the dated history, oldest first (officers: own bank only, else 404)."""
    get_bank(session, actor, bank_id)
    return bank_terms.history(session, bank_id)


@allows(SIGNED_IN)
def get_bank(session: Session, actor: Actor, bank_id: int) -> Bank:
    bank = session.get(Bank, bank_id)
    if bank is None or not actor.sees_bank(bank.id):
        raise NotFound(f"bank {bank_id} does not exist")
    return bank


@allows(SIGNED_IN)
def list_banks(session: Session, actor: Actor, page: int, page_size: int, status: str | None = None, *,
               after_id: int | None = None, count_limit: int | None = None,
               as_of: dt.date | None = None) -> Page[Bank]:
    """Banks that were partners on ``as_of`` (default today), newest first; ``status`` filters on the status in
    force then. A bank that became a partner after ``as_of`` is not listed (DOMAIN.md "Dated terms")."""
    terms = bank_terms.in_force(as_of or _today())
    stmt = bank_scoped(select(Bank).join(terms, terms.c.bank_id == Bank.id).order_by(Bank.id.desc()), Bank.id, actor)
    if status:
        stmt = stmt.where(terms.c.status == status)
    # a short list by nature (the zone's dozen partner banks): the first page's total comes with the page itself,
    # which saves a statement on every page that lists the banks in a filter or a table
    return paginate(session, stmt, page, page_size, key=Bank.id, after_id=after_id, count_limit=count_limit,
                    total_with_page=True)


# --- guarantors ------------------------------------------------------------------------------------


@allows(Role.admin)
def create_guarantor(session: Session, actor: Actor, *, name: str, guarantee_share: Decimal) -> Guarantor:
    name = name.strip()
    existing = session.scalar(select(Guarantor).where(Guarantor.name == name))
    if existing is not None:
        raise Duplicate(f"guarantor {name!r} exists as {existing.id}", {"name": ["already taken"]},
                        existing_id=existing.id)
    g = Guarantor(name=name, guarantee_share=guarantee_share)
    session.add(g)
    session.flush()
    audit.record(session, actor, "create", "guarantor", g.id, after=g.snapshot())
    return g


@allows(Role.admin)
def update_guarantor(session: Session, actor: Actor, guarantor_id: int, changes: dict[str, Any]) -> Guarantor:
    g = get_or_404(session, Guarantor, guarantor_id, entity="guarantor", with_for_update=True)
    before = g.snapshot()
    if "name" in changes and changes["name"].strip() != g.name:
        name = changes["name"].strip()
        if session.scalar(select(Guarantor.id).where(Guarantor.name == name)) is not None:
            raise Duplicate(f"guarantor {name!r} exists", {"name": ["already taken"]})
        g.name = name
    if "guarantee_share" in changes:
        g.guarantee_share = changes["guarantee_share"]
    audit.record_update(session, actor, "guarantor", g.id, before, g.snapshot())
    return g


@allows(SIGNED_IN)
def list_guarantors(session: Session, page: int, page_size: int, *, after_id: int | None = None,
                    count_limit: int | None = None) -> Page[Guarantor]:
    return paginate(session, select(Guarantor).order_by(Guarantor.id.desc()), page, page_size, key=Guarantor.id,
                    after_id=after_id, count_limit=count_limit)


# --- enterprises -----------------------------------------------------------------------------------


@allows(Role.admin, Role.fund_manager, Role.bank_officer)
def create_enterprise(
    session: Session, actor: Actor, *, uscc: str, name: str, size: str, in_zone: bool, industry: str | None = None,
) -> Enterprise:
    uscc = uscc.strip().upper()
    problem = validate_uscc(uscc)
    if problem:
        raise RuleViolation.on("uscc", problem)
    existing = session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
    if existing is not None:
        raise Duplicate(
            f"an enterprise with uscc {uscc} already exists: id {existing.id} ({existing.name})",
            {"uscc": ["already registered"]}, existing_id=existing.id,
        )
    ent = Enterprise(uscc=uscc, name=name.strip(), size=size, in_zone=in_zone, industry=industry,
                     created_by=actor.id)
    session.add(ent)
    session.flush()
    audit.record(session, actor, "create", "enterprise", ent.id, after=ent.snapshot())
    return ent


@allows(Role.admin, Role.fund_manager)
def update_enterprise(session: Session, actor: Actor, enterprise_id: int, changes: dict[str, Any]) -> Enterprise:
    ent = get_or_404(session, Enterprise, enterprise_id, entity="enterprise", with_for_update=True)
    before = ent.snapshot()
    for key in ("name", "size", "industry", "in_zone"):
        if key in changes:
            setattr(ent, key, changes[key])
    audit.record_update(session, actor, "enterprise", ent.id, before, ent.snapshot())
    return ent


@allows(SIGNED_IN)
def get_guarantor(session: Session, guarantor_id: int) -> Guarantor:
    """A guarantor (shared master data: every signed-in role sees every one)."""
    return get_or_404(session, Guarantor, guarantor_id, entity="guarantor")


@allows(SIGNED_IN)
def get_enterprise(session: Session, enterprise_id: int) -> Enterprise:
    """An enterprise (shared master data: every signed-in role sees every one)."""
    return get_or_404(session, Enterprise, enterprise_id, entity="enterprise")


@allows(SIGNED_IN)
def list_enterprises(
    session: Session, page: int, page_size: int, q: str | None = None, uscc: str | None = None, *,
    after_id: int | None = None, count_limit: int | None = None,
) -> Page[Enterprise]:
    stmt = select(Enterprise).order_by(Enterprise.id.desc())
    if uscc:
        stmt = stmt.where(Enterprise.uscc == uscc.strip().upper())
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Enterprise.name.ilike(pattern, escape="\\"), Enterprise.uscc.ilike(pattern, escape="\\")))
    return paginate(session, stmt, page, page_size, key=Enterprise.id, after_id=after_id, count_limit=count_limit)


@allows(SIGNED_IN)
def get_user_self(session: Session, actor: Actor) -> User:
    user = user_read_by_token(session, actor.id) or session.get(User, actor.id)
    if user is None:  # pragma: no cover - the token lookup already found the user
        raise NotFound("user does not exist")
    return user


@allows(SIGNED_IN)
def bank_rows(session: Session, banks: list[Bank], on: dt.date) -> list[dict[str, Any]]:
    """Each bank as a record: the terms in force on ``on`` (services.bank_terms) and its pool figures that day
    (quota used, NPL ratio), each computed in one query for the whole list (``GET /banks``, the dashboard)."""
    ids = [b.id for b in banks]
    figures = bank_figures(session, ids, on)
    terms = bank_terms.shown_terms(session, ids, on)
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


def bank_figures(
    session: Session, bank_ids: list[int], as_of: dt.date | None = None,
) -> dict[int, tuple[Decimal, Decimal]]:
    """``{bank_id: (pool_quota_used, npl_ratio)}`` on ``as_of`` (default: today in the fund's timezone).

    SQL aggregates over the pool's loans, repayments and recoveries: a constant number of queries for
    any number of banks (figures.pool).
    """
    if as_of is None:
        as_of = _today()
    return pool.bank_figures(session, bank_ids, as_of)
