"""Take the console's screenshots (docs/screenshots/*.png, in Chinese) from a fresh demo server it starts itself.

    .venv/bin/python docs/screenshots.py                          # a demo server as `make run` starts one
    .venv/bin/python docs/screenshots.py http://127.0.0.1:5000    # or any server with the demo loaded

The server is started like the browser tests' (tests/browser/conftest.py): its own SQLite database in a temporary
folder, ``bridgefund db upgrade``, ``bridgefund demo --if-empty``, gunicorn on a free loopback port. Debian's
Chromium (``/usr/bin/chromium``, or ``BRIDGEFUND_CHROMIUM``) through Playwright, 1280 px wide, ``zh-CN``; every
request to another host is refused. On the server, only one application is submitted by the officer (so that
the work queue and the loan detail show a loan under review).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("BRIDGEFUND_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
#: The demo's logins (README "The staff console").
OFFICER = ("officer-boc-hn", "Bank-2020-Renew")
MANAGER = ("manager-li", "Approve-2020-Fund")
AUDITOR = ("auditor", "Ledger-2020-Check")


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    """A fresh demo server, as tests/browser/conftest.py starts one; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="bridgefund-screens-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEFUND_")}
        env.update(BRIDGEFUND_DATABASE_URL=f"sqlite:///{home / 'bridgefund.sqlite3'}",
                   BRIDGEFUND_REPORTS_DIR=str(home / "reports"), BRIDGEFUND_SECRET_KEY="screenshots-" + "0" * 32,
                   BRIDGEFUND_LOG_LEVEL="WARNING",
                   PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        cli = [sys.executable, "-c", "from bridgefund.cli import main; main()"]
        for step in (["db", "upgrade"], ["demo", "--if-empty"]):
            subprocess.run([*cli, *step], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)  # noqa: S603
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with (home / "gunicorn.log").open("wb") as log:
            server = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"]
            proc = subprocess.Popen(server, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                            if r.status == 200:
                                break
                    except OSError:
                        pass
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit((home / "gunicorn.log").read_text())
                    time.sleep(0.3)
                yield f"http://127.0.0.1:{port}"
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def sign_in(browser, base: str, user: tuple[str, str]):  # noqa: ANN001, ANN201
    context = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                  else route.abort())
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("用户名").fill(user[0])
    page.get_by_label("密码").fill(user[1])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    return page


def shoot(page, name: str, *, full_page: bool = True) -> None:  # noqa: ANN001
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / f"{name}.png", full_page=full_page)
    print(f"docs/screenshots/{name}.png", flush=True)


def take(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        officer = sign_in(browser, base, OFFICER)
        shoot(officer, "home-officer")
        officer.goto("/bridge-loans/new")
        officer.get_by_label("按名称或统一社会信用代码搜索").fill("科技")
        officer.locator("[name='enterprise_id']").first.check()
        for name, value in (("maturing_loan.contract_no", "BOC-2026-0101"), ("maturing_loan.amount", "3,000,000.00"),
                            ("maturing_loan.due_date", today), ("amount", "2,800,000.00"), ("term_days", "8"),
                            ("renewal.amount", "3,000,000.00"), ("renewal.expected_date", today)):
            officer.locator(f"[name='{name}']").fill(value)
        officer.get_by_test_id("fee-preview").wait_for()
        shoot(officer, "application-form")
        officer.get_by_role("button", name="提交申请").click()
        officer.wait_for_url("**/bridge-loans/*")
        loan_url = officer.url
        manager = sign_in(browser, base, MANAGER)
        shoot(manager, "home-manager")
        manager.goto("/bridge-loans?awaiting=first_approval")
        shoot(manager, "work-queue")
        manager.goto(loan_url)
        manager.get_by_test_id("action-approve").click()
        manager.get_by_test_id("confirm-approve").wait_for()
        shoot(manager, "loan-detail")
        manager.goto("/dashboard?as_of=2020-03-31")
        shoot(manager, "dashboard")
        auditor = sign_in(browser, base, AUDITOR)
        auditor.goto("/audit?entity_type=bridge_loan")
        shoot(auditor, "audit-log", full_page=False)  # the first screen: the whole log is long
        browser.close()


def main() -> None:
    if len(sys.argv) > 1:
        take(sys.argv[1].rstrip("/"))
        return
    with demo_server() as base:
        take(base)


if __name__ == "__main__":
    main()
