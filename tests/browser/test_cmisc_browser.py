"""The pages added to close issue 13's gaps, in a real browser (Chromium): a user's role change up to its
confirmation (before → after; not sent: the demo server is shared), the fund's and the pool's ledgers, the
notification outbox, the dashboard's cash forecast loaded as a fragment, the bridge-loan list's enterprise search
and its Excel export link — axe-core on each page type and no request leaving the machine. Nothing is changed."""

from __future__ import annotations

import json
from typing import Any

from tests.browser_support import Offline, api, axe_violations, token, user_page


def test_the_new_console_pages_in_the_browser(browser, console_url) -> None:  # noqa: ANN001
    base = console_url
    offline = Offline()
    axe: dict[str, list[dict[str, Any]]] = {}
    officers = api(base, "GET", "/users?role=bank_officer", token=token(base, "admin"))["items"]
    admin = user_page(browser, base, "admin", offline)

    admin.goto(f"/admin/users/{officers[0]['id']}")
    admin.get_by_label("角色").first.select_option("auditor")
    admin.get_by_label("所属银行（仅银行客户经理）").select_option("")
    admin.get_by_test_id("action-role").click()
    admin.wait_for_load_state()
    assert admin.get_by_test_id("confirm-role").is_visible()
    assert "审计" in admin.get_by_test_id("role-after").inner_text()
    axe["role confirmation"] = axe_violations(admin)

    for path, testid, name in (("/fund/ledger", "ledger", "fund ledger"), ("/pool/ledger", "ledger", "pool ledger"),
                               ("/admin/deliveries", "delivery-filters", "outbox"), ("/claims", "claims", "claims")):
        admin.goto(path)
        assert admin.get_by_test_id(testid).is_visible(), path
        assert admin.get_by_test_id("export-xlsx").count() == 1, path
        axe[name] = axe_violations(admin)

    manager = user_page(browser, base, "manager-li", offline)
    manager.goto("/dashboard")
    manager.get_by_test_id("forecast").wait_for()  # the fragment the dashboard loads after its own figures
    assert manager.get_by_test_id("forecast-chart").is_visible()
    axe["dashboard with forecast"] = axe_violations(manager)
    manager.goto("/bridge-loans")
    manager.get_by_label("企业：名称或信用代码").fill("郑州")
    manager.locator("#flt-enterprise-options fieldset").wait_for()  # the enterprises found, as typed
    axe["bridge list with search"] = axe_violations(manager)

    found = {page: v for page, v in axe.items() if v}
    assert found == {}, "serious or critical accessibility violations:\n" + json.dumps(found, ensure_ascii=False,
                                                                                      indent=1)
    assert offline.escaped == [], "requests to other hosts"
    assert offline.page_errors == [], "script errors or Content-Security-Policy refusals in the pages"
