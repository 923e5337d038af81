"""Every date, amount and classification edge through the HTTP API, on the edge and one step past it.

Each test here fails under the off-by-one mutation of the rule it names (``<`` ↔ ``<=``, a band widened or
narrowed by a day, a threshold compared with ``>`` instead of ``>=``); docs/reliability.md ("Mutation testing")
lists the mutations and ``make mutate`` applies them. Figures are read through the API and, where a figure also
has a whole-history SQL definition (``summaries check``), the two are compared on the edge dates.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bridgefund.figures.check import summary_differences
from tests.bridge_support import World
from tests.bridge_support import counts as bridge_counts
from tests.pool_support import D, PoolWorld, counts

GRADES = ("normal", "special_mention", "substandard", "doubtful", "loss")
FIRST_DUE = dt.date(2020, 2, 15)  # the first installment of PoolWorld's default loan (started 2020-01-15)


def iso(d: dt.date) -> str:
    return d.isoformat()


def after(d: dt.date, days: int) -> str:
    return iso(d + dt.timedelta(days=days))


def problem(r, status: int, field: str) -> dict:  # noqa: ANN001
    body = r.get_json()
    assert r.status_code == status, body
    assert r.content_type == "application/problem+json"
    assert field in body.get("errors", {}), body
    return body


def no_summary_drift(db, dates) -> None:  # noqa: ANN001
    """The summary tables (what the API reads) and the whole-history SQL agree on ``dates``."""
    assert summary_differences(db, dates) == []


# --- pool: five-grade classification, NPL, claims -------------------------------------------------------------


@pytest.fixture
def pool(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2021-06-30"
    return PoolWorld(client, factory)


@pytest.mark.parametrize("days,grade", [
    (0, "normal"), (1, "special_mention"), (90, "special_mention"), (91, "substandard"),
    (270, "substandard"), (271, "doubtful"), (360, "doubtful"), (361, "loss"),
])
def test_classification_edges_in_the_view_and_the_list_filter(pool, days, grade):  # noqa: ANN001
    """A loan that never pays, seen ``days`` after its first due date: the grade of GET and of ?classification=."""
    loan = pool.loan()
    assert loan["schedule"][0]["due_date"] == iso(FIRST_DUE)
    as_of = after(FIRST_DUE, days)
    view = pool.get(f"/pool-loans/{loan['id']}", as_of=as_of).get_json()
    assert (view["days_past_due"], view["classification"]) == (days, grade)
    listed = {g for g in GRADES
              if loan["id"] in [x["id"] for x in pool.get("/pool-loans", classification=g, as_of=as_of)
                                .get_json()["items"]]}
    assert listed == {grade}, f"{days} days past due is listed under {listed}"


def test_an_installment_paid_late_counts_until_the_day_before_its_settlement(pool):  # noqa: ANN001
    """Paid on due + 1: overdue (special mention) on due + 1 before the payment counts, normal from its date on."""
    loan = pool.loan()
    paid_on = after(FIRST_DUE, 1)
    due = pool.get(f"/pool-loans/{loan['id']}", as_of=paid_on).get_json()
    assert due["classification"] == "special_mention"
    assert pool.repay(loan["id"], due["amount_due"], paid_on).status_code == 201
    for as_of, grade in ((iso(FIRST_DUE), "normal"), (paid_on, "normal"), (after(FIRST_DUE, 2), "normal")):
        view = pool.get(f"/pool-loans/{loan['id']}", as_of=as_of).get_json()
        assert (view["days_past_due"], view["classification"]) == (0, grade)
        listed = {g for g in GRADES
                  if loan["id"] in [x["id"] for x in pool.get("/pool-loans", classification=g, as_of=as_of)
                                    .get_json()["items"]]}
        assert listed == {grade}, f"on {as_of} the loan is listed under {listed}"
    # the second installment (due 2020-03-15) is then the oldest unpaid one
    view = pool.get(f"/pool-loans/{loan['id']}", as_of="2020-03-16").get_json()
    assert (view["days_past_due"], view["classification"]) == (1, "special_mention")


@pytest.mark.parametrize("days,npl", [(89, False), (90, True)])
def test_non_performing_from_claim_after_days_overdue(pool, db, days, npl):  # noqa: ANN001
    """NPL once the oldest unpaid installment is claim_after_days_overdue (90) past due: GET /pool and the books."""
    loan = pool.loan()
    as_of = FIRST_DUE + dt.timedelta(days=days)
    body = pool.get("/pool", as_of=iso(as_of)).get_json()
    assert D(body["guaranteed_outstanding"]) == D(loan["principal"])
    assert D(body["npl_ratio"]) == (1 if npl else 0)
    no_summary_drift(db, [as_of - dt.timedelta(days=1), as_of, as_of + dt.timedelta(days=1)])


def test_non_performing_ends_on_the_settlement_date(pool, db):  # noqa: ANN001
    """An installment 90 days past due is non-performing up to the day before it is settled, not on that day."""
    loan = pool.loan()
    paid_on = FIRST_DUE + dt.timedelta(days=95)
    due = pool.get(f"/pool-loans/{loan['id']}", as_of=iso(paid_on)).get_json()
    assert pool.repay(loan["id"], due["amount_due"], iso(paid_on)).status_code == 201
    day_before = paid_on - dt.timedelta(days=1)
    assert D(pool.get("/pool", as_of=iso(day_before)).get_json()["npl_ratio"]) == 1
    assert D(pool.get("/pool", as_of=iso(paid_on)).get_json()["npl_ratio"]) == 0
    no_summary_drift(db, [day_before, paid_on])


def test_claim_needs_claim_after_days_overdue(pool, db):  # noqa: ANN001
    """89 days past due → 409 and nothing stored; 90 days → 201."""
    loan = pool.loan()
    before = counts(db)
    early = pool.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": after(FIRST_DUE, 89)}, pool.officer)
    problem(early, 409, "claimed_on")
    assert counts(db) == before
    r = pool.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": after(FIRST_DUE, 90)}, pool.officer)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["days_past_due"] == 90


# --- bridge loans: due date, fee tiers, default ---------------------------------------------------------------


@pytest.fixture
def bridge(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("50000000.00").status_code == 201
    return w


DUE = dt.date(2020, 2, 20)  # World.disbursed(term_days=10) on 2020-02-10


@pytest.mark.parametrize("days,overdue,fee,penalty", [
    (0, False, "3000.00", "0.00"),   # on the due date: the last fee day, not overdue
    (1, True, "3000.00", "500.00"),  # the day after: the first penalty day, overdue
])
def test_due_date_and_the_day_after(bridge, db, days, overdue, fee, penalty):  # noqa: ANN001
    """1,000,000 for 10 days: fee 3,000 for days 1–10; from due + 1 a penalty of 0.05% a day instead."""
    loan = bridge.disbursed("1000000.00", term_days=10)
    assert loan["due_date"] == iso(DUE)
    as_of = DUE + dt.timedelta(days=days)
    body = bridge.get(f"/bridge-loans/{loan['id']}", as_of=iso(as_of)).get_json()
    assert (body["overdue"], body["days_overdue"]) == (overdue, days)
    assert (body["fee_accrued"], body["penalty_accrued"]) == (fee, penalty)
    for flag in ("true", "false"):
        ids = [x["id"] for x in bridge.get("/bridge-loans", overdue=flag, as_of=iso(as_of)).get_json()["items"]]
        assert (loan["id"] in ids) == (overdue == (flag == "true")), (flag, ids)
    fund = bridge.get("/fund", as_of=iso(as_of)).get_json()
    assert (fund["overdue_count"], fund["overdue_amount"]) == ((1, "1000000.00") if overdue else (0, "0.00"))
    no_summary_drift(db, [as_of])


@pytest.mark.parametrize("days,amount,fee,penalty", [
    (0, "1003000.00", "3000.00", "0.00"),
    (1, "1003500.00", "3000.00", "500.00"),
])
def test_repaying_on_the_due_date_pays_fee_and_the_day_after_penalty(bridge, days, amount, fee, penalty):  # noqa: ANN001
    loan = bridge.disbursed("1000000.00", term_days=10)
    r = bridge.repay(loan["id"], amount, after(DUE, days), "RN-EDGE")
    assert r.status_code == 201, r.get_json()
    rep = r.get_json()["repayment"]
    assert (rep["fee"], rep["penalty"], rep["principal"]) == (fee, penalty, "1000000.00")
    assert r.get_json()["loan"]["status"] == "repaid"


def test_overdue_ends_on_the_repayment_date(bridge, db):  # noqa: ANN001
    """Repaid in full on due + 2: overdue on due + 1, no longer on the repayment's value date."""
    loan = bridge.disbursed("1000000.00", term_days=10)
    r = bridge.repay(loan["id"], "1004000.00", after(DUE, 2), "RN-LATE")  # fee 3,000 + 2 penalty days of 500
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["loan"]["repaid_on"] == after(DUE, 2)
    for days, overdue in ((1, True), (2, False)):
        as_of = after(DUE, days)
        assert bridge.get(f"/bridge-loans/{loan['id']}", as_of=as_of).get_json()["overdue"] is overdue
        ids = [x["id"] for x in bridge.get("/bridge-loans", overdue="true", as_of=as_of).get_json()["items"]]
        assert (loan["id"] in ids) is overdue, (as_of, ids)
        assert bridge.get("/fund", as_of=as_of).get_json()["overdue_count"] == (1 if overdue else 0)
    no_summary_drift(db, [DUE + dt.timedelta(days=1), DUE + dt.timedelta(days=2)])


