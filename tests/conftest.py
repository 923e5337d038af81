"""Test fixtures: a real database built by ``alembic upgrade``, each test in a rolled-back transaction.

SQLite by default; PostgreSQL when ``BRIDGEFUND_TEST_DATABASE_URL`` is set (``make test`` runs both). Under
pytest-xdist (``make test`` runs two workers, one per core) each worker has its own PostgreSQL database, the given
one's name with the worker's id appended (``test_gw0``, ``test_gw1``), created when missing; the environment variable
is rewritten to it before any test module reads it, so every test and subprocess of a worker uses that worker's own.
Tests marked ``real_db`` (threads, crashes) get committed transactions and a cleaned database instead.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, make_url, select, text
from sqlalchemy.orm import Session

from bridgefund import create_app
from bridgefund.db import Base, make_engine
from bridgefund.migrate import upgrade
from bridgefund.models import ApiToken, Bank, Enterprise, User
from bridgefund.models import document as document_model
from bridgefund.services import registry, unit_of_work
from bridgefund.services.actor import SYSTEM
from bridgefund.services.auth import token_hash


def _worker_database(url: str) -> str:
    """This xdist worker's own database on the server of ``url`` (created if missing); ``url`` itself without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    admin = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("BRIDGEFUND_TEST_DATABASE_URL", ""))
if PG_URL:
    os.environ["BRIDGEFUND_TEST_DATABASE_URL"] = PG_URL
#: The day the factory's banks become partners (the fund's default ``established_on``): tests book any date after.
PARTNER_SINCE = dt.date(2000, 1, 1)


def pytest_report_header(config: pytest.Config) -> str:
    return f"bridgefund database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite'}"


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


