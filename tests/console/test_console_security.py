"""Signing in and the console's defences: sessions, idle sign-out, CSRF, headers, cookies, throttling, access per
role, language, and the pages' static files."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridgefund import authority
from bridgefund.console.base import CSP
from bridgefund.console.bridge import ACTIONS
from bridgefund.console.forms import normalize_int, normalize_money
from bridgefund.exports import XLSX
from bridgefund.models import ApiToken, BridgeLoan, Document
from bridgefund.services import documents
from bridgefund.services.actor import SYSTEM
from tests.admin_support import covered_rules
from tests.bridge_support import World, counts
from tests.conftest import audit_count
from tests.console_support import Browser, one_time_key, signed_in, visible_text
from tests.documents_support import PDF, filed_claim

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


def live_tokens(db, user_id: int) -> list[ApiToken]:  # noqa: ANN001
    """The user's live sessions, newest first (the World's API tokens included)."""
    db.expire_all()
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                           .order_by(ApiToken.id.desc())))


def test_anonymous_visitors_are_sent_to_sign_in(app, world) -> None:  # noqa: ANN001
    b = Browser(app)
    r = b.get("/bridge-loans?status=submitted")
    assert r.status_code == 302 and "/sign-in?next=" in r.headers["Location"]
    r = b.get("/bridge-loans", headers={"HX-Request": "true"})  # a fragment request: htmx is told to navigate
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/sign-in")
    r = b.get("/sign-in")
    assert r.status_code == 200 and 'name="csrf-token"' in r.get_data(as_text=True)


def test_sign_in_rotates_the_session_and_sign_out_revokes_it(app, db, world) -> None:  # noqa: ANN001
    api_tokens = len(live_tokens(db, world.officer_user.id))
    b = Browser(app)
    b.get("/sign-in")
    anonymous_cookie = b.client.get_cookie("bridgefund_session")
    r = b.post("/sign-in", {"username": world.officer_user.username, "password": "Test-pass-123",
                            "next": "/bridge-loans?status=submitted"})
    assert r.status_code == 303 and r.headers["Location"] == "/bridge-loans?status=submitted"
    cookie = b.client.get_cookie("bridgefund_session")
    assert cookie.value != anonymous_cookie.value
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure  # Secure in production
    set_cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    tokens = live_tokens(db, world.officer_user.id)
    assert len(tokens) == api_tokens + 1
    # The server-side session idles out: it lives BRIDGEFUND_SESSION_IDLE_MINUTES (30) from the last request.
    assert tokens[0].expires_at - tokens[0].created_at <= dt.timedelta(minutes=30, seconds=5)
    assert audit_count(db, action="login", actor_id=world.officer_user.id) == 1
    # Signing in again (another user at the same browser) revokes the first session.
    b.get("/")
    li_api_tokens = live_tokens(db, world.li_user.id)
    r = b.post("/sign-in", {"username": world.li_user.username, "password": "Test-pass-123"})
    assert r.status_code == 303
    assert len(live_tokens(db, world.officer_user.id)) == api_tokens
    b.get("/")
    r = b.post("/sign-out")
    assert r.status_code == 303
    assert [t.id for t in live_tokens(db, world.li_user.id)] == [t.id for t in li_api_tokens]
    assert audit_count(db, action="logout", actor_id=world.li_user.id) == 1
    assert b.get("/").status_code == 302


def test_an_open_redirect_is_refused_after_sign_in(app, world) -> None:  # noqa: ANN001
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        b = Browser(app)
        b.get("/sign-in")
        r = b.post("/sign-in", {"username": world.officer_user.username, "password": "Test-pass-123",
                                "next": target})
        assert r.status_code == 303 and r.headers["Location"] == "/", target


def test_wrong_passwords_are_audited_and_throttled_like_the_api(app, db, world, settings) -> None:  # noqa: ANN001
    b = Browser(app)
    b.get("/sign-in")
    for _ in range(settings.login_max_failures):
        r = b.post("/sign-in", {"username": world.officer_user.username, "password": "wrong-password-1"})
        assert r.status_code == 401
        assert "用户名或密码错误" in r.get_data(as_text=True)
    assert audit_count(db, action="login_failed", actor_id=world.officer_user.id) == settings.login_max_failures
    r = b.post("/sign-in", {"username": world.officer_user.username, "password": "Test-pass-123"})
    assert r.status_code == 429  # throttled, even with the right password


def test_idle_sessions_end(app, db, world) -> None:  # noqa: ANN001
    b = signed_in(app, world.officer_user)
    assert b.get("/").status_code == 200
    tok = live_tokens(db, world.officer_user.id)[0]
    tok.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)  # 30 minutes without a request
    db.commit()
    r = b.get("/bridge-loans")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert "无操作被自动登出" in b.text("/sign-in")


def test_activity_keeps_the_session_alive_up_to_the_token_lifetime(app, db, world) -> None:  # noqa: ANN001
    b = signed_in(app, world.officer_user)
    tok = live_tokens(db, world.officer_user.id)[0]
    tok.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)  # 25 minutes idle so far
    db.commit()
    assert b.get("/").status_code == 200
    db.expire_all()
    assert db.get(ApiToken, tok.id).expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=29)


def test_every_state_changing_request_needs_the_csrf_token(app, db, world) -> None:  # noqa: ANN001
    loan = world.submit()
    officer = signed_in(app, world.officer_user)
    li = signed_in(app, world.li_user)
    before = counts(db)
    key = one_time_key(officer.text("/bridge-loans/new"))
    cases = [
        (officer, "/bridge-loans/new", {"idempotency_key": key, "enterprise_id": str(world.enterprise.id)}),
        (li, f"/bridge-loans/{loan['id']}/approve", {"idempotency_key": "k-approve"}),
        (li, "/sign-out", {}),
        (li, "/language", {"lang": "en"}),
        (li, "/password", {"current_password": "Test-pass-123", "new_password": "Another-pass-456",
                           "confirm_password": "Another-pass-456"}),
    ]
    for who, path, data in cases:
        r = who.post(path, data, csrf=False)
        assert r.status_code == 400, path
        assert "CSRF" in r.get_data(as_text=True), path
        r = who.post(path, {**data, "csrf_token": "forged"}, csrf=False)
        assert r.status_code == 400, path
    # The header htmx sends (hx-headers from the page) is accepted in place of the form field.
    r = li.client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": li.token})
    assert r.status_code == 303
    assert counts(db) == before
    db.expire_all()
    assert db.get(BridgeLoan, loan["id"]).status == "submitted"
    assert li.get("/").status_code == 200  # still signed in


def test_security_headers_on_every_console_page(app, world) -> None:  # noqa: ANN001
    b = signed_in(app, world.li_user)
    for path in ("/", "/sign-in", "/bridge-loans", "/bridge-loans/new", "/dashboard", "/inbox", "/password",
                 "/bridge-loans/999999", "/reports", "/statements", "/periods", "/notifications",
                 "/me/notification-settings"):
        r = b.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert csp == CSP
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "no-store"
        html = r.get_data(as_text=True)
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, f"inline script on {path}"
        assert " style=" not in html and "<style" not in html, f"inline style on {path}"
        assert re.search(r"\son[a-z]+=", html) is None, f"inline event handler on {path}"
        if r.status_code == 200:
            config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1))
            assert config["allowEval"] is False and config["includeIndicatorStyles"] is False


ROLE_PAGES = {
    # path: {role: status}
    "/": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/bridge-loans": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/bridge-loans/new": {"bank_officer": 200, "fund_manager": 200, "admin": 403, "auditor": 403},
    "/dashboard": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/inbox": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/password": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/bridge-loans/enterprises?q=测试": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/bridge-loans/uscc-check?q=91350200776049653A": {r: 200 for r in ("bank_officer", "fund_manager", "admin",
                                                                         "auditor")},
    "/bridge-loans/fee-preview?amount=1000000&term_days=8": {r: 200 for r in ("bank_officer", "fund_manager",
                                                                               "admin", "auditor")},
    "/bridge-loans/{loan}": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200,
                             "other_officer": 404},
    "/bridge-loans/{loan}/confirm/approve": {"bank_officer": 403, "fund_manager": 200, "other_officer": 403},
    "/bridge-loans/{loan}/confirm/nonsense": {"fund_manager": 404},
    # a paper on the loan: its bank's officer and the staff download it; another bank's officer gets the 404 page
    "/documents/{document}/content": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200,
                                      "other_officer": 404},
    "/pool-loans": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/audit": {"bank_officer": 403, "fund_manager": 403, "admin": 200, "auditor": 200, "other_officer": 403},
    # Every role may open a pool loan's page (tests/console/test_console_pool.py); this world has none: 404.
    "/pool-loans/{loan}": {"bank_officer": 404, "fund_manager": 404, "admin": 404, "auditor": 404},
    "/pool-loans/{loan}/confirm/repay": {"bank_officer": 404, "fund_manager": 404, "admin": 403, "auditor": 403},
    # Every action's confirmation: a role its operation does not allow gets 403 before the loan is looked up (also
    # for another bank's loan); an officer it allows gets 404 for another bank's loan.
    **{f"/bridge-loans/{{loan}}/confirm/{name}": {
        **{role: 403 for role in ("bank_officer", "fund_manager", "admin", "auditor")
           if not authority.permission_of(action.operation).allows(role)},
        "other_officer": 404 if authority.permission_of(action.operation).allows("bank_officer") else 403,
    } for name, action in ACTIONS.items() if name != "approve"},
    # Claims and the pool import (this world has no claim, pool loan or job: 404 where the role may look).
    "/claims": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/claims/{claim}": {"bank_officer": 404, "fund_manager": 404, "admin": 404, "auditor": 404},
    **{f"/claims/{{claim}}/confirm/{name}": {"bank_officer": 403, "fund_manager": 404, "admin": 403, "auditor": 403}
       for name in ("approve", "reject", "pay")},
    "/claims/{claim}/confirm/recover": {"bank_officer": 404, "fund_manager": 404, "admin": 403, "auditor": 403},
    "/pool-loans/{loan}/claim": {"bank_officer": 404, "fund_manager": 403, "admin": 403, "auditor": 403},
    "/pool-loans/import": {"bank_officer": 200, "fund_manager": 200, "admin": 403, "auditor": 403},
    "/pool-loans/import/template.xlsx": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/pool-loans/import/{job}": {"bank_officer": 404, "fund_manager": 404, "admin": 404, "auditor": 404},
    # Reports, statements, jobs, month close, notifications ({report} and {job}: ids nobody has).
    "/reports": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/reports/{report}/pdf": {"bank_officer": 403, "fund_manager": 404, "admin": 404, "auditor": 404},
    "/jobs/{job}": {"bank_officer": 404, "fund_manager": 404, "admin": 404, "auditor": 404},
    "/statements": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/statements/pdf?period=bad": {"bank_officer": 422, "fund_manager": 422, "admin": 422, "auditor": 422},
    "/periods": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/periods/confirm?period=2020-13": {"bank_officer": 403, "fund_manager": 403, "admin": 422, "auditor": 403},
    "/notifications": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/notifications/bell": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/me/notification-settings": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    # "Export to Excel" of the lists: the list's own access (an officer's sheets hold their bank's rows,
    # tests/console/test_console_exports.py).
    "/claims?format=xlsx": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/reports?format=xlsx": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/periods?format=xlsx": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/notifications?format=xlsx": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/admin/users?format=xlsx": {"bank_officer": 403, "fund_manager": 403, "admin": 200, "auditor": 403},
    "/admin/banks?format=xlsx": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200,
                                 "other_officer": 200},
    "/admin/guarantors?format=xlsx": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/enterprises?format=xlsx": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200},
    # A user's new role, confirmed first ({user}: the bank officer; tests/console/test_console_user_role.py).
    "/admin/users/{user}/role?role=auditor": {"bank_officer": 403, "fund_manager": 403, "admin": 200,
                                              "auditor": 403, "other_officer": 403},
    "/admin/users/{user}/role": {"admin": 422},
    "/admin/users/999999/role?role=auditor": {"admin": 404, "fund_manager": 403},
    # The loan's approval form (a PDF for everyone who may see the loan; another bank's officer: the 404 page).
    "/bridge-loans/{loan}/approval-form.pdf": {"bank_officer": 200, "fund_manager": 200, "admin": 200, "auditor": 200,
                                               "other_officer": 404},
    "/bridge-loans/{loan}/approval-form.pdf?lang=xx": {"bank_officer": 422, "other_officer": 404},
    # The dashboard's cash forecast (GET /fund/forecast's roles).
    "/dashboard/forecast": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/dashboard/forecast?days=0": {"fund_manager": 422},
    # The fund's and the pool's ledgers with their exports.
    "/fund/ledger": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/fund/ledger?format=xlsx&kind=fee": {"bank_officer": 403, "fund_manager": 200, "auditor": 200},
    "/pool/ledger": {"bank_officer": 403, "fund_manager": 200, "admin": 200, "auditor": 200},
    "/pool/ledger?format=xlsx": {"bank_officer": 403, "admin": 200},
    # The notification outbox (the admin's).
    "/admin/deliveries": {"bank_officer": 403, "fund_manager": 403, "admin": 200, "auditor": 403},
    "/admin/deliveries?format=xlsx": {"bank_officer": 403, "admin": 200},
}


def test_every_console_route_answers_each_role_as_the_services_decide(app, db, world, factory) -> None:  # noqa: ANN001
    """The access matrix of the console's GET routes (the POSTs are covered by the flow and CSRF tests)."""
    loan = world.submit()
    document = documents.upload(db, SYSTEM, "bridge_loan", loan["id"], kind="application", file=io.BytesIO(PDF),
                                filename="申请书.pdf")
    db.commit()
    users = {"bank_officer": world.officer_user, "fund_manager": world.li_user,
             "admin": factory.make_user("admin"), "auditor": factory.make_user("auditor"),
             "other_officer": factory.make_user("bank_officer", factory.make_bank())}
    browsers = {role: signed_in(app, user) for role, user in users.items()}
    console_gets = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")
                    and "GET" in (r.methods or ())}
    covered = {re.sub(r"\?.*", "", p).replace("{loan}", "<int:loan_id>").replace("{claim}", "<int:claim_id>")
               .replace("{report}", "<int:report_id>").replace("{job}", "<int:job_id>")
               .replace("{document}", "<int:document_id>").replace("{user}", "<int:user_id>")
               for p in ROLE_PAGES}
    covered |= covered_rules()
    assert console_gets - {"/sign-in"} <= covered, f"console pages without an access row: {console_gets - covered}"
    for path, expected in ROLE_PAGES.items():
        for role, status in expected.items():
            r = browsers[role].get(path.format(loan=loan["id"], claim=999999, report=999999, job=999999,
                                               document=document.id, user=users["bank_officer"].id))
            assert r.status_code == status, (path, role, r.status_code)
            if status == 200 and "xlsx" in path:
                assert r.mimetype == XLSX
            elif status == 200:
                assert r.mimetype == ("application/pdf" if path.endswith(("/content", ".pdf")) else "text/html")
            elif status == 404:
                assert r.mimetype == "text/html"  # the console's 404 page
    # An officer posting an approval anyway: the service refuses it (a hidden button is a courtesy, the service
    # is the guard), and nothing changes.
    before = counts(db)
    key = one_time_key(browsers["bank_officer"].text("/bridge-loans/new"))
    r = browsers["bank_officer"].post(f"/bridge-loans/{loan['id']}/approve", {"idempotency_key": key})
    assert r.status_code == 403
    assert counts(db) == before


