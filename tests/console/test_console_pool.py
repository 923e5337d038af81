"""The console's pool-loan pages: the list and a loan's schedule and repayments, scoped and escaped like the API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bridgefund.models import PoolRepayment
from tests.console_support import one_time_key, signed_in, visible_text
from tests.pool_support import PoolWorld


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_the_list_and_the_detail_show_the_apis_figures(app, world, factory) -> None:  # noqa: ANN001
    loan = world.loan(contract_no="HT-<script>alert(1)</script>")
    assert world.repay(loan["id"], "100000.00", "2020-02-15", ref="R-<b>1</b>").status_code == 201
    api = world.get(f"/pool-loans/{loan['id']}", as_of="2020-03-31").get_json()
    officer = signed_in(app, world.officer_user)
    listing = officer.text("/pool-loans?as_of=2020-03-31")
    assert loan["reference"] in listing
    assert "<script>alert(1)</script>" not in listing and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    page = officer.text(f"/pool-loans/{loan['id']}?as_of=2020-03-31")
    assert "<b>1</b>" not in page and "R-&lt;b&gt;1&lt;/b&gt;" in page
    schedule = re.search(r'data-testid="schedule">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr>\s*<td>(\d+)</td><td>([\d-]+)</td><td class=\"num\">([\d,.]+)</td>", schedule)
    assert [(int(n), d) for n, d, _ in rows] == [(i["seq"], i["due_date"]) for i in api["schedule"]]
    assert sum(Decimal(p.replace(",", "")) for _, _, p in rows) == Decimal(loan["principal"])
    text = visible_text(page)
    assert f"{Decimal(api['principal_outstanding']):,.2f}" in text
    assert f"{Decimal(api['amount_due']):,.2f}" in text


def test_access_per_role_and_bank(app, world, factory) -> None:  # noqa: ANN001
    loan = world.loan()
    other_user = factory.make_user("bank_officer", world.other_bank)
    for user in (world.officer_user, factory.make_user("fund_manager"), factory.make_user("admin"),
                 factory.make_user("auditor")):
        b = signed_in(app, user)
        assert b.get("/pool-loans").status_code == 200
        assert b.get(f"/pool-loans/{loan['id']}").status_code == 200
    other = signed_in(app, other_user)
    assert loan["reference"] not in other.text("/pool-loans")  # another bank's loan is not listed
    assert other.get(f"/pool-loans/{loan['id']}").status_code == 404
    assert other.get("/pool-loans/999999").status_code == 404


def test_bad_filters_are_field_errors_not_500(app, world) -> None:  # noqa: ANN001
    loan = world.loan()
    b = signed_in(app, world.officer_user)
    r = b.get("/pool-loans?as_of=2020-13-01")
    assert r.status_code == 422 and "as_of" in r.get_data(as_text=True)
    r = b.get("/pool-loans?classification=worst")
    assert r.status_code == 422 and "classification" in r.get_data(as_text=True)
    r = b.get(f"/pool-loans/{loan['id']}?as_of=not-a-date")
    assert r.status_code == 422 and loan["reference"] in r.get_data(as_text=True)


def test_signed_out_is_sent_to_sign_in(client, world) -> None:  # noqa: ANN001
    r = client.get("/pool-loans")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]


def test_recording_a_repayment_confirms_first_and_acts_once(app, db, world) -> None:  # noqa: ANN001
    loan = world.loan()
    officer = signed_in(app, world.officer_user)
    page = officer.text(f"/pool-loans/{loan['id']}")
    assert 'data-testid="action-repay"' in page
    form = {"amount": "１００,０００.００", "value_date": "2020-02-15", "external_ref": "R-<i>9</i>"}
    confirm = officer.text(f"/pool-loans/{loan['id']}/confirm/repay", query_string=form)
    assert 'data-testid="confirm-repay"' in confirm and "100,000.00" in confirm
    assert "<i>9</i>" not in confirm and "R-&lt;i&gt;9&lt;/i&gt;" in confirm
    assert db.query(PoolRepayment).count() == 0  # the confirmation stores nothing
    data = {**form, "idempotency_key": one_time_key(confirm)}
    r = officer.post(f"/pool-loans/{loan['id']}/repay", data)
    assert r.status_code == 303
    again = officer.post(f"/pool-loans/{loan['id']}/repay", data)  # a double submit: replayed, not booked twice
    assert again.status_code == 303 and again.headers.get("Idempotent-Replayed") == "true"
    assert db.query(PoolRepayment).count() == 1
    api = world.get(f"/pool-loans/{loan['id']}").get_json()
    assert [(x["amount"], x["external_ref"]) for x in api["repayments"]] == [("100000.00", "R-<i>9</i>")]


def test_a_refused_repayment_shows_the_field_and_changes_nothing(app, db, world, factory) -> None:  # noqa: ANN001
    loan = world.loan()
    officer = signed_in(app, world.officer_user)
    r = officer.get(f"/pool-loans/{loan['id']}/confirm/repay",
                    query_string={"amount": "abc", "value_date": "2020-02-15", "external_ref": "R1"})
    assert r.status_code == 422 and 'id="amount-error"' in r.get_data(as_text=True)
    valid = {"amount": "100.00", "value_date": "2020-02-15", "external_ref": "R1"}
    key = one_time_key(officer.text(f"/pool-loans/{loan['id']}/confirm/repay", query_string=valid))
    r = officer.post(f"/pool-loans/{loan['id']}/repay",
                     {"amount": "100.00", "value_date": "2019-12-01", "external_ref": "R1", "idempotency_key": key})
    assert r.status_code == 422 and 'id="value_date-error"' in r.get_data(as_text=True)
    assert officer.post(f"/pool-loans/{loan['id']}/repay", {"amount": "100.00"}, csrf=False).status_code == 400
    # An auditor has no button and is refused; another bank's officer gets 404.
    auditor = signed_in(app, factory.make_user("auditor"))
    assert 'data-testid="action-repay"' not in auditor.text(f"/pool-loans/{loan['id']}")
    assert auditor.get(f"/pool-loans/{loan['id']}/confirm/repay").status_code == 403
    other = signed_in(app, factory.make_user("bank_officer", world.other_bank))
    key = one_time_key(other.text("/bridge-loans/new"))
    r = other.post(f"/pool-loans/{loan['id']}/repay",
                   {"amount": "100.00", "value_date": "2020-02-15", "external_ref": "R2", "idempotency_key": key})
    assert r.status_code == 404
    assert db.query(PoolRepayment).count() == 0
