"""Background jobs (``GET /jobs/{id}``) and the ``Prefer: respond-async`` answer of the endpoints that start one."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request, url_for

from bridgefund.api.blueprint import Blueprint
from bridgefund.jobs import progress
from bridgefund.models import Job
from bridgefund.schemas.job import JobSchema
from bridgefund.services import jobs
from bridgefund.web import access, actor, session

blp = Blueprint("jobs", __name__, description="Background jobs: asynchronous reports and imports")

#: The OpenAPI description of the ``Prefer`` request header and of the 202 answer, for the views that honour it.
PREFER_DOC: dict[str, Any] = {
    "parameters": [{
        "name": "Prefer", "in": "header", "required": False, "schema": {"type": "string"},
        "example": "respond-async",
        "description": "`respond-async` (RFC 7240): answer 202 at once with `Location: /api/v1/jobs/{id}` and do "
                       "the work in the background; poll the job for its status, progress and result."}],
    "responses": {"202": {
        "description": "Accepted: the work runs in the background (`Prefer: respond-async`); `Location` is the job.",
        "content": {"application/json": {"schema": JobSchema}}}},
}


def wants_async() -> bool:
    """Whether the request says ``Prefer: respond-async`` (RFC 7240; other preferences are ignored)."""
    for header in request.headers.getlist("Prefer"):
        for token in header.split(","):
            if token.split(";", 1)[0].split("=", 1)[0].strip().lower() == "respond-async":
                return True
    return False


def accepted(job: Job) -> Response:
    """202 with the job, its ``Location`` and ``Preference-Applied: respond-async`` (a finished response: the view's
    own response schema, for the synchronous answer, does not apply)."""
    resp = jsonify(JobSchema().dump(job))
    resp.status_code = 202
    resp.headers["Location"] = url_for("jobs.get_job", job_id=job.id)
    resp.headers["Preference-Applied"] = "respond-async"
    resp.headers["Retry-After"] = "2"
    return resp


@blp.get("/jobs/<int:job_id>")
@access(jobs.get)
@blp.response(200, JobSchema)
def get_job(job_id: int):  # noqa: ANN201
    """Show a background job: its status, progress and result or problem.

    `status` moves `queued` → `running` → `succeeded` (with `result`: what was made) or `failed` (with `error`, an
    RFC 9457 problem). Staff and auditors see every job; a bank officer the jobs started by their bank's officers
    (another bank's job, or scheduled work, answers 404). Changes nothing.
    """
    job = jobs.get(session(), actor(), job_id)
    if job.status == "running":  # the work's transaction is open: its progress is published beside the queue
        job.live_progress = progress.read(current_app, job.id)  # not a column: nothing is written
    return job
