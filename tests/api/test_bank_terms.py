"""Effective-dated bank terms (issue 10, item 8; DOMAIN.md "Dated terms"; API.md "Second round").

A bank's name, status, quota and share are dated: every figure, rule and report as of D reads the terms in force
on D, so a closed month's figures and reports never change. Small worlds through the API here; the demo story's
closed March 2020 in ``test_bank_terms_demo.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bridgefund.models import BankTerms
from tests.bridge_support import World as BridgeWorld
from tests.conftest import PARTNER_SINCE, audit_count
from tests.pool_support import PoolWorld, counts

D = Decimal


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory, quota="5000000.00")


def problem(r, status: int, field: str | None = None) -> dict:  # noqa: ANN001
    body = r.get_json()
    assert r.status_code == status, body
    assert r.content_type == "application/problem+json"
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def patch(world: PoolWorld, bank_id: int, body: dict):  # noqa: ANN201
    return world.client.patch(f"/api/v1/banks/{bank_id}", json=body, headers=world.admin)


def terms(world: PoolWorld, bank_id: int, headers: dict | None = None) -> list[dict]:
    r = world.get(f"/banks/{bank_id}/terms", headers or world.auditor)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def test_quota_from_d_governs_d_and_not_the_day_before(world, db) -> None:  # noqa: ANN001
    bank = world.bank.id
    r = patch(world, bank, {"pool_quota": "8000000.00", "effective_from": "2020-06-01"})
    assert r.status_code == 200, r.get_json()
    # the quota check of a loan reads the quota in force on its start date
    before = counts(db)
    problem(world.post("/pool-loans", world.loan_body(principal="6000000.00", start_date="2020-05-31"),
                       world.officer), 409, "principal")
    assert counts(db) == before
    loan = world.loan(principal="6000000.00", start_date="2020-06-01")
    assert loan["pool_share"] == "0.50"
    # figures as of D: GET /pool and GET /banks/{id}?as_of=
    quota = {d: world.get("/pool", as_of=d).get_json()["total_quota"] for d in ("2020-05-31", "2020-06-01")}
    assert quota == {"2020-05-31": "105000000.00", "2020-06-01": "108000000.00"}  # + the other bank's 100M
    shown = {d: world.get(f"/banks/{bank}", world.auditor, as_of=d).get_json() for d in ("2020-05-31", "2020-06-01")}
    assert shown["2020-05-31"]["pool_quota"] == "5000000.00"
    assert shown["2020-05-31"]["terms_effective_from"] == PARTNER_SINCE.isoformat()
    assert shown["2020-06-01"]["pool_quota"] == "8000000.00"
    assert shown["2020-06-01"]["terms_effective_from"] == "2020-06-01"
    assert shown["2020-05-31"]["pool_quota_used"] == "0.00" and shown["2020-06-01"]["pool_quota_used"] == "6000000.00"


def test_share_and_name_change_on_their_date(world) -> None:  # noqa: ANN001
    bank = world.bank.id
    old_name = world.get(f"/banks/{bank}", world.auditor).get_json()["name"]
    r = patch(world, bank, {"pool_share": "0.40", "name": "更名后的银行", "effective_from": "2020-06-01"})
    assert r.status_code == 200 and r.get_json()["name"] == "更名后的银行"
    assert world.loan(start_date="2020-05-31")["pool_share"] == "0.50"
    assert world.loan(start_date="2020-06-01")["pool_share"] == "0.40"
    assert world.get(f"/banks/{bank}", world.auditor, as_of="2020-05-31").get_json()["name"] == old_name
    listed = world.get("/banks", world.officer, as_of="2020-05-31").get_json()["items"]
    assert [(b["id"], b["name"], b["pool_share"]) for b in listed] == [(bank, old_name, "0.50")]


def test_a_bank_exists_from_the_day_it_became_a_partner(world, db) -> None:  # noqa: ANN001
    r = world.post("/banks", {"code": "HXB-ZZ", "name": "华夏银行郑州分行", "pool_quota": "10000000.00",
                              "effective_from": "2020-05-01"}, world.admin)
    assert r.status_code == 201, r.get_json()
    bank = r.get_json()
    assert bank["partner_since"] == "2020-05-01" and bank["pool_quota"] == "10000000.00"
    officer = world.factory.as_role("bank_officer", db.get(type(world.bank), bank["id"]))
    before = counts(db)
    problem(world.post("/pool-loans", world.loan_body(start_date="2020-04-30"), officer), 409, "start_date")
    assert counts(db) == before
    assert world.post("/pool-loans", world.loan_body(start_date="2020-05-01"), officer).status_code == 201
    quota = {d: world.get("/pool", as_of=d).get_json()["total_quota"] for d in ("2020-04-30", "2020-05-01")}
    assert quota == {"2020-04-30": "105000000.00", "2020-05-01": "115000000.00"}
    # no terms to change before the partnership
    problem(patch(world, bank["id"], {"pool_quota": "1.00", "effective_from": "2020-04-30"}), 409, "effective_from")
    assert [t["effective_from"] for t in terms(world, bank["id"])] == ["2020-05-01"]


def test_bridge_loans_read_the_dated_partnership_and_status(client, factory, settings, db) -> None:  # noqa: ANN001
    settings.today = "2020-03-31"
    w = BridgeWorld(client, factory)
    r = w.post("/banks", {"code": "NEW-1", "name": "新合作银行", "effective_from": "2020-02-10"}, w.admin)
    assert r.status_code == 201
    officer = factory.as_role("bank_officer", db.get(type(w.bank), r.get_json()["id"]))
    problem(w.post("/bridge-loans", w.application(submitted_on="2020-02-09"), officer), 409, "submitted_on")
    assert w.post("/bridge-loans", w.application(submitted_on="2020-02-10"), officer).status_code == 201


def test_effective_from_never_in_a_closed_month(world, db, settings) -> None:  # noqa: ANN001
    bank = world.bank.id
    assert world.post("/periods/2020-03/close", {}, world.admin).status_code in (200, 201)
    history = terms(world, bank)
    events = audit_count(db, entity_type="bank")
    # the closed month's last day → 409; the first day after it is open
    problem(patch(world, bank, {"pool_quota": "6000000.00", "effective_from": "2020-03-31"}), 409, "effective_from")
    problem(patch(world, bank, {"name": "x", "effective_from": "2020-01-01"}), 409, "effective_from")
    r = world.post("/banks", {"code": "LATE-1", "name": "晚到银行", "effective_from": "2020-03-15"}, world.admin)
    problem(r, 409, "effective_from")
    assert terms(world, bank) == history and audit_count(db, entity_type="bank") == events
    assert db.query(BankTerms).filter(BankTerms.effective_from <= dt.date(2020, 3, 31),
                                      BankTerms.effective_from > PARTNER_SINCE).count() == 0
    r = patch(world, bank, {"pool_quota": "6000000.00", "effective_from": "2020-04-01"})
    assert r.status_code == 200, r.get_json()
    assert world.get("/pool", as_of="2020-03-31").get_json()["total_quota"] == "105000000.00"
    assert world.get("/pool", as_of="2020-04-01").get_json()["total_quota"] == "106000000.00"
    # the default effective_from is today
    assert patch(world, bank, {"pool_quota": "7000000.00"}).status_code == 200
    assert terms(world, bank)[-1]["effective_from"] == settings.today


def test_a_back_dated_change_runs_until_the_next_change_of_that_field(world) -> None:  # noqa: ANN001
    bank = world.bank.id
    for body in ({"pool_quota": "7000000.00", "effective_from": "2020-03-01"},
                 {"name": "B", "effective_from": "2020-06-01"},
                 {"pool_quota": "6000000.00", "effective_from": "2020-01-01"},   # before the 7M: stops there
                 {"name": "C", "effective_from": "2020-02-01"}):                 # carried to 03-01, not 06-01
        assert patch(world, bank, body).status_code == 200
    rows = [(t["effective_from"], t["name"], t["pool_quota"], t["changed"]) for t in terms(world, bank)]
    first_name = rows[0][1]
    assert rows == [
        (PARTNER_SINCE.isoformat(), first_name, "5000000.00", ["name", "status", "pool_quota", "pool_share"]),
        ("2020-01-01", first_name, "6000000.00", ["pool_quota"]),
        ("2020-02-01", "C", "6000000.00", ["name"]),
        ("2020-03-01", "C", "7000000.00", ["pool_quota"]),
        ("2020-06-01", "B", "7000000.00", ["name"]),
    ]
    # the same date again edits that row
    assert patch(world, bank, {"pool_quota": "6500000.00", "effective_from": "2020-01-01"}).status_code == 200
    assert [t["pool_quota"] for t in terms(world, bank)] == ["5000000.00", "6500000.00", "6500000.00",
                                                              "7000000.00", "7000000.00"]


def test_terms_history_is_scoped_and_records_who_and_why(world, db) -> None:  # noqa: ANN001
    bank = world.bank.id
    # the NPL rule suspends the bank from the claim's date: a dated status row by the system
    world.loan(principal="1000000.00", start_date="2020-01-15", repayment_method="interest_only")
    world.default_and_claim(principal="1000000.00")
    rows = terms(world, bank)
    assert rows[-1]["effective_from"] == "2020-06-01" and rows[-1]["status"] == "suspended"
    assert rows[-1]["changed_by"] is None and "NPL" in rows[-1]["reason"] and rows[-1]["changed"] == ["status"]
    assert world.get(f"/banks/{bank}", world.auditor, as_of="2020-05-31").get_json()["status"] == "active"
    suspended = world.get(f"/banks/{bank}", world.auditor, as_of="2020-06-01").get_json()
    assert suspended["status"] == "suspended" and suspended["suspended_on"] == "2020-06-01"
    # the admin's reinstatement is a dated row too, with its reason and author
    r = patch(world, bank, {"status": "active", "reason": "整改完成", "effective_from": "2020-07-01"})
    assert r.status_code == 200
    admin_id = world.get("/me", world.admin).get_json()["id"]
    last = terms(world, bank)[-1]
    assert (last["effective_from"], last["status"], last["reason"], last["changed_by"]) == (
        "2020-07-01", "active", "整改完成", admin_id)
    assert audit_count(db, entity_type="bank", entity_id=bank, action="reinstate") == 1
    # scoping: the bank's officer sees its history, another bank's officer gets 404, like the bank itself
    assert terms(world, bank, world.officer)[-1]["status"] == "active"
    problem(world.get(f"/banks/{bank}/terms", world.other_officer), 404)
    problem(world.get(f"/banks/{world.other_bank.id}/terms", world.officer), 404)
    problem(world.get("/banks/999999/terms", world.admin), 404)


def test_sum_of_quotas_is_checked_on_every_later_date(world, db) -> None:  # noqa: ANN001
    # 100M contributed, leverage 10: capacity 1,000M. Bank B's quota becomes 500M from June.
    assert patch(world, world.other_bank.id, {"pool_quota": "500000000.00", "effective_from": "2020-06-01"}) \
        .status_code == 200
    # 600M for bank A from January fits in January (700M) but not from June on (1,100M)
    history = terms(world, world.bank.id)
    problem(patch(world, world.bank.id, {"pool_quota": "600000000.00", "effective_from": "2020-01-01"}), 409,
            "pool_quota")
    assert terms(world, world.bank.id) == history
    assert patch(world, world.bank.id, {"pool_quota": "500000000.00", "effective_from": "2020-01-01"}) \
        .status_code == 200
    assert world.get("/pool", as_of="2020-06-01").get_json()["total_quota"] == "1000000000.00"


@pytest.mark.parametrize("body", [
    {"effective_from": "2020-13-01", "pool_quota": "1.00"},
    {"effective_from": "1800-01-01", "pool_quota": "1.00"},
    {"effective_from": 20200101, "pool_quota": "1.00"},
])
def test_bad_effective_from_is_422(world, body) -> None:  # noqa: ANN001
    problem(patch(world, world.bank.id, body), 422, "effective_from")
    problem(world.post("/banks", {"code": "BAD1", "name": "n", "effective_from": body["effective_from"]},
                       world.admin), 422, "effective_from")
    problem(world.get(f"/banks/{world.bank.id}", world.auditor, as_of="1800-01-01"), 422, "query.as_of")


def test_the_npl_sweep_dates_its_suspension_and_leaves_closed_months_alone(world, db) -> None:  # noqa: ANN001
    from bridgefund.services import pool
    from bridgefund.services.actor import SYSTEM

    bank = world.bank.id
    world.loan(principal="1000000.00", start_date="2020-01-15", repayment_method="interest_only")
    world.loan(principal="1000000.00", start_date="2020-01-15")  # never pays: NPL from 2020-04-14 (90 days)
    assert world.post("/periods/2020-06/close", {}, world.admin).status_code in (200, 201)
    history = terms(world, bank)
    assert pool.sweep_suspensions(db, SYSTEM, dt.date(2020, 6, 30)) == []  # inside the closed month: nothing
    assert terms(world, bank) == history
    assert [b.id for b in pool.sweep_suspensions(db, SYSTEM, dt.date(2020, 7, 1))] == [bank]
    db.commit()
    last = terms(world, bank)[-1]
    assert (last["effective_from"], last["status"], last["changed_by"]) == ("2020-07-01", "suspended", None)
    assert world.get(f"/banks/{bank}", world.auditor, as_of="2020-06-30").get_json()["status"] == "active"
    assert world.get(f"/banks/{bank}", world.auditor, as_of="2020-07-01").get_json()["status"] == "suspended"
    assert audit_count(db, entity_type="bank", entity_id=bank, action="suspend") == 1