@pytest.mark.parametrize("day,fee", [(4, "800.00"), (5, "1000.00"), (6, "1400.00"), (7, "1800.00")])
def test_the_fee_tier_starts_on_its_from_day(bridge, day, fee):  # noqa: ANN001
    """Default tiers: 0.02% a day on days 1–5, 0.04% from day 6 (1,000,000: 200 a day, then 400)."""
    loan = bridge.disbursed("1000000.00", term_days=10)
    body = bridge.get(f"/bridge-loans/{loan['id']}", as_of=after(dt.date(2020, 2, 10), day)).get_json()
    assert (body["fee_accrued"], body["penalty_accrued"], body["overdue"]) == (fee, "0.00", False)


def test_default_after_days_overdue_edge(bridge, db):  # noqa: ANN001
    """default_after_days = 30: 29 days overdue → 409 (nothing changes); 30 days → defaulted."""
    loan = bridge.disbursed("1000000.00", term_days=10)
    before = bridge_counts(db)
    problem(bridge.post(f"/bridge-loans/{loan['id']}/default", {"value_date": after(DUE, 29)}, bridge.li), 409,
            "days_overdue")
    assert bridge_counts(db) == before
    r = bridge.post(f"/bridge-loans/{loan['id']}/default", {"value_date": after(DUE, 30)}, bridge.li)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "defaulted" and r.get_json()["defaulted_on"] == after(DUE, 30)


