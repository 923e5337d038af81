"""The home pages' figures come from the services and mean what they say."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bridgefund.services import pool_loans
from bridgefund.services.actor import Actor
from tests.console_support import signed_in
from tests.pool_support import PoolWorld


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_claim_eligible_pool_loans_are_counted_per_bank_and_date(app, db, world, settings) -> None:  # noqa: ANN001
    world.loan()  # never pays: its first installment (2020-02-15) is 90 days past due on 2020-05-15
    world.default_and_claim()  # the same, with a claim filed on 2020-06-01
    world.loan(headers=world.other_officer)  # another bank's
    officer = Actor(id=world.officer_user.id, username="o", role="bank_officer", bank_id=world.bank.id)
    staff = Actor(id=None, username="m", role="fund_manager")

    def count(actor: Actor, on: str) -> int:
        return pool_loans.claim_eligible_count(db, actor, dt.date.fromisoformat(on))

    assert count(officer, "2020-05-14") == 0
    assert count(officer, "2020-05-15") == 2
    assert count(officer, "2020-06-01") == 1  # the claimed one is no longer eligible
    assert count(staff, "2020-06-01") == 2  # staff count every bank's
    settings.today = "2020-06-01"
    page = signed_in(app, world.officer_user).text("/")
    assert re.search(r'data-testid="claim-eligible">1<', page)
    assert re.search(r'data-testid="quota-used">2,400,000.00<', page)  # two loans of 1,200,000.00, nothing repaid


@pytest.mark.parametrize("role", ["fund_manager", "bank_officer"])
def test_the_home_queues_are_the_lists_first_pages(app, db, factory, role) -> None:  # noqa: ANN001
    """``bridge_loans.list_queues`` (the home pages' queues, one shared load of their loans' relations, totals with
    the page for an officer) answers each queue as ``list_loans`` answers its first page: the same loans in the same
    order, the same totals and figures — on the demo story, on dates from before its business to after it."""
    from sqlalchemy import func, select

    from bridgefund.demo import load_demo
    from bridgefund.models import BridgeLoan
    from bridgefund.services import bridge_loans

    load_demo(app, echo=lambda *_: None)
    banks = list(db.scalars(select(BridgeLoan.bank_id).distinct())) if role == "bank_officer" else [None]
    seen = 0
    # the staff's overdue total is the sum of overdue_on's two halves: on these dates both have loans
    halves = [db.scalar(select(func.count()).select_from(BridgeLoan).where(half))
              for on in ("2020-03-20", "2020-04-10") for half in BridgeLoan.overdue_halves(dt.date.fromisoformat(on))]
    assert halves[0] > 0 and sum(halves[1::2]) > 0, halves
    for bank_id in banks:
        actor = Actor(id=None, username="x", role=role, bank_id=bank_id)
        for on in ("2020-01-15", "2020-03-20", "2020-04-10", "2020-06-30", "2021-01-01"):
            today = dt.date.fromisoformat(on)
            queues = [("first", {"awaiting": "first_approval"}), ("second", {"awaiting": "second_approval"}),
                      ("approved", {"status": "approved"}), ("due", {"due_from": today}),
                      ("soon", {"due_from": today, "due_to": today + dt.timedelta(days=7)}),
                      ("overdue", {"overdue": True})]
            got = bridge_loans.list_queues(db, actor, 5, queues, today=today, total_with_page=role == "bank_officer")
            db.expunge_all()
            for (name, page), (_, filters) in zip(got, queues, strict=True):
                want = bridge_loans.list_loans(db, actor, 1, 5, today=today, **filters)
                assert [x.id for x in page.items] == [x.id for x in want.items], (on, name)
                assert (page.total, page.total_exact, page.next_after_id) == (
                    want.total, want.total_exact, want.next_after_id), (on, name)
                assert [x.figures for x in page.items] == [x.figures for x in want.items], (on, name)
                assert all(x.enterprise.name and x.approvals is not None for x in page.items)
                assert bank_id is None or all(x.bank_id == bank_id for x in page.items)
                seen += len(page.items)
                db.expunge_all()
    assert seen > 10


def test_an_officers_overdue_queue_is_the_newest_loans_of_both_halves(app, db) -> None:  # noqa: ANN001
    """An officer's overdue queue is found by the newest ids of each of ``overdue_on``'s halves (still open; closed
    only after the day) and counted by the two halves beside its rows: the same loans, order, totals and next page
    as ``list_loans``' first page, when the halves' loans interleave by id, on the day, either side of the
    repayments and write-offs, and with another bank's overdue loans around."""
    from sqlalchemy import inspect, select

    from bridgefund.demo import load_demo
    from bridgefund.models import BridgeLoan
    from bridgefund.services import bridge_loans

    load_demo(app, echo=lambda *_: None)
    src = db.scalars(select(BridgeLoan).where(BridgeLoan.status == "repaid").order_by(BridgeLoan.id).limit(1)).one()
    other_bank = db.scalar(select(BridgeLoan.bank_id).where(BridgeLoan.bank_id != src.bank_id).limit(1))
    values = {a.key: getattr(src, a.key) for a in inspect(BridgeLoan).column_attrs
              if a.key not in ("id", "reference", "reference_no")}
    day = dt.date(2021, 3, 10)
    disbursed, due = day - dt.timedelta(days=40), day - dt.timedelta(days=30)
    zero = src.amount - src.amount

    def closed(kind: str | None, on: dt.date | None) -> dict:
        if kind == "repaid":
            return {"status": "repaid", "repaid_on": on, "principal_repaid": src.amount, "written_off_on": None,
                    "written_off_amount": zero}
        if kind == "written_off":
            return {"status": "written_off", "repaid_on": None, "principal_repaid": zero, "written_off_on": on,
                    "written_off_amount": src.amount, "defaulted_on": due + dt.timedelta(days=1),
                    "status_reason": "企业破产清算"}
        return {"status": "disbursed", "repaid_on": None, "principal_repaid": zero, "written_off_on": None,
                "written_off_amount": zero}

    # one bank's loans, ids interleaving: still open, repaid after the day, written off after it, repaid before it
    # (not overdue), not due yet; and another bank's overdue loans between them
    kinds = [("open", None), ("repaid", day + dt.timedelta(days=2)), ("written_off", day + dt.timedelta(days=4)),
             ("repaid", day - dt.timedelta(days=1)), ("not_due", None), ("other_bank", None)]
    officer = Actor(id=None, username="o", role="bank_officer", bank_id=src.bank_id)
    dates = (day - dt.timedelta(days=1), day, day + dt.timedelta(days=2), day + dt.timedelta(days=3),
             day + dt.timedelta(days=4), day + dt.timedelta(days=6))
    before = {today: bridge_loans.list_loans(db, officer, 1, 1, today=today, overdue=True).total for today in dates}
    for i in range(30):
        kind, on = kinds[i % len(kinds)]
        loan = {**values, "reference": f"BL-2021-{900000 + i}", "reference_year": 2021, "reference_no": 900000 + i,
                "fee_paid": zero, "penalty_paid": zero, "disbursed_on": disbursed,
                "due_date": day + dt.timedelta(days=5) if kind == "not_due" else due,
                "bank_id": other_bank if kind == "other_bank" else src.bank_id,
                **closed(kind if kind in ("repaid", "written_off") else None, on)}
        db.add(BridgeLoan(**loan))
    db.flush()
    seen = []
    for today in dates:
        for rows in (1, 3, 5, 25):
            (_, page), = bridge_loans.list_queues(db, officer, rows, [("overdue", {"overdue": True})], today=today,
                                                  total_with_page=True)
            db.expunge_all()
            want = bridge_loans.list_loans(db, officer, 1, rows, today=today, overdue=True)
            assert [x.id for x in page.items] == [x.id for x in want.items], (today, rows)
            assert (page.total, page.total_exact, page.next_after_id) == (
                want.total, want.total_exact, want.next_after_id), (today, rows)
            assert [x.figures for x in page.items] == [x.figures for x in want.items], (today, rows)
            assert all(x.bank_id == src.bank_id for x in page.items)
            later = sum(1 for x in page.items if (x.repaid_on or x.written_off_on) is not None)  # (after today)
            seen.append((today, rows, page.total - before[today], len(page.items) - later, later))
            db.expunge_all()
    on_the_day = [s for s in seen if s[0] == day]
    # on the day, the loans added: 5 open + 5 repaid later + 5 written off later (the other bank's are not its own)
    assert {s[2] for s in on_the_day} == {15}, on_the_day
    assert any(still_open and later for _, rows, _, still_open, later in on_the_day if rows == 5), on_the_day
    # after the last write-off, of them only the open ones are left, and those due on day + 5 have joined them
    assert {s[2] for s in seen if s[0] == day + dt.timedelta(days=6)} == {10}, seen
