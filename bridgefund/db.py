"""The database layer: declarative base, exact column types, engine and per-request sessions.

Money is stored as integer fen (``Money``) and rates as integers scaled by 10⁸ (``Rate``), so both
SQLite and PostgreSQL keep them exact: there is no REAL/float column anywhere.

SQLite (the embedded default) runs with foreign keys on, WAL, a busy timeout, and every transaction
opened with ``BEGIN IMMEDIATE``: writes are serialised, which is how the embedded database keeps the
fund's balance checks race-free. PostgreSQL uses row locks (``SELECT … FOR UPDATE``) in the services.
"""

from __future__ import annotations

import datetime as dt
import select as _select
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, MetaData, create_engine, event, exc, func, type_coerce
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal stored as a BIGINT of units of 10^-places.

    Writing a value with more decimals than ``places`` is a programming error (schemas reject such
    input with 422 long before), so it raises instead of silently rounding.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self._scale = Decimal(10) ** places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("binary floats are never money: pass a Decimal")
        try:
            d = Decimal(value)
            scaled = d * self._scale
            if scaled != scaled.to_integral_value():
                raise ValueError(f"{value} has more than {self.places} decimal places")
            return int(scaled)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal: {value!r}") from exc

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._scale).quantize(self._quantum)

    @property
    def python_type(self) -> type:
        return Decimal


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in column definitions
    """Yuan with two decimals, stored as integer fen."""
    return ScaledDecimal(2)


def money_sum(expr: Any) -> Any:
    """``COALESCE(SUM(expr), 0)`` over fen columns read back as yuan: the result is typed ``Money`` whatever the
    dialect returns. The one money SUM of the code base."""
    return type_coerce(func.coalesce(func.sum(expr), 0), Money())


def Rate() -> ScaledDecimal:  # noqa: N802
    """A rate or share (daily, annual, ratio) with up to eight decimals, stored scaled by 10⁸."""
    return ScaledDecimal(8)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine with the per-dialect settings this project relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, **kwargs)
    check_liveness_on_checkout(engine)
    return engine


#: A pooled connection that sat unused this long is pinged before it serves again, whatever its socket says.
PING_AFTER_IDLE_SECONDS = 10.0


def check_liveness_on_checkout(engine: Engine) -> None:
    """Hand out only live connections, without a round trip per request (issue 16).

    SQLAlchemy's ``pool_pre_ping`` sends a query to the server at every checkout: one round trip of every request,
    about a fifth of an authenticated read's. A connection the server has ended (a restart, ``pg_terminate_backend``,
    an idle timeout) has something to read — the server's FATAL message, then the end of the stream — so a
    non-blocking look at its socket tells it apart from a live one; only then, or when the connection sat unused for
    :data:`PING_AFTER_IDLE_SECONDS` (a peer that vanished without a word), is it pinged like ``pool_pre_ping`` did. A
    failed ping is a :class:`~sqlalchemy.exc.DisconnectionError`: the pool drops the connection and hands out a new
    one, and the request never sees the dead one.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["bf_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("bf_idle_since", None)
        if idle_since is None:  # connected just now
            return
        if time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS and not _has_news(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:
            raise exc.DisconnectionError(f"a pooled connection is gone: {error}") from error


def _has_news(dbapi_conn: Any) -> bool:
    """Whether an idle connection's socket has anything to read (the server said something: it is ending it), or
    the driver already knows it is closed or broken; True when it cannot tell (then the caller pings)."""
    if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
        return True
    try:
        readable, _, _ = _select.select([dbapi_conn.fileno()], [], [], 0)
    except (AttributeError, OSError, ValueError, TypeError):
        return True
    return bool(readable)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for SAVEPOINT and
        # for BEGIN IMMEDIATE below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_replica_engine(url: str) -> Engine:
    """The engine of a read replica (``BRIDGEFUND_REPLICA_DATABASE_URL``). On PostgreSQL its transactions are
    ``READ ONLY``: a write fails at the database even when the URL names the primary by mistake."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        return engine.execution_options(postgresql_readonly=True)
    return engine


class ReadOnlySession(Session):
    """A session that reads: flushing anything raises (the replica's sessions)."""

    def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("a read-only session does not write (the replica is for reports' reads)")
        super().flush(objects)


def read_only_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the replica engine: reads only, objects kept after their transaction ends."""
    return sessionmaker(bind=engine, class_=ReadOnlySession, expire_on_commit=False, autoflush=False)


class Database:
    """The engines and the session factory of one app (``app.extensions['bridgefund.db']``)."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session],
                 replica_engine: Engine | None = None) -> None:
        self.engine = engine
        #: the app's session factory (``services.unit_of_work.sessionmaker``: the summary and after-commit hooks;
        #: its sessions carry the replica's read-only factory when there is one)
        self.sessionmaker = sessions
        #: the read replica's engine (``BRIDGEFUND_REPLICA_DATABASE_URL``), or None
        self.replica_engine = replica_engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
