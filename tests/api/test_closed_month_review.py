"""Review of the dated rules (issue 10 items 8–10): a closed month's figures and reports never change, whatever is
edited later; every endpoint that takes ``as_of`` bounds it alike (DOMAIN.md "Ledgers and invariants")."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest

from bridgefund.models import Bank
from bridgefund.services.report_data import bank_statement_data, monthly_report_data
from tests.api_support import assert_problem
from tests.bridge_support import World
from tests.conftest import audit_count
from tests.pool_support import PoolWorld

LAST = "2020-05-31"
AS_OF_LOAN_FIGURES = ("id", "as_of", "classification", "principal_outstanding", "days_past_due", "amount_due",
                      "penalty_accrued", "payoff_amount", "recovered", "written_off_principal")


@pytest.fixture
def pool_world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def close(w: PoolWorld, period: str) -> None:
    """Close ``period`` as an admin does (``POST /periods/{period}/close``: the close writes the month's
    snapshots)."""
    r = w.client.post(f"/api/v1/periods/{period}/close", headers=w.admin)
    assert r.status_code == 201, r.get_json()


def snapshot(w: PoolWorld, db) -> dict[str, Any]:  # noqa: ANN001
    """Everything that shows the closed month: report data, the bank's statement data, the as-of answers."""
    db.expire_all()
    bank = db.get(Bank, w.bank.id)
    out = {
        "report": monthly_report_data(db, "2020-05"),
        "statement": bank_statement_data(db, bank, "2020-05"),
        "statements": [bank_statement_data(db, db.get(Bank, b), "2020-05")
                       for b in (w.other_bank.id, *([w.bridge.bank.id] if hasattr(w, "bridge") else []))],
        "fund": w.get("/fund", w.manager, as_of=LAST).get_json(),
        "pool": w.get("/pool", w.manager, as_of=LAST).get_json(),
        "banks": w.get("/banks", w.manager, as_of=LAST).get_json(),
        "bank": w.get(f"/banks/{w.bank.id}", w.manager, as_of=LAST).get_json(),
        "officer_banks": w.get("/banks", w.officer, as_of=LAST).get_json(),
        # the as-of figures of each loan (status, repaid_on, written_off_on are the record's current facts)
        "pool_loans": [{k: loan[k] for k in AS_OF_LOAN_FIGURES}
                       for loan in w.get("/pool-loans", w.manager, as_of=LAST).get_json()["items"]],
    }
    return json.loads(json.dumps(out, default=str))


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b or _same_number(a, b) else [f"{path}: {a!r} → {b!r}"]


def _same_number(a: Any, b: Any) -> bool:
    """'0.05' and '0.05000000' are the same rate (a default and the stored NUMERIC); the figure did not move."""
    try:
        return isinstance(a, str) and isinstance(b, str) and Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


@pytest.fixture
def closed_may(pool_world, db, factory):  # noqa: ANN001, ANN201
    """May 2020 closed with: a loan 106 days past due and claimed (paid), a loan 60 days past due, a healthy loan,
    a bridge loan out; the bank suspension sweep leaves figures as they are."""
    w = pool_world
    bridge = World(w.client, factory)
    bridge.capital("5000000.00", "2020-02-07")
    w.bridge, w.bridge_loan = bridge, bridge.disbursed("1000000.00")
    # another repaid in the month, so the month's financing cost saved is not zero
    repaid = bridge.disbursed("500000.00", 5, value_date="2020-05-04", submitted_on="2020-05-04",
                              maturing_loan={"contract_no": "HT-R", "amount": "500000.00", "due_date": "2020-05-04"})
    r = bridge.repay(repaid["id"], "500500.00", "2020-05-09", "R-1")
    assert r.status_code == 201 and r.get_json()["loan"]["status"] == "repaid", r.get_json()
    w.claimed_loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    r = w.post(f"/pool-loans/{w.claimed_loan['id']}/claims", {"claimed_on": "2020-05-20"}, w.officer)
    assert r.status_code == 201, r.get_json()
    w.claim = r.get_json()
    r = w.post(f"/claims/{w.claim['id']}/approve", {"decided_on": "2020-05-21"}, w.manager)
    assert r.status_code == 200, r.get_json()
    r = w.post(f"/claims/{w.claim['id']}/pay", {"value_date": "2020-05-22"}, w.manager2)
    assert r.status_code == 200, r.get_json()
    w.late_loan = w.loan(principal="600000.00", start_date="2020-03-01")  # first due 04-01: 60 days on 05-31
    w.good_loan = w.loan(principal="300000.00", start_date="2020-05-10", repayment_method="interest_only")
    w.pending_claim_loan = w.loan(principal="100000.00", start_date="2020-01-20")
    r = w.post(f"/pool-loans/{w.pending_claim_loan['id']}/claims", {"claimed_on": "2020-05-25"}, w.officer)
    assert r.status_code == 201, r.get_json()
    w.pending_claim = r.get_json()
    close(w, "2020-05")
    w.before = snapshot(w, db)
    assert w.before["fund"]["financing_cost_saved_month"] == "2000.00"  # 500,000 × 5 × 0.1% − 500.00 fee
    return w


