"""Reports on the demo story (spring 2020): the monthly report, the archive, bank statements, approval forms.

The demo is loaded once per module inside an outer transaction that is rolled back at the end; each test runs
in a savepoint of it (rolled back too), so tests stay independent while the story and the two rendered
monthly reports (zh and en, archived through ``POST /reports/monthly``) are built only once. Content is checked
through text extraction (pypdf).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from bridgefund.demo import load_demo
from bridgefund.models import AuditEvent, Bank, BridgeLoan, FileChunk, Report, StoredFile
from bridgefund.reports import documents
from bridgefund.reports import service as report_service
from bridgefund.reports.render import RenderError, pct, wan, yuan
from bridgefund.services import files, unit_of_work
from bridgefund.services.actor import SYSTEM
from bridgefund.services.report_data import monthly_report_data
from tests.conftest import Factory
from tests.pdf_support import embedded_fonts

TODAY = "2020-04-15"
MARCH = "2020-03"
AS_OF = "2020-03-31"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeeze(text: str) -> str:
    """Text without whitespace: names and figures that wrap inside a table cell are found whole."""
    return re.sub(r"\s+", "", text)


def without_generation(text: str) -> str:
    """The text minus what legitimately differs between two generations: version numbers and timestamps."""
    text = re.sub(r"第\s*\d+\s*版|Version\s*\d+", "", text)
    return re.sub(r"\d{4}-\d{2}-\d{2}\s*\d{2}:\d{2}", "", text)


class World:
    """The module's shared state: the app, a session on the outer transaction, users, and the two reports."""

    def __init__(self, app: Any, connection: Any, session: Any, reports_dir: Path) -> None:
        self.app = app
        self.connection = connection
        self.session = session
        self.reports_dir = reports_dir
        self.client = app.test_client()
        self.factory = Factory(app, session)
        self.banks = session.scalars(select(Bank).order_by(Bank.id)).all()
        self.admin = self.factory.as_role("admin")
        self.manager = self.factory.as_role("fund_manager")
        self.auditor = self.factory.as_role("auditor")
        self.officer = {b.id: self.factory.as_role("bank_officer", b) for b in self.banks[:2]}
        self.reports: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def world(app, engine, tmp_path_factory) -> Iterator[World]:  # noqa: ANN001
    conn = engine.connect()
    outer = conn.begin()
    database = app.extensions["bridgefund.db"]
    settings = app.config["BRIDGEFUND"]
    saved = (database.sessionmaker, settings.today, settings.reports_dir)
    database.sessionmaker = unit_of_work.sessionmaker(conn, join_transaction_mode="create_savepoint")
    settings.today = TODAY
    settings.reports_dir = str(tmp_path_factory.mktemp("reports"))
    session = database.sessionmaker()
    try:
        load_demo(app, echo=lambda *_: None)
        w = World(app, conn, session, Path(settings.reports_dir))
        for lang in ("zh", "en"):
            r = w.client.post("/api/v1/reports/monthly", json={"period": MARCH, "lang": lang}, headers=w.manager)
            assert r.status_code == 201, r.get_json()
            body = r.get_json()
            pdf = w.client.get(body["download_url"], headers=w.auditor)
            assert pdf.status_code == 200
            w.reports[lang] = {"body": body, "pdf": pdf.data, "text": pdf_text(pdf.data)}
        yield w
    finally:
        session.close()
        database.sessionmaker, settings.today, settings.reports_dir = saved
        outer.rollback()
        conn.close()


@pytest.fixture
def w(world: World) -> Iterator[World]:
    """The world inside a savepoint that is rolled back after the test."""
    world.session.commit()  # end the session's own savepoint: the test's savepoint must be the outer one
    savepoint = world.connection.begin_nested()
    try:
        yield world
    finally:
        world.session.rollback()
        world.session.expire_all()
        if savepoint.is_active:
            savepoint.rollback()


# --- the monthly report agrees with the API ------------------------------------------------------------


