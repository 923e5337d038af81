"""Required documents (issue 15; DOMAIN.md "Documents"): the fund's and the pool's lists, approval refused with
409 naming the missing kinds, the loan view's checklist, and the shipped defaults."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridgefund.api.docs import EXAMPLES
from bridgefund.models import AuditEvent
from bridgefund.models import document as document_model
from tests.api_support import assert_problem
from tests.conftest import SHIPPED_REQUIRED_DOCUMENTS
from tests.documents_support import filed_claim, submit_bridge_loan, upload

BRIDGE_KINDS = ["renewal_commitment", "application", "tripartite_agreement"]


@pytest.fixture
def world(factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    bank = factory.make_bank()
    w = type("W", (), {})()
    w.bank = bank
    w.officer = factory.as_role("bank_officer", bank)
    w.manager = factory.as_role("fund_manager")
    w.admin = factory.as_role("admin")
    factory.commit()
    return w


def _put_fund(client, world, **extra):  # noqa: ANN001, ANN003, ANN202
    return client.put("/api/v1/fund/settings", json={**EXAMPLES["PUT /api/v1/fund/settings"], **extra},
                      headers=world.admin)


def test_bridge_approval_needs_every_required_document(client, world, factory, db):  # noqa: ANN001
    r = _put_fund(client, world, required_documents=BRIDGE_KINDS)
    assert r.status_code == 200 and r.get_json()["required_documents"] == BRIDGE_KINDS
    loan = submit_bridge_loan(factory, world.bank)
    path = f"/bridge-loans/{loan.id}"
    view = client.get(f"/api/v1{path}", headers=world.officer).get_json()
    assert view["missing_documents"] == BRIDGE_KINDS and view["documents"] == []
    assert view["renewal"]["status"] == "committed"
    events = db.scalar(select(func.count(AuditEvent.id)))
    body = assert_problem(client.post(f"/api/v1{path}/approve", json={}, headers=world.manager), 409)
    assert body["missing_documents"] == BRIDGE_KINDS
    assert db.scalar(select(func.count(AuditEvent.id))) == events
    for kind in BRIDGE_KINDS[:2]:
        assert upload(client, f"{path}/documents", world.officer, kind=kind).status_code == 201
    body = assert_problem(client.post(f"/api/v1{path}/approve", json={}, headers=world.manager), 409)
    assert body["missing_documents"] == ["tripartite_agreement"]
    assert upload(client, f"{path}/documents", world.officer, kind="tripartite_agreement").status_code == 201
    view = client.get(f"/api/v1{path}", headers=world.officer).get_json()
    assert view["missing_documents"] == [] and sorted(d["kind"] for d in view["documents"]) == sorted(BRIDGE_KINDS)
    r = client.post(f"/api/v1{path}/approve", json={}, headers=world.manager)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"


def test_settings_keep_the_list_when_a_put_omits_it_and_refuse_unknown_kinds(client, world):  # noqa: ANN001
    assert _put_fund(client, world, required_documents=["application"]).status_code == 200
    assert _put_fund(client, world).get_json()["required_documents"] == ["application"]
    assert_problem(_put_fund(client, world, required_documents=["passport"]), 422, "required_documents.0")
    assert client.get("/api/v1/fund/settings", headers=world.admin).get_json()["required_documents"] == [
        "application"]


def test_claim_approval_needs_the_pool_lists_documents(client, world, factory):  # noqa: ANN001
    body = {**EXAMPLES["PUT /api/v1/pool/settings"], "claim_required_documents": ["claim_application",
                                                                                   "overdue_evidence"]}
    r = client.put("/api/v1/pool/settings", json=body, headers=world.admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["claim_required_documents"] == ["claim_application", "overdue_evidence"]
    claim = filed_claim(factory, world.bank)
    assert upload(client, f"/claims/{claim.id}/documents", world.officer, kind="claim_application").status_code == 201
    problem = assert_problem(client.post(f"/api/v1/claims/{claim.id}/approve", json={}, headers=world.manager), 409)
    assert problem["missing_documents"] == ["overdue_evidence"]
    assert upload(client, f"/claims/{claim.id}/documents", world.officer, kind="overdue_evidence").status_code == 201
    r = client.post(f"/api/v1/claims/{claim.id}/approve", json={}, headers=world.manager)
    assert r.status_code == 200, r.get_json()


def test_shipped_defaults_are_domains_lists(client, world, monkeypatch):  # noqa: ANN001
    bridge, claim = SHIPPED_REQUIRED_DOCUMENTS
    assert bridge == ("renewal_commitment", "application", "tripartite_agreement")
    assert claim == ("claim_application", "overdue_evidence")
    monkeypatch.setattr(document_model, "DEFAULT_BRIDGE_REQUIRED", bridge)
    monkeypatch.setattr(document_model, "DEFAULT_CLAIM_REQUIRED", claim)
    assert client.get("/api/v1/fund/settings", headers=world.admin).get_json()["required_documents"] == list(bridge)
    assert client.get("/api/v1/pool/settings", headers=world.admin).get_json()["claim_required_documents"] == list(
        claim)
