"""``format=xlsx`` on every list: the JSON list's rows (filters, order, bank scoping) as a sheet with Chinese headers.

The bytes are opened with openpyxl and read back: headers, exact money, dates as dates, no other bank's reference in
an officer's export, formula-like text escaped, the row limit answered with a 413 naming it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import select

from bridgefund import exports
from bridgefund.api import export
from bridgefund.models import Bank, BridgeLoan, Claim, PoolLoan
from tests.api_support import api_routes, assert_problem
from tests.demo_support import DEMO_TODAY, connection, demo_connection  # noqa: F401 (the demo once per module)

API = "/api/v1"
TABLE_OF = {"/bridge-loans": export.BRIDGE_LOANS, "/pool-loans": export.POOL_LOANS, "/claims": export.CLAIMS,
            "/banks": export.BANKS, "/enterprises": export.ENTERPRISES, "/users": export.USERS,
            "/fund/ledger": export.FUND_LEDGER, "/pool/ledger": export.POOL_LEDGER,
            "/audit-events": export.AUDIT_EVENTS, "/guarantors": export.GUARANTORS, "/periods": export.PERIODS,
            "/reports": export.REPORTS, "/notifications": export.NOTIFICATIONS,
            "/notification-deliveries": export.NOTIFICATION_DELIVERIES}


@pytest.fixture
def demo(db, settings):  # noqa: ANN001, ANN201
    """The demo's books (loaded once for the module: tests.demo_support), on the story's last day."""
    settings.today = DEMO_TODAY
    return db


def workbook(r: Any) -> openpyxl.Workbook:
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == export.XLSX
    return openpyxl.load_workbook(io.BytesIO(r.data))


def sheet(r: Any) -> list[tuple]:
    return [tuple(row) for row in workbook(r).active.iter_rows(values_only=True)]


def json_items(client: Any, path: str, headers: dict) -> list[dict]:
    """Every item of a JSON list, walked by page."""
    items: list[dict] = []
    sep = "&" if "?" in path else "?"
    page = 1
    while True:
        body = client.get(f"{API}{path}{sep}page_size=500&page={page}", headers=headers).get_json()
        items += body["items"]
        if len(body["items"]) < 500:
            return items
        page += 1


def test_every_list_endpoint_exports(app, client) -> None:  # noqa: ANN001
    """Every paginated list of the API takes format=xlsx, each with its own table, and documents it."""
    exporting = {path: export.export_table(view) for path, method, view in api_routes(app)
                 if method == "GET" and export.export_table(view) is not None}
    assert len(exporting) == 18 and len(export.TABLES) == 15  # the four records' document lists share one table
    assert {t.name for t in exporting.values()} == {t.name for t in export.TABLES}
    doc = client.get("/api/openapi.json").get_json()
    paged = {path for path, ops in doc["paths"].items()
             if "get" in ops and "Page" in str(ops["get"]["responses"].get("200", {}).get("content", {}).get(
                 "application/json"))}
    with_format = {path for path, ops in doc["paths"].items()
                   if any(p.get("name") == "format" for p in ops.get("get", {}).get("parameters", []))}
    assert paged == with_format == {p.replace("<int:", "{").replace(">", "}") for p in exporting}
    for path in paged:
        op = doc["paths"][path]["get"]
        assert export.XLSX in op["responses"]["200"]["content"]
        assert "100,000" in op["responses"]["413"]["description"]
        assert "format=xlsx" in op["description"]


def test_bridge_loans_xlsx_is_the_json_list(demo, factory, client) -> None:  # noqa: ANN001
    """The rows, their order and their figures are the JSON list's; money exact and `#,##0.00`; dates are dates."""
    admin = factory.as_role("admin")
    r = client.get(f"{API}/bridge-loans?format=xlsx&status=repaid", headers=admin)
    book = workbook(r)
    ws = book.active
    rows = [tuple(row) for row in ws.iter_rows(values_only=True)]
    items = json_items(client, "/bridge-loans?status=repaid", admin)
    assert len(items) > 3
    header, body = rows[0], rows[1:]
    assert header[:3] == ("业务编号", "状态", "企业名称")
    assert all(isinstance(h, str) and h for h in header)
    assert [r[0] for r in body] == [i["reference"] for i in items]
    col = {name: n for n, name in enumerate(header)}
    for row, item in zip(body, items, strict=True):
        assert row[col["状态"]] == "已结清"
        assert row[col["企业名称"]] == item["enterprise"]["name"]
        assert f"{row[col['转贷金额（元）']]:.2f}" == item["amount"]
        assert f"{row[col['已收资金使用费（元）']]:.2f}" == item["fee_paid"]
        assert row[col["放款日"]].date() == dt.date.fromisoformat(item["disbursed_on"])
        assert row[col["是否逾期"]] == "否"
    second = list(ws.iter_rows(min_row=2, max_row=2))[0]
    assert second[col["转贷金额（元）"]].number_format == "#,##0.00"
    assert second[col["放款日"]].number_format == "yyyy-mm-dd"
    assert second[col["放款日"]].is_date
    # exact: the sheet holds the decimal text itself, never a binary float's digits
    xml = zipfile.ZipFile(io.BytesIO(r.data)).read("xl/worksheets/sheet1.xml").decode()
    for item in items:
        assert f"<v>{item['amount']}</v>" in xml
    assert r.headers["X-Total-Count"] == str(len(items))
    assert r.headers["Cache-Control"] == "no-store"


