"""The console's blueprint and what every console request gets: the signed-in user (a server-side session that
idles out), the CSRF check, the access declaration, security headers, the template helpers and error pages.

Pages live in :mod:`~bridgefund.console.account`, :mod:`~bridgefund.console.home`, :mod:`~bridgefund.console.bridge`
and :mod:`~bridgefund.console.dashboard`; every view answers a whole page, or only its fragment when htmx asks
(``HX-Request``), from the same handler.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    has_app_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_babel import Babel, get_locale, get_translations
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from bridgefund.config import PROJECT_ROOT
from bridgefund.console import idempotency, labels
from bridgefund.console.may import may
from bridgefund.errors import DomainError, Forbidden, NotAuthenticated
from bridgefund.models import ApiToken
from bridgefund.services import auth
from bridgefund.services.actor import Actor
from bridgefund.web import PUBLIC, auth_config, http_exception_problem, session, settings, today, view_permission

bp = Blueprint("console", __name__, template_folder=str(PROJECT_ROOT / "templates"))
#: Checked explicitly by the console's own ``before_request`` (the JSON API authenticates by bearer token instead).
csrf = CSRFProtect()
babel = Babel()
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("zh", "en")

#: The cookie's key holding the server-side session's token (an ``api_tokens`` row, revocable, idling out).
SESSION_ID = "sid"
#: No inline script, nothing from another host; htmx is configured by a meta tag for exactly this policy.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def locale() -> str:
    """The page language: the user's choice for this browser session, Chinese by default."""
    lang = cookie.get("lang")
    return lang if lang in LANGUAGES else "zh"


def translations() -> Any:
    """Flask-Babel's translations for this request, kept on ``g`` (Flask-Babel too chooses the locale once per
    request); outside an application context, Flask-Babel's answer (no translation)."""
    if not has_app_context():
        return get_translations()
    found = g.get("console_translations")
    if found is None:
        found = g.console_translations = get_translations()
    return found


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
    # Like the API: every console view names the service operation it performs (web.access), whose declared
    # permission (bridgefund.authority) decides who may open it; without a declaration, nobody.
    permission = view_permission(current_app.view_functions.get(request.endpoint or ""))
    if permission is None:
        raise Forbidden("this page has no access rule")
    if g.console_actor is None and PUBLIC not in permission.rule:
        target = url_for("console.sign_in", next=request.full_path if request.method == "GET" else None)
        if htmx():
            return Response(status=204, headers={"HX-Redirect": target})
        return redirect(target)
    if g.console_actor is not None and not permission.allows(g.console_actor.role):
        raise Forbidden(f"role {g.console_actor.role} may not open this page (needs {permission.describe()})")
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
            "action_name": labels.action_name, "message": labels.message,
            "document_kind_name": labels.document_kind_name}


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


def localtime(value: dt.datetime | str) -> str:
    """A recorded timestamp (or one kept as ISO text in a job's params) in the fund's timezone, to the minute."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(settings().tz).strftime("%Y-%m-%d %H:%M")


def percent(value: Any, places: int = 2) -> str:
    """A ratio as a percentage: ``0.30431`` → ``30.43%`` (exact: Decimal, half-up)."""
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


bp.add_app_template_filter(localtime, "localtime")
bp.add_app_template_filter(percent, "percent")
bp.add_app_template_filter(money, "money")
bp.add_app_template_filter(wan, "wan")


# --- errors as pages ---------------------------------------------------------------------------------------------


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError) -> Any:
    if isinstance(err, NotAuthenticated):
        cookie.clear()
        return redirect(url_for("console.sign_in"))
    return page(_error_template(), err.status, status=err.status, detail=err.detail, errors=err.errors)


def _error_template() -> str:
    """A whole page, or only the message when htmx asked for a fragment (it is swapped in where the fragment goes)."""
    return "console/partials/error.html" if htmx() else "console/error.html"


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Any:
    status = err.code or 500
    return page(_error_template(), status, status=status, detail=err.description, errors={})


def not_found_page(err: HTTPException) -> Any:
    """An address nothing answers: the console's 404 page for a person, a problem (RFC 9457) under /api and
    /healthz, as before."""
    if request.path.startswith(("/api/", "/healthz", "/static/")):
        return http_exception_problem(err)
    return page("console/error.html", 404, status=404, detail=err.description, errors={})
