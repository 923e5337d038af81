"""The per-day summaries (bridgefund.figures) agree with the whole-history figures, however they were built."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from bridgefund.demo import bridge, pool, registry
from bridgefund.figures import fund as fund_figures
from bridgefund.figures import pool as pool_figures
from bridgefund.figures.check import summary_differences
from bridgefund.figures.rebuild import mark_stale, rebuild, stale
from bridgefund.figures.store import FUND, POOL
from bridgefund.models import FundDay, PoolBankDay, PoolBankMonth, PoolSettings, SummaryState
from bridgefund.services import pool as pool_service
from bridgefund.services.actor import Actor

MONTH_ENDS = [dt.date(2019, m, 28) for m in range(1, 13)] + [
    dt.date(2020, 1, 31), dt.date(2020, 2, 15), dt.date(2020, 2, 29), dt.date(2020, 3, 10), dt.date(2020, 3, 31),
    dt.date(2020, 6, 30), dt.date(2021, 12, 31)]


def _tables(db) -> dict[str, list[tuple]]:  # noqa: ANN001
    """The summary rows that carry a figure: a row whose changes net to zero (a loan made and repaid in operations
    applied one by one, as the demo and every committed request apply them) adds nothing to any sum."""
    return {t.__tablename__: sorted(tuple(r) for r in db.execute(select(t.__table__)).all()
                                  if any(r[len(t.__table__.primary_key.columns):]))
            for t in (FundDay, PoolBankDay, PoolBankMonth)}


def _story(app, db) -> None:  # noqa: ANN001
    story = {"app": app, "logins": []}
    registry.load(db, story)
    bridge.load(db, story)
    pool.load(db, story)
    db.commit()


def test_the_demo_story_summaries_match_the_books_and_a_rebuild(app, db):  # noqa: ANN001
    _story(app, db)
    assert summary_differences(db, MONTH_ENDS) == []
    kept = _tables(db)
    assert kept["fund_days"] and kept["pool_bank_days"] and kept["pool_bank_months"]
    rebuild(db)
    db.commit()
    assert _tables(db) == kept  # built change by change == built at once
    fund = fund_figures.fund_position(db, dt.date(2020, 3, 31))
    assert fund["cumulative_disbursed_amount"] == Decimal("620450000.00") and fund["enterprises_served"] == 74

    # A stale summary (as if the tables had just been created over existing books) falls back to the books
    day = dt.date(2020, 3, 31)
    fresh_fund = fund_figures.fund_position(db, day)
    fresh_banks = pool_figures.bank_pool_figures(db, day, None, 90)
    from bridgefund.services import fund
    from bridgefund.services.actor import SYSTEM

    fresh_ledger = fund.list_ledger(db, SYSTEM, 2, 25).items
    db.execute(FundDay.__table__.delete())
    db.execute(PoolBankDay.__table__.delete())
    db.execute(PoolBankMonth.__table__.delete())
    mark_stale(db, FUND, "test")
    mark_stale(db, POOL, "test")
    db.commit()
    assert fund_figures.fund_position(db, day) == fresh_fund
    assert pool_figures.bank_pool_figures(db, day, None, 90) == fresh_banks
    assert fund.list_ledger(db, SYSTEM, 2, 25).items == fresh_ledger  # balances from the whole-ledger window
    rebuild(db, stale(db))
    db.commit()
    assert db.scalars(select(SummaryState)).all() == []
    assert fund_figures.fund_position(db, day) == fresh_fund
    assert summary_differences(db, MONTH_ENDS) == []


def _admin(factory) -> Actor:  # noqa: ANN001
    user = factory.make_user("admin")
    return Actor(id=user.id, username=user.username, role=user.role)


def test_changing_claim_after_days_rebuilds_the_pool_summary_and_rollbacks_leave_it(app, db, factory):  # noqa: ANN001
    _story(app, db)
    values = {k: getattr(pool_service.current_settings(db), k) for k in PoolSettings.FIELDS}
    before = pool_figures.bank_pool_figures(db, dt.date(2019, 12, 31), None, values["claim_after_days_overdue"])
    values["claim_after_days_overdue"] = 30
    pool_service.put_settings(db, _admin(factory), values)
    # read inside the same transaction: the figures follow the new setting at once
    during = pool_figures.bank_pool_figures(db, dt.date(2019, 12, 31), None, 30)
    db.commit()
    assert pool_figures.bank_pool_figures(db, dt.date(2019, 12, 31), None, 30) == during
    assert summary_differences(db, MONTH_ENDS) == []
    assert sum(f.npl_principal for f in during.values()) >= sum(f.npl_principal for f in before.values())

    # a change rolled back leaves the summary as it was (and was seen while pending)
    kept = _tables(db)
    from bridgefund.services import fund

    fund.move_capital(db, _admin(factory), amount=Decimal("5.00"), value_date=dt.date(2020, 3, 31),
                      direction="in", today=dt.date(2020, 3, 31), note="rolled back")
    assert fund_figures.fund_position(db, dt.date(2020, 3, 31))["capital_in"] \
        == fund_figures.fund_position_direct(db, dt.date(2020, 3, 31))["capital_in"]  # pending change is seen
    db.rollback()
    assert _tables(db) == kept
    assert summary_differences(db, [dt.date(2020, 3, 31)]) == []


def _ledger_by_window(db, page: int, size: int, *, sort: str, kind: str | None = None,  # noqa: ANN001, ANN202
                      from_: dt.date | None = None, to: dt.date | None = None):
    """The ledger page as the definition reads it: a running sum over the whole ledger, then filter and page."""
    from bridgefund.services import fund
    from bridgefund.services.common import Page

    led = fund.ledger_with_balance()
    stmt = select(led).order_by(*fund.LEDGER_SORTS[sort](led))
    stmt = stmt.where(led.c.kind == kind) if kind else stmt
    stmt = stmt.where(led.c.value_date >= from_) if from_ else stmt
    stmt = stmt.where(led.c.value_date <= to) if to else stmt
    total = len(db.execute(stmt).all())
    rows = [dict(r) for r in db.execute(stmt.limit(size).offset((page - 1) * size)).mappings()]
    return Page(items=rows, page=page, page_size=size, total=total)


def test_ledger_running_balances_from_the_summary_equal_the_window_over_the_whole_ledger(app, db):  # noqa: ANN001
    story = {"app": app, "logins": []}
    registry.load(db, story)
    bridge.load(db, story)
    db.commit()
    from bridgefund.services import fund
    from bridgefund.services.actor import SYSTEM

    cases = [{"sort": s} for s in fund.LEDGER_SORTS] + [
        {"kind": "fee"}, {"from_": dt.date(2020, 3, 1), "to": dt.date(2020, 3, 15)}, {"sort": "id", "kind": "penalty"}]
    for filters in cases:
        for page in (1, 2, 5):
            fast = fund.list_ledger(db, SYSTEM, page, 17, **filters)
            slow = _ledger_by_window(db, page, 17, **{"sort": "-value_date", **filters})
            assert fast.total == slow.total and fast.items == slow.items, (filters, page)
    first = fund.list_ledger(db, SYSTEM, 3, 10).items[4]
    assert fund.ledger_entry(db, first["id"]) == first


def test_a_change_committed_without_an_explicit_flush_reaches_the_summary(app, db):  # noqa: ANN001
    from bridgefund.models import FundLedgerEntry, LedgerKind

    db.add(FundLedgerEntry.make(LedgerKind.capital_in, Decimal("2.00"), dt.date(2020, 1, 2), note="no flush"))
    db.commit()  # the entry is flushed by the commit itself, after the before_commit hook was called
    row = db.execute(select(FundDay.capital_in).where(FundDay.value_date == dt.date(2020, 1, 2))).scalar()
    assert row == Decimal("2.00")  # in the table, not left in the session as pending changes
    assert fund_figures.fund_position(db, dt.date(2020, 1, 2))["capital_in"] == Decimal("2.00")
    assert summary_differences(db, [dt.date(2020, 1, 2)]) == []


def test_the_check_command_finds_a_summary_that_drifted_and_rebuild_mends_it(app, db):  # noqa: ANN001
    from bridgefund.models import FundLedgerEntry, LedgerKind

    db.add(FundLedgerEntry.make(LedgerKind.capital_in, Decimal("100.00"), dt.date(2020, 1, 2), note="seed"))
    db.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["summaries", "check", "--date", "2020-01-02", "--date", "2020-01-31"])
    assert ok.exit_code == 0 and "checked 2 dates: 0 differences" in ok.output, ok.output
    db.execute(FundDay.__table__.update().where(FundDay.value_date == dt.date(2020, 1, 2))
               .values(capital_in=FundDay.capital_in + 1))  # one fen of drift
    db.commit()
    bad = runner.invoke(args=["summaries", "check", "--date", "2020-01-31"])
    assert bad.exit_code == 1 and "fund capital_in: summary 101.00 != books 100.00" in bad.output, bad.output
    fixed = runner.invoke(args=["summaries", "rebuild"])
    assert fixed.exit_code == 0 and "rebuilt the fund summary" in fixed.output
    assert runner.invoke(args=["summaries", "check", "--date", "2020-01-31"]).exit_code == 0


def test_a_loan_written_already_disbursed_by_any_code_path_is_summarised(app, db):  # noqa: ANN001
    """Not only the services: a bridge loan inserted with its dates (an import, a fixture) and repaid later."""
    from sqlalchemy import inspect

    from bridgefund.models import BridgeLoan, FundLedgerEntry, LedgerKind

    story = {"app": app, "logins": []}
    registry.load(db, story)
    bridge.load(db, story)
    db.commit()
    src = db.scalars(select(BridgeLoan).where(BridgeLoan.status == "repaid").limit(1)).one()
    values = {a.key: getattr(src, a.key) for a in inspect(BridgeLoan).column_attrs if a.key not in ("id", "reference")}
    values.update(reference="BL-2020-999999", reference_no=999999, status="disbursed", repaid_on=None,
                  principal_repaid=Decimal("0.00"), fee_paid=Decimal("0.00"), penalty_paid=Decimal("0.00"))
    copy = BridgeLoan(**values)
    db.add(copy)
    db.flush()
    db.add(FundLedgerEntry.make(LedgerKind.disbursement, copy.amount, copy.disbursed_on, bridge_loan_id=copy.id))
    db.commit()
    day = copy.due_date + dt.timedelta(days=3)
    assert summary_differences(db, [copy.disbursed_on, day, dt.date(2020, 3, 31)]) == []
    db.add(FundLedgerEntry.make(LedgerKind.principal_repaid, copy.amount, day, bridge_loan_id=copy.id))
    copy.repaid_on, copy.status, copy.principal_repaid = day, "repaid", copy.amount
    db.commit()
    assert summary_differences(db, [copy.disbursed_on, day, dt.date(2020, 3, 31)]) == []


def test_each_banks_pool_totals_are_the_same_for_any_set_of_banks_asked_for(app, db):  # noqa: ANN001
    """``pool_bank_totals`` narrows its statement to a few banks and, for more, reads every bank's rows and keeps
    the ones asked for: either way each bank's figures are those of the whole list, and of the books."""
    from bridgefund.figures.read import FEW_BANKS, pool_bank_totals

    _story(app, db)
    banks = sorted(b for (b,) in db.execute(select(PoolBankMonth.bank_id).distinct()))
    assert len(banks) > FEW_BANKS + 1  # both ways are taken below
    absent = max(banks) + 1000
    npl_seen = False
    for day in (dt.date(2020, 2, 29), dt.date(2020, 3, 10), dt.date(2020, 9, 30), dt.date(2020, 12, 31)):
        everyone = pool_bank_totals(db, day, None)
        books = pool_figures.bank_pool_figures_direct(db, day, None, 90)
        assert any(t.outstanding for t in everyone.values())
        npl_seen = npl_seen or any(t.npl_principal for t in everyone.values())
        for b, t in everyone.items():
            assert (t.outstanding, t.npl_principal) == (books[b].outstanding, books[b].npl_principal)
        for asked in ([banks[3]], banks[:FEW_BANKS], banks[:FEW_BANKS + 1], banks[1:], banks + [absent], [absent]):
            assert pool_bank_totals(db, day, asked) == {b: t for b, t in everyone.items() if b in asked}, asked
    assert npl_seen  # non-performing principal is among the figures compared
