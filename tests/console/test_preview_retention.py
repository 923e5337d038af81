"""Retention of import previews' files (issue 14): the nightly purge clears the uploaded bytes of previews not
confirmed within ``BRIDGEFUND_IMPORT_PREVIEW_HOURS`` and of previews whose import was sent; the job row and its
result (every row's errors) stay; confirming a purged preview is a 410 naming it — in the console, its message.
"Now" is pinned (time travel); a second purge changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select, update

from bridgefund.config import ConfigError, load_settings
from bridgefund.jobs import tasks
from bridgefund.models import AuditEvent, Job, PoolLoan
from bridgefund.services import jobs
from bridgefund.services.actor import Actor
from tests.console_support import one_time_key, signed_in
from tests.pool_support import PoolWorld

HEADER = "enterprise_uscc,contract_no,principal,annual_rate,start_date,term_months,repayment_method\n"
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def _file(world: PoolWorld, *numbers: int, bad: bool = False) -> bytes:
    rows = [f"{world.enterprise.uscc},RET-{n},1000000.00,0.0435,2020-06-01,12,equal_principal" for n in numbers]
    if bad:
        rows.append(f"{world.enterprise.uscc},RET-BAD,abc,0.0435,2020-06-01,12,bullet")
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _preview(b, data: bytes) -> int:  # noqa: ANN001
    key = one_time_key(b.text("/pool-loans/import"))
    r = b.post("/pool-loans/import", {"file": (io.BytesIO(data), "loans.csv"), "idempotency_key": key},
               content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    return int(r.headers["Location"].rsplit("/", 1)[1])


def _row(db, job_id: int) -> Job:  # noqa: ANN001
    db.expire_all()
    return db.get(Job, job_id)


def _purges(db) -> int:  # noqa: ANN001
    return db.scalar(select(func.count()).where(AuditEvent.entity_type == "job", AuditEvent.action == "purge"))


def test_an_unconfirmed_preview_keeps_its_file_for_the_hours_then_gives_it_up_once(app, db, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    good = _preview(officer, _file(world, 1, 2))
    bad = _preview(officer, _file(world, 3, bad=True))
    finished = max(_row(db, good).finished_at, _row(db, bad).finished_at)
    result_before = _row(db, bad).result
    assert result_before["invalid"] == 1 and _row(db, good).payload and _row(db, bad).payload
    events = _purges(db)

    # 23 hours later (the default keeps 24): nothing happens
    assert tasks.purge_previews(app, now=finished + 23 * HOUR)["purged"] == []
    assert _row(db, good).payload and _row(db, bad).payload and _purges(db) == events

    # 25 hours later: both files are gone, the rows and their results stay
    out = tasks.purge_previews(app, now=finished + 25 * HOUR)
    assert out["keep_hours"] == 24
    assert sorted(p["job_id"] for p in out["purged"]) == [good, bad]
    assert {p["reason"] for p in out["purged"]} == {"expired"}
    for job_id in (good, bad):
        row = _row(db, job_id)
        assert row.payload is None and row.status == "succeeded" and row.params["purged_after_hours"] == 24
        assert row.params["purge_reason"] == "expired" and row.params["purged_at"].startswith(
            (finished + 25 * HOUR).strftime("%Y-%m-%dT%H"))
        assert len(row.params["sha256"]) == 64 and row.params["bytes"] > 0  # what the file was stays known
    assert _row(db, bad).result == result_before  # every row's errors stay readable
    assert _purges(db) == events + 2
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "purge", AuditEvent.entity_id == good)).one()
    assert event.actor_id is None and event.after["payload"] is None and "purged_at" in event.after["params"]

    # purged twice: the second run (the same night, or a week later) changes nothing
    snapshot = [(r.params, r.result, r.status) for r in (_row(db, good), _row(db, bad))]
    assert tasks.purge_previews(app, now=finished + 25 * HOUR)["purged"] == []
    assert tasks.purge_previews(app, now=finished + 24 * 7 * HOUR)["purged"] == []
    assert [(r.params, r.result, r.status) for r in (_row(db, good), _row(db, bad))] == snapshot
    assert _purges(db) == events + 2

    # the preview's page shows why it cannot be confirmed any more (its errors still listed)
    page = officer.text(f"/pool-loans/import/{good}")
    assert 'data-testid="preview-purged"' in page and 'data-testid="confirm-import"' not in page
    assert 'data-testid="preview-rows"' in page


def test_confirming_a_purged_preview_is_a_clear_410_in_the_console(app, db, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    preview = _preview(officer, _file(world, 1))
    page = officer.text(f"/pool-loans/import/{preview}")  # opened before the night: the confirm button is there
    assert 'data-testid="confirm-import"' in page
    jobs_before = db.scalar(select(func.count()).select_from(Job))
    tasks.purge_previews(app, now=_row(db, preview).finished_at + 48 * HOUR)
    r = officer.post(f"/pool-loans/import/{preview}/confirm", {"idempotency_key": one_time_key(page)})
    assert r.status_code == 410
    html = r.get_data(as_text=True)
    assert 'data-testid="refusal"' in html and f"import preview {preview} has expired" in html
    assert "upload the file again" in html and 'data-testid="preview-purged"' in html
    assert "Traceback" not in html
    assert db.scalar(select(func.count()).select_from(Job)) == jobs_before  # no import job
    assert db.query(PoolLoan).count() == 0
    # the notice in the page's language
    assert officer.post("/language", {"lang": "zh"}).status_code in (302, 303)
    assert "该预览已过期" in officer.text(f"/pool-loans/import/{preview}")
    assert officer.post("/language", {"lang": "en"}).status_code in (302, 303)
    en = officer.text(f"/pool-loans/import/{preview}")
    purged_at = dt.datetime.fromisoformat(_row(db, preview).params["purged_at"])
    shown = purged_at.astimezone(app.config["BRIDGEFUND"].tz).strftime("%Y-%m-%d %H:%M")
    assert f"This preview has expired: its file was deleted at {shown} because" in en  # the fund's time


def test_confirming_a_purged_preview_through_the_service_names_it(app, db, world, factory) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    preview = _preview(officer, _file(world, 1))
    tasks.purge_previews(app, now=_row(db, preview).finished_at + 25 * HOUR)
    user = world.officer_user
    actor = Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)
    from bridgefund.errors import PreviewPurged

    with pytest.raises(PreviewPurged) as caught:
        jobs.confirm_pool_import(db, actor, preview, today=dt.date(2020, 12, 31))
    problem = caught.value.problem()
    assert problem["status"] == 410 and problem["preview_job_id"] == preview
    assert problem["type"].endswith("/preview-purged") and "job" in problem["errors"]
    db.rollback()


def test_a_confirmed_preview_and_a_running_one(app, db, world, settings) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    preview = _preview(officer, _file(world, 1))
    page = officer.text(f"/pool-loans/import/{preview}")
    done = officer.post(f"/pool-loans/import/{preview}/confirm", {"idempotency_key": one_time_key(page)})
    assert done.status_code == 303 and db.query(PoolLoan).count() == 1
    assert _row(db, preview).payload is None  # the confirmation gave the file up itself: nothing left to purge
    # a preview whose import was sent but still holds its bytes (a row from before the confirmation dropped them)
    old = _preview(officer, _file(world, 7))
    db.execute(update(Job).where(Job.id == old).values(params={**_row(db, old).params, "confirmed_job_id": 1}))
    db.commit()
    # a preview still waiting for a consumer keeps the file it needs, however old
    user = world.officer_user
    actor = Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)
    waiting = jobs.start_pool_import(db, actor, today=dt.date(2020, 12, 31), data=_file(world, 9), filename="w.csv",
                                     bank_id=None, preview=True).id
    db.commit()
    out = tasks.purge_previews(app, now=_row(db, old).finished_at + HOUR)  # within the hours: only "imported"
    assert out["purged"] == [{"job_id": old, "reason": "imported", "bytes": _row(db, old).params["bytes"]}]
    assert _row(db, old).payload is None
    far = tasks.purge_previews(app, now=_row(db, old).finished_at + 1000 * HOUR)
    assert far["purged"] == [] and _row(db, waiting).payload and _row(db, waiting).status == "queued"
    # an API import job (not a preview) already dropped its file when it succeeded
    imports = db.scalars(select(Job).where(Job.kind == "pool_import", Job.id != preview, Job.id != old,
                                           Job.id != waiting)).all()
    assert imports and all(j.payload is None for j in imports)


def test_the_command_line_and_the_setting(app, db, world, monkeypatch) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    preview = _preview(officer, _file(world, 1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run", "purge-previews"])  # just uploaded: kept
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"keep_hours": 24, "purged": []}
    db.execute(update(Job).where(Job.id == preview).values(
        finished_at=_row(db, preview).finished_at - 30 * HOUR, started_at=_row(db, preview).started_at - 30 * HOUR))
    db.commit()
    second = runner.invoke(args=["jobs", "run", "purge-previews"])
    assert second.exit_code == 0 and [p["job_id"] for p in json.loads(second.output)["purged"]] == [preview]
    third = runner.invoke(args=["jobs", "run", "purge-previews"])
    assert third.exit_code == 0 and json.loads(third.output)["purged"] == []
    assert _row(db, preview).payload is None

    monkeypatch.setenv("BRIDGEFUND_IMPORT_PREVIEW_HOURS", "6")
    assert load_settings({"secret_key": "x"}).import_preview_hours == 6
    for bad in ("0", "-1", "soon"):
        monkeypatch.setenv("BRIDGEFUND_IMPORT_PREVIEW_HOURS", bad)
        with pytest.raises(ConfigError, match="BRIDGEFUND_IMPORT_PREVIEW_HOURS"):
            load_settings({"secret_key": "x"})


def test_the_purge_runs_nightly_at_two_in_the_funds_timezone(app) -> None:  # noqa: ANN001
    task = app.extensions["bridgefund.tasks"]["purge_previews_0200"].task_class()
    assert task.validate_datetime(dt.datetime(2020, 3, 19, 18, 0))  # Huey's naive UTC: 02:00 in Shanghai
    assert not task.validate_datetime(dt.datetime(2020, 3, 20, 2, 0))
