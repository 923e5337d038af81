"""The bridge-loan screens through the Flask test client: the whole story, the confirmations, double submits,
form errors beside the fields, bank scoping (404 pages), escaping."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent, BridgeLoan, BridgeRepayment
from tests.bridge_support import World, check_invariants, counts
from tests.console_support import Browser, one_time_key, signed_in, visible_text


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("50000000.00").status_code == 201
    return w


def application_form(world: World, key: str, **changes: str) -> dict[str, str]:
    form = {"idempotency_key": key, "enterprise_id": str(world.enterprise.id),
            "maturing_loan.contract_no": "HT-2020-0331", "maturing_loan.amount": "６,０００,０００.００",
            "maturing_loan.due_date": "2020-03-30", "amount": "5,600,000", "term_days": "８",
            "renewal.amount": "6,000,000.00", "renewal.expected_date": "2020-03-31", "purpose": "转贷"}
    form.update(changes)
    return form


def submit(b: Browser, world: World, **changes: str):  # noqa: ANN201
    page = b.text("/bridge-loans/new")
    return b.post("/bridge-loans/new", application_form(world, one_time_key(page), **changes))


def confirm_and_send(b: Browser, loan_id: int, action: str, **fields: str):  # noqa: ANN201
    """Open the action's confirmation (as htmx would), then send its form once."""
    r = b.get(f"/bridge-loans/{loan_id}/confirm/{action}", query_string=fields, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.get_data(as_text=True)
    html = r.get_data(as_text=True)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    return html, form, b.post(f"/bridge-loans/{loan_id}/{action}", form)


def test_the_story_in_the_console_officer_manager_second_manager_disburse_repay(app, db, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    li = signed_in(app, world.li_user)
    wang = signed_in(app, world.wang_user)

    # The officer submits: money typed with separators and full-width digits, normalised before the strict parse.
    r = submit(officer, world)
    assert r.status_code == 303, visible_text(r.get_data(as_text=True))[:800]
    loan = db.scalars(select(BridgeLoan).order_by(BridgeLoan.id.desc())).first()
    assert str(loan.amount) == "5600000.00" and str(loan.maturing_amount) == "6000000.00" and loan.term_days == 8
    assert r.headers["Location"].endswith(f"/bridge-loans/{loan.id}")
    assert "BL-2020-" in officer.text(r.headers["Location"])

    # The manager's work queue counts it, one click from the row.
    home = li.text("/")
    assert re.search(r'data-testid="queue-first_approval">1<', home)
    assert f"/bridge-loans/{loan.id}" in home

    # 5,600,000.00 is above the dual-approval threshold: the first approval leaves it submitted.
    html, _form, r = confirm_and_send(li, loan.id, "approve", comment="材料齐全")
    assert 'data-testid="exposure"' in html and 'data-testid="headroom"' in html  # exposure and cash before approving
    assert r.status_code == 303
    db.expire_all()
    assert db.get(BridgeLoan, loan.id).status == "submitted"
    assert re.search(r'data-testid="queue-second_approval">1<', li.text("/"))
    _html, _form, r = confirm_and_send(wang, loan.id, "approve")
    assert r.status_code == 303
    db.expire_all()
    assert db.get(BridgeLoan, loan.id).status == "approved"

    html, _form, r = confirm_and_send(li, loan.id, "disburse", value_date="2020-03-31")
    assert "5,600,000.00" in html and "2020-04-08" in html  # the amount and the due date, before confirming
    assert r.status_code == 303
    db.expire_all()
    assert db.get(BridgeLoan, loan.id).status == "disbursed"

    # The officer records the repayment on day 8: the split is shown before confirming.
    fund_before = li.text("/dashboard?as_of=2020-04-08")
    html, form, r = confirm_and_send(officer, loan.id, "repay", amount="5,600,000.00", value_date="2020-03-31",
                                     external_ref="BOC-RN-9")
    assert re.search(r'data-testid="split-principal">5,600,000.00<', html)
    assert re.search(r'data-testid="split-fee">0.00<', html)  # repaid the day it was lent: no fee
    assert r.status_code == 303
    # A double click (the same form again) replays the answer and books nothing twice.
    again = officer.post(f"/bridge-loans/{loan.id}/repay", form)
    assert again.status_code == 303 and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == r.headers["Location"]
    assert db.scalar(select(func.count()).select_from(BridgeRepayment)
                     .where(BridgeRepayment.bridge_loan_id == loan.id)) == 1
    db.expire_all()
    assert db.get(BridgeLoan, loan.id).status == "repaid"
    detail = officer.text(f"/bridge-loans/{loan.id}")
    timeline = visible_text(detail.split('data-testid="timeline"')[1])
    for word in ("已提交", "已审批", "已放款", "登记回款"):
        assert word in timeline
    assert fund_before != li.text("/dashboard?as_of=2020-04-08")  # the dashboard's figures moved
    check_invariants(db)
    actions = [e.action for e in db.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "bridge_loan", AuditEvent.entity_id == loan.id).order_by(AuditEvent.id))]
    assert actions == ["submit", "approve", "approve", "disburse", "repay"]


