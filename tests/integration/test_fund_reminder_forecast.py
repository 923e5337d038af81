"""The fund's cash reminder (``fund_cash_short``, DOMAIN.md "Reminders") is the cash forecast of ``GET
/fund/forecast``: time-travelled day by day, it fires on a business date exactly when that date's forecast of the
next 14 days goes below zero somewhere, naming the forecast's first such day and shortfall — and not one cent
earlier.

The book: 3,000,000.00 capital on 2020-02-07; loan A 1,000,000.00 disbursed 2020-02-10 for 10 days (back on
2020-02-20 with its 3,000.00 fee); loan B approved on 2020-02-12, its maturing loan due 2020-02-18, so it is to be
disbursed then while the cash is 2,000,000.00; 1,000,000.00 more capital on 2020-02-19.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridgefund.models import NotificationEvent
from bridgefund.services import reminders
from bridgefund.services.actor import SYSTEM
from tests.bridge_support import World

DAYS = [dt.date(2020, 2, 8) + dt.timedelta(days=n) for n in range(18)]  # 02-08 … 02-25


def book(world: World, settings, pipeline: str) -> None:  # noqa: ANN001
    settings.today = "2020-02-07"
    assert world.capital("3000000.00", "2020-02-07").status_code == 201
    settings.today = "2020-02-08"
    a = world.approved("1000000.00", 10)
    settings.today = "2020-02-10"
    assert world.disburse(a["id"], "2020-02-10").status_code == 200
    settings.today = "2020-02-12"
    world.approved(pipeline, 10, submitted_on="2020-02-12",
                   maturing_loan={"contract_no": "HT-B", "amount": pipeline, "due_date": "2020-02-18"})
    settings.today = "2020-02-19"
    assert world.capital("1000000.00", "2020-02-19").status_code == 201
    settings.today = "2020-03-31"


def cash_event(db, day: dt.date) -> NotificationEvent | None:  # noqa: ANN001
    return db.scalars(select(NotificationEvent).where(NotificationEvent.kind == "fund_cash_short",
                                                      NotificationEvent.business_date == day)).one_or_none()


@pytest.mark.parametrize(("pipeline", "fires_on"), [
    # 2,000,000.00 out of 2,000,000.00 cash leaves exactly 0.00: never below, never reminded
    ("2000000.00", []),
    # one cent more: below zero on 02-18 from the day B is approved (02-12) until the capital of 02-19 covers it
    ("2000000.01", [dt.date(2020, 2, 12) + dt.timedelta(days=n) for n in range(7)]),
])
def test_the_reminder_fires_exactly_when_the_forecast_goes_below_zero(app, db, client, factory, settings,
                                                                      pipeline, fires_on) -> None:  # noqa: ANN001
    world = World(client, factory)
    book(world, settings, pipeline)
    fired = []
    for day in DAYS:
        reminders.send_reminders(db, SYSTEM, day)
        r = world.get("/fund/forecast", world.li, **{"from": day.isoformat(), "days": reminders.FORECAST_DAYS + 1})
        assert r.status_code == 200, r.get_json()
        forecast = r.get_json()
        below = [i for i in forecast["items"] if Decimal(i["cash"]) < 0]
        event = cash_event(db, day)
        assert (event is not None) == bool(below), (day, forecast["lowest"])
        if event is not None:
            fired.append(day)
            first = below[0]
            assert event.params["date"] == first["date"] == "2020-02-18"
            assert Decimal(event.params["shortfall"]) == -Decimal(first["cash"]) == Decimal(pipeline) - 2_000_000
            assert Decimal(event.params["pipeline"]) == Decimal(pipeline)
            assert Decimal(event.params["cash_today"]) == Decimal(forecast["opening_cash"])
    assert fired == fires_on
