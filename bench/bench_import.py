"""A 10,000-row XLSX import through the service (parse, checks, schedules, inserts), in rows per second.

Run: ``.venv/bin/python bench/bench_import.py [DATABASE_URL]`` (default: a temporary SQLite file). The
workbook is built with openpyxl first (not timed); the import runs in one transaction as
``POST /pool-loans/import`` does, and is rolled back at the end.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
import time
from decimal import Decimal

import openpyxl

from bridgefund import create_app
from bridgefund.finance.uscc import demo_uscc
from bridgefund.migrate import upgrade
from bridgefund.services import pool, pool_import, registry
from bridgefund.services.actor import SYSTEM

ROWS = int(__import__("os").environ.get("BENCH_ROWS", "10000"))
TODAY = dt.date(2020, 12, 31)
METHODS = ["等额本息", "等额本金", "按月付息到期还本", "到期一次还本付息"]


def workbook(usccs: list[str]) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(pool_import.TEMPLATE_HEADERS)
    for i in range(ROWS):
        ws.append([usccs[i % len(usccs)], f"BENCH-{i:05d}", 100000 + (i % 50) * 10000, 0.0435,
                   dt.date(2020, 1, 2 + i % 27), 12 + (i % 3) * 12, METHODS[i % 4], None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    upgrade(url)
    app = create_app({"database_url": url, "secret_key": "bench"})
    db = app.extensions["bridgefund.db"]
    with db.sessionmaker() as s:
        bank = registry.create_bank(s, SYSTEM, code="BENCH", name="基准银行", pool_quota=Decimal("900000000000.00"))
        firms = [registry.create_enterprise(s, SYSTEM, uscc=demo_uscc(70_000_000 + i * 13, "410100"),
                                            name=f"基准企业{i}", size="small", in_zone=True) for i in range(200)]
        pool.contribute(s, SYSTEM, TODAY, amount=Decimal("100000000000.00"), value_date=dt.date(2019, 6, 28))
        s.flush()
        data = workbook([f.uscc for f in firms])
        start, cpu = time.perf_counter(), time.process_time()
        result = pool_import.import_pool_loans(s, SYSTEM, TODAY, data, filename="bench.xlsx", bank_id=bank.id)
        s.flush()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        s.rollback()
    # CPU time of this process too: on a shared machine the wall clock also measures the neighbours.
    print(f"{db.dialect}: imported {result.created} rows ({len(data) / 1e6:.1f} MB XLSX) in {elapsed:.1f} s "
          f"= {result.created / elapsed:,.0f} rows/s wall; {cpu:.1f} s CPU = {result.created / cpu:,.0f} rows/s CPU")


if __name__ == "__main__":
    main()
