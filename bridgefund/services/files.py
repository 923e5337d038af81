"""The bytes of stored files (documents, archived report PDFs) in the database, written and read in chunks.

:func:`store` writes a file as ``document_chunks`` rows of at most ``CHUNK_BYTES`` while hashing it, inside the
caller's transaction (a rollback leaves nothing behind). :func:`chunks` reads them back one row at a time, for a
download that streams: the response never holds more than one chunk, and checks the SHA-256 as it goes — a mismatch
(which the database's own integrity makes next to impossible) cuts the download off and is logged, so a client never
receives a complete-looking tampered file. It reads on a session of its own, made from the app's session factory,
because a streamed body is sent after the request's own session has closed — a short one per chunk, so no
database connection is held while a slow client reads.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from typing import BinaryIO

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bridgefund.models.document import CHUNK_BYTES, FileChunk, StoredFile

log = logging.getLogger(__name__)


class FileCorrupted(RuntimeError):
    """A stored file's chunks do not hash to its recorded SHA-256 (the download is cut off)."""


def store(session: Session, f: BinaryIO) -> StoredFile:
    """Store the bytes of ``f`` (read from where it stands to its end) as a new file; flushed, with its id."""
    stored = StoredFile(sha256="0" * 64, byte_size=0, chunk_count=0)
    session.add(stored)
    session.flush()
    digest, size, seq = hashlib.sha256(), 0, 0
    while piece := f.read(CHUNK_BYTES):
        digest.update(piece)
        size += len(piece)
        # A Core insert: the chunk is not kept in the session's identity map (one chunk in memory at a time).
        session.execute(insert(FileChunk).values(file_id=stored.id, seq=seq, data=piece))
        seq += 1
    stored.sha256, stored.byte_size, stored.chunk_count = digest.hexdigest(), size, seq
    session.flush()
    return stored


def store_bytes(session: Session, data: bytes) -> StoredFile:
    """Store ``data`` (a rendered PDF already in memory) as a new file."""
    return store(session, io.BytesIO(data))


def chunks(sessions: Callable[[], Session], file_id: int, sha256: str) -> Iterator[bytes]:
    """The file's bytes, one chunk at a time, read on a session of its own; raises :class:`FileCorrupted` at the
    end if they do not hash to ``sha256`` (the client sees a cut-off transfer, never a clean end)."""
    digest = hashlib.sha256()
    seq = 0
    while True:
        # Each chunk on a short session of its own: no connection is held while a slow client reads the last one.
        with sessions() as session:
            data = session.scalar(select(FileChunk.data).where(FileChunk.file_id == file_id, FileChunk.seq == seq))
            session.rollback()
        if data is None:
            break
        data = bytes(data)
        digest.update(data)
        yield data
        seq += 1
    if digest.hexdigest() != sha256:
        log.error("stored file %s does not match its SHA-256 %s", file_id, sha256)
        raise FileCorrupted(f"stored file {file_id} does not match its recorded SHA-256")


def digest(session: Session, file_id: int) -> str:
    """The SHA-256 of a stored file's bytes as they are now (one chunk in memory at a time)."""
    h = hashlib.sha256()
    for (data,) in session.execute(select(FileChunk.data).where(FileChunk.file_id == file_id)
                                   .order_by(FileChunk.seq).execution_options(yield_per=1)):
        h.update(bytes(data))
    return h.hexdigest()


def read_all(session: Session, file_id: int) -> bytes:
    """A whole stored file (exports to disk and small files only: downloads stream with :func:`chunks`)."""
    return b"".join(bytes(d) for d in session.scalars(
        select(FileChunk.data).where(FileChunk.file_id == file_id).order_by(FileChunk.seq)))
