"""Helpers for the real-browser tests (tests/browser): signed-in pages kept off the network, axe-core checks."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from playwright.sync_api import Error as PlaywrightError

#: The demo's logins (README, ``make run`` prints them).
DEMO = {"officer-boc-hn": "Bank-2020-Renew", "officer-icbc-zzgx": "Bank-2020-Renew",
        "manager-li": "Approve-2020-Fund", "manager-wang": "Approve-2020-Fund", "auditor": "Ledger-2020-Check",
        "admin": "Spring-2020-Zone"}
AXE = "/static/vendor/axe-core/axe.min.js"


def api(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> Any:
    """A JSON call to the API (set-up only; the tests themselves act in the browser)."""
    req = urllib.request.Request(base + "/api/v1" + path, method=method,  # noqa: S310 - loopback only
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        return json.loads(r.read() or b"null")


def token(base: str, username: str) -> str:
    return api(base, "POST", "/auth/token", {"username": username, "password": DEMO[username]})["token"]


class Offline:
    """Aborts, and remembers, every request a browser context makes to another host; remembers every message of
    the pages' consoles that reports a Content-Security-Policy refusal or a script error."""

    def __init__(self) -> None:
        self.escaped: list[str] = []
        self.page_errors: list[str] = []

    def attach(self, context: Any) -> None:
        def watch(page: Any) -> None:
            page.on("console", lambda m: self.page_errors.append(m.text)
                    if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text) else None)
            page.on("pageerror", lambda e: self.page_errors.append(str(e)))

        context.on("page", watch)

        def route(r: Any) -> None:
            if r.request.url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")):
                r.continue_()
            else:
                self.escaped.append(r.request.url)
                r.abort()

        context.route("**/*", route)


def user_page(browser: Any, base: str, username: str, offline: Offline) -> Any:
    """A new browser context signed in as ``username`` through the sign-in form; returns its page."""
    context = browser.new_context(base_url=base, locale="zh-CN")
    offline.attach(context)
    page = context.new_page()
    page.goto("/")
    assert "/sign-in" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO[username])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (the vendored copy, loaded from this host)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE)
    result = page.evaluate("async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result if v["impact"] in ("serious", "critical")]


def double_click_to_a_new_page(page: Any, testid: str, *, timeout: float = 30.0) -> None:
    """Double-click the submit button ``testid`` and return once a new document has loaded in its place.

    The first click submits the form; the second may submit it again while the first answer is on its way, and
    the browser then drops the first navigation (net::ERR_ABORTED) for the second. Which happens is a race, so
    neither ``expect_navigation`` nor a wait for one URL can be used: the old document is marked, and the wait is
    for a loaded document without the mark. The caller then checks that the action happened once."""
    page.evaluate("() => { window.__bridgefund_old_document = true; }")
    page.get_by_test_id(testid).dblclick()
    deadline = time.monotonic() + timeout
    while True:
        try:
            page.wait_for_load_state("load")
            if page.evaluate("() => document.readyState === 'complete' && !window.__bridgefund_old_document"):
                return
        except PlaywrightError:  # a navigation was aborted, or the document changed under the evaluation
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"a double click on {testid!r} led to no new page within {timeout} s")
        page.wait_for_timeout(50)
