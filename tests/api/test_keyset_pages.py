"""Lists page by keyset (``after_id``) as well as by ``page``, and bound the cost of their ``total``.

Walking a list by ``next_after_id`` must give exactly the ids that paging through it gives, in the same order,
with the same filters and the same bank scoping; ``total`` is exact up to the configured limit and above it
(PostgreSQL only) the planner's estimate, flagged by ``total_exact``.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent, Bank, BridgeLoan, Enterprise, PoolLoan
from tests.conftest import audit_count
from tests.demo_support import DEMO_TODAY, connection, demo_connection  # noqa: F401 (the demo once per module)

API = "/api/v1"

#: Lists that take ``after_id`` (ordered newest id first).
KEYSET_LISTS = ["/users", "/banks", "/guarantors", "/enterprises", "/bridge-loans", "/pool-loans", "/claims",
                "/audit-events", "/reports"]
#: Lists ordered by something else: page only.
PAGE_ONLY_LISTS = ["/periods", "/pool/ledger"]


@pytest.fixture
def demo(db, settings):  # noqa: ANN001, ANN201
    """The demo's books (loaded once for the module: tests.demo_support), on the story's last day."""
    settings.today = DEMO_TODAY
    return db


@pytest.fixture
def total_limit(app):  # noqa: ANN001, ANN201
    """Set ``BRIDGEFUND_EXACT_TOTAL_LIMIT`` for one test."""
    s = app.config["BRIDGEFUND"]
    saved = s.exact_total_limit

    def set_limit(n: int) -> None:
        s.exact_total_limit = n

    yield set_limit
    s.exact_total_limit = saved


def _url(path: str, query: str, **more: Any) -> str:
    parts = [query] if query else []
    parts += [f"{k}={v}" for k, v in more.items()]
    return f"{API}{path}?" + "&".join(parts)


def walk_by_page(client, path: str, query: str, headers: dict, size: int) -> list[int]:  # noqa: ANN001
    ids: list[int] = []
    page = 1
    while True:
        r = client.get(_url(path, query, page_size=size, page=page), headers=headers)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert body["total_exact"] is True
        ids += [item["id"] for item in body["items"]]
        if len(ids) >= body["total"]:
            assert body["next_after_id"] is None, f"{path}: the last page says more rows follow"
            return ids
        assert body["next_after_id"] == body["items"][-1]["id"]
        page += 1


def walk_by_keyset(client, path: str, query: str, headers: dict, size: int) -> list[int]:  # noqa: ANN001
    ids: list[int] = []
    after: int | None = None
    totals = set()
    while True:
        more = {"page_size": size} if after is None else {"page_size": size, "after_id": after}
        r = client.get(_url(path, query, **more), headers=headers)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        totals.add(body["total"])
        ids += [item["id"] for item in body["items"]]
        after = body["next_after_id"]
        if after is None:
            assert len(totals) == 1 and totals.pop() == len(ids), f"{path}: total is the whole list's at any depth"
            return ids
        assert after == body["items"][-1]["id"] and len(body["items"]) == size
        assert len(ids) < 10_000, f"{path}: the keyset walk does not end"


def test_keyset_walk_gives_the_same_ids_as_paging(demo, factory, client):  # noqa: ANN001
    admin, auditor = factory.as_role("admin"), factory.as_role("auditor")
    # the demo bank with the most bridge loans, and an officer of it
    bank_id = demo.scalar(select(BridgeLoan.bank_id).group_by(BridgeLoan.bank_id)
                          .order_by(func.count().desc(), BridgeLoan.bank_id).limit(1))
    officer = factory.as_role("bank_officer", demo.get(Bank, bank_id))
    pool_bank = demo.scalar(select(PoolLoan.bank_id).group_by(PoolLoan.bank_id)
                            .order_by(func.count().desc(), PoolLoan.bank_id).limit(1))
    cases = [
        ("/bridge-loans", "", admin, 7),
        ("/bridge-loans", "", officer, 4),
        ("/bridge-loans", "status=repaid", admin, 5),
        ("/bridge-loans", "status=repaid", officer, 3),
        ("/bridge-loans", "overdue=false&as_of=2020-03-01", admin, 6),
        ("/pool-loans", "", admin, 11),
        ("/pool-loans", f"bank_id={pool_bank}", admin, 4),
        ("/pool-loans", "classification=normal", admin, 9),
        ("/claims", "", admin, 1),
        ("/audit-events", "", auditor, 37),
        ("/audit-events", "entity_type=bridge_loan", auditor, 13),
        ("/enterprises", "", admin, 8),
        ("/enterprises", "q=有限公司", admin, 5),
        ("/users", "", admin, 6),
        ("/banks", "", admin, 5),
    ]
    for path, query, headers, size in cases:
        by_page = walk_by_page(client, path, query, headers, size)
        by_keyset = walk_by_keyset(client, path, query, headers, size)
        assert by_keyset == by_page, f"{path}?{query}"
        assert by_page == sorted(by_page, reverse=True), f"{path}?{query}: newest id first"
        assert len(by_page) > 2 * size or path in ("/claims", "/banks"), f"{path}?{query}: too short to test much"

    # the officer's walks hold their own bank's loans and nothing else — all of them
    own = sorted(demo.scalars(select(BridgeLoan.id).where(BridgeLoan.bank_id == bank_id)), reverse=True)
    assert walk_by_keyset(client, "/bridge-loans", "", officer, 4) == own
    assert walk_by_keyset(client, "/bridge-loans", f"bank_id={bank_id}", admin, 4) == own
    assert len(own) < demo.scalar(select(func.count()).select_from(BridgeLoan))
    # every row of the big lists is reached
    assert walk_by_keyset(client, "/pool-loans", "", admin, 50) == sorted(demo.scalars(select(PoolLoan.id)),
                                                                           reverse=True)
    assert len(walk_by_keyset(client, "/audit-events", "", auditor, 500)) == audit_count(demo)
    assert len(walk_by_keyset(client, "/enterprises", "", admin, 3)) == demo.scalar(
        select(func.count()).select_from(Enterprise))


def test_after_id_is_a_position_not_a_row(db, factory, client):  # noqa: ANN001
    """Any id works as ``after_id`` (a deleted or another bank's one too); the page is simply what lies below it."""
    admin = factory.as_role("admin")
    ents = [factory.make_enterprise() for _ in range(5)]
    ids = sorted((e.id for e in ents), reverse=True)
    body = client.get(f"{API}/enterprises?after_id={ids[1]}&page_size=2", headers=admin).get_json()
    assert [e["id"] for e in body["items"]] == ids[2:4] and body["next_after_id"] == ids[3]
    assert body["page"] == 1 and body["page_size"] == 2
    body = client.get(f"{API}/enterprises?after_id={ids[0] + 1000}&page_size=1", headers=admin).get_json()
    assert [e["id"] for e in body["items"]] == ids[:1]
    lowest = db.scalar(select(func.min(Enterprise.id)))
    body = client.get(f"{API}/enterprises?after_id={lowest}", headers=admin).get_json()
    assert body["items"] == [] and body["next_after_id"] is None and body["total"] >= 5
    # page=1 spelled out is the first page, so it goes with after_id
    r = client.get(f"{API}/enterprises?after_id={ids[0]}&page=1&page_size=1", headers=admin)
    assert r.status_code == 200 and [e["id"] for e in r.get_json()["items"]] == ids[1:2]


def test_officer_keyset_never_reaches_another_bank(db, factory, client, settings):  # noqa: ANN001
    from tests.bridge_support import World

    settings.today = "2020-03-31"
    world = World(client, factory)
    other_bank = factory.make_bank()
    other_officer = factory.as_role("bank_officer", other_bank)
    mine, theirs = [], []
    for i in range(3):  # interleaved ids: theirs sit between mine
        mine.append(world.submit(enterprise_id=factory.make_enterprise().id)["id"])
        if i < 2:
            theirs.append(world.submit(headers=other_officer, enterprise_id=factory.make_enterprise().id)["id"])
    assert {r.bank_id for r in db.scalars(select(BridgeLoan).where(BridgeLoan.id.in_(theirs)))} == {other_bank.id}
    for after in [max(mine + theirs) + 1, *theirs, *mine]:
        body = world.get("/bridge-loans", world.officer, after_id=after, page_size=500).get_json()
        got = [item["id"] for item in body["items"]]
        assert got == sorted((m for m in mine if m < after), reverse=True)
        assert body["total"] == 3 and body["total_exact"] is True


@pytest.mark.parametrize("query, field", [
    ("after_id=0", "query.after_id"),
    ("after_id=-5", "query.after_id"),
    ("after_id=2147483648", "query.after_id"),
    ("after_id=abc", "query.after_id"),
    ("after_id=", "query.after_id"),
    ("after_id=9&page=2", "query.after_id"),
    ("total=estimate", "query.total"),
    ("total=EXACT", "query.total"),
    ("total=", "query.total"),
])
def test_bad_paging_arguments_answer_422_naming_the_field(db, factory, client, query, field):  # noqa: ANN001
    admin = factory.as_role("admin")
    before = audit_count(db)
    for path in KEYSET_LISTS:
        r = client.get(f"{API}{path}?{query}", headers=admin)
        assert r.status_code == 422, (path, query, r.get_json())
        assert r.mimetype == "application/problem+json"
        assert field in r.get_json()["errors"], (path, r.get_json())
    if field == "query.total":
        for path in PAGE_ONLY_LISTS:
            r = client.get(f"{API}{path}?{query}", headers=admin)
            assert r.status_code == 422 and field in r.get_json()["errors"], (path, r.get_json())
    assert audit_count(db) == before


def test_page_only_lists_have_no_keyset(db, factory, client):  # noqa: ANN001
    """Periods and the pool ledger are ordered by date: an id is no position in them, so they page only."""
    admin = factory.as_role("admin")
    for path in PAGE_ONLY_LISTS:
        body = client.get(f"{API}{path}?total=exact", headers=admin).get_json()
        assert "next_after_id" not in body and body["total_exact"] is True and body["page"] == 1


def test_total_is_exact_up_to_the_limit_then_estimated_on_postgresql(db, factory, client, total_limit):  # noqa: ANN001
    admin = factory.as_role("admin")
    for _ in range(6):
        factory.make_enterprise()
    exact_total = db.scalar(select(func.count()).select_from(Enterprise))
    postgres = db.get_bind().dialect.name == "postgresql"

    total_limit(3)
    body = client.get(f"{API}/enterprises?page_size=2", headers=admin).get_json()
    if postgres:
        assert body["total_exact"] is False and body["total"] >= 4
    else:  # the embedded database counts exactly
        assert body["total_exact"] is True and body["total"] == exact_total
    assert len(body["items"]) == 2 and body["next_after_id"] == body["items"][-1]["id"]
    # keyset paging does not depend on the total
    assert len(walk_by_keyset(client, "/enterprises", "total=exact", admin, 4)) == exact_total
    for query in ("total=exact", "total=exact&page=2&page_size=2", f"total=exact&after_id={body['next_after_id']}"):
        r = client.get(f"{API}/enterprises?{query}", headers=admin).get_json()
        assert r["total_exact"] is True and r["total"] == exact_total, query
    # a filtered list below the limit is exact either way
    uscc = db.scalar(select(Enterprise.uscc).limit(1))
    body = client.get(f"{API}/enterprises?uscc={uscc}", headers=admin).get_json()
    assert body["total_exact"] is True and body["total"] == 1

    total_limit(exact_total)  # exactly at the limit: still exact
    body = client.get(f"{API}/enterprises", headers=admin).get_json()
    assert body["total_exact"] is True and body["total"] == exact_total
    total_limit(0)
    body = client.get(f"{API}/audit-events?entity_type=enterprise", headers=factory.as_role("auditor")).get_json()
    assert body["total"] >= 1 and body["total_exact"] is (not postgres)
    empty = client.get(f"{API}/audit-events?entity_type=nothing", headers=admin).get_json()
    assert empty == {**empty, "items": [], "total": 0, "total_exact": True, "next_after_id": None}


def test_openapi_documents_the_paging_parameters_and_fields(client):  # noqa: ANN001
    spec = client.get("/api/openapi.json").get_json()
    for path in KEYSET_LISTS + PAGE_ONLY_LISTS:
        params = {p["name"]: p for p in spec["paths"][API + path]["get"]["parameters"] if p["in"] == "query"}
        assert params["total"]["schema"]["enum"] == ["auto", "exact"], path
        assert ("after_id" in params) is (path in KEYSET_LISTS), path
        ref = spec["paths"][API + path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        envelope = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert {"total", "total_exact"} <= set(envelope["required"]), path
        assert ("next_after_id" in envelope["properties"]) is (path in KEYSET_LISTS), path
    after_id = next(p for p in spec["paths"][API + "/bridge-loans"]["get"]["parameters"] if p["name"] == "after_id")
    assert after_id["schema"]["minimum"] == 1 and after_id["schema"]["maximum"] == 2**31 - 1
    assert "next_after_id" in after_id["description"]


def test_audit_keyset_with_an_entity_filter(demo, factory, client):  # noqa: ANN001
    auditor = factory.as_role("auditor")
    loan_id = demo.scalar(select(AuditEvent.entity_id).where(AuditEvent.entity_type == "bridge_loan")
                          .group_by(AuditEvent.entity_id).order_by(func.count().desc()).limit(1))
    query = f"entity_type=bridge_loan&entity_id={loan_id}"
    ids = walk_by_keyset(client, "/audit-events", query, auditor, 2)
    assert ids == sorted(demo.scalars(select(AuditEvent.id).where(AuditEvent.entity_type == "bridge_loan",
                                                                  AuditEvent.entity_id == loan_id)), reverse=True)
    assert len(ids) >= 3
    assert walk_by_page(client, "/audit-events", query, auditor, 2) == ids


def test_the_fund_ledger_walks_by_keyset_in_every_sort_with_the_same_balances(demo, factory, client):  # noqa: ANN001
    auditor = factory.as_role("auditor")
    for query in ("", "sort=value_date", "sort=-id", "sort=id", "kind=fee", "from=2020-03-01&to=2020-03-20&sort=id"):
        pages, keyset = [], []
        page = 1
        while True:
            body = client.get(_url("/fund/ledger", query, page_size=13, page=page), headers=auditor).get_json()
            pages += body["items"]
            if not body["items"] or len(pages) >= body["total"]:
                break
            page += 1
        after = None
        while True:
            more = {"page_size": 13} | ({"after_id": after} if after else {})
            body = client.get(_url("/fund/ledger", query, **more), headers=auditor).get_json()
            keyset += body["items"]
            after = body["next_after_id"]
            if after is None:
                break
        assert keyset == pages and len(pages) > 13, query  # same entries, same order, same balance_after
    r = client.get(f"{API}/fund/ledger?after_id=999999", headers=auditor)
    assert r.status_code == 422 and "after_id" in r.get_json()["errors"]
    r = client.get(f"{API}/fund/ledger?after_id=1&page=2", headers=auditor)
    assert r.status_code == 422 and any("after_id" in k for k in r.get_json()["errors"])


def test_a_large_estimate_is_the_total_without_counting(db, factory, client, total_limit, monkeypatch):  # noqa: ANN001
    """On PostgreSQL a planner estimate of ESTIMATE_TRUSTED_FROM rows or more (and twice the limit) answers the total
    without the capped count (issue 16); below it, counting works as before, and ``total=exact`` always counts."""
    from bridgefund.services import common

    admin = factory.as_role("admin")
    for _ in range(4):
        factory.make_enterprise()
    exact_total = db.scalar(select(func.count()).select_from(Enterprise))
    postgres = db.get_bind().dialect.name == "postgresql"
    total_limit(1)
    monkeypatch.setattr(common, "ESTIMATE_TRUSTED_FROM", 0)  # any estimate is "large" (≥ 2 × 1 still applies)
    body = client.get(f"{API}/enterprises?page_size=2", headers=admin).get_json()
    if postgres:
        assert body["total_exact"] is False and body["total"] >= 1  # the estimate, whatever the planner guesses
    else:
        assert body["total_exact"] is True and body["total"] == exact_total
    body = client.get(f"{API}/enterprises?page_size=2&total=exact", headers=admin).get_json()
    assert body["total_exact"] is True and body["total"] == exact_total
    monkeypatch.setattr(common, "ESTIMATE_TRUSTED_FROM", 10**9)  # never: the capped count as before
    total_limit(exact_total)
    body = client.get(f"{API}/enterprises?page_size=2", headers=admin).get_json()
    assert body["total_exact"] is True and body["total"] == exact_total
