"""The console's audit log (filters in the URL, keyset paging, before/after as a diff) and "Export to Excel" on
every console list: the same sheet as the API's ``format=xlsx`` for the same filters, scoped like the list."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from bridgefund import exports
from bridgefund.console import audit as console_audit
from bridgefund.models import AuditEvent
from tests.bridge_support import World
from tests.console_support import signed_in, visible_text
from tests.pool_support import PoolWorld

API = "/api/v1"


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("50000000.00").status_code == 201
    return w


def rows(r: Any) -> list[tuple]:
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == exports.XLSX
    return [tuple(row) for row in openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)]


def events_on_page(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="audit-event" id="event-(\d+)"', html)]


# --- the audit log -----------------------------------------------------------------------------------------------


def test_who_may_open_the_audit_log(app, world, factory) -> None:  # noqa: ANN001
    for role in ("admin", "auditor"):
        assert signed_in(app, factory.make_user(role)).get("/audit").status_code == 200
    for user in (world.officer_user, world.li_user):
        b = signed_in(app, user)
        assert b.get("/audit").status_code == 403
        assert b.get("/audit?format=xlsx").status_code == 403  # no export either
        assert "/audit" not in re.findall(r'href="([^"]+)"', b.text("/"))  # no link to it
    assert world.client.get("/audit").status_code == 302  # anonymous: to the sign-in page


def test_filters_diff_and_the_timeline_link(app, db, world, factory) -> None:  # noqa: ANN001
    loan = world.submit()
    other = world.submit(amount="2000000.00")
    ent = world.enterprise
    r = world.client.patch(f"{API}/enterprises/{ent.id}", json={"name": "新名<script>x</script>有限公司"},
                           headers=world.admin)
    assert r.status_code == 200, r.get_json()
    auditor = signed_in(app, factory.make_user("auditor"))

    html = auditor.text(f"/audit?entity_type=bridge_loan&entity_id={loan['id']}")
    expected = db.scalars(select(AuditEvent.id).where(AuditEvent.entity_type == "bridge_loan",
                                                      AuditEvent.entity_id == loan["id"])
                          .order_by(AuditEvent.id.desc())).all()
    assert events_on_page(html) == expected and expected
    assert f"/bridge-loans/{loan['id']}" in html  # the entity's own page
    assert str(other["reference"]) not in html
    # the filters stay in the form (and so in the URL of the next page and of the export)
    assert 'name="entity_id" inputmode="numeric" value="{}"'.format(loan["id"]) in html
    assert f"entity_id={loan['id']}" in re.search(r'href="([^"]*format=xlsx[^"]*)"', html).group(1)

    # the update: the changed field highlighted with its value before and after, escaped
    html = auditor.text(f"/audit?entity_type=enterprise&entity_id={ent.id}&action=update")
    assert len(events_on_page(html)) == 1
    changed = re.findall(r'<tr class="table-warning" data-testid="changed-field">(.*?)</tr>', html, re.S)
    assert len(changed) == 1 and '<span class="font-monospace">name</span>' in changed[0]
    assert f"<del>{ent.name}</del>" in changed[0]
    assert "<ins>新名&lt;script&gt;x&lt;/script&gt;有限公司</ins>" in changed[0]
    assert "<script>x</script>" not in html

    # by actor: the admin's events only
    admin_id = db.scalar(select(AuditEvent.actor_id).where(AuditEvent.entity_type == "enterprise",
                                                           AuditEvent.action == "update"))
    html = auditor.text(f"/audit?actor_id={admin_id}")
    ids = events_on_page(html)
    assert ids and set(ids) == set(db.scalars(select(AuditEvent.id).where(AuditEvent.actor_id == admin_id)).all())

    # by dates: calendar days in the fund's timezone; every event was written today, none tomorrow
    today = db.scalar(select(func.max(AuditEvent.at))).astimezone(app.config["BRIDGEFUND"].tz).date()
    total = db.scalar(select(func.count()).select_from(AuditEvent))
    assert len(events_on_page(auditor.text(f"/audit?from={today}&to={today}"))) == min(total,
                                                                                      console_audit.PAGE_SIZE)
    later = today.replace(year=today.year + 1)
    assert events_on_page(auditor.text(f"/audit?from={later}")) == []

    # the loan's timeline links here for those who may read the log, not for the others
    admin = signed_in(app, factory.make_user("admin"))
    link = f'/audit?entity_type=bridge_loan&amp;entity_id={loan["id"]}'
    assert link in admin.text(f"/bridge-loans/{loan['id']}")
    assert 'data-testid="audit-link"' not in signed_in(app, world.li_user).text(f"/bridge-loans/{loan['id']}")


def test_keyset_paging_walks_every_event_once(app, db, world, factory, monkeypatch) -> None:  # noqa: ANN001
    for _ in range(3):
        world.submit()
    monkeypatch.setattr(console_audit, "PAGE_SIZE", 2)
    auditor = signed_in(app, factory.make_user("auditor"))
    seen: list[int] = []
    url = "/audit?entity_type=bridge_loan"
    while url:
        html = auditor.text(url)
        seen += events_on_page(html)
        found = re.search(r'<a class="btn btn-outline-primary" href="([^"]+)" rel="next">', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert url is None or "entity_type=bridge_loan" in url
    assert seen == db.scalars(select(AuditEvent.id).where(AuditEvent.entity_type == "bridge_loan")
                              .order_by(AuditEvent.id.desc())).all()
    assert len(seen) == 3


@pytest.mark.parametrize("query, field", [("entity_id=abc", "entity_id"), ("from=2020-13-45", "from"),
                                          ("to=yesterday", "to"), ("actor_id=-1", "actor_id"),
                                          ("after_id=x", "after_id"), ("action=" + "a" * 41, "action")])
def test_bad_filters_are_field_errors_not_500(app, world, factory, query, field) -> None:  # noqa: ANN001
    b = signed_in(app, factory.make_user("admin"))
    r = b.get(f"/audit?{query}")
    assert r.status_code == 422
    assert field in visible_text(r.get_data(as_text=True))
    assert b.get(f"/audit?{query}&format=xlsx").status_code == 422  # nor an export


# --- export to Excel ---------------------------------------------------------------------------------------------


def test_the_audit_export_is_the_apis_for_the_same_filters(app, world, factory) -> None:  # noqa: ANN001
    loan = world.submit()
    auditor_user = factory.make_user("auditor")
    auditor = signed_in(app, auditor_user)
    api = rows(world.client.get(f"{API}/audit-events?format=xlsx&entity_type=bridge_loan&entity_id={loan['id']}",
                                headers=factory.headers(auditor_user)))
    mine = rows(auditor.client.get(f"/audit?format=xlsx&entity_type=bridge_loan&entity_id={loan['id']}"))
    assert mine == api and len(mine) >= 2
    assert mine[0][0] == "时间"  # Chinese headers, the API's table
    everything = rows(auditor.client.get("/audit?format=xlsx"))
    assert everything == rows(world.client.get(f"{API}/audit-events?format=xlsx",
                                               headers=factory.headers(auditor_user)))


def test_the_bridge_export_is_the_apis_and_an_officer_gets_their_bank_only(app, world, factory) -> None:  # noqa: ANN001
    mine = world.submit()
    world.approved(amount="1500000.00")
    other_bank = factory.make_bank()
    other_officer = factory.make_user("bank_officer", other_bank)
    theirs = world.submit(headers=factory.headers(other_officer))
    officer = signed_in(app, world.officer_user)

    sheet = rows(officer.client.get("/bridge-loans?format=xlsx"))
    assert sheet == rows(world.client.get(f"{API}/bridge-loans?format=xlsx", headers=world.officer))
    refs = {row[0] for row in sheet[1:]}
    assert mine["reference"] in refs and theirs["reference"] not in refs
    assert sheet[0][:3] == ("业务编号", "状态", "企业名称")
    # another bank's id in the filter: nothing of theirs (the service scopes, as for the list)
    filtered = rows(officer.client.get(f"/bridge-loans?format=xlsx&bank_id={other_bank.id}"))
    assert theirs["reference"] not in {row[0] for row in filtered}

    manager = signed_in(app, world.li_user)
    for query in ("status=approved", "status=submitted", f"bank_id={other_bank.id}", "awaiting=first_approval"):
        assert rows(manager.client.get(f"/bridge-loans?format=xlsx&{query}")) == \
            rows(world.client.get(f"{API}/bridge-loans?format=xlsx&{query}", headers=world.li)), query
    # the list page offers it with its filters
    html = manager.text("/bridge-loans?status=approved")
    assert re.search(r'href="/bridge-loans\?format=xlsx&amp;status=approved"[^>]*data-testid="export-xlsx"', html)


def test_the_pool_export_is_the_apis_and_scoped(app, client, factory, settings) -> None:  # noqa: ANN001
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory)
    mine = w.loan()
    theirs = w.loan(headers=w.other_officer)
    officer = signed_in(app, w.officer_user)
    sheet = rows(officer.client.get("/pool-loans?format=xlsx&as_of=2020-06-30"))
    assert sheet == rows(client.get(f"{API}/pool-loans?format=xlsx&as_of=2020-06-30", headers=w.officer))
    refs = {row[0] for row in sheet[1:]}
    assert refs == {mine["reference"]} and theirs["reference"] not in refs
    assert "export-xlsx" in officer.text("/pool-loans")


def test_the_export_in_english_has_english_headers(app, world) -> None:  # noqa: ANN001
    world.submit()
    li = signed_in(app, world.li_user)
    assert li.post("/language", {"lang": "en"}).status_code in (302, 303)
    sheet = rows(li.client.get("/bridge-loans?format=xlsx"))
    assert sheet[0][:3] == ("Reference", "Status", "Enterprise name")
    assert sheet[1][1] == "submitted"
    assert "Export to Excel" in li.text("/bridge-loans")


def test_the_diff_of_new_changed_and_removed_fields() -> None:
    rows = console_audit.diff(None, {"status": "submitted", "due_date": None, "amount": "1.00"})
    assert [(r.field, r.changed, r.added) for r in rows] == [("status", True, True), ("amount", True, True),
                                                             ("due_date", False, True)]
    rows = console_audit.diff({"status": "submitted", "note": "x", "same": 1}, {"status": "approved", "same": 1})
    assert [(r.field, r.before, r.after, r.changed, r.removed) for r in rows] == [
        ("status", "submitted", "approved", True, False), ("note", "x", None, True, True),
        ("same", 1, 1, False, False)]


def test_an_export_past_the_limit_is_refused_with_a_page_naming_it(app, world, monkeypatch) -> None:  # noqa: ANN001
    world.submit()
    world.submit()
    monkeypatch.setattr(exports, "MAX_ROWS", 1)
    li = signed_in(app, world.li_user)
    r = li.get("/bridge-loans?format=xlsx")
    assert r.status_code == 413 and r.mimetype == "text/html"
    assert "at most 1 rows" in visible_text(r.get_data(as_text=True))
