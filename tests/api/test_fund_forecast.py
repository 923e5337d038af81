"""``GET /fund/forecast`` and the financing cost saved on ``GET /fund`` (API.md "Second round", DOMAIN.md).

The book: 10,000,000.00 capital on 2020-02-07; loan A 1,000,000.00 disbursed 2020-02-10 for 10 days (due 2020-02-20,
fee 5 days × 0.2‰ + 5 days × 0.4‰ = 3,000.00); loan B 2,000,000.00 approved, its maturing loan due 2020-02-10;
loan C 500,000.00 approved, its maturing loan due 2020-02-18.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bridgefund.finance import financing_cost_saved
from bridgefund.models import AuditEvent
from tests.api_support import assert_problem
from tests.bridge_support import World

D = Decimal


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


@pytest.fixture
def book(world):  # noqa: ANN001, ANN201
    assert world.capital("10000000.00").status_code == 201
    a = world.disbursed("1000000.00", 10, value_date="2020-02-10")
    b = world.approved("2000000.00", 10)
    c = world.approved("500000.00", 10, maturing_loan={"contract_no": "HT-C", "amount": "500000.00",
                                                        "due_date": "2020-02-18"})
    return {"a": a, "b": b, "c": c}


def forecast(world: World, headers: dict | None = None, **query: object) -> dict:
    r = world.get("/fund/forecast", headers or world.li, **query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_forecast_counts_repayments_due_and_approved_loans_to_disburse(world, book) -> None:  # noqa: ANN001
    f = forecast(world, **{"from": "2020-02-15", "days": 10})
    assert (f["from"], f["days"], f["books_as_of"]) == ("2020-02-15", 10, "2020-02-15")
    assert f["opening_cash"] == "9000000.00"  # the books at the end of 02-15: 10,000,000 in, A's 1,000,000 out
    items = {i["date"]: i for i in f["items"]}
    assert [i["date"] for i in f["items"]] == [str(dt.date(2020, 2, 15) + dt.timedelta(days=n)) for n in range(10)]
    # B's maturing loan was due 2020-02-10 and B is still not disbursed: it goes out on the first day
    assert items["2020-02-15"] == {"date": "2020-02-15", "expected_in": "0.00", "expected_out": "2000000.00",
                                   "cash": "7000000.00"}
    assert items["2020-02-18"]["expected_out"] == "500000.00"
    assert items["2020-02-18"]["cash"] == "6500000.00"
    # A comes back on its due date with its fee
    assert items["2020-02-20"]["expected_in"] == "1003000.00"
    assert items["2020-02-20"]["cash"] == "7503000.00"
    assert items["2020-02-24"]["cash"] == "7503000.00"
    assert f["lowest"] == {"date": "2020-02-18", "cash": "6500000.00"}


def test_forecast_follows_the_books(world, book) -> None:  # noqa: ANN001
    """Once A is repaid and B disbursed, neither is expected any more; a partial repayment lowers what is due."""
    assert world.disburse(book["b"]["id"], "2020-02-16").status_code == 200
    f = forecast(world, **{"from": "2020-02-16", "days": 5})
    items = {i["date"]: i for i in f["items"]}
    assert f["opening_cash"] == "7000000.00"
    assert all(i["expected_out"] == "0.00" for i in f["items"] if i["date"] != "2020-02-18")
    assert items["2020-02-18"]["expected_out"] == "500000.00"
    r = world.repay(book["a"]["id"], "400000.00", "2020-02-17", "A-1")
    assert r.status_code == 201, r.get_json()
    f = forecast(world, **{"from": "2020-02-17", "days": 5})
    items = {i["date"]: i for i in f["items"]}
    # 400,000 paid the 7 days' fee (5 × 200 + 2 × 400 = 1,800) and 398,200 of principal; 601,800 is left, and its
    # fee for days 8–10 (3 × 0.4‰ × 601,800 = 722.16) on top of the 1,800 already paid
    assert items["2020-02-20"]["expected_in"] == "602522.16"
    assert f["opening_cash"] == "7400000.00"  # the books at the end of 02-17 already hold the 400,000 in
    assert items["2020-02-17"]["cash"] == "7400000.00"
    # a past start reads the books as they stood then: on 2020-02-15, B was still to be disbursed
    old = forecast(world, **{"from": "2020-02-15", "days": 3})
    assert old["items"][0]["expected_out"] == "2000000.00"


def test_forecast_from_a_future_day_starts_from_today_s_books(world, book, settings) -> None:  # noqa: ANN001
    settings.today = "2020-02-15"
    f = forecast(world, **{"from": "2020-02-19", "days": 3})
    assert f["books_as_of"] == "2020-02-15"
    # B (out on 02-15) and C (out on 02-18) are in the opening cash; A comes back on 02-20
    assert f["opening_cash"] == "6500000.00"
    assert [i["expected_in"] for i in f["items"]] == ["0.00", "1003000.00", "0.00"]
    assert f["lowest"] == {"date": "2020-02-19", "cash": "6500000.00"}


def test_forecast_defaults_and_boundaries(world, book, settings) -> None:  # noqa: ANN001
    f = forecast(world)
    assert f["from"] == "2020-03-31" and f["days"] == 30 and len(f["items"]) == 30
    assert len(forecast(world, days=90)["items"]) == 90
    assert len(forecast(world, days=1)["items"]) == 1
    assert_problem(world.get("/fund/forecast", days=0), 422, "query.days")
    assert_problem(world.get("/fund/forecast", days=91), 422, "query.days")
    assert_problem(world.get("/fund/forecast", days="x"), 422, "query.days")
    assert_problem(world.get("/fund/forecast", **{"from": "2020-02-30"}), 422, "query.from")
    assert_problem(world.get("/fund/forecast", **{"from": "1899-12-31"}), 422, "query.from")
    assert_problem(world.get("/fund/forecast", bogus=1), 422, "query.bogus")
    # before the fund's established_on (default 2000-01-01)
    assert_problem(world.get("/fund/forecast", **{"from": "1999-12-31"}), 422, "from")
    assert forecast(world, **{"from": "2000-01-01", "days": 2})["opening_cash"] == "0.00"


def test_forecast_is_for_staff_and_auditors(world, book) -> None:  # noqa: ANN001
    forecast(world, world.auditor)
    forecast(world, world.admin)
    assert_problem(world.get("/fund/forecast", world.officer), 403)
    assert_problem(world.client.get("/api/v1/fund/forecast"), 401)


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(dt.date(2020, 2, 1), dt.date(2020, 4, 30)), days=st.integers(1, 90))
def test_each_day_s_cash_is_the_day_before_plus_in_minus_out(world, book, start, days) -> None:  # noqa: ANN001
    f = forecast(world, **{"from": start.isoformat(), "days": days})
    cash = D(f["opening_cash"])
    assert len(f["items"]) == days
    for n, item in enumerate(f["items"]):
        assert item["date"] == (start + dt.timedelta(days=n)).isoformat()
        cash = cash + D(item["expected_in"]) - D(item["expected_out"])
        assert D(item["cash"]) == cash
        assert D(item["expected_in"]) >= 0 and D(item["expected_out"]) >= 0
    low = min(f["items"], key=lambda i: D(i["cash"]))
    assert f["lowest"] == {"date": low["date"], "cash": low["cash"]}


# --- financing cost saved ----------------------------------------------------------------------------------


def test_financing_cost_saved_rounds_once_half_up() -> None:
    assert financing_cost_saved(D("1000000.00"), 10, D("0.001"), D("3000.00"), D("0.00")) == D("7000.00")
    assert financing_cost_saved(D("0.05"), 1, D("0.1"), D("0"), D("0")) == D("0.01")  # 0.005 → 0.01
    assert financing_cost_saved(D("0.04"), 1, D("0.1"), D("0"), D("0")) == D("0.00")
    assert financing_cost_saved(D("100.00"), 1, D("0.001"), D("1.00"), D("0.50")) == D("-1.40")
    with pytest.raises(ValueError):
        financing_cost_saved(D("100.00"), -1, D("0.001"), D("0"), D("0"))


def test_financing_cost_saved_on_get_fund(world, book, db) -> None:  # noqa: ANN001
    def fund(as_of: str) -> dict:
        r = world.get("/fund", world.auditor, as_of=as_of)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    assert fund("2020-02-29")["financing_cost_saved"] == "0.00"
    assert world.repay(book["a"]["id"], "1003000.00", "2020-02-20", "A-1").status_code == 201
    # 1,000,000 × 10 days × 0.1% = 10,000.00 a private lender would have charged, less the 3,000.00 fee
    assert fund("2020-02-19")["financing_cost_saved"] == "0.00"
    feb = fund("2020-02-29")
    assert (feb["financing_cost_saved"], feb["financing_cost_saved_month"]) == ("7000.00", "7000.00")
    assert fund("2020-02-20")["financing_cost_saved_month"] == "7000.00"
    mar = fund("2020-03-31")
    assert (mar["financing_cost_saved"], mar["financing_cost_saved_month"]) == ("7000.00", "0.00")

    # the setting changes: February's figure does not; a loan repaid from now on uses the new rate
    settings = world.get("/fund/settings", world.admin).get_json()
    assert settings["market_bridge_daily_rate"] == "0.001"
    r = world.client.put("/api/v1/fund/settings", json={**settings, "market_bridge_daily_rate": "0.002"},
                         headers=world.admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["market_bridge_daily_rate"] == "0.002"
    event = db.query(AuditEvent).filter_by(action="update_settings").order_by(AuditEvent.id.desc()).first()
    assert D(event.before["market_bridge_daily_rate"]) == D("0.001")
    assert D(event.after["market_bridge_daily_rate"]) == D("0.002")
    assert fund("2020-02-29")["financing_cost_saved"] == "7000.00"
    assert world.disburse(book["c"]["id"], "2020-03-02").status_code == 200
    assert world.repay(book["c"]["id"], "500500.00", "2020-03-07", "C-1").status_code == 201  # 5 days at 0.2‰
    # 500,000 × 5 × 0.2% = 5,000.00 − 500.00 fee = 4,500.00
    mar = fund("2020-03-31")
    assert (mar["financing_cost_saved"], mar["financing_cost_saved_month"]) == ("11500.00", "4500.00")
    assert fund("2020-02-29")["financing_cost_saved"] == "7000.00"


def test_market_bridge_daily_rate_setting_is_validated(world, db) -> None:  # noqa: ANN001
    settings = world.get("/fund/settings", world.admin).get_json()
    before = db.query(AuditEvent).count()
    for bad in ("0", "0.00", "-0.001", "0.011", "abc", "0.001 ", "０.001", 0.001, None, True):
        r = world.client.put("/api/v1/fund/settings", json={**settings, "market_bridge_daily_rate": bad},
                             headers=world.admin)
        assert_problem(r, 422, "market_bridge_daily_rate")
    assert db.query(AuditEvent).count() == before
    assert world.get("/fund/settings", world.admin).get_json()["market_bridge_daily_rate"] == "0.001"
    # a PUT without it keeps it
    without = {k: v for k, v in settings.items() if k != "market_bridge_daily_rate"}
    world.client.put("/api/v1/fund/settings", json={**settings, "market_bridge_daily_rate": "0.0015"},
                     headers=world.admin)
    r = world.client.put("/api/v1/fund/settings", json=without, headers=world.admin)
    assert r.status_code == 200 and r.get_json()["market_bridge_daily_rate"] == "0.0015"