def test_report_data_equals_get_fund_and_get_pool(w: World) -> None:
    data = monthly_report_data(w.session, MARCH)
    fund = w.client.get(f"/api/v1/fund?as_of={AS_OF}", headers=w.auditor).get_json()
    pool = w.client.get(f"/api/v1/pool?as_of={AS_OF}", headers=w.auditor).get_json()
    assert fund.keys() <= data["fund"].keys() and pool.keys() <= data["pool"]["position"].keys()
    for mine, theirs in ((data["fund"], fund), (data["pool"]["position"], pool)):
        for key, value in theirs.items():
            if key == "as_of":
                assert mine[key].isoformat() == value == AS_OF
            elif isinstance(value, bool | int):
                assert mine[key] == value, key
            else:
                assert mine[key] == Decimal(value), key  # exact: Decimal against the API's decimal string
    # the story's headline figures
    assert fund["cumulative_disbursed_amount"] == "620450000.00" and fund["cumulative_disbursed_count"] == 74


def test_report_data_adds_up(w: World, count_queries) -> None:  # noqa: ANN001
    data = monthly_report_data(w.session, MARCH)
    fund, month, totals = data["fund"], data["month"], data["bank_totals"]
    before = monthly_report_data(w.session, "2020-02")["fund"]
    assert month["disbursed_amount"] == fund["cumulative_disbursed_amount"] - before["cumulative_disbursed_amount"]
    assert month["disbursed_count"] == len(data["appendix"]["bridge_loans"]) == totals["bridge_month_count"]
    assert sum(r["amount"] for r in data["appendix"]["bridge_loans"]) == month["disbursed_amount"]
    assert totals["bridge_amount"] == fund["cumulative_disbursed_amount"]
    assert totals["bridge_outstanding"] == fund["outstanding_principal"] == data["trend"][-1]["bridge_outstanding"]
    assert totals["bridge_overdue_amount"] == fund["overdue_amount"]
    assert data["overdue"]["amount"] + data["defaults"]["amount"] == fund["overdue_amount"]
    pool = data["pool"]["position"]
    assert totals["pool_outstanding"] == pool["guaranteed_outstanding"] == data["trend"][-1]["pool_outstanding"]
    assert totals["npl_ratio"] == pool["npl_ratio"] and data["pool_npl"]["amount"] == totals["npl_principal"]
    assert totals["claims_paid_amount"] == pool["claims_paid"]
    assert len(data["banks"]) == 12 and len(data["trend"]) == 12
    assert sum(r["principal"] for r in data["appendix"]["pool_loans"]) == data["pool"]["month"]["new_amount"]
    # a constant number of queries: February (39 loans) and March (35 loans, more repayments) cost the same
    with count_queries() as feb:
        monthly_report_data(w.session, "2020-02")
    with count_queries() as mar:
        monthly_report_data(w.session, MARCH)
    assert feb[0] == mar[0] <= 45


def test_pdf_shows_the_api_figures(w: World) -> None:
    fund = w.client.get(f"/api/v1/fund?as_of={AS_OF}", headers=w.auditor).get_json()
    pool = w.client.get(f"/api/v1/pool?as_of={AS_OF}", headers=w.auditor).get_json()
    for lang in ("zh", "en"):
        text = squeeze(w.reports[lang]["text"])
        for key in ("capital", "cash_balance", "outstanding_principal", "cumulative_disbursed_amount",
                    "overdue_amount", "fee_income", "principal_repaid"):
            assert wan(fund[key]) in text, (lang, key)
        assert pct(fund["utilization"]) in text
        for key in ("guaranteed_outstanding", "balance", "contributions", "claims_paid", "recoveries"):
            assert wan(pool[key]) in text, (lang, key)
        assert pct(pool["npl_ratio"]) in text
        # detail tables in yuan: the defaulted loan's outstanding principal and the appendix total
        assert yuan(fund["overdue_amount"]) in text


def test_every_bank_and_chinese_text(w: World) -> None:
    names = [b["name"] for b in w.client.get("/api/v1/banks?page_size=100", headers=w.auditor).get_json()["items"]]
    assert len(names) == 12
    for lang in ("zh", "en"):
        text = squeeze(w.reports[lang]["text"])
        missing = [n for n in names if n not in text]
        assert not missing, (lang, missing)
    zh = w.reports["zh"]["text"]
    for words in ("应急转贷资金月度运行报告", "主要指标", "合作银行情况", "风险补偿资金池", "逾期与违约",
                  "近12个月趋势", "附表"):
        assert words in squeeze(zh), words
    assert "2020年3月" in zh and "万元" in zh
    assert "\ufffd" not in zh and "□" not in zh
    en = w.reports["en"]["text"]
    assert "Monthly Fund Report" in en and "Partner banks" in en and "月度运行报告" not in squeeze(en)


