"""The documents section of a record's page — a bridge loan, a pool loan, a claim, an enterprise: every version with
its download link, the required-documents checklist where the record has one, and the upload form. One partial
template (``console/partials/documents.html``) and these helpers serve the four pages.

An upload goes through the API's own service (``documents.upload``): the same checks (the type judged from the
bytes, 20 MiB, no PDF with JavaScript, the record's bank), the same kind again a new version. It is sent once (the
form's one-time key) and checked for CSRF like every console POST; a refusal shows the record's page again with the
error beside the field, its status 4xx, and nothing stored (the request rolls back). Another bank's record is the
404 page, for the page, the upload and the download.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from bridgefund.console import idempotency
from bridgefund.console.base import bp, current_actor, page
from bridgefund.console.labels import document_kind_name
from bridgefund.console.may import may
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.services import documents
from bridgefund.web import access, db, document_download, session

#: How many versions a page lists (newest first).
LISTED = 200


@dataclass(frozen=True)
class UploadState:
    """What a refused upload shows again: the errors by field, the message, the kind that was chosen."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    detail: str | None = None
    kind: str | None = None


NO_UPLOAD = UploadState()


@dataclass(frozen=True)
class Section:
    """The documents section of one record's page (``docs`` in the partial template)."""

    subject_type: str
    subject_id: int
    upload_url: str
    versions: list[Any]
    uploaders: dict[int, str]
    #: The kinds the record needs before approval (None: the record has no checklist).
    required: list[str] | None
    missing: list[str]
    kinds: tuple[str, ...]
    upload: UploadState

    @property
    def selected_kind(self) -> str | None:
        """The kind the upload form offers first: the one just refused, else the first missing, else ``other``
        where the record has no checklist."""
        if self.upload.kind:
            return self.upload.kind
        if self.missing:
            return self.missing[0]
        return "other" if self.required is None else None


def section(subject_type: str, subject_id: int, *, required: list[str] | None = None,
            missing: list[str] | None = None, upload: UploadState = NO_UPLOAD) -> Section:
    """The section of record ``subject_id`` (scoped like the record: another bank's → 404), with the checklist of
    ``required`` when given (``missing``: the kinds lacking, when the caller has them already)."""
    s, actor = session(), current_actor()
    versions = documents.list_documents(s, actor, subject_type, subject_id, 1, LISTED).items
    if required is not None and missing is None:
        missing = documents.missing(s, subject_type, subject_id, required)
    endpoint, arg = _UPLOADS[subject_type]
    return Section(subject_type=subject_type, subject_id=subject_id,
                   upload_url=url_for(f"console.{endpoint}", **{arg: subject_id}),
                   versions=versions, uploaders=documents.uploader_names(s, versions),
                   required=None if required is None else list(required), missing=list(missing or []),
                   kinds=documents.KINDS, upload=upload)


#: The upload route of each subject type: its endpoint and the name of its id argument.
_UPLOADS: dict[str, tuple[str, str]] = {}
#: ``show(record id, refused upload, status)``: the record's page again with the upload's errors, by endpoint.
_SHOW: dict[str, Callable[[int, UploadState, int], Any]] = {}


def add_upload_route(rule: str, name: str, subject_type: str, page_endpoint: str,
                     show: Callable[[int, UploadState, int], Any]) -> None:
    """``POST rule`` (its one argument the record's id, ``<int:…>``): attach a document to the record; a refusal
    answers ``show(id, state, status)``, the record's page with the errors beside the fields."""

    def view(**args: int) -> Any:
        (subject_id,) = args.values()
        return _upload(subject_type, subject_id, url_for(page_endpoint, **args), show)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = (f"Attach a document to the {subject_type.replace('_', ' ')} (multipart: kind, file, note), "
                    "through the API's upload service: the same checks, the same kind again a new version.")
    bp.add_url_rule(rule, name, access(documents.upload)(view), methods=["POST"])
    _UPLOADS[subject_type] = (name, rule.split("<int:", 1)[1].split(">", 1)[0])
    _SHOW[f"console.{name}"] = show


def _upload(subject_type: str, subject_id: int, page_url: str, show: Callable[[int, UploadState, int], Any]) -> Any:
    actor = current_actor()
    documents.subject_bank(session(), actor, subject_type, subject_id)  # another bank's record: the 404 page
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    upload = request.files.get("file")
    kind = request.form.get("kind") or ""
    try:
        if upload is None or not upload.filename:
            raise RuleViolation.on("file", _("Choose the file to upload."))
        doc = documents.upload(session(), actor, subject_type, subject_id, kind=kind, file=upload.stream,
                               filename=upload.filename, note=request.form.get("note") or None)
    except DomainError as err:
        session().rollback()
        return show(subject_id, UploadState(dict(err.errors or {}), err.detail, kind), err.status)
    flash(_("Uploaded %(kind)s, version %(version)d.", kind=document_kind_name(doc.kind), version=doc.version),
          "success")
    return idempotency.done(page_url + "#documents")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(err: RequestEntityTooLarge) -> Any:
    """A request over the app's 20 MiB limit is refused before its form is read: on an upload route the record's
    page comes back with the error beside the file field (413, nothing stored); elsewhere the error page."""
    show = _SHOW.get(request.endpoint or "")
    actor = current_actor()
    view_args = request.view_args or {}
    if show is None or actor is None or not may(actor, documents.upload) or len(view_args) != 1:
        return page("console/error.html", 413, status=413, detail=err.description, errors={})
    message = _("The file is larger than 20 MiB.")
    (subject_id,) = view_args.values()
    try:  # the page is scoped like any other: another bank's record is the 404 page
        return show(subject_id, UploadState({"file": [message]}, message), 413)
    except DomainError as refused:
        return page("console/error.html", refused.status, status=refused.status, detail=refused.detail, errors={})


@bp.get("/documents/<int:document_id>/content")
@access(documents.document_content)
def download_document(document_id: int) -> Response:
    """A document's bytes as an attachment, scoped like its record (another bank's → the 404 page)."""
    doc, chunks = documents.document_content(session(), current_actor(), document_id, db().sessionmaker)
    return document_download(doc, chunks)
