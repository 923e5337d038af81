"""Documents: the papers attached to bridge loans, pool loans, claims and enterprises, and the required-document
checklists that approvals enforce (DOMAIN.md "Documents").

Scoping follows the record: an officer uploads to, lists and downloads the documents of their own bank's loans and
claims only (another bank's → 404, like the record); an enterprise is master data shared by every bank, and so are
its documents. Each upload checks the bytes (``parsing.upload``), stores them in the database in chunks
(``services.files``), becomes the next version of its kind on that record, and writes an ``upload`` audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.errors import MissingDocuments, NotFound, RuleViolation
from bridgefund.models import BridgeLoan, Claim, Enterprise, FundSettings, PoolLoan, PoolSettings, Role, User
from bridgefund.models import document as document_model
from bridgefund.models.document import Document, DocumentKind, SubjectType
from bridgefund.parsing.upload import inspect_upload, safe_filename
from bridgefund.services import audit, files
from bridgefund.services.actor import Actor
from bridgefund.services.common import Page, paginate
from bridgefund.text import BadText, clean

ENTITY = "document"
KINDS = tuple(k.value for k in DocumentKind)
_MODELS = {SubjectType.bridge_loan: BridgeLoan, SubjectType.pool_loan: PoolLoan, SubjectType.claim: Claim}
_NAMES = {SubjectType.bridge_loan: "bridge loan", SubjectType.pool_loan: "pool loan", SubjectType.claim: "claim",
          SubjectType.enterprise: "enterprise"}


def check_kinds(kinds: Iterable[str], field: str) -> list[str]:
    """Document kinds as a setting holds them: known kinds, each once, in the order given."""
    out: list[str] = []
    for k in kinds:
        if k not in KINDS:
            raise RuleViolation.on(field, f"{k!r} is not a document kind ({', '.join(KINDS)})")
        if k not in out:
            out.append(k)
    return out


def subject_bank(session: Session, actor: Actor, subject_type: str, subject_id: int) -> int | None:
    """The bank whose record it is (None for an enterprise), if the actor may see the record; 404 otherwise."""
    subject = SubjectType(subject_type)
    if subject is SubjectType.enterprise:
        if session.scalar(select(Enterprise.id).where(Enterprise.id == subject_id)) is None:
            raise NotFound(f"enterprise {subject_id} does not exist")
        return None
    model = _MODELS[subject]
    bank_id = session.scalar(select(model.bank_id).where(model.id == subject_id))
    if bank_id is None or not actor.sees_bank(bank_id):
        raise NotFound(f"{_NAMES[subject]} {subject_id} does not exist")
    return bank_id


@allows(Role.admin, Role.fund_manager, Role.bank_officer)
def upload(session: Session, actor: Actor, subject_type: str, subject_id: int, *, kind: str, file: BinaryIO,
           filename: str | None, note: str | None = None) -> Document:
    """Attach a document to a record (officers: their own bank's), as the next version of its kind."""
    bank_id = subject_bank(session, actor, subject_type, subject_id)
    if kind not in KINDS:
        raise RuleViolation.on("kind", f"must be one of {', '.join(KINDS)}")
    if note is not None:
        try:
            note = clean(note, multiline=True) or None
        except BadText as exc:
            raise RuleViolation.on("note", str(exc)) from None
        if note is not None and len(note) > 500:
            raise RuleViolation.on("note", "at most 500 characters")
    found = inspect_upload(file)
    version = (session.scalar(select(func.max(Document.version)).where(
        Document.subject_type == subject_type, Document.subject_id == subject_id, Document.kind == kind)) or 0) + 1
    stored = files.store(session, file)
    doc = Document(subject_type=subject_type, subject_id=subject_id, bank_id=bank_id, kind=kind, version=version,
                   filename=safe_filename(filename, found.content_type), content_type=found.content_type,
                   byte_size=stored.byte_size, sha256=stored.sha256, note=note, file_id=stored.id,
                   uploaded_by=actor.id)
    session.add(doc)
    session.flush()
    audit.record(session, actor, "upload", ENTITY, doc.id, after=doc.snapshot())
    return doc


@allows(SIGNED_IN)
def list_documents(session: Session, actor: Actor, subject_type: str, subject_id: int, page: int, page_size: int,
                   *, kind: str | None = None, count_limit: int | None = None) -> Page[Document]:
    """A record's documents, every version, newest first (scoped like the record)."""
    subject_bank(session, actor, subject_type, subject_id)
    stmt = select(Document).where(Document.subject_type == subject_type, Document.subject_id == subject_id)
    if kind is not None:
        stmt = stmt.where(Document.kind == kind)
    return paginate(session, stmt.order_by(Document.id.desc()), page, page_size, count_limit=count_limit)


@allows(SIGNED_IN)
def get_document(session: Session, actor: Actor, document_id: int) -> Document:
    """One document's record, scoped like the record it is attached to."""
    doc = session.get(Document, document_id)
    if doc is None or (doc.bank_id is not None and not actor.sees_bank(doc.bank_id)):
        raise NotFound(f"document {document_id} does not exist")
    return doc


@allows(SIGNED_IN)
def document_content(session: Session, actor: Actor, document_id: int,
                     sessions: Callable[[], Session]) -> tuple[Document, Iterator[bytes]]:
    """The document and its bytes as chunks read on a session of ``sessions`` (streamed after the request)."""
    doc = get_document(session, actor, document_id)
    return doc, files.chunks(sessions, doc.file_id, doc.sha256)


def uploader_names(session: Session, docs: Iterable[Document]) -> dict[int, str]:
    """The usernames of the users who uploaded ``docs``, by user id (a page's "uploaded by" column)."""
    ids = {d.uploaded_by for d in docs if d.uploaded_by is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.username).where(User.id.in_(ids)))}


