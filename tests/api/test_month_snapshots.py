"""Month snapshots (issue 16): a closed month's report and statements read the rows its close wrote, and those rows
are exactly what the books give — the same data, the same PDF bytes — for every month of the demo; months closed
before the snapshots existed are computed from the books until ``bridgefund summaries snapshot`` backfills them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bridgefund.demo import load_demo
from bridgefund.models import AuditEvent, Bank, ClosedPeriod, MonthSnapshot
from bridgefund.reports import documents
from bridgefund.services import month_snapshots, unit_of_work
from bridgefund.services.report_data import (
    bank_statement_data,
    compute_bank_statement_data,
    compute_monthly_report_data,
    monthly_report_data,
)
from tests.conftest import Factory

TODAY = "2020-07-15"
#: The demo's books run from July 2019 (the first pool loans) to June 2020 (bridge loans from December 2019).
MONTHS = [f"2019-{m:02d}" for m in range(7, 13)] + [f"2020-{m:02d}" for m in range(1, 7)]
MARCH = MONTHS.index("2020-03") + 1
AT = dt.datetime(2020, 7, 15, 9, 30, tzinfo=dt.UTC)


class World:
    def __init__(self, app: Any, connection: Any, session: Any) -> None:
        self.app, self.connection, self.session = app, connection, session
        self.client = app.test_client()
        self.factory = Factory(app, session)
        self.admin = self.factory.as_role("admin")
        self.manager = self.factory.as_role("fund_manager")


@pytest.fixture(scope="module")
def world(app, engine, tmp_path_factory) -> Iterator[World]:  # noqa: ANN001
    conn = engine.connect()
    outer = conn.begin()
    database = app.extensions["bridgefund.db"]
    config = app.config["BRIDGEFUND"]
    saved = (database.sessionmaker, config.today, config.reports_dir)
    database.sessionmaker = unit_of_work.sessionmaker(conn, join_transaction_mode="create_savepoint")
    config.today = TODAY
    config.reports_dir = str(tmp_path_factory.mktemp("reports"))
    session = database.sessionmaker()
    try:
        load_demo(app, echo=lambda *_: None)
        yield World(app, conn, session)
    finally:
        session.close()
        database.sessionmaker, config.today, config.reports_dir = saved
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
        if savepoint.is_active:
            savepoint.rollback()
        world.session.expire_all()


def banks(w: World) -> list[Bank]:
    return list(w.session.scalars(select(Bank).order_by(Bank.id)))


def books(w: World, period: str) -> dict[str, Any]:
    """What the books give for ``period`` now: the monthly report and every bank's statement, computed."""
    s = w.session
    settings_row = month_snapshots.stored(s, period, month_snapshots.SnapshotKind.settings)
    return {"monthly": compute_monthly_report_data(s, period),
            "statements": {b.id: compute_bank_statement_data(s, b, period, settings_row) for b in banks(w)}}


def served(w: World, period: str) -> dict[str, Any]:
    """What the reports print for ``period``: the snapshot of a closed month, else the books."""
    s = w.session
    return {"monthly": monthly_report_data(s, period),
            "statements": {b.id: bank_statement_data(s, b, period) for b in banks(w)}}


def close(w: World, period: str) -> dict[str, Any]:
    r = w.client.post(f"/api/v1/periods/{period}/close", headers=w.admin)
    assert r.status_code == 201, r.get_json()
    w.session.expire_all()
    return r.get_json()


