"""Defects found by probing the merged service as a hostile client (issue 11 review), one test each."""

from __future__ import annotations

import re

import pytest

from tests.pool_support import PoolWorld

API = "/api/v1"
#: A figure printed with more than two decimals or with an exponent: never in anything a client reads.
UGLY = re.compile(r"\d\.\d{3,}|\dE[-+]?\d", re.IGNORECASE)


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def test_a_suspension_reason_prints_the_npl_ratio_and_threshold_as_percentages(world):  # noqa: ANN001
    w = world
    loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    assert w.repay(loan["id"], "104350.00", "2020-02-15").status_code == 201
    w.loan(principal="1000000.00", start_date="2020-02-01")  # so that the bank has principal outstanding
    r = w.post(f"/pool-loans/{loan['id']}/write-off", {"value_date": "2020-09-30", "reason": "破产核销"}, w.officer)
    assert r.status_code == 200, r.get_json()
    bank = w.get(f"/banks/{w.bank.id}", w.officer).get_json()
    assert bank["status"] == "suspended"
    reason = bank["status_reason"]
    assert not UGLY.search(reason), reason
    assert re.search(r"NPL ratio \d+(\.\d+)?% on 2020-09-30 exceeds the threshold 5%$", reason), reason


def test_a_refused_recovery_on_a_written_off_loan_names_no_code_module(world):  # noqa: ANN001
    w = world
    loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    r = w.post(f"/pool-loans/{loan['id']}/write-off", {"value_date": "2020-09-30", "reason": "破产核销"}, w.officer)
    assert r.status_code == 200, r.get_json()
    r = w.post(f"/pool-loans/{loan['id']}/recoveries",
               {"amount": "10.00", "value_date": "2020-10-01", "external_ref": "RC-1"}, w.officer)
    body = r.get_json()
    assert r.status_code == 409 and "status" in body["errors"], body
    assert "services." not in body["detail"] and "written off" in body["detail"], body


# --- the import: a small upload that unpacks into a sheet too big to parse in time ------------------


def _workbook(rows: list[list], *, dimension: str | None = None, filler: str = "") -> bytes:
    """An XLSX of the template's columns and ``rows``; ``dimension`` overrides the sheet's stated size,
    ``filler`` is raw XML appended to the sheet's data (it compresses to almost nothing)."""
    import io
    import zipfile

    import openpyxl

    from tests.pool_support import IMPORT_HEADERS as HEADERS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                if dimension is not None:
                    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', xml)
                xml = xml.replace("</sheetData>", filler + "</sheetData>")
                data = xml.encode()
            zf.writestr(name, data)
    return out.getvalue()


def _upload(w: PoolWorld, data: bytes):  # noqa: ANN202
    import io

    return w.client.post(f"{API}/pool-loans/import", data={"file": (io.BytesIO(data), "loans.xlsx")},
                         headers=w.officer, content_type="multipart/form-data")


