"""Lighter list items (issue 16): ``view=brief`` lists the same loans, in the same order, with the same values for
the fields it keeps, in one query per page and without the per-row fee math; the default item is unchanged."""

from __future__ import annotations

import pytest

from bridgefund.schemas.bridge_loan import BridgeLoanBriefSchema, brief_items
from tests.demo_support import connection, demo_connection  # noqa: F401 (the demo once per module)


@pytest.fixture
def demo(db):  # noqa: ANN001, ANN201
    """The demo's books (loaded once for the module: tests.demo_support)."""
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


# --- GET /pool-loans?view=brief ----------------------------------------------------------------------------------


def test_pool_brief_items_are_the_full_items_cut_down(demo, factory, client, count_queries) -> None:  # noqa: ANN001
    from bridgefund.schemas.pool import PoolLoanBriefSchema

    auditor = factory.as_role("auditor")
    with count_queries() as n_full:
        full = client.get("/api/v1/pool-loans?page_size=200&as_of=2020-06-30", headers=auditor)
    with count_queries() as n:
        brief = client.get("/api/v1/pool-loans?page_size=200&as_of=2020-06-30&view=brief", headers=auditor)
    assert full.status_code == brief.status_code == 200
    f, b = full.get_json(), brief.get_json()
    assert len(b["items"]) == len(f["items"]) > 10
    assert {k: v for k, v in b.items() if k != "items"} == {k: v for k, v in f.items() if k != "items"}
    keys = set(PoolLoanBriefSchema().fields)
    assert "classification" in f["items"][0] and "classification" not in keys  # the default keeps the figures
    for fi, bi in zip(f["items"], b["items"], strict=True):
        assert set(bi) == keys
        assert bi == {k: fi[k] for k in keys}
    assert any(i["guarantor_id"] for i in b["items"]) and any(i["repaid_on"] for i in b["items"])
    # the page is one query: no selectin of installments, repayments, recoveries and claims
    # the full page reads its installments and recoveries as plain rows (two statements; the repayments only for a
    # loan the date replays, none today; claims never: a list item shows none)
    assert n[0] == n_full[0] - 2, (n, n_full)


def test_pool_brief_items_equal_what_the_brief_schema_dumps(demo) -> None:  # noqa: ANN001
    from decimal import Decimal

    from sqlalchemy import select

    from bridgefund.models import PoolLoan
    from bridgefund.schemas.pool import PoolLoanBriefSchema, pool_brief_items

    loans = demo.scalars(select(PoolLoan)).all()
    assert loans
    assert pool_brief_items(loans) == PoolLoanBriefSchema().dump(loans, many=True)
    # rates as Rate writes them: at least two decimals, at most eight, no exponent
    loan = loans[0]
    for rate, shown in (("0.0435", "0.0435"), ("1", "1.00"), ("0.5", "0.50"), ("0.123456789", "0.12345679"),
                        ("0", "0.00"), ("0.00000001", "0.00000001")):
        loan.annual_rate = Decimal(rate)
        assert pool_brief_items([loan])[0]["annual_rate"] == shown == \
            PoolLoanBriefSchema().dump(loan)["annual_rate"], rate
    demo.rollback()


def test_pool_brief_keeps_the_filters_scoping_and_keyset_paging(demo, factory, client) -> None:  # noqa: ANN001
    auditor = factory.as_role("auditor")
    for query in ("status=active", "page_size=3", "classification=normal&as_of=2020-06-30",
                  "classification=substandard&as_of=2020-12-31"):
        full = client.get(f"/api/v1/pool-loans?{query}", headers=auditor).get_json()
        brief = client.get(f"/api/v1/pool-loans?{query}&view=brief", headers=auditor).get_json()
        assert [i["id"] for i in brief["items"]] == [i["id"] for i in full["items"]], query
        assert brief["next_after_id"] == full["next_after_id"]
        assert brief["total"] == full["total"]
    first = client.get("/api/v1/pool-loans?page_size=3&view=brief", headers=auditor).get_json()
    after = client.get(f"/api/v1/pool-loans?page_size=3&view=brief&after_id={first['next_after_id']}",
                       headers=auditor).get_json()
    assert after["items"] and after["items"][0]["id"] < first["items"][-1]["id"]
    # an officer's brief list holds their bank's loans only, as the full one does
    bank_id = first["items"][0]["bank_id"]
    from bridgefund.models import Bank

    officer = factory.as_role("bank_officer", demo.get(Bank, bank_id))
    full = client.get("/api/v1/pool-loans?page_size=200", headers=officer).get_json()
    brief = client.get("/api/v1/pool-loans?page_size=200&view=brief", headers=officer).get_json()
    assert brief["items"] and {i["bank_id"] for i in brief["items"]} == {bank_id}
    assert [i["id"] for i in brief["items"]] == [i["id"] for i in full["items"]]


def test_pool_unknown_view_is_a_problem_naming_the_field(demo, factory, client) -> None:  # noqa: ANN001
    r = client.get("/api/v1/pool-loans?view=short", headers=factory.as_role("auditor"))
    assert r.status_code == 422
    assert "query.view" in r.get_json()["errors"]