def test_cjk_font_is_embedded(w: World) -> None:
    for lang in ("zh", "en"):
        fonts = embedded_fonts(w.reports[lang]["pdf"])
        assert fonts and all(f is not None for f in fonts.values()), fonts.keys()
        assert {f["name"].getDebugName(1) for f in fonts.values()} == {"Noto Sans CJK SC"}


def test_user_text_is_escaped_in_the_pdf(w: World) -> None:
    """An enterprise name with markup prints as text (autoescape), it does not break the report."""
    loan = _defaulted_loan(w)
    loan.enterprise.name = "<b>坏</b></td></tr></table>&amp; 公司"
    w.session.flush()
    data = report_service.approval_form_data(w.session, report_service.bridge_loans.get(
        w.session, SYSTEM, loan.id, as_of=dt.date(2020, 4, 15)))
    pdf = documents.approval_form_pdf(data, lang="zh", generated_at=dt.datetime(2020, 4, 2, tzinfo=dt.UTC))
    assert "<b>坏</b></td></tr></table>&amp;公司" in squeeze(pdf_text(pdf))


# --- the archive --------------------------------------------------------------------------------------------


def test_archive_record_download_list_and_audit(w: World) -> None:
    body = w.reports["zh"]["body"]
    assert set(body) == {"id", "kind", "bank_id", "draft", "period", "lang", "version", "sha256", "created_at",
                         "download_url"}
    assert (body["kind"], body["bank_id"], body["draft"]) == ("monthly", None, True)  # March is not closed
    assert (body["period"], body["lang"], body["version"]) == (MARCH, "zh", 1)
    assert body["download_url"] == f"/api/v1/reports/{body['id']}/pdf"
    pdf = w.reports["zh"]["pdf"]
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == body["sha256"]
    r = w.client.get(body["download_url"], headers=w.admin)
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data == pdf
    record = w.session.get(Report, body["id"])
    assert files.read_all(w.session, record.file_id) == pdf and record.byte_size == len(pdf)
    assert not _files(w.reports_dir)  # the archive is the database: no instance writes a local file
    assert w.client.get(f"/api/v1/reports/{body['id']}", headers=w.auditor).get_json() == body
    listed = w.client.get(f"/api/v1/reports?period={MARCH}", headers=w.auditor).get_json()
    assert listed["total"] == 2 and {i["lang"] for i in listed["items"]} == {"zh", "en"}
    assert w.client.get("/api/v1/reports?period=2020-02", headers=w.auditor).get_json()["total"] == 0
    events = w.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "report",
                                                        AuditEvent.entity_id == body["id"])).all()
    assert [e.action for e in events] == ["generate"] and events[0].after["sha256"] == body["sha256"]


def test_closed_month_report_never_changes(w: World) -> None:
    before = monthly_report_data(w.session, MARCH)
    assert w.client.post(f"/api/v1/periods/{MARCH}/close", headers=w.admin).status_code == 201
    late = w.client.post("/api/v1/fund/capital", headers=w.admin,
                         json={"amount": "1000.00", "value_date": "2020-03-20", "direction": "in", "note": "late"})
    assert late.status_code == 409  # a closed month takes no new entries
    r = w.client.post("/api/v1/reports/monthly", json={"period": MARCH, "lang": "zh"}, headers=w.admin)
    assert r.status_code == 201 and r.get_json()["version"] == 2
    assert monthly_report_data(w.session, MARCH) == before
    again = w.client.get(r.get_json()["download_url"], headers=w.admin).data
    assert without_generation(pdf_text(again)) == without_generation(w.reports["zh"]["text"])
    assert "第 2 版" in pdf_text(again)