#: The documents' upload routes (POST, multipart) of the four record pages: {record} → its id in the world.
UPLOAD_ROUTES = {
    "/bridge-loans/{bridge}/documents": "<int:loan_id>",
    "/pool-loans/{pool}/documents": "<int:loan_id>",
    "/claims/{claim}/documents": "<int:claim_id>",
    "/enterprises/{enterprise}/documents": "<int:enterprise_id>",
}


def test_every_upload_route_answers_each_role_as_the_services_decide(app, db, world, factory) -> None:  # noqa: ANN001
    """Each record page's upload: the roles ``documents.upload`` allows store a version (303); the auditor 403; an
    officer of another bank the 404 page for a bank's record (an enterprise is shared master data); without the
    CSRF token 400 — and a refusal stores nothing."""
    loan = world.submit()
    claim = filed_claim(factory, world.bank)
    ids = {"bridge": loan["id"], "pool": claim.loan_id, "claim": claim.id, "enterprise": world.enterprise.id}
    console_uploads = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")
                       and "POST" in (r.methods or ()) and r.rule.endswith("/documents")}
    assert console_uploads == {re.sub(r"\{\w+\}", arg, p) for p, arg in UPLOAD_ROUTES.items()}
    users = {"bank_officer": world.officer_user, "fund_manager": world.li_user,
             "admin": factory.make_user("admin"), "auditor": factory.make_user("auditor"),
             "other_officer": factory.make_user("bank_officer", factory.make_bank())}
    browsers = {role: signed_in(app, user) for role, user in users.items()}
    for route in UPLOAD_ROUTES:
        path = route.format(**ids)
        shared = route.startswith("/enterprises/")
        expected = {"bank_officer": 303, "fund_manager": 303, "admin": 303, "auditor": 403,
                    "other_officer": 303 if shared else 404}
        for role, status in expected.items():
            stored = db.scalar(select(func.count()).select_from(Document))
            form = {"idempotency_key": f"console-{role}-{path}", "kind": "other",
                    "file": (io.BytesIO(PDF), "x.pdf")}
            r = browsers[role].post(path, form, content_type="multipart/form-data")
            assert r.status_code == status, (path, role, r.status_code)
            assert db.scalar(select(func.count()).select_from(Document)) == stored + (status == 303), (path, role)
            if status == 404:
                assert r.mimetype == "text/html"  # the console's 404 page
        r = browsers["bank_officer"].post(path, {"idempotency_key": "console-no-csrf", "kind": "other",
                                                 "file": (io.BytesIO(PDF), "x.pdf")},
                                          csrf=False, content_type="multipart/form-data")
        assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True), path
    assert db.scalar(select(func.count()).select_from(Document)) == 4 * 3 + 1  # the shared enterprise's 4th