def test_the_document_names_the_brief_page_of_the_lists_that_have_one(client) -> None:  # noqa: ANN001
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for path, full, brief in (("/api/v1/bridge-loans", "BridgeLoanKeysetPage", "BridgeLoanBriefKeysetPage"),
                              ("/api/v1/pool-loans", "PoolLoanSummaryKeysetPage", "PoolLoanBriefKeysetPage")):
        op = doc["paths"][path]["get"]
        ok = op["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{full}"}, path
        assert ok["x-brief-schema"] == {"$ref": f"#/components/schemas/{brief}"} and brief in ok["description"]
        item = schemas[brief]["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[1]
        assert "classification" not in schemas[item]["properties"] and "fee_accrued" not in schemas[item]["properties"]
        assert any(p["name"] == "view" for p in op["parameters"])


def test_brief_loads_only_its_columns_and_an_export_of_it_still_has_every_column(demo, factory, client) -> None:  # noqa: ANN001
    """``view=brief`` reads only the brief item's columns (a column it does not show is refused at once, not read
    row by row); asked as Excel, the export writes the full table, from the full items."""
    import io

    from openpyxl import load_workbook

    auditor = factory.as_role("auditor")

    def rows(r):  # noqa: ANN001, ANN202
        return [[c.value for c in row] for row in load_workbook(io.BytesIO(r.data)).active.iter_rows()]

    for path in ("/api/v1/bridge-loans", "/api/v1/pool-loans"):
        full = client.get(f"{path}?format=xlsx", headers=auditor)
        brief = client.get(f"{path}?format=xlsx&view=brief", headers=auditor)
        assert full.status_code == brief.status_code == 200, brief.get_data(as_text=True)[:300]
        assert rows(brief) == rows(full) and len(rows(full)) > 10, path
    from sqlalchemy import select
    from sqlalchemy.exc import InvalidRequestError

    from bridgefund.models import BridgeLoan
    from bridgefund.services import bridge_loans
    from bridgefund.services.actor import Actor

    page = bridge_loans.list_loans(demo, Actor(id=None, username="a", role="auditor"), 1, 5,
                                   today=demo.scalar(select(BridgeLoan.submitted_on).limit(1)), view="brief")
    assert page.items and page.items[0].reference
    with pytest.raises(InvalidRequestError):
        page.items[0].maturing_amount  # noqa: B018 - not a brief column: refused, not loaded row by row


def test_pool_list_items_equal_each_loans_own_page_on_every_date(demo, factory, client) -> None:  # noqa: ANN001
    """The full list evaluates its loans from rows read apart (installments, recoveries; repayments only for a date
    before a loan's latest one, which replays them): every item equals the loan's own page cut down to the list
    item's fields — on dates before, during and after the demo's repayments, recoveries, claims and write-offs."""
    from bridgefund.schemas.pool import PoolLoanSummarySchema

    auditor = factory.as_role("auditor")
    keys = set(PoolLoanSummarySchema().fields)
    compared = replayed = 0
    for as_of in ("2019-12-31", "2020-02-15", "2020-03-31", "2020-05-20", "2020-07-01", "2020-09-30", "2020-12-31",
                  "2021-06-30"):
        page = client.get(f"/api/v1/pool-loans?page_size=200&as_of={as_of}", headers=auditor).get_json()
        assert page["items"], as_of
        for item in page["items"]:
            own = client.get(f"/api/v1/pool-loans/{item['id']}?as_of={as_of}", headers=auditor).get_json()
            assert item == {k: own[k] for k in keys}, (as_of, item["reference"])
            compared += 1
            replayed += any(r["value_date"] > as_of for r in client.get(
                f"/api/v1/pool-loans/{item['id']}", headers=auditor).get_json()["repayments"])
    assert compared > 50 and replayed > 5, (compared, replayed)


def test_pool_summary_items_equal_what_the_summary_schema_dumps(demo) -> None:  # noqa: ANN001
    """The full list's items are dumped by hand (``pool_summary_items``): equal, value for value and key for key, to
    what ``PoolLoanSummarySchema`` dumps, for every demo loan on dates before, during and after its business
    (written off, repaid, claimed, recovered, overdue: every classification the books reach)."""
    import datetime as dt

    from bridgefund.schemas.pool import PoolLoanSummarySchema, pool_summary_items
    from bridgefund.services import pool_loans
    from bridgefund.services.actor import Actor

    auditor = Actor(id=None, username="a", role="auditor")
    schema = PoolLoanSummarySchema()
    grades, seen = set(), 0
    for on in ("2019-12-31", "2020-03-31", "2020-06-30", "2020-09-30", "2020-12-31", "2022-01-01"):
        page = pool_loans.list_pool_loans(demo, auditor, dt.date.fromisoformat(on), 1, 500)
        assert page.items
        assert pool_summary_items(page.items) == schema.dump(page.items, many=True), on
        grades |= {v.classification.value for v in page.items}
        seen += len(page.items)
    assert seen > 50 and len(grades) >= 3, grades
