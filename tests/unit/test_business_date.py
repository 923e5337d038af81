"""The one definition of "today": Settings.business_date (web.today, the CLIs, the demo and registry use it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bridgefund.config import Settings


def test_a_pinned_today_wins_over_the_clock():
    assert Settings(today="2020-03-31").business_date() == dt.date(2020, 3, 31)


def test_the_clock_is_read_in_the_fund_timezone():
    # UTC+14 and UTC−11 are 25 hours apart: always on different dates; each zone answers its own
    got = {}
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        before = dt.datetime.now(ZoneInfo(zone)).date()
        got[zone] = Settings(timezone=zone).business_date()
        assert got[zone] in (before, dt.datetime.now(ZoneInfo(zone)).date())
    assert got["Pacific/Kiritimati"] > got["Pacific/Pago_Pago"]


def test_the_default_is_shanghai_unpinned():
    s = Settings()
    assert (s.timezone, s.today) == ("Asia/Shanghai", "")
    assert s.business_date() in {dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=d)
                                 for d in (0, 1)}
