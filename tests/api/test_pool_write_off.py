"""Pool write-off through the HTTP API (issue 10 item 11; DOMAIN.md "Pool write-off"): the written-off principal
leaves pool_quota_used and the outstanding figures, counts as non-performing, stops accruing; one audit event; the
per-day summaries and the whole-history figures agree on every date."""

from __future__ import annotations

import datetime as dt

import pytest

from bridgefund.figures.check import summary_differences
from bridgefund.figures.rebuild import rebuild
from bridgefund.models import ClosedPeriod
from tests.conftest import audit_count
from tests.pool_support import D, PoolWorld, counts


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def problem(r, status: int, field: str | None = None) -> dict:  # noqa: ANN001
    body = r.get_json()
    assert r.status_code == status, body
    assert r.content_type == "application/problem+json"
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def late_loan(w: PoolWorld) -> dict:
    """1.2M equal principal from 2020-01-15: installment 1 paid on its due date, nothing after (1.1M unpaid)."""
    loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    r = w.repay(loan["id"], "104350.00", "2020-02-15")
    assert r.status_code == 201, r.get_json()
    return loan


def write_off(w: PoolWorld, loan_id: int, value_date: str = "2020-09-30", headers: dict | None = None,
              **extra: str) -> object:
    body = {"value_date": value_date, "reason": "借款人破产清算，经审批核销"} | extra
    return w.post(f"/pool-loans/{loan_id}/write-off", body, headers or w.officer)


def bank_quota_used(w: PoolWorld) -> str:
    return w.get(f"/banks/{w.bank.id}", w.admin).get_json()["pool_quota_used"]


def test_write_off_leaves_quota_used_and_counts_as_non_performing(world, db):  # noqa: ANN001
    w = world
    loan = late_loan(w)
    performing = w.loan(w.other_officer, principal="1000000.00", start_date="2020-09-01")  # another bank's
    assert bank_quota_used(w) == "1100000.00"
    before = w.get("/pool", as_of="2020-09-30").get_json()
    assert before["guaranteed_outstanding"] == "2100000.00"
    day_before_pool = w.get("/pool", as_of="2020-09-29").get_json()
    r = write_off(w, loan["id"])
    assert r.status_code == 200, r.get_json()
    shown = r.get_json()
    assert shown["status"] == "written_off" and shown["written_off_on"] == "2020-09-30"
    assert shown["written_off_principal"] == "1100000.00" and shown["principal_outstanding"] == "0.00"
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="write_off") == 1
    # from its value date: out of the quota used and the guaranteed outstanding, still non-performing
    assert bank_quota_used(w) == "0.00"
    after = w.get("/pool", as_of="2020-09-30").get_json()
    assert after["guaranteed_outstanding"] == "1000000.00"
    assert D(after["npl_ratio"]) == D("1.1")  # 1.1M written off ÷ 1.0M outstanding
    # the day before, nothing moved (a past date's figures never change)
    assert w.get("/pool", as_of="2020-09-29").get_json() == day_before_pool
    day_before = w.get(f"/pool-loans/{loan['id']}", as_of="2020-09-29").get_json()
    assert day_before["principal_outstanding"] == "1100000.00" and day_before["written_off_principal"] == "0.00"
    assert w.get(f"/pool-loans/{performing['id']}").get_json()["principal_outstanding"] == "1000000.00"
    listed = w.get("/pool-loans", w.officer, status="written_off").get_json()
    assert [x["id"] for x in listed["items"]] == [loan["id"]] and listed["items"][0]["written_off_principal"] == \
        "1100000.00"
    # summaries and whole-history figures agree on every date around it
    dates = [dt.date(2020, 9, 29), dt.date(2020, 9, 30), dt.date(2020, 10, 31), dt.date(2020, 12, 31)]
    assert summary_differences(db, dates) == []
    rebuild(db)
    assert summary_differences(db, dates) == []


def test_a_written_off_loan_stops_accruing(world):  # noqa: ANN001
    w = world
    loan = late_loan(w)
    assert write_off(w, loan["id"]).status_code == 200
    on = w.get(f"/pool-loans/{loan['id']}", as_of="2020-09-30").get_json()
    later = w.get(f"/pool-loans/{loan['id']}", as_of="2020-12-31").get_json()
    assert D(on["penalty_accrued"]) > 0
    assert later["penalty_accrued"] == on["penalty_accrued"]
    assert later["principal_outstanding"] == "0.00" and later["written_off_principal"] == "1100000.00"


