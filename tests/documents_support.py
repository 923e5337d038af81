"""Shared helpers for the document tests: small files of each accepted type (and hostile ones), an upload call."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from decimal import Decimal
from typing import Any

#: A small valid PDF (one empty page).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


XLSX = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
XLSM = zip_of({"[Content_Types].xml": b"<Types application.vnd.ms-excel.sheet.macroEnabled.main+xml/>",
               "xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": b"\0" * 16})
OFD = zip_of({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})
PDF_JS = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>")
PDF_JS_ESCAPED = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/Names<</J#61vaScript 9 0 R>>")
#: The JavaScript action inside a Flate-compressed object stream (a PDF 1.5 file hides dictionaries there).
PDF_JS_COMPRESSED = PDF.replace(b"trailer", b"4 0 obj<</Type/ObjStm/Filter/FlateDecode>>stream\n"
                                + zlib.compress(b"<</S/JavaScript/JS(app.alert(1))>>") + b"\nendstream endobj\ntrailer")


def upload(client: Any, path: str, headers: dict[str, str], data: bytes = PDF, *, kind: str = "renewal_commitment",
           filename: str = "letter.pdf", **form: str) -> Any:
    body: dict[str, Any] = {"file": (io.BytesIO(data), filename), "kind": kind, **form}
    return client.post(f"/api/v1{path}", data=body, headers=headers, content_type="multipart/form-data")


def submit_bridge_loan(f: Any, bank: Any) -> Any:
    """A submitted bridge loan of ``bank`` (through the service, as the system)."""
    from bridgefund.services import bridge_loans
    from bridgefund.services.actor import SYSTEM

    d = dt.date(2020, 2, 8)
    loan = bridge_loans.submit(
        f.session, SYSTEM, enterprise_id=f.make_enterprise().id, bank_id=bank.id, amount=Decimal("1000000.00"),
        term_days=7, maturing_loan={"contract_no": f"HT-{f._next()}", "amount": Decimal("1000000.00"), "due_date": d},
        renewal={"amount": Decimal("2000000.00"), "expected_date": d}, today=d, submitted_on=d)
    f.session.commit()
    return loan


def filed_claim(f: Any, bank: Any) -> Any:
    """A filed claim on a pool loan of ``bank`` that never paid (the pool funded, the bank given quota)."""
    from bridgefund.figures.pool import ledger_totals
    from bridgefund.services import bank_terms, claims, pool, pool_loans
    from bridgefund.services.actor import SYSTEM

    today = dt.date(2020, 12, 31)
    if ledger_totals(f.session).contributions == 0:
        pool.contribute(f.session, SYSTEM, today, amount=Decimal("100000000.00"), value_date=dt.date(2019, 6, 28))
    terms = bank_terms.bank_terms_on(f.session, bank, dt.date(2020, 1, 15))
    raised = {"pool_quota": terms.pool_quota + Decimal("10000000.00")}
    bank_terms.change(f.session, None, bank, terms.effective_from, raised, check_dates=False)
    loan = pool_loans.create_pool_loan(
        f.session, SYSTEM, today, enterprise_id=f.make_enterprise().id, bank_id=bank.id,
        contract_no=f"PM-{f._next()}", principal=Decimal("1000000.00"), annual_rate=Decimal("0.0435"),
        start_date=dt.date(2020, 1, 15), term_months=12, repayment_method="equal_principal")
    claim = claims.file_claim(f.session, SYSTEM, today, loan.id, claimed_on=dt.date(2020, 6, 1))
    f.session.commit()
    return claim
