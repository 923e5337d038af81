"""The staff console: server-rendered pages (Jinja + htmx) for the four roles, on the same services as the API.

A console view is as thin as an API view: parse the form with the action's marshmallow schema, call the same
service, render. Each view names the service operation it performs (``web.access(bridge_loans.approve)``), whose
declared permission (:mod:`bridgefund.authority`) decides who may open it; bank scoping comes from the services;
which buttons to show comes from :mod:`bridgefund.console.may` (which asks ``authority.may``). Signing in uses
:mod:`bridgefund.services.auth` (argon2, throttling, audit); the browser holds only a signed, HttpOnly cookie naming
a server-side session (an API token row that the server can revoke and that expires after
``BRIDGEFUND_SESSION_IDLE_MINUTES`` without a request). Every state-changing request carries a CSRF token; pages
load scripts only from this host (Content-Security-Policy ``script-src 'self'``).
"""

from __future__ import annotations

from flask import Flask

# account, admin, audit, bridge, claims, dashboard, document_section (the documents of four pages), forecast (the
# dashboard's cash forecast), home, ledgers (the fund's and the pool's), notifications (the bell), pool,
# pool_import, registers and reports (reports, periods, jobs) add their routes to base.bp when imported.
from bridgefund.console import (  # noqa: F401
    account,
    admin,
    audit,
    base,
    bridge,
    claims,
    dashboard,
    document_section,
    forecast,
    home,
    ledgers,
    notifications,
    pool,
    pool_import,
    registers,
    reports,
)
from bridgefund.console.base import LANGUAGES, TRANSLATIONS, babel, csrf

__all__ = ["LANGUAGES", "TRANSLATIONS", "babel", "csrf", "init_app"]


def init_app(app: Flask) -> None:
    """Cookies, CSRF, translations and the console's blueprint (served at ``/``)."""
    settings = app.config["BRIDGEFUND"]
    app.config.update(
        SESSION_COOKIE_NAME="bridgefund_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookies_secure,
        WTF_CSRF_CHECK_DEFAULT=False,  # the console protects its own POSTs; the API has no cookies to ride on
        WTF_CSRF_TIME_LIMIT=None,  # valid for the sign-in session (which itself idles out)
        WTF_CSRF_SSL_STRICT=settings.cookies_secure,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=base.locale)
    # The same callables Flask-Babel installs, over the request's translations looked up once: its own lookup
    # (app context, extension, locale) took 7 µs per string, ≈ 1 ms of a page of 120 strings (issue 13).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: base.translations().ugettext(s),
        ngettext=lambda s, p, n: base.translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: base.translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: base.translations().unpgettext(c, s, p, n),
    )
    app.register_blueprint(base.bp)
    app.register_error_handler(404, base.not_found_page)
