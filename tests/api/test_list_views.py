"""Lighter list items (issue 16): ``view=brief`` lists the same loans, in the same order, with the same values for
the fields it keeps, in one query per page and without the per-row fee math; the default item is unchanged."""

from __future__ import annotations

import pytest

from bridgefund.demo import load_demo
from bridgefund.schemas.bridge_loan import BridgeLoanBriefSchema, brief_items


@pytest.fixture
def demo(app, db):  # noqa: ANN001, ANN201
    load_demo(app, echo=lambda *_: None)
    return db


def test_brief_items_are_the_full_items_cut_down(demo, factory, client, count_queries) -> None:  # noqa: ANN001
    auditor = factory.as_role("auditor")
    with count_queries() as n_full:
        full = client.get("/api/v1/bridge-loans?page_size=200", headers=auditor)
    with count_queries() as n:
        brief = client.get("/api/v1/bridge-loans?page_size=200&view=brief", headers=auditor)
    assert full.status_code == brief.status_code == 200
    f, b = full.get_json(), brief.get_json()
    assert len(b["items"]) == len(f["items"]) > 10
    assert {k: v for k, v in b.items() if k != "items"} == {k: v for k, v in f.items() if k != "items"}
    keys = set(BridgeLoanBriefSchema().fields)
    assert "fee_accrued" in f["items"][0] and "approvals" in f["items"][0]  # the default keeps everything
    for fi, bi in zip(f["items"], b["items"], strict=True):
        assert set(bi) == keys
        assert bi == {k: fi[k] for k in keys}
    assert any(i["disbursed_on"] for i in b["items"]) and any(i["approved_at"] for i in b["items"])
    # the page with its enterprises is one query: no selectin of enterprises, approvals and repayments
    assert n[0] == n_full[0] - 3, (n, n_full)


def test_brief_items_equal_what_the_brief_schema_dumps(demo, factory, client) -> None:  # noqa: ANN001
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from bridgefund.models import BridgeLoan

    loans = demo.scalars(select(BridgeLoan).options(joinedload(BridgeLoan.enterprise))).all()
    assert loans
    assert brief_items(loans) == BridgeLoanBriefSchema().dump(loans, many=True)


def test_brief_keeps_the_filters_and_keyset_paging(demo, factory, client) -> None:  # noqa: ANN001
    auditor = factory.as_role("auditor")
    for query in ("status=disbursed", "page_size=3", "overdue=true&as_of=2020-06-30"):
        full = client.get(f"/api/v1/bridge-loans?{query}", headers=auditor).get_json()
        brief = client.get(f"/api/v1/bridge-loans?{query}&view=brief", headers=auditor).get_json()
        assert [i["id"] for i in brief["items"]] == [i["id"] for i in full["items"]], query
        assert brief["next_after_id"] == full["next_after_id"]
    first = client.get("/api/v1/bridge-loans?page_size=3&view=brief", headers=auditor).get_json()
    after = client.get(f"/api/v1/bridge-loans?page_size=3&view=brief&after_id={first['next_after_id']}",
                       headers=auditor).get_json()
    assert after["items"] and after["items"][0]["id"] < first["items"][-1]["id"]


def test_an_unknown_view_is_a_problem_naming_the_field(demo, factory, client) -> None:  # noqa: ANN001
    r = client.get("/api/v1/bridge-loans?view=everything", headers=factory.as_role("auditor"))
    assert r.status_code == 422
    assert "query.view" in r.get_json()["errors"]
