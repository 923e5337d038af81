"""Background jobs in the tests' immediate mode: async reports and imports, GET /jobs, scheduled work by key,
the working-day calendar, rolled due dates, /healthz's worker and /metrics."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from sqlalchemy import func, select

from bridgefund.db import utcnow
from bridgefund.finance import calendar as rules
from bridgefund.models import AuditEvent, CalendarDay, Job, PoolLoan, Report, WorkerHeartbeat
from bridgefund.services import calendar, jobs
from bridgefund.services.actor import SYSTEM
from bridgefund.services.jobs import Worker
from tests.bridge_support import World
from tests.pool_support import IMPORT_HEADERS, PoolWorld

API = "/api/v1"
ASYNC = {"Prefer": "respond-async"}


def _csv(rows: list[str]) -> bytes:
    return (",".join(IMPORT_HEADERS) + "\n" + "\n".join(rows) + "\n").encode()


# --- async report -------------------------------------------------------------------------------------------------


def test_async_monthly_report_answers_202_and_the_job_links_the_report(client, factory, settings, db):  # noqa: ANN001
    settings.today = "2020-04-15"
    manager = factory.as_role("fund_manager")
    before = db.scalar(select(func.count()).select_from(Report))
    r = client.post(f"{API}/reports/monthly", json={"period": "2020-03", "lang": "zh"}, headers={**manager, **ASYNC})
    assert r.status_code == 202, r.get_json()
    assert r.headers["Preference-Applied"] == "respond-async"
    location = r.headers["Location"]
    assert location == f"{API}/jobs/{r.get_json()['id']}" and r.get_json()["kind"] == "monthly_report"
    job = client.get(location, headers=manager).get_json()
    assert job["status"] == "succeeded" and job["progress"] == 100 and job["error"] is None
    assert job["finished_at"] is not None and job["created_at"] is not None
    result = job["result"]
    assert result["period"] == "2020-03" and result["version"] >= 1
    assert result["download_url"] == f"{API}/reports/{result['report_id']}/pdf"
    assert db.scalar(select(func.count()).select_from(Report)) == before + 1
    pdf = client.get(result["download_url"], headers=manager)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # without the header: exactly as before
    sync = client.post(f"{API}/reports/monthly", json={"period": "2020-03", "lang": "zh"}, headers=manager)
    assert sync.status_code == 201 and "Preference-Applied" not in sync.headers
    assert sync.get_json()["version"] == result["version"] + 1


def test_async_bad_input_is_refused_at_once_and_queues_nothing(client, factory, settings, db):  # noqa: ANN001
    settings.today = "2020-04-15"
    manager = factory.as_role("fund_manager")
    before = db.scalar(select(func.count()).select_from(Job))
    r = client.post(f"{API}/reports/monthly", json={"period": "2020-04"}, headers={**manager, **ASYNC})
    assert r.status_code == 422 and "period" in r.get_json()["errors"]
    r = client.post(f"{API}/reports/monthly", json={"period": "2020-03"},
                    headers={**factory.as_role("auditor"), **ASYNC})
    assert r.status_code == 403
    assert db.scalar(select(func.count()).select_from(Job)) == before


def test_prefer_header_parsing(client, factory, settings):  # noqa: ANN001
    settings.today = "2020-04-15"
    manager = factory.as_role("fund_manager")
    body = {"period": "2020-03"}
    assert client.post(f"{API}/reports/monthly", json=body,
                       headers={**manager, "Prefer": "wait=5, Respond-Async"}).status_code == 202
    assert client.post(f"{API}/reports/monthly", json=body,
                       headers={**manager, "Prefer": "respond-asynchronously"}).status_code == 201


# --- async import -------------------------------------------------------------------------------------------------


@pytest.fixture
def pool_world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def _upload(world: PoolWorld, data: bytes, headers: dict) -> object:
    return world.client.post(f"{API}/pool-loans/import", data={"file": (io.BytesIO(data), "loans.csv")},
                             headers={**headers, **ASYNC}, content_type="multipart/form-data")


def test_async_import_runs_from_the_stored_file(pool_world, db):  # noqa: ANN001
    w = pool_world
    uscc = w.enterprise.uscc
    data = _csv([f"{uscc},AS-1,1000000.00,0.0435,2020-03-02,12,等额本息,,0.50",
                 f"{uscc},AS-2,2000000.00,0.0435,2020-03-05,12,等额本金,,0.50"])
    r = _upload(w, data, w.officer)
    assert r.status_code == 202, r.get_json()
    job = w.client.get(r.headers["Location"], headers=w.officer).get_json()
    assert job["status"] == "succeeded", job
    assert job["result"]["created"] == 2 and len(job["result"]["references"]) == 2
    refs = set(db.scalars(select(PoolLoan.reference).where(PoolLoan.contract_no.in_(["AS-1", "AS-2"]))))
    assert refs == set(job["result"]["references"])
    row = db.get(Job, job["id"])
    db.refresh(row)
    assert row.payload is None and row.params["bytes"] == len(data) and len(row.params["sha256"]) == 64
    # another bank's officer: no such job; an auditor reads it
    assert w.client.get(r.headers["Location"], headers=w.other_officer).status_code == 404
    assert w.client.get(r.headers["Location"], headers=w.auditor).status_code == 200


def test_async_import_with_a_bad_row_fails_with_the_problem_and_stores_nothing(pool_world, db):  # noqa: ANN001
    w = pool_world
    uscc = w.enterprise.uscc
    before = db.scalar(select(func.count()).select_from(PoolLoan))
    r = _upload(w, _csv([f"{uscc},BAD-1,1000000.00,0.0435,2020-03-02,12,等额本息,,0.50",
                         f"{uscc},BAD-2,1000000.005,0.0435,2020-03-02,12,等额本息,,0.50"]), w.officer)
    assert r.status_code == 202
    job = w.client.get(r.headers["Location"], headers=w.officer).get_json()
    assert job["status"] == "failed" and job["result"] is None
    assert job["error"]["status"] == 422 and "row 3.principal" in job["error"]["errors"]
    assert db.scalar(select(func.count()).select_from(PoolLoan)) == before
    row = db.get(Job, job["id"])
    db.refresh(row)
    assert row.payload is None  # the upload is not kept after the run


def test_unknown_job_is_404(client, factory):  # noqa: ANN001
    assert client.get(f"{API}/jobs/999999", headers=factory.as_role("admin")).status_code == 404


# --- scheduled work by key ----------------------------------------------------------------------------------------


def test_reminders_run_twice_for_a_date_make_one_job(app, db):  # noqa: ANN001
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run", "reminders", "--date", "2020-03-20"])
    second = runner.invoke(args=["jobs", "run", "reminders", "--date", "2020-03-20"])
    assert first.exit_code == 0 and second.exit_code == 0, (first.output, second.output)
    rows = db.scalars(select(Job).where(Job.key == "reminders:2020-03-20")).all()
    assert len(rows) == 1 and rows[0].status == "succeeded" and rows[0].attempt == 1
    assert rows[0].result == {"business_date": "2020-03-20", "reminders": 0}
    assert '"status": "succeeded"' in second.output
    enqueued = db.scalar(select(func.count()).where(AuditEvent.entity_type == "job",
                                                    AuditEvent.entity_id == rows[0].id))
    assert enqueued == 1


def test_reminders_do_nothing_on_a_day_off(app, db):  # noqa: ANN001
    for day in ("2020-10-01", "2020-10-04"):  # 国庆 on a Thursday; a Sunday
        out = app.test_cli_runner().invoke(args=["jobs", "run", "reminders", "--date", day])
        assert out.exit_code == 0 and "not a working day" in out.output
        assert db.scalar(select(func.count()).where(Job.key == f"reminders:{day}")) == 0
    out = app.test_cli_runner().invoke(args=["jobs", "run", "reminders", "--date", "2020-10-10"])  # 调休 Saturday
    assert out.exit_code == 0 and db.scalar(select(func.count()).where(Job.key == "reminders:2020-10-10")) == 1


def test_a_failed_scheduled_job_is_retried_by_key_and_a_succeeded_one_is_not(app, db):  # noqa: ANN001
    job, runnable = jobs.ensure(db, jobs.JobKind.summaries_check, "summaries_check:2020-03-20",
                                {"business_date": "2020-03-20"})
    assert runnable
    attempt = jobs.claim(db, job.id, "test:1:x")
    assert jobs.fail(db, job.id, attempt, {"status": 500})
    db.commit()
    out = app.test_cli_runner().invoke(args=["jobs", "run", "summaries-check", "--date", "2020-03-20"])
    assert out.exit_code == 0, out.output
    db.refresh(job)
    assert job.status == "succeeded" and job.attempt == 2 and job.result["difference_count"] == 0
    again, runnable = jobs.ensure(db, jobs.JobKind.summaries_check, "summaries_check:2020-03-20", {})
    assert again.id == job.id and not runnable


def test_month_end_reports_are_archived_once_as_drafts(app, db, settings, factory, client):  # noqa: ANN001
    settings.today = "2020-04-01"
    banks = [factory.make_bank(), factory.make_bank()]
    later = factory.make_bank(effective_from=dt.date(2020, 3, 1))  # a partner only from March: no February statement
    runner = app.test_cli_runner()
    for _ in range(2):
        out = runner.invoke(args=["jobs", "run", "monthly-report", "--month", "2020-02"])
        assert out.exit_code == 0, out.output
    reports = db.scalars(select(Report).where(Report.period == "2020-02").order_by(Report.id)).all()
    assert [(r.kind, r.bank_id, r.version, r.draft) for r in reports] == [
        ("monthly", None, 1, True), *[("bank_statement", b.id, 1, True) for b in banks]]
    keys = set(db.scalars(select(Job.key).where(Job.key.like("%2020-02%"))))
    assert keys == {"monthly_report:2020-02:zh", *{f"bank_statement:2020-02:{b.id}:zh" for b in banks}}
    assert later.id not in {r.bank_id for r in reports}
    listed = client.get(f"{API}/reports?period=2020-02", headers=factory.as_role("auditor")).get_json()["items"]
    assert {(r["kind"], r["bank_id"], r["draft"]) for r in listed} == {(r.kind, r.bank_id, True) for r in reports}
    pdf = client.get(f"{API}/reports/{reports[1].id}/pdf", headers=factory.as_role("fund_manager"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bad = runner.invoke(args=["jobs", "run", "monthly-report", "--month", "2020-13"])
    assert bad.exit_code != 0


def test_a_report_of_a_closed_month_is_final(client, factory, settings):  # noqa: ANN001
    settings.today = "2020-04-15"
    admin = factory.as_role("admin")
    draft = client.post(f"{API}/reports/monthly", json={"period": "2020-03"}, headers=admin).get_json()
    assert draft["draft"] is True and draft["kind"] == "monthly" and draft["bank_id"] is None
    assert client.post(f"{API}/periods/2020-03/close", headers=admin).status_code == 201
    final = client.post(f"{API}/reports/monthly", json={"period": "2020-03"}, headers=admin).get_json()
    assert final["draft"] is False and final["version"] == draft["version"] + 1


def test_a_claimed_job_is_not_claimed_twice_and_a_stale_claim_cannot_finish(db):  # noqa: ANN001
    job = jobs.create(db, SYSTEM, jobs.JobKind.reminders, {"business_date": "2020-03-20"})
    first = jobs.claim(db, job.id, "a:1:x")
    assert first == 1 and jobs.claim(db, job.id, "b:2:y") is None
    assert jobs.requeue(db, job.id, first)
    second = jobs.claim(db, job.id, "b:2:y")
    assert second == 2
    assert jobs.holding(db, job.id, first) is None  # the old runner lost its claim
    assert not jobs.fail(db, job.id, first, {"status": 500})
    assert jobs.holding(db, job.id, second) is not None


def test_recovery_requeues_the_jobs_of_a_dead_consumer_only(db):  # noqa: ANN001
    me = Worker.this_process()
    now = utcnow()
    dead = Worker(host=me.host, pid=2**22 + 12345, boot="dead")  # beyond pid_max: no such process
    alive = Worker(host="elsewhere", pid=1, boot="live")
    gone = Worker(host="elsewhere", pid=2, boot="gone")
    for w, seen in ((dead, now), (alive, now), (gone, now - dt.timedelta(minutes=10))):
        jobs.beat(db, w, seen)
    made = {}
    for w in (dead, alive, gone):
        job = jobs.create(db, SYSTEM, jobs.JobKind.reminders, {"business_date": "2020-03-20"})
        jobs.claim(db, job.id, w.id)
        made[w.boot] = job.id
    ids = jobs.recover(db, me, stale_after=dt.timedelta(minutes=3), now=now)
    assert sorted(ids) == sorted([made["dead"], made["gone"]])
    assert db.get(Job, made["live"], populate_existing=True).status == "running"
    assert db.get(Job, made["dead"], populate_existing=True).status == "queued"


# --- the calendar -------------------------------------------------------------------------------------------------


def test_calendar_year_lists_the_days_that_differ(client, factory):  # noqa: ANN001
    r = client.get(f"{API}/calendar/2020", headers=factory.as_role("bank_officer", factory.make_bank()))
    assert r.status_code == 200
    days = {d["date"]: d for d in r.get_json()["items"]}
    assert days["2020-10-01"] == {"date": "2020-10-01", "kind": "holiday", "name": "国庆节"}
    assert days["2020-09-27"]["kind"] == "workday" and days["2020-10-10"]["kind"] == "workday"
    assert "2020-10-03" not in days  # a Saturday inside the holiday: off anyway, so no exception
    assert all(rules.differs_from_weekdays(dt.date.fromisoformat(d), v["kind"]) for d, v in days.items())
    assert client.get(f"{API}/calendar/2300", headers=factory.as_role("admin")).status_code == 422


def test_calendar_edits(client, factory, db):  # noqa: ANN001
    admin = factory.as_role("admin")
    r = client.put(f"{API}/calendar/days/2031-10-01", json={"kind": "holiday", "name": " 国庆节 "}, headers=admin)
    assert r.status_code == 200 and r.get_json() == {"date": "2031-10-01", "kind": "holiday", "name": "国庆节"}
    assert db.get(CalendarDay, dt.date(2031, 10, 1)).source == "admin"
    r = client.put(f"{API}/calendar/days/2031-10-04", json={"kind": "holiday", "name": "x"}, headers=admin)  # Saturday
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    r = client.put(f"{API}/calendar/days/2031-13-01", json={"kind": "holiday", "name": "x"}, headers=admin)
    assert r.status_code == 422 and "date" in r.get_json()["errors"]
    r = client.put(f"{API}/calendar/days/2031-10-01", json={"kind": "holiday", "name": "x"},
                   headers=factory.as_role("fund_manager"))
    assert r.status_code == 403
    events = db.scalar(select(func.count()).where(AuditEvent.entity_type == "calendar_day",
                                                  AuditEvent.entity_id == 20311001))
    assert events == 1
    assert client.delete(f"{API}/calendar/days/2031-10-01", headers=admin).status_code == 204
    assert client.delete(f"{API}/calendar/days/2031-10-01", headers=admin).status_code == 404
    assert db.get(CalendarDay, dt.date(2031, 10, 1)) is None


def test_calendar_edit_inside_a_closed_month_is_409(client, factory, settings):  # noqa: ANN001
    settings.today = "2020-12-31"
    admin = factory.as_role("admin")
    assert client.post(f"{API}/periods/2020-10/close", headers=admin).status_code == 201
    r = client.delete(f"{API}/calendar/days/2020-10-01", headers=admin)
    assert r.status_code == 409
    r = client.put(f"{API}/calendar/days/2020-10-12", json={"kind": "holiday", "name": "x"}, headers=admin)
    assert r.status_code == 409
    assert client.put(f"{API}/calendar/days/2020-11-02", json={"kind": "holiday", "name": "x"},
                      headers=admin).status_code == 200


NATIONAL_DAY = [dt.date(2020, 9, 26) + dt.timedelta(days=i) for i in range(17)]  # 9-26 … 10-12


def test_working_days_over_national_day_2020(db):  # noqa: ANN001
    exceptions = calendar.exceptions(db, NATIONAL_DAY[0], NATIONAL_DAY[-1])
    working = [d for d in NATIONAL_DAY if rules.is_working_day(d, exceptions)]
    assert working == [dt.date(2020, 9, d) for d in (27, 28, 29, 30)] + [dt.date(2020, 10, d) for d in (9, 10, 12)]
    assert calendar.working_days(db, dt.date(2020, 9, 28), dt.date(2020, 10, 9)) == [
        dt.date(2020, 9, 28), dt.date(2020, 9, 29), dt.date(2020, 9, 30), dt.date(2020, 10, 9)]
    rolled = {d: calendar.roll_due_date(db, d, roll=True) for d in NATIONAL_DAY}
    assert rolled[dt.date(2020, 9, 26)] == dt.date(2020, 9, 27)  # Saturday → the make-up Sunday
    assert rolled[dt.date(2020, 9, 27)] == dt.date(2020, 9, 27)  # a make-up working day stays
    assert all(rolled[dt.date(2020, 10, d)] == dt.date(2020, 10, 9) for d in range(1, 10))
    assert rolled[dt.date(2020, 10, 10)] == dt.date(2020, 10, 10)  # the make-up Saturday
    assert rolled[dt.date(2020, 10, 11)] == dt.date(2020, 10, 12)
    assert calendar.roll_due_date(db, dt.date(2020, 10, 3), roll=False) == dt.date(2020, 10, 3)
    assert calendar.add_working_days(db, dt.date(2020, 9, 30), 1) == dt.date(2020, 10, 9)
    assert calendar.add_working_days(db, dt.date(2020, 9, 28), 3) == dt.date(2020, 10, 9)
    assert calendar.add_working_days(db, dt.date(2020, 10, 1), 0) == dt.date(2020, 10, 9)


def test_finance_calendar_rules_without_a_database() -> None:
    ex = {dt.date(2020, 10, 1): rules.HOLIDAY, dt.date(2020, 10, 10): rules.WORKDAY}
    assert not rules.is_working_day(dt.date(2020, 10, 1), ex) and rules.is_working_day(dt.date(2020, 10, 10), ex)
    assert rules.is_working_day(dt.date(2020, 10, 2), {}) and not rules.is_working_day(dt.date(2020, 10, 3), {})
    assert rules.roll_to_working_day(dt.date(2020, 10, 1), ex) == dt.date(2020, 10, 2)
    with pytest.raises(ValueError):
        rules.add_working_days(dt.date(2020, 10, 1), -1, ex)


@pytest.mark.parametrize(("value_date", "term", "roll", "due"), [
    ("2020-09-25", 6, True, "2020-10-09"),   # 10-01 (国庆) → the first working day after the holiday
    ("2020-09-25", 6, False, "2020-10-01"),
    ("2020-09-21", 6, True, "2020-09-27"),   # a Sunday that is a make-up working day stays
    ("2020-10-01", 9, True, "2020-10-10"),   # the make-up Saturday stays
    ("2020-10-02", 9, True, "2020-10-12"),   # Sunday 10-11 → Monday
    ("2020-09-21", 7, True, "2020-09-28"),   # an ordinary Monday
])
def test_disbursement_rolls_the_due_date_to_a_working_day(client, factory, settings, value_date, term, roll,
                                                         due):  # noqa: ANN001
    settings.today = "2020-12-31"
    w = World(client, factory)
    assert w.capital("10000000.00", value_date="2020-09-01").status_code == 201
    current = w.get("/fund/settings", w.admin).get_json()
    assert current["roll_due_date_to_working_day"] is True
    if not roll:
        r = client.put(f"{API}/fund/settings", json={**current, "roll_due_date_to_working_day": False},
                       headers=w.admin)
        assert r.status_code == 200 and r.get_json()["roll_due_date_to_working_day"] is False
    loan = w.disbursed("1000000.00", term_days=term, value_date=value_date, submitted_on="2020-09-20")
    assert loan["due_date"] == due


# --- health and metrics -------------------------------------------------------------------------------------------


def test_healthz_names_a_worker_that_stopped(client, db, monkeypatch, settings):  # noqa: ANN001
    from bridgefund.api import health

    monkeypatch.setattr(health, "backend", lambda huey: "sqlite")
    db.query(WorkerHeartbeat).delete()
    db.commit()
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json()["worker"] == {"status": "absent", "last_heartbeat": None}
    monkeypatch.setattr(settings, "env", "production")
    r = client.get("/healthz")
    assert r.status_code == 503 and r.get_json()["down"] == ["worker"]
    monkeypatch.setattr(settings, "env", "development")
    w = Worker.this_process()
    jobs.beat(db, w, utcnow() - dt.timedelta(minutes=4))
    db.commit()
    r = client.get("/healthz")
    assert r.status_code == 503 and r.get_json()["worker"]["status"] == "down" and r.get_json()["down"] == ["worker"]
    jobs.beat(db, w)
    db.commit()
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json()["worker"]["status"] == "ok"


def test_metrics_need_the_token_and_show_requests_jobs_and_the_fund(client, factory, settings, monkeypatch):  # noqa: ANN001
    assert client.get("/metrics").status_code == 404  # no token configured: not enabled
    monkeypatch.setattr(settings, "metrics_token", "s3cret-metrics")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get(f"{API}/calendar/2020", headers=factory.as_role("auditor"))
    r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert r.status_code == 200 and r.content_type.startswith("text/plain")
    text = r.get_data(as_text=True)
    assert 'bridgefund_http_requests_total{method="GET",route="/api/v1/calendar/<int:year>",status="200"}' in text
    assert "bridgefund_http_request_duration_seconds_bucket" in text
    for name in ("bridgefund_queue_depth", "bridgefund_fund_cash_yuan", "bridgefund_bridge_loans_overdue"):
        assert f"\n{name} " in text, name
    assert os.environ.get("PROMETHEUS_MULTIPROC_DIR") is None or "bridgefund_jobs" in text


def test_the_cash_gauge_is_the_funds_cash_to_the_fen(client, factory, settings, monkeypatch):  # noqa: ANN001
    """Prometheus takes only binary floats, so the two money gauges are floats — monitoring output, never read back
    into the books. What a dashboard reads from them is still the fund's cash to the fen: the gauge's text parses
    back to exactly ``GET /fund``'s ``cash_balance``, for amounts with every pattern of cents, up to 90 billion yuan."""
    from decimal import Decimal

    monkeypatch.setattr(settings, "metrics_token", "s3cret-metrics")
    settings.today = "2020-12-31"
    admin, auditor = factory.as_role("admin"), factory.as_role("auditor")
    for amount in ("0.01", "0.10", "1234567.89", "99999999.99", "89999999999.97"):
        r = client.post(f"{API}/fund/capital", json={"amount": amount, "value_date": "2020-03-02", "direction": "in",
                                                     "note": "gauge"}, headers=admin)
        assert r.status_code == 201, r.get_json()
        cash = Decimal(client.get(f"{API}/fund", headers=auditor).get_json()["cash_balance"])
        text = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).get_data(as_text=True)
        line = next(x for x in text.splitlines() if x.startswith("bridgefund_fund_cash_yuan "))
        shown = Decimal(line.split()[1])
        assert shown.quantize(Decimal("0.01")) == cash and abs(shown - cash) < Decimal("0.000001"), (amount, line)