def assert_unchanged(w: PoolWorld, db, what: str) -> None:  # noqa: ANN001
    moved = diff(w.before, snapshot(w, db))
    assert not moved, f"after {what} the closed month moved:\n" + "\n".join(moved[:20])


POOL_SETTINGS_EDITS = {
    "leverage": "20", "default_pool_share": "0.40", "claim_after_days_overdue": 60, "bank_npl_threshold": "0.01",
    "pool_loss_threshold": "0.0001", "max_loan_amount": "2000000.00", "max_annual_rate": "0.06",
    "penalty_rate_markup": "0.30", "compound_overdue_interest": False,
}


@pytest.mark.parametrize("field", sorted(POOL_SETTINGS_EDITS))
def test_a_pool_settings_change_leaves_the_closed_month(closed_may, db, field) -> None:  # noqa: ANN001
    w = closed_may
    body = w.get("/pool/settings", w.admin).get_json()
    body = {k: v for k, v in body.items() if k not in ("updated_at", "updated_by")}
    body[field] = POOL_SETTINGS_EDITS[field]
    r = w.client.put("/api/v1/pool/settings", json=body, headers=w.admin)
    if r.status_code == 200:
        assert_unchanged(w, db, f"PUT /pool/settings {field}")
    else:  # refusing the edit is the other way to keep the month
        assert r.status_code == 409, r.get_json()
        assert_unchanged(w, db, f"refused PUT /pool/settings {field}")


FUND_SETTINGS_EDITS = {
    "fee_tiers": [{"from_day": 1, "daily_rate": "0.0003"}],
    "penalty_daily_rate": "0.001", "max_term_days": 5, "per_enterprise_cap": "2000000.00",
    "max_share_of_renewal": "0.5", "dual_approval_threshold": "100000.00", "default_after_days": 1,
    "established_on": "2001-01-01", "market_bridge_daily_rate": "0.002",
}


@pytest.mark.parametrize("field", sorted(FUND_SETTINGS_EDITS))
def test_a_fund_settings_change_leaves_the_closed_month(closed_may, db, field) -> None:  # noqa: ANN001
    w = closed_may
    body = w.get("/fund/settings", w.admin).get_json()
    body = {k: v for k, v in body.items() if k not in ("updated_at", "updated_by")}
    body[field] = FUND_SETTINGS_EDITS[field]
    r = w.client.put("/api/v1/fund/settings", json=body, headers=w.admin)
    assert r.status_code in (200, 409), r.get_json()
    assert_unchanged(w, db, f"PUT /fund/settings {field}")


@pytest.mark.parametrize("change", [
    {"name": "改名银行"}, {"pool_quota": "1000.00"}, {"pool_share": "0.10"}, {"status": "suspended", "reason": "x"},
])
def test_a_bank_change_after_the_closed_month_leaves_it(closed_may, db, change) -> None:  # noqa: ANN001
    w = closed_may
    for effective_from in ("2020-05-31", "2020-05-01", "2019-12-31"):
        r = w.client.patch(f"/api/v1/banks/{w.bank.id}", json={**change, "effective_from": effective_from},
                           headers=w.admin)
        assert_problem(r, 409, "effective_from")
    r = w.client.patch(f"/api/v1/banks/{w.bank.id}", json={**change, "effective_from": "2020-06-01"},
                       headers=w.admin)
    assert r.status_code in (200, 409), r.get_json()
    r = w.client.patch(f"/api/v1/banks/{w.bank.id}", json=change, headers=w.admin)  # default: today
    assert r.status_code in (200, 409), r.get_json()
    assert_unchanged(w, db, f"PATCH /banks {change}")