# --- closed month ----------------------------------------------------------------------------------------------


def test_closed_month_last_day_refused_next_month_first_day_accepted(bridge, db):  # noqa: ANN001
    loan = bridge.disbursed("1000000.00", term_days=10)
    assert bridge.post("/periods/2020-02/close", {}, bridge.admin).status_code == 201
    before = bridge_counts(db)
    problem(bridge.capital("1.00", value_date="2020-02-29"), 409, "value_date")
    problem(bridge.repay(loan["id"], "100.00", "2020-02-29", "RN-C1"), 409, "value_date")
    assert bridge_counts(db) == before
    assert bridge.capital("1.00", value_date="2020-03-01").status_code == 201
    assert bridge.repay(loan["id"], "100.00", "2020-03-01", "RN-C2").status_code == 201


# --- application and approval amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount,approvals", [("5000000.00", 2), ("4999999.99", 1)])
def test_dual_approval_from_the_threshold_on(bridge, amount, approvals):  # noqa: ANN001
    """dual_approval_threshold = 5,000,000: at the threshold a second manager approves; one fen below, one does."""
    loan = bridge.submit(amount)
    r = bridge.post(f"/bridge-loans/{loan['id']}/approve", {"comment": "ok"}, bridge.li)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == ("submitted" if approvals == 2 else "approved")
    if approvals == 2:
        r = bridge.post(f"/bridge-loans/{loan['id']}/approve", {}, bridge.wang)
        assert r.status_code == 200 and r.get_json()["status"] == "approved"