def test_tampered_or_missing_archive(w: World) -> None:
    body = w.reports["en"]["body"]
    record = w.session.get(Report, body["id"])
    file_id = record.file_id
    chunk = w.session.scalars(select(FileChunk).where(FileChunk.file_id == file_id, FileChunk.seq == 0)).one()
    original = bytes(chunk.data)
    middle = len(original) // 2
    w.session.execute(update(FileChunk).where(FileChunk.file_id == file_id, FileChunk.seq == 0).values(
        data=original[:middle] + bytes([original[middle] ^ 1]) + original[middle + 1:]))
    w.session.commit()
    try:
        r = w.client.get(body["download_url"], headers=w.auditor)
        assert r.status_code == 409 and r.content_type == "application/problem+json"
        assert r.get_json()["expected_sha256"] == body["sha256"]
        w.session.execute(update(Report).where(Report.id == record.id).values(file_id=None))
        w.session.commit()
        r = w.client.get(body["download_url"], headers=w.auditor)
        assert r.status_code == 410 and "generate the report again" in r.get_json()["detail"].lower()
    finally:
        w.session.execute(update(FileChunk).where(FileChunk.file_id == file_id, FileChunk.seq == 0).values(
            data=original))
        w.session.execute(update(Report).where(Report.id == record.id).values(file_id=file_id))
        w.session.commit()
    assert w.client.get(body["download_url"], headers=w.auditor).status_code == 200


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_failed_render_leaves_no_record_and_no_file(w: World, monkeypatch) -> None:  # noqa: ANN001
    stored, rows = w.session.scalar(select(func.count(StoredFile.id))), w.session.scalar(select(func.count(Report.id)))

    def broken(*_a: Any, **_k: Any) -> bytes:
        raise RenderError("template exploded")

    monkeypatch.setattr(documents, "monthly_report_pdf", broken)
    r = w.client.post("/api/v1/reports/monthly", json={"period": "2020-02", "lang": "zh"}, headers=w.admin)
    assert r.status_code == 500 and r.get_json()["type"].endswith("render-failed")
    assert w.session.scalar(select(func.count(Report.id))) == rows
    assert w.session.scalar(select(func.count(StoredFile.id))) == stored