def test_new_bank_enterprise_edit_and_later_money_leave_the_closed_month(closed_may, db) -> None:  # noqa: ANN001
    w = closed_may
    r = w.post("/banks", {"code": "LATE-9", "name": "后来银行", "pool_quota": "1000000.00"}, w.admin)
    assert r.status_code == 201, r.get_json()
    assert_unchanged(w, db, "POST /banks")
    r = w.client.patch(f"/api/v1/enterprises/{w.enterprise.id}", json={"size": "medium", "in_zone": False},
                       headers=w.admin)
    assert r.status_code == 200, r.get_json()
    assert_unchanged(w, db, "PATCH /enterprises")
    r = w.post(f"/claims/{w.pending_claim['id']}/reject", {"reason": "no", "decided_on": "2020-06-02"},
               w.manager)
    assert r.status_code in (200, 201), r.get_json()
    assert_unchanged(w, db, "claim rejection")
    assert w.repay(w.good_loan["id"], "1000.00", "2020-06-10").status_code == 201
    assert w.repay(w.late_loan["id"], "300000.00", "2020-06-10").status_code == 201
    assert_unchanged(w, db, "repayments dated after")
    r = w.post(f"/pool-loans/{w.claimed_loan['id']}/write-off", {"value_date": "2020-06-15", "reason": "gone"},
               w.officer)
    assert r.status_code in (200, 201), r.get_json()
    assert_unchanged(w, db, "write-off dated after")


def put_pool_settings(w: PoolWorld, **changes: Any):  # noqa: ANN201
    body = w.get("/pool/settings", w.admin).get_json()
    body = {k: v for k, v in body.items() if k not in ("updated_at", "updated_by")}
    return w.client.put("/api/v1/pool/settings", json={**body, **changes}, headers=w.admin)


@pytest.mark.parametrize("start_date, status", [("2020-03-01", 409), ("2020-03-02", 200)])
def test_claim_after_days_is_refused_only_when_a_closed_day_would_change(pool_world, db, start_date,
                                                                         status) -> None:  # noqa: ANN001
    """90 → 60 days with May closed: an installment due 2020-04-01 (= 05-31 − 60) unpaid is non-performing on 05-31
    under 60 days and not under 90 → 409 naming the field, nothing changes; due 2020-04-02 → no closed day moves."""
    w = pool_world
    w.loan(principal="600000.00", start_date=start_date)
    close(w, "2020-05")
    events = audit_count(db, entity_type="pool", action="update_settings")
    r = put_pool_settings(w, claim_after_days_overdue=60)
    if status == 409:
        assert_problem(r, 409, "claim_after_days_overdue")
        assert w.get("/pool/settings", w.admin).get_json()["claim_after_days_overdue"] == 90
        assert audit_count(db, entity_type="pool", action="update_settings") == events
        # the other way round (60 → 90 would be refused alike) and any other field still changes
        assert put_pool_settings(w, max_loan_amount="2000000.00").status_code == 200
    else:
        assert r.status_code == 200, r.get_json()
        assert audit_count(db, entity_type="pool", action="update_settings") == events + 1


def test_claim_after_days_changes_freely_with_no_closed_month(pool_world, db) -> None:  # noqa: ANN001
    w = pool_world
    w.loan(principal="600000.00", start_date="2020-01-15")
    assert put_pool_settings(w, claim_after_days_overdue=60).status_code == 200
    close(w, "2020-01")  # nothing was due by then
    assert put_pool_settings(w, claim_after_days_overdue=30).status_code == 200


@pytest.mark.parametrize("threshold, status", [("0.006", 200), ("0.00599999", 409), ("0.00600001", 200)])
def test_pool_loss_threshold_is_refused_when_a_closed_day_would_flip(closed_may, db, threshold,
                                                                     status) -> None:  # noqa: ANN001
    """600,000.00 paid on 2020-05-22 out of 100,000,000.00 contributed: 0.6 %. The pool stops when claims paid
    exceed τ × contributions: at τ = 0.006 (equality) it is not stopped, as under the default, so the change is
    admitted; just below, 05-22…05-31 would become stopped days → 409 naming the field, nothing changes."""
    w = closed_may
    r = put_pool_settings(w, pool_loss_threshold=threshold)
    if status == 409:
        assert_problem(r, 409, "pool_loss_threshold")
    else:
        assert r.status_code == 200, r.get_json()
    assert_unchanged(w, db, f"pool_loss_threshold {threshold}")


def as_of_endpoints(client) -> list[str]:  # noqa: ANN001
    doc = client.get("/api/openapi.json").get_json()
    return sorted(path for path, ops in doc["paths"].items()
                  if any(p.get("name") == "as_of" for p in ops.get("get", {}).get("parameters", [])))


