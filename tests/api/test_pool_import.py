"""Bulk import of pool loans: a real XLSX with good and bad rows, CSV, the template, garbage, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal as D

import openpyxl
import pytest
from sqlalchemy import func, select, text

from bridgefund.figures.check import summary_differences
from bridgefund.models import AuditEvent, Bank, PoolBankDay, PoolBankMonth, PoolInstallment, PoolLoan
from bridgefund.parsing import pool_file
from bridgefund.services import bank_terms
from tests.pool_support import IMPORT_HEADERS as HEADERS
from tests.pool_support import PoolWorld, counts


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
    monkeypatch.setattr(pool_file, "MAX_ROWS", 3)
    rows = "\n".join(f"{world.enterprise.uscc},L-{i},1000.00,0.04,2020-02-10,6,bullet" for i in range(5))
    data = (",".join(HEADERS[:7]) + "\n" + rows + "\n").encode()
    r = upload(world, data, "x.csv")
    assert r.status_code == 413 and r.get_json()["errors"]["file"] == ["too many rows"]
    monkeypatch.setattr(pool_file, "MAX_BYTES", 10)
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


# --- the bulk path stores what single POSTs store (issue 11, item 6) ---------------------------------------------

METHOD_NAMES = {"equal_installment": "等额本息", "equal_principal": "等额本金", "interest_only": "按月付息到期还本",
                "bullet": "到期一次还本付息"}
LOAN_COLUMNS = ("enterprise_id", "contract_no", "principal", "annual_rate", "start_date", "term_months",
                "repayment_method", "guarantor_id", "pool_share", "guarantor_share", "penalty_rate_markup",
                "maturity_date", "status", "principal_repaid", "interest_repaid", "penalty_repaid",
                "last_repayment_on", "repaid_on", "oldest_unpaid_due")
INSTALLMENT_COLUMNS = ("seq", "due_date", "principal", "interest", "principal_paid", "interest_paid",
                       "penalty_charged", "penalty_paid", "penalty_accrued_to", "settled_on")


def loan_specs(n: int, enterprises: list, guarantor: str) -> list[dict[str, str | int]]:
    """``n`` varied valid loans (methods, terms 1-36, fen amounts, rates, shares, a guarantor) started in
    January-March 2020, each as the JSON body of ``POST /pool-loans`` would carry it."""
    methods = list(METHOD_NAMES)
    specs = []
    for i in range(n):
        spec: dict[str, str | int] = {
            "enterprise_id": enterprises[i % len(enterprises)].id, "contract_no": f"EQ-{i:04d}",
            "principal": f"{100000 + (i * 7919) % 400000}.{i % 100:02d}",
            "annual_rate": ("0.04350000", "0.03850000", "0.06525000", "0.05123456")[i % 4],
            "start_date": (dt.date(2020, 1, 2) + dt.timedelta(days=(i * 37) % 86)).isoformat(),
            "term_months": 1 + (i * 5) % 36, "repayment_method": methods[(i // 3) % 4],
        }
        if i % 7 == 3:
            spec["pool_share"] = "0.40000000"
        if i % 11 == 5:
            spec["guarantor"] = guarantor
        specs.append(spec)
    return specs


def spec_rows(specs: list[dict], usccs: dict[int, str]) -> list[list]:
    """The template's cells for ``specs``: text as a bank's clerk types it, numbers and dates as cells."""
    return [[usccs[s["enterprise_id"]], s["contract_no"], s["principal"] if i % 2 else float(s["principal"]),
             s["annual_rate"], dt.date.fromisoformat(s["start_date"]) if i % 3 else s["start_date"], s["term_months"],
             METHOD_NAMES[s["repayment_method"]], s.get("guarantor"), s.get("pool_share")]
            for i, s in enumerate(specs)]


def stored(db, bank_id: int) -> dict[str, list]:  # noqa: ANN001
    """Everything a bank's pool loans left in the database, without ids, references and creation stamps:
    the loans in id order, their installments, their audit events, the bank's summary rows."""
    loans = db.execute(text(f"SELECT id, reference, {', '.join(LOAN_COLUMNS)} FROM pool_loans "
                            "WHERE bank_id = :b ORDER BY id"), {"b": bank_id}).all()
    ids = [row[0] for row in loans]
    installments = db.execute(text(
        f"SELECT i.loan_id, {', '.join('i.' + c for c in INSTALLMENT_COLUMNS)} FROM pool_installments i "
        "JOIN pool_loans l ON l.id = i.loan_id WHERE l.bank_id = :b ORDER BY i.loan_id, i.seq"), {"b": bank_id}).all()
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "pool_loan", AuditEvent.entity_id.in_(ids))
                        .order_by(AuditEvent.id)).all()
    raw_before = db.execute(text("SELECT \"before\" IS NULL FROM audit_events WHERE entity_type = 'pool_loan' "
                                 "AND entity_id IN (SELECT id FROM pool_loans WHERE bank_id = :b) ORDER BY id"),
                            {"b": bank_id}).scalars().all()
    position = {loan_id: n for n, loan_id in enumerate(ids)}
    return {
        "loans": [tuple(row[2:]) for row in loans],
        "reference_steps": [int(b[1][-6:]) - int(a[1][-6:]) for a, b in zip(loans, loans[1:], strict=False)],
        "installments": [(position[row[0]], *row[1:]) for row in installments],
        "events": [(position[e.entity_id], e.action, e.actor_role, e.before,
                    {k: v for k, v in (e.after or {}).items() if k not in ("reference", "bank_id")}) for e in events],
        "before_is_null": raw_before,
        "days": db.execute(text("SELECT value_date, outstanding, npl_principal FROM pool_bank_days "
                                "WHERE bank_id = :b ORDER BY value_date"), {"b": bank_id}).all(),
        "months": db.execute(text("SELECT month, outstanding, npl_principal FROM pool_bank_months "
                                  "WHERE bank_id = :b ORDER BY month"), {"b": bank_id}).all(),
    }


