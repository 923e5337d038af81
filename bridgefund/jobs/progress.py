"""A running job's progress, published outside the database.

The work of a job is one transaction, so progress written to its row would only appear when it is done (and on
SQLite a second writer would wait for it). The runner publishes per cent done in the queue's own key-value store
instead (Huey's storage: the queue's SQLite file, or Redis), where ``GET /jobs/{id}`` of any web process reads it
while the job's row says ``running``; the row holds 0 before and 100 after.
"""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger("bridgefund.jobs")


def _key(job_id: int) -> str:
    return f"bridgefund:progress:{job_id}"


def publish(app: Flask, job_id: int, percent: int) -> None:
    """Record that job ``job_id`` is ``percent`` done (best effort: progress is never worth failing a job)."""
    try:
        app.extensions["bridgefund.huey"].storage.put_data(_key(job_id), str(max(0, min(100, percent))).encode())
    except Exception:
        log.warning("job %s: progress could not be published", job_id, exc_info=True)


def read(app: Flask, job_id: int) -> int | None:
    """The last published per cent of job ``job_id`` (None when none was, or the store cannot be read)."""
    try:
        raw = app.extensions["bridgefund.huey"].storage.peek_data(_key(job_id))
    except Exception:
        return None
    if isinstance(raw, bytes | str) and str(raw if isinstance(raw, str) else raw.decode()).isdigit():
        return int(raw)
    return None


def clear(app: Flask, job_id: int) -> None:
    try:
        app.extensions["bridgefund.huey"].storage.pop_data(_key(job_id))
    except Exception:
        log.debug("job %s: progress could not be cleared", job_id, exc_info=True)
