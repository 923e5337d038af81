"""documents in the database: attached papers, the bytes of every stored file in chunks, the renewal loop,
required documents, archived reports moved from the reports directory into the database

Revision ID: 0017_documents
Revises: 0016_perf
Create Date: 2026-12-02

* ``stored_files`` (sha256, size, chunk count) and ``document_chunks`` (file_id, seq, ≤ 1 MiB of ``bytea``/BLOB
  each): the bytes of documents and archived report PDFs, so no instance needs a local directory.
* ``documents``: a paper attached to a bridge loan, pool loan, claim or enterprise, versioned per kind.
* ``bridge_loans.renewal_*``: the bank's approval and disbursement of the renewal.
* ``fund_settings.required_documents``, ``pool_settings.claim_required_documents`` (null: the defaults).
* ``reports.file_id``: every archived PDF under ``BRIDGEFUND_REPORTS_DIR`` (default ``reports/``) is read into the
  database; a file that is missing or whose bytes no longer match the row's SHA-256 is left out (the row's
  download answers 410 as before, or 409 for the tampered one is lost: it is logged here). The files on disk are
  left in place (``bridgefund export-files`` writes copies again). Downgrading writes the stored PDFs back there.
"""

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0017_documents"
down_revision: str | Sequence[str] | None = "0016_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.0017_documents")
CHUNK_BYTES = 1024 * 1024

_files = sa.table("stored_files", sa.column("id", sa.Integer), sa.column("sha256", sa.String),
                  sa.column("byte_size", sa.Integer), sa.column("chunk_count", sa.Integer),
                  sa.column("created_at", sa.DateTime(timezone=True)))
_chunks = sa.table("document_chunks", sa.column("file_id", sa.Integer), sa.column("seq", sa.Integer),
                   sa.column("data", sa.LargeBinary))
_reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("path", sa.String),
                    sa.column("sha256", sa.String), sa.column("file_id", sa.Integer))


def _reports_dir() -> Path:
    configured = os.environ.get("BRIDGEFUND_REPORTS_DIR", "")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "reports"


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("byte_size >= 0", name=op.f("ck_stored_files_size_not_negative")),
        sa.CheckConstraint("chunk_count >= 0", name=op.f("ck_stored_files_chunks_not_negative")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_stored_files_sha256_hex")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
    )
    op.create_table(
        "document_chunks",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_document_chunks_seq_not_negative")),
        sa.ForeignKeyConstraint(["file_id"], ["stored_files.id"], name=op.f("fk_document_chunks_file_id_stored_files"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_document_chunks")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=160), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("subject_type IN ('bridge_loan', 'pool_loan', 'claim', 'enterprise')",
                           name=op.f("ck_documents_subject_type_known")),
        sa.CheckConstraint("byte_size > 0", name=op.f("ck_documents_size_positive")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_documents_sha256_hex")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_documents_version_positive")),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name=op.f("fk_documents_bank_id_banks")),
        sa.ForeignKeyConstraint(["file_id"], ["stored_files.id"], name=op.f("fk_documents_file_id_stored_files")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_documents_uploaded_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("subject_type", "subject_id", "kind", "version",
                            name="uq_documents_subject_type_subject_id_kind_version"),
    )
    op.create_index("ix_documents_file_id", "documents", ["file_id"])
    # Plain ADD COLUMN (nullable, no default): no table copy on SQLite, whatever points at these tables.
    for name, type_ in (("renewal_approved_on", sa.Date()), ("renewal_approved_amount", sa.BigInteger()),
                        ("renewal_disbursed_on", sa.Date()), ("renewal_disbursed_amount", sa.BigInteger()),
                        ("renewal_contract_no", sa.String(length=64))):
        op.add_column("bridge_loans", sa.Column(name, type_, nullable=True))
    op.add_column("fund_settings", sa.Column("required_documents", sa.JSON(), nullable=True))
    op.add_column("pool_settings", sa.Column("claim_required_documents", sa.JSON(), nullable=True))
    with op.batch_alter_table("reports") as batch_op:  # nothing points at reports: a batch copy is harmless
        batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_reports_file_id_stored_files"), "stored_files", ["file_id"], ["id"])
    _archive_into_database(op.get_bind())


def _archive_into_database(conn: sa.Connection) -> None:
    """Read every archived report PDF into ``stored_files``/``document_chunks`` (checked against its SHA-256)."""
    root = _reports_dir().resolve()
    for report_id, path, sha256 in conn.execute(sa.select(_reports.c.id, _reports.c.path, _reports.c.sha256)).all():
        file = (root / path).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            log.warning("report %s: no archived file at %s; its download stays 410 Gone", report_id, file)
            continue
        data = file.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            log.error("report %s: %s does not match the recorded SHA-256; not imported (download 410)", report_id,
                      file)
            continue
        pieces = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
        file_id = conn.execute(sa.insert(_files).values(
            sha256=sha256, byte_size=len(data), chunk_count=len(pieces),
            created_at=sa.func.current_timestamp()).returning(_files.c.id)).scalar_one()
        for seq, piece in enumerate(pieces):
            conn.execute(sa.insert(_chunks).values(file_id=file_id, seq=seq, data=piece))
        conn.execute(sa.update(_reports).where(_reports.c.id == report_id).values(file_id=file_id))


def _archive_to_directory(conn: sa.Connection) -> None:
    """Write the stored report PDFs back under the reports directory (what the code before 0017 reads)."""
    root = _reports_dir()
    rows = conn.execute(sa.select(_reports.c.path, _reports.c.file_id).where(_reports.c.file_id.is_not(None))).all()
    for path, file_id in rows:
        target = root / path
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        chunks = conn.execute(sa.select(_chunks.c.data).where(_chunks.c.file_id == file_id)
                              .order_by(_chunks.c.seq)).scalars()
        target.write_bytes(b"".join(bytes(c) for c in chunks))


def downgrade() -> None:
    _archive_to_directory(op.get_bind())
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reports_file_id_stored_files"), type_="foreignkey")
        batch_op.drop_column("file_id")
    op.execute(sa.text("ALTER TABLE pool_settings DROP COLUMN claim_required_documents"))
    op.execute(sa.text("ALTER TABLE fund_settings DROP COLUMN required_documents"))
    for name in ("renewal_contract_no", "renewal_disbursed_amount", "renewal_disbursed_on",
                 "renewal_approved_amount", "renewal_approved_on"):
        op.execute(sa.text(f"ALTER TABLE bridge_loans DROP COLUMN {name}"))
    op.drop_index("ix_documents_file_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_chunks")
    op.drop_table("stored_files")
