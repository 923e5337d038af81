"""Closing accounting months."""

from __future__ import annotations

import datetime as dt

from tests.api_support import assert_problem
from tests.conftest import audit_count


def test_close_months_in_order(client, factory, db):  # noqa: ANN001
    from bridgefund.errors import PeriodClosed
    from bridgefund.services.common import check_value_date

    admin = factory.as_role("admin")
    r = client.post("/api/v1/periods/2020-02/close", headers=admin)
    assert r.status_code == 201 and r.get_json()["last_day"] == "2020-02-29"
    assert audit_count(db, entity_type="period", entity_id=202002, action="close") == 1
    # closing an earlier month again is a conflict: it is already closed
    assert_problem(client.post("/api/v1/periods/2020-01/close", headers=admin), 409, "period")
    assert client.post("/api/v1/periods/2020-03/close", headers=admin).status_code == 201
    listed = client.get("/api/v1/periods", headers=factory.as_role("auditor")).get_json()
    assert [p["period"] for p in listed["items"]] == ["2020-03", "2020-02"]
    # value dates in any closed month are refused from now on
    try:
        check_value_date(db, dt.date(2020, 1, 15), dt.date(2026, 1, 1))
        raise AssertionError("a value date in a closed month was accepted")
    except PeriodClosed as exc:
        assert exc.status == 409
    check_value_date(db, dt.date(2020, 4, 1), dt.date(2026, 1, 1))


def test_cannot_close_an_unfinished_or_malformed_month(client, factory, app):  # noqa: ANN001
    admin = factory.as_role("admin")
    this_month = dt.datetime.now(app.config["BRIDGEFUND"].tz).strftime("%Y-%m")
    assert_problem(client.post(f"/api/v1/periods/{this_month}/close", headers=admin), 422, "period")
    for bad in ("2020-13", "2020-3", "march", "20200-01"):
        assert_problem(client.post(f"/api/v1/periods/{bad}/close", headers=admin), 422, "period")
    assert_problem(client.post("/api/v1/periods/2020-01/close", headers=factory.as_role("fund_manager")), 403)
