"""Report schemas: the archived report record, the generate request, and the query arguments of the PDFs."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from bridgefund.schemas.common import KeysetListArgs, StrictSchema

#: ``YYYY-MM`` (the month range and "has it ended" are the service's checks).
PERIOD = validate.Regexp(r"[0-9]{4}-[0-9]{2}\Z", error="Must be a month as YYYY-MM, e.g. 2020-03.")
LANG = validate.OneOf(["zh", "en"], error="Must be zh or en.")


def _period(**kwargs) -> fields.String:  # noqa: ANN003
    return fields.String(validate=PERIOD, metadata={"example": "2020-03"}, **kwargs)


def _lang(**kwargs) -> fields.String:  # noqa: ANN003
    return fields.String(validate=LANG, metadata={"example": "zh"}, **kwargs)


class ReportSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["monthly", "bank_statement"],
                                   "description": "the fund's monthly report, or one bank's statement"})
    bank_id = fields.Integer(allow_none=True, metadata={"description": "the bank of a statement; null otherwise"})
    draft = fields.Boolean(metadata={"description": "generated while its month was open: its figures may still "
                                                   "change until the month is closed"})
    period = fields.String(metadata={"example": "2020-03"})
    lang = fields.String(metadata={"example": "zh"})
    version = fields.Integer(metadata={"description": "1, then 2, 3 … for each regeneration of (period, lang)"})
    sha256 = fields.String(metadata={"description": "hex SHA-256 of the PDF bytes, checked on every download"})
    created_at = fields.DateTime()
    download_url = fields.Function(lambda r: url_for("reports.report_pdf", report_id=r.id))


class MonthlyReportCreateSchema(StrictSchema):
    period = _period(required=True)
    lang = _lang(load_default="zh")


class ReportListArgs(KeysetListArgs):
    period = _period()
    lang = _lang()


class StatementArgs(StrictSchema):
    period = _period(required=True)
    lang = _lang(load_default="zh")


class LangArgs(StrictSchema):
    lang = _lang(load_default="zh")
