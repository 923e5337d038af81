"""Bulk import of pool loans: a real XLSX with good and bad rows, CSV, the template, garbage, the CLI."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from bridgefund.models import PoolLoan
from bridgefund.services import pool_import
from tests.pool_support import PoolWorld, counts

HEADERS = ["企业信用代码", "合同编号", "本金", "年利率", "起始日", "期限(月)", "还款方式", "担保机构", "补偿比例"]


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(world: PoolWorld, data: bytes, name: str = "loans.xlsx", headers: dict | None = None, **form: str):  # noqa: ANN201
    return world.client.post("/api/v1/pool-loans/import", data={"file": (io.BytesIO(data), name), **form},
                             headers=headers or world.officer, content_type="multipart/form-data")


def test_xlsx_with_bad_rows_stores_nothing_and_names_every_error(world, db, factory):  # noqa: ANN001
    import datetime as dt

    uscc = world.enterprise.uscc
    large = factory.make_enterprise(size="large").uscc
    rows = [
        [uscc, "HT-X-1", 1500000, 0.0435, dt.datetime(2020, 3, 2), 12, "等额本息", None, None],       # good (row 2)
        [uscc, "HT-X-2", "2000000.00", "4.5%", "2020-03-05", 24, "等额本金", None, "0.40"],           # good (row 3)
        [uscc, "HT-X-3", 1500000.005, 0.0435, "2020-03-02", 12, "等额本息", None, None],            # 3 decimals
        ["91410100XXXXXXXX00", "HT-X-4", 100, 0.0435, "2020-03-02", 12, "按月付息到期还本", None, None],  # unknown firm
        [uscc, "HT-X-1", 100000, 0.0435, "2020-03-02", 12, "到期一次还本付息", None, None],  # duplicate
        [uscc, "HT-X-6", 100000, 0.09, "2020-03-02", 12, "等额本息", None, None],                  # rate cap
        [uscc, "HT-X-7", 100000, 0.04, "2020-03-02", 12, "每周", None, None],                      # method
        [large, "HT-X-8", 100000, 0.0435, "next week", 0, "等额本息", "不存在的担保", None],            # several
    ]
    before = counts(db)
    r = upload(world, xlsx(rows))
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert set(errors) >= {"row 4.principal", "row 5.enterprise_uscc", "row 6.contract_no", "row 7.annual_rate",
                           "row 8.repayment_method", "row 9.start_date", "row 9.term_months", "row 9.guarantor"}
    assert not any(k.startswith(("row 2.", "row 3.")) for k in errors)
    assert "nothing was imported" in r.get_json()["detail"]
    assert counts(db) == before
    # the good rows alone go in, all of them, with their references
    r = upload(world, xlsx(rows[:2]))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["created"] == 2 and all(ref.startswith("PL-2020-") for ref in body["references"])
    loans = db.scalars(select(PoolLoan).where(PoolLoan.contract_no.in_(["HT-X-1", "HT-X-2"]))
                       .order_by(PoolLoan.contract_no)).all()
    assert [str(loan.annual_rate) for loan in loans] == ["0.04350000", "0.04500000"]
    assert [loan.repayment_method for loan in loans] == ["equal_installment", "equal_principal"]
    assert str(loans[1].pool_share) == "0.40000000"


def test_csv_with_english_headers_and_a_fund_manager_naming_the_bank(world, db):  # noqa: ANN001
    text = ("enterprise_uscc,contract_no,principal,annual_rate,start_date,term_months,repayment_method\n"
            f"{world.enterprise.uscc},CSV-1,800000.00,0.0405,2020/02/10,6,bullet\n"
            f"{world.enterprise.uscc},CSV-2,\"1,200,000.00\",4.05%,2020-02-11,12,interest_only\n")
    r = upload(world, text.encode("gb18030"), "loans.csv")
    assert r.status_code == 201, r.get_json()
    r = upload(world, text.replace("CSV-", "M-").encode(), "loans.csv", headers=world.manager)
    assert r.status_code == 422 and "row 2.bank_id" in r.get_json()["errors"]
    r = upload(world, text.replace("CSV-", "M-").encode(), "loans.csv", headers=world.manager,
               bank_id=str(world.other_bank.id))
    assert r.status_code == 201
    assert db.scalar(select(func.count()).select_from(PoolLoan).where(PoolLoan.bank_id == world.other_bank.id)) == 2


@pytest.mark.parametrize("data,name,status", [
    (b"", "x.csv", 422),
    (b"\x00\x01\x02garbage\xff" * 50, "x.xlsx", 422),
    (b"PK\x03\x04 not really a zip", "x.xlsx", 422),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "x.csv", 422),
    ("企业信用代码,合同编号\n1,2\n".encode(), "x.csv", 422),          # missing columns
    (b"a,b,c\n", "x.csv", 422),
    (",".join(HEADERS).encode(), "x.csv", 422),                      # header only
])
def test_garbage_files_are_problems_never_500(world, db, data, name, status):  # noqa: ANN001
    r = upload(world, data, name)
    assert r.status_code == status, r.get_json()
    assert r.content_type == "application/problem+json" and "file" in r.get_json()["errors"]


def test_a_zip_that_is_not_a_workbook(world):  # noqa: ANN001
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert upload(world, buf.getvalue()).status_code == 422


def test_row_and_size_limits(world, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(pool_import, "MAX_ROWS", 3)
    rows = "\n".join(f"{world.enterprise.uscc},L-{i},1000.00,0.04,2020-02-10,6,bullet" for i in range(5))
    data = (",".join(HEADERS[:7]) + "\n" + rows + "\n").encode()
    r = upload(world, data, "x.csv")
    assert r.status_code == 413 and r.get_json()["errors"]["file"] == ["too many rows"]
    monkeypatch.setattr(pool_import, "MAX_BYTES", 10)
    assert upload(world, data, "x.csv").status_code == 413
    r = world.client.post("/api/v1/pool-loans/import", data={}, headers=world.officer,
                          content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]


def test_template_round_trip(world, db):  # noqa: ANN001
    r = world.client.get("/api/v1/pool-loans/import/template.xlsx", headers=world.officer)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    ws.append([world.enterprise.uscc, "TPL-1", "300000.00", "0.0435", "2020-02-10", 3, "等额本金", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(world, buf.getvalue())
    assert r.status_code == 201, r.get_json()


def test_cli_import(app, world, db, tmp_path):  # noqa: ANN001
    path = tmp_path / "loans.xlsx"
    path.write_bytes(xlsx([[world.enterprise.uscc, "CLI-1", 500000, 0.0435, "2020-02-10", 12, "等额本息", None, None]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-pool-loans", str(path), "--bank", world.bank.code])
    assert result.exit_code == 0, result.output
    assert "imported 1 pool loans" in result.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([[world.enterprise.uscc, "CLI-2", 500000, 0.0435, "2020-02-10", 0, "等额本息", None, None]]))
    result = runner.invoke(args=["import-pool-loans", str(bad), "--bank", world.bank.code])
    assert result.exit_code != 0 and "row 2.term_months" in result.output
    result = runner.invoke(args=["import-pool-loans", str(path), "--bank", "NOPE"])
    assert result.exit_code != 0 and "no bank" in result.output


def test_rows_are_judged_in_file_order_like_single_loans(client, factory, settings, db):  # noqa: ANN001
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory, quota="3000000.00")
    u = w.enterprise.uscc
    rows = [
        [u, "Q-1", "2000000.00", "0.0435", "2020-03-01", 12, "等额本金", None, None],
        [u, "Q-2", "1500000.00", "0.0435", "2020-02-01", 12, "等额本金", None, None],  # collides from 03-01 on
        [u, "Q-3", "1000000.00", "0.0435", "2020-02-01", 12, "等额本金", None, None],  # fits exactly
        [u, "Q-4", "10.00", "0.0435", "2020-07-15", 12, "等额本金", None, None],       # Q-1/Q-3 > 90 days past due
    ]
    r = upload(w, xlsx(rows))
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"row 3.principal", "row 5.bank_id"}, r.get_json()
    # the same loans one by one give the same answers
    codes = [w.post("/pool-loans", w.loan_body(contract_no=c, principal=p, start_date=d), w.officer).status_code
             for c, p, d in [("S-1", "2000000.00", "2020-03-01"), ("S-2", "1500000.00", "2020-02-01"),
                             ("S-3", "1000000.00", "2020-02-01"), ("S-4", "10.00", "2020-07-15")]]
    assert codes == [201, 409, 201, 409]
