"""The console's reports, statements and month close: the monthly report through the queue (a job whose progress
the page polls, then the download), the archive, bank statements scoped like the API, and closing a month after a
confirmation that names what becomes immutable — per role, CSRF, escaping, refusals that change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bridgefund.console.reports import attachment
from bridgefund.models import ClosedPeriod, Job, Report
from tests.bridge_support import World
from tests.conftest import audit_count
from tests.console_support import one_time_key, signed_in, visible_text

HX = {"HX-Request": "true"}


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-04-15"
    w = World(client, factory)
    assert w.capital("10000000.00").status_code == 201
    w.disbursed("1000000.00", 10, value_date="2020-02-10")
    return w


def count(db, model) -> int:  # noqa: ANN001
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_the_monthly_report_is_queued_shows_its_progress_and_downloads(app, db, world) -> None:  # noqa: ANN001
    manager = signed_in(app, world.li_user)
    page = manager.text("/reports")
    assert 'data-testid="generate-form"' in page and 'data-testid="statement-form"' in page
    key = one_time_key(page)
    jobs, reports = count(db, Job), count(db, Report)
    form = {"period": "2020-03", "lang": "en", "idempotency_key": key}
    r = manager.post("/reports/monthly", form, headers=HX)
    assert r.status_code == 303 and re.fullmatch(r"/jobs/\d+\?fresh=1", r.headers["Location"])
    assert count(db, Job) == jobs + 1 and count(db, Report) == reports + 1
    # a double click sends the same key: the same job, nothing queued twice
    again = manager.post("/reports/monthly", form, headers=HX)
    assert again.status_code == 303 and again.headers["Location"] == r.headers["Location"]
    assert count(db, Job) == jobs + 1 and count(db, Report) == reports + 1
    fragment = manager.text(r.headers["Location"], headers=HX)
    assert 'data-status="succeeded"' in fragment and "<html" not in fragment
    # the form gets a new one-time key with the job's first answer: the next report is a new job
    fresh = re.search(r'id="generate-key" name="idempotency_key" value="([^"]+)" hx-swap-oob="true"', fragment)
    assert fresh and fresh.group(1) != key
    assert "hx-trigger" not in fragment  # done: the polling stops
    download = re.search(r'href="(/reports/\d+/pdf)" data-testid="download"', fragment).group(1)
    pdf = manager.client.get(download)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    version = db.scalars(select(Report).order_by(Report.id.desc())).first().version
    assert pdf.headers["Content-Disposition"] == (
        f"attachment; filename=\"monthly-2020-03-en-v{version}.pdf\"; "
        f"filename*=UTF-8''monthly-2020-03-en-v{version}.pdf")
    # the same bytes as the API's download
    api = world.client.get(f"/api/v1{download}", headers=world.li)
    assert api.status_code == 200 and api.data == pdf.data
    # the whole page of the job, and the archive lists the report
    assert 'data-status="succeeded"' in manager.text(r.headers["Location"])
    listing = manager.text("/reports?period=2020-03&lang=en")
    assert download in listing and "2020-03" in listing


def test_a_running_job_is_polled(app, db, world) -> None:  # noqa: ANN001
    manager = signed_in(app, world.li_user)
    job = Job(kind="monthly_report", status="running", params={"period": "2020-03", "lang": "zh"}, progress=0,
              attempt=1, created_by=world.li_user.id)
    db.add(job)
    db.commit()
    fragment = manager.text(f"/jobs/{job.id}", headers=HX)
    assert f'hx-get="/jobs/{job.id}"' in fragment and 'hx-trigger="load delay:1s"' in fragment
    assert "<progress" in fragment and 'data-testid="download"' not in fragment


def test_refused_input_names_the_field_and_queues_nothing(app, db, world) -> None:  # noqa: ANN001
    manager = signed_in(app, world.li_user)
    jobs = count(db, Job)
    for period, status in (("2020-04", 422), ("2020-13", 422), ("<script>x</script>", 422), ("", 422)):
        page = manager.text("/reports")
        r = manager.post("/reports/monthly", {"period": period, "lang": "zh",
                                              "idempotency_key": one_time_key(page)}, headers=HX)
        assert r.status_code == status, period
        assert r.headers["HX-Retarget"] == "#generate-form"
        text = r.get_data(as_text=True)
        assert 'id="period-error"' in text and "<script>x</script>" not in text
    r = manager.post("/reports/monthly", {"period": "2020-03", "lang": "fr",
                                          "idempotency_key": one_time_key(manager.text("/reports"))})
    assert r.status_code == 422 and 'id="lang-error"' in r.get_data(as_text=True)
    assert count(db, Job) == jobs
    # without the one-time key, or without the CSRF token: refused, nothing queued
    assert manager.post("/reports/monthly", {"period": "2020-03", "lang": "zh"}).status_code == 422
    r = manager.post("/reports/monthly", {"period": "2020-03", "lang": "zh",
                                          "idempotency_key": one_time_key(manager.text("/reports"))}, csrf=False)
    assert r.status_code == 400
    assert count(db, Job) == jobs
    assert manager.get("/reports?period=2020-1").status_code == 422


def test_access_per_role_and_bank(app, db, world, factory) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    auditor = signed_in(app, factory.make_user("auditor"))
    admin = signed_in(app, factory.make_user("admin"))
    manager = signed_in(app, world.li_user)
    assert officer.get("/reports").status_code == 403
    assert 'href="/statements"' in officer.text("/") and 'href="/reports"' not in officer.text("/")
    assert 'href="/reports"' in manager.text("/")
    page = auditor.text("/reports")
    assert 'data-testid="generate-form"' not in page  # auditors read the archive, they do not generate
    assert auditor.post("/reports/monthly", {"period": "2020-03", "lang": "zh", "idempotency_key": "k1"}
                        ).status_code == 403
    assert officer.post("/reports/monthly", {"period": "2020-03", "lang": "zh", "idempotency_key": "k2"}
                        ).status_code == 403
    assert admin.get("/reports").status_code == 200
    r = manager.post("/reports/monthly", {"period": "2020-03", "lang": "zh",
                                          "idempotency_key": one_time_key(manager.text("/reports"))})
    job_url = r.headers["Location"]
    assert officer.get(job_url).status_code == 404  # the fund's job, not their bank's
    report_id = db.scalars(select(Report).order_by(Report.id.desc())).first().id
    assert officer.get(f"/reports/{report_id}/pdf").status_code == 403
    assert auditor.client.get(f"/reports/{report_id}/pdf").status_code == 200
    assert manager.get("/reports/999999/pdf").status_code == 404
    # statements: an officer only their own bank's
    statements = officer.text("/statements")
    assert f'value="{world.bank.id}"' in statements
    other = factory.make_bank()
    assert f'value="{other.id}"' not in statements
    pdf = officer.client.get(f"/statements/pdf?bank_id={world.bank.id}&period=2020-02&lang=zh")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment; filename=\"statement-")
    assert officer.get(f"/statements/pdf?bank_id={other.id}&period=2020-02&lang=zh").status_code == 404
    assert officer.get(f"/statements/pdf?bank_id={other.id}&period=bad").status_code == 404  # 404 before the query
    assert f'value="{other.id}"' in manager.text("/reports")
    assert manager.client.get(f"/statements/pdf?bank_id={other.id}&period=2020-02&lang=en").status_code == 200
    r = officer.get(f"/statements/pdf?bank_id={world.bank.id}&period=2020-04")
    assert r.status_code == 422 and 'id="period-error"' in r.get_data(as_text=True)
    assert officer.get("/statements/pdf?bank_id=x&period=2020-02").status_code == 422


def test_the_download_name_is_safe() -> None:
    headers = attachment('statement-"A;B\r\nX-Evil: 1/../银行-2020-02.pdf', b"%PDF").headers
    value = headers["Content-Disposition"]
    assert "\r" not in value and "\n" not in value
    plain = re.search(r'filename="([^"]*)"', value).group(1)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", plain) and ".." not in plain.replace("_.._", "")
    assert "filename*=UTF-8''statement-%22A%3BB%0D%0AX-Evil%3A%201%2F..%2F%E9%93%B6" in value


# --- closing a month -----------------------------------------------------------------------------------------------


def test_closing_a_month_confirms_what_becomes_immutable_then_closes_once(app, db, world, factory) -> None:  # noqa: ANN001
    admin_user = factory.make_user("admin")
    admin = signed_in(app, admin_user)
    page = admin.text("/periods")
    assert 'data-testid="close-form"' in page
    events = audit_count(db, action="close")
    confirm = admin.get("/periods/confirm?period=2020-02")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    text = visible_text(html)
    assert 'data-testid="confirm-close"' in html and "2020-02-29" in text
    fund = world.get("/fund", world.li, as_of="2020-02-29").get_json()
    cash = re.search(r'data-testid="frozen-fund-cash_balance">([^<]+)<', html).group(1)
    assert cash == f"{float(fund['cash_balance']):,.2f}" == "9,000,000.00"
    assert world.bank.latest_name in text
    assert count(db, ClosedPeriod) == 0 and audit_count(db, action="close") == events  # the confirmation: nothing
    data = {"period": "2020-02", "idempotency_key": one_time_key(html)}
    r = admin.post("/periods/close", data)  # through the queue (immediate mode here): the job's page
    assert r.status_code == 303 and re.fullmatch(r"/jobs/\d+", r.headers["Location"])
    again = admin.post("/periods/close", data)  # the double click: replayed, no second job
    assert again.status_code == 303 and again.headers["Location"] == r.headers["Location"]
    assert count(db, ClosedPeriod) == 1 and audit_count(db, action="close") == events + 1
    job_page = admin.text(r.headers["Location"])  # the reports screen's progress indicator, then the outcome
    assert 'data-testid="job"' in job_page and 'data-status="succeeded"' in job_page and "<progress" in job_page
    assert 'data-testid="period-closed"' in job_page and "2020-02" in visible_text(job_page)
    assert 'href="/periods"' in job_page
    listing = admin.text("/periods")
    assert "2020-02-29" in listing
    # closed: confirming it again is the service's 409, naming the period; nothing changes
    r = admin.get("/periods/confirm?period=2020-01")
    assert r.status_code == 409 and 'id="period-error"' in r.get_data(as_text=True)
    # the API agrees: a booking dated in the closed month is refused
    assert world.capital("1.00", "2020-02-20").status_code == 409


def test_close_refusals_and_access(app, db, world, factory) -> None:  # noqa: ANN001
    admin = signed_in(app, factory.make_user("admin"))
    for period, status in (("2020-04", 422), ("2020-13", 422), ("<b>x</b>", 422), ("1999-12", 422)):
        r = admin.get("/periods/confirm", query_string={"period": period})
        assert r.status_code == status, period
        assert "<b>x</b>" not in r.get_data(as_text=True)
    key = one_time_key(admin.text("/periods/confirm?period=2020-02"))
    assert admin.post("/periods/close", {"period": "2020-05", "idempotency_key": key}).status_code == 422
    assert admin.post("/periods/close", {"period": "2020-02", "idempotency_key": "x"}, csrf=False).status_code == 400
    assert count(db, ClosedPeriod) == 0
    manager = signed_in(app, world.li_user)
    assert 'data-testid="close-form"' not in manager.text("/periods")
    assert manager.get("/periods/confirm?period=2020-02").status_code == 403
    assert manager.post("/periods/close", {"period": "2020-02", "idempotency_key": "y"}).status_code == 403
    officer = signed_in(app, world.officer_user)
    assert officer.get("/periods").status_code == 403
    assert signed_in(app, factory.make_user("auditor")).get("/periods").status_code == 200
    assert count(db, ClosedPeriod) == 0


def test_a_queued_and_a_running_close_show_the_progress_indicator_and_poll(app, db, world, factory) -> None:  # noqa: ANN001
    import datetime as dt

    from bridgefund.services import jobs, periods
    from bridgefund.services.actor import Actor

    user = factory.make_user("admin")
    admin = signed_in(app, user)
    actor = Actor(id=user.id, username=user.username, role=user.role, bank_id=None)
    job = periods.start_close_period(db, actor, "2020-02", today=dt.date(2020, 4, 15))  # not run: still queued
    db.commit()
    page = admin.text(f"/jobs/{job.id}")
    assert 'data-status="queued"' in page and f'hx-get="/jobs/{job.id}"' in page and "<progress" in page
    assert "2020-02" in visible_text(page) and 'href="/periods"' in page
    jobs.claim(db, job.id, "elsewhere:1:x")
    db.commit()
    fragment = admin.get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-status="running"' in fragment and "<html" not in fragment and 'hx-trigger="load delay:1s"' in fragment
    assert count(db, ClosedPeriod) == 0
