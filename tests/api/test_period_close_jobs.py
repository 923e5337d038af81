"""The month close through the queue (issue 16): ``POST /periods/{period}/close`` with ``Prefer: respond-async`` →
202 + ``Location: /api/v1/jobs/{id}``; the job runs the synchronous path's service, so its result is that path's
answer and its problem that path's problem; a retried or duplicated task changes nothing twice. Tasks run in the
tests' immediate mode (on SQLite, and on PostgreSQL with ``BRIDGEFUND_TEST_DATABASE_URL``)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridgefund.jobs import progress, runner, tasks
from bridgefund.models import AuditEvent, ClosedPeriod, Job, MonthSnapshot
from bridgefund.services import jobs, periods
from bridgefund.services.actor import Actor
from bridgefund.services.jobs import Worker
from tests.api_support import assert_problem
from tests.bridge_support import World

API = "/api/v1"
ASYNC = {"Prefer": "respond-async"}
#: What both paths answer about a closed month.
FIELDS = {"period", "last_day", "closed_by", "closed_at", "status"}


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    """A fund with a disbursed bridge loan in February 2020 (so the close writes real month snapshots)."""
    settings.today = "2020-04-15"
    w = World(client, factory)
    assert w.capital("10000000.00").status_code == 201
    w.disbursed("1000000.00", 10, value_date="2020-02-10")
    return w


def _counts(db) -> tuple[int, int, int, int]:  # noqa: ANN001
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(ClosedPeriod)),
            db.scalar(select(func.count()).select_from(MonthSnapshot)),
            db.scalar(select(func.count()).where(AuditEvent.entity_type == "period", AuditEvent.action == "close")),
            db.scalar(select(func.count()).select_from(Job)))


def _queued_close(db, factory, period: str, today: str = "2020-04-15") -> tuple[int, Actor]:  # noqa: ANN001
    """A close job recorded as the API records it, not yet run (its message still on the way)."""
    import datetime as dt

    user = factory.make_user("admin")
    actor = Actor(id=user.id, username=user.username, role=user.role, bank_id=None)
    job = periods.start_close_period(db, actor, period, today=dt.date.fromisoformat(today))
    db.commit()
    return job.id, actor


def test_async_close_answers_202_and_the_job_holds_the_synchronous_answer(world, db, monkeypatch) -> None:  # noqa: ANN001
    seen: list[int] = []
    real = progress.publish
    monkeypatch.setattr(progress, "publish", lambda app, job_id, pct: (seen.append(pct), real(app, job_id, pct)))
    closed, snaps, events, _jobs = _counts(db)
    r = world.client.post(f"{API}/periods/2020-02/close", headers={**world.admin, **ASYNC})
    assert r.status_code == 202, r.get_json()
    assert r.headers["Preference-Applied"] == "respond-async"
    body = r.get_json()
    assert r.headers["Location"] == f"{API}/jobs/{body['id']}" and body["kind"] == "period_close"
    job = world.client.get(r.headers["Location"], headers=world.admin).get_json()
    assert job["status"] == "succeeded" and job["progress"] == 100 and job["error"] is None, job
    result = job["result"]
    assert set(result) == FIELDS and result["period"] == "2020-02" and result["last_day"] == "2020-02-29"
    assert result["status"] == "closed" and result["closed_by"] is not None
    # the result is what the synchronous path answers about the same month (GET /periods lists it alike)
    listed = world.client.get(f"{API}/periods", headers=world.admin).get_json()["items"]
    assert listed[0] == result
    after = _counts(db)
    assert after[0] == closed + 1 and after[1] > snaps and after[2] == events + 1  # the snapshots were written
    assert seen and seen[-1] == 99 and seen == sorted(seen)  # per month snapshotted, 100 once it committed
    # without the header: exactly as before (201 and the close itself)
    sync = world.client.post(f"{API}/periods/2020-03/close", headers=world.admin)
    assert sync.status_code == 201 and "Preference-Applied" not in sync.headers
    assert set(sync.get_json()) == FIELDS and sync.get_json()["last_day"] == "2020-03-31"
    # a booking dated in the month the job closed is refused
    assert world.capital("1.00", "2020-02-20").status_code == 409


def test_async_close_refuses_bad_input_at_once_and_queues_nothing(world, db, factory) -> None:  # noqa: ANN001
    before = _counts(db)
    assert_problem(world.client.post(f"{API}/periods/2020-04/close", headers={**world.admin, **ASYNC}), 422, "period")
    assert_problem(world.client.post(f"{API}/periods/2020-13/close", headers={**world.admin, **ASYNC}), 422, "period")
    assert_problem(world.client.post(f"{API}/periods/2020-02/close",
                                     headers={**factory.as_role("fund_manager"), **ASYNC}), 403)
    assert _counts(db) == before
    assert world.client.post(f"{API}/periods/2020-02/close", headers=world.admin).status_code == 201
    r = world.client.post(f"{API}/periods/2020-01/close", headers={**world.admin, **ASYNC})
    assert_problem(r, 409, "period")
    assert _counts(db)[3] == before[3]  # no job for a month already closed


def test_a_task_run_twice_changes_nothing_twice(world, db, factory, app) -> None:  # noqa: ANN001
    job_id, _actor = _queued_close(db, factory, "2020-02")
    before = _counts(db)
    tasks.enqueue(app, job_id)  # the message
    once = _counts(db)
    tasks.enqueue(app, job_id)  # the same message delivered again: the claim is conditional, nothing runs
    assert runner.run(app, job_id, app.extensions["bridgefund.worker"], tasks.HANDLERS) is None
    assert _counts(db) == once and once[0] == before[0] + 1 and once[2] == before[2] + 1
    job = db.get(Job, job_id, populate_existing=True)
    assert job.status == "succeeded" and job.attempt == 1 and job.result["period"] == "2020-02"


def test_a_close_killed_mid_job_is_retried_from_the_start_and_closes_once(world, db, factory, app) -> None:  # noqa: ANN001
    job_id, _actor = _queued_close(db, factory, "2020-02")
    before = _counts(db)
    me = app.extensions["bridgefund.worker"]
    dead = Worker(host=me.host, pid=2**22 + 4242, boot="killed")  # a consumer SIGKILLed while closing
    assert jobs.claim(db, job_id, dead.id) == 1
    jobs.beat(db, dead)
    db.commit()
    assert _counts(db)[:3] == before[:3]  # its work never committed
    assert tasks.heartbeat(app, app.extensions["bridgefund.huey"]) == [job_id]  # requeued and run again
    after = _counts(db)
    assert after[0] == before[0] + 1 and after[2] == before[2] + 1
    job = db.get(Job, job_id, populate_existing=True)
    assert job.status == "succeeded" and job.attempt == 2 and job.result["period"] == "2020-02"
    assert tasks.heartbeat(app, app.extensions["bridgefund.huey"]) == []
    assert _counts(db) == after


def test_a_month_closed_meanwhile_fails_the_job_with_the_synchronous_problem(world, db, factory, app) -> None:  # noqa: ANN001
    job_id, _actor = _queued_close(db, factory, "2020-02")
    assert world.client.post(f"{API}/periods/2020-03/close", headers=world.admin).status_code == 201  # another tab
    before = _counts(db)
    sync = assert_problem(world.client.post(f"{API}/periods/2020-02/close", headers=world.admin), 409, "period")
    tasks.enqueue(app, job_id)
    job = world.client.get(f"{API}/jobs/{job_id}", headers=world.admin).get_json()
    assert job["status"] == "failed" and job["result"] is None
    assert {k: job["error"][k] for k in ("type", "title", "status", "detail", "errors")} == \
        {k: sync[k] for k in ("type", "title", "status", "detail", "errors")}
    assert _counts(db)[:3] == before[:3]  # nothing closed or snapshotted twice
    tasks.enqueue(app, job_id)  # a failed request's job is not run again by a duplicate message
    assert db.get(Job, job_id, populate_existing=True).attempt == 1


def test_the_job_acts_as_the_admin_who_asked_and_others_see_it_by_role(world, db, factory) -> None:  # noqa: ANN001
    r = world.client.post(f"{API}/periods/2020-02/close", headers={**world.admin, **ASYNC})
    assert r.status_code == 202
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "period", AuditEvent.action == "close")
                       .order_by(AuditEvent.id.desc())).first()
    job = db.get(Job, r.get_json()["id"])
    assert event.actor_id == job.created_by and job.created_by is not None
    assert world.client.get(r.headers["Location"], headers=factory.as_role("auditor")).status_code == 200
    assert world.client.get(r.headers["Location"], headers=world.officer).status_code == 404
