"""Business dates through the HTTP API (issue 10, items 9 and 10): decisions carry ``decided_on``; money is never
value-dated before the decision that authorised it; no business date before the fund's ``established_on`` or in a
closed month; ``as_of`` accepts 1900-01-01 … 2199-12-31 on every endpoint alike. Each boundary: the last day
allowed passes, the first day refused fails (an off-by-one in either direction breaks a test)."""

from __future__ import annotations

import datetime as dt

import pytest

from bridgefund.models import ClosedPeriod
from tests.bridge_support import World, counts
from tests.conftest import audit_count
from tests.pool_support import PoolWorld
from tests.pool_support import counts as pool_counts


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


@pytest.fixture
def pool_world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def problem(r, status: int, field: str) -> dict:  # noqa: ANN001
    body = r.get_json()
    assert r.status_code == status, body
    assert r.content_type == "application/problem+json"
    assert field in body.get("errors", {}), body
    return body


def close(db, period: str, last_day: str) -> None:  # noqa: ANN001
    db.add(ClosedPeriod(period=period, last_day=dt.date.fromisoformat(last_day)))
    db.commit()


# --- 9. decisions have business dates -----------------------------------------------------------------------


def test_repro_claim_approved_today_then_paid_back_dated_is_refused(pool_world, db):  # noqa: ANN001
    """Issue 10 item 9: a claim approved today and paid with a value date months earlier answered 200 (the issue's
    claim was filed before 2020-04-01; here it is filed on 2020-06-01 and paid "on" 2020-06-05)."""
    w = pool_world
    _, claim = w.default_and_claim()
    r = w.post(f"/claims/{claim['id']}/approve", {}, w.manager)
    assert r.status_code == 200 and r.get_json()["approved_on"] == "2020-12-31"  # default: today
    before = pool_counts(db)
    body = problem(w.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, w.manager2), 422, "value_date")
    assert "2020-12-31" in body["detail"]
    assert pool_counts(db) == before
    assert w.get(f"/claims/{claim['id']}").get_json()["status"] == "approved"


def test_claim_decisions_bounds_and_payout_on_the_decision_day(pool_world, db):  # noqa: ANN001
    w = pool_world
    _, claim = w.default_and_claim(claimed_on="2020-06-01")
    cid = claim["id"]
    problem(w.post(f"/claims/{cid}/approve", {"decided_on": "2020-05-31"}, w.manager), 422, "decided_on")
    problem(w.post(f"/claims/{cid}/approve", {"decided_on": "2021-01-01"}, w.manager), 422, "decided_on")
    problem(w.post(f"/claims/{cid}/approve", {"decided_on": "1899-12-31"}, w.manager), 422, "decided_on")
    assert audit_count(db, entity_type="claim", entity_id=cid, action="approve") == 0
    r = w.post(f"/claims/{cid}/approve", {"decided_on": "2020-06-10"}, w.manager)
    assert r.status_code == 200 and r.get_json()["approved_on"] == "2020-06-10"
    problem(w.post(f"/claims/{cid}/pay", {"value_date": "2020-06-09"}, w.manager), 422, "value_date")
    r = w.post(f"/claims/{cid}/pay", {"value_date": "2020-06-10"}, w.manager)
    assert r.status_code == 200 and r.get_json()["paid_on"] == "2020-06-10"


def test_claim_approved_on_its_filing_day(pool_world):  # noqa: ANN001
    w = pool_world
    _, claim = w.default_and_claim(claimed_on="2020-06-01")
    r = w.post(f"/claims/{claim['id']}/approve", {"decided_on": "2020-06-01"}, w.manager)
    assert r.status_code == 200, r.get_json()
    assert w.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-01"}, w.manager).status_code == 200


def test_claim_rejection_is_dated_by_its_decision(pool_world, db):  # noqa: ANN001
    w = pool_world
    loan, claim = w.default_and_claim(claimed_on="2020-06-01")
    cid = claim["id"]
    problem(w.post(f"/claims/{cid}/reject", {"reason": "材料不全", "decided_on": "2020-05-31"}, w.manager),
            422, "decided_on")
    close(db, "2020-06", "2020-06-30")
    problem(w.post(f"/claims/{cid}/reject", {"reason": "材料不全", "decided_on": "2020-06-30"}, w.manager),
            409, "decided_on")
    r = w.post(f"/claims/{cid}/reject", {"reason": "材料不全", "decided_on": "2020-07-01"}, w.manager)
    assert r.status_code == 200 and r.get_json()["rejected_on"] == "2020-07-01"


