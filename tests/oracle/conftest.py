"""The oracle tests' world: a pool with room for thousands of generated loans, and no NPL suspension in the way."""

from __future__ import annotations

import pytest

from tests.pool_support import PoolWorld


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2026-12-01"
    w = PoolWorld(client, factory, contribute="100000000000.00", quota="900000000000.00")
    # loans left unpaid on purpose would suspend the bank (NPL ratio): not what this test is about
    body = {k: v for k, v in w.get("/pool/settings").get_json().items() if k != "updated_at"}
    r = client.put("/api/v1/pool/settings", json={**body, "bank_npl_threshold": "1.00"}, headers=w.admin)
    assert r.status_code == 200, r.get_json()
    return w
