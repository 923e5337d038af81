"""Issue 13: the dashboard's 12-month trend and ``GET /fund``'s financing cost saved read from the summaries give
the very figures of their whole-history definitions — on the demo story's books (bridge loans repaid, overdue,
written off; pool loans repaid, claimed, recovered, written off), through the services and through the console's
dashboard and ``GET /fund`` as a client sees them, the slow path (summaries stale) against the fast one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import event, select

from bridgefund.demo import bridge, pool, registry
from bridgefund.figures import fund as fund_figures
from bridgefund.figures import trend as trend_figures
from bridgefund.figures.check import summary_differences
from bridgefund.figures.rebuild import mark_stale, rebuild, stale
from bridgefund.figures.store import FUND, POOL
from bridgefund.models import BridgeLoan, PoolLoan, PoolRecovery
from tests.console_support import signed_in

#: Month ends, mid-month days and a first of the month, before, through and after the story's business.
DATES = [dt.date(2018, 12, 31), dt.date(2019, 1, 1), dt.date(2019, 6, 30), dt.date(2019, 12, 15),
         dt.date(2020, 1, 31), dt.date(2020, 2, 29), dt.date(2020, 3, 1), dt.date(2020, 3, 10),
         dt.date(2020, 3, 31), dt.date(2020, 4, 8), dt.date(2020, 6, 30), dt.date(2020, 12, 31),
         dt.date(2021, 7, 15)]


def _story(app, db) -> None:  # noqa: ANN001
    story = {"app": app, "logins": []}
    registry.load(db, story)
    bridge.load(db, story)
    pool.load(db, story)
    db.commit()


def _exact(rows: list[dict]) -> list[dict]:
    """Decimals by their text too (``str``: the same digits and exponent), so that "equal" means identical."""
    return [{k: (v, str(v)) for k, v in row.items()} for row in rows]


def test_the_trend_and_the_cost_saved_from_the_summaries_are_the_books(app, db) -> None:  # noqa: ANN001
    _story(app, db)
    # the story exercises what the figures add up
    assert db.scalar(select(BridgeLoan.id).where(BridgeLoan.financing_cost_saved != 0).limit(1)) is not None
    assert db.scalar(select(PoolLoan.id).where(PoolLoan.written_off_on.is_not(None)).limit(1)) is not None \
        or db.scalar(select(PoolRecovery.id).limit(1)) is not None
    assert stale(db) == []
    seen_bridge = seen_pool = seen_saved = False
    for day in DATES:
        fast, slow = trend_figures.trend(db, day), trend_figures.trend_direct(db, day)
        assert _exact(fast) == _exact(slow), day
        assert len(fast) == 12 and fast[-1]["month"] == f"{day.year:04d}-{day.month:02d}"
        seen_bridge |= any(m["bridge_count"] for m in fast)
        seen_pool |= any(m["pool_count"] for m in fast) and any(m["pool_outstanding"] for m in fast)
        saved, direct = fund_figures.cost_saved(db, day), fund_figures.cost_saved_direct(db, day)
        assert {k: str(v) for k, v in saved.items()} == {k: str(v) for k, v in direct.items()}, day
        seen_saved |= saved["financing_cost_saved"] != 0
        assert trend_figures.pool_lending(db, day) == trend_figures.pool_lending_direct(db, day), day
    assert seen_bridge and seen_pool and seen_saved
    assert summary_differences(db, DATES) == []


def test_a_change_pending_in_the_transaction_is_in_the_fast_figures(app, db) -> None:  # noqa: ANN001
    """Read in the middle of a change (before its commit adds it to the summary rows), the fast figures see it."""
    _story(app, db)
    day = dt.date(2020, 3, 31)
    loan = db.scalar(select(BridgeLoan).where(BridgeLoan.repaid_on <= day, BridgeLoan.financing_cost_saved > 0)
                     .order_by(BridgeLoan.repaid_on.desc()).limit(1))
    before = fund_figures.cost_saved(db, day)["financing_cost_saved"]
    loan.financing_cost_saved += Decimal("12.34")
    pool_loan = db.scalar(select(PoolLoan).where(PoolLoan.start_date <= day).order_by(PoolLoan.id).limit(1))
    pool_loan.principal += Decimal("1.00")
    db.flush()
    assert fund_figures.cost_saved(db, day)["financing_cost_saved"] == before + Decimal("12.34")
    assert fund_figures.cost_saved(db, day) == fund_figures.cost_saved_direct(db, day)
    assert _exact(trend_figures.trend(db, day)) == _exact(trend_figures.trend_direct(db, day))
    db.commit()
    assert summary_differences(db, [day, dt.date(2020, 12, 31)]) == []


def test_the_dashboard_and_get_fund_are_the_same_on_the_slow_and_the_fast_path(app, db, factory) -> None:  # noqa: ANN001
    _story(app, db)
    manager = factory.make_user("fund_manager")
    headers = factory.headers(manager)
    db.commit()
    browser = signed_in(app, manager)
    client = app.test_client()
    dates = ["2019-06-30", "2020-03-10", "2020-03-31", "2020-12-31"]

    def seen() -> dict[str, tuple[str, dict]]:
        out = {}
        for d in dates:
            html = browser.text(f"/dashboard?as_of={d}")
            r = client.get(f"/api/v1/fund?as_of={d}", headers=headers)
            assert r.status_code == 200
            out[d] = (html[html.index("<main"):html.index("</main>")], r.get_json())
        return out

    fast = seen()
    assert any(float(f["financing_cost_saved"]) != 0 for _, f in fast.values())
    mark_stale(db, FUND, "test: the whole-history path")
    mark_stale(db, POOL, "test: the whole-history path")
    db.commit()
    slow = seen()
    assert slow == fast
    rebuild(db, stale(db))
    db.commit()
    assert seen() == fast


def test_get_pool_in_one_statement_is_the_long_way_on_every_date(app, db, factory) -> None:  # noqa: ANN001
    """Issue 16: ``GET /pool`` reads its figures in one statement (``figures.pool.pool_position_read``); they equal
    the long way (settings, ledger, per-bank summary) and the whole-history definitions on every date, the Decimals'
    text included; while the summary is stale or this transaction holds pool changes the one statement steps aside."""
    from bridgefund.figures import pool as pool_figures
    from bridgefund.services import pool as pool_service

    _story(app, db)
    s = pool_service.current_settings(db)
    seen_npl = False
    for day in DATES:
        fast = pool_figures.pool_position_read(db, day, s.pool_loss_threshold)
        slow = pool_figures.pool_position(db, day, s.claim_after_days_overdue, s.pool_loss_threshold)
        assert fast is not None
        assert {k: str(v) for k, v in vars(fast).items()} == {k: str(v) for k, v in vars(slow).items()}, day
        seen_npl |= fast.npl_ratio > 0 and fast.claims_paid > 0
    assert seen_npl
    auditor = factory.as_role("auditor")
    seen: list[str] = []

    def log(_conn, _cursor, statement, *_a) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()).lower())

    engine = app.extensions["bridgefund.db"].engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        one = app.test_client().get("/api/v1/pool?as_of=2020-12-31", headers=auditor)
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert one.status_code == 200
    queries = [q for q in seen if not q.startswith(("begin", "savepoint", "release savepoint"))]
    assert len(queries) == 2 and "from api_tokens join users" in queries[0], queries  # was 5
    mark_stale(db, POOL, "test: the whole-history path")
    db.commit()
    assert pool_figures.pool_position_read(db, DATES[-2], s.pool_loss_threshold) is None
    long_way = app.test_client().get("/api/v1/pool?as_of=2020-12-31", headers=auditor)
    assert long_way.get_json() == one.get_json()
    rebuild(db, stale(db))
    db.commit()
    # a pool change pending in this transaction: the long way, which counts it
    loan = db.scalar(select(PoolLoan).where(PoolLoan.status == "active").limit(1))
    assert pool_figures.pool_position_read(db, DATES[-2], s.pool_loss_threshold) is not None
    loan.written_off_on, loan.status = DATES[-2], "written_off"
    loan.written_off_principal, loan.write_off_reason = loan.principal - loan.principal_repaid, "test"
    db.flush()
    assert pool_figures.pool_position_read(db, DATES[-2], s.pool_loss_threshold) is None
    db.rollback()