@pytest.mark.parametrize("as_of, status", [
    ("1899-12-31", 422), ("1900-01-01", 200), ("2199-12-31", 200), ("2200-01-01", 422),
])
def test_as_of_bounds_on_every_endpoint_of_the_openapi_document(pool_world, factory, as_of, status) -> None:  # noqa: ANN001
    w = pool_world
    bridge = World(w.client, factory)
    bridge.capital("5000000.00", "2020-02-07")
    ids = {"bank_id": w.bank.id, "loan_id": bridge.disbursed("1000000.00")["id"], "pool_loan_id": w.loan()["id"]}
    paths = as_of_endpoints(w.client)
    assert len(paths) >= 9, paths  # banks, fund, bridge loans, pool, pool loans and their records, the schedule
    for path in paths:
        url = path.removeprefix("/api/v1").format(**ids)
        # the officer of the pool bank: the bridge loan is another bank's (404 before anything) and /fund, /pool
        # are not theirs to read (403); every other answer must bound as_of alike
        officer = [] if "/bridge-loans/" in url or url in ("/fund", "/pool") else [w.officer]
        for headers in (w.manager, *officer):
            r = w.get(url, headers, as_of=as_of)
            if status == 422:
                assert_problem(r, 422, "query.as_of")
            else:
                assert r.status_code == 200, (url, r.get_json())
                body = r.get_json()
                items = body if isinstance(body, list) else body.get("items", [body])
                assert all(i.get("as_of", as_of) == as_of for i in items if isinstance(i, dict)), url


def test_officer_sees_only_their_banks_terms_and_figures(closed_may, db) -> None:  # noqa: ANN001
    w = closed_may
    other = w.other_bank.id
    r = w.client.patch(f"/api/v1/banks/{other}", json={"name": "他行新名", "pool_quota": "123456.78",
                                                       "effective_from": "2020-06-01"}, headers=w.admin)
    assert r.status_code == 200, r.get_json()
    for as_of in (None, LAST, "2020-06-01"):
        query = {} if as_of is None else {"as_of": as_of}
        assert_problem(w.get(f"/banks/{other}", w.officer, **query), 404)
        listed = w.get("/banks", w.officer, **query).get_json()
        assert [b["id"] for b in listed["items"]] == [w.bank.id] and listed.get("total", 1) == 1
        text = json.dumps(listed, ensure_ascii=False)
        assert "他行新名" not in text and "123456.78" not in text and "100000000.00" not in text
    assert_problem(w.get(f"/banks/{other}/terms", w.officer), 404)
    assert_problem(w.get("/banks/999999/terms", w.officer), 404)
    mine = w.get(f"/banks/{w.bank.id}/terms", w.officer)
    assert mine.status_code == 200 and all(t.get("bank_id", w.bank.id) == w.bank.id for t in mine.get_json()["items"])
    assert w.get(f"/banks/{other}/terms", w.other_officer).status_code == 200


def test_a_reinstatement_after_the_closed_month_leaves_its_status_reason(closed_may, db) -> None:  # noqa: ANN001
    """The sweep suspended the bank on 2020-05-20 (in May, closed); reinstating it from 2020-06-01 with a reason
    must not rewrite the reason shown as of May's last day, while today's answer shows the reinstatement."""
    w = closed_may
    suspended = w.before["bank"]
    assert suspended["status"] == "suspended" and suspended["suspended_on"] == "2020-05-20"
    assert "2020-05-20" in suspended["status_reason"]
    r = w.client.patch(f"/api/v1/banks/{w.bank.id}", json={"status": "active", "reason": "整改完毕复牌",
                                                           "effective_from": "2020-06-01"}, headers=w.admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status_reason"] == "整改完毕复牌"
    assert_unchanged(w, db, "a reinstatement from 2020-06-01")
    on_june = w.get(f"/banks/{w.bank.id}", w.manager, as_of="2020-06-01").get_json()
    assert (on_june["status"], on_june["status_reason"]) == ("active", "整改完毕复牌")


def test_later_bridge_money_and_a_partner_from_the_next_day_leave_the_closed_month(closed_may, db) -> None:  # noqa: ANN001
    w = closed_may
    r = w.post("/banks", {"code": "JUNE-1", "name": "六月银行", "pool_quota": "1000000.00",
                          "effective_from": "2020-06-01"}, w.admin)  # the first day after the closed month
    assert r.status_code == 201, r.get_json()
    lid = w.bridge_loan["id"]
    assert w.bridge.repay(lid, "100000.00", "2020-06-05", "BR-1").status_code in (200, 201)
    r = w.post(f"/bridge-loans/{lid}/default", {"value_date": "2020-06-10"}, w.bridge.li)
    assert r.status_code == 200, r.get_json()
    r = w.post(f"/bridge-loans/{lid}/write-off", {"value_date": "2020-06-15", "reason": "破产"}, w.bridge.li)
    assert r.status_code == 200, r.get_json()
    r = w.post(f"/bridge-loans/{lid}/recoveries", {"amount": "5000.00", "value_date": "2020-06-20"}, w.bridge.li)
    assert r.status_code in (200, 201), r.get_json()
    assert_unchanged(w, db, "bridge money dated after the closed month")