#: The shipped required-document lists (DOMAIN.md "Documents"), kept for the tests that check them.
SHIPPED_REQUIRED_DOCUMENTS = (document_model.DEFAULT_BRIDGE_REQUIRED, document_model.DEFAULT_CLAIM_REQUIRED)
# The tests' fund and pool start with no required documents, so the many tests that approve loans and claims need
# not upload papers first; the document tests (tests/api/test_required_documents.py) set the lists through the
# settings they test. The demo and the README walkthrough run with the shipped defaults and upload the papers.
document_model.DEFAULT_BRIDGE_REQUIRED = ()
document_model.DEFAULT_CLAIM_REQUIRED = ()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    if eng.dialect.name == "postgresql":
        _reset_postgres(eng)
    upgrade(db_url)
    _MIGRATED_ROWS[str(eng.url)] = _rows_of(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def app(engine: Engine, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    instance = tmp_path_factory.mktemp("instance")
    return create_app({
        "engine": engine,
        "database_url": str(engine.url.render_as_string(hide_password=False)),
        "testing": True,
        "huey_immediate": True,
        "secret_key": "test-secret",
        "instance_dir": str(instance),
        "reports_dir": str(instance / "reports"),
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
    })


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def db(app, connection) -> Iterator[Session]:  # noqa: ANN001
    """A session inside the test's outer transaction; the app's requests share that transaction."""
    database = app.extensions["bridgefund.db"]
    original = database.sessionmaker
    database.sessionmaker = unit_of_work.sessionmaker(connection, join_transaction_mode="create_savepoint")
    session = database.sessionmaker()
    yield session
    session.close()
    database.sessionmaker = original


@pytest.fixture
def settings(app):  # noqa: ANN001, ANN201
    s = app.config["BRIDGEFUND"]
    saved = (s.today,)
    yield s
    (s.today,) = saved


# --- real (committed) database, for threads and crashes ---------------------------------------------


@pytest.fixture
def real_db(app, engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Any]:  # noqa: ANN001
    """The app on committed transactions against a clean database; cleaned again afterwards."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
        eng = make_engine(url)
        upgrade(url)
    else:
        eng = engine
        _truncate(eng)
    database = app.extensions["bridgefund.db"]
    saved = (database.engine, database.sessionmaker)
    database.engine = eng
    database.sessionmaker = unit_of_work.sessionmaker(eng)
    try:
        yield app
    finally:
        database.engine, database.sessionmaker = saved
        if eng is engine:
            _truncate(eng)
        else:
            eng.dispose()


#: The rows the migrations themselves wrote (the seeded working-day calendar, the fund's and the pool's accounts),
#: per database: a clean database is the migrated one, so ``_truncate`` puts them back.
_MIGRATED_ROWS: dict[str, dict[str, list[dict[str, Any]]]] = {}


def _rows_of(eng: Engine) -> dict[str, list[dict[str, Any]]]:
    with eng.connect() as conn:
        rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in Base.metadata.sorted_tables}
    return {name: found for name, found in rows.items() if found}


def _truncate(eng: Engine) -> None:
    """Empty every table, then put back what the migrations seeded (without it a PostgreSQL worker's later tests
    would run on a calendar with no holidays), with each id sequence past the restored ids."""
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for table in Base.metadata.sorted_tables:
            rows = _MIGRATED_ROWS.get(str(eng.url), {}).get(table.name)
            if not rows:
                continue
            conn.execute(table.insert(), rows)
            if "id" in table.c:
                conn.execute(text(f"SELECT setval(seq, (SELECT max(id) FROM {table.name})) FROM (SELECT "
                                  f"pg_get_serial_sequence('{table.name}', 'id') AS seq) s WHERE seq IS NOT NULL"))


# --- small factories ---------------------------------------------------------------------------------


class Factory:
    """``make_bank()``, ``make_user()``, ``make_enterprise()``, ``headers(user)`` for a test."""

    def __init__(self, app, session: Session) -> None:  # noqa: ANN001
        self.app = app
        self.session = session
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def commit(self) -> None:
        self.session.commit()

    def make_bank(self, code: str | None = None, **kw: Any) -> Bank:
        n = self._next()
        kw.setdefault("effective_from", PARTNER_SINCE)  # a partner for every business date a test books
        bank = registry.create_bank(self.session, SYSTEM, code=code or f"BANK{n}", name=kw.pop("name", f"测试银行{n}"),
                                    **kw)
        self.session.commit()
        return bank

    def make_user(self, role: str, bank: Bank | None = None, username: str | None = None,
                  password: str = "Test-pass-123") -> User:
        n = self._next()
        user = registry.create_user(self.session, SYSTEM, self.app.extensions["bridgefund.auth"],
                                    username=username or f"{role.replace('_', '')}{n}-{secrets.token_hex(2)}",
                                    password=password, role=role, bank_id=bank.id if bank else None)
        self.session.commit()
        return user

    def make_enterprise(self, **kw: Any) -> Enterprise:
        from bridgefund.finance.uscc import demo_uscc

        n = self._next()
        data = {"uscc": demo_uscc(10_000_000 + n * 101 + secrets.randbelow(100)), "name": f"测试企业{n}有限公司",
                "size": "small", "in_zone": True}
        data.update(kw)
        ent = registry.create_enterprise(self.session, SYSTEM, **data)
        self.session.commit()
        return ent

    def headers(self, user: User, **extra: str) -> dict[str, str]:
        token = secrets.token_urlsafe(24)
        cfg = self.app.extensions["bridgefund.auth"]
        now = dt.datetime.now(dt.UTC)
        self.session.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, token), created_at=now,
                                  expires_at=now + dt.timedelta(hours=1)))
        self.session.commit()
        return {"Authorization": f"Bearer {token}", **extra}

    def as_role(self, role: str, bank: Bank | None = None) -> dict[str, str]:
        """Headers of a fresh user with ``role`` (officers need ``bank``)."""
        return self.headers(self.make_user(role, bank))


@pytest.fixture
def factory(app, db: Session) -> Factory:  # noqa: ANN001
    return Factory(app, db)


@pytest.fixture
def client(app, db):  # noqa: ANN001, ANN201
    return app.test_client()


@pytest.fixture
def count_queries(engine: Engine):  # noqa: ANN201
    """Count SQL statements executed inside a ``with count_queries() as n:`` block (``n[0]``)."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[list[int]]:
        counter = [0]

        def _count(*_a: Any, **_k: Any) -> None:
            counter[0] += 1

        event.listen(engine, "before_cursor_execute", _count)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", _count)

    return counting


def audit_count(session: Session, **filters: Any) -> int:
    from sqlalchemy import func

    from bridgefund.models import AuditEvent

    stmt = select(func.count()).select_from(AuditEvent)
    for k, v in filters.items():
        stmt = stmt.where(getattr(AuditEvent, k) == v)
    return session.scalar(stmt) or 0


