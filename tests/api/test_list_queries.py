"""List endpoints run a constant number of queries, whatever the page size (no N+1), on the demo story."""

from __future__ import annotations

import datetime as dt

import pytest

from bridgefund.demo import load_demo
from bridgefund.models import NotificationSetting
from bridgefund.services import notifications
from bridgefund.services.actor import SYSTEM
from tests.api_support import api_routes

#: Lists that need query arguments to answer, with the arguments to use.
EXTRA_ARGS: dict[str, str] = {}
#: GET routes without a path parameter that are not paged collections (each still must answer 200).
NOT_PAGED = {
    "/api/v1/me", "/api/v1/fund", "/api/v1/fund/forecast", "/api/v1/fund/settings", "/api/v1/pool",
    "/api/v1/pool/settings",
    "/api/v1/pool-loans/import/template.xlsx", "/api/v1/notifications/unread-count",
    "/api/v1/me/notification-settings",
}


@pytest.fixture
def demo(app, db):  # noqa: ANN001, ANN201
    load_demo(app, echo=lambda *_: None)
    return db


def _list_routes(app) -> list[str]:  # noqa: ANN001
    return [p for p, m, _ in api_routes(app) if m == "GET" and p.startswith("/api/v1") and "<" not in p]


def _notifications_for(db, user) -> None:  # noqa: ANN001
    """Three notifications of ``user`` with an e-mail delivery each: the per-user lists have rows to page."""
    db.add(NotificationSetting(user_id=user.id, email="admin@fund.example.cn", email_enabled=True))
    for n in range(3):
        notifications.raise_event(db, SYSTEM, "summaries_differ", subject_type="summaries", subject_id=n,
                                  business_date=dt.date(2020, 3, 20), params={"count": 1}, link="/console", to=[user])
    db.commit()


def test_list_query_count_does_not_grow_with_page_size(app, demo, factory, client, count_queries):  # noqa: ANN001
    admin_user = factory.make_user("admin")
    admin = factory.headers(admin_user)
    _notifications_for(demo, admin_user)
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
