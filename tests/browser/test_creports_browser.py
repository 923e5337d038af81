"""Reports, month close and the bell in a real browser (Chromium): the monthly report is generated through the
queue — the page shows the job's progress, then the download link — and downloads; an officer downloads their
bank's statement; the bell shows the reminders raised by the 08:30 run and marks one read; axe-core on each new page
type; no request leaves the machine."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.browser.conftest import CLI, ROOT
from tests.browser_support import DEMO, Offline, api, axe_violations, token, user_page


def raise_reminders(env: dict[str, str]) -> str:
    """Run the reminders of the latest working day (the command line, as the 08:30 schedule does); its date."""
    day = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    for _ in range(15):
        done = subprocess.run([*CLI, "jobs", "run", "reminders", "--date", day.isoformat()], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        result = json.loads(lines[-1]) if lines else {}
        if result.get("status") == "succeeded" and (result.get("result") or {}).get("reminders"):
            return day.isoformat()
        day -= dt.timedelta(days=1)  # a day off: the run before it
    raise AssertionError("no working day of the last two weeks raised a reminder")


def next_month(period: str) -> str:
    year, month = (int(x) for x in period.split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def test_reports_month_close_and_the_bell(browser, console_url, console_env) -> None:  # noqa: ANN001
    base = console_url
    offline = Offline()
    axe: dict[str, list[dict[str, Any]]] = {}
    business_date = raise_reminders(console_env)

    # The bell: the manager's unread reminders; the menu lists them; one is marked read, the count drops.
    li = user_page(browser, base, "manager-li", offline)
    unread = int(li.get_by_test_id("bell-count").inner_text())
    assert unread > 0
    li.get_by_test_id("bell").click()
    li.get_by_test_id("bell-menu").wait_for()
    assert li.get_by_test_id("bell-item").count() > 0
    assert business_date in li.get_by_test_id("bell-menu").inner_text()
    axe["bell menu"] = axe_violations(li)
    li.get_by_test_id("bell-mark-read").first.click()
    li.wait_for_function(f"() => document.getElementById('bell-count').textContent.trim() === '{unread - 1}'")
    assert api(base, "GET", "/notifications/unread-count", token=token(base, "manager-li")) == {"unread": unread - 1}
    subject = li.get_by_test_id("bell-item").first.locator("a").get_attribute("href")
    assert subject.startswith("/") and not subject.startswith("/console")
    li.goto(subject)
    assert li.get_by_test_id("error").count() == 0, subject  # the subject's page in the console
    li.goto("/notifications")
    axe["notifications"] = axe_violations(li)
    li.goto("/me/notification-settings")
    axe["notification settings"] = axe_violations(li)

    # The monthly report: queued, its progress shown, then the download.
    li.goto("/reports")
    axe["reports"] = axe_violations(li)
    li.locator("#gen-period").fill("2020-03")
    li.locator("#gen-lang").select_option("en")
    key = li.locator("#generate-key").get_attribute("value")
    li.get_by_test_id("generate").click()
    li.get_by_test_id("job").wait_for()
    assert li.locator("#job-area progress").count() == 1 and li.locator("#job-area main").count() == 0
    li.wait_for_function(f"() => document.getElementById('generate-key').value !== '{key}'")  # the next: a new job
    li.get_by_test_id("download").wait_for(timeout=180_000)  # the polling swapped the finished job in
    assert li.get_by_test_id("job").get_attribute("data-status") == "succeeded"
    axe["reports with a finished job"] = axe_violations(li)
    with li.expect_download() as info:
        li.get_by_test_id("download").click()
    download = info.value
    assert download.suggested_filename.startswith("monthly-2020-03-en-v")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    li.goto("/reports?period=2020-03&lang=en")
    assert li.get_by_test_id("reports").locator("tbody tr").count() >= 1

    # Month close: the confirmation names what becomes immutable (not confirmed here: the demo stays open).
    admin = user_page(browser, base, "admin", offline)
    admin.goto("/periods")
    axe["periods"] = axe_violations(admin)
    closed = api(base, "GET", "/periods", token=token(base, "admin"))["items"]
    period = next_month(closed[0]["period"]) if closed else "2020-01"
    admin.locator("#close-period").fill(period)
    admin.get_by_test_id("close").click()
    admin.get_by_test_id("confirm-close").wait_for()
    assert period in admin.get_by_test_id("immutable").inner_text()
    axe["close confirmation"] = axe_violations(admin)

    # An officer: their bank's statement only.
    officer = user_page(browser, base, "officer-boc-hn", offline)
    officer.get_by_role("link", name="对账单").click()
    officer.get_by_test_id("statement-form").wait_for()
    assert officer.locator("#st-bank option").count() == 1
    axe["statements"] = axe_violations(officer)
    officer.locator("#st-period").fill("2020-03")
    with officer.expect_download() as info:
        officer.get_by_test_id("statement-download").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    assert officer.goto(base + "/reports").status == 403

    found = {page: v for page, v in axe.items() if v}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    assert offline.escaped == [], offline.escaped
    assert offline.page_errors == [], offline.page_errors
    assert set(DEMO) >= {"manager-li", "admin", "officer-boc-hn"}
