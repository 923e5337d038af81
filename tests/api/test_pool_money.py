"""Issue 10, items 1–7, through the HTTP API: interest rounding, payoff, bullet payoff, partial prepayment,
compound overdue interest, one rule for settlement, recoveries shared on the cumulative amount."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bridgefund.figures.check import summary_differences
from bridgefund.models import PoolInstallment
from tests.conftest import audit_count
from tests.pool_support import D, PoolWorld, counts, pool_balance


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def view(world: PoolWorld, loan_id: int, as_of: str) -> dict:
    r = world.get(f"/pool-loans/{loan_id}", as_of=as_of)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def listed(world: PoolWorld, grade: str, as_of: str) -> list[int]:
    r = world.get("/pool-loans", classification=grade, as_of=as_of, page_size=100)
    assert r.status_code == 200, r.get_json()
    return [x["id"] for x in r.get_json()["items"]]


def test_item1_interest_is_the_exact_product_rounded_once(world):  # noqa: ANN001
    loan = world.loan(principal="1560.00", annual_rate="0.0385", term_months=1, repayment_method="interest_only",
                      start_date="2020-04-20")
    assert loan["schedule"][0]["interest"] == "5.01"  # 5.005, not 5.00
    loan = world.loan(principal="180000.00", annual_rate="0.0385", term_months=12,
                      repayment_method="equal_principal", start_date="2020-04-20")
    assert loan["schedule"][1]["interest"] == "529.38"  # 165,000 × 3.85 % ÷ 12 = 529.375
    loan = world.loan(principal="1000000.00", annual_rate="0.0435", term_months=12,
                      repayment_method="equal_installment", start_date="2020-04-20")
    assert {D(i["principal"]) + D(i["interest"]) for i in loan["schedule"][:11]} == {D("85309.90")}
    # the recomputation after a prepayment too: 10,000 interest-only; on its first due date the bank pays the
    # 32.08 due and prepays 8,440.00, leaving 1,560.00 — whose later months are 5.005 → 5.01
    loan = world.loan(principal="10000.00", annual_rate="0.0385", term_months=3, repayment_method="interest_only",
                      start_date="2020-04-20")
    r = world.repay(loan["id"], "8472.08", "2020-05-20")
    assert r.status_code == 201, r.get_json()
    schedule = r.get_json()["loan"]["schedule"]
    assert schedule[0]["interest"] == "32.08" and schedule[2]["interest"] == "5.01"
    # the current period, prepaid on its first day, is 31 days of 1,560.00 at actual/360: 5.1717 → 5.17
    assert schedule[1]["interest"] == "5.17"


def test_item2_payoff_on_a_due_date_settles_the_loan_and_it_never_goes_past_due(world, db):  # noqa: ANN001
    loan = world.loan(principal="1000000.00", annual_rate="0.0435", term_months=12,
                      repayment_method="equal_installment", start_date="2020-01-15")
    assert view(world, loan["id"], "2020-01-15")["payoff_amount"] == "1000000.00"  # nothing for days to come
    assert view(world, loan["id"], "2020-01-16")["payoff_amount"] == "1000120.83"  # one day's interest
    assert view(world, loan["id"], "2020-02-15")["payoff_amount"] == "1003625.00"  # installment 1 + principal
    before = counts(db)
    r = world.repay(loan["id"], "1003625.01", "2020-02-15")
    assert r.status_code == 422 and "amount" in r.get_json()["errors"]
    assert counts(db) == before
    r = world.repay(loan["id"], "1003625.00", "2020-02-15")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()["loan"]
    assert body["status"] == "repaid" and body["payoff_amount"] == "0.00"
    assert body["schedule"][1]["interest"] == "0.00" and body["schedule"][1]["status"] == "paid"
    assert {i["status"] for i in body["schedule"][2:]} == {"cancelled"}
    for as_of in ("2020-03-16", "2020-05-16", "2020-11-12", "2020-12-31"):
        v = view(world, loan["id"], as_of)
        assert (v["days_past_due"], v["classification"], v["payoff_amount"]) == (0, "normal", "0.00")
        assert loan["id"] in listed(world, "normal", as_of)
        assert loan["id"] not in listed(world, "special_mention", as_of) + listed(world, "substandard", as_of)
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="repay") == 1
    assert summary_differences(db, [dt.date(2020, m, 20) for m in (2, 5, 11)]) == []


def test_item3_bullet_repaid_after_one_day_owes_one_days_interest(world):  # noqa: ANN001
    loan = world.loan(principal="1000000.00", annual_rate="0.0435", term_months=12, repayment_method="bullet",
                      start_date="2020-01-15")
    assert loan["schedule"][0]["interest"] == "44225.00"
    assert view(world, loan["id"], "2020-01-16")["payoff_amount"] == "1000120.83"
    r = world.repay(loan["id"], "1000120.83", "2020-01-16")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["repayment"]["interest"] == "120.83"
    body = r.get_json()["loan"]
    assert body["status"] == "repaid" and body["schedule"][0]["interest"] == "120.83"
    assert view(world, loan["id"], "2021-06-01")["days_past_due"] == 0


def test_item4_partial_prepayment_mid_period_is_actual_360_at_each_balance(world):  # noqa: ANN001
    loan = world.loan(principal="1000000.00", annual_rate="0.0435", term_months=12,
                      repayment_method="equal_installment", start_date="2020-01-15")
    r = world.repay(loan["id"], "500000.00", "2020-01-16")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()["loan"]
    first = body["schedule"][0]
    assert first["interest"] == "1933.33"  # 1,000,000 for 1 day + 500,000 for 30 days: 120.83 + 1,812.50
    assert first["principal_paid"] == "500000.00"
    assert sum(D(i["principal"]) for i in body["schedule"]) == D("1000000.00")
    # paying off on installment 1's due date: installment 1 and the 500,000 left, nothing of February
    v = view(world, loan["id"], "2020-02-15")
    assert D(v["payoff_amount"]) == D(first["principal"]) - D("500000.00") + D(first["interest"]) + \
        sum(D(i["principal"]) for i in v["schedule"][1:])
    assert v["payoff_amount"] == "501933.33"
    r = world.repay(loan["id"], v["payoff_amount"], "2020-02-15")
    assert r.status_code == 201 and r.get_json()["loan"]["status"] == "repaid"


def test_item5_overdue_interest_bears_penalty_interest(world, db):  # noqa: ANN001
    settings = world.get("/pool/settings").get_json()
    assert settings["compound_overdue_interest"] is True
    loan = world.loan(principal="1200000.00", annual_rate="0.06", repayment_method="interest_only",
                      start_date="2020-01-15")
    # three unpaid interest installments of 6,000.00: penalty at 6 % × 1.5 for 90, 61 and 30 days
    sched = view(world, loan["id"], "2020-05-15")["schedule"]
    assert [i["penalty_charged"] for i in sched[:4]] == ["135.00", "91.50", "45.00", "0.00"]
    # an admin turns it off: loans reported from then on keep that, the earlier one keeps compounding
    body = {k: v for k, v in settings.items() if k != "updated_at"}
    for bad in ("false", 0, None):
        before = counts(db)
        r = world.client.put("/api/v1/pool/settings", json={**body, "compound_overdue_interest": bad},
                             headers=world.admin)
        assert r.status_code == 422 and "compound_overdue_interest" in r.get_json()["errors"]
        assert counts(db) == before
    r = world.client.put("/api/v1/pool/settings", json={**body, "compound_overdue_interest": False},
                         headers=world.admin)
    assert r.status_code == 200 and r.get_json()["compound_overdue_interest"] is False
    assert audit_count(db, entity_type="pool", action="update_settings") == 1
    plain = world.loan(principal="1200000.00", annual_rate="0.06", repayment_method="interest_only",
                       start_date="2020-01-15")
    assert [i["penalty_charged"] for i in view(world, plain["id"], "2020-05-15")["schedule"][:3]] == ["0.00"] * 3
    assert view(world, loan["id"], "2020-05-15")["schedule"][0]["penalty_charged"] == "135.00"
    # a PUT that leaves the field out keeps it
    r = world.client.put("/api/v1/pool/settings", json={k: v for k, v in body.items()
                                                        if k != "compound_overdue_interest"}, headers=world.admin)
    assert r.status_code == 200 and r.get_json()["compound_overdue_interest"] is False
    # the penalty is what a repayment charges and takes first
    r = world.repay(loan["id"], "6135.00", "2020-05-15")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["repayment"]["penalty"] == "135.00" and r.get_json()["repayment"]["interest"] == "6000.00"


def test_item6_a_zero_installment_unsettles_when_principal_moves_into_it(world, db):  # noqa: ANN001
    loan = world.loan(principal="0.05", annual_rate="0.00", term_months=10, repayment_method="equal_principal",
                      start_date="2020-01-15")
    assert [i["principal"] for i in loan["schedule"]] == ["0.01"] * 5 + ["0.00"] * 5
    r = world.repay(loan["id"], "0.01", "2020-01-16")
    assert r.status_code == 201, r.get_json()
    schedule = r.get_json()["loan"]["schedule"]
    assert schedule[-1]["principal"] == "0.04" and schedule[-1]["status"] == "pending"
    rows = db.scalars(select(PoolInstallment).where(PoolInstallment.loan_id == loan["id"])
                      .order_by(PoolInstallment.seq)).all()
    assert rows[-1].settled_on is None and all(r.settled_on is not None for r in rows[:-1])
    # SQL classification and NPL agree with finance on every side of the last due date (2020-11-15)
    for as_of, dpd, grade in (("2020-11-15", 0, "normal"), ("2020-11-16", 1, "special_mention"),
                              ("2021-02-13", 90, "special_mention"), ("2021-02-14", 91, "substandard")):
        v = view(world, loan["id"], as_of)
        assert (v["days_past_due"], v["classification"]) == (dpd, grade), as_of
        assert loan["id"] in listed(world, grade, as_of), as_of
    # non-performing from 90 days past due: the 0.04 left is the whole pool's outstanding
    assert D(world.get("/pool", as_of="2021-02-12").get_json()["npl_ratio"]) == 0
    assert D(world.get("/pool", as_of="2021-02-13").get_json()["npl_ratio"]) == 1
    assert summary_differences(db, [dt.date(2020, 11, 15), dt.date(2020, 11, 16), dt.date(2021, 2, 14)]) == []


def test_item7_recoveries_are_shared_on_the_cumulative_amount(world, db):  # noqa: ANN001
    loan, claim = world.default_and_claim(principal="1200000.00", claimed_on="2020-06-01")
    assert world.post(f"/claims/{claim['id']}/approve", {"decided_on": "2020-06-02"},
                      world.manager).status_code == 200
    assert world.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-06-05"}, world.manager2).status_code == 200
    balance = pool_balance(db)
    shares = []
    for n in range(3):
        r = world.post(f"/pool-loans/{loan['id']}/recoveries",
                       {"amount": "0.01", "value_date": "2020-07-01", "external_ref": f"REC-{n}"}, world.officer)
        assert r.status_code == 201, r.get_json()
        shares.append(r.get_json()["pool_amount"])
    assert shares == ["0.01", "0.00", "0.01"]  # 50 % of 0.01, 0.02, 0.03 = 0.01, 0.01, 0.02 cumulatively
    assert pool_balance(db) == balance + D("0.02")
    assert world.get("/pool", as_of="2020-07-01").get_json()["recoveries"] == "0.02"
    assert audit_count(db, entity_type="pool_loan", entity_id=loan["id"], action="recover") == 3
