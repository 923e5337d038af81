"""The risk-compensation pool through the HTTP API: settings, loans, repayments, claims, recoveries, suspension."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridgefund.models import Bank, PoolInstallment
from tests.api_support import assert_problem
from tests.conftest import audit_count
from tests.pool_support import D, PoolWorld, counts, pool_balance


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_settings_defaults_put_and_audit(world, db):  # noqa: ANN001
    r = world.get("/pool/settings")
    assert r.status_code == 200
    body = r.get_json()
    assert body["claim_after_days_overdue"] == 90 and body["leverage"] == "10.00"
    new = {**{k: v for k, v in body.items() if k != "updated_at"}, "max_annual_rate": "0.0600"}
    assert world.client.put("/api/v1/pool/settings", json=new, headers=world.manager).status_code == 403
    before = audit_count(db, entity_type="pool", action="update_settings")
    r = world.client.put("/api/v1/pool/settings", json=new, headers=world.admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["max_annual_rate"] == "0.06"
    assert audit_count(db, entity_type="pool", action="update_settings") == before + 1
    bad = {**new, "leverage": 7.5}
    r = world.client.put("/api/v1/pool/settings", json=bad, headers=world.admin)
    assert r.status_code == 422 and "leverage" in r.get_json()["errors"]


def test_loan_with_schedule_and_equal_installment_check_figure(world, db):  # noqa: ANN001
    loan = world.loan(principal="1000000.00", repayment_method="equal_installment", annual_rate="0.0435",
                      start_date="2020-01-31")
    assert loan["reference"].startswith("PL-2020-") and len(loan["reference"]) == 14
    schedule = loan["schedule"]
    assert len(schedule) == 12
    assert {D(i["principal"]) + D(i["interest"]) for i in schedule[:-1]} == {D("85309.90")}
    assert sum(D(i["principal"]) for i in schedule) == D("1000000.00")
    assert [i["due_date"] for i in schedule[:2]] == ["2020-02-29", "2020-03-31"]
    assert loan["status"] == "active" and loan["bank_id"] == world.bank.id
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="create") == 1
    r = world.get(f"/pool-loans/{loan['id']}/schedule", world.officer)
    assert r.status_code == 200 and len(r.get_json()) == 12


def test_repayments_waterfall_prepayment_and_as_of(world, db):  # noqa: ANN001
    loan = world.loan(principal="1200000.00", repayment_method="equal_principal", start_date="2020-01-15")
    first = loan["schedule"][0]
    assert first == {**first, "principal": "100000.00", "interest": "4350.00", "status": "overdue"}
    # pay the first installment 10 days late: penalty first, then interest, then principal
    r = world.repay(loan["id"], "104350.00", "2020-02-25")
    assert r.status_code == 201, r.get_json()
    rep = r.get_json()["repayment"]
    assert D(rep["penalty"]) > 0
    assert D(rep["penalty"]) + D(rep["interest"]) + D(rep["principal"]) == D("104350.00")
    # duplicate external reference for the same bank → 409
    again = world.repay(loan["id"], "1.00", "2020-02-25", ref=rep["external_ref"])
    assert again.status_code == 409
    # settle the remaining principal of installment 1 plus installment 2 and prepay 200,000
    v = world.get(f"/pool-loans/{loan['id']}", as_of="2020-03-15").get_json()
    due = D(v["amount_due"])
    r = world.repay(loan["id"], str(due + D("200000.00")), "2020-03-15")
    assert r.status_code == 201, r.get_json()
    after = r.get_json()["loan"]
    assert D(after["principal_outstanding"]) < D("1000000.00")
    assert sum(D(i["principal"]) for i in after["schedule"]) == D("1200000.00")
    # as of a date before the second repayment the loan is what it was then
    then = world.get(f"/pool-loans/{loan['id']}", as_of="2020-03-01").get_json()
    assert D(then["principal_outstanding"]) > D(after["principal_outstanding"])
    assert len(then["repayments"]) == 1
    # out-of-order value date → 422; overpayment → 422; nothing stored
    before = counts(db)
    assert world.repay(loan["id"], "10.00", "2020-03-01").status_code == 422
    assert world.repay(loan["id"], "99999999.00", "2020-03-20").status_code == 422
    assert counts(db) == before
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="repay") == 2


def test_paying_everything_closes_the_loan(world, db):  # noqa: ANN001
    loan = world.loan(principal="500000.00", repayment_method="bullet", term_months=3, start_date="2020-01-15")
    inst = loan["schedule"][0]
    r = world.repay(loan["id"], str(D(inst["principal"]) + D(inst["interest"])), inst["due_date"])
    assert r.status_code == 201
    assert r.get_json()["loan"]["status"] == "repaid"
    assert world.repay(loan["id"], "1.00", "2020-05-01").status_code == 409


@pytest.mark.parametrize("change,field,status", [
    ({"principal": "60000000.00"}, "principal", 422),          # above max_loan_amount
    ({"annual_rate": "0.0700"}, "annual_rate", 422),          # above the rate cap
    ({"start_date": "2030-01-01"}, "start_date", 422),        # in the future
    ({"repayment_method": "weekly"}, "repayment_method", 422),
    ({"principal": 1200000}, "principal", 422),               # a JSON number, not a string
    ({"principal": "1.005"}, "principal", 422),
    ({"term_months": 0}, "term_months", 422),
    ({"pool_share": "0.90", "guarantor_id": "G"}, "pool_share", 422),
    ({"enterprise_id": 999999}, "enterprise_id", 422),
    ({"start_date": "2019-01-01"}, "start_date", 409),        # the pool had no money yet
])
def test_loan_refusals_change_nothing(world, db, factory, change, field, status):  # noqa: ANN001
    if change.get("guarantor_id") == "G":
        from bridgefund.services import registry
        from bridgefund.services.actor import SYSTEM

        g = registry.create_guarantor(db, SYSTEM, name="测试担保公司", guarantee_share=D("0.20"))
        db.commit()
        change = {**change, "guarantor_id": g.id}
    before = counts(db)
    r = world.post("/pool-loans", world.loan_body(**change), world.officer)
    assert r.status_code == status, r.get_json()
    assert r.content_type == "application/problem+json"
    assert field in r.get_json().get("errors", {}), r.get_json()
    assert counts(db) == before


def test_ineligible_enterprises_and_duplicate_contracts(world, factory, db):  # noqa: ANN001
    large = factory.make_enterprise(size="large")
    outside = factory.make_enterprise(in_zone=False)
    for ent in (large, outside):
        r = world.post("/pool-loans", world.loan_body(enterprise_id=ent.id), world.officer)
        assert r.status_code == 422 and "enterprise_id" in r.get_json()["errors"]
    world.loan(contract_no="HT-DUP")
    r = world.post("/pool-loans", world.loan_body(contract_no="HT-DUP"), world.officer)
    assert r.status_code == 409
    # the same contract number at another bank is another loan
    r = world.post("/pool-loans", world.loan_body(contract_no="HT-DUP"), world.other_officer)
    assert r.status_code == 201


def test_quota_headroom_is_judged_from_the_start_date_on(client, factory, settings, db):  # noqa: ANN001
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory, quota="3000000.00")
    w.loan(principal="2000000.00", start_date="2020-03-01")
    r = w.post("/pool-loans", w.loan_body(principal="1500000.00", start_date="2020-03-02"), w.officer)
    assert r.status_code == 409 and "principal" in r.get_json()["errors"]
    # dated before the first loan, it still collides with it from 2020-03-01 on
    r = w.post("/pool-loans", w.loan_body(principal="1500000.00", start_date="2020-02-01"), w.officer)
    assert r.status_code == 409
    assert w.post("/pool-loans", w.loan_body(principal="1000000.00", start_date="2020-02-01"),
                  w.officer).status_code == 201
    banks = w.get("/banks", w.admin).get_json()["items"]
    mine = next(b for b in banks if b["id"] == w.bank.id)
    assert mine["pool_quota_used"] == "3000000.00"


def test_quota_total_is_bounded_by_leverage_times_contributions(world, db):  # noqa: ANN001
    # 100M contributed × 10 = 1,000M; bank A has 500M, bank B 100M
    r = world.client.patch(f"/api/v1/banks/{world.other_bank.id}", json={"pool_quota": "500000001.00"},
                           headers=world.admin)
    assert r.status_code == 409 and "pool_quota" in r.get_json()["errors"]
    r = world.client.patch(f"/api/v1/banks/{world.other_bank.id}", json={"pool_quota": "500000000.00"},
                           headers=world.admin)
    assert r.status_code == 200
    r = world.client.post("/api/v1/banks", json={"code": "NEWB", "name": "新银行", "pool_quota": "1.00"},
                          headers=world.admin)
    assert r.status_code == 409


def test_other_banks_loans_and_claims_are_not_found(world, db):  # noqa: ANN001
    loan = world.loan()
    for path in (f"/pool-loans/{loan['id']}", f"/pool-loans/{loan['id']}/schedule"):
        assert world.get(path, world.other_officer).status_code == 404
    assert world.repay(loan["id"], "1.00", "2020-02-01", headers=world.other_officer).status_code == 404
    listed = world.get("/pool-loans", world.other_officer, bank_id=world.bank.id).get_json()
    assert listed["total"] == 0
    r = world.post("/pool-loans", world.loan_body(bank_id=world.bank.id), world.other_officer)
    assert r.status_code == 403
    assert world.get("/pool", world.officer).status_code == 403


def test_claim_lifecycle_payout_and_recovery(world, db):  # noqa: ANN001
    loan = world.loan(principal="1200000.00", start_date="2020-01-15")
    # a current loan cannot be claimed; neither can one only 60 days past due
    for claimed_on in ("2020-02-01", "2020-04-14"):
        before = counts(db)
        r = world.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": claimed_on}, world.officer)
        assert r.status_code == 409 and "claimed_on" in r.get_json()["errors"]
        assert counts(db) == before
    # managers do not file, officers do not approve
    assert world.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": "2020-06-01"},
                      world.manager).status_code == 403
    r = world.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": "2020-06-01"}, world.officer)
    assert r.status_code == 201, r.get_json()
    claim = r.get_json()
    assert claim["reference"].startswith("CL-2020-") and claim["status"] == "filed"
    assert claim["amount"] == "600000.00"  # all 1.2M unpaid × 50%
    assert claim["days_past_due"] == 107
    assert world.post(f"/claims/{claim['id']}/approve", {}, world.officer).status_code == 403
    assert world.get(f"/claims/{claim['id']}", world.other_officer).status_code == 404
    assert world.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, world.manager).status_code == 409
    assert world.post(f"/claims/{claim['id']}/approve", {"comment": "核实无误", "decided_on": "2020-06-03"},
                      world.manager).status_code == 200
    assert world.post(f"/claims/{claim['id']}/approve", {}, world.manager).status_code == 409
    r = world.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, world.manager2)
    assert r.status_code == 200 and r.get_json()["status"] == "paid"
    assert pool_balance(db) == D("99400000.00")
    pos = world.get("/pool", as_of="2020-06-30").get_json()
    assert pos["claims_paid"] == "600000.00" and pos["balance"] == "99400000.00"
    assert world.get("/pool", as_of="2020-06-04").get_json()["claims_paid"] == "0.00"
    # repayments stop after a claim; recoveries share back half
    assert world.repay(loan["id"], "100.00", "2020-06-10").status_code == 409
    r = world.post(f"/pool-loans/{loan['id']}/recoveries",
                   {"amount": "300000.00", "value_date": "2020-07-01", "external_ref": "REC-1"}, world.officer)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["pool_amount"] == "150000.00"
    assert pool_balance(db) == D("99550000.00")
    r = world.post(f"/pool-loans/{loan['id']}/recoveries",
                   {"amount": "900000.01", "value_date": "2020-07-02", "external_ref": "REC-2"}, world.officer)
    assert r.status_code == 422
    assert world.get(f"/pool-loans/{loan['id']}", as_of="2020-07-01").get_json()["principal_outstanding"] == \
        "900000.00"
    for action in ("file", "approve", "pay"):
        assert audit_count(db, entity_type="claim", entity_id=claim["id"], action=action) == 1
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="recover") == 1
    listed = world.get("/claims", world.officer).get_json()
    assert listed["total"] == 1 and world.get("/claims", world.other_officer).get_json()["total"] == 0


def test_reject_needs_a_reason_and_allows_refiling(world, db):  # noqa: ANN001
    loan, claim = world.default_and_claim()
    assert world.post(f"/claims/{claim['id']}/reject", {}, world.manager).status_code == 422
    r = world.post(f"/claims/{claim['id']}/reject", {"reason": "材料不全"}, world.manager)
    assert r.status_code == 200 and r.get_json()["reason"] == "材料不全"
    assert r.get_json()["rejected_on"] == "2020-12-31"  # the fund's business date: earlier figures stay put
    r = world.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": "2020-06-02"}, world.officer)
    assert r.status_code == 201


def test_payout_beyond_the_pool_and_the_dated_rule(client, factory, settings, db):  # noqa: ANN001
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory, contribute="500000.00", quota="5000000.00")
    loan, claim = w.default_and_claim(principal="1200000.00")  # claim 600,000 > 500,000 in the pool
    assert w.post(f"/claims/{claim['id']}/approve", {"decided_on": "2020-06-01"}, w.manager).status_code == 200
    before = counts(db)
    r = w.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, w.manager)
    assert r.status_code == 409 and r.get_json()["available"] == "500000.00"
    assert counts(db) == before
    # money arriving later does not cover a payout dated before it
    w.post("/pool/contributions", {"amount": "200000.00", "value_date": "2020-06-10", "note": "top-up"}, w.admin)
    assert w.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, w.manager).status_code == 409
    assert w.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-10"}, w.manager).status_code == 200
    assert pool_balance(db) == D("100000.00")


def test_npl_suspends_the_bank_until_reinstated(world, db, factory):  # noqa: ANN001
    world.loan(principal="10000000.00", start_date="2020-01-15", repayment_method="interest_only")
    bad = world.loan(principal="1000000.00", start_date="2020-01-15")
    # on 2020-06-01 the bad loan is 107 days past due: 1.0M / 11.0M ≈ 9% > 5% → a new loan is refused
    before = counts(db)
    r = world.post("/pool-loans", world.loan_body(start_date="2020-06-01"), world.officer)
    assert r.status_code == 409 and r.get_json()["title"] == "Bank suspended"
    assert counts(db) == before
    # earlier dates are still open
    assert world.post("/pool-loans", world.loan_body(start_date="2020-03-01"), world.officer).status_code == 201
    # filing the claim stores the suspension
    r = world.post(f"/pool-loans/{bad['id']}/claims", {"claimed_on": "2020-06-01"}, world.officer)
    assert r.status_code == 201
    bank = world.get(f"/banks/{world.bank.id}", world.officer).get_json()
    assert bank["status"] == "suspended" and bank["suspended_on"] == "2020-06-01"
    assert D(bank["npl_ratio"]) > D("0.05")
    assert audit_count(db, entity_type="bank", entity_id=world.bank.id, action="suspend") == 1
    assert world.post("/pool-loans", world.loan_body(start_date="2020-07-01"), world.officer).status_code == 409
    # an admin reinstates from 2020-07-01 with a reason (a dated status); the override holds although the ratio
    # is still high — from the reinstatement's date on, not before it
    r = world.client.patch(f"/api/v1/banks/{world.bank.id}", headers=world.admin,
                           json={"status": "active", "reason": "整改完成", "effective_from": "2020-07-01"})
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    assert world.post("/pool-loans", world.loan_body(start_date="2020-07-01"), world.officer).status_code == 201
    assert world.post("/pool-loans", world.loan_body(start_date="2020-06-30"), world.officer).status_code == 409
    assert db.get(Bank, world.bank.id).latest_status == "active"


def test_lists_filter_by_classification_with_constant_queries(world, db, count_queries):  # noqa: ANN001
    current = world.loan(start_date="2020-05-20")  # reported first: later the others would suspend the bank
    for _ in range(3):
        world.loan(start_date="2020-01-15")                       # never paid
    pages = {}
    for grade in ("normal", "special_mention", "substandard", "doubtful", "loss"):
        r = world.get("/pool-loans", world.officer, classification=grade, as_of="2020-06-01")
        assert r.status_code == 200, r.get_json()
        pages[grade] = [i["id"] for i in r.get_json()["items"]]
        for item in r.get_json()["items"]:
            assert item["classification"] == grade
    assert pages["normal"] == [current["id"]] and len(pages["substandard"]) == 3
    with count_queries() as small:
        world.get("/pool-loans", world.manager, page_size=1)
    with count_queries() as large:
        world.get("/pool-loans", world.manager, page_size=100)
    assert small[0] == large[0]
    with count_queries() as banks_small:
        world.get("/banks", world.admin, page_size=1)
    with count_queries() as banks_large:
        world.get("/banks", world.admin, page_size=100)
    assert banks_small[0] == banks_large[0]


def test_repayment_rows_track_settlement(world, db):  # noqa: ANN001
    loan = world.loan(principal="300000.00", term_months=3, start_date="2020-01-15")
    s = loan["schedule"][0]
    world.repay(loan["id"], str(D(s["principal"]) + D(s["interest"])), s["due_date"])
    rows = db.scalars(select(PoolInstallment).where(PoolInstallment.loan_id == loan["id"])
                      .order_by(PoolInstallment.seq)).all()
    assert rows[0].settled_on.isoformat() == s["due_date"] and rows[1].settled_on is None


@pytest.mark.parametrize("path", ["/pool", "/pool-loans", "/pool-loans/{id}", "/pool-loans/{id}/schedule"])
@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "2020-02-30", "yesterday"])
def test_absurd_dates_are_422_not_500(world, path, as_of):  # noqa: ANN001
    loan = world.loan()
    r = world.get(path.format(id=loan["id"]), world.manager, as_of=as_of)
    assert r.status_code == 422 and "query.as_of" in r.get_json()["errors"]
    r = world.post("/pool-loans", world.loan_body(start_date="0001-01-01"), world.officer)
    assert r.status_code == 422 and "start_date" in r.get_json()["errors"]


def test_actions_without_a_body(world):  # noqa: ANN001
    """No body is an empty body where every field is optional; a malformed or missing required body changes nothing."""
    loan, claim = world.default_and_claim()
    r = world.client.post(f"/api/v1/claims/{claim['id']}/approve", headers=world.manager)
    assert r.status_code == 200, r.get_json()  # the comment is optional
    assert r.get_json()["status"] == "approved" and r.get_json()["approval_comment"] is None
    r = world.client.post(f"/api/v1/claims/{claim['id']}/pay", data="{not json", headers=world.manager,
                          content_type="application/json")
    assert_problem(r, 400, "body")
    r = world.client.post(f"/api/v1/claims/{claim['id']}/pay", headers=world.manager)
    assert_problem(r, 422, "value_date")
    shown = world.get(f"/claims/{claim['id']}", world.manager).get_json()
    assert shown["status"] == "approved" and shown["paid_on"] is None


def test_a_contribution_answers_with_the_pool_balance_after_it(client, factory, settings):  # noqa: ANN001
    """The created ledger entry carries ``balance_after`` as the ledger shows it (was null: a schema violation)."""
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory, contribute="100000000.00")  # booked on its own date
    later = w.post("/pool/contributions", {"amount": "1000.00", "value_date": "2020-06-30", "note": "x"}, w.admin)
    assert later.status_code == 201 and later.get_json()["balance_after"] == "100001000.00", later.get_json()
    ledger = w.get("/pool/ledger").get_json()["items"]
    assert next(e for e in ledger if e["id"] == later.get_json()["id"])["balance_after"] == "100001000.00"
