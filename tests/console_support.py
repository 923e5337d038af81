"""Helpers for the staff console's tests: a browser-like client that signs in through the form and sends the
CSRF token and the forms' one-time keys, as a page would."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "Test-pass-123"  # the factory's default password
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def csrf_token(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "the page carries no csrf-token meta tag"
    return m.group(1)


def one_time_key(html: str) -> str:
    m = _KEY.search(html)
    assert m, "the form carries no one-time key"
    return m.group(1)


class Browser:
    """A Flask test client that remembers the last page's CSRF token."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.token = ""

    def get(self, path: str, **kw: Any) -> Any:
        r = self.client.get(path, **kw)
        if r.mimetype == "text/html":  # (a download is not text)
            text = r.get_data(as_text=True)
            if 'name="csrf-token"' in text:
                self.token = csrf_token(text)
        return r

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        self.get("/sign-in")
        r = self.post("/sign-in", {"username": username, "password": password})
        if r.status_code == 303:
            self.get("/")
        return r

    def text(self, path: str, **kw: Any) -> str:
        return self.get(path, **kw).get_data(as_text=True)


def signed_in(app: Any, user: Any, password: str = PASSWORD) -> Browser:
    b = Browser(app)
    r = b.sign_in(user.username, password)
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return b


def visible_text(html: str) -> str:
    """The page's words without tags, white space collapsed (for asserting on what a user reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