def twin_banks(world: PoolWorld, factory, quota: str = "150000000.00"):  # noqa: ANN001, ANN201
    """Two banks alike (quota, share) with an officer each: one imports, the other reports one by one."""
    banks = [factory.make_bank(pool_quota=D(quota), pool_share=D("0.50")) for _ in range(2)]
    return banks, [factory.headers(factory.make_user("bank_officer", bank)) for bank in banks]


def test_import_stores_exactly_what_single_posts_store(world, db, factory):  # noqa: ANN001
    """300 varied loans: imported in one file by one bank, POSTed one by one by a twin bank — the same loans,
    schedules, audit events and per-day/per-month summaries, and the summaries agree with the books."""
    (bulk_bank, single_bank), (bulk_officer, single_officer) = twin_banks(world, factory)
    enterprises = [world.enterprise] + [factory.make_enterprise() for _ in range(4)]
    r = world.post("/guarantors", {"name": "等价测试融资担保有限公司", "guarantee_share": "0.20"}, world.admin)
    assert r.status_code == 201, r.get_json()
    guarantor = r.get_json()
    specs = loan_specs(300, enterprises, guarantor["name"])

    r = upload(world, xlsx(spec_rows(specs, {e.id: e.uscc for e in enterprises})), headers=bulk_officer)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["created"] == 300
    for spec in specs:
        body = dict(spec)
        if body.pop("guarantor", None):
            body["guarantor_id"] = guarantor["id"]
        r = world.post("/pool-loans", body, single_officer)
        assert r.status_code == 201, r.get_json()

    bulk, single = stored(db, bulk_bank.id), stored(db, single_bank.id)
    assert len(bulk["loans"]) == 300 and len(bulk["installments"]) == sum(s["term_months"] if s["repayment_method"]
                                                                          != "bullet" else 1 for s in specs)
    assert bulk["reference_steps"] == [1] * 299  # numbered in file order, as the POSTs were
    for part in single:
        assert bulk[part] == single[part], part
    assert any(day[2] for day in bulk["days"])  # the window reaches non-performing dates: the comparison covers them
    assert summary_differences(db, [dt.date(2020, m, 28) for m in range(1, 13)]) == []
    # the answers about them agree too
    for bank, headers in ((bulk_bank, bulk_officer), (single_bank, single_officer)):
        assert world.get(f"/banks/{bank.id}", headers).status_code == 200
    views = [world.get("/pool-loans", headers, page_size=100, as_of="2020-12-31").get_json()["items"]
             for headers in (bulk_officer, single_officer)]
    strip = ("id", "reference", "bank_id", "created_at", "created_by")
    assert [{k: v for k, v in loan.items() if k not in strip} for loan in views[0]] == \
        [{k: v for k, v in loan.items() if k not in strip} for loan in views[1]]