def test_buttons_follow_the_api_declarations(app, world) -> None:  # noqa: ANN001
    loan = world.submit()
    officer = signed_in(app, world.officer_user).text(f"/bridge-loans/{loan['id']}")
    manager = signed_in(app, world.li_user).text(f"/bridge-loans/{loan['id']}")
    assert 'data-testid="action-withdraw"' in officer and 'data-testid="action-approve"' not in officer
    assert 'data-testid="action-approve"' in manager and 'data-testid="action-reject"' in manager
    assert 'data-testid="action-disburse"' not in manager  # not approved yet


def test_the_language_switch(app, world) -> None:  # noqa: ANN001
    b = signed_in(app, world.li_user)
    assert "待办事项" in b.text("/") and 'lang="zh-CN"' in b.text("/")
    r = b.post("/language", {"lang": "en", "next": "/bridge-loans"})
    assert r.status_code == 303 and r.headers["Location"] == "/bridge-loans"
    page = b.text("/")
    assert "Work queue" in page and "待办事项" not in page and '<html lang="en">' in page
    b.post("/language", {"lang": "xx"})  # an unknown language changes nothing
    assert "Work queue" in b.text("/")
    b.post("/language", {"lang": "zh"})
    assert "待办事项" in b.text("/")


def test_each_request_is_in_its_own_users_language(app, world) -> None:  # noqa: ANN001
    """The templates' strings are looked up once per request (console.base.translations): two users' requests,
    one in English and one in Chinese, alternating in one process, each get their own language, strings with
    variables included; outside a request the lookup answers untranslated text rather than failing."""
    from bridgefund.console.base import translations

    english, chinese = signed_in(app, world.li_user), signed_in(app, world.officer_user)
    english.post("/language", {"lang": "en"})
    for _ in range(3):
        en, zh = english.text("/"), chinese.text("/")
        assert "Work queue" in en and "待办事项" not in en and '<html lang="en">' in en
        assert 'lang="zh-CN"' in zh and "Work queue" not in zh and "as of" not in zh
    assert translations().ugettext("Work queue") == "Work queue"


