"""``BRIDGEFUND_REPLICA_DATABASE_URL``: report data of a closed month is read from the replica, of any other month from
the primary, and a closed month's figures are the primary's.

The replica here is a copy of the primary (``CREATE DATABASE … TEMPLATE``, as a standby that has replayed everything)
with one marker difference: the partner bank's name in its terms. A report shows the marker exactly when its data
came through the replica. Both databases are scratch databases on the server of ``BRIDGEFUND_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bridgefund import create_app
from tests.crash import harness
from tests.report_support import pdf_text

pytestmark = pytest.mark.postgres
PG_URL = os.environ.get("BRIDGEFUND_TEST_DATABASE_URL", "")
MARKER = "REPLICA COPY BANK"
CLOSED, OPEN = "2020-02", "2020-03"  # both ended (today is 2020-12-31); only February is closed


@dataclass
class Books:
    primary: str
    replica: str
    world: harness.World
    folder: Path


def _admin(url: str, sql: str) -> None:
    u = make_url(url)
    eng = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as c:
            c.execute(text(sql))
    finally:
        eng.dispose()


def _execute(url: str, sql: str, **params: Any) -> None:
    eng = create_engine(url)
    try:
        with eng.begin() as c:
            c.execute(text(sql), params)
    finally:
        eng.dispose()


def _app(books: Books, *, replica: bool) -> Any:
    config = {"database_url": books.primary, "secret_key": harness.SECRET, "today": harness.TODAY,
              "reports_dir": str(books.folder / "reports"), "instance_dir": str(books.folder / "instance")}
    if replica:
        config["replica_database_url"] = books.replica
    return create_app(config)


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Iterator[Books]:  # noqa: ANN001
    if not PG_URL.startswith("postgresql"):
        pytest.skip("the replica test needs PostgreSQL (BRIDGEFUND_TEST_DATABASE_URL)")
    name = f"{harness.make_url_name(PG_URL)}_primary_{os.getpid()}"
    primary = harness.create_scratch_db(PG_URL, name)
    replica = make_url(primary).set(database=f"{harness.make_url_name(PG_URL)}_replica_{os.getpid()}")
    replica_url = replica.render_as_string(hide_password=False)
    try:
        world = harness.seed(primary, approved=2, disbursed=6)  # loans lent in February 2020
        books = Books(primary, replica_url, world, tmp_path_factory.mktemp("replica"))
        app = _app(books, replica=False)
        r = app.test_client().post(f"/api/v1/periods/{CLOSED}/close", headers=world.headers["admin"])
        assert r.status_code in (200, 201), r.get_json()
        app.extensions["bridgefund.db"].engine.dispose()
        # the standby: a copy of everything committed so far (no session may be connected to the template)
        _admin(primary, f'DROP DATABASE IF EXISTS "{replica.database}" WITH (FORCE)')
        _admin(primary, f'CREATE DATABASE "{replica.database}" TEMPLATE "{name}"')
        yield books
    finally:
        harness.drop_scratch_db(replica_url)
        harness.drop_scratch_db(primary)


@pytest.fixture
def marked(books: Books) -> Iterator[Books]:
    """The replica's copy of the bank's terms carries the marker name (restored afterwards). Its month snapshots are
    set aside meanwhile: a closed month's report prints the rows its close stored (names as they were then), so
    the marker shows only where the figures are computed — from the replica's books, as for a month closed
    before the snapshots existed."""
    _execute(books.replica, "UPDATE bank_terms SET name = :m WHERE bank_id = :b", m=MARKER, b=books.world.bank_id)
    _execute(books.replica, "CREATE TABLE month_snapshots_aside AS SELECT * FROM month_snapshots")
    _execute(books.replica, "DELETE FROM month_snapshots")
    yield books
    _execute(books.replica, "INSERT INTO month_snapshots SELECT * FROM month_snapshots_aside")
    _execute(books.replica, "DROP TABLE month_snapshots_aside")
    _execute(books.replica, "UPDATE bank_terms SET name = b.name FROM banks b WHERE b.id = bank_terms.bank_id")


@pytest.fixture
def client(books: Books) -> Iterator[Any]:
    app = _app(books, replica=True)
    yield app.test_client()
    app.extensions["bridgefund.db"].engine.dispose()
    app.extensions["bridgefund.db"].replica_engine.dispose()


def _monthly_text(client: Any, headers: dict[str, str], period: str) -> tuple[dict[str, Any], str]:
    made = client.post("/api/v1/reports/monthly", json={"period": period, "lang": "en"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    pdf = client.get(f"/api/v1/reports/{made.get_json()['id']}/pdf", headers=headers)
    assert pdf.status_code == 200
    return made.get_json(), pdf_text(pdf.data)


def _statement_text(client: Any, books: Books, period: str, role: str = "bank_officer") -> str:
    r = client.get(f"/api/v1/banks/{books.world.bank_id}/statement.pdf?period={period}&lang=en",
                   headers=books.world.headers[role])
    assert r.status_code == 200, r.data[:300]
    return pdf_text(r.data)


def test_a_closed_month_reads_the_replica_an_open_month_the_primary(marked: Books, client: Any) -> None:
    manager = marked.world.headers["fund_manager"]
    report, closed = _monthly_text(client, manager, CLOSED)
    assert report["draft"] is False and MARKER in closed
    report, still_open = _monthly_text(client, manager, OPEN)
    assert report["draft"] is True and MARKER not in still_open
    assert MARKER in _statement_text(client, marked, CLOSED)
    assert MARKER not in _statement_text(client, marked, OPEN)


def test_the_replica_is_read_only(client: Any) -> None:
    engine = client.application.extensions["bridgefund.db"].replica_engine
    with engine.connect() as c, pytest.raises(DBAPIError, match="read-only transaction"):
        c.execute(text("UPDATE banks SET name = name"))


def _comparable(s: str) -> str:
    """The text of a report without what differs between two renderings: the moment, and the version number."""
    s = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?([+-]\d{2}:?\d{2}| ?[A-Z]{2,5})?", "<time>", s)
    return re.sub(r"Version \d+", "Version <n>", s)


def test_closed_month_figures_through_the_replica_equal_the_primarys(books: Books, client: Any) -> None:
    """The replica a faithful copy: the closed month's report read through it (its statements counted) says
    exactly what the primary alone says."""
    statements = []
    event.listen(client.application.extensions["bridgefund.db"].replica_engine, "before_cursor_execute",
                 lambda *args: statements.append(1))
    primary_only = _app(books, replica=False)
    try:
        manager = books.world.headers["fund_manager"]
        first, via_replica = _monthly_text(client, manager, CLOSED)
        assert len(statements) > 1  # the close check, then the figures
        second, direct = _monthly_text(primary_only.test_client(), manager, CLOSED)
        assert second["version"] == first["version"] + 1 and second["sha256"] != first["sha256"]
        assert _comparable(via_replica) == _comparable(direct)
    finally:
        primary_only.extensions["bridgefund.db"].engine.dispose()


def test_an_unreachable_replica_leaves_reports_to_the_primary(books: Books) -> None:
    gone = make_url(books.replica).set(database=f"{make_url(books.replica).database}_gone")
    app = create_app({"database_url": books.primary, "secret_key": harness.SECRET, "today": harness.TODAY,
                      "reports_dir": str(books.folder / "reports"), "instance_dir": str(books.folder / "instance"),
                      "replica_database_url": gone.render_as_string(hide_password=False)})
    try:  # 200: the closed month's statement, read from the primary (a warning is logged)
        assert _statement_text(app.test_client(), books, CLOSED)
    finally:
        app.extensions["bridgefund.db"].engine.dispose()