def strict(a: Any, b: Any, path: str = "") -> list[str]:
    """Differences between two report data, types and Decimal exponents included (``==`` says 0.05 == 0.050)."""
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} vs {list(b)}"]
        return [d for k in a for d in strict(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} rows"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in strict(x, y, f"{path}[{i}]")]
    if isinstance(a, Decimal):
        return [] if a.as_tuple() == b.as_tuple() else [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def test_closing_writes_every_months_snapshot_audited_and_equal_to_the_books(w: World) -> None:
    """Closing March 2020 (the first close) snapshots every month of the books up to March — the monthly report's
    data, the pool settings and one statement per bank — in the close's transaction; the audit event names each
    row's SHA-256; what each row holds is the books' data, exactly (types, Decimal exponents, key order); and the
    PDFs from the snapshot are the PDFs from the books, byte for byte (same generation time)."""
    closed = MONTHS[:MARCH]
    computed = {m: books(w, m) for m in closed}
    body = close(w, "2020-03")
    assert body["period"] == "2020-03"
    s = w.session
    rows = list(s.scalars(select(MonthSnapshot).order_by(MonthSnapshot.id)))
    assert sorted({r.period for r in rows}) == closed
    assert len(rows) == len(closed) * (2 + len(banks(w)))
    for row in rows:
        assert hashlib.sha256(row.data.encode()).hexdigest() == row.sha256
    event = s.scalars(select(AuditEvent).where(AuditEvent.action == "close")).one()
    assert event.after["snapshots"] == {m: month_snapshots.fingerprints(s, m) for m in closed}
    for period in closed:
        got = served(w, period)
        assert strict(got["monthly"], computed[period]["monthly"], period) == []
        for bank_id, data in computed[period]["statements"].items():
            assert strict(got["statements"][bank_id], data, f"{period} bank {bank_id}") == []
    # April is open: computed from the books
    assert strict(served(w, "2020-04"), books(w, "2020-04")) == []
    assert s.scalar(select(func.count()).where(MonthSnapshot.period == "2020-04")) == 0
    snap, live, bank = served(w, "2020-03"), computed["2020-03"], banks(w)[0]
    for lang in ("zh", "en"):
        assert documents.monthly_report_pdf(snap["monthly"], lang=lang, version=1, generated_at=AT) == \
            documents.monthly_report_pdf(live["monthly"], lang=lang, version=1, generated_at=AT)
        assert documents.bank_statement_pdf(snap["statements"][bank.id], lang=lang, generated_at=AT) == \
            documents.bank_statement_pdf(live["statements"][bank.id], lang=lang, generated_at=AT)


def test_a_later_close_snapshots_only_the_months_it_closes(w: World) -> None:
    close(w, "2019-08")
    close(w, "2019-10")
    s = w.session
    assert sorted(set(s.scalars(select(MonthSnapshot.period)))) == MONTHS[:4]
    second = s.scalars(select(AuditEvent).where(AuditEvent.action == "close").order_by(AuditEvent.id)).all()[-1]
    assert sorted(second.after["snapshots"]) == ["2019-09", "2019-10"]


def test_a_closed_month_reads_its_rows_not_the_loans(w: World, count_queries) -> None:  # noqa: ANN001
    close(w, "2019-08")
    bank = banks(w)[0]
    with count_queries() as queries:
        monthly_report_data(w.session, "2019-08")
        bank_statement_data(w.session, bank, "2019-08")
    assert queries[0] == 2  # one row each


def test_a_later_bank_prints_the_settings_recorded_by_the_close(w: World) -> None:
    """A bank added after August 2019 closed has no snapshot row of it: its statement of that month is computed
    from the books, with the pool settings the close recorded (not today's)."""
    close(w, "2019-08")
    r = w.client.post("/api/v1/banks", json={"code": "LATE-1", "name": "后来银行", "pool_quota": "0.00"},
                      headers=w.admin)
    assert r.status_code == 201, r.get_json()
    late = w.session.get(Bank, r.get_json()["id"])
    before = bank_statement_data(w.session, late, "2019-08")["pool"]["npl_threshold"]
    body = {k: v for k, v in w.client.get("/api/v1/pool/settings", headers=w.admin).get_json().items()
            if k not in ("updated_at", "updated_by")}
    r = w.client.put("/api/v1/pool/settings", json={**body, "bank_npl_threshold": "0.01"}, headers=w.admin)
    assert r.status_code == 200, r.get_json()
    w.session.expire_all()
    assert bank_statement_data(w.session, late, "2019-08")["pool"]["npl_threshold"] == before != Decimal("0.01")
    assert bank_statement_data(w.session, late, "2020-07")["pool"]["npl_threshold"] == Decimal("0.01")


def test_months_closed_before_the_snapshots_are_computed_until_backfilled(w: World) -> None:
    """A month closed before migration 0018 (a closed_periods row, no snapshot) is computed from the books — the
    same data as before — and ``bridgefund summaries snapshot`` backfills every such month, audited, after
    which the reports read the rows (equal to the books)."""
    s = w.session
    s.add(ClosedPeriod(period="2019-09", last_day=dt.date(2019, 9, 30)))
    s.commit()
    computed = {m: books(w, m) for m in MONTHS[:3]}
    assert strict(served(w, "2019-09"), computed["2019-09"]) == []
    result = w.app.test_cli_runner().invoke(args=["summaries", "snapshot"])
    assert result.exit_code == 0, result.output
    assert "3 months snapshotted" in result.output
    s.expire_all()
    assert sorted(set(s.scalars(select(MonthSnapshot.period)))) == MONTHS[:3]
    assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "snapshot")) == 3
    for period in MONTHS[:3]:
        assert strict(served(w, period), computed[period], period) == []
    again = w.app.test_cli_runner().invoke(args=["summaries", "snapshot"])
    assert again.exit_code == 0 and "0 months snapshotted" in again.output
    refused = w.app.test_cli_runner().invoke(args=["summaries", "snapshot", "--period", "2019-10"])
    assert refused.exit_code != 0 and "not closed" in refused.output


# --------------------------------------------------------------------------------------------- the codec

#: What the codec takes: strings not starting with NUL (its number tag) and keys not starting with $ (its tags) —
#: the refused ones are the next test's.
_texts = st.text(max_size=8).filter(lambda t: not t.startswith("\x00"))
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15) | _texts
    | st.decimals(allow_nan=False, allow_infinity=False, places=None) | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC)),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6).filter(lambda k: not k.startswith(("$", "\x00"))), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_the_codec_gives_back_exactly_what_it_stored(value: Any) -> None:
    assert strict(month_snapshots.decode(month_snapshots.encode(value)), value) == []


@pytest.mark.parametrize("bad", [1.5, object(), {1: "x"}, {"$dec": "1"}, "\x00D1.5", {"\x00D1": 1}, Decimal("NaN")])
def test_the_codec_refuses_what_it_could_not_give_back(bad: Any) -> None:
    with pytest.raises(TypeError):
        month_snapshots.encode(bad)


def test_report_data_has_no_type_the_codec_would_change(w: World) -> None:
    """Report data holds only plain types (no enum member that the snapshot would store as its string)."""

    def walk(v: Any, path: str) -> None:
        assert type(v) in (dict, list, str, int, bool, Decimal, dt.date, dt.datetime, type(None)), (path, type(v))
        for k, x in (v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()):
            walk(x, f"{path}.{k}")

    for period in ("2019-08", "2020-03"):
        data = books(w, period)
        walk(data["monthly"], period)
        for bank_id, statement in data["statements"].items():
            walk(statement, f"{period}:{bank_id}")

