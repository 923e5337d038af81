"""The admin screens in a real browser (Chromium): the fee-tier table edited row by row and confirmed, a user
created with a one-time password, an enterprise registered with its check character verified as typed — with
axe-core on every new page type and no request leaving the machine.

The demo server is shared with the other browser tests: what this test changes it puts back (the fee tiers), or
it changes nothing another test reads (a new user, a new enterprise); capital and the calendar are only shown.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bridgefund.finance.uscc import demo_uscc
from tests.browser_support import Offline, api, axe_violations, double_click_to_a_new_page, token, user_page


def confirm(page: Any, lands_on: str) -> None:
    """A double click on the confirmation's button (the second request replays the first's answer: sent once),
    then the page the answer leads to."""
    double_click_to_a_new_page(page, "confirm-button")
    assert re.search(re.escape(lands_on) + r"$", page.url), page.url
    assert page.locator(".alert-success").count() >= 1


def test_the_admin_screens_in_the_browser(browser, console_url) -> None:  # noqa: ANN001
    base = console_url
    offline = Offline()
    axe: dict[str, list[dict[str, Any]]] = {}
    admin_token = token(base, "admin")
    tiers = api(base, "GET", "/fund/settings", token=admin_token)["fee_tiers"]
    admin = user_page(browser, base, "admin", offline)
    axe["admin home"] = axe_violations(admin)

    # The fee tiers as a table: add a row with the button, fill it, review the before/after, confirm.
    admin.get_by_role("link", name="基金设置与费率档位").first.click()
    admin.wait_for_load_state()
    rows = admin.get_by_test_id("tier-row")
    n = rows.count()
    assert n == len(tiers)
    axe["fund settings"] = axe_violations(admin)
    admin.get_by_test_id("add-tier").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("tier-row").count() == n + 1
    assert admin.evaluate("() => document.activeElement.name") == f"fee_tiers.{n}.from_day"  # keyboard: focus there
    admin.keyboard.type("300")
    admin.locator(f"[name='fee_tiers.{n}.daily_rate']").fill("0.0x")
    admin.locator(f"[name='fee_tiers.{n}.daily_rate']").press("Enter")  # Enter reviews (not "remove row 1")
    admin.wait_for_load_state()
    assert admin.locator(f"#fee_tiers-{n}-daily_rate-error").is_visible()
    assert admin.get_by_test_id("tier-row").count() == n + 1  # the typed row is kept
    axe["settings with errors"] = axe_violations(admin)
    admin.locator(f"[name='fee_tiers.{n}.daily_rate']").fill("0.0009")
    admin.get_by_test_id("review-settings").click()
    admin.wait_for_load_state()
    changes = admin.get_by_test_id("changes").inner_text()
    assert "0.0009" in changes
    axe["settings confirmation"] = axe_violations(admin)
    confirm(admin, "/admin/fund-settings")
    saved = api(base, "GET", "/fund/settings", token=admin_token)["fee_tiers"]
    assert saved == [*tiers, {"from_day": 300, "daily_rate": "0.0009"}]
    # …and the row removed again: the table round-trips to the tiers it started with.
    admin.get_by_test_id("remove-tier").nth(n).click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("tier-row").count() == n
    admin.get_by_test_id("review-settings").click()
    admin.wait_for_load_state()
    confirm(admin, "/admin/fund-settings")
    assert api(base, "GET", "/fund/settings", token=admin_token)["fee_tiers"] == tiers

    admin.goto("/admin/pool-settings")
    axe["pool settings"] = axe_violations(admin)

    # A user: created with a one-time password shown once, which signs in.
    admin.goto("/admin/users")
    axe["users"] = axe_violations(admin)
    admin.get_by_label("用户名").fill("officer-browser-new")
    admin.get_by_label("角色").last.select_option("bank_officer")
    admin.get_by_label("所属银行（仅银行客户经理）").select_option(index=1)
    admin.get_by_test_id("create-user").click()
    admin.wait_for_load_state()
    password = admin.get_by_test_id("one-time-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{16}", password)
    axe["one-time password"] = axe_violations(admin)
    assert api(base, "POST", "/auth/token", {"username": "officer-browser-new", "password": password})["token"]
    admin.get_by_role("link", name="完成").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("user-active").inner_text().strip() == "是"
    admin.get_by_test_id("action-deactivate").click()
    admin.wait_for_load_state()
    axe["user with a confirmation"] = axe_violations(admin)

    # Banks, a bank with its dated terms and the review of a quota change.
    admin.goto("/admin/banks")
    axe["banks"] = axe_violations(admin)
    admin.get_by_test_id("banks").get_by_role("link").first.click()
    admin.wait_for_load_state()
    axe["bank"] = axe_violations(admin)
    admin.get_by_test_id("review-bank").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("no-changes").is_visible()
    admin.goto("/admin/guarantors")
    axe["guarantors"] = axe_violations(admin)

    # An enterprise: the check character verified as it is typed, then registered and opened.
    code = demo_uscc(66_000_321)
    admin.goto("/enterprises")
    field = admin.get_by_label("统一社会信用代码（18 位）")
    field.press_sequentially(code[:-1] + ("0" if code[-1] != "0" else "1"))
    admin.get_by_test_id("uscc-problem").wait_for()
    field.fill("")
    field.press_sequentially(code)
    admin.get_by_test_id("uscc-ok").wait_for()
    admin.locator("#f-name").fill("浏览器管理测试科技有限公司")
    admin.get_by_label("规模").select_option("small")
    axe["enterprises"] = axe_violations(admin)
    admin.get_by_test_id("create-enterprise").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("uscc").inner_text().strip() == code
    axe["enterprise"] = axe_violations(admin)

    # Capital: the confirmation with the amounts (not sent: the other browser tests read the fund's cash).
    admin.goto("/admin/capital")
    admin.get_by_label("金额（元）").fill("1,000.00")
    admin.get_by_test_id("review-capital").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("confirm-amount").inner_text().strip() == "1,000.00"
    axe["capital confirmation"] = axe_violations(admin)

    # The calendar: a month grid; the admin opens a day's editor (not saved: due dates would move).
    admin.goto("/admin/calendar?month=2020-10")
    assert admin.get_by_test_id("day-2020-10-01").get_attribute("data-kind") == "holiday"
    admin.get_by_test_id("day-2020-10-10").get_by_role("link").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("day-editor").is_visible()
    axe["calendar"] = axe_violations(admin)

    found = {page: v for page, v in axe.items() if v}
    assert found == {}, "serious or critical accessibility violations:\n" + json.dumps(found, ensure_ascii=False,
                                                                                      indent=1)
    assert offline.escaped == [], "requests to other hosts"
    assert offline.page_errors == [], "script errors or Content-Security-Policy refusals in the pages"
