"""Bridge loans through the HTTP API: every transition, every refusal of API.md, the fee math end to end."""

from __future__ import annotations

import pytest

from tests.bridge_support import D, World, check_invariants, counts
from tests.conftest import audit_count


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    return World(client, factory)


def test_smoke_full_path(world, db):  # noqa: ANN001
    assert world.capital("10000000.00").status_code == 201
    loan = world.disbursed("5700000.00", term_days=8)
    assert loan["status"] == "disbursed" and loan["due_date"] == "2020-02-18"
    r = world.get(f"/bridge-loans/{loan['id']}", as_of="2020-02-18")
    body = r.get_json()
    assert body["fee_accrued"] == "12540.00", body
    assert body["amount_due"] == "5712540.00"
    r = world.repay(loan["id"], "5712540.00", "2020-02-18", "RN-1")
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert out["repayment"]["fee"] == "12540.00" and out["repayment"]["principal"] == "5700000.00"
    assert out["loan"]["status"] == "repaid"
    check_invariants(db)
    f = world.get("/fund", as_of="2020-03-31").get_json()
    assert f["fee_income"] == "12540.00" and f["cash_balance"] == "10012540.00", f
    led = world.get("/fund/ledger").get_json()
    assert led["total"] == 4 and led["items"][0]["balance_after"] == "10012540.00", led
