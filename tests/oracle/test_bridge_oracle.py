"""The service's bridge-loan fees, penalties and repayment splits, through the HTTP API, against the oracle.

Hypothesis draws the fund's fee tiers and penalty rate, a loan (amount, term, value date) and a history of
repayments and views; every figure the API shows is compared with tests/oracle/money.py (DOMAIN.md, "Fee math").
``BRIDGEFUND_ORACLE_EXAMPLES`` sets the number of loans (default 30).
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.bridge_support import World
from tests.oracle.money import BridgeLoan, text

EXAMPLES = int(os.environ.get("BRIDGEFUND_ORACLE_EXAMPLES", "30"))
TODAY = date(2026, 12, 1)
STATS = {"loans": 0, "repayments": 0, "views": 0, "figures": 0}

daily = st.integers(min_value=0, max_value=2000).map(lambda n: f"0.{n:07d}")
tiers = st.lists(st.tuples(st.integers(min_value=2, max_value=15), daily), max_size=3, unique_by=lambda t: t[0])
events = st.lists(st.tuples(st.integers(min_value=0, max_value=12), st.sampled_from(["view", "part", "full"]),
                            st.fractions(min_value=0, max_value=1)), max_size=5)


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = TODAY.isoformat()
    w = World(client, factory)
    assert w.capital("90000000000.00", value_date="2020-01-02").status_code == 201
    return w


def compare(tally: dict, want: object, got: object, what: str) -> None:
    tally["figures"] += 1
    assert got == want, f"{what}: service {got!r}, oracle {want!r}"


def compare_view(tally: dict, oracle: BridgeLoan, body: dict, on: date) -> None:
    compare(tally, on.isoformat(), body["as_of"], "as_of")
    v = oracle.view(on)
    compare(tally, text(oracle.principal), body["principal_outstanding"], f"{on} principal_outstanding")
    compare(tally, text(v["fee"] - oracle.fee_paid), body["fee_accrued"], f"{on} fee_accrued")
    compare(tally, text(v["penalty"] - oracle.penalty_paid), body["penalty_accrued"], f"{on} penalty_accrued")
    compare(tally, text(v["due"]), body["amount_due"], f"{on} amount_due")
    compare(tally, v["days_overdue"], body["days_overdue"], f"{on} days_overdue")
    compare(tally, v["days_overdue"] > 0, body["overdue"], f"{on} overdue")


def run(world: World, fee_tiers: list, penalty: str, amount: int, term: int, value_date: date,
        history: list) -> None:
    tally = {"figures": 0, "repayments": 0, "views": 0}
    body = {"fee_tiers": [{"from_day": k, "daily_rate": r} for k, r in [(1, "0.0002"), *sorted(fee_tiers)]],
            "penalty_daily_rate": penalty, "max_term_days": 15, "per_enterprise_cap": "9000000000.00"}
    now = world.get("/fund/settings").get_json()
    r = world.client.put("/api/v1/fund/settings", json={**now, **body}, headers=world.admin)
    assert r.status_code == 200, r.get_json()
    enterprise = world.factory.make_enterprise()
    loan = world.approved(text(amount), term, enterprise_id=enterprise.id, submitted_on=value_date.isoformat(),
                          maturing_loan={"contract_no": "HT-1", "amount": text(amount),
                                         "due_date": value_date.isoformat()},
                          renewal={"amount": text(amount * 2), "expected_date": value_date.isoformat()})
    r = world.disburse(loan["id"], value_date.isoformat())
    assert r.status_code == 200, r.get_json()
    loan = r.get_json()
    due_date = date.fromisoformat(loan["due_date"])
    assert value_date + timedelta(days=term) <= due_date <= value_date + timedelta(days=term + 10)
    oracle = BridgeLoan(amount, value_date, due_date, [(k, F(r)) for k, r in [(1, "0.0002"), *fee_tiers]],
                        F(penalty))
    on = value_date
    for n, (gap, kind, part) in enumerate(history):
        on = min(on + timedelta(days=gap), TODAY)
        if kind == "view" or oracle.principal == 0:
            r = world.get(f"/bridge-loans/{loan['id']}", as_of=on.isoformat())
            assert r.status_code == 200, r.get_json()
            compare_view(tally, oracle, r.get_json(), on)
            tally["views"] += 1
            continue
        due = oracle.view(on)["due"]
        pay = due if kind == "full" else int(due * part)
        if pay <= 0:
            continue
        r = world.repay(loan["id"], text(pay), on.isoformat(), f"RN-{loan['id']}-{n}")
        assert r.status_code == 201, (text(pay), on, r.get_json())
        pen, fee, principal = oracle.repay(pay, on)
        got = r.get_json()["repayment"]
        compare(tally, [text(pen), text(fee), text(principal)], [got["penalty"], got["fee"], got["principal"]],
                f"split on {on}")
        after = r.get_json()["loan"]  # the loan as of today ("as_of")
        compare_view(tally, oracle, after, date.fromisoformat(after["as_of"]))
        compare(tally, "repaid" if oracle.principal == 0 and oracle.view(on)["due"] == 0 else "disbursed",
                r.get_json()["loan"]["status"], f"status on {on}")
        tally["repayments"] += 1
    STATS["loans"] += 1
    for k in ("figures", "repayments", "views"):
        STATS[k] += tally[k]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(tiers, daily, st.integers(min_value=1, max_value=5 * 10**8), st.integers(min_value=1, max_value=15),
       st.dates(min_value=date(2020, 2, 1), max_value=date(2024, 12, 31)), events)
@example([(6, "0.0004")], "0.0005", 570000000, 8, date(2020, 2, 10), [(8, "view", 0), (8, "full", 0)])
@example([(6, "0.0004")], "0.0005", 100000000, 10, date(2020, 2, 10), [(13, "part", F(1, 502)), (0, "full", 0)])
def test_bridge_loans_match_the_oracle(world, fee_tiers, penalty, amount, term, value_date, history):  # noqa: ANN001
    try:
        run(world, fee_tiers, penalty, amount, term, value_date, history)
    except AssertionError as e:
        raise AssertionError(f"{e}\n  loan: {(fee_tiers, penalty, amount, term, value_date, history)!r}") from None


def teardown_module() -> None:
    path = os.environ.get("BRIDGEFUND_ORACLE_STATS")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({"test": "bridge", **STATS}) + "\n")
