"""Issue 16's hot paths in a fixed, small number of statements — with the same answers: ``GET /fund`` (one statement
after the token's), ``GET /pool`` (four), ``POST /bridge-loans`` (one statement for the settings, the bank and the
closed period), and the whole-history answer while a summary awaits its rebuild."""

from __future__ import annotations

import pytest

from bridgefund.figures.store import FUND, POOL
from bridgefund.models import SummaryState
from tests.bridge_support import World


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    w.capital("50000000.00")
    for i in range(3):
        loan = w.disbursed("1000000.00", enterprise_id=factory.make_enterprise().id)
        w.repay(loan["id"], "1000.00", "2020-02-12", f"HP-{i}")
    repaid = w.disbursed("500000.00", enterprise_id=factory.make_enterprise().id)
    due = w.get(f"/bridge-loans/{repaid['id']}", as_of="2020-02-20").get_json()["amount_due"]
    assert w.repay(repaid["id"], due, "2020-02-20", "HP-full").status_code == 201
    return w


def statements(count_queries, call) -> tuple[int, object]:  # noqa: ANN001
    with count_queries() as n:
        r = call()
    assert r.status_code in (200, 201), r.get_json()
    return n[0], r.get_json()


def test_fund_and_pool_read_in_a_few_statements(world, count_queries) -> None:  # noqa: ANN001
    # the floor: an authenticated read of one row (the fund's settings)
    one_row, _ = statements(count_queries, lambda: world.get("/fund/settings", world.auditor))
    fund, body = statements(count_queries, lambda: world.get("/fund", world.auditor))
    assert fund == one_row, (fund, one_row)  # the summary's sums, the cost saved and the freshness in one
    assert body["cumulative_disbursed_count"] == 4 and body["repaid_count"] == 1
    assert body["financing_cost_saved"] != "0.00"
    pool, _ = statements(count_queries, lambda: world.get("/pool", world.auditor))
    assert pool == one_row, (pool, one_row)  # ledger, quotas, thresholds, freshness, bank totals in one (was 4)


@pytest.mark.parametrize("name", [FUND, POOL])
def test_a_stale_summary_answers_the_same_figures_from_the_whole_history(world, db, name) -> None:  # noqa: ANN001
    for as_of in ("2020-02-12", "2020-02-29", "2020-03-31"):
        fresh = [world.get(p, world.auditor, as_of=as_of).get_json() for p in ("/fund", "/pool")]
        db.add(SummaryState(name=name, reason="test: awaits a rebuild"))
        db.commit()
        stale = [world.get(p, world.auditor, as_of=as_of).get_json() for p in ("/fund", "/pool")]
        db.delete(db.get(SummaryState, name))
        db.commit()
        assert stale == fresh, as_of


def test_submit_reads_settings_bank_and_closed_period_together(world, engine) -> None:  # noqa: ANN001
    from sqlalchemy import event

    seen: list[str] = []

    def log(_conn, _cursor, statement, *_a) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", log)
    try:
        r = world.post("/bridge-loans", world.application("1000000.00", 10), world.officer)
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert r.status_code == 201 and r.get_json()["reference"].startswith("BL-2020-")
    reads = [s for s in seen if s.startswith("select") and ("from fund_settings" in s or "from banks" in s
                                                            or "closed_periods" in s or "bank_terms" in s)]
    assert len(reads) == 1, reads  # one statement: the settings, the bank, the last closed day, the bank's terms
    assert "fund_settings" in reads[0] and "closed_periods" in reads[0] and "bank_terms" in reads[0]
    writes = [s for s in seen if s.startswith(("insert", "update", "delete"))]
    others = [s for s in seen if s.startswith("select") and s not in reads]
    # the token lookup, the enterprise locked, the bank's open amount; the counter, the loan, the audit event
    assert len(others) == 3 and len(writes) == 3, (others, writes)


def test_submit_still_refuses_each_date_problem_and_a_missing_bank(world) -> None:  # noqa: ANN001
    app = world.application("1000000.00", 10)
    r = world.post("/bridge-loans", {**app, "submitted_on": "2020-04-01"}, world.officer)
    assert r.status_code == 422 and "submitted_on" in r.get_json()["errors"]  # the future
    r = world.post("/bridge-loans", {**app, "submitted_on": "1999-12-31"}, world.officer)
    assert r.status_code == 422 and "submitted_on" in r.get_json()["errors"]  # before established_on
    r = world.post("/bridge-loans", {**app, "bank_id": 999999}, world.li)
    assert r.status_code == 422 and "bank_id" in r.get_json()["errors"]
    r = world.post("/bridge-loans", {**app, "bank_id": 999999, "submitted_on": "2020-04-01"}, world.li)
    assert r.status_code == 422 and "submitted_on" in r.get_json()["errors"]  # the date first, as before


def test_me_is_the_token_lookup_and_nothing_more(world, engine) -> None:  # noqa: ANN001
    """``GET /me`` — the floor of every authenticated request — reads the user once: the bearer-token lookup's row
    serves the answer (``services.auth.user_read_by_token``), no second ``SELECT`` of the same user."""
    from sqlalchemy import event

    seen: list[str] = []

    def log(_conn, _cursor, statement, *_a) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", log)
    try:
        r = world.get("/me", world.officer)
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert r.status_code == 200
    body = r.get_json()
    assert body["role"] == "bank_officer" and body["bank_id"] is not None and body["active"] is True
    assert body["created_at"] and "password_hash" not in body
    queries = [s for s in seen if not s.startswith(("begin", "savepoint", "release savepoint"))]  # the test harness
    assert len(queries) == 1 and "from api_tokens join users" in queries[0], queries
