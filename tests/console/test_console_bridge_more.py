"""The bridge loan's last steps in the console — declare default, write off, record a recovery — each tried by the
service at its confirmation (a refusal shows there, nothing changes) and confirmed with what it books (the days
overdue, the principal written off, what stays written off), then sent once; and the loan's approval form (审批表)
as a PDF, the report service's bytes, scoped like the loan."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent, BridgeLoan
from tests.bridge_support import World, check_invariants
from tests.console_support import one_time_key, signed_in, visible_text


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("5000000.00").status_code == 201
    return w


def events(db, loan_id: int) -> int:  # noqa: ANN001
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "bridge_loan",
                                                                        AuditEvent.entity_id == loan_id))


def test_default_write_off_and_recover_each_confirmed_with_what_it_books(app, db, world) -> None:  # noqa: ANN001
    loan = world.disbursed("1000000.00")  # due 2020-02-20; default after 30 days overdue → 2020-03-21
    lid = loan["id"]
    manager = signed_in(app, world.li_user)
    officer = signed_in(app, world.officer_user)
    page = manager.text(f"/bridge-loans/{lid}")
    assert 'data-testid="action-declare_default"' in page and 'data-testid="action-write_off"' not in page
    assert 'data-testid="action-declare_default"' not in officer.text(f"/bridge-loans/{lid}")
    n = events(db, lid)
    # too early: the service's refusal at the confirmation, nothing booked
    r = manager.get(f"/bridge-loans/{lid}/confirm/declare_default", query_string={"value_date": "2020-03-20"})
    assert r.status_code == 409 and "default needs" in visible_text(r.get_data(as_text=True))
    assert events(db, lid) == n and db.get(BridgeLoan, lid).status == "disbursed"
    confirm = manager.text(f"/bridge-loans/{lid}/confirm/declare_default", query_string={"value_date": "2020-03-21"})
    assert 'data-testid="confirm-declare_default"' in confirm and 'data-testid="outcome-days-overdue">30<' in confirm
    assert events(db, lid) == n and db.get(BridgeLoan, lid).status == "disbursed"  # tried, rolled back
    form = {"value_date": "2020-03-21", "idempotency_key": one_time_key(confirm)}
    assert manager.post(f"/bridge-loans/{lid}/declare_default", form).status_code == 303
    assert manager.post(f"/bridge-loans/{lid}/declare_default", form).headers.get("Idempotent-Replayed") == "true"
    db.expire_all()
    assert db.get(BridgeLoan, lid).status == "defaulted" and events(db, lid) == n + 1

    # write-off: a reason required (beside the field), then the loss shown before it is booked
    r = manager.get(f"/bridge-loans/{lid}/confirm/write_off", query_string={"reason": " ", "value_date": "2020-03-25"})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    confirm = manager.text(f"/bridge-loans/{lid}/confirm/write_off",
                           query_string={"reason": "企业破产清算", "value_date": "2020-03-25"})
    assert 'data-testid="outcome-written-off">1,000,000.00<' in confirm
    assert db.get(BridgeLoan, lid).status == "defaulted"
    form = {"reason": "企业破产清算", "value_date": "2020-03-25", "idempotency_key": one_time_key(confirm)}
    assert manager.post(f"/bridge-loans/{lid}/write_off", form).status_code == 303
    db.expire_all()
    loan_row = db.get(BridgeLoan, lid)
    assert loan_row.status == "written_off" and loan_row.written_off_amount == D("1000000.00")
    page = manager.text(f"/bridge-loans/{lid}")
    assert 'data-testid="written-off"' in page and 'data-testid="action-recover"' in page

    # a recovery: typed with separators and full-width digits; more than remains is refused at the confirmation
    r = manager.get(f"/bridge-loans/{lid}/confirm/recover",
                    query_string={"amount": "1,000,000.01", "value_date": "2020-03-26"})
    assert r.status_code == 422 and 'id="amount-error"' in r.get_data(as_text=True)
    confirm = manager.text(f"/bridge-loans/{lid}/confirm/recover",
                           query_string={"amount": "１００,０００.００", "value_date": "2020-03-26", "note": "拍卖"})
    assert 'data-testid="outcome-recovery">100,000.00<' in confirm
    assert 'data-testid="outcome-remaining">900,000.00<' in confirm
    db.expire_all()
    assert db.get(BridgeLoan, lid).recovered == D("0.00")
    form = {"amount": "１００,０００.００", "value_date": "2020-03-26", "note": "拍卖",
            "idempotency_key": one_time_key(confirm)}
    r = manager.post(f"/bridge-loans/{lid}/recover", form)
    assert r.status_code == 303
    assert manager.post(f"/bridge-loans/{lid}/recover", form).headers.get("Idempotent-Replayed") == "true"
    db.expire_all()
    assert db.get(BridgeLoan, lid).recovered == D("100000.00")  # once
    assert "100,000.00" in visible_text(manager.text(f"/bridge-loans/{lid}"))
    assert world.get("/fund", world.li, as_of="2020-03-31").get_json()["recoveries"] == "100000.00"
    check_invariants(db)


def test_other_roles_and_banks_cannot_default(app, db, world, factory) -> None:  # noqa: ANN001
    loan = world.disbursed("1000000.00")
    lid = loan["id"]
    officer = signed_in(app, world.officer_user)
    assert officer.get(f"/bridge-loans/{lid}/confirm/declare_default").status_code == 403
    key = one_time_key(officer.text("/bridge-loans/new"))
    assert officer.post(f"/bridge-loans/{lid}/declare_default", {"value_date": "2020-03-21",
                                                                 "idempotency_key": key}).status_code == 403
    db.expire_all()
    assert db.get(BridgeLoan, lid).status == "disbursed"


def test_the_approval_form_pdf_is_the_apis_and_scoped(app, world, factory) -> None:  # noqa: ANN001
    loan = world.approved("1000000.00")
    officer = signed_in(app, world.officer_user)
    page = officer.text(f"/bridge-loans/{loan['id']}")
    assert f'href="/bridge-loans/{loan["id"]}/approval-form.pdf"' in page
    r = officer.get(f"/bridge-loans/{loan['id']}/approval-form.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert f"approval-form-{loan['reference']}.pdf" in r.headers["Content-Disposition"]
    en = officer.get(f"/bridge-loans/{loan['id']}/approval-form.pdf?lang=en")
    assert en.status_code == 200 and en.data.startswith(b"%PDF")
    assert officer.get(f"/bridge-loans/{loan['id']}/approval-form.pdf?lang=fr").status_code == 422
    other = signed_in(app, factory.make_user("bank_officer", factory.make_bank()))
    r = other.get(f"/bridge-loans/{loan['id']}/approval-form.pdf")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert signed_in(app, factory.make_user("auditor")).get(
        f"/bridge-loans/{loan['id']}/approval-form.pdf").status_code == 200


def test_the_list_searches_by_enterprise_name_or_credit_code(app, world, factory) -> None:  # noqa: ANN001
    other = factory.make_enterprise()
    mine = world.submit()
    theirs = world.submit(enterprise_id=other.id)
    manager = signed_in(app, world.li_user)
    # one enterprise found: the list is filtered by it, the filter kept in the URL of the export
    html = manager.text("/bridge-loans", query_string={"q": world.enterprise.uscc})
    assert mine["reference"] in html and theirs["reference"] not in html
    assert f'id="flt-ent-{world.enterprise.id}" value="{world.enterprise.id}" checked' in html
    assert f"format=xlsx&amp;enterprise_id={world.enterprise.id}" in html
    # the enterprise_id filter alone (a link, the next page)
    html = manager.text("/bridge-loans", query_string={"enterprise_id": other.id})
    assert theirs["reference"] in html and mine["reference"] not in html
    # a search finding several: the choice is offered, nothing filtered yet
    html = manager.text("/bridge-loans", query_string={"q": "测试企业"})
    assert mine["reference"] in html and theirs["reference"] in html
    assert f'name="enterprise_id" id="ent-{other.id}"' in html
    # an officer's search never shows another bank's loans
    officer = signed_in(app, factory.make_user("bank_officer", factory.make_bank()))
    html = officer.text("/bridge-loans", query_string={"q": world.enterprise.uscc})
    assert mine["reference"] not in html