@pytest.mark.parametrize("amount,ok", [("10000000.00", True), ("10000000.01", False)])
def test_per_enterprise_cap_alone(bridge, db, amount, ok):  # noqa: ANN001
    ent = bridge.factory.make_enterprise()
    body = bridge.application(amount, enterprise_id=ent.id)
    before = bridge_counts(db)
    r = bridge.post("/bridge-loans", body, bridge.officer)
    if ok:
        assert r.status_code == 201, r.get_json()
    else:
        problem(r, 422, "amount")
        assert bridge_counts(db) == before


@pytest.mark.parametrize("second,ok", [("4000000.00", True), ("4000000.01", False)])
def test_per_enterprise_cap_with_an_open_loan(bridge, second, ok):  # noqa: ANN001
    ent = bridge.factory.make_enterprise()
    bridge.submit("6000000.00", enterprise_id=ent.id)
    r = bridge.post("/bridge-loans", bridge.application(second, enterprise_id=ent.id), bridge.officer)
    if ok:
        assert r.status_code == 201, r.get_json()
    else:
        problem(r, 422, "amount")


@pytest.mark.parametrize("amount,ok", [("950000.00", True), ("950000.01", False)])
def test_max_share_of_renewal(bridge, amount, ok):  # noqa: ANN001
    """max_share_of_renewal = 0.95 of a 1,000,000.00 renewal: 950,000.00 passes, one fen more does not."""
    r = bridge.post("/bridge-loans", bridge.application(amount, renewal_amount="1000000.00"), bridge.officer)
    if ok:
        assert r.status_code == 201, r.get_json()
    else:
        problem(r, 422, "amount")


@pytest.mark.parametrize("term_days,ok", [(0, False), (1, True), (10, True), (11, False)])
def test_max_term_days(bridge, term_days, ok):  # noqa: ANN001
    r = bridge.post("/bridge-loans", bridge.application("1000000.00", term_days=term_days), bridge.officer)
    if ok:
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["term_days"] == term_days
    else:
        problem(r, 422, "term_days")


# --- one definition per predicate (issue 12): each rule's edge in Python and in SQL -----------------------------


def test_bank_suspended_on_its_first_day_to_the_day_before_its_reinstatement(pool, db):  # noqa: ANN001
    """Suspended from 2020-03-01, reinstated from 2020-04-01: new pool loans dated 02-29 and 04-01 are taken, 03-01
    and 03-31 answer 409 (bank_terms.check_open); GET /banks?status= (the SQL of the terms in force) agrees."""
    from bridgefund.models import Bank
    from bridgefund.services import bank_terms

    bank = db.get(Bank, pool.bank.id)
    bank_terms.change(db, None, bank, dt.date(2020, 3, 1), {"status": "suspended"}, "test", check_dates=False)
    db.commit()
    r = pool.client.patch(f"/api/v1/banks/{pool.bank.id}", headers=pool.admin,
                          json={"status": "active", "reason": "整改完成", "effective_from": "2020-04-01"})
    assert r.status_code == 200, r.get_json()
    for on, suspended in (("2020-02-29", False), ("2020-03-01", True), ("2020-03-31", True), ("2020-04-01", False)):
        listed = [b["id"] for b in pool.get("/banks", pool.admin, status="suspended", as_of=on).get_json()["items"]]
        assert (pool.bank.id in listed) is suspended, on
        assert pool.get(f"/banks/{pool.bank.id}", pool.admin, as_of=on).get_json()["status"] == (
            "suspended" if suspended else "active")
        before = counts(db)
        r = pool.post("/pool-loans", pool.loan_body(start_date=on), pool.officer)
        if suspended:
            problem(r, 409, "bank_id")
            assert counts(db) == before
        else:
            assert r.status_code == 201, (on, r.get_json())


