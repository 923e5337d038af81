"""List endpoints run a constant number of queries, whatever the page size (no N+1), on the demo story."""

from __future__ import annotations

import pytest

from bridgefund.demo import load_demo
from tests.api.test_access_matrix import api_routes

#: Lists that need query arguments to answer, with the arguments to use.
EXTRA_ARGS: dict[str, str] = {}


@pytest.fixture
def demo(app, db):  # noqa: ANN001, ANN201
    load_demo(app, echo=lambda *_: None)
    return db


def _list_routes(app) -> list[str]:  # noqa: ANN001
    return [p for p, m, _ in api_routes(app) if m == "GET" and p.startswith("/api/v1") and "<" not in p]


def test_list_query_count_does_not_grow_with_page_size(app, demo, factory, client, count_queries):  # noqa: ANN001
    admin = factory.as_role("admin")
    checked = []
    for path in _list_routes(app):
        url = path + "?" + EXTRA_ARGS.get(path, "")
        first = client.get(url + "&page_size=1", headers=admin)
        if first.status_code != 200 or not isinstance(first.get_json(), dict) or "items" not in first.get_json():
            continue  # not a paged collection (e.g. /me, /fund)
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
