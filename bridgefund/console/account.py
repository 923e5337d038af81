"""Signing in and out, one's own password, the language, the inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from sqlalchemy import select

from bridgefund.console.base import LANGUAGES, SESSION_ID, bp, current_actor, page
from bridgefund.errors import DomainError, NotAuthenticated, TooManyRequests
from bridgefund.models import ApiToken
from bridgefund.services import auth, registry
from bridgefund.services.actor import Actor
from bridgefund.web import PUBLIC, access, auth_config, db, session, settings

# --- sign in and out, password, language -------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path on this host (never ``//evil.example`` or ``https://…``)."""
    if not target:
        return url_for("console.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("console.home")
    return target.rstrip("?") or url_for("console.home")


@bp.route("/sign-in", methods=["GET", "POST"])
@access(PUBLIC)
def sign_in() -> Any:
    """Sign in with a username and password (the API's users, throttling and audit)."""
    if request.method == "GET":
        if current_actor() is not None:
            return redirect(url_for("console.home"))
        return page("console/sign_in.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    nxt = request.form.get("next", "")
    try:
        issued = auth.login(auth_config(), db().sessionmaker, username, password, now=g.started,
                            request_id=g.request_id, ip=request.remote_addr)
    except TooManyRequests as exc:
        message = _("Too many failed sign-ins for this user. Try again in %(seconds)d seconds.",
                    seconds=exc.retry_after)
        return page("console/sign_in.html", 429, error=message, username=username, next=nxt)
    except NotAuthenticated:
        return page("console/sign_in.html", 401, error=_("Wrong username or password."), username=username,
                    next=nxt)
    old = cookie.get(SESSION_ID)
    if old:
        _revoke(old)
    lang = cookie.get("lang")
    cookie.clear()  # a new session: nothing of the old cookie survives
    cookie[SESSION_ID] = issued.token
    if lang in LANGUAGES:
        cookie["lang"] = lang
    tok = session().scalars(select(ApiToken).where(
        ApiToken.token_hash == auth.token_hash(auth_config(), issued.token))).one()
    tok.expires_at = min(tok.expires_at, g.started + dt.timedelta(minutes=settings().session_idle_minutes))
    return redirect(_safe_next(nxt), 303)


def _revoke(token: str) -> None:
    try:
        who = auth.authenticate(auth_config(), session(), token, now=g.started)
    except NotAuthenticated:
        return
    tok = session().get(ApiToken, who.token_id)
    if tok is not None:
        actor = Actor(id=who.user_id, username=who.username, role=who.role, bank_id=who.bank_id,
                      request_id=g.request_id, ip=request.remote_addr)
        auth.revoke(session(), actor, tok, now=g.started)


@bp.post("/sign-out")
@access(auth.revoke)
def sign_out() -> Any:
    """Sign out: the server-side session is revoked (audited), the cookie emptied."""
    actor = current_actor()
    tok = session().get(ApiToken, g.api_token_id)
    if actor is not None and tok is not None:
        auth.revoke(session(), actor, tok, now=g.started)
    lang = cookie.get("lang")
    cookie.clear()
    if lang in LANGUAGES:
        cookie["lang"] = lang
    flash(_("You are signed out."), "info")
    return redirect(url_for("console.sign_in"), 303)


@bp.route("/password", methods=["GET", "POST"])
@access(auth.change_password)
def change_password() -> Any:
    """Change one's own password (the current one is asked again); every other session of the user ends."""
    actor = current_actor()
    assert actor is not None
    if request.method == "GET":
        return page("console/password.html", errors={})
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return page("console/password.html", 422, errors={"confirm_password": [_("The two new passwords differ.")]})
    try:
        auth.change_password(auth_config(), session(), actor, current_password=request.form.get("current_password", ""),
                             new_password=new, keep_token_id=g.api_token_id, now=g.started)
    except DomainError as err:
        return page("console/password.html", 422, errors=err.errors)
    flash(_("Your password was changed; your other sessions were signed out."), "success")
    return redirect(url_for("console.home"), 303)


@bp.post("/language")
@access(PUBLIC)
def set_language() -> Any:
    """Switch the console's language for this browser (中文 / English)."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        cookie["lang"] = lang
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.get("/inbox")
@access(registry.get_user_self)
def inbox() -> Any:
    """The signed-in user's notifications inbox (filled by the reminders; empty until they exist)."""
    user = registry.get_user_self(session(), current_actor())
    return page("console/inbox.html", items=[], user=user)