def latest(session: Session, subject_type: str, subject_id: int) -> list[Document]:
    """The latest version of each kind on a record, by kind."""
    newest = (select(Document.kind, func.max(Document.version).label("v"))
              .where(Document.subject_type == subject_type, Document.subject_id == subject_id)
              .group_by(Document.kind).subquery())
    return list(session.scalars(
        select(Document).join(newest, (Document.kind == newest.c.kind) & (Document.version == newest.c.v))
        .where(Document.subject_type == subject_type, Document.subject_id == subject_id).order_by(Document.kind)))


def bridge_required(session: Session) -> list[str]:
    """The kinds a bridge loan needs before approval (fund settings; until set, the defaults)."""
    row = session.get(FundSettings, 1)
    held = None if row is None else row.required_documents
    return list(document_model.DEFAULT_BRIDGE_REQUIRED if held is None else held)


def claim_required(session: Session) -> list[str]:
    """The kinds a claim needs before approval (pool settings; until set, the defaults)."""
    row = session.get(PoolSettings, 1)
    held = None if row is None else row.claim_required_documents
    return list(document_model.DEFAULT_CLAIM_REQUIRED if held is None else held)


def check_complete(session: Session, subject_type: str, subject_id: int, required: Iterable[str]) -> None:
    """409 naming the missing kinds unless the record has a document of every required kind."""
    lacking = missing(session, subject_type, subject_id, required)
    if lacking:
        raise MissingDocuments(
            f"the {_NAMES[SubjectType(subject_type)]} lacks required documents: {', '.join(lacking)}",
            {"documents": [f"required: {k}" for k in lacking]}, missing_documents=lacking)


def missing(session: Session, subject_type: str, subject_id: int, required: Iterable[str]) -> list[str]:
    """The required kinds that have no document on the record yet, in the order required."""
    have = set(session.scalars(select(Document.kind).distinct().where(
        Document.subject_type == subject_type, Document.subject_id == subject_id)))
    return [k for k in required if k not in have]


def summary(session: Session, subject_type: str, subject_id: int, required: Iterable[str]) -> dict[str, Any]:
    """What a record's view shows: the latest document of each kind and the required kinds still missing."""
    return {"documents": latest(session, subject_type, subject_id),
            "missing_documents": missing(session, subject_type, subject_id, required)}
