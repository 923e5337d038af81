""""Export to Excel" on the console's other lists — claims, enterprises, users, banks, guarantors, notifications,
archived reports and closed months: each list's sheet is the API's ``format=xlsx`` sheet for the same filters (the
same table, rows and Chinese headers), scoped like the list (an officer: their bank's claims only), offered by a
button carrying the list's filters."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest

from bridgefund import exports
from bridgefund.services import notifications
from bridgefund.services.actor import SYSTEM
from tests.bridge_support import World
from tests.console_support import signed_in
from tests.pool_support import PoolWorld

API = "/api/v1"


def rows(r: Any) -> list[tuple]:
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == exports.XLSX
    return [tuple(row) for row in openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)]


def same_sheet(browser: Any, console: str, client: Any, api: str, headers: dict) -> list[tuple]:
    """The console's sheet, asserted equal to the API's for the same query; returned."""
    mine = rows(browser.client.get(console))
    assert mine == rows(client.get(f"{API}{api}", headers=headers)), console
    return mine


def button(html: str) -> str:
    """The export button's address on a list page (HTML-unescaped)."""
    found = re.search(r'href="([^"]*format=xlsx[^"]*)"[^>]*data-testid="export-xlsx"', html)
    assert found, "no export button"
    return found.group(1).replace("&amp;", "&")


def test_claims_export_is_the_apis_and_an_officer_gets_their_banks_only(app, client, factory, settings) -> None:  # noqa: ANN001
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory)
    _loan, mine = w.default_and_claim()
    theirs_loan = w.loan(headers=w.other_officer)
    r = w.post(f"/pool-loans/{theirs_loan['id']}/claims", {"claimed_on": "2020-06-01"}, w.other_officer)
    assert r.status_code == 201, r.get_json()
    theirs = r.get_json()

    officer = signed_in(app, w.officer_user)
    sheet = same_sheet(officer, "/claims?format=xlsx", client, "/claims?format=xlsx", w.officer)
    refs = {row[0] for row in sheet[1:]}
    assert refs == {mine["reference"]} and theirs["reference"] not in refs
    assert sheet[0] == tuple(c.label for c in exports.CLAIMS.columns)  # the Chinese headers
    # another bank's id as a filter: still nothing of theirs
    filtered = rows(officer.client.get(f"/claims?format=xlsx&bank_id={w.other_bank.id}"))
    assert theirs["reference"] not in {row[0] for row in filtered}
    assert button(officer.text("/claims")) == "/claims?format=xlsx"

    manager = signed_in(app, factory.make_user("fund_manager"))
    everything = same_sheet(manager, "/claims?format=xlsx", client, "/claims?format=xlsx", w.manager)
    assert {row[0] for row in everything[1:]} == {mine["reference"], theirs["reference"]}
    for query in ("status=filed", "status=paid", f"bank_id={w.other_bank.id}"):
        same_sheet(manager, f"/claims?format=xlsx&{query}", client, f"/claims?format=xlsx&{query}", w.manager)
    assert button(manager.text("/claims?status=filed")) == "/claims?format=xlsx&status=filed"
    assert manager.get("/claims?format=xlsx&status=nonsense").status_code == 422  # refused like the list


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-04-15"
    w = World(client, factory)
    assert w.capital("10000000.00").status_code == 201
    return w


def test_registers_exports_are_the_apis(app, world, factory) -> None:  # noqa: ANN001
    client = world.client
    admin_user = factory.make_user("admin")
    admin, admin_h = signed_in(app, admin_user), factory.headers(admin_user)
    factory.make_enterprise()
    # users: every user, and by role
    same_sheet(admin, "/admin/users?format=xlsx", client, "/users?format=xlsx", admin_h)
    officers = same_sheet(admin, "/admin/users?format=xlsx&role=bank_officer", client,
                          "/users?format=xlsx&role=bank_officer", admin_h)
    assert len(officers) == 2 and world.officer_user.username in officers[1]
    assert button(admin.text("/admin/users?role=bank_officer")) == "/admin/users?format=xlsx&role=bank_officer"
    assert admin.get("/admin/users?format=xlsx&role=king").status_code == 422
    # banks, on a date
    same_sheet(admin, "/admin/banks?format=xlsx", client, "/banks?format=xlsx", admin_h)
    same_sheet(admin, "/admin/banks?format=xlsx&as_of=2020-03-01", client, "/banks?format=xlsx&as_of=2020-03-01",
               admin_h)
    assert button(admin.text("/admin/banks?as_of=2020-03-01")) == "/admin/banks?format=xlsx&as_of=2020-03-01"
    # guarantors
    assert client.post(f"{API}/guarantors", json={"name": "=HYPERLINK(1)", "guarantee_share": "0.2"},
                       headers=admin_h).status_code == 201
    sheet = same_sheet(admin, "/admin/guarantors?format=xlsx", client, "/guarantors?format=xlsx", admin_h)
    assert "'=HYPERLINK(1)" in sheet[1]  # text, never a formula
    assert button(admin.text("/admin/guarantors")) == "/admin/guarantors?format=xlsx"
    # enterprises, by a search
    manager = signed_in(app, world.li_user)
    same_sheet(manager, "/enterprises?format=xlsx", client, "/enterprises?format=xlsx", world.li)
    q = world.enterprise.name[:4]
    found = same_sheet(manager, f"/enterprises?format=xlsx&q={q}", client, f"/enterprises?format=xlsx&q={q}",
                       world.li)
    assert len(found) >= 2
    assert button(manager.text(f"/enterprises?q={q}")).startswith("/enterprises?format=xlsx&q=")