def test_a_double_submitted_application_creates_one_loan(app, db, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    form = application_form(world, one_time_key(officer.text("/bridge-loans/new")))
    first = officer.post("/bridge-loans/new", form)
    second = officer.post("/bridge-loans/new", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.scalar(select(func.count()).select_from(BridgeLoan)) == 1
    # The same key with other values is refused (a stale form), never a second loan.
    changed = officer.post("/bridge-loans/new", {**form, "amount": "1,000,000.00"})
    assert changed.status_code == 422
    assert db.scalar(select(func.count()).select_from(BridgeLoan)) == 1


def test_a_refused_form_shows_the_field_errors_and_changes_nothing(app, db, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    before = counts(db)
    r = submit(officer, world, amount="1,500,000.005", term_days="", **{"renewal.amount": "abc"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for field in ("amount", "term_days", "renewal-amount"):
        assert f'id="{field}-error"' in html, field
    assert 'aria-invalid="true"' in html
    assert re.search(r'id="term_days-error">必填。<', html)  # the schema's message, in the page's language
    assert 'value="1,500,000.005"' in html  # what was typed stays in the form
    # A rule of the service (amount above the maturing loan) names its field too.
    r = submit(officer, world, amount="7,000,000.00")
    assert r.status_code == 422 and 'id="amount-error"' in r.get_data(as_text=True)
    assert counts(db) == before
    # After the refusal the same form (its key unclaimed) goes through once corrected.
    page = officer.text("/bridge-loans/new")
    ok = officer.post("/bridge-loans/new", application_form(world, one_time_key(page)))
    assert ok.status_code == 303


def test_a_refused_action_changes_nothing_and_names_the_field(app, db, world) -> None:  # noqa: ANN001
    loan = world.disbursed("1000000.00", value_date="2020-03-20")
    officer = signed_in(app, world.officer_user)
    before = counts(db)
    r = officer.get(f"/bridge-loans/{loan['id']}/confirm/repay", headers={"HX-Request": "true"},
                    query_string={"amount": "9,000,000.00", "value_date": "2020-03-31", "external_ref": "X-1"})
    assert r.status_code == 422
    assert 'id="amount-error"' in r.get_data(as_text=True)
    # Posted straight (without the confirmation) the service still refuses, and nothing is stored.
    key = one_time_key(officer.text(f"/bridge-loans/{loan['id']}/confirm/repay?amount=1.00&value_date=2020-03-31"
                                    "&external_ref=X-2"))
    r = officer.post(f"/bridge-loans/{loan['id']}/repay",
                     {"idempotency_key": key, "amount": "9000000.00", "value_date": "2020-03-31",
                      "external_ref": "X-1"})
    assert r.status_code == 422 and "amount" in visible_text(r.get_data(as_text=True))
    assert counts(db) == before


def test_another_banks_officer_gets_404_pages(app, db, world, factory) -> None:  # noqa: ANN001
    loan = world.disbursed("1000000.00", value_date="2020-03-20")
    other_bank = factory.make_bank()
    stranger = signed_in(app, factory.make_user("bank_officer", other_bank))
    before = counts(db)
    for path in (f"/bridge-loans/{loan['id']}", f"/bridge-loans/{loan['id']}?as_of=2020-03-25",
                 f"/bridge-loans/{loan['id']}/confirm/repay?amount=1.00&value_date=2020-03-31&external_ref=Z"):
        r = stranger.get(path, headers={"HX-Request": "true"} if "confirm" in path else {})
        assert r.status_code == 404, path
        assert loan["reference"] not in r.get_data(as_text=True)
    r = stranger.post(f"/bridge-loans/{loan['id']}/repay", {"idempotency_key": "k-1", "amount": "1.00",
                                                            "value_date": "2020-03-31", "external_ref": "Z"})
    assert r.status_code == 404
    assert loan["reference"] not in stranger.text("/bridge-loans")
    assert counts(db) == before


def test_an_enterprise_name_with_markup_is_shown_as_text(app, db, world, factory) -> None:  # noqa: ANN001
    ent = factory.make_enterprise(name="<script>alert(1)</script>恶意企业")
    world.submit(enterprise_id=ent.id)
    officer = signed_in(app, world.officer_user)
    for html in (officer.text("/bridge-loans"), officer.text("/bridge-loans/enterprises?q=恶意"),
                 officer.text(f"/bridge-loans/new?enterprise_id={ent.id}")):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;恶意企业" in html


def test_the_live_checks_of_the_application_form(app, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    ok = officer.text("/bridge-loans/uscc-check?q=91350200776049653a")  # lower case is normalised
    assert 'data-testid="uscc-ok"' in ok
    bad = officer.text("/bridge-loans/uscc-check?q=91350200776049653B")
    assert 'data-testid="uscc-problem"' in bad and "expected &#39;A&#39;" in bad
    # The fee for the days, under today's tiers (0.2‰ a day for days 1–5, 0.4‰ from day 6): 1,000,000 for 8 days.
    fee = officer.text("/bridge-loans/fee-preview?amount=１,０００,０００&term_days=8")
    assert "2,200.00" in fee
    assert "term_days" in officer.text("/bridge-loans/fee-preview?amount=1000000&term_days=99") or \
        "between 1 and" in officer.text("/bridge-loans/fee-preview?amount=1000000&term_days=99")
    found = officer.text(f"/bridge-loans/enterprises?q={world.enterprise.uscc[:10]}")
    assert world.enterprise.name in found


def test_the_list_filters_live_in_the_url_and_page_by_keyset(app, world) -> None:  # noqa: ANN001
    ids = [world.submit(amount=f"{100000 + i}.00")["id"] for i in range(3)]
    li = signed_in(app, world.li_user)
    from bridgefund.console import bridge

    saved = bridge.PAGE_SIZE
    bridge.PAGE_SIZE = 2
    try:
        first = li.text("/bridge-loans?status=submitted")
        nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
        assert "status=submitted" in nxt and f"after_id={ids[1]}" in nxt
        second = li.text(nxt)
    finally:
        bridge.PAGE_SIZE = saved
    assert f"/bridge-loans/{ids[2]}\"" in first and f"/bridge-loans/{ids[0]}\"" in second
    assert 'rel="next"' not in second
    bad = li.get("/bridge-loans?status=nonsense")
    assert bad.status_code == 422 and "status" in visible_text(bad.get_data(as_text=True))


def test_the_dashboard_shows_the_figures_of_get_fund_and_get_pool(app, world) -> None:  # noqa: ANN001
    world.disbursed("1000000.00", value_date="2020-03-20")
    li = signed_in(app, world.li_user)
    html = li.text("/dashboard?as_of=2020-03-25")
    fund = world.get("/fund", as_of="2020-03-25").get_json()
    pool = world.get("/pool", as_of="2020-03-25").get_json()
    for key in ("capital", "cash_balance", "outstanding_principal", "cumulative_disbursed_amount", "fee_income"):
        shown = re.search(rf'data-testid="fund-{key}">([^<]+)<', html).group(1)
        assert shown.replace(",", "") == fund[key], key
    assert re.search(r'data-testid="fund-cumulative_disbursed_count">(\d+)<', html).group(1) == \
        str(fund["cumulative_disbursed_count"])
    for key in ("contributions", "balance", "claims_paid"):
        shown = re.search(rf'data-testid="pool-{key}">([^<]+)<', html).group(1)
        assert shown.replace(",", "") == pool[key], key
    assert html.count('data-testid="chart"') == 2 and html.count("<svg") == 2  # the report's own chart code
    banks = world.get("/banks", as_of="2020-03-25").get_json()["items"]
    assert html.count('data-testid="bank-row"') == len(banks) and world.bank.latest_name in html
    assert li.get("/dashboard?as_of=1800-01-01").status_code == 422
    officer = signed_in(app, world.officer_user)
    assert officer.get("/dashboard").status_code == 403


def test_fragments_answer_fragments_and_unknown_addresses_a_page(app, world, factory) -> None:  # noqa: ANN001
    loan = world.submit()
    li = signed_in(app, world.li_user)
    # A refused confirmation sends the action's form back with its errors, in place of the form that was sent.
    r = li.get(f"/bridge-loans/{loan['id']}/confirm/reject", headers={"HX-Request": "true"})
    assert r.status_code == 422
    assert r.headers["HX-Retarget"] == "#action-reject" and r.headers["HX-Reswap"] == "outerHTML"
    assert 'id="reason-error"' in r.get_data(as_text=True) and "<html" not in r.get_data(as_text=True)
    stranger = signed_in(app, factory.make_user("bank_officer", factory.make_bank()))
    r = stranger.get(f"/bridge-loans/{loan['id']}/confirm/repay", headers={"HX-Request": "true"})
    assert r.status_code == 404 and "<html" not in r.get_data(as_text=True)
    assert 'data-testid="error"' in r.get_data(as_text=True)
    # An address nothing answers: a page for a person, a problem under /api as before.
    r = li.get("/no-such-page")
    assert r.status_code == 404 and r.mimetype == "text/html" and "未找到" in r.get_data(as_text=True)
    r = li.client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    # The disbursement's confirmation shows the due date the service will set.
    loan = world.approved()
    html = li.text(f"/bridge-loans/{loan['id']}/confirm/disburse?value_date=2020-03-20",
                   headers={"HX-Request": "true"})
    assert re.search(r'data-testid="due-date">2020-03-30<', html)
