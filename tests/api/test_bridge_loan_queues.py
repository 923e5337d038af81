"""The list filters behind the console's work queues, through the API: ``awaiting`` and ``due_from``/``due_to``."""

from __future__ import annotations

import pytest

from tests.bridge_support import World


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("50000000.00").status_code == 201
    return w


def ids(r) -> list[int]:  # noqa: ANN001
    assert r.status_code == 200, r.get_json()
    return sorted(item["id"] for item in r.get_json()["items"])


def test_awaiting_first_or_second_approval(world) -> None:  # noqa: ANN001
    small = world.submit("1000000.00")
    big = world.submit("6000000.00", maturing_amount="6000000.00", renewal_amount="7000000.00")
    assert ids(world.get("/bridge-loans", awaiting="first_approval")) == [small["id"], big["id"]]
    r = world.post(f"/bridge-loans/{big['id']}/approve", {"decided_on": "2020-02-08"}, world.li)
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"  # dual approval: one of two
    assert ids(world.get("/bridge-loans", awaiting="first_approval")) == [small["id"]]
    assert ids(world.get("/bridge-loans", awaiting="second_approval")) == [big["id"]]
    assert world.get("/bridge-loans", awaiting="third").status_code == 422


def test_due_between_selects_lent_loans_by_due_date(world) -> None:  # noqa: ANN001
    early = world.disbursed("1000000.00", term_days=5, value_date="2020-03-20")  # due 2020-03-25
    late = world.disbursed("1000000.00", term_days=10, value_date="2020-03-20", enterprise_id=world.factory
                           .make_enterprise().id)  # due 2020-03-30
    world.submit("500000.00")  # not lent: never in a due-date list
    assert ids(world.get("/bridge-loans", due_from="2020-03-25", due_to="2020-03-29")) == [early["id"]]
    assert ids(world.get("/bridge-loans", due_from="2020-03-26")) == [late["id"]]
    assert ids(world.get("/bridge-loans", due_to="2020-03-30")) == [early["id"], late["id"]]
    r = world.repay(early["id"], "1000000.00", "2020-03-20", "R-1")
    assert r.status_code == 201 and r.get_json()["loan"]["status"] == "repaid"
    assert ids(world.get("/bridge-loans", due_to="2020-03-30")) == [late["id"]]  # repaid: nothing left to collect
    r = world.get("/bridge-loans", due_from="2020-03-30", due_to="2020-03-01")
    assert r.status_code == 422 and "query.due_from" in r.get_json()["errors"]
