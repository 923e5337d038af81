"""Document schemas: the document record as answered, and the query arguments of a record's document list."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from bridgefund.models.document import DocumentKind
from bridgefund.schemas.common import ListArgs

KINDS = [k.value for k in DocumentKind]


class DocumentSchema(Schema):
    id = fields.Integer()
    subject_type = fields.String(metadata={"example": "bridge_loan"})
    subject_id = fields.Integer()
    kind = fields.String(metadata={"example": "renewal_commitment", "enum": KINDS})
    filename = fields.String(metadata={"description": "the uploaded name, sanitised, with the extension of the type "
                                                      "found", "example": "续贷承诺函.pdf"})
    content_type = fields.String(metadata={"description": "found from the bytes", "example": "application/pdf"})
    size = fields.Integer(attribute="byte_size", metadata={"description": "bytes"})
    sha256 = fields.String(metadata={"description": "hex SHA-256 of the bytes"})
    version = fields.Integer(metadata={"description": "1, then 2, 3 … for each upload of the same kind on the record"})
    note = fields.String(allow_none=True)
    uploaded_at = fields.DateTime()
    uploaded_by = fields.Integer(allow_none=True)
    download_url = fields.Function(lambda d: url_for("documents.document_content", document_id=d.id))


class DocumentListArgs(ListArgs):
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"description": "only this kind"})


#: The multipart form of an upload, as documented (the view reads it from the form; the service checks it).
UPLOAD_FORM = {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "kind"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "PDF, OFD, JPEG, PNG or XLSX, at most 20 MiB (the type is judged from the bytes)"},
        "kind": {"type": "string", "enum": KINDS},
        "note": {"type": "string", "maxLength": 500},
    }}}}}
