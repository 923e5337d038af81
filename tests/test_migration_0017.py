"""Migration 0017 moves the archived report PDFs from the reports directory into the database (issue 15): each
file whose bytes match its row's SHA-256 becomes a stored file in chunks; a missing or altered file is left out
(its download answers 410); downgrading writes the stored PDFs back into the directory."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from bridgefund.db import make_engine
from bridgefund.migrate import downgrade, upgrade

NOW = "2020-01-01 00:00:00"


def _report(conn, rid: int, path: str, data: bytes) -> None:  # noqa: ANN001
    conn.execute(text(
        "INSERT INTO reports (id, kind, period, lang, version, sha256, path, byte_size, created_at) VALUES "
        f"({rid}, 'monthly', '2020-03', 'zh', {rid}, :sha, :path, :size, '{NOW}')"),
        {"sha": hashlib.sha256(data).hexdigest(), "path": path, "size": len(data)})


def test_0017_reads_the_archive_into_the_database_and_back(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    reports = tmp_path / "reports"
    monkeypatch.setenv("BRIDGEFUND_REPORTS_DIR", str(reports))
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    upgrade(url, "0011_pool_money")
    good = b"%PDF-1.7 " + bytes(range(256)) * 5000  # > 1 MiB: two chunks
    (reports / "monthly" / "2020-03").mkdir(parents=True)
    (reports / "monthly/2020-03/v1.pdf").write_bytes(good)
    (reports / "monthly/2020-03/v2.pdf").write_bytes(b"%PDF-1.7 altered")
    eng = make_engine(url)
    with eng.begin() as conn:
        _report(conn, 1, "monthly/2020-03/v1.pdf", good)
        _report(conn, 2, "monthly/2020-03/v2.pdf", b"%PDF-1.7 original")
        _report(conn, 3, "monthly/2020-03/v3.pdf", b"%PDF-1.7 never written")
    eng.dispose()
    upgrade(url, "0017_documents")
    eng = make_engine(url)
    with eng.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, file_id FROM reports")).all())
        assert rows[2] is None and rows[3] is None and rows[1] is not None
        chunks = conn.execute(text("SELECT data FROM document_chunks WHERE file_id = :f ORDER BY seq"),
                              {"f": rows[1]}).scalars().all()
        assert len(chunks) == 2 and b"".join(chunks) == good
        stored = conn.execute(text("SELECT sha256, byte_size, chunk_count FROM stored_files")).one()
        assert stored == (hashlib.sha256(good).hexdigest(), len(good), 2)
    eng.dispose()
    (reports / "monthly/2020-03/v1.pdf").unlink()
    downgrade(url, "0011_pool_money")
    assert (reports / "monthly/2020-03/v1.pdf").read_bytes() == good
    upgrade(url, "0017_documents")
