"""No answer to a bank officer carries a figure of another bank's business (issue 11, item 1).

Bank B gets business with distinctive amounts on an enterprise that bank A also serves; then bank A's officer
walks every answer it can get — lists, details, PDFs, and the refusals of its own submissions — and no figure of
bank B (nor a sum that includes one) may appear in any of them. Cross-bank caps are judged at approval, where
the fund manager sees the figures.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from bridgefund.services import bridge_loans, pool_loans
from bridgefund.services.actor import SYSTEM, Actor
from tests.api_support import officer_gets
from tests.fuzz import seed as seeding

API = "/api/v1"
D = Decimal
B_BRIDGE = D("7654321.00")
B_POOL = D("3456789.00")
A_BRIDGE = D("2500000.00")


def _as(user: Any) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)


@pytest.fixture
def shared(factory, db, settings):  # noqa: ANN001, ANN201
    """The seeded two-bank world, plus bank B's distinctive business with an enterprise bank A serves too."""
    settings.today = seeding.TODAY.isoformat()
    world = seeding.build(factory, db)
    ent = factory.make_enterprise()
    b = world.bank_b
    loan = bridge_loans.submit(
        db, SYSTEM, enterprise_id=ent.id, bank_id=b.id, amount=B_BRIDGE, term_days=10,
        maturing_loan={"contract_no": "HT-B-SHARED", "amount": B_BRIDGE, "due_date": dt.date(2020, 3, 3)},
        renewal={"amount": D("9000000.00"), "expected_date": dt.date(2020, 3, 12)},
        today=seeding.TODAY, submitted_on=dt.date(2020, 3, 2))
    bridge_loans.approve(db, _as(world.users["fund_manager"]), loan.id)
    bridge_loans.approve(db, _as(world.users["fund_manager_2"]), loan.id)  # dual approval above 5 M
    bridge_loans.disburse(db, _as(world.users["fund_manager"]), loan.id, value_date=dt.date(2020, 3, 3),
                          today=seeding.TODAY)
    db.commit()
    pool_loans.create_pool_loan(
        db, SYSTEM, seeding.TODAY, enterprise_id=ent.id, bank_id=b.id, contract_no="PM-B-SHARED",
        principal=B_POOL, annual_rate=D("0.0435"), start_date=dt.date(2020, 3, 2), term_months=12,
        repayment_method="bullet")
    db.commit()
    world.shared_enterprise = ent
    world.b_loan_id = loan.id
    return world


def _marks() -> list[str]:
    """Bank B's figures as they could be printed: yuan (with or without separators and decimals), 万元."""
    figures = [B_BRIDGE, B_POOL, B_BRIDGE + A_BRIDGE, B_BRIDGE + B_POOL]
    out = []
    for f in figures:
        out += [f"{f:f}".replace(".00", ""), f"{(f / 10000).quantize(D('0.01'))}"]
    return out


def _leaks(text: str) -> list[str]:
    plain = text.replace(",", "").replace("，", "")
    return [m for m in _marks() if re.search(rf"(?<![0-9]){re.escape(m)}(?![0-9])", plain)]


def _application(ent_id: int, amount: str, renewal: str | None = None) -> dict[str, Any]:
    return {
        "enterprise_id": ent_id, "amount": amount, "term_days": 10,
        "maturing_loan": {"contract_no": f"HT-A-{amount}", "amount": amount, "due_date": "2020-03-05"},
        "renewal": {"amount": renewal or str(D(amount) * 2), "expected_date": "2020-03-15"},
        "submitted_on": "2020-03-05",
    }


def test_an_officer_submitting_is_never_told_another_banks_exposure(client, shared):  # noqa: ANN001
    h = shared.headers["bank_officer"]
    ent = shared.shared_enterprise.id
    # 2.5 M with bank B's 7.65 M open is over the 10 M cap: the officer is not told (nor refused) at submission
    r = client.post(f"{API}/bridge-loans", json=_application(ent, f"{A_BRIDGE:f}"), headers=h)
    assert r.status_code == 201, r.get_json()
    assert not _leaks(r.get_data(as_text=True))
    # over the cap with the bank's own open loan: refused, naming only the bank's own figure
    r = client.post(f"{API}/bridge-loans", json=_application(ent, "8000000.00"), headers=h)
    assert r.status_code == 422, r.get_json()
    msg = r.get_json()["errors"]["amount"][0]
    assert "2500000.00" in msg, msg
    assert not _leaks(r.get_data(as_text=True))


def test_the_manager_sees_the_cross_bank_cap_at_approval(client, shared):  # noqa: ANN001
    h = shared.headers["bank_officer"]
    loan = client.post(f"{API}/bridge-loans", json=_application(shared.shared_enterprise.id, f"{A_BRIDGE:f}"),
                       headers=h).get_json()
    r = client.post(f"{API}/bridge-loans/{loan['id']}/approve", json={}, headers=shared.headers["fund_manager"])
    assert r.status_code == 409, r.get_json()
    body = r.get_json()
    assert "amount" in body["errors"]
    assert "7654321.00" in body["errors"]["amount"][0] and "10000000.00" in body["errors"]["amount"][0]
    # nothing changed: still submitted, no approval recorded
    after = client.get(f"{API}/bridge-loans/{loan['id']}", headers=h).get_json()
    assert after["status"] == "submitted" and after["approvals"] == []


