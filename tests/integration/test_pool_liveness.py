"""Pooled PostgreSQL connections without a ping per request (issue 16), and still no request on a dead connection.

``bridgefund.db`` replaced ``pool_pre_ping`` (one round trip at every checkout) with a look at the idle connection's
socket: a server that ends a connection says so on it (a FATAL message, then the end of the stream), and only then —
or after :data:`bridgefund.db.PING_AFTER_IDLE_SECONDS` unused — is the connection pinged, and replaced when the ping
fails.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bridgefund import db as bf_db
from bridgefund.db import make_engine


class _FakeConnection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False

    def fileno(self) -> int:
        return self.sock.fileno()


def test_an_idle_socket_with_something_to_read_is_news() -> None:
    mine, server = socket.socketpair()
    try:
        conn = _FakeConnection(mine)
        assert bf_db._has_news(conn) is False  # a live, quiet connection: no ping
        server.sendall(b"E")  # the server speaks first (PostgreSQL's FATAL before it closes)
        assert bf_db._has_news(conn) is True
        server.close()
        assert bf_db._has_news(conn) is True  # the end of the stream
        conn.closed = True
        assert bf_db._has_news(conn) is True
        assert bf_db._has_news(object()) is True  # cannot tell: ping
    finally:
        mine.close()


@pytest.fixture
def pg(engine, db_url):  # noqa: ANN001, ANN201
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a server ending a pooled connection (SQLite has no connection to lose)")
    eng = make_engine(db_url, pool_size=1, max_overflow=0)
    pings = [0]
    ping = eng.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        pings[0] += 1
        return ping(dbapi_conn)

    eng.dialect.do_ping = counted  # type: ignore[method-assign]
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    yield eng, pings, admin
    eng.dispose()
    admin.dispose()


def _pid(eng: Any) -> int:
    with eng.connect() as c:
        return c.scalar(text("SELECT pg_backend_pid()"))


@pytest.mark.postgres
def test_a_busy_live_connection_is_not_pinged(pg) -> None:  # noqa: ANN001
    eng, pings, _admin = pg
    first = _pid(eng)
    assert [_pid(eng) for _ in range(5)] == [first] * 5
    assert pings[0] == 0


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_before_use(pg) -> None:  # noqa: ANN001
    eng, pings, admin = pg
    first = _pid(eng)
    with admin.connect() as c:
        assert c.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": first}) is True
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # wait for the backend to go (the FATAL reaches the socket as it does)
        with admin.connect() as c:
            if not c.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": first}):
                break
        time.sleep(0.05)
    second = _pid(eng)  # no error: the dead connection was found and replaced at checkout
    assert second != first and pings[0] == 1


@pytest.mark.postgres
def test_a_connection_idle_for_long_is_pinged(pg, monkeypatch) -> None:  # noqa: ANN001
    eng, pings, _admin = pg
    first = _pid(eng)
    monkeypatch.setattr(bf_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _pid(eng) == first and pings[0] == 1  # pinged, alive, kept
