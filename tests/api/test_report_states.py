"""A bridge loan's state in a report (services.report_data.bridge_status_on) at the overdue boundary: the one rule,
finance.bridge.is_overdue — the due date itself is not overdue, the day after is, and never with no principal
outstanding (issue 12, item 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bridgefund.finance.bridge import is_overdue
from bridgefund.services.report_data import bridge_status_on

DUE = dt.date(2020, 3, 31)


def _loan(**dates: dt.date | None) -> SimpleNamespace:
    fields = {"disbursed_on": dt.date(2020, 3, 1), "due_date": DUE, "repaid_on": None, "defaulted_on": None,
              "written_off_on": None}
    fields.update(dates)
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(("day", "outstanding", "state"), [
    (DUE - dt.timedelta(days=1), Decimal("100.00"), "outstanding"),
    (DUE, Decimal("100.00"), "outstanding"),                         # the due date is still a fee day
    (DUE + dt.timedelta(days=1), Decimal("100.00"), "overdue"),      # the day after: overdue
    (DUE + dt.timedelta(days=1), Decimal("0.01"), "overdue"),
    (DUE + dt.timedelta(days=1), Decimal("0.00"), "outstanding"),    # no principal left: never overdue
])
def test_overdue_is_finance_is_overdue(day: dt.date, outstanding: Decimal, state: str) -> None:
    assert bridge_status_on(_loan(), day, outstanding) == state
    assert (state == "overdue") == is_overdue(DUE, day, outstanding)


def test_the_loan_life_comes_before_overdue() -> None:
    after = DUE + dt.timedelta(days=5)
    assert bridge_status_on(_loan(written_off_on=after), after, Decimal("1")) == "written_off"
    assert bridge_status_on(_loan(repaid_on=after), after, Decimal("0")) == "repaid"
    assert bridge_status_on(_loan(defaulted_on=after), after, Decimal("1")) == "defaulted"
    assert bridge_status_on(_loan(defaulted_on=after), after - dt.timedelta(days=1), Decimal("1")) == "overdue"
    assert bridge_status_on(_loan(disbursed_on=None), after, Decimal("0")) == "not_disbursed"
