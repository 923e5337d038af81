"""Work that happens by itself: the Huey task queue of the app, its tasks and periodic schedules.

* :mod:`.queue` — the Huey instance from the settings (SQLite embedded, Redis in production, immediate in tests).
* :mod:`.runner` — running one ``jobs`` row: claim, work and finish in one transaction, or record the failure.
* :mod:`.tasks` — the task and the schedules (08:30 reminders, 07:00 on the 1st, 02:00 nightly, the heartbeat).
* :mod:`.cli` — ``bridgefund jobs run …`` and ``bridgefund jobs consumer``.

A request that starts a job records it (``services.jobs.create``) in its own transaction and calls
:func:`enqueue_after_commit`: the id goes on the queue only once the row is committed, so a consumer never looks
for a job that does not exist yet; if the enqueue itself is lost, the consumers' recovery sweep finds the job.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import Session

from bridgefund.jobs import queue, tasks
from bridgefund.services.jobs import Worker
from bridgefund.services.unit_of_work import after_commit


def init_app(app: Flask) -> None:
    """Give the app its Huey instance, its consumer identity and its tasks."""
    huey = queue.make_huey(app.config["BRIDGEFUND"])
    app.extensions["bridgefund.huey"] = huey
    app.extensions["bridgefund.worker"] = Worker.this_process()
    app.extensions["bridgefund.tasks"] = tasks.register(huey, app)


def enqueue_after_commit(session: Session, job_id: int) -> None:
    """Enqueue job ``job_id`` once ``session``'s transaction has committed (dropped on rollback)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(session, lambda: tasks.enqueue(app, job_id))
