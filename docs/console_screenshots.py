"""Take the console's screenshots in docs/ (console-*.png) from a running demo server.

    make run    # in another terminal (or any server with the demo loaded)
    .venv/bin/python docs/console_screenshots.py http://127.0.0.1:5000

Debian's Chromium through Playwright, 1280 px wide, in Chinese; nothing is changed on the server except one
application the officer submits (so that the detail and the work queue show a loan under review).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def sign_in(browser, base: str, user: str, password: str):  # noqa: ANN001, ANN201
    page = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    page.goto("/sign-in")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    return page


def main(base: str) -> None:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        officer = sign_in(browser, base, "officer-boc-hn", "Bank-2020-Renew")
        officer.screenshot(path=DOCS / "console-home-officer.png", full_page=True)
        officer.goto("/bridge-loans/new")
        officer.get_by_label("按名称或统一社会信用代码搜索").fill("科技")
        officer.locator("[name='enterprise_id']").first.check()
        for name, value in (("maturing_loan.contract_no", "BOC-2026-0101"), ("maturing_loan.amount", "3,000,000.00"),
                            ("maturing_loan.due_date", today), ("amount", "2,800,000.00"), ("term_days", "8"),
                            ("renewal.amount", "3,000,000.00"), ("renewal.expected_date", today)):
            officer.locator(f"[name='{name}']").fill(value)
        officer.get_by_test_id("fee-preview").wait_for()
        officer.screenshot(path=DOCS / "console-application.png", full_page=True)
        officer.get_by_role("button", name="提交申请").click()
        officer.wait_for_url("**/bridge-loans/*")
        loan_url = officer.url
        manager = sign_in(browser, base, "manager-li", "Approve-2020-Fund")
        manager.screenshot(path=DOCS / "console-work-queue.png", full_page=True)
        manager.goto(loan_url)
        manager.get_by_test_id("action-approve").click()
        manager.get_by_test_id("confirm-approve").wait_for()
        manager.screenshot(path=DOCS / "console-loan-detail.png", full_page=True)
        manager.goto("/dashboard?as_of=2020-03-31")
        manager.screenshot(path=DOCS / "console-dashboard.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
