"""Documents through the HTTP API (issue 15; API.md "Second round"): upload to loans, claims and enterprises,
versions, the type judged from the bytes, hostile files refused, bank scoping, streamed download from the database."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from bridgefund.models import AuditEvent, Document
from bridgefund.models.document import CHUNK_BYTES, FileChunk
from tests.api_support import assert_problem
from tests.documents_support import (
    JPEG,
    OFD,
    PDF,
    PDF_JS,
    PDF_JS_COMPRESSED,
    PDF_JS_ESCAPED,
    PNG,
    XLSM,
    XLSX,
    submit_bridge_loan,
    upload,
)


@pytest.fixture
def world(factory):  # noqa: ANN001, ANN201
    bank, other = factory.make_bank(), factory.make_bank()
    w = type("W", (), {})()
    w.bank, w.other = bank, other
    w.officer = factory.as_role("bank_officer", bank)
    w.other_officer = factory.as_role("bank_officer", other)
    w.manager = factory.as_role("fund_manager")
    w.auditor = factory.as_role("auditor")
    w.loan = submit_bridge_loan(factory, bank)
    factory.commit()
    return w


def test_upload_list_download_and_versions(client, world, db):  # noqa: ANN001
    path = f"/bridge-loans/{world.loan.id}/documents"
    events = db.scalar(select(func.count(AuditEvent.id)))
    r = upload(client, path, world.officer, PDF, filename="../../etc/续贷承诺函\u202e.exe.pdf", note=" 原件扫描 ")
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["kind"] == "renewal_commitment" and first["version"] == 1 and first["size"] == len(PDF)
    assert first["sha256"] == hashlib.sha256(PDF).hexdigest() and first["content_type"] == "application/pdf"
    assert first["filename"] == "续贷承诺函.exe.pdf" and first["note"] == "原件扫描"
    assert r.headers["Location"].endswith(f"/documents/{first['id']}")
    assert db.scalar(select(func.count(AuditEvent.id))) == events + 1
    second = upload(client, path, world.officer, PNG, filename="scan.png").get_json()
    assert second["version"] == 2 and second["content_type"] == "image/png"
    listed = client.get(f"/api/v1{path}", headers=world.manager).get_json()
    assert [d["version"] for d in listed["items"]] == [2, 1] and listed["total"] == 2
    r = client.get(f"/api/v1/documents/{first['id']}/content", headers=world.auditor)
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert "\n" not in disposition and "/" not in disposition.split("filename*")[0]
    assert client.get(f"/api/v1/documents/{second['id']}", headers=world.officer).get_json()["version"] == 2


@pytest.mark.parametrize(("data", "name", "content_type"), [
    (JPEG, "photo.jpeg", "image/jpeg"), (XLSX, "sheet.pdf", "application/vnd.openxmlformats-officedocument."
                                                            "spreadsheetml.sheet"),
    (OFD, "invoice.ofd", "application/ofd"), (PNG, "noext", "image/png")])
def test_type_is_judged_from_the_bytes(client, world, data, name, content_type):  # noqa: ANN001
    r = upload(client, f"/bridge-loans/{world.loan.id}/documents", world.officer, data, filename=name, kind="other")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["content_type"] == content_type and body["filename"].rsplit(".", 1)[-1] in ("jpg", "xlsx", "ofd",
                                                                                           "png")


@pytest.mark.parametrize("data", [PDF_JS, PDF_JS_ESCAPED, PDF_JS_COMPRESSED, XLSM, b"MZ\x90\x00 not a document",
                                  b"<html><script>alert(1)</script></html>", b"PK\x03\x04 broken zip", b""])
def test_hostile_or_unknown_files_are_refused_and_change_nothing(client, world, db, data):  # noqa: ANN001
    before = (db.scalar(select(func.count(Document.id))), db.scalar(select(func.count(AuditEvent.id))))
    r = upload(client, f"/bridge-loans/{world.loan.id}/documents", world.officer, data, filename="x.pdf")
    assert_problem(r, 422, "file")
    assert (db.scalar(select(func.count(Document.id))), db.scalar(select(func.count(AuditEvent.id)))) == before


def test_bad_form_fields(client, world):  # noqa: ANN001
    path = f"/bridge-loans/{world.loan.id}/documents"
    assert_problem(upload(client, path, world.officer, kind="passport"), 422, "kind")
    assert_problem(upload(client, path, world.officer, note="a\u200bb"), 422, "note")
    r = client.post(f"/api/v1{path}", data={"kind": "other"}, headers=world.officer, content_type="multipart/form-data")
    assert_problem(r, 422, "file")
    r = client.post(f"/api/v1{path}", json={"kind": "other"}, headers=world.officer)
    assert_problem(r, 415)


def test_too_large_is_413(client, world):  # noqa: ANN001
    data = PDF + b"0" * (20 * 1024 * 1024)
    r = upload(client, f"/bridge-loans/{world.loan.id}/documents", world.officer, data)
    assert_problem(r, 413)


def test_another_banks_documents_are_not_found(client, world):  # noqa: ANN001
    path = f"/bridge-loans/{world.loan.id}/documents"
    doc = upload(client, path, world.officer).get_json()
    assert_problem(upload(client, path, world.other_officer), 404)
    assert_problem(upload(client, path, world.other_officer, kind=""), 404)
    assert_problem(client.get(f"/api/v1{path}", headers=world.other_officer), 404)
    assert_problem(client.get(f"/api/v1/documents/{doc['id']}", headers=world.other_officer), 404)
    assert_problem(client.get(f"/api/v1/documents/{doc['id']}/content", headers=world.other_officer), 404)
    assert_problem(upload(client, path, world.auditor), 403)


def test_enterprise_documents_are_shared_like_the_enterprise(client, world, factory):  # noqa: ANN001
    ent = factory.make_enterprise()
    factory.commit()
    doc = upload(client, f"/enterprises/{ent.id}/documents", world.officer, kind="other").get_json()
    r = client.get(f"/api/v1/documents/{doc['id']}/content", headers=world.other_officer)
    assert r.status_code == 200 and r.data == PDF
    assert_problem(upload(client, "/enterprises/999999/documents", world.officer), 404)


def test_a_large_file_is_stored_in_chunks_and_streamed_back(client, world, db):  # noqa: ANN001
    data = PDF + bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 7)
    body = upload(client, f"/bridge-loans/{world.loan.id}/documents", world.officer, data).get_json()
    doc = db.get(Document, body["id"])
    sizes = db.scalars(select(func.length(FileChunk.data)).where(FileChunk.file_id == doc.file_id)
                       .order_by(FileChunk.seq)).all()
    assert len(sizes) == 3 and max(sizes) == CHUNK_BYTES and sum(sizes) == len(data)
    r = client.get(f"/api/v1/documents/{doc.id}/content", headers=world.manager)
    assert r.data == data and r.headers["Content-Length"] == str(len(data))


def test_export_files_writes_copies_of_reports_and_documents(app, client, world, db, tmp_path):  # noqa: ANN001
    from bridgefund.models import Report
    from bridgefund.services import files

    doc = upload(client, f"/bridge-loans/{world.loan.id}/documents", world.officer, PNG, filename="scan.png",
                 kind="application").get_json()
    stored = files.store_bytes(db, b"%PDF-1.7 report")
    db.add(Report(kind="monthly", period="2020-03", lang="zh", version=90, sha256=stored.sha256,
                  path="monthly/2020-03/monthly-2020-03-zh-v90.pdf", byte_size=stored.byte_size, file_id=stored.id))
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-files", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "monthly/2020-03/monthly-2020-03-zh-v90.pdf").read_bytes() == b"%PDF-1.7 report"
    assert (tmp_path / f"documents/bridge_loan/{world.loan.id}/application-v1-scan.png").read_bytes() == PNG
    assert doc["filename"] == "scan.png"
    again = runner.invoke(args=["export-files", "--to", str(tmp_path)])
    assert again.exit_code == 0 and " 0 written" in again.output