def test_content_disposition_has_an_ascii_name_and_the_chinese_one(demo, factory, client) -> None:  # noqa: ANN001
    r = client.get(f"{API}/bridge-loans?format=xlsx", headers=factory.as_role("fund_manager"))
    cd = r.headers["Content-Disposition"]
    assert cd.isascii()
    assert cd.startswith('attachment; filename="bridge-loans-2020-12-31.xlsx"; filename*=UTF-8\'\'')
    assert unquote(cd.split("UTF-8''", 1)[1]) == "应急转贷台账-2020-12-31.xlsx"
    assert export.content_disposition('a"b\r\n/..\\c.xlsx', "x").startswith('attachment; filename="a_b___.._c.xlsx"')


@pytest.mark.parametrize(("path", "model"), [("/bridge-loans", BridgeLoan), ("/pool-loans", PoolLoan),
                                             ("/claims", Claim)])
def test_an_officers_export_holds_their_bank_only(demo, factory, client, path, model) -> None:  # noqa: ANN001
    """Bank scoping is the JSON list's: no other bank's reference anywhere in the sheet, and all of their own."""
    banks = demo.scalars(select(model.bank_id).distinct()).all()
    assert len(banks) >= 2, "the demo has records of several banks"
    mine = banks[0]
    officer = factory.as_role("bank_officer", demo.get(Bank, mine))
    rows = sheet(client.get(f"{API}{path}?format=xlsx", headers=officer))
    cells = {c for row in rows[1:] for c in row if isinstance(c, str)}
    own = set(demo.scalars(select(model.reference).where(model.bank_id == mine)).all())
    others = set(demo.scalars(select(model.reference).where(model.bank_id != mine)).all())
    assert own and others
    assert own <= cells
    assert not (others & cells)
    bank_col = rows[0].index("合作银行ID")
    assert {row[bank_col] for row in rows[1:]} == {mine}
    # an officer asking for another bank gets no rows, as in JSON
    rows = sheet(client.get(f"{API}{path}?format=xlsx&bank_id={banks[1]}", headers=officer))
    assert rows[1:] == []


def test_roles_that_may_not_list_may_not_export(demo, factory, client) -> None:  # noqa: ANN001
    bank = demo.scalars(select(Bank)).first()
    officer = factory.as_role("bank_officer", bank)
    for path in ("/fund/ledger", "/audit-events", "/users", "/pool/ledger"):
        assert_problem(client.get(f"{API}{path}?format=xlsx", headers=officer), 403)


