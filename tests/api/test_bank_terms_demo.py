"""Dated bank terms on the demo story (issue 10, item 8): a closed month's report never changes.

The repro of the issue: close 2020-03, then ``PATCH /banks/1 {"pool_quota": "295000000.00"}``, rename bank 12 and
register a bank today; regenerating March 2020 gives the same data, whole, and the same report; ``GET /pool`` as of
2020-03-31 keeps its total quota. The demo is loaded once for the module inside a rolled-back transaction.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bridgefund.demo import load_demo
from bridgefund.demo.registry import BANKS, PARTNER_SINCE
from bridgefund.models import Bank
from bridgefund.reports import service as report_service
from bridgefund.services import unit_of_work
from bridgefund.services.report_data import monthly_report_data
from tests.conftest import Factory

D = Decimal
TODAY = "2020-04-15"
MARCH = "2020-03"
API = "/api/v1"


class World:
    def __init__(self, app: Any, connection: Any, session: Any) -> None:
        self.connection = connection
        self.session = session
        self.client = app.test_client()
        factory = Factory(app, session)
        self.admin = factory.as_role("admin")
        self.manager = factory.as_role("fund_manager")
        self.auditor = factory.as_role("auditor")
        #: the demo's banks 1 and 12 (ids 1 and 12 in a fresh database)
        ids = dict(session.execute(select(Bank.code, Bank.id)).all())
        self.first, self.twelfth = ids[BANKS[0][0]], ids[BANKS[11][0]]

    def get(self, path: str, **query: Any) -> Any:
        r = self.client.get(API + path, headers=self.auditor, query_string=query)
        assert r.status_code == 200, r.get_json()
        return r.get_json()


@pytest.fixture(scope="module")
def world(app, engine, tmp_path_factory) -> Iterator[World]:  # noqa: ANN001
    conn = engine.connect()
    outer = conn.begin()
    database = app.extensions["bridgefund.db"]
    settings = app.config["BRIDGEFUND"]
    saved = (database.sessionmaker, settings.today, settings.reports_dir)
    database.sessionmaker = unit_of_work.sessionmaker(conn, join_transaction_mode="create_savepoint")
    settings.today = TODAY
    settings.reports_dir = str(tmp_path_factory.mktemp("reports"))
    session = database.sessionmaker()
    try:
        load_demo(app, echo=lambda *_: None)
        yield World(app, conn, session)
    finally:
        session.close()
        database.sessionmaker, settings.today, settings.reports_dir = saved
        outer.rollback()
        conn.close()


@pytest.fixture
def w(world: World) -> Iterator[World]:
    world.session.commit()
    savepoint = world.connection.begin_nested()
    try:
        yield world
    finally:
        world.session.rollback()
        world.session.expire_all()
        if savepoint.is_active:
            savepoint.rollback()


def report_text(w: World, period: str) -> str:
    r = w.client.post(f"{API}/reports/monthly", json={"period": period, "lang": "zh"}, headers=w.manager)
    assert r.status_code == 201, r.get_json()
    pdf = w.client.get(r.get_json()["download_url"], headers=w.auditor)
    assert pdf.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    text = re.sub(r"第\s*\d+\s*版|Version\s*\d+", "", text)  # what differs between two generations
    return re.sub(r"\s+", "", re.sub(r"\d{4}-\d{2}-\d{2}\s*\d{2}:\d{2}(:\d{2})?", "", text))


def test_closed_month_report_never_changes_after_bank_edits(w: World) -> None:
    old_name = BANKS[11][1]
    data = monthly_report_data(w.session, MARCH)
    assert w.client.post(f"{API}/periods/{MARCH}/close", json={}, headers=w.admin).status_code in (200, 201)
    text = report_text(w, MARCH)

    r = w.client.patch(f"{API}/banks/{w.first}", json={"pool_quota": "295000000.00"}, headers=w.admin)
    assert r.status_code == 200 and r.get_json()["pool_quota"] == "295000000.00"
    r = w.client.patch(f"{API}/banks/{w.twelfth}", json={"name": "中国邮政储蓄银行郑州分行营业部"}, headers=w.admin)
    assert r.status_code == 200 and r.get_json()["name"] == "中国邮政储蓄银行郑州分行营业部"
    r = w.client.post(f"{API}/banks", json={"code": "HXB-ZZ", "name": "华夏银行郑州分行", "pool_quota": "5000000.00"},
                      headers=w.admin)
    assert r.status_code == 201 and r.get_json()["partner_since"] == TODAY

    again = monthly_report_data(w.session, MARCH)
    assert again == data  # the whole data dict
    banks = again["banks"]
    assert len(banks) == 12 and banks[0]["pool_quota"] == D("300000000.00")   # 30,000 万元
    assert banks[11]["name"] == old_name
    assert again["bank_totals"]["pool_quota"] == D("2000000000.00")
    assert again["pool"]["position"]["total_quota"] == D("2000000000.00")
    assert again["pool"]["quota_used"] == data["pool"]["quota_used"]
    assert w.get("/pool", as_of="2020-03-31")["total_quota"] == "2000000000.00"
    # the bank statement of the closed month too: the name and quota then
    bank1, bank12 = w.session.get(Bank, w.first), w.session.get(Bank, w.twelfth)
    assert report_service.bank_statement_data(w.session, bank12, MARCH)["bank"]["name"] == old_name
    assert report_service.bank_statement_data(w.session, bank1, MARCH)["pool"]["quota"] == D("300000000.00")
    regenerated = report_text(w, MARCH)
    assert regenerated == text
    assert old_name in regenerated and "华夏银行" not in regenerated and "营业部" not in regenerated

    # the open month reads the new terms: bank 1's new quota, the new name, the 13th bank
    april = monthly_report_data(w.session, "2020-04")["banks"]
    assert len(april) == 13 and april[0]["pool_quota"] == D("295000000.00")
    assert april[11]["name"] == "中国邮政储蓄银行郑州分行营业部"
    assert w.get("/pool", as_of=TODAY)["total_quota"] == "2000000000.00"  # −5M at bank 1, +5M at HXB
    assert w.get(f"/banks/{w.first}", as_of="2020-03-31")["pool_quota"] == "300000000.00"


def test_edits_dated_in_the_closed_month_are_refused(w: World) -> None:
    assert w.client.post(f"{API}/periods/{MARCH}/close", json={}, headers=w.admin).status_code in (200, 201)
    history = w.get(f"/banks/{w.first}/terms")["items"]
    r = w.client.patch(f"{API}/banks/{w.first}", json={"pool_quota": "295000000.00", "effective_from": "2020-03-31"},
                       headers=w.admin)
    assert r.status_code == 409 and "effective_from" in r.get_json()["errors"]
    assert w.get(f"/banks/{w.first}/terms")["items"] == history
    r = w.client.patch(f"{API}/banks/{w.first}", json={"pool_quota": "295000000.00", "effective_from": "2020-04-01"},
                       headers=w.admin)
    assert r.status_code == 200
    assert w.get("/pool", as_of="2020-03-31")["total_quota"] == "2000000000.00"
    assert w.get("/pool", as_of="2020-04-01")["total_quota"] == "1995000000.00"


def test_the_demo_books_its_story_with_dated_terms(w: World) -> None:
    rows = w.get(f"/banks/{w.first}/terms")["items"]
    assert [(t["effective_from"], t["pool_quota"]) for t in rows] == [
        ("2019-06-20", "150000000.00"), ("2020-01-10", "300000000.00")]
    first = {code: quota for code, _name, quota in BANKS}
    early = [code for code, since in PARTNER_SINCE.items() if since.isoformat() <= "2019-06-30"]
    expected = sum((D(first[c]) for c in early), D("0.00"))
    assert len(early) < 12
    assert w.get("/pool", as_of="2019-06-30")["total_quota"] == f"{expected:.2f}"
    assert w.get("/pool", as_of="2020-01-09")["total_quota"] == "1000000000.00"
    assert w.get("/pool", as_of="2020-01-10")["total_quota"] == "2000000000.00"
    assert len(monthly_report_data(w.session, "2019-07")["banks"]) == len(early)
    december = monthly_report_data(w.session, "2019-12")
    assert len(december["banks"]) == 12 and december["bank_totals"]["pool_quota"] == D("1000000000.00")
