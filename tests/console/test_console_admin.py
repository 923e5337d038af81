"""The console's admin screens (issue 13): fund and pool settings (the fee tiers as a table), users, banks and
quotas, guarantors, enterprises, capital and the working-day calendar — each on the API's schemas and services,
confirmed before it changes anything, sent once, refused in place."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bridgefund.finance.uscc import demo_uscc
from bridgefund.models import ApiToken, AuditEvent, Enterprise, FundLedgerEntry, Guarantor, User
from bridgefund.web import view_permission
from tests.admin_support import ADMIN_PAGES
from tests.bridge_support import World
from tests.console_support import Browser, one_time_key, signed_in, visible_text


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


def form_fields(page: str, testid: str | None = None) -> dict[str, str]:
    """What a browser would send from a form (the one with ``data-testid``, else the page's last POST form):
    inputs (checked boxes only), selected options."""
    if testid:
        m = re.search(rf'<form[^>]*data-testid="{re.escape(testid)}"[^>]*>(.*?)</form>', page, re.S)
    else:
        m = list(re.finditer(r'<form[^>]*method="post"[^>]*>(.*?)</form>', page, re.S))[-1]
    assert m, testid
    body = m.group(1)
    out: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", body):
        name = re.search(r'\bname="([^"]*)"', tag)
        if not name:
            continue
        kind = (re.search(r'\btype="([^"]*)"', tag) or [None, "text"])[1]
        if kind in ("checkbox", "radio") and " checked" not in tag:
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        out[name.group(1)] = htmllib.unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        out[name] = htmllib.unescape(chosen.group(1)) if chosen else ""
    return out


def tiers_of(fields: dict[str, str]) -> list[tuple[str, str]]:
    rows = sorted({int(k.split(".")[1]) for k in fields if k.startswith("fee_tiers.")})
    return [(fields[f"fee_tiers.{i}.from_day"], fields[f"fee_tiers.{i}.daily_rate"]) for i in rows]


def audits(db) -> int:  # noqa: ANN001
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEvent)) or 0


def send(browser: Browser, confirm_page: str, path: str) -> Any:
    """Press the confirmation's button: its hidden fields, the CSRF token and its one-time key."""
    return browser.post(path, form_fields(confirm_page))


# --- access ------------------------------------------------------------------------------------------------------


def test_every_admin_page_answers_each_role_as_the_authority_says(app, world, factory) -> None:  # noqa: ANN001
    users = {"bank_officer": world.officer_user, "fund_manager": world.li_user, "admin": factory.make_user("admin"),
             "auditor": factory.make_user("auditor"),
             "other_officer": factory.make_user("bank_officer", factory.make_bank())}
    browsers = {role: signed_in(app, u) for role, u in users.items()}
    ids = {"user": users["auditor"].id, "bank": world.bank.id, "enterprise": world.enterprise.id}
    for path, expected in ADMIN_PAGES.items():
        for role, status in expected.items():
            r = browsers[role].get(path.format(**ids))
            assert r.status_code == status, (path, role, r.status_code)
            assert r.mimetype == "text/html"
    # The rows agree with the declarations: a 403 exactly where the view's operation does not allow the role.
    views = {r.rule: app.view_functions[r.endpoint] for r in app.url_map.iter_rules()
             if r.endpoint.startswith("console.") and "GET" in (r.methods or ())}
    for path, expected in ADMIN_PAGES.items():
        permission = view_permission(views[re.sub(r"\{(\w+)\}", lambda m: f"<int:{m.group(1)}_id>", path)])
        for role, status in expected.items():
            if role != "other_officer":
                assert (status == 403) == (not permission.allows(role)), (path, role)
    assert users["admin"].username in browsers["admin"].text("/")


def test_the_admin_home_links_every_screen_and_a_manager_sees_only_what_they_may(app, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin")).text("/")
    for path in ("/admin/fund-settings", "/admin/pool-settings", "/admin/calendar", "/admin/users", "/admin/banks",
                 "/admin/guarantors", "/enterprises", "/admin/capital"):
        assert f'href="{path}"' in admin, path
    manager = signed_in(app, world.li_user).text("/admin")
    assert 'href="/admin/fund-settings"' in manager and 'href="/admin/users"' not in manager
    assert 'href="/admin/capital"' not in manager


# --- fund settings: the fee-tier table -----------------------------------------------------------------------------


def test_the_fee_tier_table_round_trips(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    api = world.get("/fund/settings", world.admin).get_json()
    fields = form_fields(admin.text("/admin/fund-settings"), "settings-form")
    assert tiers_of(fields) == [(str(t["from_day"]), t["daily_rate"]) for t in api["fee_tiers"]]
    n = len(api["fee_tiers"])
    # Add a row: the table grows by an empty row, nothing is checked or saved.
    grown = admin.text("/admin/fund-settings/confirm", query_string={**fields, "op": "add"})
    assert grown.count('data-testid="tier-row"') == n + 1
    fields = form_fields(grown, "settings-form")
    fields.update({f"fee_tiers.{n}.from_day": "９１", f"fee_tiers.{n}.daily_rate": "0.0009",
                   "per_enterprise_cap": "12,000,000.00"})
    before = audits(db)
    confirm = admin.text("/admin/fund-settings/confirm", query_string={**fields, "op": "review"})
    assert 'data-testid="confirm-settings"' in confirm
    changes = visible_text(re.search(r'data-testid="changes">(.*?)</table>', confirm, re.S).group(1))
    assert "0.0009" in changes and "12000000.00" in changes and api["per_enterprise_cap"] in changes
    assert world.get("/fund/settings", world.admin).get_json() == api and audits(db) == before  # nothing yet
    key_page = confirm
    r = send(admin, key_page, "/admin/fund-settings")
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    again = send(admin, key_page, "/admin/fund-settings")  # a double click: replayed, saved once
    assert again.status_code == 303 and again.headers.get("Idempotent-Replayed") == "true"
    assert audits(db) == before + 1
    saved = world.get("/fund/settings", world.admin).get_json()
    assert saved["fee_tiers"] == [*api["fee_tiers"], {"from_day": 91, "daily_rate": "0.0009"}]
    assert saved["per_enterprise_cap"] == "12000000.00"
    # The page shows what was saved; removing the row and saving brings the tiers back.
    fields = form_fields(admin.text("/admin/fund-settings"), "settings-form")
    assert tiers_of(fields)[-1] == ("91", "0.0009")
    shrunk = admin.text("/admin/fund-settings/confirm", query_string={**fields, "op": f"remove-{n}"})
    assert shrunk.count('data-testid="tier-row"') == n
    confirm = admin.text("/admin/fund-settings/confirm", query_string=form_fields(shrunk, "settings-form"))
    assert send(admin, confirm, "/admin/fund-settings").status_code == 303
    assert world.get("/fund/settings", world.admin).get_json()["fee_tiers"] == api["fee_tiers"]


def test_a_refused_fee_tier_table_shows_each_error_in_place_and_changes_nothing(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    api = world.get("/fund/settings", world.admin).get_json()
    fields = form_fields(admin.text("/admin/fund-settings"), "settings-form")
    # The schema: a rate that is not a number, a day that is not a whole number — each beside its cell.
    r = admin.get("/admin/fund-settings/confirm",
                  query_string={**fields, "fee_tiers.0.daily_rate": "abc", "fee_tiers.0.from_day": "x"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="fee_tiers-0-daily_rate-error"' in page and 'id="fee_tiers-0-from_day-error"' in page
    assert 'value="abc"' in page  # what was typed stays in the cell
    # The service's rule (the first tier starts at day 1) refuses the PUT: shown above the table, nothing saved.
    bad = {**fields, "fee_tiers.0.from_day": "5"}
    confirm = admin.text("/admin/fund-settings/confirm", query_string=bad)
    assert 'data-testid="confirm-settings"' in confirm
    before = audits(db)
    r = send(admin, confirm, "/admin/fund-settings")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="fee_tiers-error"' in page and 'data-testid="form-error"' in page
    assert world.get("/fund/settings", world.admin).get_json() == api and audits(db) == before
    # No CSRF token: 400, nothing changes.
    data = form_fields(confirm)
    data.pop("csrf_token")
    assert admin.post("/admin/fund-settings", data, csrf=False).status_code == 400
    assert world.get("/fund/settings", world.admin).get_json() == api
    # A fund manager reads the settings (the form disabled, no button) and may not send them.
    manager = signed_in(app, world.li_user)
    page = manager.text("/admin/fund-settings")
    assert "<fieldset disabled>" in page and 'data-testid="review-settings"' not in page
    assert manager.get("/admin/fund-settings/confirm", query_string=fields).status_code == 403
    mine = {k: v for k, v in form_fields(confirm).items() if k != "csrf_token"}  # the manager's own token
    assert manager.post("/admin/fund-settings", mine).status_code == 403
    assert world.get("/fund/settings", world.admin).get_json() == api


def test_pool_settings_show_before_and_after(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    api = world.get("/pool/settings", world.admin).get_json()
    fields = form_fields(admin.text("/admin/pool-settings"), "settings-form")
    assert fields["leverage"] == api["leverage"] and ("compound_overdue_interest" in fields) == \
        api["compound_overdue_interest"]
    fields.update(claim_after_days_overdue="60", default_pool_share="1.5")
    r = admin.get("/admin/pool-settings/confirm", query_string=fields)
    assert r.status_code == 422 and 'id="default_pool_share-error"' in r.get_data(as_text=True)
    fields["default_pool_share"] = "0.40"
    fields.pop("compound_overdue_interest", None)  # the box unticked
    confirm = admin.text("/admin/pool-settings/confirm", query_string=fields)
    changes = visible_text(re.search(r'data-testid="changes">(.*?)</table>', confirm, re.S).group(1))
    assert "90 60" in changes and "0.40" in changes
    assert send(admin, confirm, "/admin/pool-settings").status_code == 303
    saved = world.get("/pool/settings", world.admin).get_json()
    assert saved["claim_after_days_overdue"] == 60 and saved["default_pool_share"] == "0.40"
    assert saved["compound_overdue_interest"] is False


# --- users ---------------------------------------------------------------------------------------------------------


def test_users_create_with_a_one_time_password_deactivate_and_reset(app, db, world, factory) -> None:  # noqa: ANN001
    me = factory.make_user("admin")
    admin = signed_in(app, me)
    page = admin.text("/admin/users")
    assert world.officer_user.username in page
    n = db.scalar(select(func.count()).select_from(User))
    # An officer without a bank: refused by the service, beside the field; nobody is created.
    data = {"username": "new-officer", "role": "bank_officer", "bank_id": "",
            "idempotency_key": one_time_key(page)}
    r = admin.post("/admin/users", data)
    assert r.status_code == 422 and 'id="bank_id-error"' in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(User)) == n
    data["bank_id"] = str(world.bank.id)
    r = admin.post("/admin/users", data)
    page = r.get_data(as_text=True)
    assert r.status_code == 201
    password = re.search(r'data-testid="one-time-password">([^<]+)<', page).group(1)
    again = admin.post("/admin/users", data)  # resubmitted: the user's page, the password not shown again
    assert again.status_code == 303 and password not in again.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(User)) == n + 1
    created = db.scalar(select(User).where(User.username == "new-officer"))
    assert created.bank_id == world.bank.id and created.role == "bank_officer"
    newcomer = signed_in(app, created, password)  # the one-time password signs in
    # Deactivate: confirmed first, then the user's sessions end.
    confirm = admin.text(f"/admin/users/{created.id}?confirm=deactivate")
    assert 'data-testid="confirm-deactivate"' in confirm
    assert send(admin, confirm, f"/admin/users/{created.id}/active").status_code == 303
    db.expire_all()
    assert db.get(User, created.id).active is False
    assert newcomer.get("/").status_code == 302  # signed out
    # A new one-time password: shown once; the old one stops working.
    confirm = admin.text(f"/admin/users/{created.id}?confirm=password")
    r = send(admin, confirm, f"/admin/users/{created.id}/password")
    fresh = re.search(r'data-testid="one-time-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    assert fresh != password
    confirm = admin.text(f"/admin/users/{created.id}?confirm=activate")
    assert send(admin, confirm, f"/admin/users/{created.id}/active").status_code == 303
    assert Browser(app).sign_in(created.username, password).status_code != 303
    signed_in(app, created, fresh)
    # The admin may not lock themselves out: the service refuses, the page says so, nothing changes.
    before = audits(db)
    confirm = admin.text(f"/admin/users/{me.id}?confirm=deactivate")
    r = send(admin, confirm, f"/admin/users/{me.id}/active")
    assert r.status_code == 422 and 'data-testid="form-error"' in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, me.id).active is True and audits(db) == before
    assert admin.get("/").status_code == 200
    # Another role posting anyway: 403, nothing changes.
    manager = signed_in(app, world.li_user)
    key = one_time_key(manager.text("/bridge-loans/new"))
    assert manager.post(f"/admin/users/{created.id}/active", {"active": "false", "idempotency_key": key}
                        ).status_code == 403
    assert db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == me.id)) >= 1


# --- banks, guarantors, enterprises --------------------------------------------------------------------------------


def test_a_banks_quota_changes_from_its_effective_date(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    bank_id = world.bank.id
    page = admin.text(f"/admin/banks/{bank_id}")
    fields = form_fields(page, "edit-bank")
    # Beyond leverage × contributions: the service's 409, beside the quota; nothing changes.
    assert world.post("/pool/contributions", {"amount": "100000.00", "value_date": "2020-01-02"},
                      world.admin).status_code == 201
    before = audits(db)
    confirm = admin.text(f"/admin/banks/{bank_id}/confirm",
                         query_string={**fields, "pool_quota": "5,000,000", "effective_from": "2020-03-01"})
    assert 'data-testid="confirm-bank"' in confirm and "5,000,000.00" in confirm
    r = send(admin, confirm, f"/admin/banks/{bank_id}")
    assert r.status_code == 409 and 'id="pool_quota-error"' in r.get_data(as_text=True)
    assert audits(db) == before
    confirm = admin.text(f"/admin/banks/{bank_id}/confirm",
                         query_string={**fields, "pool_quota": "1,000,000", "effective_from": "2020-03-01"})
    assert send(admin, confirm, f"/admin/banks/{bank_id}").status_code == 303
    terms = world.get(f"/banks/{bank_id}/terms", world.admin).get_json()["items"]
    assert (terms[-1]["effective_from"], terms[-1]["pool_quota"]) == ("2020-03-01", "1000000.00")
    assert world.get(f"/banks/{bank_id}", world.admin, as_of="2020-02-28").get_json()["pool_quota"] == "0.00"
    assert 'data-testid="bank-quota">1,000,000.00' in admin.text(f"/admin/banks/{bank_id}")
    # A bad date is a field error; an officer sees their own bank only, and no form.
    r = admin.get(f"/admin/banks/{bank_id}/confirm", query_string={**fields, "effective_from": "2020-02-30"})
    assert r.status_code == 422 and 'id="effective_from-error"' in r.get_data(as_text=True)
    officer = signed_in(app, world.officer_user)
    listing = officer.text("/admin/banks")
    assert world.bank.code in listing and 'data-testid="new-bank"' not in listing
    assert 'data-testid="edit-bank"' not in officer.text(f"/admin/banks/{bank_id}")
    # Register a bank: a taken code is refused beside the field.
    page = admin.text("/admin/banks")
    r = admin.post("/admin/banks", {"code": world.bank.code, "name": "X", "idempotency_key": one_time_key(page)})
    assert r.status_code == 409 and 'id="code-error"' in r.get_data(as_text=True)
    r = admin.post("/admin/banks", {"code": "NEWBK", "name": "新银行<script>", "effective_from": "2020-03-02",
                                    "idempotency_key": one_time_key(page)})
    assert r.status_code == 303
    listing = admin.text("/admin/banks")
    assert "新银行&lt;script&gt;" in listing and "新银行<script>" not in listing


def test_guarantors_are_registered_and_edited(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    page = admin.text("/admin/guarantors")
    r = admin.post("/admin/guarantors", {"name": "担保公司", "guarantee_share": "1.5",
                                         "idempotency_key": one_time_key(page)})
    assert r.status_code == 422 and 'id="guarantee_share-error"' in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Guarantor)) == 0
    r = admin.post("/admin/guarantors", {"name": "担保公司", "guarantee_share": "0.30",
                                         "idempotency_key": one_time_key(page)})
    assert r.status_code == 303
    g = db.scalar(select(Guarantor))
    page = admin.text("/admin/guarantors")
    r = admin.post(f"/admin/guarantors/{g.id}", {**form_fields(page, f"edit-guarantor-{g.id}"),
                                                  "guarantee_share": "0.25"})
    assert r.status_code == 303
    assert world.get(f"/guarantors/{g.id}", world.admin).get_json()["guarantee_share"] == "0.25"
    auditor = signed_in(app, factory.make_user("auditor"))
    assert "担保公司" in auditor.text("/admin/guarantors")
    assert 'data-testid="new-guarantor"' not in auditor.text("/admin/guarantors")


def test_enterprises_search_create_with_the_check_character_and_edit(app, db, world, factory) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    page = officer.text("/enterprises")
    assert 'hx-get="/bridge-loans/uscc-check"' in page  # the check character verified as typed
    good = demo_uscc(77_000_001)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    check = officer.text("/bridge-loans/uscc-check", query_string={"uscc": wrong})
    assert 'data-testid="uscc-problem"' in check
    n = db.scalar(select(func.count()).select_from(Enterprise))
    data = {"uscc": wrong, "name": "<script>x</script>科技", "size": "small", "in_zone": "true",
            "idempotency_key": one_time_key(page)}
    r = officer.post("/enterprises", data)
    assert r.status_code == 422 and 'id="uscc-error"' in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Enterprise)) == n
    r = officer.post("/enterprises", {**data, "uscc": good.lower()})
    assert r.status_code == 303
    ent = db.scalar(select(Enterprise).where(Enterprise.uscc == good))
    listing = officer.text("/enterprises", query_string={"q": good[:10]})
    assert "&lt;script&gt;x&lt;/script&gt;科技" in listing and "<script>x" not in listing
    # An officer may register but not correct; a fund manager corrects.
    assert 'data-testid="edit-enterprise"' not in officer.text(f"/enterprises/{ent.id}")
    assert officer.post(f"/enterprises/{ent.id}", {"name": "X", "size": "small",
                                                    "idempotency_key": one_time_key(page)}).status_code == 403
    manager = signed_in(app, world.li_user)
    fields = form_fields(manager.text(f"/enterprises/{ent.id}"), "edit-enterprise")
    assert fields["in_zone"] == "true"
    fields.pop("in_zone")
    r = manager.post(f"/enterprises/{ent.id}", {**fields, "name": "改名科技", "industry": "软件"})
    assert r.status_code == 303
    api = world.get(f"/enterprises/{ent.id}", world.li).get_json()
    assert (api["name"], api["industry"], api["in_zone"], api["uscc"]) == ("改名科技", "软件", False, good)
    fields = form_fields(manager.text(f"/enterprises/{ent.id}"), "edit-enterprise")
    r = manager.post(f"/enterprises/{ent.id}", {**fields, "name": "", "size": "huge"})
    assert r.status_code == 422 and 'id="size-error"' in r.get_data(as_text=True)


# --- capital and the calendar --------------------------------------------------------------------------------------


def test_capital_is_confirmed_with_its_amounts_and_booked_once(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    assert world.capital("5000000.00", "2020-02-07").status_code == 201
    page = admin.text("/admin/capital")
    assert 'data-testid="cash-today">5,000,000.00' in page
    form = {"direction": "out", "amount": "２,０００,０００", "value_date": "2020-03-02", "note": "<b>return</b>"}
    confirm = admin.text("/admin/capital/confirm", query_string=form)
    assert 'data-testid="confirm-amount">2,000,000.00' in confirm
    assert 'data-testid="cash-before">5,000,000.00' in confirm and 'data-testid="cash-after">3,000,000.00' in confirm
    assert "<b>return</b>" not in confirm and "&lt;b&gt;return&lt;/b&gt;" in confirm
    count = db.scalar(select(func.count()).select_from(FundLedgerEntry))
    assert send(admin, confirm, "/admin/capital").status_code == 303
    assert send(admin, confirm, "/admin/capital").headers.get("Idempotent-Replayed") == "true"
    assert db.scalar(select(func.count()).select_from(FundLedgerEntry)) == count + 1
    assert world.get("/fund", world.admin).get_json()["cash_balance"] == "3000000.00"
    # Out beyond the cash: the service's 409, shown; nothing booked. A bad amount: beside the field.
    confirm = admin.text("/admin/capital/confirm", query_string={**form, "amount": "9000000.00"})
    r = send(admin, confirm, "/admin/capital")
    assert r.status_code == 409 and 'data-testid="form-error"' in r.get_data(as_text=True)
    r = admin.get("/admin/capital/confirm", query_string={**form, "amount": "1.234"})
    assert r.status_code == 422 and 'id="amount-error"' in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(FundLedgerEntry)) == count + 1


def test_the_calendar_month_grid_and_an_admins_edit(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    year = world.get("/calendar/2020", world.admin).get_json()["items"]
    grid = admin.text("/admin/calendar?month=2020-10")
    for item in (i for i in year if i["date"].startswith("2020-10")):
        kind = "holiday" if item["kind"] == "holiday" else "makeup"
        assert f'data-testid="day-{item["date"]}" data-kind="{kind}"' in grid
    assert 'data-testid="day-2020-10-14" data-kind="work"' in grid  # an ordinary Wednesday
    assert 'data-testid="day-2020-10-17" data-kind="off"' in grid  # an ordinary Saturday
    # The admin picks a Monday and makes it a holiday; the grid shows it (escaped).
    page = admin.text("/admin/calendar?day=2020-04-06")
    assert 'data-testid="day-editor"' in page
    r = admin.post("/admin/calendar/2020-04-06", {**form_fields(page), "kind": "holiday", "name": "<i>假</i>"})
    assert r.status_code == 303
    grid = admin.text("/admin/calendar?month=2020-04")
    assert 'data-testid="day-2020-04-06" data-kind="holiday"' in grid and "&lt;i&gt;假&lt;/i&gt;" in grid
    # A holiday on a Saturday changes nothing: the service's 422 beside the field, nothing saved.
    before = audits(db)
    page = admin.text("/admin/calendar?day=2020-04-11")
    r = admin.post("/admin/calendar/2020-04-11", {**form_fields(page), "kind": "holiday", "name": "x"})
    assert r.status_code == 422 and 'id="kind-error"' in r.get_data(as_text=True)
    r = admin.post("/admin/calendar/2020-02-30", {**form_fields(page), "kind": "holiday", "name": "x"})
    assert r.status_code == 422
    assert audits(db) == before
    # Removing the exception: Monday is a working day again.
    page = admin.text("/admin/calendar?day=2020-04-06")
    r = admin.post("/admin/calendar/2020-04-06/delete", form_fields(page, "delete-day-form"))
    assert r.status_code == 303
    assert 'data-testid="day-2020-04-06" data-kind="work"' in admin.text("/admin/calendar?month=2020-04")
    # Everyone reads the grid; only the admin gets the links to edit.
    officer = signed_in(app, world.officer_user)
    assert 'data-testid="calendar-grid"' in officer.text("/admin/calendar")
    assert "day=" not in officer.text("/admin/calendar?month=2020-04")
    key = one_time_key(officer.text("/bridge-loans/new"))
    assert officer.post("/admin/calendar/2020-04-07", {"kind": "holiday", "name": "x", "idempotency_key": key}
                        ).status_code == 403


def test_odd_inputs_are_field_errors_never_a_500(app, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    bank = world.bank.id
    for path in ("/admin/calendar?month=2020-13", "/admin/calendar?month=１９００-01", "/admin/calendar?month=2199-12",
                 "/admin/calendar?day=2020-02-30", "/admin/calendar?day=x", "/admin/users?role=king",
                 "/admin/users?after_id=99999999999", "/admin/banks?as_of=2020-99-01", "/enterprises?q=" + "x" * 300,
                 "/enterprises?after_id=-1", "/admin/guarantors?after_id=abc",
                 "/admin/capital/confirm?direction=sideways&amount=1e9&value_date=0000-01-01",
                 "/admin/capital/confirm?direction=in&amount=10.00&value_date=1900-01-01",
                 f"/admin/banks/{bank}/confirm?pool_share=7&pool_quota=-1",
                 f"/admin/banks/{bank}/confirm?op=reinstate&reason=",
                 "/admin/fund-settings/confirm?op=remove-999999999999", "/admin/fund-settings/confirm?op=add",
                 "/admin/fund-settings/confirm?fee_tiers.0.from_day=1&fee_tiers.0.daily_rate=0.0002&max_term_days=9e9",
                 "/admin/pool-settings/confirm?leverage=-1&compound_overdue_interest=maybe",
                 "/admin/users/99999999", "/admin/banks/99999999", "/enterprises/99999999"):
        r = admin.get(path)
        assert r.status_code in (200, 404, 422), (path, r.status_code)
    page = admin.text("/admin/calendar?day=2020-04-06")
    for path in ("/admin/calendar/2020-04-06", "/admin/calendar/0000-00-00", "/admin/calendar/x/delete",
                 "/admin/calendar/2020-04-08/delete"):
        r = admin.post(path, {**form_fields(page), "kind": "<x>", "name": "y" * 500})
        assert r.status_code in (404, 422), (path, r.status_code)
    for path in ("/admin/users/99999999/active", "/admin/banks/99999999", "/enterprises/99999999",
                 "/admin/guarantors/99999999"):
        assert admin.post(path, {"idempotency_key": one_time_key(page)}).status_code == 404, path


def test_a_suspended_bank_is_reinstated_with_a_reason(app, db, world, factory) -> None:  # noqa: ANN001
    import datetime as dt

    from bridgefund.services import bank_terms

    # Set-up as the NPL rule does it (services.pool.evaluate_bank): the bank suspended from 2020-03-02.
    bank = db.get(type(world.bank), world.bank.id)
    bank_terms.change(db, None, bank, dt.date(2020, 3, 2), {"status": "suspended"}, "NPL", check_dates=False)
    db.commit()
    admin = signed_in(app, factory.make_user("admin"))
    page = admin.text(f"/admin/banks/{bank.id}")
    assert 'data-testid="reinstate-bank"' in page
    fields = form_fields(page, "reinstate-bank")
    # Without a reason the service refuses (422 beside the field) and nothing changes.
    confirm = admin.text(f"/admin/banks/{bank.id}/confirm", query_string={**fields, "reason": ""})
    before = audits(db)
    r = send(admin, confirm, f"/admin/banks/{bank.id}")
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    assert audits(db) == before and world.get(f"/banks/{bank.id}", world.admin).get_json()["status"] == "suspended"
    confirm = admin.text(f"/admin/banks/{bank.id}/confirm", query_string={**fields, "reason": "整改完成"})
    changes = visible_text(re.search(r'data-testid="changes">(.*?)</table>', confirm, re.S).group(1))
    assert "暂停" in changes or "suspended" in changes
    assert send(admin, confirm, f"/admin/banks/{bank.id}").status_code == 303
    api = world.get(f"/banks/{bank.id}", world.admin).get_json()
    assert (api["status"], api["status_reason"]) == ("active", "整改完成")
    assert 'data-testid="reinstate-bank"' not in admin.text(f"/admin/banks/{bank.id}")