def test_bridge_approval_not_before_the_application_nor_in_the_future(world, db):  # noqa: ANN001
    loan = world.submit(submitted_on="2020-02-08")
    lid = loan["id"]
    before = counts(db)
    problem(world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-02-07"}, world.li), 422, "decided_on")
    problem(world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-04-01"}, world.li), 422, "decided_on")
    problem(world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2200-01-01"}, world.li), 422, "decided_on")
    assert counts(db) == before
    r = world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-02-08"}, world.li)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert r.get_json()["approvals"][0]["decided_on"] == "2020-02-08"


def test_disbursement_not_before_the_last_approval(world, db):  # noqa: ANN001
    """Dual approval: the second (last) approval's business date is the one the disbursement may not precede."""
    world.capital("10000000.00", "2020-02-07")
    loan = world.submit("6000000.00", submitted_on="2020-02-08")
    lid = loan["id"]
    assert world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-02-08"}, world.li).status_code == 200
    r = world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-02-11"}, world.wang)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    before = counts(db)
    body = problem(world.disburse(lid, "2020-02-10"), 422, "value_date")
    assert "2020-02-11" in body["detail"]
    assert counts(db) == before
    r = world.disburse(lid, "2020-02-11")
    assert r.status_code == 200 and r.get_json()["disbursed_on"] == "2020-02-11"


def test_approved_today_then_disbursed_back_dated_is_refused(world):  # noqa: ANN001
    world.capital("10000000.00", "2020-02-07")
    loan = world.submit(submitted_on="2020-02-08")
    assert world.post(f"/bridge-loans/{loan['id']}/approve", {}, world.li).status_code == 200  # today: 2020-03-31
    problem(world.disburse(loan["id"], "2020-02-10"), 422, "value_date")
    assert world.disburse(loan["id"], "2020-03-31").status_code == 200


def test_bridge_rejection_carries_its_business_date(world, db):  # noqa: ANN001
    loan = world.submit(submitted_on="2020-02-08")
    lid = loan["id"]
    problem(world.post(f"/bridge-loans/{lid}/reject", {"reason": "不符合条件", "decided_on": "2020-02-07"},
                       world.li), 422, "decided_on")
    r = world.post(f"/bridge-loans/{lid}/reject", {"reason": "不符合条件", "decided_on": "2020-02-08"}, world.li)
    assert r.status_code == 200 and r.get_json()["rejected_on"] == "2020-02-08"
    assert r.get_json()["status"] == "rejected"
    assert audit_count(db, entity_type="bridge_loan", entity_id=lid, action="reject") == 1


def test_a_decision_in_a_closed_month_is_refused(world, db):  # noqa: ANN001
    loan = world.submit(submitted_on="2020-02-08")
    close(db, "2020-02", "2020-02-29")
    problem(world.post(f"/bridge-loans/{loan['id']}/approve", {"decided_on": "2020-02-29"}, world.li),
            409, "decided_on")
    assert world.post(f"/bridge-loans/{loan['id']}/approve", {"decided_on": "2020-03-01"},
                      world.li).status_code == 200


# --- 10. date bounds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("submitted_on, status", [
    ("0001-01-01", 422), ("1899-12-31", 422), ("1900-01-01", 422), ("1999-12-31", 422), ("2000-01-01", 201),
])
def test_repro_submitted_on_before_the_fund_existed(world, db, submitted_on, status):  # noqa: ANN001
    """Issue 10 item 10: submitted_on 0001-01-01 and 1900-01-01 answered 201; established_on (2000-01-01) is the
    first day accepted."""
    before = counts(db)
    r = world.post("/bridge-loans", world.application(submitted_on=submitted_on), world.officer)
    if status == 201:
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["submitted_on"] == submitted_on
    else:
        problem(r, status, "submitted_on")
        assert counts(db) == before


def test_submitted_on_in_a_closed_month_is_409_and_the_next_day_ok(world, db):  # noqa: ANN001
    close(db, "2020-02", "2020-02-29")
    problem(world.post("/bridge-loans", world.application(submitted_on="2020-02-29"), world.officer),
            409, "submitted_on")
    r = world.post("/bridge-loans", world.application(submitted_on="2020-03-01"), world.officer)
    assert r.status_code == 201, r.get_json()


def test_established_on_is_a_fund_setting_that_bounds_every_business_date(world, client, db):  # noqa: ANN001
    settings = world.get("/fund/settings", world.admin).get_json()
    assert settings["established_on"] == "2000-01-01"
    new = {**settings, "established_on": "2020-02-01"}
    r = client.put("/api/v1/fund/settings", json=new, headers=world.admin)
    assert r.status_code == 200 and r.get_json()["established_on"] == "2020-02-01"
    assert audit_count(db, entity_type="fund", action="update_settings") == 1
    # the day before it: 422 on every kind of business date; the day itself: accepted
    problem(world.capital("1000.00", "2020-01-31"), 422, "value_date")
    assert world.capital("10000000.00", "2020-02-01").status_code == 201
    problem(world.post("/bridge-loans", world.application(submitted_on="2020-01-31"), world.officer),
            422, "submitted_on")
    loan = world.submit(submitted_on="2020-02-01")
    assert world.post(f"/bridge-loans/{loan['id']}/approve", {"decided_on": "2020-02-01"},
                      world.li).status_code == 200
    assert world.disburse(loan["id"], "2020-02-01").status_code == 200
    # it cannot move past a date the books already hold
    r = client.put("/api/v1/fund/settings", json={**new, "established_on": "2020-02-02"}, headers=world.admin)
    problem(r, 409, "established_on")
    problem(client.put("/api/v1/fund/settings", json={**new, "established_on": "1899-12-31"}, headers=world.admin),
            422, "established_on")


def test_pool_dates_are_bounded_by_established_on(pool_world, client):  # noqa: ANN001
    w = pool_world
    settings = client.get("/api/v1/fund/settings", headers=w.admin).get_json()
    # the world's contribution is dated 2019-06-28: established_on may be that day, not the day after
    r = client.put("/api/v1/fund/settings", json={**settings, "established_on": "2019-06-29"}, headers=w.admin)
    problem(r, 409, "established_on")
    r = client.put("/api/v1/fund/settings", json={**settings, "established_on": "2019-06-28"}, headers=w.admin)
    assert r.status_code == 200, r.get_json()
    problem(w.post("/pool/contributions", {"amount": "1.00", "value_date": "2019-06-27"}, w.admin), 422,
            "value_date")
    problem(w.post("/pool-loans", w.loan_body(start_date="2019-06-27"), w.officer), 422, "start_date")
    loan = w.post("/pool-loans", w.loan_body(start_date="2019-06-28"), w.officer).get_json()
    assert loan["start_date"] == "2019-06-28"
    problem(w.post(f"/pool-loans/{loan['id']}/write-off", {"value_date": "2019-06-27", "reason": "x"}, w.officer),
            422, "value_date")


def test_claimed_on_and_repayments_are_business_dates_too(pool_world, client, db):  # noqa: ANN001
    w = pool_world
    loan = w.loan(start_date="2020-01-15")
    close(db, "2020-05", "2020-05-31")
    problem(w.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": "2020-05-31"}, w.officer), 409, "claimed_on")
    problem(w.repay(loan["id"], "100.00", "2020-05-31"), 409, "value_date")
    assert w.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": "2020-06-01"}, w.officer).status_code == 201


@pytest.mark.parametrize("as_of, status", [
    ("1900-01-01", 200), ("2199-12-31", 200), ("1899-12-31", 422), ("2200-01-01", 422),
    ("0001-01-01", 422), ("9999-12-31", 422),
])
def test_as_of_bounds_are_the_same_on_every_endpoint(pool_world, factory, as_of, status):  # noqa: ANN001
    """Issue 10 item 10: GET /fund?as_of=0001-01-01 answered 200 while GET /pool?as_of=9999-12-31 answered 422."""
    w = pool_world
    bridge = World(w.client, factory)
    bridge.capital("5000000.00", "2020-02-07")
    bridge_loan = bridge.disbursed("1000000.00")
    pool_loan = w.loan()
    for path in ("/fund", "/pool", f"/bridge-loans/{bridge_loan['id']}", f"/pool-loans/{pool_loan['id']}"):
        r = w.get(path, w.manager, as_of=as_of)
        if status == 200:
            assert r.status_code == 200, (path, r.get_json())
            assert r.get_json()["as_of"] == as_of, path
        else:
            problem(r, 422, "query.as_of")