def test_a_running_jobs_progress_is_read_from_beside_the_queue(app, client, factory, db):  # noqa: ANN001
    from bridgefund.jobs import progress

    admin = factory.as_role("admin")
    job = jobs.create(db, SYSTEM, jobs.JobKind.reminders, {"business_date": "2020-03-20"})
    db.commit()
    assert client.get(f"{API}/jobs/{job.id}", headers=admin).get_json()["progress"] == 0
    jobs.claim(db, job.id, "a:1:x")
    db.commit()
    progress.publish(app, job.id, 45)
    shown = client.get(f"{API}/jobs/{job.id}", headers=admin).get_json()
    assert shown["status"] == "running" and shown["progress"] == 45
    db.refresh(job)
    assert job.progress == 0  # nothing written to the row
    progress.clear(app, job.id)
    assert progress.read(app, job.id) is None


def test_import_reports_progress_to_its_callback(pool_world, db):  # noqa: ANN001
    from bridgefund.services import pool_import
    from bridgefund.services.actor import Actor

    w = pool_world
    seen: list[int] = []
    rows = [f"{w.enterprise.uscc},PG-{i},100000.00,0.0435,2020-03-02,12,等额本息,,0.50" for i in range(1001)]
    officer = Actor(id=w.officer_user.id, username=w.officer_user.username, role="bank_officer", bank_id=w.bank.id)
    result = pool_import.import_pool_loans(db, officer, dt.date(2020, 12, 31), _csv(rows), filename="x.csv",
                                           progress=seen.append)
    assert result.created == 1001 and seen == [0, 44, 89, 90]


