"""A real queue consumer (``bridgefund jobs consumer`` in a subprocess), killed mid-job and restarted: the job's work
is done exactly once. On the embedded SQLite queue always; on Redis when ``BRIDGEFUND_TEST_REDIS_URL`` is set
(``.ci/run`` sets it). The books are an SQLite file in both cases (the queue is what differs).

The consumer is ``SIGKILL``\\ed while the monthly report renders (its job ``running``, the work's transaction open,
nothing committed); Huey had already taken the message off the queue, so only the job row remembers the work. The
restarted consumer sees a running job whose consumer process no longer exists on this host, puts it back in the
queue and runs it: one report row, one archived file whose bytes match it, the job ``succeeded`` on attempt 2.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridgefund import create_app
from bridgefund.jobs import tasks
from bridgefund.migrate import upgrade
from bridgefund.models import Job, JobKind, Report
from bridgefund.services import files, jobs
from bridgefund.services.actor import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("BRIDGEFUND_TEST_REDIS_URL", "")


def _backends() -> list:
    return ["sqlite", pytest.param("redis", marks=pytest.mark.skipif(
        not REDIS_URL, reason="BRIDGEFUND_TEST_REDIS_URL is not set (.ci/run sets it)"))]


@pytest.fixture(params=_backends())
def setup(request, tmp_path: Path) -> Iterator[dict]:  # noqa: ANN001
    db_url = f"sqlite:///{tmp_path / 'books.sqlite3'}"
    upgrade(db_url)
    config = {"database_url": db_url, "secret_key": "consumer-test", "instance_dir": str(tmp_path / "instance"),
              "reports_dir": str(tmp_path / "reports"), "today": "2020-04-15"}
    if request.param == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        config["redis_url"] = REDIS_URL
    else:
        config["huey_sqlite"] = str(tmp_path / "queue.sqlite3")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIDGEFUND_DATABASE_URL": db_url,
           "BRIDGEFUND_SECRET_KEY": config["secret_key"], "BRIDGEFUND_REPORTS_DIR": config["reports_dir"],
           "BRIDGEFUND_TODAY": config["today"], "BRIDGEFUND_REDIS_URL": config.get("redis_url", ""),
           "BRIDGEFUND_HUEY_SQLITE": config.get("huey_sqlite", ""), "BRIDGEFUND_TEST_DATABASE_URL": ""}
    app = create_app(config)
    yield {"app": app, "env": env, "log": tmp_path / "consumer.log", "backend": request.param}
    app.extensions["bridgefund.db"].engine.dispose()


def _consumer(env: dict, log: Path) -> subprocess.Popen:
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-c", "from bridgefund.cli import main; main()", "jobs", "consumer",
                             "--workers", "2"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _job(app, job_id: int) -> Job:  # noqa: ANN001
    with app.extensions["bridgefund.db"].sessionmaker() as s:
        return s.get(Job, job_id)


def _status(app, job_id: int) -> str:  # noqa: ANN001
    """The job's status read without a write lock: the app's SQLite sessions begin IMMEDIATE (they would wait for
    the consumer's open transaction); a plain read sees the last committed state at once (WAL)."""
    path = app.extensions["bridgefund.db"].engine.url.database
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        return conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]


def _reports(app) -> list[Report]:  # noqa: ANN001
    with app.extensions["bridgefund.db"].sessionmaker() as s:
        return list(s.scalars(select(Report).where(Report.period == "2020-03")))


def _wait(predicate, timeout: float, what: str, log: Path, step: float = 0.02):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what} within {timeout} s; consumer log:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_consumer_killed_mid_job_then_restarted_does_the_work_once(setup) -> None:  # noqa: ANN001
    app, env, log = setup["app"], setup["env"], setup["log"]
    with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        job_id = jobs.create(s, SYSTEM, JobKind.monthly_report,
                             {"period": "2020-03", "lang": "zh", "today": "2020-04-15"}).id
    tasks.enqueue(app, job_id)  # onto the real queue: nothing runs in this process

    first = _consumer(env, log)
    try:
        _wait(lambda: _status(app, job_id) == "running", 60, "the consumer did not start the job", log)
        os.killpg(first.pid, signal.SIGKILL)  # mid-render: the work's transaction is open, nothing committed
        first.wait(timeout=10)
    finally:
        _stop(first)
    killed = _job(app, job_id)
    assert killed.status == "running" and killed.attempt == 1, "the job finished before the kill: not mid-job"
    assert _reports(app) == []
    # (Huey took the job's message off the queue when it started it: only the job row remembers the work now)

    second = _consumer(env, log)
    try:
        done = _wait(lambda: _job(app, job_id).status in ("succeeded", "failed") and _job(app, job_id), 120,
                     "the restarted consumer did not finish the job", log, step=0.2)
        assert done.status == "succeeded", done.error
        assert done.attempt == 2 and done.result["version"] == 1
        reports = _reports(app)
        assert len(reports) == 1 and reports[0].id == done.result["report_id"]
        with app.extensions["bridgefund.db"].sessionmaker() as s:  # the archive is the database
            assert hashlib.sha256(files.read_all(s, reports[0].file_id)).hexdigest() == reports[0].sha256
        # the restarted consumer is alive: its heartbeat is fresh, and the job is not run again
        with app.extensions["bridgefund.db"].sessionmaker() as s:
            assert jobs.last_heartbeat(s) is not None
        tasks.enqueue(app, job_id)  # a duplicate message changes nothing
        time.sleep(1.5)
        assert len(_reports(app)) == 1 and _job(app, job_id).attempt == 2
        with app.extensions["bridgefund.db"].sessionmaker() as s:
            assert s.scalar(select(func.count()).select_from(Job)) == 1
    finally:
        _stop(second)
