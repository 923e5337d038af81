"""The audit log and Export to Excel in a real browser (Chromium): an admin changes an enterprise through the
API, the auditor finds the change by its filters (kept in the URL), reads the before/after diff, follows the
keyboard-only way to the filter form, and downloads the filtered sheet; axe-core on the audit log and the lists
with their export buttons."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl

from tests.browser_support import Offline, api, axe_violations, token, user_page


def test_the_audit_log_and_the_export_in_the_browser(browser, console_url) -> None:  # noqa: ANN001
    base = console_url
    offline = Offline()
    axe: dict[str, list[dict[str, Any]]] = {}
    admin = token(base, "admin")
    enterprise = api(base, "GET", "/enterprises?page_size=1", token=admin)["items"][0]
    api(base, "PATCH", f"/enterprises/{enterprise['id']}", {"industry": "审计测试 <b>行业</b>"}, admin)

    auditor = user_page(browser, base, "auditor", offline)
    auditor.get_by_role("link", name="审计日志").first.click()
    auditor.wait_for_url("**/audit")
    axe["audit log"] = axe_violations(auditor)

    # Keyboard only: the filters are labelled fields, submitted with Enter.
    auditor.get_by_label("对象类型").fill("enterprise")
    auditor.get_by_label("对象ID").fill(str(enterprise["id"]))
    auditor.get_by_label("操作", exact=True).fill("update")
    auditor.get_by_label("操作", exact=True).press("Enter")
    auditor.wait_for_url(lambda url: "action=update" in url)  # the filters are in the URL
    assert f"entity_id={enterprise['id']}" in auditor.url and "entity_type=enterprise" in auditor.url
    events = auditor.get_by_test_id("audit-event")
    assert events.count() == 1
    changed = auditor.get_by_test_id("changed-field")
    assert changed.count() == 1
    assert "industry" in changed.inner_text() and "审计测试 <b>行业</b>" in changed.locator("ins").inner_text()
    axe["audit log filtered, with a diff"] = axe_violations(auditor)

    with auditor.expect_download() as download:
        auditor.get_by_test_id("export-xlsx").click()
    path = download.value.path()
    sheet = [tuple(r) for r in openpyxl.load_workbook(io.BytesIO(open(path, "rb").read())).active.iter_rows(
        values_only=True)]
    assert sheet[0][0] == "时间" and len(sheet) == 2 and "审计测试" in sheet[1][7]
    assert download.value.suggested_filename.startswith("审计日志-")

    manager = user_page(browser, base, "manager-li", offline)
    manager.goto("/bridge-loans?status=repaid")
    axe["bridge list with its export"] = axe_violations(manager)
    with manager.expect_download() as download:
        manager.get_by_test_id("export-xlsx").click()
    sheet = [tuple(r) for r in openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
             .active.iter_rows(values_only=True)]
    assert sheet[0][:2] == ("业务编号", "状态") and len(sheet) > 1 and {r[1] for r in sheet[1:]} == {"已结清"}

    found = {page: v for page, v in axe.items() if v}
    assert found == {}, "serious or critical accessibility violations:\n" + json.dumps(found, ensure_ascii=False,
                                                                                      indent=1)
    assert offline.escaped == [], "requests to other hosts"
    assert offline.page_errors == [], "script errors or Content-Security-Policy refusals in the pages"
