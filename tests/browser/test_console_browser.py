"""The staff console in a real browser (Chromium): the bridge-loan story by the four roles, with axe-core on every
page type and no request leaving the machine."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from bridgefund.finance.uscc import demo_uscc
from tests.browser_support import Offline, api, axe_violations, double_click_to_a_new_page, token, user_page
from tests.documents_support import PDF

ENTERPRISE = "浏览器测试精密科技有限公司"


def business_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def figure(page: Any, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text().strip()


def act(page: Any, action: str, **fields: str) -> None:
    """Fill an action's form on the loan page, ask for the confirmation, confirm (a double click: sent once)."""
    for name, value in fields.items():
        page.locator(f"#action-{action} [name='{name}']").fill(value)
    page.get_by_test_id(f"action-{action}").click()
    page.get_by_test_id(f"confirm-{action}").wait_for()


def confirm(page: Any, *, double: bool = False) -> None:
    if double:
        double_click_to_a_new_page(page, "confirm-button")
        return
    with page.expect_navigation():
        page.get_by_test_id("confirm-button").click()
    page.wait_for_load_state()


def test_the_bridge_loan_story_in_the_browser(browser, console_url) -> None:  # noqa: ANN001
    base = console_url
    offline = Offline()
    today = business_today().isoformat()
    axe: dict[str, list[dict[str, Any]]] = {}
    # Set-up: an enterprise without history (the demo's firms have theirs), registered by the officer's bank.
    uscc = demo_uscc(88_000_123)
    boc = token(base, "officer-boc-hn")
    api(base, "POST", "/enterprises", {"uscc": uscc, "name": ENTERPRISE, "size": "small", "in_zone": True}, boc)

    # The sign-in page itself.
    anon = browser.new_context(base_url=base, locale="zh-CN")
    offline.attach(anon)
    sign_in = anon.new_page()
    sign_in.goto("/sign-in")
    axe["sign-in"] = axe_violations(sign_in)
    anon.close()

    # 1. The officer submits an application.
    officer = user_page(browser, base, "officer-boc-hn", offline)
    axe["officer home"] = axe_violations(officer)
    submitted_before = int(figure(officer, "count-submitted"))
    officer.get_by_role("link", name="新建申请").first.click()
    officer.wait_for_url("**/bridge-loans/new")
    search = officer.get_by_label("按名称或统一社会信用代码搜索")
    search.fill(uscc[:17] + ("0" if uscc[17] != "0" else "1"))  # a wrong check character, caught as typed
    officer.get_by_test_id("uscc-problem").wait_for()
    search.fill(uscc)
    officer.get_by_test_id("uscc-ok").wait_for()
    officer.get_by_label(re.compile(ENTERPRISE)).check()
    officer.locator("[name='maturing_loan.contract_no']").fill("BOC-2026-0331")
    officer.locator("[name='maturing_loan.amount']").fill("6,000,000.00")
    officer.locator("[name='maturing_loan.due_date']").fill(today)
    officer.locator("[name='amount']").fill("５,６００,０００")  # full-width digits, as an IME types them
    officer.locator("[name='term_days']").fill("8")
    officer.get_by_test_id("fee-preview").wait_for()
    assert "资金使用费" in officer.get_by_test_id("fee-preview").inner_text()
    officer.locator("[name='renewal.amount']").fill("abc")  # a mistake: shown next to the field, nothing stored
    officer.get_by_role("button", name="提交申请").click()
    officer.locator("#renewal-amount-error").wait_for()
    axe["application form with errors"] = axe_violations(officer)
    officer.locator("[name='renewal.amount']").fill("6,000,000.00")
    officer.locator("[name='renewal.expected_date']").fill(today)
    assert officer.locator("[name='enterprise_id']:checked").count() == 1  # the chosen firm stays chosen
    officer.get_by_role("button", name="提交申请").click()
    officer.wait_for_url(re.compile(r".*/bridge-loans/\d+$"))
    loan_url = officer.url
    loan_id = int(loan_url.rsplit("/", 1)[1])
    assert "已提交" in officer.locator("h1").inner_text()
    assert figure(officer, "loan-amount").startswith("5,600,000.00")
    axe["loan detail"] = axe_violations(officer)
    # The papers an approval needs (the fund's required documents), uploaded on the loan's page.
    for n, kind in enumerate(("renewal_commitment", "application", "tripartite_agreement"), start=1):
        officer.locator("#upload-kind").select_option(kind)
        officer.locator("#upload-file").set_input_files(
            {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF})
        with officer.expect_navigation():
            officer.get_by_test_id("upload-button").click()
        officer.wait_for_load_state()
        assert officer.get_by_test_id("document").count() == n
    officer.goto("/")
    assert int(figure(officer, "count-submitted")) == submitted_before + 1

    # 2. A manager approves: above the dual-approval threshold, the loan waits for a second manager.
    li = user_page(browser, base, "manager-li", offline)
    axe["manager work queue"] = axe_violations(li)
    assert int(figure(li, "queue-first_approval")) >= 1
    li.goto("/dashboard")
    disbursed_before = int(figure(li, "fund-cumulative_disbursed_count"))
    axe["dashboard"] = axe_violations(li)
    li.goto(f"/bridge-loans/{loan_id}")
    act(li, "approve", comment="材料齐全，同意")
    assert figure(li, "exposure") == "0.00"  # the enterprise's exposure across banks, before approving
    axe["confirmation"] = axe_violations(li)
    confirm(li)
    assert figure(li, "approvals") == "1 / 2"

    # 3. A second manager gives the second approval.
    wang = user_page(browser, base, "manager-wang", offline)
    assert int(figure(wang, "queue-second_approval")) >= 1
    wang.goto(f"/bridge-loans/{loan_id}")
    act(wang, "approve")
    confirm(wang)
    assert "已审批" in wang.locator("h1").inner_text()

    # 4. A manager disburses; the dashboard's figure moves.
    li.goto(f"/bridge-loans/{loan_id}")
    act(li, "disburse", value_date=today)
    assert "5,600,000.00" in li.get_by_test_id("confirm-disburse").inner_text()
    confirm(li)
    assert "已放款" in li.locator("h1").inner_text()
    li.goto("/dashboard")
    assert int(figure(li, "fund-cumulative_disbursed_count")) == disbursed_before + 1

    # 5. The officer records the repayment: the split is shown before confirming; a double click books it once.
    officer.goto(loan_url)
    act(officer, "repay", amount="5,600,000.00", value_date=today, external_ref="BOC-RN-2026-1")
    assert figure(officer, "split-principal") == "5,600,000.00"
    confirm(officer, double=True)
    assert "已回款" in officer.locator("h1").inner_text()
    assert officer.get_by_test_id("repayment").count() == 1
    loan = api(base, "GET", f"/bridge-loans/{loan_id}", token=boc)
    assert loan["status"] == "repaid" and len(loan["repayments"]) == 1

    # 6. Another bank's officer cannot see the loan.
    stranger = user_page(browser, base, "officer-icbc-zzgx", offline)
    response = stranger.goto(f"/bridge-loans/{loan_id}")
    assert response.status == 404
    assert "未找到" in stranger.locator("h1").inner_text() and ENTERPRISE not in stranger.content()
    axe["not found"] = axe_violations(stranger)
    stranger.goto("/bridge-loans")
    assert ENTERPRISE not in stranger.content()
    axe["loan list"] = axe_violations(stranger)

    # 7. The officer's pool loans: the list, and a loan's schedule and repayment form.
    officer.goto("/pool-loans")
    axe["pool loans"] = axe_violations(officer)
    officer.locator("main table tbody a").first.click()
    officer.wait_for_load_state()
    assert officer.get_by_test_id("schedule").count() == 1
    axe["pool loan"] = axe_violations(officer)
    officer.goto(loan_url)

    # 8. The language switch turns the pages to English.
    officer.get_by_role("button", name="English").click()
    officer.wait_for_load_state()
    assert officer.locator("html").get_attribute("lang") == "en"
    assert "Repaid" in officer.locator("h1").inner_text()
    officer.goto("/")
    assert "My bank's applications by status" in officer.content()
    axe["home in English"] = axe_violations(officer)
    officer.goto("/password")
    axe["password"] = axe_violations(officer)

    found = {page: v for page, v in axe.items() if v}
    assert found == {}, "serious or critical accessibility violations:\n" + json.dumps(found, ensure_ascii=False,
                                                                                      indent=1)
    assert offline.escaped == [], "requests to other hosts"
    assert offline.page_errors == [], "script errors or Content-Security-Policy refusals in the pages"