def test_a_small_xlsx_that_unpacks_to_a_huge_sheet_is_413_before_it_is_parsed(world, db):  # noqa: ANN001
    # 300 KB on the wire, a 20 MB sheet of blank cells whose stated dimension covers them all: parsing it took
    # longer than gunicorn's 30 s worker timeout at 95 MB (the worker was killed: an HTML 500)
    row = "<row>" + '<c t="inlineStr"><is><t> </t></is></c>' * 200 + "</row>"
    data = _workbook([], dimension="A1:GR3000", filler=row * (20_000_000 // len(row)))
    assert len(data) < 1_000_000
    from tests.pool_support import counts

    before = counts(db)
    r = _upload(world, data)
    assert r.status_code == 413, r.get_json()
    assert r.content_type == "application/problem+json" and "file" in r.get_json()["errors"]
    assert counts(db) == before


def test_an_xlsx_whose_stated_dimension_is_stale_imports_every_row_not_the_first_few(world, db):  # noqa: ANN001
    # some writers leave <dimension ref="A1:I2"/> (or "A1") whatever the sheet holds; openpyxl's read-only mode
    # believed it and the import stored the first row and silently dropped the others
    import datetime as dt

    from sqlalchemy import func, select

    from bridgefund.models import PoolLoan

    rows = [[world.enterprise.uscc, f"DIM-{i}", 100000.0, 0.04, dt.date(2020, 2, 10), 6, "等额本金", None, None]
            for i in range(3)]
    r = _upload(world, _workbook(rows, dimension="A1:I2"))
    assert r.status_code == 201, r.get_json()
    assert db.scalar(select(func.count()).select_from(PoolLoan).where(PoolLoan.contract_no.like("DIM-%"))) == 3


# --- bodies: a member named twice -----------------------------------------------------------------------


def test_a_json_body_that_names_a_member_twice_is_400_and_books_nothing(client, db, factory):  # noqa: ANN001
    # {"amount": "1.00", ..., "amount": "2000000.00"} booked 2,000,000.00 (the last one wins in Python, the first
    # in other parsers: a reviewer, log or gateway reading the first saw another amount than the one booked)
    from tests.conftest import audit_count

    admin = factory.as_role("admin")
    n = audit_count(db)
    raw = '{"amount": "1.00", "value_date": "2020-06-30", "amount": "2000000.00"}'
    r = client.post(f"{API}/pool/contributions", data=raw, content_type="application/json", headers=admin)
    assert r.status_code == 400, r.get_json()
    body = r.get_json()
    assert r.mimetype == "application/problem+json" and "body" in body["errors"] and "amount" in body["detail"], body
    assert audit_count(db) == n


# --- text that prints as nothing -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u3164", "\u2800\u2800", "示例\u3164公司", "\u115f\u1160", "\uffa0", "公司\ufffe",
                                  "公司\U0010ffff", "公司\ufdd0"])
def test_names_of_fillers_that_print_blank_or_of_noncharacters_are_422(client, db, factory, name):  # noqa: ANN001
    # U+3164 (Hangul filler) and U+2800 (braille blank) are letters and symbols to Unicode but print as blank
    # space: "ㅤ" was stored as an enterprise's and a guarantor's name; noncharacters are not text to interchange
    from bridgefund.finance.uscc import demo_uscc
    from tests.conftest import audit_count

    officer = factory.as_role("bank_officer", factory.make_bank())
    admin = factory.as_role("admin")
    n = audit_count(db)
    r = client.post(f"{API}/enterprises", headers=officer,
                    json={"uscc": demo_uscc(31_000_000), "name": name, "size": "small", "in_zone": True})
    assert r.status_code == 422 and "name" in r.get_json()["errors"], r.get_json()
    r = client.post(f"{API}/guarantors", headers=admin, json={"name": name, "guarantee_share": "0.10"})
    assert r.status_code == 422 and "name" in r.get_json()["errors"], r.get_json()
    assert audit_count(db) == n


def test_ordinary_names_still_pass(client, factory):  # noqa: ANN001
    from bridgefund.finance.uscc import demo_uscc

    officer = factory.as_role("bank_officer", factory.make_bank())
    for i, name in enumerate(["郑州𠀀𪚥科技有限公司", "한국상사 유한회사", "Café Zhengzhou Ltd."]):
        r = client.post(f"{API}/enterprises", headers=officer,
                        json={"uscc": demo_uscc(32_000_000 + i), "name": name, "size": "small", "in_zone": True})
        assert r.status_code == 201, r.get_json()


# --- date bounds: a month that ended before the fund existed ----------------------------------------------


@pytest.mark.parametrize("period", ["0001-01", "1899-12", "1999-12"])
def test_closing_a_month_that_ended_before_the_fund_was_established_is_422(client, db, factory, period):  # noqa: ANN001
    # "0001-01" and "1999-12" (the default established_on is 2000-01-01) were closed with 201 and an audit event
    from tests.conftest import audit_count

    admin = factory.as_role("admin")
    n = audit_count(db)
    r = client.post(f"{API}/periods/{period}/close", headers=admin)
    assert r.status_code == 422 and "period" in r.get_json()["errors"], r.get_json()
    assert audit_count(db) == n
    assert client.get(f"{API}/periods", headers=admin).get_json()["total"] == 0
    r = client.post(f"{API}/periods/2000-01/close", headers=admin)  # the first month of the fund closes
    assert r.status_code == 201, r.get_json()