def test_formula_like_text_is_escaped(db, factory, client) -> None:  # noqa: ANN001
    formulas = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-2+3", "@SUM(A1:A2)", "＝1+1"]
    plain = ["普通企业", "A&B <公司> \"甲\" 1+1=2"]
    for name in formulas + plain:
        factory.make_enterprise(name=name)
    book = workbook(client.get(f"{API}/enterprises?format=xlsx", headers=factory.as_role("auditor")))
    ws = book.active
    got = {}
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s"  # text, never a formula
        got[row[0].value.lstrip("'")] = row[0].value
    for name in formulas:
        assert got[name] == "'" + name
    for name in plain:  # as typed (XML specials included)
        assert got[name] == name


def test_every_list_exports_in_chunks_in_the_json_order(demo, factory, client, monkeypatch) -> None:  # noqa: ANN001
    """Small chunks walk keyset lists by after_id and the others by page: the rows are the JSON list's, once each."""
    monkeypatch.setattr(exports, "CHUNK", 7)
    admin = factory.as_role("admin")
    paths = {"/bridge-loans": "reference", "/pool-loans": "reference", "/claims": "reference", "/banks": "code",
             "/enterprises": "uscc", "/users": "username", "/fund/ledger": "id", "/pool/ledger": "id",
             "/audit-events": "id", "/guarantors": "name", "/periods": "period", "/reports": "id",
             "/notifications": "id", "/notification-deliveries": "id"}
    for path, key in paths.items():
        items = json_items(client, path, admin)
        rows = sheet(client.get(f"{API}{path}?format=xlsx", headers=admin))
        header = rows[0]
        label = next(c.label for c in TABLE_OF[path].columns if c.key == key)
        got = [row[header.index(label)] for row in rows[1:]]
        assert got == [i[key] for i in items], path
        assert len(got) == len(items)


def test_more_rows_than_the_limit_is_a_413_naming_it(demo, factory, client, monkeypatch) -> None:  # noqa: ANN001
    admin = factory.as_role("admin")
    total = client.get(f"{API}/bridge-loans?status=repaid", headers=admin).get_json()["total"]
    monkeypatch.setattr(exports, "CHUNK", 2)
    monkeypatch.setattr(exports, "MAX_ROWS", total)
    rows = sheet(client.get(f"{API}/bridge-loans?format=xlsx&status=repaid", headers=admin))
    assert len(rows) == total + 1  # exactly the limit: answered
    monkeypatch.setattr(exports, "MAX_ROWS", total - 1)
    r = client.get(f"{API}/bridge-loans?format=xlsx&status=repaid", headers=admin)
    body = assert_problem(r, 413, "query.format")
    assert body["max_rows"] == total - 1
    assert body["matching_rows"] == total
    assert f"at most {total - 1:,} rows" in body["detail"]


def test_bad_export_arguments_are_422(db, factory, client) -> None:  # noqa: ANN001
    admin = factory.as_role("admin")
    assert_problem(client.get(f"{API}/enterprises?format=csv", headers=admin), 422, "query.format")
    assert_problem(client.get(f"{API}/enterprises?format=xlsx&page=2", headers=admin), 422, "query.format")
    assert_problem(client.get(f"{API}/enterprises?format=xlsx&after_id=5", headers=admin), 422, "query.format")
    assert_problem(client.get(f"{API}/enterprises?format=xlsx&format=json", headers=admin), 422, "query.format")
    # page_size is irrelevant to an export (every row), total is too
    rows = sheet(client.get(f"{API}/enterprises?format=xlsx&page_size=1&total=exact", headers=admin))
    assert rows[0][0] == "企业名称"


def test_audit_events_export_before_and_after_as_text(demo, factory, client) -> None:  # noqa: ANN001
    auditor = factory.as_role("auditor")
    rows = sheet(client.get(f"{API}/audit-events?format=xlsx&entity_type=bridge_loan&action=disburse",
                            headers=auditor))
    header = rows[0]
    assert len(rows) > 1
    after = rows[1][header.index("变更后")]
    assert '"status": "disbursed"' in after
    at = rows[1][header.index("时间")]
    assert isinstance(at, dt.datetime) and at.tzinfo is None  # shown in the fund's timezone
