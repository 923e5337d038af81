"""Accounting periods: closing months."""

from __future__ import annotations

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.api.jobs import PREFER_DOC, accepted, wants_async
from bridgefund.jobs import enqueue_after_commit
from bridgefund.schemas.common import ListArgs, page_of
from bridgefund.schemas.period import PeriodSchema
from bridgefund.services import periods
from bridgefund.web import access, actor, session, today

blp = Blueprint("periods", __name__, description="Accounting periods")


@blp.get("/periods")
@access(periods.list_periods)
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_of(PeriodSchema))
@export.exportable(PeriodSchema, export.PERIODS)
def list_periods(args: dict):  # noqa: ANN201
    """List closed months, latest first (every month up to the latest is closed).

    A closed month takes no booking dated in it, so its figures and its monthly report are final. Changes nothing.
    """
    return periods.list_periods(session(), actor(), **paging(args))


@blp.post("/periods/<string:period>/close")
@access(periods.close_period)
@blp.response(201, PeriodSchema)
@blp.doc(responses=PREFER_DOC["responses"], parameters=PREFER_DOC["parameters"])
def close_period(period: str):  # noqa: ANN201
    """Close a month and every earlier one: no value date may fall in them afterwards.

    After closing, any booking dated in a closed month answers 409, so the month's figures and its monthly report can
    never change. The close also stores, in its transaction, what each month it closes prints — the monthly report's
    data, every bank's statement data and the pool settings in force (month snapshots) — and those months' reports
    read them from then on. 422 for a malformed period or a month that has not ended; 409 when it is already closed.
    Writes a `close` audit event naming the SHA-256 of each snapshot row. Writing the snapshots takes tens of
    seconds at 10⁵ loans: with `Prefer: respond-async` it answers 202 at once with `Location: /api/v1/jobs/{id}`
    after the same 422/409 checks, and closes in the background (the job's `result` is this close's answer; a month
    closed meanwhile makes the job `failed` with the same 409 problem).
    """
    if wants_async():
        job = periods.start_close_period(session(), actor(), period, today=today())
        enqueue_after_commit(session(), job.id)
        return accepted(job)
    return periods.close_period(session(), actor(), period, today=today())