def test_overdue_in_sql_and_in_python_on_the_due_date_and_the_day_after(bridge, db):  # noqa: ANN001
    """BridgeLoan.overdue_on (the list filter, /fund, the reports) and finance.bridge.is_overdue (the loan view,
    the summaries) on the due date and the day after, with and without the principal repaid by then."""

    from sqlalchemy import func, literal_column, select

    from bridgefund.finance.bridge import is_overdue
    from bridgefund.models import BridgeLoan

    loan = bridge.disbursed("1000000.00", term_days=10)
    # principal repaid by then, in the stored unit (fen) as the ledger subqueries sum it: none, nothing, all of it
    cases = ((None, D("1000000.00")), (literal_column("0"), D("1000000.00")), (literal_column("100000000"), D("0.00")))
    for days in (0, 1):
        on = DUE + dt.timedelta(days=days)
        for repaid, outstanding in cases:
            expected = is_overdue(DUE, on, outstanding)
            assert expected is (days == 1 and outstanding > 0)
            n = db.scalar(select(func.count()).select_from(BridgeLoan)
                          .where(BridgeLoan.id == loan["id"], BridgeLoan.overdue_on(on, repaid)))
            assert n == (1 if expected else 0), (on, repaid)


def test_overdue_in_sql_is_the_rule_on_every_combination_of_dates_around_the_day(db):  # noqa: ANN001
    """BridgeLoan.overdue_on, written as two index-friendly halves (still open; closed only after the day), against
    the rule in plain words, on every combination of disbursement, due, repayment and write-off dates one day
    either side of the day asked about (and none): 4 × 3 × 4 × 4 = 192 loans in one statement, on both databases."""
    import itertools
    from types import SimpleNamespace

    from sqlalchemy import Date, Integer, literal, select, union_all

    from bridgefund.models import BridgeLoan

    on = dt.date(2020, 3, 10)
    near = (on - dt.timedelta(days=1), on, on + dt.timedelta(days=1))
    loans = [(i, disbursed, due, repaid, written_off) for i, (disbursed, due, repaid, written_off) in enumerate(
        itertools.product((None, *near), near, (None, *near), (None, *near)))]

    def overdue(disbursed, due, repaid, written_off) -> bool:  # noqa: ANN001
        return (disbursed is not None and disbursed <= on and due < on
                and (repaid is None or repaid > on) and (written_off is None or written_off > on))

    names = ("id", "disbursed_on", "due_date", "repaid_on", "written_off_on")
    # a UNION ALL of one-row SELECTs (SQLite has no VALUES with column names in FROM)
    table = union_all(*(select(*(literal(v, Integer if n == "id" else Date).label(n) for n, v in zip(names, row,
                                                                                               strict=True)))
                        for row in loans)).subquery("loans")
    cols = SimpleNamespace(**{c.name: c for c in table.c})
    cols.overdue_halves = lambda day: BridgeLoan.overdue_halves.__func__(cols, day)  # the model's, over these columns
    found = set(db.scalars(select(table.c.id).where(BridgeLoan.overdue_on.__func__(cols, on))))
    expected = {i for i, *dates in loans if overdue(*dates)}
    assert len(loans) == 192 and 0 < len(expected) < len(loans)
    assert found == expected, sorted(found ^ expected)
    # its two halves (the work queue counts each apart and adds them) are disjoint and together the rule
    open_half, later_half = (set(db.scalars(select(table.c.id).where(half)))
                             for half in cols.overdue_halves(on))
    assert open_half and later_half and not open_half & later_half and open_half | later_half == expected
    # and its negation (the list's overdue=false) is exactly the rest: no loan falls between on a NULL
    not_found = set(db.scalars(select(table.c.id).where(~BridgeLoan.overdue_on.__func__(cols, on))))
    assert not_found == {i for i, *_ in loans} - expected
