"""The renewal loop (issue 15; DOMAIN.md "The renewal loop"): the bank's officer records the renewal's approval and
disbursement; the loan view shows it; the repayment that follows is linked; refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent
from bridgefund.services import bridge_loans, fund
from bridgefund.services.actor import SYSTEM, Actor
from tests.api_support import assert_problem
from tests.documents_support import submit_bridge_loan


@pytest.fixture
def world(factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    bank, other = factory.make_bank(), factory.make_bank()
    w = type("W", (), {})()
    w.officer = factory.as_role("bank_officer", bank)
    w.other_officer = factory.as_role("bank_officer", other)
    w.manager = factory.as_role("fund_manager")
    user = factory.make_user("fund_manager")
    mgr = Actor(id=user.id, username=user.username, role=user.role)
    w.loan = submit_bridge_loan(factory, bank)
    fund.move_capital(factory.session, SYSTEM, amount=Decimal("100000000.00"), value_date=dt.date(2020, 1, 2),
                      direction="in", today=dt.date(2020, 12, 31), note="t")
    bridge_loans.approve(factory.session, mgr, w.loan.id)
    factory.commit()
    w.mgr = mgr
    return w


def _post(client, loan_id, what, body, headers):  # noqa: ANN001, ANN202
    return client.post(f"/api/v1/bridge-loans/{loan_id}/renewal/{what}", json=body, headers=headers)


def test_the_loop_from_commitment_to_repayment(client, world, factory, db):  # noqa: ANN001
    loan_id = world.loan.id
    approved = {"decided_on": "2020-02-08", "amount": "2000000.00"}
    assert_problem(_post(client, loan_id, "approved", approved, world.manager), 403)
    assert_problem(_post(client, loan_id, "approved", approved, world.other_officer), 404)
    disbursed = {"value_date": "2020-02-12", "amount": "2000000.00", "contract_no": "RN-2020-1"}
    assert_problem(_post(client, loan_id, "disbursed", disbursed, world.officer), 409)  # not approved yet
    events = db.scalar(select(func.count(AuditEvent.id)))
    r = _post(client, loan_id, "approved", approved, world.officer)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["renewal"]["status"] == "approved" and r.get_json()["renewal"]["approved_on"] == "2020-02-08"
    assert db.scalar(select(func.count(AuditEvent.id))) == events + 1
    assert_problem(_post(client, loan_id, "approved", approved, world.officer), 409)  # once
    assert_problem(_post(client, loan_id, "disbursed", disbursed, world.officer), 409)  # the fund has not lent yet
    bridge_loans.disburse(factory.session, world.mgr, loan_id, value_date=dt.date(2020, 2, 10),
                          today=dt.date(2020, 12, 31))
    factory.commit()
    early = disbursed | {"value_date": "2020-02-09"}
    assert_problem(_post(client, loan_id, "disbursed", early, world.officer), 422, "value_date")
    r = _post(client, loan_id, "disbursed", disbursed, world.officer)
    assert r.status_code == 200, r.get_json()
    renewal = r.get_json()["renewal"]
    assert renewal["status"] == "disbursed" and renewal["contract_no"] == "RN-2020-1"
    assert renewal["disbursed_amount"] == "2000000.00" and renewal["repayment_id"] is None
    r = client.post(f"/api/v1/bridge-loans/{loan_id}/repayments", headers=world.officer,
                    json={"amount": "1000000.00", "value_date": "2020-02-12", "external_ref": "RN-2020-1-P"})
    assert r.status_code == 201, r.get_json()
    shown = client.get(f"/api/v1/bridge-loans/{loan_id}", headers=world.officer).get_json()
    assert shown["renewal"]["repayment_id"] == r.get_json()["repayment"]["id"]


def test_bad_renewal_bodies_are_422_naming_the_field(client, world):  # noqa: ANN001
    loan_id = world.loan.id
    assert_problem(_post(client, loan_id, "approved", {"decided_on": "2020-02-08", "amount": "-1.00"},
                         world.officer), 422, "amount")
    assert_problem(_post(client, loan_id, "approved", {"decided_on": "2030-01-01", "amount": "1.00"},
                         world.officer), 422, "decided_on")
    assert_problem(_post(client, loan_id, "approved", {"decided_on": "2020-01-01", "amount": "1.00"},
                         world.officer), 422, "decided_on")


def test_each_banks_renewal_record_in_the_statement_and_the_monthly_bank_table(client, world, factory, db):  # noqa: ANN001
    from bridgefund.services.report_data import bank_statement_data, monthly_report_data, renewal_record_by_bank

    loan_id = world.loan.id
    bridge_loans.disburse(factory.session, world.mgr, loan_id, value_date=dt.date(2020, 2, 10),
                          today=dt.date(2020, 12, 31))
    factory.commit()
    bank_id = world.loan.bank_id
    assert renewal_record_by_bank(db, dt.date(2020, 2, 29))[bank_id] == {
        "renewal_committed": 1, "renewal_on_time": 0, "renewal_late": 0, "renewal_failed": 0}
    assert _post(client, loan_id, "approved", {"decided_on": "2020-02-08", "amount": "2000000.00"},
                 world.officer).status_code == 200
    r = _post(client, loan_id, "disbursed", {"value_date": "2020-03-02", "amount": "2000000.00",
                                             "contract_no": "RN-2"}, world.officer)
    assert r.status_code == 200, r.get_json()
    # committed for 2020-02-08: renewed on 2020-03-02 is late; February's record is as it was
    assert renewal_record_by_bank(db, dt.date(2020, 2, 29))[bank_id]["renewal_late"] == 0
    march = [b for b in monthly_report_data(db, "2020-03")["banks"] if b["id"] == bank_id][0]
    assert (march["renewal_committed"], march["renewal_on_time"], march["renewal_late"]) == (1, 0, 1)
    bank = db.get(type(world.loan).bank.property.mapper.class_, bank_id)
    assert bank_statement_data(db, bank, "2020-03")["renewals"]["renewal_late"] == 1


def _renewal_notes(client, headers):  # noqa: ANN001, ANN202
    r = client.get("/api/v1/notifications", headers=headers)
    assert r.status_code == 200, r.get_json()
    return [n for n in r.get_json()["items"] if n["kind"] == "renewal_unpaid"]


def test_renewal_disbursed_but_fund_unpaid_after_one_working_day_is_reminded(client, world, factory, db):  # noqa: ANN001
    """DOMAIN.md: the renewal disbursed (Wed 2020-02-12) and the fund not repaid by the next working day (Thu 02-13)
    raises ``renewal_unpaid`` on the run of Fri 02-14, to that bank's officer and not another bank's; once per day;
    a repaid loan is not reminded."""
    from bridgefund.services import reminders

    loan_id = world.loan.id
    assert _post(client, loan_id, "approved", {"decided_on": "2020-02-08", "amount": "2000000.00"},
                 world.officer).status_code == 200
    bridge_loans.disburse(factory.session, world.mgr, loan_id, value_date=dt.date(2020, 2, 10),
                          today=dt.date(2020, 12, 31))
    factory.commit()
    assert _post(client, loan_id, "disbursed", {"value_date": "2020-02-12", "amount": "2000000.00",
                                                "contract_no": "RN-2020-9"}, world.officer).status_code == 200
    for day in (dt.date(2020, 2, 12), dt.date(2020, 2, 13)):  # within one working day: no alarm yet
        reminders.send_reminders(db, SYSTEM, day)
        db.commit()
        assert _renewal_notes(client, world.officer) == []
    reminders.send_reminders(db, SYSTEM, dt.date(2020, 2, 14))
    reminders.send_reminders(db, SYSTEM, dt.date(2020, 2, 14))  # a rerun tells nobody twice
    db.commit()
    notes = _renewal_notes(client, world.officer)
    assert len(notes) == 1 and notes[0]["link"] == f"/bridge-loans/{loan_id}"
    assert "2020-02-12" in notes[0]["body"] and world.loan.reference in notes[0]["title"]
    assert _renewal_notes(client, world.other_officer) == []
    assert len(_renewal_notes(client, world.manager)) == 1
    due = client.get(f"/api/v1/bridge-loans/{loan_id}?as_of=2020-02-14", headers=world.officer).get_json()
    r = client.post(f"/api/v1/bridge-loans/{loan_id}/repayments", headers=world.officer,
                    json={"amount": due["amount_due"], "value_date": "2020-02-14", "external_ref": "RN-2020-9-P"})
    assert r.status_code == 201 and r.get_json()["loan"]["status"] == "repaid", r.get_json()
    reminders.send_reminders(db, SYSTEM, dt.date(2020, 2, 17))  # repaid in full: the loop closed, no alarm
    db.commit()
    assert len(_renewal_notes(client, world.officer)) == 1
