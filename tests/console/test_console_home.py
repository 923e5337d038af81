"""The home pages' figures come from the services and mean what they say."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bridgefund.services import pool_loans
from bridgefund.services.actor import Actor
from tests.console_support import signed_in
from tests.pool_support import PoolWorld


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_claim_eligible_pool_loans_are_counted_per_bank_and_date(app, db, world, settings) -> None:  # noqa: ANN001
    world.loan()  # never pays: its first installment (2020-02-15) is 90 days past due on 2020-05-15
    world.default_and_claim()  # the same, with a claim filed on 2020-06-01
    world.loan(headers=world.other_officer)  # another bank's
    officer = Actor(id=world.officer_user.id, username="o", role="bank_officer", bank_id=world.bank.id)
    staff = Actor(id=None, username="m", role="fund_manager")

    def count(actor: Actor, on: str) -> int:
        return pool_loans.claim_eligible_count(db, actor, dt.date.fromisoformat(on))

    assert count(officer, "2020-05-14") == 0
    assert count(officer, "2020-05-15") == 2
    assert count(officer, "2020-06-01") == 1  # the claimed one is no longer eligible
    assert count(staff, "2020-06-01") == 2  # staff count every bank's
    settings.today = "2020-06-01"
    page = signed_in(app, world.officer_user).text("/")
    assert re.search(r'data-testid="claim-eligible">1<', page)
    assert re.search(r'data-testid="quota-used">2,400,000.00<', page)  # two loans of 1,200,000.00, nothing repaid
