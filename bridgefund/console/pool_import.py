"""Bulk import of pool loans in the console: upload → preview → confirm, through the queue.

The file goes into a **preview job** (``services.jobs.start_pool_import(preview=True)``): a consumer reads it and
runs every check of the import (``services.pool_import.preview_pool_import``) without storing a loan; the job's
row keeps the file's bytes server-side (in the database: web instances share nothing), and its result is the
preview — every row's errors in place (row number, field, message). The page polls the job (htmx) while it runs
and shows a progress bar. **Confirm** (``services.jobs.confirm_pool_import``, a one-time key) queues the import job
with the preview's bytes (a small file is run by the web process itself right after the commit, the same
runner as a consumer's); the preview records it, so a resubmit or a second tab never imports twice. The import
job's page shows its progress and then what was created, or — should the books have moved since the preview —
the rows refused, with nothing stored.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, request, url_for
from flask_babel import gettext as _

from bridgefund.console import idempotency
from bridgefund.console.base import bp, current_actor, htmx, page
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.jobs import enqueue_after_commit, progress, runner, tasks
from bridgefund.models import JobKind
from bridgefund.parsing import pool_file
from bridgefund.services import jobs, pool_import, registry
from bridgefund.services.unit_of_work import after_commit
from bridgefund.web import access, session, today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A file up to this size (about 300 rows) is checked and imported by the web process itself right after the
#: request's commit — the consumer's code (``jobs.runner.run``) on the same job row, so the page shows the result at
#: once; a larger one goes through the queue and the page polls its progress.
INLINE_BYTES = 32 * 1024


def _run_or_enqueue(job_id: int, size: int) -> None:
    if size > INLINE_BYTES:
        enqueue_after_commit(session(), job_id)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(session(), lambda: runner.run(app, job_id, app.extensions["bridgefund.worker"], tasks.HANDLERS))


def _banks(actor: Any) -> list[Any]:
    return [] if actor.is_officer else registry.list_banks(session(), actor, 1, 100).items


@bp.get("/pool-loans/import")
@access(jobs.start_pool_import)
def pool_import_form() -> Any:
    """The upload form (CSV or XLSX, the API's formats; the template to download)."""
    return page("console/pool_import.html", errors={}, banks=_banks(current_actor()), values={})


@bp.get("/pool-loans/import/template.xlsx")
@access(pool_import.template_xlsx)
def pool_import_template() -> Any:
    """The import template (the API's ``GET /pool-loans/import/template.xlsx``), for the signed-in user."""
    return Response(pool_import.template_xlsx(), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=pool-loans-template.xlsx"})


@bp.post("/pool-loans/import")
@access(jobs.start_pool_import)
def pool_import_upload() -> Any:
    """Queue the file's preview (nothing is stored but the job and its file) and show its page."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {"bank_id": request.form.get("bank_id", "")}
    try:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise RuleViolation.on("file", "choose a CSV or XLSX file")
        bank_id = None
        raw_bank = values["bank_id"].strip()
        if raw_bank:
            if not raw_bank.isdigit() or not 1 <= int(raw_bank) < 2**31:
                raise RuleViolation.on("bank_id", "not a valid id")
            bank_id = int(raw_bank)
        data = upload.stream.read(pool_file.MAX_BYTES + 1)
        job = jobs.start_pool_import(session(), actor, today=today(), data=data, filename=upload.filename,
                                     bank_id=bank_id, preview=True)
    except DomainError as err:
        session().rollback()
        return page("console/pool_import.html", err.status, errors=err.errors, detail=err.detail,
                    banks=_banks(actor), values=values)
    _run_or_enqueue(job.id, len(data))
    return idempotency.done(url_for("console.pool_import_job", job_id=job.id))


def _is_import(job: Any) -> bool:
    return job.kind == JobKind.pool_import


@bp.get("/pool-loans/import/<int:job_id>")
@access(jobs.get)
def pool_import_job(job_id: int) -> Any:
    """A preview's or an import's page: progress while it runs (htmx polls this page's status fragment), then the
    preview table with every row's errors and the confirmation, or what the import created / refused."""
    job = jobs.get(session(), current_actor(), job_id)
    if not _is_import(job):
        return page("console/error.html", 404, status=404, detail=_("Not an import."), errors={})
    live = progress.read(current_app, job.id) if job.status == "running" else None
    percent = max(job.progress or 0, live or 0)
    template = "console/partials/import_status.html" if htmx() else "console/pool_import_job.html"
    return page(template, job=job, percent=percent, preview=bool((job.params or {}).get("preview")))


@bp.post("/pool-loans/import/<int:job_id>/confirm")
@access(jobs.confirm_pool_import)
def pool_import_confirm(job_id: int) -> Any:
    """Import the previewed file (once: the preview records its import; the form's one-time key replays)."""
    actor = current_actor()
    jobs.get(session(), actor, job_id)
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    try:
        job = jobs.confirm_pool_import(session(), actor, job_id, today=today())
    except DomainError as err:
        session().rollback()
        preview = jobs.get(session(), actor, job_id)
        return page("console/pool_import_job.html", err.status, job=preview, percent=preview.progress, preview=True,
                    detail=err.detail)
    _run_or_enqueue(job.id, int((job.params or {}).get("bytes") or 0))
    flash(_("The import was queued."), "success")
    return idempotency.done(url_for("console.pool_import_job", job_id=job.id))