def test_no_officer_answer_carries_a_figure_of_another_bank(app, client, db, shared):  # noqa: ANN001
    h = shared.headers["bank_officer"]
    ent = shared.shared_enterprise.id
    answers: list[tuple[str, Any]] = []

    def call(method: str, url: str, **kw: Any) -> Any:
        r = client.open(url, method=method, headers=h, **kw)
        answers.append((f"{method} {url} {kw.get('json', kw.get('query_string', ''))}", r))
        return r

    # the officer's own business on the shared enterprise, and its refusals
    mine = call("POST", f"{API}/bridge-loans", json=_application(ent, f"{A_BRIDGE:f}")).get_json()
    for amount in ("7500000.01", "8000000.00", "10000000.01", "100.00"):
        call("POST", f"{API}/bridge-loans", json=_application(ent, amount, renewal="100.00"))
    for principal in ("1000000.00", "99999999.00", "400000000.00"):
        call("POST", f"{API}/pool-loans", json={
            "enterprise_id": ent, "contract_no": f"PM-A-{principal}", "principal": principal,
            "annual_rate": "0.0435", "start_date": "2020-03-02", "term_months": 12, "repayment_method": "bullet"})
    uscc = shared.shared_enterprise.uscc
    rows = "\n".join(f"{uscc},CSV-A-{n},{principal},0.0435,2020-03-02,12,bullet"
                     for n, principal in enumerate(("1000000.00", "299000000.00", "99999999999.00")))
    csv = ("企业信用代码,合同编号,本金,年利率,起始日,期限(月),还款方式\n" + rows + "\n").encode()
    call("POST", f"{API}/pool-loans/import", data={"file": (io.BytesIO(csv), "loans.csv")},
         content_type="multipart/form-data")
    call("POST", f"{API}/enterprises", json={"uscc": uscc, "name": "重复", "size": "small", "in_zone": True})
    call("POST", f"{API}/bridge-loans/{mine['id']}/repayments",
         json={"amount": "99999999.00", "value_date": "2020-12-31", "external_ref": "X-1"})
    call("POST", f"{API}/bridge-loans/{mine['id']}/withdraw", json={"reason": "test"})
    for pid in shared.ids["pool_loan_id"][:3]:
        call("POST", f"{API}/pool-loans/{pid}/repayments",
             json={"amount": "99999999.00", "value_date": "2020-12-31", "external_ref": f"X-{pid}"})
        call("POST", f"{API}/pool-loans/{pid}/claims", json={"claimed_on": "2020-12-31"})
        call("POST", f"{API}/pool-loans/{pid}/recoveries",
             json={"amount": "99999999.00", "value_date": "2020-12-31", "external_ref": f"Y-{pid}"})
    # every GET an officer may call, with every id of both banks and the shared enterprise
    lists, details = officer_gets(app)
    for url in lists:
        call("GET", url, query_string={"page_size": 500})
    ids = {"loan_id": shared.ids["loan_id"] + [mine["id"], shared.b_loan_id],
           "pool_loan_id": shared.ids["pool_loan_id"], "claim_id": shared.ids["claim_id"],
           "bank_id": shared.ids["bank_id"], "enterprise_id": [ent], "guarantor_id": shared.ids["guarantor_id"]}
    for rule, param in details:
        for i in ids.get(param, ()):
            call("GET", re.sub(r"<(?:\w+:)?\w+>", str(i), rule))
    for bank_id in shared.ids["bank_id"]:
        for lang in ("zh", "en"):
            call("GET", f"{API}/banks/{bank_id}/statement.pdf", query_string={"period": "2020-03", "lang": lang})
    for loan_id in (mine["id"], shared.b_loan_id):
        call("GET", f"{API}/bridge-loans/{loan_id}/approval-form.pdf")
    failures = []
    for what, r in answers:
        assert r.status_code < 500, what
        if r.mimetype == "application/pdf":
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
        else:
            text = r.get_data().decode("utf-8", "replace")
        text += "\n".join(f"{k}: {v}" for k, v in r.headers.items())
        found = _leaks(text)
        if found:
            failures.append(f"{what} → {r.status_code} shows {found}: {text[:300]}")
        if r.mimetype == "application/problem+json":  # figures in messages: two decimals, percentages (item 11)
            odd = re.findall(r"\d\.\d{3,}|\dE[-+]?\d", r.get_json()["detail"] + str(r.get_json().get("errors")))
            if odd:
                failures.append(f"{what} → {r.status_code} prints numbers as {odd}: {r.get_json()['detail']}")
    assert len(answers) > 40
    assert not failures, "\n".join(failures)


def test_a_stopped_pool_does_not_tell_an_officer_what_other_banks_were_paid(client, shared):  # noqa: ANN001
    admin = shared.headers["admin"]
    s = client.get(f"{API}/pool/settings", headers=admin).get_json()
    s = {k: v for k, v in s.items() if k not in ("updated_at", "updated_by")}
    s["pool_loss_threshold"] = "0.0001"  # bank A's paid claim (June 2020) now stops the pool
    r = client.put(f"{API}/pool/settings", json=s, headers=admin)
    assert r.status_code == 200, r.get_json()
    paid = [c for c in client.get(f"{API}/claims", headers=admin, query_string={"status": "paid"}).get_json()["items"]]
    assert paid and all(c["bank_id"] == shared.bank_a.id for c in paid)
    r = client.post(f"{API}/pool-loans", headers=shared.headers["bank_officer_b"], json={
        "enterprise_id": shared.shared_enterprise.id, "contract_no": "PM-B-LATE", "principal": "100000.00",
        "annual_rate": "0.0435", "start_date": "2020-07-01", "term_months": 12, "repayment_method": "bullet"})
    assert r.status_code == 409, r.get_json()
    text = r.get_data(as_text=True)
    for c in paid:
        assert c["amount"] not in text and c["amount"].removesuffix(".00") not in text, text
