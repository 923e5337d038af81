"""The console's claims: filing one from a pool loan (the service's amount shown before confirming), approving,
rejecting with a reason, paying, and recoveries with the pool's split shown first; scoped and escaped."""

from __future__ import annotations

import pytest

from bridgefund.models import Claim, PoolRecovery
from tests.console_support import one_time_key, signed_in, visible_text
from tests.pool_support import PoolWorld


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_file_approve_pay_and_recover_with_the_amounts_first(app, db, world, factory) -> None:  # noqa: ANN001
    loan = world.loan(principal="1200000.00")
    officer = signed_in(app, world.officer_user)
    home = officer.text("/")
    assert f"/pool-loans/{loan['id']}/claim" in home  # the officer's home links the claim-eligible loan
    assert 'data-testid="file-claim"' in officer.text(f"/pool-loans/{loan['id']}")
    confirm = officer.text(f"/pool-loans/{loan['id']}/claim", query_string={"claimed_on": "2020-06-01"})
    assert 'data-testid="confirm-claim"' in confirm
    assert db.query(Claim).count() == 0  # the confirmation files nothing
    data = {"claimed_on": "2020-06-01", "idempotency_key": one_time_key(confirm)}
    r = officer.post(f"/pool-loans/{loan['id']}/claim", data)
    assert r.status_code == 303
    assert officer.post(f"/pool-loans/{loan['id']}/claim", data).headers.get("Idempotent-Replayed") == "true"
    claim = db.query(Claim).one()
    assert f"{claim.amount:,.2f}" in visible_text(confirm)  # what was shown is what was filed
    claim_url = r.headers["Location"]
    assert officer.text("/claims").count(f">{claim.reference}</a>") == 1

    manager = signed_in(app, factory.make_user("fund_manager"))
    page = manager.text(claim_url)
    assert 'data-testid="action-approve"' in page and 'data-testid="action-pay"' not in page
    approve = {"comment": "<i>ok</i>", "decided_on": "2020-06-01"}
    confirm = manager.text(f"/claims/{claim.id}/confirm/approve", query_string=approve)
    assert "<i>ok</i>" not in confirm and "&lt;i&gt;ok&lt;/i&gt;" in confirm
    assert manager.post(f"/claims/{claim.id}/approve", {**approve,
                                                         "idempotency_key": one_time_key(confirm)}).status_code == 303
    confirm = manager.text(f"/claims/{claim.id}/confirm/pay", query_string={"value_date": "2020-06-02"})
    assert manager.post(f"/claims/{claim.id}/pay", {"value_date": "2020-06-02",
                                                     "idempotency_key": one_time_key(confirm)}).status_code == 303
    db.expire_all()
    assert db.get(Claim, claim.id).status == "paid"

    form = {"amount": "100,000.00", "value_date": "2020-07-01", "external_ref": "REC-1"}
    confirm = officer.text(f"/claims/{claim.id}/confirm/recover", query_string=form)
    assert 'data-testid="recovery-pool"' in confirm and db.query(PoolRecovery).count() == 0
    pool_part = confirm.split('data-testid="recovery-pool">')[1].split("<")[0]
    r = officer.post(f"/claims/{claim.id}/recover", {**form, "idempotency_key": one_time_key(confirm)})
    assert r.status_code == 303
    rec = db.query(PoolRecovery).one()
    assert pool_part == f"{rec.pool_amount:,.2f}"  # the split shown is the split booked


def test_reject_needs_a_reason_and_changes_nothing_without_it(app, db, world, factory) -> None:  # noqa: ANN001
    _loan, claim = world.default_and_claim()
    manager = signed_in(app, factory.make_user("fund_manager"))
    r = manager.get(f"/claims/{claim['id']}/confirm/reject", query_string={"reason": ""})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    key = one_time_key(manager.text(f"/claims/{claim['id']}/confirm/reject", query_string={"reason": "no"}))
    r = manager.post(f"/claims/{claim['id']}/reject", {"reason": "  ", "idempotency_key": key})
    assert r.status_code == 422
    assert db.get(Claim, claim["id"]).status == "filed"
    key = one_time_key(manager.text(f"/claims/{claim['id']}/confirm/reject", query_string={"reason": "no"}))
    assert manager.post(f"/claims/{claim['id']}/reject", {"reason": "no", "idempotency_key": key}).status_code == 303
    db.expire_all()
    assert db.get(Claim, claim["id"]).status == "rejected"


def test_access_per_role_and_bank(app, db, world, factory) -> None:  # noqa: ANN001
    loan, claim = world.default_and_claim()
    other = signed_in(app, factory.make_user("bank_officer", world.other_bank))
    assert claim["reference"] not in other.text("/claims")
    assert other.get(f"/claims/{claim['id']}").status_code == 404
    assert other.get(f"/pool-loans/{loan['id']}/claim").status_code == 404
    key = one_time_key(other.text("/bridge-loans/new"))
    assert other.post(f"/claims/{claim['id']}/recover", {"amount": "1.00", "value_date": "2020-07-01",
                                                          "external_ref": "X", "idempotency_key": key}
                      ).status_code == 404
    officer = signed_in(app, world.officer_user)
    assert officer.get(f"/claims/{claim['id']}/confirm/approve").status_code == 403
    auditor = signed_in(app, factory.make_user("auditor"))
    assert auditor.get(f"/claims/{claim['id']}").status_code == 200
    assert 'data-testid="action-' not in auditor.text(f"/claims/{claim['id']}")
    assert auditor.get(f"/pool-loans/{loan['id']}/claim").status_code == 403
    manager = signed_in(app, factory.make_user("fund_manager"))
    assert manager.get(f"/pool-loans/{loan['id']}/claim").status_code == 403  # officers file claims
    assert manager.post(f"/claims/{claim['id']}/approve", {"idempotency_key": "k"}, csrf=False).status_code == 400
    assert manager.get("/claims?status=lost").status_code == 422
    assert db.get(Claim, claim["id"]).status == "filed"


def test_a_claim_too_early_is_a_field_error(app, db, world) -> None:  # noqa: ANN001
    loan = world.loan()
    officer = signed_in(app, world.officer_user)
    r = officer.get(f"/pool-loans/{loan['id']}/claim", query_string={"claimed_on": "2020-02-01"})
    assert r.status_code == 409 and 'id="claimed_on-error"' in r.get_data(as_text=True)
    r = officer.get(f"/pool-loans/{loan['id']}/claim", query_string={"claimed_on": "2020-13-01"})
    assert r.status_code == 422 and 'id="claimed_on-error"' in r.get_data(as_text=True)
    assert db.query(Claim).count() == 0
