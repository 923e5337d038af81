"""Bridge loans through the HTTP API: every transition, every refusal of API.md, the fee math end to end.

"Today" is pinned to 2020-03-31 (the fund's timezone) so value dates of spring 2020 are in the past.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bridgefund.models import Bank, ClosedPeriod, Enterprise
from bridgefund.services import bank_terms
from tests.bridge_support import D, World, check_invariants, counts
from tests.conftest import audit_count


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


def problem(r, status: int, field: str | None = None) -> dict:  # noqa: ANN001
    body = r.get_json()
    assert r.status_code == status, body
    assert r.content_type == "application/problem+json"
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def loan_audits(db, loan_id: int) -> int:  # noqa: ANN001
    return audit_count(db, entity_type="bridge_loan", entity_id=loan_id)


# --- the happy path and the worked fee example -------------------------------------------------------------


def test_worked_example_5_7_million_for_8_days(world, db):  # noqa: ANN001
    assert world.capital("10000000.00").status_code == 201
    loan = world.disbursed("5700000.00", term_days=8)
    assert loan["status"] == "disbursed" and loan["due_date"] == "2020-02-18"
    assert loan["reference"] == "BL-2020-000001"  # the year's first application
    body = world.get(f"/bridge-loans/{loan['id']}", as_of="2020-02-18").get_json()
    # 5,700,000 × 0.0002 × 5 + 5,700,000 × 0.0004 × 3 = 5,700 + 6,840
    assert (body["fee_accrued"], body["penalty_accrued"], body["amount_due"]) == ("12540.00", "0.00", "5712540.00")
    assert body["fee_tiers"] == [{"from_day": 1, "daily_rate": "0.0002"}, {"from_day": 6, "daily_rate": "0.0004"}]
    mid = world.get(f"/bridge-loans/{loan['id']}", as_of="2020-02-13").get_json()
    assert mid["fee_accrued"] == "3420.00" and mid["overdue"] is False  # 3 days at 0.2‰
    r = world.repay(loan["id"], "5712540.00", "2020-02-18", "RN-1")
    out = r.get_json()
    assert r.status_code == 201, out
    assert out["repayment"] | {"id": 0, "created_at": ""} == {
        "id": 0, "created_at": "", "amount": "5712540.00", "value_date": "2020-02-18", "external_ref": "RN-1",
        "penalty": "0.00", "fee": "12540.00", "principal": "5700000.00"}
    assert out["loan"]["status"] == "repaid" and out["loan"]["repaid_on"] == "2020-02-18"
    assert out["loan"]["amount_due"] == "0.00" and out["loan"]["principal_outstanding"] == "0.00"
    sums = check_invariants(db)
    assert sums["cash"] == D("10012540.00")
    f = world.get("/fund", as_of="2020-03-31").get_json()
    assert f["fee_income"] == "12540.00" and f["cash_balance"] == "10012540.00"
    assert f["average_days_used"] == "8.00" and f["turnover"] == "0.5700"


def test_late_repayment_charges_penalty_instead_of_fee(world, db):  # noqa: ANN001
    world.capital("5000000.00")
    loan = world.disbursed("1000000.00", term_days=10)  # due 2020-02-20
    late = world.get(f"/bridge-loans/{loan['id']}", as_of="2020-02-23").get_json()
    # fee 1,000,000 × (0.0002 × 5 + 0.0004 × 5) = 3,000; penalty 1,000,000 × 0.0005 × 3 = 1,500
    assert (late["fee_accrued"], late["penalty_accrued"], late["amount_due"]) == ("3000.00", "1500.00", "1004500.00")
    assert late["overdue"] is True and late["days_overdue"] == 3
    listed = world.get("/bridge-loans", overdue="true", as_of="2020-02-23").get_json()
    assert [x["id"] for x in listed["items"]] == [loan["id"]]
    # a partial payment goes to the penalty first, then the fee, then principal
    part = world.repay(loan["id"], "2000.00", "2020-02-23", "RN-A").get_json()["repayment"]
    assert (part["penalty"], part["fee"], part["principal"]) == ("1500.00", "500.00", "0.00")
    rest = world.repay(loan["id"], "1002500.00", "2020-02-23", "RN-B").get_json()
    assert rest["repayment"]["fee"] == "2500.00" and rest["loan"]["status"] == "repaid"
    f = world.get("/fund", as_of="2020-02-23").get_json()
    assert (f["penalty_income"], f["fee_income"], f["overdue_count"]) == ("1500.00", "3000.00", 0)
    # the list answers for a past date as it would have then
    assert [x["id"] for x in world.get("/bridge-loans", overdue="true", as_of="2020-02-22").get_json()["items"]] == [
        loan["id"]]
    assert world.get("/bridge-loans", overdue="true", as_of="2020-02-23").get_json()["total"] == 0
    before = world.get("/fund", as_of="2020-02-22").get_json()
    assert before["overdue_count"] == 1 and before["overdue_amount"] == "1000000.00"
    check_invariants(db)


# --- settings ----------------------------------------------------------------------------------------------


def test_settings_read_write_audit_and_snapshot(world, db, client, factory):  # noqa: ANN001
    r = world.get("/fund/settings", world.auditor)
    assert r.status_code == 200 and r.get_json()["max_term_days"] == 10
    assert world.get("/fund/settings", world.officer).status_code == 403
    world.capital("10000000.00")
    loan = world.approved("1000000.00", term_days=7)
    new = {"fee_tiers": [{"from_day": 1, "daily_rate": "0.0003"}], "penalty_daily_rate": "0.001",
           "max_term_days": 15, "per_enterprise_cap": "8000000.00", "max_share_of_renewal": "0.90",
           "dual_approval_threshold": "3000000.00", "default_after_days": 20}
    before = audit_count(db, entity_type="fund", action="update_settings")
    r = client.put("/api/v1/fund/settings", json=new, headers=world.admin)
    assert r.status_code == 200 and r.get_json() == {**new, "established_on": "2000-01-01",  # kept when absent
                                                     "market_bridge_daily_rate": "0.001",
                                                     "roll_due_date_to_working_day": True,
                                                     "required_documents": []}
    assert audit_count(db, entity_type="fund", action="update_settings") == before + 1
    assert client.put("/api/v1/fund/settings", json=new, headers=world.li).status_code == 403
    # the approved loan keeps the settings of its approval
    shown = world.get(f"/bridge-loans/{loan['id']}").get_json()
    assert shown["fee_tiers"][0]["daily_rate"] == "0.0002" and shown["penalty_daily_rate"] == "0.0005"
    world.disburse(loan["id"], "2020-02-10")
    due = world.get(f"/bridge-loans/{loan['id']}", as_of="2020-02-17").get_json()
    assert due["fee_accrued"] == "1800.00"  # 1,000,000 × (0.0002 × 5 + 0.0004 × 2), not 0.0003 × 7


@pytest.mark.parametrize("change, field", [
    ({"fee_tiers": []}, "fee_tiers"),
    ({"fee_tiers": [{"from_day": 2, "daily_rate": "0.0002"}]}, "fee_tiers"),
    ({"fee_tiers": [{"from_day": 1, "daily_rate": "0.0002"}, {"from_day": 1, "daily_rate": "0.0003"}]}, "fee_tiers"),
    ({"fee_tiers": [{"from_day": 1, "daily_rate": 0.0002}]}, "fee_tiers.0.daily_rate"),
    ({"penalty_daily_rate": "-0.1"}, "penalty_daily_rate"),
    ({"max_term_days": 0}, "max_term_days"),
    ({"max_share_of_renewal": "1.5"}, "max_share_of_renewal"),
    ({"per_enterprise_cap": "0.00"}, "per_enterprise_cap"),
    ({"default_after_days": 10**12}, "default_after_days"),
])
def test_settings_refusals(world, client, db, change, field):  # noqa: ANN001
    body = world.get("/fund/settings").get_json() | change
    before = counts(db)
    problem(client.put("/api/v1/fund/settings", json=body, headers=world.admin), 422, field)
    assert counts(db) == before


# --- capital ------------------------------------------------------------------------------------------------


def test_capital_in_out_and_refusals(world, db):  # noqa: ANN001
    r = world.capital("1000000.00")
    assert r.status_code == 201
    assert r.get_json() | {"id": 0, "created_at": "", "created_by": 0} == {
        "id": 0, "created_at": "", "created_by": 0, "value_date": "2020-02-07", "kind": "capital_in",
        "amount": "1000000.00", "cash_delta": "1000000.00", "balance_after": "1000000.00", "bridge_loan_id": None,
        "note": "tranche"}
    assert audit_count(db, entity_type="fund", action="capital_in") == 1
    before = counts(db)
    problem(world.capital("1000000.01", "2020-02-08", "out"), 409, "amount")
    problem(world.capital("100.00", "2020-04-01"), 422, "value_date")  # the future
    problem(world.capital("-5.00"), 422, "amount")
    problem(world.capital("5.001"), 422, "amount")
    problem(world.post("/fund/capital", {"amount": 5, "value_date": "2020-02-07", "direction": "in"}, world.admin),
            422, "amount")
    problem(world.capital("5.00", direction="sideways"), 422, "direction")
    problem(world.capital("5.00", "2020-02-30"), 422, "value_date")
    problem(world.post("/fund/capital", {"amount": "5.00", "value_date": "2020-02-07", "direction": "in"},
                       world.li), 403)
    assert counts(db) == before
    out = world.capital("400000.00", "2020-02-09", "out")
    assert out.status_code == 201 and out.get_json()["balance_after"] == "600000.00"
    # the note is optional
    bare = world.post("/fund/capital", {"amount": "1.00", "value_date": "2020-02-09", "direction": "in"}, world.admin)
    assert bare.status_code == 201 and bare.get_json()["note"] is None
    check_invariants(db)


def test_back_dated_money_out_may_not_overdraw_a_later_day(world, db):  # noqa: ANN001
    world.capital("10000000.00", "2020-02-07")
    world.disbursed("8000000.00", value_date="2020-02-20")
    # on 2020-02-10 the cash is 10 million, but from 2020-02-20 on it is 2 million
    body = problem(world.capital("5000000.00", "2020-02-10", "out"), 409, "amount")
    assert body["available"] == "2000000.00" and "2020-02-20" in body["detail"]
    late = world.approved("3000000.00", enterprise_id=world.factory.make_enterprise().id)
    problem(world.disburse(late["id"], "2020-02-12"), 409, "amount")
    assert world.capital("2000000.00", "2020-02-10", "out").status_code == 201
    check_invariants(db)


def test_closed_period_refuses_value_dates_in_it(world, db):  # noqa: ANN001
    world.capital("5000000.00", "2020-02-07")
    loan = world.approved("1000000.00")
    db.add(ClosedPeriod(period="2020-02", last_day=dt.date(2020, 2, 29)))
    db.commit()
    problem(world.capital("5.00", "2020-02-28"), 409, "value_date")
    problem(world.disburse(loan["id"], "2020-02-28"), 409, "value_date")
    assert world.disburse(loan["id"], "2020-03-02").status_code == 200


# --- submission rules ------------------------------------------------------------------------------------


def test_submission_refusals_name_the_field_and_change_nothing(world, db, factory):  # noqa: ANN001
    large = factory.make_enterprise(size="large")
    outside = factory.make_enterprise(in_zone=False)
    app = world.application
    cases = [
        (app("1000000.00", maturing_amount="900000.00"), 422, "amount"),
        (app("1000000.00", renewal_amount="1000000.00"), 422, "amount"),  # > 95% of the renewal
        (app("1000000.00", term_days=11), 422, "term_days"),
        (app("1000000.00", term_days=0), 422, "term_days"),
        (app("1000000.00", term_days=10**15), 422, "term_days"),
        (app("1000000.00", enterprise_id=large.id), 422, "enterprise_id"),
        (app("1000000.00", enterprise_id=outside.id), 422, "enterprise_id"),
        (app("1000000.00", enterprise_id=2**31 - 1), 422, "enterprise_id"),
        (app("10000000.01"), 422, "amount"),  # over the per-enterprise cap on its own
        (app("0.00"), 422, "amount"),
        (app("1000000.00", submitted_on="2020-04-01"), 422, "submitted_on"),
        (app("1000000.00", purpose="x" * 501), 422, "purpose"),
        (app("1000000.00", purpose="a\x00b"), 422, "purpose"),  # PostgreSQL text cannot hold NUL
        (app("1000000.00", maturing_loan={"contract_no": "", "amount": "1.00", "due_date": "2020-02-10"}), 422,
         "maturing_loan.contract_no"),
        (app("1000000.00", surprise=1), 422, "surprise"),
        ({**app("1000000.00"), "amount": 1000000}, 422, "amount"),
    ]
    other = factory.make_bank()
    before = counts(db)
    for body, status, field in cases:
        problem(world.post("/bridge-loans", body, world.officer), status, field)
    problem(world.post("/bridge-loans", app("1000000.00"), world.li), 422, "bank_id")  # a manager names the bank
    problem(world.post("/bridge-loans", app("1000000.00", bank_id=other.id), world.officer), 403, "bank_id")
    problem(world.post("/bridge-loans", app("1000000.00"), world.auditor), 403)
    assert counts(db) == before


def test_per_enterprise_cap_counts_other_open_loans(world, db):  # noqa: ANN001
    world.submit("6000000.00")
    body = problem(world.post("/bridge-loans", world.application("4000000.01"), world.officer), 422, "amount")
    assert "cap" in body["errors"]["amount"][0]
    assert world.post("/bridge-loans", world.application("4000000.00"), world.officer).status_code == 201


def test_suspended_bank_takes_no_new_bridge_loans(world, db):  # noqa: ANN001
    bank = db.get(Bank, world.bank.id)
    bank.status_reason = "NPL ratio over 5%"
    bank_terms.change(db, None, bank, dt.date(2020, 2, 15), {"status": "suspended"}, bank.status_reason)
    db.commit()
    # judged as of the application date: before the suspension it is accepted
    assert world.post("/bridge-loans", world.application(submitted_on="2020-02-14"), world.officer).status_code == 201
    before = counts(db)
    problem(world.post("/bridge-loans", world.application(submitted_on="2020-02-15"), world.officer), 409, "bank_id")
    assert counts(db) == before


def test_fund_manager_submits_for_any_bank(world, factory):  # noqa: ANN001
    other = factory.make_bank()
    loan = world.submit(headers=world.li, bank_id=other.id)
    assert loan["bank_id"] == other.id and loan["status"] == "submitted"
    # the officer of another bank cannot see it
    assert world.get(f"/bridge-loans/{loan['id']}", world.officer).status_code == 404


# --- review: maker-checker, reject, withdraw, cancel ------------------------------------------------------


def test_dual_approval_by_two_different_managers(world, db):  # noqa: ANN001
    loan = world.submit("5000000.00")  # at the threshold
    n = loan_audits(db, loan["id"])
    first = world.post(f"/bridge-loans/{loan['id']}/approve", {"comment": "材料齐全"}, world.li).get_json()
    assert first["status"] == "submitted" and len(first["approvals"]) == 1 and first["required_approvals"] == 2
    assert first["fee_tiers"] is None
    problem(world.post(f"/bridge-loans/{loan['id']}/approve", {}, world.li), 409, "approvals")
    second = world.post(f"/bridge-loans/{loan['id']}/approve", {}, world.wang).get_json()
    assert second["status"] == "approved" and [a["manager_id"] for a in second["approvals"]] == [
        world.li_user.id, world.wang_user.id]
    assert second["fee_tiers"] is not None and second["penalty_daily_rate"] == "0.0005"
    assert loan_audits(db, loan["id"]) == n + 2
    problem(world.post(f"/bridge-loans/{loan['id']}/approve", {}, world.factory.as_role("fund_manager")), 409,
            "status")


def test_below_threshold_one_approval_and_never_the_submitter(world, factory):  # noqa: ANN001
    loan = world.submit("4999999.99")
    assert world.post(f"/bridge-loans/{loan['id']}/approve", {}, world.li).get_json()["status"] == "approved"
    own = world.submit("100000.00", headers=world.li, bank_id=world.bank.id,
                       enterprise_id=factory.make_enterprise().id)
    problem(world.post(f"/bridge-loans/{own['id']}/approve", {}, world.li), 403, "approvals")
    assert world.post(f"/bridge-loans/{own['id']}/approve", {}, world.wang).status_code == 200


def test_reject_withdraw_cancel_and_illegal_transitions(world, db, factory):  # noqa: ANN001
    a = world.submit("100000.00")
    problem(world.post(f"/bridge-loans/{a['id']}/reject", {}, world.li), 422, "reason")
    problem(world.post(f"/bridge-loans/{a['id']}/reject", {"reason": ""}, world.li), 422, "reason")
    r = world.post(f"/bridge-loans/{a['id']}/reject", {"reason": "续贷承诺函缺失"}, world.li).get_json()
    assert r["status"] == "rejected" and r["status_reason"] == "续贷承诺函缺失"
    body = problem(world.post(f"/bridge-loans/{a['id']}/approve", {}, world.li), 409, "status")
    assert "rejected" in body["detail"] and body["current_status"] == "rejected"

    b = world.submit("100000.00")
    other_officer = factory.as_role("bank_officer", factory.make_bank())
    problem(world.post(f"/bridge-loans/{b['id']}/withdraw", {}, other_officer), 404)
    problem(world.post(f"/bridge-loans/{b['id']}/withdraw", {}, world.li), 403)
    assert world.post(f"/bridge-loans/{b['id']}/withdraw", {}, world.officer).get_json()["status"] == "withdrawn"
    problem(world.post(f"/bridge-loans/{b['id']}/withdraw", {}, world.officer), 409, "status")

    c = world.approved("100000.00")
    problem(world.post(f"/bridge-loans/{c['id']}/withdraw", {}, world.officer), 409, "status")
    problem(world.post(f"/bridge-loans/{c['id']}/reject", {"reason": "late"}, world.li), 409, "status")
    assert world.post(f"/bridge-loans/{c['id']}/cancel", {}, world.li).get_json()["status"] == "cancelled"
    problem(world.disburse(c["id"], "2020-02-10"), 409, "status")
    d = world.submit("100000.00")
    problem(world.post(f"/bridge-loans/{d['id']}/cancel", {}, world.li), 409, "status")
    problem(world.disburse(d["id"], "2020-02-10"), 409, "status")
    problem(world.repay(d["id"], "1.00", "2020-02-10", "X"), 409, "status")
    problem(world.post(f"/bridge-loans/{d['id']}/default", {}, world.li), 409, "status")
    problem(world.post(f"/bridge-loans/{d['id']}/write-off", {"reason": "x"}, world.li), 409, "status")
    problem(world.post("/bridge-loans/999999/approve", {}, world.li), 404)


# --- disbursement ----------------------------------------------------------------------------------------


def test_disburse_refusals(world, db):  # noqa: ANN001
    world.capital("1000000.00")
    loan = world.approved("1500000.00")
    before = counts(db)
    body = problem(world.disburse(loan["id"], "2020-02-10"), 409, "amount")
    assert body["available"] == "1000000.00"
    problem(world.disburse(loan["id"], "2020-04-01"), 422, "value_date")
    problem(world.disburse(loan["id"], "2020-02-07"), 422, "value_date")  # before the application
    problem(world.post(f"/bridge-loans/{loan['id']}/disburse", {}, world.li), 422, "value_date")
    problem(world.post(f"/bridge-loans/{loan['id']}/disburse", {"value_date": "2020-02-10"}, world.officer), 403)
    assert counts(db) == before
    world.capital("500000.00", "2020-02-09")
    ok = world.disburse(loan["id"], "2020-02-10")
    assert ok.status_code == 200 and ok.get_json()["due_date"] == "2020-02-20"
    problem(world.disburse(loan["id"], "2020-02-10"), 409, "status")
    f = world.get("/fund", as_of="2020-02-10").get_json()
    assert (f["cash_balance"], f["outstanding_principal"], f["utilization"]) == ("0.00", "1500000.00", "1.0000")
    check_invariants(db)


def test_idempotent_disburse_and_repay_replay(world, db):  # noqa: ANN001
    world.capital("3000000.00")
    loan = world.approved("1000000.00")
    h = world.li | {"Idempotency-Key": "disburse-1"}
    url = f"/api/v1/bridge-loans/{loan['id']}/disburse"
    a = world.client.post(url, json={"value_date": "2020-02-10"}, headers=h)
    b = world.client.post(url, json={"value_date": "2020-02-10"}, headers=h)
    assert a.status_code == b.status_code == 200 and b.headers["Idempotent-Replayed"] == "true"
    assert a.get_json() == b.get_json()
    h = world.officer | {"Idempotency-Key": "repay-1"}
    url = f"/api/v1/bridge-loans/{loan['id']}/repayments"
    body = {"amount": "500000.00", "value_date": "2020-02-15", "external_ref": "RN-77"}
    a = world.client.post(url, json=body, headers=h)
    b = world.client.post(url, json=body, headers=h)
    assert a.status_code == b.status_code == 201 and a.get_json() == b.get_json()
    sums = check_invariants(db)
    assert sums["disbursement"] == D("1000000.00") and sums["principal_repaid"] + sums["fee"] == D("500000.00")


# --- repayments ------------------------------------------------------------------------------------------


def test_repayment_refusals(world, db, factory):  # noqa: ANN001
    world.capital("5000000.00")
    loan = world.disbursed("1000000.00")
    lid = loan["id"]
    other_officer = factory.as_role("bank_officer", factory.make_bank())
    before = counts(db)
    body = problem(world.repay(lid, "1003000.01", "2020-02-20", "RN-1"), 422, "amount")  # due: 1,003,000.00
    assert body["amount_due"] == "1003000.00"
    problem(world.repay(lid, "100.00", "2020-02-09", "RN-1"), 422, "value_date")  # before disbursement
    problem(world.repay(lid, "100.00", "2020-04-01", "RN-1"), 422, "value_date")  # future
    problem(world.repay(lid, "0.00", "2020-02-12", "RN-1"), 422, "amount")
    problem(world.repay(lid, "100.00", "2020-02-12", ""), 422, "external_ref")
    problem(world.repay(lid, "100.00", "2020-02-12", "R" * 65), 422, "external_ref")
    problem(world.repay(lid, "100.00", "2020-02-12", "RN-1", other_officer), 404)
    problem(world.repay(lid, "100.00", "2020-02-12", "RN-1", world.auditor), 403)
    assert counts(db) == before
    assert world.repay(lid, "100000.00", "2020-02-15", "RN-1").status_code == 201
    problem(world.repay(lid, "100.00", "2020-02-16", "RN-1"), 409, "external_ref")  # same bank, same ref
    problem(world.repay(lid, "100.00", "2020-02-14", "RN-2"), 422, "value_date")  # before the previous one
    assert world.repay(lid, "100.00", "2020-02-16", "RN-2", world.li).status_code == 201  # a manager may record it
    check_invariants(db)


def test_external_ref_is_unique_per_bank_only(world, factory, db):  # noqa: ANN001
    world.capital("5000000.00")
    mine = world.disbursed("1000000.00")
    other_bank = factory.make_bank()
    theirs = world.submit("1000000.00", headers=world.li, bank_id=other_bank.id,
                          enterprise_id=factory.make_enterprise().id)
    world.post(f"/bridge-loans/{theirs['id']}/approve", {"decided_on": "2020-02-08"}, world.wang)
    world.disburse(theirs["id"], "2020-02-10")
    assert world.repay(mine["id"], "1000.00", "2020-02-12", "SAME").status_code == 201
    assert world.repay(theirs["id"], "1000.00", "2020-02-12", "SAME", world.li).status_code == 201


# --- default, write-off, recovery -------------------------------------------------------------------------


def test_default_write_off_and_recovery(world, db):  # noqa: ANN001
    world.capital("5000000.00")
    loan = world.disbursed("1000000.00")  # due 2020-02-20; default after 30 days overdue → 2020-03-21
    lid = loan["id"]
    problem(world.post(f"/bridge-loans/{lid}/default", {"value_date": "2020-03-20"}, world.li), 409, "days_overdue")
    problem(world.post(f"/bridge-loans/{lid}/write-off", {"reason": "x"}, world.li), 409, "status")
    n = loan_audits(db, lid)
    d = world.post(f"/bridge-loans/{lid}/default", {"value_date": "2020-03-21"}, world.li).get_json()
    assert d["status"] == "defaulted" and d["defaulted_on"] == "2020-03-21" and d["days_overdue"] == 40
    assert loan_audits(db, lid) == n + 1
    # a defaulted loan can still be repaid in part
    part = world.repay(lid, "50000.00", "2020-03-22", "RN-D").get_json()
    assert part["loan"]["status"] == "defaulted"
    assert part["repayment"]["penalty"] == "15500.00"  # 31 days × 1,000,000 × 0.0005
    problem(world.post(f"/bridge-loans/{lid}/write-off", {"reason": " "}, world.li), 422, "reason")
    problem(world.post(f"/bridge-loans/{lid}/write-off", {"reason": "破产", "value_date": "2020-03-21"}, world.li),
            422, "value_date")
    w = world.post(f"/bridge-loans/{lid}/write-off", {"reason": "企业破产清算", "value_date": "2020-03-25"},
                   world.li).get_json()
    principal_left = D("1000000.00") - (D("50000.00") - D("15500.00") - D("3000.00"))
    assert w["status"] == "written_off" and w["written_off_amount"] == f"{principal_left:.2f}"
    assert w["principal_outstanding"] == "0.00"
    problem(world.repay(lid, "1.00", "2020-03-26", "RN-E"), 409, "status")
    f = world.get("/fund", as_of="2020-03-25").get_json()
    assert f["losses"] == f"{principal_left:.2f}" and f["outstanding_principal"] == "0.00"
    assert f["overdue_count"] == 0
    assert world.get("/fund", as_of="2020-03-24").get_json()["overdue_count"] == 1
    problem(world.post(f"/bridge-loans/{lid}/recoveries", {"amount": "968500.01", "value_date": "2020-03-26"},
                       world.li), 422, "amount")
    r = world.post(f"/bridge-loans/{lid}/recoveries", {"amount": "100000.00", "value_date": "2020-03-26"}, world.li)
    assert r.status_code == 201 and r.get_json()["recovered"] == "100000.00"
    assert world.get("/fund", as_of="2020-03-31").get_json()["recoveries"] == "100000.00"
    check_invariants(db)


# --- views and lists ------------------------------------------------------------------------------------------


def test_lists_filter_and_scope(world, db, factory, client):  # noqa: ANN001
    world.capital("20000000.00")
    e2, e3 = factory.make_enterprise(), factory.make_enterprise()
    a = world.disbursed("1000000.00", value_date="2020-02-10")
    b = world.disbursed("1000000.00", value_date="2020-02-20", enterprise_id=e2.id)
    c = world.submit("1000000.00", enterprise_id=e3.id)
    other_bank = factory.make_bank()
    foreign = world.submit("1000000.00", headers=world.li, bank_id=other_bank.id,
                           enterprise_id=factory.make_enterprise().id)

    def ids(headers=None, **q):  # noqa: ANN001, ANN202
        r = world.get("/bridge-loans", headers or world.li, **q)
        assert r.status_code == 200, r.get_json()
        return [x["id"] for x in r.get_json()["items"]]

    assert ids() == [foreign["id"], c["id"], b["id"], a["id"]]
    assert ids(world.officer) == [c["id"], b["id"], a["id"]]
    assert ids(world.officer, bank_id=other_bank.id) == []
    assert world.get(f"/bridge-loans/{foreign['id']}", world.officer).status_code == 404
    assert ids(status="submitted") == [foreign["id"], c["id"]]
    assert ids(enterprise_id=e2.id) == [b["id"]]
    assert ids(disbursed_from="2020-02-15") == [b["id"]]
    assert ids(disbursed_to="2020-02-15") == [a["id"]]
    assert ids(overdue="true", as_of="2020-02-25") == [a["id"]]
    assert ids(overdue="false", as_of="2020-02-25") == [foreign["id"], c["id"], b["id"]]
    assert ids(world.auditor, bank_id=world.bank.id, page_size=2) == [c["id"], b["id"]]
    problem(world.get("/bridge-loans", world.li, status="lost"), 422, "query.status")
    problem(world.get("/bridge-loans", world.li, page_size=501), 422, "query.page_size")
    problem(world.get("/bridge-loans", world.li, disbursed_from="2020-03-01", disbursed_to="2020-02-01"), 422)
    problem(world.get(f"/bridge-loans/{a['id']}", world.li, as_of="yesterday"), 422, "query.as_of")
    shown = world.get(f"/bridge-loans/{a['id']}", as_of="2020-02-09").get_json()  # before disbursement
    assert shown["fee_accrued"] == "0.00" and shown["principal_outstanding"] == "0.00"
    assert shown["enterprise"]["id"] == world.enterprise.id and shown["maturing_loan"]["amount"] == "1000000.00"
    assert shown["renewal"] == {"status": "committed", "amount": "2000000.00", "expected_date": "2020-02-18",
                                "approved_on": None, "approved_amount": None, "disbursed_on": None,
                                "disbursed_amount": None, "contract_no": None, "repayment_id": None}


def test_list_query_count_is_constant(world, db, count_queries, factory):  # noqa: ANN001
    world.capital("50000000.00")
    for i in range(6):
        loan = world.disbursed("1000000.00", enterprise_id=factory.make_enterprise().id)
        world.repay(loan["id"], "1000.00", "2020-02-12", f"RN-{i}")
    with count_queries() as small:
        assert len(world.get("/bridge-loans", page_size=1).get_json()["items"]) == 1
    with count_queries() as large:
        assert len(world.get("/bridge-loans", page_size=100).get_json()["items"]) == 6
    assert small[0] == large[0]
    with count_queries() as small:
        world.get("/fund/ledger", page_size=1)
    with count_queries() as large:
        assert len(world.get("/fund/ledger", page_size=100).get_json()["items"]) == 19
    assert small[0] == large[0]


def test_ledger_running_balance_and_filters(world, db):  # noqa: ANN001
    world.capital("3000000.00", "2020-02-07")
    loan = world.disbursed("1000000.00", value_date="2020-02-10")
    world.repay(loan["id"], "1003000.00", "2020-02-20", "RN-1")
    world.capital("100000.00", "2020-02-08", "out")  # back-dated: its balance_after sits between
    led = world.get("/fund/ledger", sort="value_date").get_json()
    rows = [(x["value_date"], x["kind"], x["amount"], x["balance_after"]) for x in led["items"]]
    assert rows == [
        ("2020-02-07", "capital_in", "3000000.00", "3000000.00"),
        ("2020-02-08", "capital_out", "100000.00", "2900000.00"),
        ("2020-02-10", "disbursement", "1000000.00", "1900000.00"),
        ("2020-02-20", "fee", "3000.00", "1903000.00"),
        ("2020-02-20", "principal_repaid", "1000000.00", "2903000.00"),
    ]
    newest = world.get("/fund/ledger").get_json()["items"]
    assert [x["value_date"] for x in newest] == ["2020-02-20", "2020-02-20", "2020-02-10", "2020-02-08", "2020-02-07"]
    assert world.get("/fund/ledger", kind="fee").get_json()["total"] == 1
    assert world.get("/fund/ledger", bridge_loan_id=loan["id"]).get_json()["total"] == 3
    assert world.get("/fund/ledger", **{"from": "2020-02-09", "to": "2020-02-10"}).get_json()["total"] == 1
    assert world.get("/fund/ledger", world.officer).status_code == 403
    page2 = world.get("/fund/ledger", sort="value_date", page=2, page_size=2).get_json()
    assert [x["balance_after"] for x in page2["items"]] == ["1900000.00", "1903000.00"] and page2["total"] == 5


def test_fund_figures_as_of_a_scripted_history(world, db, factory):  # noqa: ANN001
    """Three loans, a capital return, a late repayment: the figures on each date, from the ledger alone."""
    world.capital("10000000.00", "2020-02-07")
    e = [factory.make_enterprise() for _ in range(2)]
    a = world.disbursed("4000000.00", term_days=10, value_date="2020-02-10")  # due 02-20, repaid on time
    b = world.disbursed("3000000.00", term_days=5, value_date="2020-02-12", enterprise_id=e[0].id)  # due 02-17
    world.repay(a["id"], "4012000.00", "2020-02-20", "A")  # fee 4,000,000 × 0.003 = 12,000
    c = world.disbursed("2000000.00", term_days=7, value_date="2020-02-21", enterprise_id=e[1].id)  # due 02-28
    # b repaid 4 days late: fee 3,000,000 × 0.001 = 3,000; penalty 3,000,000 × 0.0005 × 4 = 6,000
    world.repay(b["id"], "3009000.00", "2020-02-21", "B")
    world.capital("1000000.00", "2020-03-02", "out")

    def fig(d):  # noqa: ANN001, ANN202
        return world.get("/fund", world.auditor, as_of=d).get_json()

    f = fig("2020-02-06")
    assert (f["capital"], f["cash_balance"], f["cumulative_disbursed_count"], f["turnover"]) == (
        "0.00", "0.00", 0, "0.0000")
    f = fig("2020-02-12")
    assert (f["cash_balance"], f["outstanding_principal"], f["utilization"], f["enterprises_served"]) == (
        "3000000.00", "7000000.00", "0.7000", 2)
    f = fig("2020-02-19")
    assert (f["overdue_count"], f["overdue_amount"]) == (1, "3000000.00")
    f = fig("2020-02-20")
    assert (f["fee_income"], f["average_days_used"], f["repaid_count"]) == ("12000.00", "10.00", 1)
    f = fig("2020-03-02")
    assert f == f | {
        "as_of": "2020-03-02", "capital": "9000000.00", "cash_balance": "7021000.00",
        "outstanding_principal": "2000000.00", "available": "7021000.00", "utilization": "0.2222",
        "fee_income": "15000.00", "penalty_income": "6000.00", "losses": "0.00",
        "cumulative_disbursed_amount": "9000000.00", "cumulative_disbursed_count": 3, "enterprises_served": 3,
        "turnover": "1.0000", "average_days_used": "9.50", "overdue_count": 1, "overdue_amount": "2000000.00",
    }
    assert c["id"]
    check_invariants(db)
    assert world.get("/fund", world.officer).status_code == 403
    assert world.get("/fund", world.li).status_code == 200


def test_every_operation_keeps_the_invariants_and_writes_one_audit_event(world, db, factory):  # noqa: ANN001
    world.capital("10000000.00")
    steps = []
    loan = world.submit("6000000.00")
    lid = loan["id"]
    steps.append((200, lambda: world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-02-08"}, world.li)))
    steps.append((200, lambda: world.post(f"/bridge-loans/{lid}/approve", {"decided_on": "2020-02-08"}, world.wang)))
    steps.append((200, lambda: world.disburse(lid, "2020-02-10")))
    steps.append((201, lambda: world.repay(lid, "10000.00", "2020-02-12", "P1")))
    steps.append((201, lambda: world.repay(lid, "3000000.00", "2020-02-22", "P2")))
    steps.append((200, lambda: world.post(f"/bridge-loans/{lid}/default", {"value_date": "2020-03-25"}, world.li)))
    steps.append((201, lambda: world.repay(lid, "100000.00", "2020-03-26", "P3")))
    steps.append((200, lambda: world.post(f"/bridge-loans/{lid}/write-off", {"reason": "清算"}, world.li)))
    steps.append((201, lambda: world.post(f"/bridge-loans/{lid}/recoveries",
                                          {"amount": "1000.00", "value_date": "2020-03-31"}, world.li)))
    for expected, step in steps:
        n = loan_audits(db, lid)
        r = step()
        assert r.status_code == expected, r.get_json()
        assert loan_audits(db, lid) == n + 1
        check_invariants(db)
    assert db.get(Enterprise, world.enterprise.id) is not None