def test_schedules_run_in_the_funds_timezone() -> None:
    from zoneinfo import ZoneInfo

    from bridgefund.jobs.tasks import fund_time, previous_month

    shanghai = ZoneInfo("Asia/Shanghai")
    at_0830 = fund_time(shanghai, hour=8, minute=30)
    assert at_0830(dt.datetime(2020, 3, 20, 0, 30))  # Huey passes naive UTC: 00:30 UTC is 08:30 in Shanghai
    assert not at_0830(dt.datetime(2020, 3, 20, 8, 30))
    first_0700 = fund_time(shanghai, hour=7, minute=0, day=1)
    assert first_0700(dt.datetime(2020, 3, 31, 23, 0))  # 1 April 07:00 in Shanghai is still 31 March in UTC
    assert not first_0700(dt.datetime(2020, 4, 1, 23, 0))
    assert previous_month(dt.date(2020, 4, 1)) == "2020-03" and previous_month(dt.date(2020, 1, 1)) == "2019-12"


def test_the_heartbeat_task_records_the_consumer_and_recovers(app, db):  # noqa: ANN001
    from bridgefund.jobs.tasks import heartbeat

    me = app.extensions["bridgefund.worker"]
    dead = Worker(host=me.host, pid=2**22 + 54321, boot="gone")
    jobs.beat(db, dead)
    job = jobs.create(db, SYSTEM, jobs.JobKind.reminders, {"business_date": "2020-03-20"})
    jobs.claim(db, job.id, dead.id)
    db.commit()
    assert heartbeat(app, app.extensions["bridgefund.huey"]) == [job.id]
    db.refresh(job)
    assert job.status == "succeeded" and job.attempt == 2  # requeued, then run again (immediate mode)
    assert db.get(WorkerHeartbeat, me.id) is not None