def table_counts(db) -> dict[str, int]:  # noqa: ANN001
    out = counts(db)
    for model in (PoolInstallment, PoolBankDay, PoolBankMonth):
        out[model.__name__] = db.scalar(select(func.count()).select_from(model))
    return out


def test_one_bad_row_at_the_end_stores_nothing(world, db, factory):  # noqa: ANN001
    (bank, _), (officer, _) = twin_banks(world, factory)
    specs = loan_specs(300, [world.enterprise], "")
    rows = spec_rows(specs, {world.enterprise.id: world.enterprise.uscc})
    rows.append([world.enterprise.uscc, "EQ-LAST", "100000.00", "0.07", "2020-03-02", 12, "等额本息", None, None])
    before = table_counts(db)
    r = upload(world, xlsx(rows), headers=officer)
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert list(errors) == ["row 302.annual_rate"] and "rate cap" in errors["row 302.annual_rate"][0]
    assert "1 of 301 rows are invalid; nothing was imported" == r.get_json()["detail"]
    assert table_counts(db) == before
    # and without it, every row goes in
    r = upload(world, xlsx(rows[:-1]), headers=officer)
    assert r.status_code == 201 and r.get_json()["created"] == 300
    after = table_counts(db)
    assert after["PoolLoan"] - before["PoolLoan"] == 300
    assert after["AuditEvent"] - before["AuditEvent"] == 300  # one per loan
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "pool_loan", AuditEvent.action == "create")) == 300
    assert after["PoolInstallment"] - before["PoolInstallment"] == sum(
        1 if s["repayment_method"] == "bullet" else s["term_months"] for s in specs)


def test_duplicates_in_the_file_and_with_stored_loans_name_their_rows(world, db):  # noqa: ANN001
    u = world.enterprise.uscc
    assert upload(world, xlsx([[u, "DUP-0", "100000.00", "0.0435", "2020-02-03", 6, "等额本金", None, None]])
                  ).status_code == 201
    rows = [[u, f"DUP-{i}", "100000.00", "0.0435", "2020-02-03", 6, "等额本金", None, None] for i in range(1, 4)]
    rows += [[u, "DUP-2", "100000.00", "0.0435", "2020-02-03", 6, "等额本金", None, None],   # row 5: earlier in file
             [u, "DUP-0", "100000.00", "0.0435", "2020-02-03", 6, "等额本金", None, None]]   # row 6: stored before
    r = upload(world, xlsx(rows))
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"row 5.contract_no": ["already reported by this bank"],
                                      "row 6.contract_no": ["already reported by this bank"]}


def test_quota_exhausted_mid_file_names_the_row_and_stores_nothing(client, factory, settings, db):  # noqa: ANN001
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory, quota="1000000.00")
    u = w.enterprise.uscc
    rows = [[u, f"QX-{i}", "300000.00", "0.0435", f"2020-02-{3 + i:02d}", 12, "等额本金", None, None] for i in range(5)]
    before = table_counts(db)
    r = upload(w, xlsx(rows))
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    # rows 2-4 use 900,000.00 of the 1,000,000.00; row 5 does not fit, nor row 6 (each judged as a single POST)
    assert sorted(errors) == ["row 5.principal", "row 6.principal"], errors
    assert all("quota headroom" in m and "100000.00" in m for key in errors for m in errors[key])
    assert table_counts(db) == before
    # the same loans as single POSTs: 201, 201, 201, then 409 on the fourth
    codes = [w.post("/pool-loans", w.loan_body(contract_no=f"QS-{i}", principal="300000.00",
                                               start_date=f"2020-02-{3 + i:02d}"), w.officer).status_code
             for i in range(5)]
    assert codes == [201, 201, 201, 409, 409]


