"""Files kept in the database: the documents attached to loans, claims and enterprises, and the bytes of every
stored file (documents and archived report PDFs) in chunks.

A :class:`StoredFile` is one immutable byte string with its SHA-256 and size; its bytes are the rows of
:class:`FileChunk` (``document_chunks``), at most :data:`CHUNK_BYTES` each, numbered from 0, so a download streams
them one at a time and never holds a whole file in memory. A backup of the database is a backup of every file, and
any instance of the service serves any file: no instance keeps a local directory.

A :class:`Document` is a paper attached to a subject (a bridge loan, a pool loan, a claim or an enterprise): its kind
(``renewal_commitment``, ``application`` …), the sanitised filename, the type found from its bytes, the uploader. The
same kind uploaded again for the same subject is the next version; earlier versions stay.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow

#: The size of one stored chunk (the last chunk of a file may be shorter).
CHUNK_BYTES = 1024 * 1024


class SubjectType(enum.StrEnum):
    """What a document can be attached to."""

    bridge_loan = "bridge_loan"
    pool_loan = "pool_loan"
    claim = "claim"
    enterprise = "enterprise"


class DocumentKind(enum.StrEnum):
    """The papers the fund's rules name (DOMAIN.md "Documents"), and ``other``."""

    renewal_commitment = "renewal_commitment"  # 续贷承诺函 (the bank's renewal commitment letter)
    application = "application"  # 转贷申请书 (the enterprise's application)
    tripartite_agreement = "tripartite_agreement"  # 三方协议 (the three-party agreement)
    claim_application = "claim_application"  # 代偿申请书 (the claim application)
    overdue_evidence = "overdue_evidence"  # 逾期证明 (the overdue evidence)
    other = "other"


#: The papers a bridge loan needs before approval while the fund settings name none (DOMAIN.md "Documents").
DEFAULT_BRIDGE_REQUIRED: tuple[str, ...] = ("renewal_commitment", "application", "tripartite_agreement")
#: The papers a claim needs before approval while the pool settings name none (DOMAIN.md "Documents").
DEFAULT_CLAIM_REQUIRED: tuple[str, ...] = ("claim_application", "overdue_evidence")


class StoredFile(Base):
    """One immutable file: its fingerprint and size; its bytes are its :class:`FileChunk` rows."""

    __tablename__ = "stored_files"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        CheckConstraint("byte_size >= 0", name="size_not_negative"),
        CheckConstraint("chunk_count >= 0", name="chunks_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-case hex SHA-256 of the whole file, checked as it is streamed out.
    sha256: Mapped[str] = mapped_column(String(64))
    #: Size in bytes.
    byte_size: Mapped[int]
    #: How many chunks hold the bytes (numbered 0 … chunk_count − 1).
    chunk_count: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FileChunk(Base):
    """One piece of a stored file's bytes (PostgreSQL ``bytea``, SQLite ``BLOB``)."""

    __tablename__ = "document_chunks"
    __table_args__ = (CheckConstraint("seq >= 0", name="seq_not_negative"),)

    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True)
    #: 0 for the first chunk.
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: At most :data:`CHUNK_BYTES` bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary())


class Document(Base):
    """A paper attached to a bridge loan, pool loan, claim or enterprise; each upload of a kind is a new version."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "kind", "version",
                         name="uq_documents_subject_type_subject_id_kind_version"),
        CheckConstraint("subject_type IN ('bridge_loan', 'pool_loan', 'claim', 'enterprise')",
                        name="subject_type_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("byte_size > 0", name="size_positive"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        Index("ix_documents_file_id", "file_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the document is attached to: ``bridge_loan``, ``pool_loan``, ``claim`` or ``enterprise``.
    subject_type: Mapped[str] = mapped_column(String(16))
    #: The id of that record.
    subject_id: Mapped[int]
    #: The bank whose record it is (null for an enterprise's documents: master data, shared by all banks).
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"))
    #: One of :class:`DocumentKind`.
    kind: Mapped[str] = mapped_column(String(32))
    #: 1 for the first upload of (subject, kind), then 2, 3 …
    version: Mapped[int]
    #: The uploaded filename, sanitised (no path, no control characters, at most 120 characters).
    filename: Mapped[str] = mapped_column(String(160))
    #: The type found from the bytes (never the client's declaration): application/pdf, image/png …
    content_type: Mapped[str] = mapped_column(String(80))
    #: Size in bytes.
    byte_size: Mapped[int]
    #: Lower-case hex SHA-256 of the bytes.
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def snapshot(self) -> dict[str, object]:
        return {"subject_type": self.subject_type, "subject_id": self.subject_id, "kind": self.kind,
                "version": self.version, "filename": self.filename, "content_type": self.content_type,
                "byte_size": self.byte_size, "sha256": self.sha256, "note": self.note}