def test_password_change(app, db, world) -> None:  # noqa: ANN001
    b = signed_in(app, world.officer_user)
    other = signed_in(app, world.officer_user)  # a second session of the same user
    r = b.post("/password", {"current_password": "wrong-pass-1", "new_password": "Fresh-pass-2020",
                             "confirm_password": "Fresh-pass-2020"})
    assert r.status_code == 422 and 'id="current_password-error"' in r.get_data(as_text=True)
    r = b.post("/password", {"current_password": "Test-pass-123", "new_password": "short",
                             "confirm_password": "short"})
    assert r.status_code == 422 and 'id="new_password-error"' in r.get_data(as_text=True)
    r = b.post("/password", {"current_password": "Test-pass-123", "new_password": "Fresh-pass-2020",
                             "confirm_password": "Fresh-pass-2021"})
    assert r.status_code == 422 and 'id="confirm_password-error"' in r.get_data(as_text=True)
    assert audit_count(db, action="change_password") == 0
    r = b.post("/password", {"current_password": "Test-pass-123", "new_password": "Fresh-pass-2020",
                             "confirm_password": "Fresh-pass-2020"})
    assert r.status_code == 303
    assert audit_count(db, action="change_password", actor_id=world.officer_user.id) == 1
    assert b.get("/").status_code == 200  # this session stays
    assert other.get("/").status_code == 302  # the other one ended
    assert Browser(app).sign_in(world.officer_user.username, "Fresh-pass-2020").status_code == 303


