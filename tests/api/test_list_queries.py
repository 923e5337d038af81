"""List endpoints run a constant number of queries, whatever the page size (no N+1), on the demo story."""

from __future__ import annotations

import pytest

from bridgefund.demo import load_demo
from tests.api_support import api_routes

#: Lists that need query arguments to answer, with the arguments to use.
EXTRA_ARGS: dict[str, str] = {}
#: GET routes without a path parameter that are not paged collections (each still must answer 200).
NOT_PAGED = {
    "/api/v1/me", "/api/v1/fund", "/api/v1/fund/forecast", "/api/v1/fund/settings", "/api/v1/pool",
    "/api/v1/pool/settings",
    "/api/v1/pool-loans/import/template.xlsx",
}


@pytest.fixture
def demo(app, db):  # noqa: ANN001, ANN201
    load_demo(app, echo=lambda *_: None)
    return db


def _list_routes(app) -> list[str]:  # noqa: ANN001
    return [p for p, m, _ in api_routes(app) if m == "GET" and p.startswith("/api/v1") and "<" not in p]


def test_list_query_count_does_not_grow_with_page_size(app, demo, factory, client, count_queries):  # noqa: ANN001
    admin = factory.as_role("admin")
    checked = []
    assert NOT_PAGED <= set(_list_routes(app)), NOT_PAGED - set(_list_routes(app))
    for path in _list_routes(app):
        url = path + "?" + EXTRA_ARGS.get(path, "")
        if path in NOT_PAGED:
            r = client.get(path, headers=admin)
            assert r.status_code == 200, (path, r.get_data(as_text=True))
            # a paged envelope has items and a total (the forecast has items, one a day, and no paging)
            assert not (r.is_json and {"items", "total"} <= set(r.get_json())), f"{path} is paged: remove it"
            continue
        first = client.get(url + "&page_size=1", headers=admin)
        assert first.status_code == 200, (path, first.get_data(as_text=True))
        assert {"items", "total"} <= set(first.get_json()), (path, first.get_json())
        total = first.get_json()["total"]
        with count_queries() as small:
            a = client.get(url + "&page_size=2", headers=admin)
        with count_queries() as large:
            b = client.get(url + "&page_size=200", headers=admin)
        assert a.status_code == b.status_code == 200
        assert len(b.get_json()["items"]) == min(total, 200)
        assert small[0] == large[0], f"{path}: {small[0]} queries for 2 items, {large[0]} for {min(total, 200)}"
        checked.append((path, total))
    paths = [p for p, _ in checked]
    assert "/api/v1/enterprises" in paths and "/api/v1/banks" in paths and "/api/v1/users" in paths
    small_by_nature = {"/api/v1/guarantors", "/api/v1/periods", "/api/v1/reports"}
    assert all(total >= 3 for p, total in checked if p not in small_by_nature), [c for c in checked if c[1] < 3]
