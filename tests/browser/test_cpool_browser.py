"""The console's pool import in a real browser (Chromium): a file with one bad row shows that row's error in place
and stores nothing; the corrected file imports once. axe-core on the new page types; no request leaves the
machine. Then a paper uploaded on an imported loan's page (its documents section), listed as version 1, and a
refused file shown beside the field."""

from __future__ import annotations

import json
from typing import Any

from bridgefund.finance.uscc import demo_uscc
from tests.browser_support import Offline, api, axe_violations, double_click_to_a_new_page, token, user_page
from tests.documents_support import PDF

HEADER = "enterprise_uscc,contract_no,principal,annual_rate,start_date,term_months,repayment_method\n"


def _upload(page: Any, path: Any) -> None:
    page.goto("/pool-loans/import")
    page.get_by_label("文件（CSV 或 XLSX）").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_test_id("upload").click()
    page.get_by_test_id("import-status").wait_for()


def test_a_pool_import_with_one_bad_row_shows_that_rows_error_and_stores_nothing(browser, console_url,
                                                                                   tmp_path) -> None:  # noqa: ANN001
    base = console_url
    offline = Offline()
    axe: dict[str, list[dict[str, Any]]] = {}
    boc = token(base, "officer-boc-hn")
    uscc = demo_uscc(88_000_777)
    api(base, "POST", "/enterprises", {"uscc": uscc, "name": "导入测试科技有限公司", "size": "small",
                                       "in_zone": True}, boc)
    before = api(base, "GET", "/pool-loans?page_size=1", None, boc)["total"]
    start = "2020-06-01"  # the demo's banks are open then (later, their NPL ratios suspend them)
    good = [f"{uscc},BRW-IMP-{i},500000.00,0.0435,{start},12,equal_principal" for i in (1, 2)]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + good[0] + "\n" + f"{uscc},BRW-IMP-X,abc,0.0435,{start},12,bullet\n")
    ok = tmp_path / "good.csv"
    ok.write_text(HEADER + "\n".join(good) + "\n")

    officer = user_page(browser, base, "officer-boc-hn", offline)
    officer.goto("/pool-loans/import")
    axe["import form"] = axe_violations(officer)
    _upload(officer, bad)
    officer.get_by_test_id("preview-invalid").wait_for()
    rows = officer.get_by_test_id("bad-row")
    assert rows.count() == 1
    assert "3" in rows.first.locator("th").inner_text() and "principal" in rows.first.inner_text()
    assert officer.get_by_test_id("confirm-import").count() == 0
    axe["import preview with errors"] = axe_violations(officer)
    assert api(base, "GET", "/pool-loans?page_size=1", None, boc)["total"] == before  # nothing stored

    _upload(officer, ok)
    officer.get_by_test_id("confirm-import").wait_for()
    axe["import preview"] = axe_violations(officer)
    assert api(base, "GET", "/pool-loans?page_size=1", None, boc)["total"] == before
    double_click_to_a_new_page(officer, "confirm-import")  # a double click imports once
    officer.get_by_test_id("import-done").wait_for()
    axe["import done"] = axe_violations(officer)
    assert api(base, "GET", "/pool-loans?page_size=1", None, boc)["total"] == before + 2

    # A paper on an imported loan's page: listed as version 1 with its download; a text file is refused in place.
    loan = api(base, "GET", "/pool-loans?page_size=1", None, boc)["items"][0]
    officer.goto(f"/pool-loans/{loan['id']}")
    officer.locator("#upload-kind").select_option("other")
    officer.locator("#upload-file").set_input_files({"name": "担保合同.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF})
    with officer.expect_navigation():
        officer.get_by_test_id("upload-button").click()
    officer.wait_for_load_state()
    row = officer.get_by_test_id("document")
    assert row.count() == 1 and row.first.get_attribute("data-version") == "1" and "担保合同" in row.first.inner_text()
    axe["pool loan with a document"] = axe_violations(officer)
    officer.locator("#upload-file").set_input_files({"name": "fake.pdf", "mimeType": "application/pdf",
                                                     "buffer": b"not a pdf"})
    with officer.expect_navigation():
        officer.get_by_test_id("upload-button").click()
    officer.locator("#file-error").wait_for()
    assert officer.get_by_test_id("document").count() == 1
    axe["pool loan with a refused upload"] = axe_violations(officer)
    assert offline.escaped == [], "requests to other hosts"
    assert offline.page_errors == [], "script errors or Content-Security-Policy refusals in the pages"
    found = {k: v for k, v in axe.items() if v}
    assert found == {}, "serious or critical accessibility violations:\n" + json.dumps(found, ensure_ascii=False,
                                                                                        indent=1)
