"""Schemas of background jobs and of the working-day calendar."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from bridgefund.schemas.common import StrictSchema, Text

STATUSES = ["queued", "running", "succeeded", "failed"]


def _result(job: Any) -> dict[str, Any] | None:
    """The job's result, with links to what it made."""
    if job.result is None:
        return None
    result = dict(job.result)
    if "report_id" in result:
        result["report_url"] = url_for("reports.get_report", report_id=result["report_id"])
        result["download_url"] = url_for("reports.report_pdf", report_id=result["report_id"])
    return result


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["monthly_report", "bank_statement", "pool_import", "reminders",
                                            "summaries_check", "period_close"]})
    status = fields.String(metadata={"enum": STATUSES})
    progress = fields.Function(lambda job: max(job.progress, getattr(job, "live_progress", None) or 0),
                               metadata={"type": "integer", "description": "per cent done, 0–100"})
    result = fields.Function(_result, metadata={
        "type": "object", "nullable": True,
        "description": "what the job made once it succeeded: a report (`report_id`, `report_url`, `download_url`, "
                       "`version`, `sha256`), an import's `created` count and `references`, or a month "
                       "close's answer (`period`, `last_day`, `closed_by`, `closed_at`, `status`)"})
    error = fields.Dict(allow_none=True, metadata={
        "description": "an RFC 9457 problem when the job failed (an import's row errors under `errors`)"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class CalendarDaySchema(Schema):
    date = fields.Date(attribute="day")
    kind = fields.String(metadata={"enum": ["holiday", "workday"],
                                   "description": "`holiday`: a weekday off; `workday`: a weekend day on (调休)"})
    name = fields.String(metadata={"example": "国庆节"})


class CalendarYearSchema(Schema):
    year = fields.Integer()
    items = fields.List(fields.Nested(CalendarDaySchema))


class CalendarDayPutSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    name = Text(60, required=True, metadata={"example": "国庆节"})