def test_closed_period_and_suspension_per_row(world, db, factory):  # noqa: ANN001
    u = world.enterprise.uscc
    r = world.post("/periods/2020-01/close", None, world.admin)
    assert r.status_code == 201, r.get_json()
    bank_terms.change(db, None, db.get(Bank, world.bank.id), dt.date(2020, 3, 1), {"status": "suspended"}, "test",
                      check_dates=False)  # suspended from March (a dated status row, as the NPL rule writes it)
    rows = [[u, "CP-1", "100000.00", "0.0435", "2020-01-20", 6, "等额本金", None, None],   # row 2: closed month
            [u, "CP-2", "100000.00", "0.0435", "2020-02-20", 6, "等额本金", None, None],   # row 3: fine
            [u, "CP-3", "100000.00", "0.0435", "2020-03-20", 6, "等额本金", None, None]]   # row 4: suspended
    r = upload(world, xlsx(rows))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert errors == {"row 2.start_date": ["period closed"], "row 4.bank_id": ["bank suspended"]}, errors


def test_import_replays_with_the_same_idempotency_key(world, db):  # noqa: ANN001
    u = world.enterprise.uscc
    data = xlsx([[u, f"IK-{i}", "200000.00", "0.0435", "2020-02-10", 12, "等额本息", None, None] for i in range(20)])
    headers = {**world.officer, "Idempotency-Key": "import-ik-1"}
    first = upload(world, data, headers=headers)
    assert first.status_code == 201, first.get_json()
    before = table_counts(db)
    again = upload(world, data, headers=headers)
    assert again.status_code == 201 and again.get_json() == first.get_json(), again.get_json()
    assert table_counts(db) == before
    # (the multipart boundary differs between the two requests; the file is what counts)
    other = xlsx([[u, "IK-X", "200000.00", "0.0435", "2020-02-10", 12, "等额本息", None, None]])
    r = upload(world, other, headers=headers)
    assert r.status_code == 422 and "Idempotency-Key" in r.get_json()["errors"]
    assert table_counts(db) == before


def test_quota_headroom_over_a_bank_with_history_matches_single_posts(client, factory, settings, db):  # noqa: ANN001
    """A bank with a loan and a repayment before the import: the rows' headroom from their start dates on
    (history + the rows above) gives the answers single POSTs give."""
    settings.today = "2020-12-31"
    answers = []
    for kind in ("import", "single"):
        w = PoolWorld(client, factory, quota="3000000.00")
        loan = w.loan(principal="2000000.00", start_date="2020-01-15", repayment_method="equal_principal")
        r = w.repay(loan["id"], "200000.00", "2020-02-15")
        assert r.status_code == 201, r.get_json()
        repaid = D(r.get_json()["repayment"]["principal"])
        room = D("1000000.00") + repaid  # from 2020-03-01 on: 3,000,000 − (2,000,000 − repaid)
        specs = [("H-1", str(room), "2020-03-01"),                # fits exactly
                 ("H-2", "0.01", "2020-01-20"),                   # from 01-20 on the bank now peaks at its quota
                 ("H-3", "0.01", "2020-03-02"),                   # so it does from 03-02 on
                 ("H-4", "1000000.00", "2020-02-01")]             # before the repayment: over it too
        if kind == "import":
            rows = [[w.enterprise.uscc, c, p, "0.0435", d, 6, "等额本金", None, None] for c, p, d in specs]
            r = upload(w, xlsx(rows))
            assert r.status_code == 422
            answers.append(sorted(r.get_json()["errors"]))
        else:
            codes = [w.post("/pool-loans", w.loan_body(contract_no=c, principal=p, start_date=d,
                                                       term_months=6), w.officer).status_code for c, p, d in specs]
            answers.append(sorted(f"row {n}.principal" for n, code in enumerate(codes, start=2) if code == 409))
            assert codes[0] == 201
    assert answers[0] == answers[1] == ["row 3.principal", "row 4.principal", "row 5.principal"]


def test_a_row_dated_before_the_fund_is_refused_as_a_request_is(world):  # noqa: ANN001
    """One check step (services.pool_loan_checks): a batch judges a start date by the same rule as a request —
    not before the fund's established day (422 on start_date), read once for the whole file."""
    body = world.loan_body(start_date="1999-12-31")
    single = world.post("/pool-loans", body, world.officer)
    assert single.status_code == 422
    message = single.get_json()["errors"]["start_date"]
    assert "before the fund was established" in message[0]
    row = f"{world.enterprise.uscc},{body['contract_no']},1200000.00,0.0435,1999-12-31,12,equal_principal"
    r = upload(world, (",".join(HEADERS[:7]) + "\n" + row + "\n").encode(), "x.csv")
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"row 2.start_date": message}
    assert world.get("/pool-loans").get_json()["total"] == 0