def test_write_off_refusals_name_the_field_and_change_nothing(world, db):  # noqa: ANN001
    w = world
    loan = late_loan(w)
    lid = loan["id"]
    before = counts(db)
    problem(write_off(w, lid, headers=w.other_officer), 404)
    problem(write_off(w, lid, headers=w.auditor), 403)
    problem(w.post(f"/pool-loans/{lid}/write-off", {"value_date": "2020-09-30"}, w.officer), 422, "reason")
    problem(write_off(w, lid, reason="   "), 422, "reason")
    problem(write_off(w, lid, value_date="2020-02-14"), 422, "value_date")  # before the latest repayment
    problem(write_off(w, lid, value_date="2021-01-01"), 422, "value_date")  # the future
    problem(write_off(w, lid, value_date="2200-01-01"), 422, "value_date")
    assert counts(db) == before
    assert audit_count(db, entity_type="pool_loan", entity_id=lid, action="write_off") == 0
    # a write-off on the latest repayment's own date is fine
    assert write_off(w, lid, value_date="2020-02-15").status_code == 200
    # once written off: no second write-off, no repayment, no claim
    problem(write_off(w, lid), 409, "status")
    assert w.repay(lid, "100.00", "2020-10-10").status_code == 409
    assert w.post(f"/pool-loans/{lid}/claims", {"claimed_on": "2020-10-10"}, w.officer).status_code == 409


def test_write_off_in_a_closed_month_is_409_and_the_next_day_ok(world, db):  # noqa: ANN001
    w = world
    loan = late_loan(w)
    db.add(ClosedPeriod(period="2020-08", last_day=dt.date(2020, 8, 31)))
    db.commit()
    problem(write_off(w, loan["id"], value_date="2020-08-31"), 409, "value_date")
    r = write_off(w, loan["id"], value_date="2020-09-01")
    assert r.status_code == 200 and r.get_json()["written_off_on"] == "2020-09-01"


def test_a_repaid_loan_cannot_be_written_off(world):  # noqa: ANN001
    w = world
    loan = w.loan(principal="1000.00", start_date="2020-01-15", term_months=1, repayment_method="bullet")
    due = sum(D(i["principal"]) + D(i["interest"]) for i in loan["schedule"])
    r = w.repay(loan["id"], f"{due:.2f}", "2020-02-15")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["loan"]["status"] == "repaid"
    problem(write_off(w, loan["id"]), 409, "status")


def test_an_open_claim_is_decided_first_and_a_paid_one_allows_the_write_off(world, db):  # noqa: ANN001
    w = world
    loan, claim = w.default_and_claim(principal="1200000.00", claimed_on="2020-06-01")
    problem(write_off(w, loan["id"]), 409, "status")
    assert w.post(f"/claims/{claim['id']}/approve", {"decided_on": "2020-06-01"}, w.manager).status_code == 200
    problem(write_off(w, loan["id"]), 409, "status")
    assert w.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, w.manager).status_code == 200
    problem(write_off(w, loan["id"], value_date="2020-06-04"), 422, "value_date")  # before the payout
    r = write_off(w, loan["id"], value_date="2020-06-05", headers=w.manager)  # a fund manager may write off too
    assert r.status_code == 200 and r.get_json()["written_off_principal"] == "1200000.00"
    before = counts(db)
    r = w.post(f"/pool-loans/{loan['id']}/recoveries",
               {"amount": "1000.00", "value_date": "2020-07-01", "external_ref": "REC-WO"}, w.officer)
    problem(r, 409)
    assert counts(db) == before


def test_write_off_is_idempotent_with_a_key(world, db):  # noqa: ANN001
    w = world
    loan = late_loan(w)
    headers = w.officer | {"Idempotency-Key": "write-off-1"}
    first = write_off(w, loan["id"], headers=headers)
    again = write_off(w, loan["id"], headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="write_off") == 1


def test_the_monthly_report_lists_written_off_principal_as_non_performing(world, db):  # noqa: ANN001
    """The report's NPL list is the NPL ratio's numerator: it includes the written-off principal."""
    from bridgefund.figures import pool as pool_figures
    from bridgefund.services.report_data import monthly_report_data

    w = world
    loan = late_loan(w)
    assert write_off(w, loan["id"], value_date="2020-04-30").status_code == 200  # 15 Mar + 90 days: not yet NPL by days
    data = monthly_report_data(db, "2020-04")
    npl = pool_figures.bank_pool_figures_direct(db, dt.date(2020, 4, 30), None, 90)
    assert data["pool_npl"]["amount"] == sum((f.npl_principal for f in npl.values()), D("0.00")) == D("1100000.00")
    assert [r["reference"] for r in data["pool_npl"]["rows"]] == [loan["reference"]]
    assert monthly_report_data(db, "2020-03")["pool_npl"]["amount"] == D("0.00")
