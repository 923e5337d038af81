"""The console's blueprint: who is signed in, sign in/out, password, language, security headers, error pages.

Pages live in :mod:`bridgefund.console.home` and :mod:`bridgefund.console.bridge`; every view answers a whole page,
or only its fragment when htmx asks (``HX-Request``), from the same handler.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from bridgefund.config import PROJECT_ROOT
from bridgefund.console import LANGUAGES, csrf, idempotency, labels
from bridgefund.console.may import may
from bridgefund.errors import DomainError, Forbidden, NotAuthenticated, TooManyRequests
from bridgefund.models import ApiToken
from bridgefund.services import auth
from bridgefund.services.actor import Actor
from bridgefund.web import ANY, PUBLIC, access, access_rule, auth_config, db, session, settings, today

bp = Blueprint("console", __name__, template_folder=str(PROJECT_ROOT / "templates"))

#: The cookie's key holding the server-side session's token (an ``api_tokens`` row, revocable, idling out).
SESSION_ID = "sid"
#: No inline script, nothing from another host; htmx is configured by a meta tag for exactly this policy.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def locale() -> str:
    """The page language: the user's choice for this browser session, Chinese by default."""
    lang = cookie.get("lang")
    return lang if lang in LANGUAGES else "zh"


def current_actor() -> Actor | None:
    return g.get("console_actor")


def htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page(template: str, http_status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), http_status


# --- the signed-in user ------------------------------------------------------------------------------------------


@bp.before_request
def _load_user() -> Response | None:
    g.console_actor = None
    token = cookie.get(SESSION_ID)
    if token:
        try:
            who = auth.authenticate(auth_config(), session(), token, now=g.started)
        except NotAuthenticated:
            cookie.clear()
            flash(_("You were signed out after %(minutes)d minutes without activity, or your session ended.",
                    minutes=settings().session_idle_minutes), "warning")
        else:
            g.console_actor = g.actor = Actor(id=who.user_id, username=who.username, role=who.role,
                                              bank_id=who.bank_id, request_id=g.request_id, ip=request.remote_addr)
            g.api_token_id = who.token_id
            _slide_idle_expiry(who.token_id)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    # Like the API: every console view declares who may open it (web.access); without a declaration, nobody.
    rule = access_rule(current_app.view_functions.get(request.endpoint or ""))
    if rule is None:
        raise Forbidden("this page has no access rule")
    if g.console_actor is None and PUBLIC not in rule:
        target = url_for("console.sign_in", next=request.full_path if request.method == "GET" else None)
        if htmx():
            return Response(status=204, headers={"HX-Redirect": target})
        return redirect(target)
    return None


def _slide_idle_expiry(token_id: int) -> None:
    """Keep the session alive for another idle period (written at most once a minute; capped by the token's
    lifetime)."""
    tok = session().get(ApiToken, token_id)
    if tok is None:  # pragma: no cover - authenticate just found it
        return
    idle = dt.timedelta(minutes=settings().session_idle_minutes)
    new = min(tok.created_at + auth_config().token_ttl, g.started + idle)
    if new - tok.expires_at >= dt.timedelta(minutes=1):
        tok.expires_at = new


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Vary"] = "Cookie, HX-Request"
    return resp


@bp.app_context_processor
def _context() -> dict[str, Any]:
    lang = str(get_locale() or "zh")
    return {"actor": current_actor(), "may": may, "today": today, "lang": lang,
            "html_lang": "zh-CN" if lang == "zh" else "en", "new_key": idempotency.new_key,
            "IDEMPOTENCY_FIELD": idempotency.FIELD, "role_name": labels.role_name, "status_name": labels.status_name,
            "action_name": labels.action_name, "timedelta": dt.timedelta}


# --- money and dates as people read them -------------------------------------------------------------------------


def money(value: Any) -> str:
    """``1500000`` → ``1,500,000.00`` (exact: Decimal formatting, never a float)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


def wan(value: Any) -> str:
    """Yuan → 万元 with two decimals, as the reports' summaries print it."""
    if value is None:
        return "—"
    return f"{(Decimal(value) / Decimal(10000)).quantize(Decimal('0.01')):,}"


def localtime(value: dt.datetime) -> str:
    """A recorded timestamp in the fund's timezone, to the minute."""
    return value.astimezone(settings().tz).strftime("%Y-%m-%d %H:%M")


bp.add_app_template_filter(localtime, "localtime")
bp.add_app_template_filter(money, "money")
bp.add_app_template_filter(wan, "wan")


# --- errors as pages ---------------------------------------------------------------------------------------------


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError) -> Any:
    if isinstance(err, NotAuthenticated):
        cookie.clear()
        return redirect(url_for("console.sign_in"))
    return page("console/error.html", err.status, status=err.status, detail=err.detail, errors=err.errors)


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Any:
    status = err.code or 500
    return page("console/error.html", status, status=status, detail=err.description, errors={})


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
@access(ANY)
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
@access(ANY)
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
@access(ANY)
def inbox() -> Any:
    """The notifications inbox (filled by the reminders; empty until they exist)."""
    return page("console/inbox.html", items=[])


def register(app: Flask) -> None:
    from bridgefund.console import bridge, dashboard, home  # noqa: F401 - their routes join the blueprint

    app.register_blueprint(bp)