# --- the write-off: what a written-off loan says is due ------------------------------------------------


def test_a_written_off_loan_shows_nothing_due_as_it_takes_no_repayments(world):  # noqa: ANN001
    # after the write-off: payoff_amount 0.00, principal_outstanding 0.00, repayments refused (409), yet amount_due
    # still showed the written-off principal with its interest and penalty (29,965,016.80 on the demo's PL-2020-000147)
    from decimal import Decimal

    w = world
    loan = w.loan(principal="1200000.00", start_date="2020-01-15")
    r = w.post(f"/pool-loans/{loan['id']}/write-off", {"value_date": "2020-09-30", "reason": "破产核销"}, w.officer)
    assert r.status_code == 200, r.get_json()
    before = w.get(f"/pool-loans/{loan['id']}", w.officer, as_of="2020-09-29").get_json()
    assert Decimal(before["amount_due"]) > 0
    for as_of in ("2020-09-30", "2020-12-31", "2199-12-31"):
        shown = w.get(f"/pool-loans/{loan['id']}", w.officer, as_of=as_of).get_json()
        assert (shown["amount_due"], shown["payoff_amount"], shown["principal_outstanding"]) == \
            ("0.00", "0.00", "0.00"), (as_of, shown["amount_due"])
    r = w.repay(loan["id"], "10.00", "2020-10-01")
    assert r.status_code == 409


# --- tokens: an unknown username must cost what a known one costs -------------------------------------------


def test_a_login_for_an_unknown_username_hashes_nothing_once_warm(client, app, monkeypatch):  # noqa: ANN001
    # _DUMMY_HASHES.setdefault(key, hasher.hash(...)) computed a fresh Argon2 hash on every call (the default
    # argument is evaluated first): an unknown username took a hash and a verification, about twice as long as a
    # known one (0.45-0.6 s against 0.22-0.33 s on the demo server), which tells which usernames exist
    hasher = app.extensions["bridgefund.auth"].hasher
    calls = []
    real_hash = type(hasher).hash

    def counting_hash(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(1)
        return real_hash(self, *args, **kwargs)

    monkeypatch.setattr(type(hasher), "hash", counting_hash)
    body = {"username": "nobody-at-all", "password": "Whatever-2020"}
    assert client.post(f"{API}/auth/token", json=body).status_code == 401  # may compute the one dummy hash
    calls.clear()
    for _ in range(3):
        assert client.post(f"{API}/auth/token", json=body).status_code == 401
    assert calls == []


# --- path ids: ASCII digits only -----------------------------------------------------------------------------


@pytest.mark.parametrize("zero", ["\uff10", "\u0660", "\u06f0", "\u0966"])  # full-width, Arabic-Indic, …
def test_a_path_id_in_other_digits_is_not_an_alias_of_the_record(client, factory, zero):  # noqa: ANN001
    # GET /banks/１ (full-width), /enterprises/١ (Arabic-Indic) … answered record 1: werkzeug's \d matches every
    # Unicode digit, so each record had many URLs (a path rule in a gateway or cache saw another URL than the app)
    from urllib.parse import quote

    bank = factory.make_bank()
    officer = factory.as_role("bank_officer", bank)
    ent = factory.make_enterprise()
    assert client.get(f"{API}/banks/{bank.id}", headers=officer).status_code == 200
    for kind, record_id in (("banks", bank.id), ("enterprises", ent.id)):
        alias = f"/{kind}/" + "".join(chr(ord(zero) + int(d)) for d in str(record_id))
        r = client.get(API + quote(alias), headers=officer)
        assert r.status_code == 404, (alias, r.status_code)
        assert r.mimetype == "application/problem+json"
