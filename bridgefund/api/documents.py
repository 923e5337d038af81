"""Documents attached to bridge loans, pool loans, claims and enterprises: upload, list, record, download."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from bridgefund.api import export, paging
from bridgefund.api.blueprint import Blueprint
from bridgefund.errors import RuleViolation, UnsupportedMediaType
from bridgefund.models.document import SubjectType
from bridgefund.parsing.upload import EXTENSIONS
from bridgefund.schemas.common import page_of
from bridgefund.schemas.document import UPLOAD_FORM, DocumentListArgs, DocumentSchema
from bridgefund.services import documents
from bridgefund.web import access, actor, db, document_download, session

blp = Blueprint("documents", __name__, description="Documents (the paper trail): upload, list, download")

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_UPLOAD_DOC: dict[str, Any] = {"requestBody": UPLOAD_FORM, "responses": {
    "413": {"description": "The file is larger than 20 MiB", "content": _PROBLEM},
    "415": {"description": "The body is not multipart/form-data (an upload takes nothing else)", "content": _PROBLEM},
}}
_CONTENT_DOC: dict[str, Any] = {"responses": {"200": {
    "description": "The bytes, with the type found at upload and `Content-Disposition: attachment`",
    "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in EXTENSIONS}}}}


def _upload(subject: SubjectType, subject_id: int) -> tuple[Any, int, dict[str, str]]:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            f"an upload is multipart/form-data, not {request.mimetype or 'a body without a Content-Type'}",
            {"Content-Type": ["must be multipart/form-data"]})
    upload = request.files.get("file")
    if upload is None:
        raise RuleViolation.on("file", "a multipart field 'file' with the document is required")
    kind = request.form.get("kind")
    if not kind:
        documents.subject_bank(session(), actor(), subject.value, subject_id)  # another bank's record: 404 first
        raise RuleViolation.on("kind", f"required: one of {', '.join(documents.KINDS)}")
    doc = documents.upload(session(), actor(), subject.value, subject_id, kind=kind, file=upload.stream,
                           filename=upload.filename, note=request.form.get("note"))
    return doc, 201, {"Location": url_for("documents.get_document", document_id=doc.id)}


def _list(subject: SubjectType, subject_id: int, args: dict) -> Any:
    return documents.list_documents(session(), actor(), subject.value, subject_id, **paging(args),
                                    kind=args.get("kind"))


@blp.post("/bridge-loans/<int:loan_id>/documents")
@access(documents.upload)
@blp.response(201, DocumentSchema)
@blp.doc(**_UPLOAD_DOC)
def upload_bridge_loan_document(loan_id: int):  # noqa: ANN201
    """Attach a document to a bridge loan (its bank's officer, staff): the same kind again is a new version.

    Multipart `file` (PDF, OFD, JPEG, PNG or XLSX, judged from the bytes; at most 20 MiB → 413), `kind`
    (`renewal_commitment`, `application`, `tripartite_agreement`, `claim_application`, `overdue_evidence`, `other`)
    and `note?`. A PDF with JavaScript or an XLSX with macros → 422. The filename is sanitised, the SHA-256
    recorded, the bytes stored in the database. Another bank's loan → 404. Writes an `upload` audit event.
    """
    return _upload(SubjectType.bridge_loan, loan_id)


@blp.post("/pool-loans/<int:pool_loan_id>/documents")
@access(documents.upload)
@blp.response(201, DocumentSchema)
@blp.doc(**_UPLOAD_DOC)
def upload_pool_loan_document(pool_loan_id: int):  # noqa: ANN201
    """Attach a document to a pool loan (its bank's officer, staff): the same kind again is a new version.

    The same form and checks as a bridge loan's upload. Another bank's loan → 404. Writes an `upload` audit event.
    """
    return _upload(SubjectType.pool_loan, pool_loan_id)


@blp.post("/claims/<int:claim_id>/documents")
@access(documents.upload)
@blp.response(201, DocumentSchema)
@blp.doc(**_UPLOAD_DOC)
def upload_claim_document(claim_id: int):  # noqa: ANN201
    """Attach a document to a claim (its bank's officer, staff), e.g. `claim_application`, `overdue_evidence`.

    The same form and checks as a bridge loan's upload. Another bank's claim → 404. Writes an `upload` audit event.
    """
    return _upload(SubjectType.claim, claim_id)


@blp.post("/enterprises/<int:enterprise_id>/documents")
@access(documents.upload)
@blp.response(201, DocumentSchema)
@blp.doc(**_UPLOAD_DOC)
def upload_enterprise_document(enterprise_id: int):  # noqa: ANN201
    """Attach a document to an enterprise (master data: shared by every bank, like the enterprise).

    The same form and checks as a bridge loan's upload. Writes an `upload` audit event.
    """
    return _upload(SubjectType.enterprise, enterprise_id)


@blp.get("/bridge-loans/<int:loan_id>/documents")
@access(documents.list_documents)
@blp.arguments(DocumentListArgs, location="query")
@blp.response(200, page_of(DocumentSchema))
@export.exportable(DocumentSchema, export.DOCUMENTS)
def list_bridge_loan_documents(args: dict, loan_id: int):  # noqa: ANN201
    """List a bridge loan's documents, every version, newest first.

    Filter by `kind`. Another bank's record answers 404 to an officer. Changes nothing.
    """
    return _list(SubjectType.bridge_loan, loan_id, args)


@blp.get("/pool-loans/<int:pool_loan_id>/documents")
@access(documents.list_documents)
@blp.arguments(DocumentListArgs, location="query")
@blp.response(200, page_of(DocumentSchema))
@export.exportable(DocumentSchema, export.DOCUMENTS)
def list_pool_loan_documents(args: dict, pool_loan_id: int):  # noqa: ANN201
    """List a pool loan's documents, every version, newest first.

    Filter by `kind`. Another bank's record answers 404 to an officer. Changes nothing.
    """
    return _list(SubjectType.pool_loan, pool_loan_id, args)


@blp.get("/claims/<int:claim_id>/documents")
@access(documents.list_documents)
@blp.arguments(DocumentListArgs, location="query")
@blp.response(200, page_of(DocumentSchema))
@export.exportable(DocumentSchema, export.DOCUMENTS)
def list_claim_documents(args: dict, claim_id: int):  # noqa: ANN201
    """List a claim's documents, every version, newest first.

    Filter by `kind`. Another bank's record answers 404 to an officer. Changes nothing.
    """
    return _list(SubjectType.claim, claim_id, args)


@blp.get("/enterprises/<int:enterprise_id>/documents")
@access(documents.list_documents)
@blp.arguments(DocumentListArgs, location="query")
@blp.response(200, page_of(DocumentSchema))
@export.exportable(DocumentSchema, export.DOCUMENTS)
def list_enterprise_documents(args: dict, enterprise_id: int):  # noqa: ANN201
    """List an enterprise's documents, every version, newest first.

    Filter by `kind`. Shared by every bank, like the enterprise. Changes nothing.
    """
    return _list(SubjectType.enterprise, enterprise_id, args)


@blp.get("/documents/<int:document_id>")
@access(documents.get_document)
@blp.response(200, DocumentSchema)
def get_document(document_id: int):  # noqa: ANN201
    """Show a document's record: kind, filename, type, size, SHA-256, version, who uploaded it and when.

    Scoped like the record it is attached to (another bank's → 404). Changes nothing.
    """
    return documents.get_document(session(), actor(), document_id)


@blp.get("/documents/<int:document_id>/content")
@access(documents.document_content)
@blp.doc(**_CONTENT_DOC)
def document_content(document_id: int) -> Response:
    """Download a document's bytes, streamed from the database, as an attachment.

    Scoped like the record it is attached to (another bank's → 404). The bytes are checked against the recorded
    SHA-256 as they are sent. Changes nothing.
    """
    doc, chunks = documents.document_content(session(), actor(), document_id, db().sessionmaker)
    return document_download(doc, chunks)
