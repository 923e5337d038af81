"""Background jobs: creating them, their status transitions, who may see them, the consumers' heartbeats, and the
recovery of jobs whose consumer died.

A job row is the durable truth; the queue only carries its id (``bridgefund.jobs``). The transitions:

* **claim** (``queued → running``): one conditional UPDATE, committed on its own; ``attempt`` grows by one and is
  the runner's fencing token.
* **finish** (``running → succeeded``): in the *same* transaction as the work, and only while the row still holds
  the runner's claim (status ``running`` and the same ``attempt``), so the work commits once or not at all.
* **fail** (``running → failed``) with an RFC 9457 problem, in a transaction of its own after the work rolled back.
* **requeue** (``running → queued``): a consumer that died (``SIGKILL``, a lost host) left its job running; the
  recovery sweep puts it back, and the work — never committed — runs again from the start.
* **retry** (``failed → queued``): running scheduled work again by its key (the command line) retries a failed run;
  a succeeded one is left alone.

Retention: an import preview keeps the uploaded file's bytes (``payload``) only until it is confirmed;
:func:`purge_previews` (nightly, ``jobs.tasks``) clears the bytes of previews not confirmed within
``BRIDGEFUND_IMPORT_PREVIEW_HOURS`` and of previews whose import was sent. The row and its result (every row's
errors) stay; confirming a purged preview is a 410 naming it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.db import utcnow
from bridgefund.errors import InvalidTransition, NotFound, PayloadTooLarge, PreviewPurged, RuleViolation
from bridgefund.models import Job, JobKind, JobStatus, Role, User, WorkerHeartbeat
from bridgefund.parsing.pool_file import MAX_BYTES
from bridgefund.services import audit
from bridgefund.services.actor import SYSTEM, Actor

ENTITY = "job"
#: Staff and auditors see every job; a bank officer only the jobs their bank's officers started (others: 404).
READERS = (Role.admin, Role.fund_manager, Role.auditor)
#: Heartbeat rows of consumers gone this long are removed by the sweep.
FORGET_WORKERS_AFTER = dt.timedelta(days=1)


# --------------------------------------------------------------------------------------------- who runs it


@dataclass(frozen=True)
class Worker:
    """A consumer process: ``host:pid:boot`` (``boot`` tells a restarted consumer that reuses a pid apart)."""

    host: str
    pid: int
    boot: str

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.boot}"

    @classmethod
    def this_process(cls) -> Worker:
        return cls(host=socket.gethostname()[:60], pid=os.getpid(), boot=os.urandom(4).hex())

    @staticmethod
    def parse(worker_id: str | None) -> tuple[str, int] | None:
        host, _, rest = (worker_id or "").partition(":")
        pid, _, _boot = rest.partition(":")
        return (host, int(pid)) if pid.isdigit() else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


# ------------------------------------------------------------------------------------------------ create


def create(session: Session, actor: Actor, kind: JobKind, params: dict[str, Any], *, key: str | None = None,
           payload: bytes | None = None) -> Job:
    """Record a new queued job (and its audit event); the caller enqueues its id once this commits."""
    job = Job(kind=kind.value, key=key, status=JobStatus.queued.value, params=params, payload=payload, progress=0,
              attempt=0, created_by=actor.id, bank_id=actor.bank_id if actor.is_officer else None,
              request_id=actor.request_id)
    session.add(job)
    session.flush()
    audit.record(session, actor, "enqueue", ENTITY, job.id, after=job.snapshot())
    return job


def ensure(session: Session, kind: JobKind, key: str, params: dict[str, Any]) -> tuple[Job, bool]:
    """The job of scheduled work named ``key``: created queued if new, a failed one put back in the queue.

    Answers ``(job, runnable)``: ``runnable`` is false when the work already succeeded or is running — running
    scheduled work twice does it once. The unique ``key`` holds this against a concurrent scheduler too (the
    loser of the INSERT race reads the winner's row).
    """
    job = session.scalars(select(Job).where(Job.key == key).with_for_update()).one_or_none()
    if job is None:
        try:
            with session.begin_nested():
                job = create(session, SYSTEM, kind, params, key=key)
        except IntegrityError:  # another scheduler created it meanwhile
            job = session.scalars(select(Job).where(Job.key == key)).one()
            return job, job.status == JobStatus.queued
        return job, True
    if job.status == JobStatus.failed:
        before = job.snapshot()
        job.status, job.error, job.finished_at, job.progress = JobStatus.queued.value, None, None, 0
        session.flush()
        audit.record(session, SYSTEM, "retry", ENTITY, job.id, before=before, after=job.snapshot())
    return job, job.status == JobStatus.queued


# ------------------------------------------------------------------------------------------------ reading


@allows(SIGNED_IN)
def get(session: Session, actor: Actor, job_id: int) -> Job:
    """A job, for staff, auditors, and whoever started it (bank scoping: an officer sees the jobs their bank's
    officers started); anyone else is told it does not exist."""
    job = session.get(Job, job_id)
    visible = job is not None and (actor.role in READERS or (actor.id is not None and job.created_by == actor.id)
                                   or (actor.is_officer and job.bank_id is not None and job.bank_id == actor.bank_id))
    if not visible:
        raise NotFound(f"job {job_id} does not exist")
    return job


def actor_of(session: Session, job: Job) -> Actor:
    """Who the job acts as: the user who started it (as they are now: a deactivated user's job fails), or the
    system for scheduled work. The audit events it writes carry the starting request's id."""
    if job.created_by is None:
        return SYSTEM
    user = session.get(User, job.created_by)
    if user is None or not user.active:
        raise NotFound(f"the user who started job {job.id} no longer exists or is deactivated")
    return Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id,
                 request_id=job.request_id)


def counts(session: Session) -> dict[str, int]:
    """Jobs by status (the metrics' queue depth)."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: n for status, n in rows}


# ------------------------------------------------------------------------------------------------ transitions


def claim(session: Session, job_id: int, worker: str, now: dt.datetime | None = None) -> int | None:
    """``queued → running`` for ``worker``; the new ``attempt`` (the fencing token), or None when the job is not
    queued (already claimed, done, or unknown: a duplicate message is a no-op)."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.queued.value)
        .values(status=JobStatus.running.value, attempt=Job.attempt + 1, worker_id=worker,
                started_at=now or utcnow(), progress=0)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    return session.scalar(select(Job.attempt).where(Job.id == job_id))


def holding(session: Session, job_id: int, attempt: int) -> Job | None:
    """The job, locked, if it is still running under ``attempt`` (else None: another runner took it over)."""
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status != JobStatus.running or job.attempt != attempt:
        return None
    return job


def succeed(session: Session, job: Job, result: dict[str, Any]) -> None:
    """``running → succeeded`` inside the work's transaction."""
    job.status, job.result, job.error, job.progress, job.finished_at = (
        JobStatus.succeeded.value, result, None, 100, utcnow())
    session.flush()


def fail(session: Session, job_id: int, attempt: int, problem: dict[str, Any]) -> bool:
    """``running → failed`` with ``problem`` (its own transaction, after the work rolled back). An upload is dropped
    (its sha256 stays in ``params``): a failed import is sent again as a new request."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.running.value, Job.attempt == attempt)
        .values(status=JobStatus.failed.value, error=problem, finished_at=utcnow(), payload=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def requeue(session: Session, job_id: int, attempt: int) -> bool:
    """``running → queued`` (a transient failure, or the runner died); the caller enqueues it again."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.running.value, Job.attempt == attempt)
        .values(status=JobStatus.queued.value, worker_id=None, progress=0)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


# ------------------------------------------------------------------------------------------------ consumers


def beat(session: Session, worker: Worker, now: dt.datetime | None = None) -> None:
    """Record that ``worker`` is alive now."""
    now = now or utcnow()
    row = session.get(WorkerHeartbeat, worker.id)
    if row is None:
        session.add(WorkerHeartbeat(worker_id=worker.id, host=worker.host, pid=worker.pid, started_at=now,
                                    last_heartbeat=now))
    else:
        row.last_heartbeat = now
    session.flush()


def last_heartbeat(session: Session) -> dt.datetime | None:
    """The newest heartbeat of any consumer."""
    return session.scalar(select(func.max(WorkerHeartbeat.last_heartbeat)))


def recover(session: Session, me: Worker, *, stale_after: dt.timedelta, now: dt.datetime | None = None,
            queue_empty: bool = False) -> list[int]:
    """Put back in the queue the running jobs whose consumer is gone; answer the ids to enqueue again.

    A consumer is gone when its heartbeat is older than ``stale_after``, or — for a consumer on this host — when
    its process no longer exists (a ``SIGKILL``\\ed consumer restarted here is recovered at once, not minutes later).
    With ``queue_empty`` (the queue holds no message at all), queued jobs older than ``stale_after`` are enqueued
    again too: their message was lost (a consumer killed between taking it and claiming the job). A duplicate
    message is harmless: the claim is conditional.
    """
    now = now or utcnow()
    beats = dict(session.execute(select(WorkerHeartbeat.worker_id, WorkerHeartbeat.last_heartbeat)).all())
    ids: list[int] = []
    for job_id, attempt, worker_id in session.execute(
            select(Job.id, Job.attempt, Job.worker_id).where(Job.status == JobStatus.running.value)).all():
        if worker_id == me.id:
            continue
        seen = beats.get(worker_id)
        where = Worker.parse(worker_id)
        dead = seen is None or now - seen > stale_after
        if where is not None and where[0] == me.host:
            dead = dead or where[1] == me.pid or not _pid_alive(where[1])
        if dead and requeue(session, job_id, attempt):
            audit.record(session, SYSTEM, "requeue", ENTITY, job_id,
                         before={"status": "running", "attempt": attempt, "worker_id": worker_id},
                         after={"status": "queued"})
            ids.append(job_id)
    if queue_empty:
        ids += session.scalars(select(Job.id).where(Job.status == JobStatus.queued.value,
                                                    Job.created_at < now - stale_after)).all()
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_heartbeat < now - FORGET_WORKERS_AFTER))
    return ids