@pytest.mark.parametrize(("typed", "parsed"), [
    ("1,500,000.00", "1500000.00"), ("１５０００００", "1500000.00"), ("1 500 000.5", "1500000.50"),
    ("１，５００，０００．００", "1500000.00"), ("¥2,000", "2000.00"), (".5", ".5"), ("1.005", "1.005"), ("abc", "abc"),
    ("-5", "-5"),
])
def test_money_inputs_are_normalised_before_the_strict_parse(typed: str, parsed: str) -> None:
    assert normalize_money(typed) == parsed
    assert normalize_int("１０") == 10 and normalize_int("1,0") == 10 and normalize_int("ten") == "ten"


def test_the_console_serves_only_its_vendored_files(app, world) -> None:  # noqa: ANN001
    """Every script and style sheet a console page loads is a local, listed file with its listed sha256."""
    vendored = json.loads((ROOT / "bridgefund/static/vendor/VENDORED.json").read_text(encoding="utf-8"))["packages"]
    listed = {f"/static/vendor/{p['directory']}/{name}": digest
              for p in vendored for name, digest in p["files"].items()}
    b = signed_in(app, world.li_user)
    html = b.text("/")
    refs = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {"/static/vendor/htmx/htmx.min.js", "/static/vendor/bootstrap/bootstrap.min.css"} <= set(refs)
    for ref in refs:
        r = b.client.get(ref)
        assert r.status_code == 200, ref
        if ref.startswith("/static/vendor/"):
            assert hashlib.sha256(r.get_data()).hexdigest() == listed[ref], ref
        r.close()
    assert 'version":"2.0.11"' in (ROOT / "bridgefund/static/vendor/htmx/htmx.min.js").read_text() or \
        '"2.0.11"' in (ROOT / "bridgefund/static/vendor/htmx/htmx.min.js").read_text()
    for path in (ROOT / "templates/console").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href|action)=["'](?:https?:)?//""", text), path


def test_a_page_in_english_keeps_the_figures(app, world) -> None:  # noqa: ANN001
    world.submit()
    b = signed_in(app, world.officer_user)
    b.post("/language", {"lang": "en"})
    text = visible_text(b.text("/"))
    assert "My bank's applications by status" in text and "1,000,000.00" not in text  # counts, not amounts
    assert "Submitted" in visible_text(b.text("/bridge-loans")) and "1,000,000.00" in b.text("/bridge-loans")
