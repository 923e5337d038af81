"""The demo's books, built once per test module.

Loading the demo goes through every service, and takes 8–12 s. Modules whose tests each read the same demo books
load them once, in the module's own outer transaction. Each test then runs in a savepoint of that transaction and
is rolled back to it, so no test sees another's writes.

A module opts in by importing both fixtures::

    from tests.demo_support import connection, demo_connection  # noqa: F401 (the demo once per module)

``connection`` replaces the conftest's fixture of that name for the module (``db``, ``client`` and the factory build
on it), and ``demo_connection`` is the module-scoped transaction behind it. The demo is loaded as of
``DEMO_TODAY``, the last day of its story.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bridgefund.demo import load_demo
from bridgefund.services import unit_of_work

#: The business date the demo's story is loaded as of (its last day).
DEMO_TODAY = "2020-12-31"


@pytest.fixture(scope="module")
def demo_connection(engine: Engine, app: Any) -> Iterator[Any]:
    """One connection per module holding the demo's books in an outer transaction that is never committed."""
    conn = engine.connect()
    outer = conn.begin()
    database = app.extensions["bridgefund.db"]
    config = app.config["BRIDGEFUND"]
    try:
        saved = (database.sessionmaker, config.today)
        database.sessionmaker = unit_of_work.sessionmaker(conn, join_transaction_mode="create_savepoint")
        config.today = DEMO_TODAY
        try:
            load_demo(app, echo=lambda *_: None)
        finally:
            database.sessionmaker, config.today = saved
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def connection(demo_connection: Any) -> Iterator[Any]:
    """The module's connection, inside a savepoint that the test's end rolls back to."""
    savepoint = demo_connection.begin_nested()
    try:
        yield demo_connection
    finally:
        if savepoint.is_active:
            savepoint.rollback()