def test_row_and_bytes_commit_or_roll_back_together(w: World, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(documents, "monthly_report_pdf", lambda *_a, **_k: b"%PDF-1.7 fake")
    kwargs = {"period": "2020-02", "lang": "en", "today": dt.date(2020, 4, 15), "tz": dt.UTC}
    database = w.app.extensions["bridgefund.db"]

    def count(s: Any) -> tuple[int, int]:
        return s.scalar(select(func.count(Report.id))), s.scalar(select(func.count(StoredFile.id)))

    before = count(w.session)
    with database.sessionmaker() as s:  # rolled back: neither the record nor the bytes
        report = report_service.generate_monthly_report(s, SYSTEM, **kwargs)
        assert report.id is not None and report.file_id is not None
        s.rollback()
    assert count(w.session) == before
    with database.sessionmaker() as s:  # committed: both, the bytes as rendered
        report = report_service.generate_monthly_report(s, SYSTEM, **kwargs)
        s.commit()
        assert files.read_all(s, report.file_id) == b"%PDF-1.7 fake"
    assert count(w.session) == (before[0] + 1, before[1] + 1)
    assert not _files(w.reports_dir)


@pytest.mark.parametrize("body, field", [
    ({"period": "2020-13", "lang": "zh"}, "period"),
    ({"period": "2020-3"}, "period"),
    ({"period": "２０２０-03"}, "period"),
    ({"period": 202003}, "period"),
    ({"period": "2020-04"}, "period"),  # not ended yet (today is 15 April)
    ({"period": "2099-01"}, "period"),
    ({"period": "1899-12"}, "period"),
    ({}, "period"),
    ({"period": "2020-03", "lang": "fr"}, "lang"),
    ({"period": "2020-03", "extra": 1}, "extra"),
])
def test_bad_generate_requests_name_the_field(w: World, body: dict, field: str) -> None:
    r = w.client.post("/api/v1/reports/monthly", json=body, headers=w.manager)
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert field in r.get_json()["errors"], r.get_json()


@pytest.mark.parametrize("url", [
    "/api/v1/reports?period=2020-3", "/api/v1/reports?lang=de", "/api/v1/banks/{bank}/statement.pdf?period=x",
    "/api/v1/banks/{bank}/statement.pdf", "/api/v1/banks/{bank}/statement.pdf?period=2020-03&lang=jp",
    "/api/v1/banks/{bank}/statement.pdf?period=2031-01", "/api/v1/bridge-loans/{loan}/approval-form.pdf?lang=xx",
])
def test_bad_query_arguments_are_422(w: World, url: str) -> None:
    url = url.format(bank=w.banks[0].id, loan=_defaulted_loan(w).id)
    r = w.client.get(url, headers=w.admin)
    assert r.status_code == 422 and r.content_type == "application/problem+json", r.get_json()


def test_who_may_generate_and_read(w: World) -> None:
    officer = next(iter(w.officer.values()))
    for headers in (officer, w.auditor):
        assert w.client.post("/api/v1/reports/monthly", json={"period": MARCH}, headers=headers).status_code == 403
    assert w.client.get("/api/v1/reports", headers=officer).status_code == 403
    assert w.client.get(w.reports["zh"]["body"]["download_url"], headers=officer).status_code == 403
    assert w.client.get("/api/v1/reports/2147483647/pdf", headers=w.admin).status_code == 404


# --- bank statements and approval forms -----------------------------------------------------------------


def test_bank_statement_scoped_and_complete(w: World) -> None:
    own, other = w.banks[0], w.banks[1]
    officer = w.officer[own.id]
    url = f"/api/v1/banks/{own.id}/statement.pdf?period={MARCH}"
    r = w.client.get(url, headers=officer)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = squeeze(pdf_text(r.data))
    data = report_service.bank_statement_data(w.session, own, MARCH)
    assert own.latest_name in text and "合作银行月度对账单" in text
    for row in data["bridge"]["repayments"]:
        assert row["external_ref"] in text and yuan(row["amount"]) in text
    for row in data["pool"]["new_loans"]:
        assert row["reference"] in text
    assert yuan(data["pool"]["outstanding"]) in text and data["pool"]["claims"]  # BOC's paid claim is listed
    assert w.client.get(f"/api/v1/banks/{other.id}/statement.pdf?period={MARCH}", headers=officer).status_code == 404
    assert w.client.get("/api/v1/banks/2147483647/statement.pdf?period=2020-03", headers=w.admin).status_code == 404
    en = w.client.get(f"/api/v1/banks/{other.id}/statement.pdf?period={MARCH}&lang=en", headers=w.auditor)
    assert en.status_code == 200 and "Bank Monthly Statement" in pdf_text(en.data)


def _defaulted_loan(w: World) -> BridgeLoan:
    """The story's one defaulted loan (9,300,000 yuan; two approvals, a partial repayment with penalty)."""
    loan = w.session.scalars(select(BridgeLoan).where(BridgeLoan.status == "defaulted")).one()
    w.session.refresh(loan, ["enterprise"])
    return loan


def test_approval_form_scoped_and_complete(w: World) -> None:
    loan = _defaulted_loan(w)
    url = f"/api/v1/bridge-loans/{loan.id}/approval-form.pdf"
    own_officer = w.officer.get(loan.bank_id) or w.factory.as_role("bank_officer", w.session.get(Bank, loan.bank_id))
    r = w.client.get(url, headers=own_officer)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = squeeze(pdf_text(r.data))
    for words in ("应急转贷资金审批表", loan.reference, loan.enterprise.name, loan.enterprise.uscc,
                  loan.maturing_contract_no, "manager-li", "manager-wang", "材料齐全，同意",
                  documents.rmb_upper(loan.amount), yuan(loan.amount), "0.2‰", "0.4‰", "审批日期", "录入时间"):
        assert words in text, words
    # issue 10 item 9: each approval prints its business date, dated in the 2020 story, not the day of the load
    w.session.refresh(loan, ["approvals"])
    assert loan.approvals and all(a.decided_on <= loan.disbursed_on for a in loan.approvals)
    for a in loan.approvals:
        assert a.decided_on.isoformat() in text, a.decided_on
    other_bank = next(b for b in w.banks if b.id != loan.bank_id)
    other_officer = w.officer.get(other_bank.id) or w.factory.as_role("bank_officer", other_bank)
    assert w.client.get(url, headers=other_officer).status_code == 404
    en = w.client.get(url + "?lang=en", headers=w.auditor)
    assert en.status_code == 200 and "Bridge Loan Approval Form" in pdf_text(en.data)
