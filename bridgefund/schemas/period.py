"""Schema of a closed accounting month (``POST /periods/{period}/close``, ``GET /periods``, a close job's result)."""

from __future__ import annotations

from marshmallow import Schema, fields


class PeriodSchema(Schema):
    period = fields.String(metadata={"example": "2020-03"})
    last_day = fields.Date()
    closed_by = fields.Integer(allow_none=True)
    closed_at = fields.DateTime()
    status = fields.Constant("closed")
