"""The dashboard's cash forecast (``GET /fund/forecast``'s figures, the same service and query schema) as an htmx
fragment loaded after the dashboard's own figures, or a page of its own; and the financing cost saved among the
fund's figures (``GET /fund``)."""

from __future__ import annotations

import re

import pytest

from tests.bridge_support import World
from tests.console_support import signed_in, visible_text

HX = {"HX-Request": "true"}


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("5000000.00").status_code == 201
    return w


def test_the_forecast_is_the_apis(app, world) -> None:  # noqa: ANN001
    world.disbursed("1000000.00", 10, value_date="2020-03-25")  # due 2020-04-04
    world.approved("4500000.00", 10, maturing_loan={"contract_no": "HT-B", "amount": "4500000.00",
                                                    "due_date": "2020-04-01"})
    api = world.get("/fund/forecast", world.li).get_json()
    manager = signed_in(app, world.li_user)
    dashboard = manager.text("/dashboard")
    assert 'hx-get="/dashboard/forecast"' in dashboard and 'data-testid="forecast-area"' in dashboard
    fragment = manager.text("/dashboard/forecast", headers=HX)
    assert "<html" not in fragment and 'data-testid="forecast-chart"' in fragment
    shown = re.findall(r'data-testid="forecast-day"><td>([0-9-]+)</td><td class="num">([^<]+)</td>'
                       r'<td class="num">([^<]+)</td><td class="num">([^<]+)</td>', fragment)
    by_day = {d["date"]: d for d in api["items"]}
    assert len(shown) >= 3
    for day, expected_in, expected_out, cash in shown:
        d = by_day[day]
        assert (expected_in, expected_out, cash) == (f"{float(d['expected_in']):,.2f}",
                                                     f"{float(d['expected_out']):,.2f}", f"{float(d['cash']):,.2f}")
    moving = {d["date"] for d in api["items"] if float(d["expected_in"]) or float(d["expected_out"])}
    assert any(float(d["expected_in"]) for d in api["items"]) and any(float(d["expected_out"]) for d in api["items"])
    assert moving <= {s[0] for s in shown}  # every day money moves: the loan coming back, the approved one going out
    low = api["lowest"]
    assert f"{float(low['cash']):,.2f}" in visible_text(fragment) and low["date"] in fragment
    assert float(low["cash"]) < 0 and 'data-testid="forecast-short"' in fragment
    # a page of its own, with another window
    page = manager.text("/dashboard/forecast?from=2020-04-01&days=7")
    assert "<html" in page and page.count('data-testid="forecast-day"') >= 2
    api7 = world.get("/fund/forecast", world.li, **{"from": "2020-04-01", "days": 7}).get_json()
    assert f"{float(api7['lowest']['cash']):,.2f}" in visible_text(page)


def test_refusals_and_access(app, world, factory) -> None:  # noqa: ANN001
    manager = signed_in(app, world.li_user)
    r = manager.get("/dashboard/forecast?days=91")
    assert r.status_code == 422 and 'id="days-error"' in r.get_data(as_text=True)
    r = manager.get("/dashboard/forecast?from=1999-01-01", headers=HX)
    assert r.status_code == 422 and 'id="from-error"' in r.get_data(as_text=True)
    assert signed_in(app, world.officer_user).get("/dashboard/forecast").status_code == 403
    assert signed_in(app, factory.make_user("auditor")).get("/dashboard/forecast").status_code == 200


def test_the_dashboard_shows_the_financing_cost_saved(app, world) -> None:  # noqa: ANN001
    loan = world.disbursed("1000000.00", 10, value_date="2020-03-02")
    assert world.repay(loan["id"], "1003000.00", "2020-03-12", "R1").status_code == 201
    fund = world.get("/fund", world.li).get_json()
    assert float(fund["financing_cost_saved"]) > 0
    html = signed_in(app, world.li_user).text("/dashboard")
    shown = re.search(r'data-testid="fund-financing_cost_saved">([^<]+)<', html).group(1)
    assert shown == f"{float(fund['financing_cost_saved']):,.2f}"