def queued_ids(session: Session, ids: Iterable[int]) -> list[int]:
    return list(session.scalars(select(Job.id).where(Job.id.in_(list(ids)), Job.status == JobStatus.queued.value)))


# ------------------------------------------------------------------------------------------------ starting work


@allows(Role.bank_officer, Role.fund_manager)
def start_pool_import(session: Session, actor: Actor, *, today: dt.date, data: bytes, filename: str | None,
                      bank_id: int | None, preview: bool = False) -> Job:
    """Queue an import of pool loans (``POST /pool-loans/import`` with ``Prefer: respond-async``); the file's bytes
    are kept in the job so that a consumer on any host can run it. Role, bank and size are checked now; the rows
    when it runs (their problems become the job's ``error``, keyed ``row N.field`` as the synchronous answer).

    With ``preview`` the job only checks the rows (``services.pool_import.preview_pool_import``: its ``result`` is
    the preview, every row's errors included) and keeps the file, which :func:`confirm_pool_import` then imports."""
    actor.acting_bank(bank_id)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_BYTES} bytes", {"file": ["too large"]})
    if not data:
        raise RuleViolation.on("file", "the file is empty")
    params = {"today": today.isoformat(), "filename": (filename or "")[:200] or None, "bank_id": bank_id,
              "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if preview:
        params["preview"] = True
    return create(session, actor, JobKind.pool_import, params, payload=data)


@allows(Role.bank_officer, Role.fund_manager)
def confirm_pool_import(session: Session, actor: Actor, preview_id: int, *, today: dt.date) -> Job:
    """Import the file of a finished preview (:func:`start_pool_import` with ``preview``): a new import job with
    the same bytes, queued; the preview gives its file up and records the import's job, so a preview is imported
    once (a second confirmation is a 409 naming the first import's job). Only the user who uploaded the file
    confirms it; a preview with invalid rows cannot be confirmed. The rows are checked again when the import runs
    (figures may have moved since the preview)."""
    get(session, actor, preview_id)  # 404 for a job this user may not see
    job = session.get(Job, preview_id, with_for_update=True, populate_existing=True)
    assert job is not None
    params = dict(job.params or {})
    if job.kind != JobKind.pool_import or not params.get("preview"):
        raise NotFound(f"job {preview_id} is not an import preview")
    if job.created_by != actor.id:
        raise InvalidTransition("only the user who uploaded the file may confirm its import",
                                {"job": ["uploaded by another user"]})
    if params.get("confirmed_job_id") is not None:
        raise InvalidTransition(f"this file was already sent for import (job {params['confirmed_job_id']})",
                                {"job": ["already imported"]}, import_job_id=params["confirmed_job_id"])
    if job.status != JobStatus.succeeded or not job.result:
        raise InvalidTransition(f"the preview of job {preview_id} is {job.status}: nothing to confirm",
                                {"job": [f"preview is {job.status}"]})
    if params.get("purged_at"):
        raise PreviewPurged(
            f"import preview {preview_id} has expired: its file was deleted at {params['purged_at']} (a preview not "
            f"confirmed within {params.get('purged_after_hours', '?')} hours gives its file up); upload the file "
            "again", {"job": ["preview expired: file deleted"]}, preview_job_id=preview_id,
            purged_at=params["purged_at"])
    if job.result.get("invalid"):
        raise RuleViolation.on("file", f"{job.result['invalid']} rows are invalid: correct the file and upload it "
                               "again")
    data = session.scalar(select(Job.payload).where(Job.id == job.id))
    if not data:
        raise InvalidTransition("the preview no longer holds its file: upload it again", {"job": ["file gone"]})
    started = start_pool_import(session, actor, today=today, data=data, filename=params.get("filename"),
                                bank_id=params.get("bank_id"))
    before = job.snapshot()
    job.params = {**params, "confirmed_job_id": started.id}
    job.payload = None
    session.flush()
    audit.record(session, actor, "confirm", ENTITY, job.id, before=before, after=job.snapshot())
    return started


# ------------------------------------------------------------------------------------------------ retention


def purge_previews(session: Session, *, keep_hours: int, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Clear the file bytes of finished import previews that no longer need them: those not confirmed within
    ``keep_hours`` of their check finishing (``expired``) and those whose import was sent (``imported``; the
    confirmation normally gives the file up itself). The job row, its ``params`` (the file's size and sha256) and its
    ``result`` (every row's errors) stay; ``params`` records ``purged_at``, and each purge writes a system ``purge``
    audit event. A queued or running preview keeps its file (it needs it). Idempotent: a purged row holds no bytes,
    so a second run finds nothing. Answers what was purged (``job_id``, ``reason``, ``bytes``)."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(hours=keep_hours)
    rows = session.execute(
        select(Job.id, Job.params, Job.finished_at)
        .where(Job.kind == JobKind.pool_import.value, Job.payload.is_not(None),
               Job.status.in_([JobStatus.succeeded.value, JobStatus.failed.value]))
        .order_by(Job.id)).all()
    purged: list[dict[str, Any]] = []
    for job_id, params, finished_at in rows:
        params = params or {}
        if not params.get("preview"):
            continue
        if params.get("confirmed_job_id") is not None:
            reason = "imported"
        elif finished_at is not None and finished_at <= cutoff:
            reason = "expired"
        else:
            continue
        job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
        if job is None or job.status not in (JobStatus.succeeded, JobStatus.failed):
            continue
        before = job.snapshot()
        after_params = {**(job.params or {}), "purged_at": now.isoformat(timespec="seconds"),
                        "purged_after_hours": keep_hours, "purge_reason": reason}
        result = session.execute(
            update(Job).where(Job.id == job_id, Job.payload.is_not(None))
            .values(payload=None, params=after_params).execution_options(synchronize_session=False))
        if result.rowcount != 1:  # another purge got there first
            continue
        session.expire(job)
        audit.record(session, SYSTEM, "purge", ENTITY, job_id, before=before,
                     after={**before, "params": after_params, "payload": None})
        purged.append({"job_id": job_id, "reason": reason, "bytes": params.get("bytes")})
    return purged
