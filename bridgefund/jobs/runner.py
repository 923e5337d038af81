"""Running one job: claim it, do its work in one transaction that also marks it done, or record the failure.

Every run writes one JSON log line (``bridgefund.jobs``) with the job's id, kind, outcome and duration.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from bridgefund.errors import PROBLEM_BASE, DomainError
from bridgefund.jobs import progress
from bridgefund.models import Job
from bridgefund.services import jobs
from bridgefund.services.actor import Actor
from bridgefund.services.jobs import Worker

log = logging.getLogger("bridgefund.jobs")

#: A job that meets a transient database error (a lock, a serialisation failure) is tried this many times in all.
MAX_ATTEMPTS = 3
#: Seconds before such a retry.
RETRY_DELAY = 5

#: What a job of each kind does: ``(session, actor, job, app) → result``; raises a DomainError for a problem.
Handler = Callable[[Session, Actor, Job, Flask], dict[str, Any]]


def run(app: Flask, job_id: int, worker: Worker, handlers: dict[str, Handler],
        retry: Callable[[int], None] | None = None) -> str | None:
    """Run job ``job_id`` once if it is queued; answer its final status (None when there was nothing to do)."""
    database = app.extensions["bridgefund.db"]
    with app.app_context():
        with database.sessionmaker() as s, s.begin():
            attempt = jobs.claim(s, job_id, worker.id)
        if attempt is None:
            log.info(_line("skipped", job_id, reason="not queued (done, running elsewhere, or unknown)"))
            return None
        started = time.monotonic()
        kind = "?"
        try:
            with database.sessionmaker() as s, s.begin():
                job = jobs.holding(s, job_id, attempt)
                if job is None:  # another runner took it over meanwhile: its run counts, not ours
                    log.warning(_line("lost", job_id, attempt=attempt))
                    return None
                kind = job.kind
                result = handlers[job.kind](s, jobs.actor_of(s, job), job, app)
                if not (job.params or {}).get("preview"):  # a preview keeps its file for the confirmation
                    job.payload = None  # the upload has served (its sha256 stays in params)
                jobs.succeed(s, job, result)
            status, extra = "succeeded", {}
        except DomainError as exc:
            status, extra = _fail(database, job_id, attempt, exc.problem()), {"problem": exc.code}
        except Exception as exc:
            if _transient(exc) and attempt < MAX_ATTEMPTS and retry is not None:
                with database.sessionmaker() as s, s.begin():
                    requeued = jobs.requeue(s, job_id, attempt)
                if requeued:
                    log.warning(_line("retry", job_id, kind=kind, attempt=attempt, error=str(exc)[:200]))
                    retry(job_id)
                    return "queued"
            log.exception(_line("error", job_id, kind=kind, attempt=attempt))
            status, extra = _fail(database, job_id, attempt, {
                "type": PROBLEM_BASE + "internal-error", "title": "Internal server error", "status": 500,
                "detail": f"the job failed unexpectedly; quote job id {job_id}"}), {}
        progress.clear(app, job_id)
        log.info(_line("finished", job_id, kind=kind, status=status, attempt=attempt, worker=worker.id,
                       duration_ms=round((time.monotonic() - started) * 1000), **extra))
        return status


def _fail(database: Any, job_id: int, attempt: int, problem: dict[str, Any]) -> str:
    with database.sessionmaker() as s, s.begin():
        jobs.fail(s, job_id, attempt, problem)
    return "failed"


def _transient(exc: Exception) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and code in ("40001", "40P01"))


def _line(event: str, job_id: int, **fields: Any) -> str:
    import json

    return json.dumps({"event": f"job.{event}", "job_id": job_id,
                       "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), **fields},
                      ensure_ascii=False, default=str)