def test_an_officers_banks_export_is_their_bank(app, world, factory) -> None:  # noqa: ANN001
    factory.make_bank()
    officer = signed_in(app, world.officer_user)
    sheet = same_sheet(officer, "/admin/banks?format=xlsx", world.client, "/banks?format=xlsx", world.officer)
    assert len(sheet) == 2 and world.bank.code in sheet[1]


def test_in_english_the_registers_sheet_has_english_headers(app, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    zh = rows(admin.client.get("/admin/users?format=xlsx"))
    assert admin.post("/language", {"lang": "en"}).status_code in (302, 303)
    en = rows(admin.client.get("/admin/users?format=xlsx"))
    assert en[0] != zh[0] and all(re.fullmatch(r"[ -~]+", h) for h in en[0])
    assert len(en) == len(zh)


def overdue(db, world: World, loan_id: int, day: dt.date, *to) -> None:  # noqa: ANN001, ANN002
    notifications.raise_event(
        db, SYSTEM, "bridge_overdue", subject_type="bridge_loan", subject_id=loan_id, business_date=day,
        params={"reference": "BL-1", "days_overdue": 3, "bank": "银行", "enterprise": "企业",
                "due_date": "2020-03-01", "amount": "1.00"},
        link=f"/bridge-loans/{loan_id}", to=list(to), bank_id=world.bank.id)
    db.commit()


def test_notifications_export_is_ones_own(app, db, world) -> None:  # noqa: ANN001
    loan = world.submit()
    for n in (1, 2, 3):
        overdue(db, world, loan["id"], dt.date(2020, 3, n), world.officer_user)
    overdue(db, world, loan["id"], dt.date(2020, 3, 4), world.li_user)
    officer = signed_in(app, world.officer_user)
    first = officer.text("/notifications?unread=true")
    note_id = re.search(r'data-testid="mark-read-(\d+)"', first).group(1)
    assert officer.post(f"/notifications/{note_id}/read").status_code in (200, 303)
    sheet = same_sheet(officer, "/notifications?format=xlsx", world.client, "/notifications?format=xlsx",
                       world.officer)
    assert len(sheet) == 4  # the officer's three, not the manager's
    unread = same_sheet(officer, "/notifications?format=xlsx&unread=true", world.client,
                        "/notifications?format=xlsx&unread=true", world.officer)
    assert len(unread) == 3
    assert button(officer.text("/notifications?unread=true")) == "/notifications?format=xlsx&unread=true"


def test_reports_and_periods_exports_are_the_apis(app, world, factory) -> None:  # noqa: ANN001
    client = world.client
    world.disbursed("1000000.00", 10, value_date="2020-02-10")
    admin_user = factory.make_user("admin")
    admin_h = factory.headers(admin_user)
    for lang in ("zh", "en"):
        r = client.post(f"{API}/reports/monthly", json={"period": "2020-03", "lang": lang}, headers=world.li)
        assert r.status_code in (200, 201, 202), r.get_json()
    manager = signed_in(app, world.li_user)
    allr = same_sheet(manager, "/reports?format=xlsx", client, "/reports?format=xlsx", world.li)
    assert len(allr) == 3
    en = same_sheet(manager, "/reports?format=xlsx&lang=en&period=2020-03", client,
                    "/reports?format=xlsx&lang=en&period=2020-03", world.li)
    assert len(en) == 2
    assert button(manager.text("/reports?lang=en")) == "/reports?format=xlsx&lang=en"
    assert manager.get("/reports?format=xlsx&period=March").status_code == 422

    assert client.post(f"{API}/periods/2020-02/close", headers=admin_h).status_code == 201
    admin = signed_in(app, admin_user)
    closed = same_sheet(admin, "/periods?format=xlsx", client, "/periods?format=xlsx", admin_h)
    assert len(closed) >= 2 and "2020-02" in closed[1]
    assert button(admin.text("/periods")) == "/periods?format=xlsx"


def test_the_closed_months_page_by_number_like_the_api(app, world, factory, monkeypatch) -> None:  # noqa: ANN001
    from bridgefund.console import reports as console_reports

    monkeypatch.setattr(console_reports, "PERIODS_PAGE", 1)
    admin_user = factory.make_user("admin")
    admin_h = factory.headers(admin_user)
    for period in ("2020-01", "2020-02"):
        assert world.client.post(f"{API}/periods/{period}/close", headers=admin_h).status_code == 201
    api = world.client.get(f"{API}/periods?page=2&page_size=1", headers=admin_h).get_json()
    assert api["total"] == 2
    admin = signed_in(app, admin_user)
    first = admin.text("/periods")
    assert re.findall(r"<tr><td>(\d{4}-\d{2})</td>", first) == ["2020-02"] and 'href="/periods?page=2"' in first
    second = admin.text("/periods?page=2")
    assert re.findall(r"<tr><td>(\d{4}-\d{2})</td>", second) == [p["period"] for p in api["items"]] == ["2020-01"]
    assert 'href="/periods?page=3"' not in second
    assert admin.get("/periods?page=x").status_code == 200  # an unreadable page number: the first page


def test_the_ledgers_list_and_export_like_the_api(app, world, factory) -> None:  # noqa: ANN001
    loan = world.disbursed("1000000.00", 10, value_date="2020-02-10")
    assert world.repay(loan["id"], "1003000.00", "2020-02-20", "R1").status_code == 201
    manager = signed_in(app, world.li_user)
    html = manager.text("/fund/ledger")
    assert html.count('data-testid="ledger-entry"') == len(
        world.client.get(f"{API}/fund/ledger", headers=world.li).get_json()["items"]) >= 4
    for query in ("", "kind=fee", "from=2020-02-15&to=2020-02-28", f"bridge_loan_id={loan['id']}"):
        same_sheet(manager, f"/fund/ledger?format=xlsx&{query}", world.client, f"/fund/ledger?format=xlsx&{query}",
                   world.li)
    fees = manager.text("/fund/ledger?kind=fee")
    assert fees.count('data-testid="ledger-entry"') == 1 and "3,000.00" in fees
    assert button(fees) == "/fund/ledger?format=xlsx&kind=fee"
    r = manager.get("/fund/ledger?from=2020-03-01&to=2020-02-01")
    assert r.status_code == 422
    assert manager.get("/fund/ledger?kind=nonsense&format=xlsx").status_code == 422
    same_sheet(manager, "/pool/ledger?format=xlsx", world.client, "/pool/ledger?format=xlsx", world.li)
    assert 'data-testid="ledger"' in manager.text("/pool/ledger")
    assert signed_in(app, world.officer_user).get("/fund/ledger").status_code == 403
    assert signed_in(app, world.officer_user).get("/pool/ledger?format=xlsx").status_code == 403


def test_the_outbox_lists_and_exports_like_the_api(app, db, world, factory) -> None:  # noqa: ANN001
    r = world.client.put(f"{API}/me/notification-settings", headers=world.officer, json={
        "email": "zhao@bank.example.cn", "channels": {"in_app": True, "email": True, "wecom": False}})
    assert r.status_code == 200, r.get_json()
    loan = world.submit()
    overdue(db, world, loan["id"], dt.date(2020, 3, 2), world.officer_user)
    admin_user = factory.make_user("admin")
    admin, admin_h = signed_in(app, admin_user), factory.headers(admin_user)
    html = admin.text("/admin/deliveries?status=pending")
    api = world.client.get(f"{API}/notification-deliveries?status=pending", headers=admin_h).get_json()
    assert html.count('data-testid="delivery"') == len(api["items"]) >= 1
    assert "zhao@bank.example.cn" not in html  # the address stays inside, as in the API
    for query in ("", "status=pending", "status=sent"):
        same_sheet(admin, f"/admin/deliveries?format=xlsx&{query}", world.client,
                   f"/notification-deliveries?format=xlsx&{query}", admin_h)
    assert button(html) == "/admin/deliveries?format=xlsx&status=pending"
    r = admin.get("/admin/deliveries?status=lost")
    assert r.status_code == 422 and 'id="status-error"' in r.get_data(as_text=True)
    assert signed_in(app, world.li_user).get("/admin/deliveries").status_code == 403
