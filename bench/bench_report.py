"""Benchmark of a closed month's report data read from its month snapshot (issue 16; docs/benchmarks.md,
"Month snapshots").

Loads N bridge loans and N pool loans (``bench/load_scale.py``: 50 banks, 2016–2020) into a scratch PostgreSQL
database, then, for December 2020:

1. the monthly report's data computed from the books (``compute_monthly_report_data``: an open month's path, and
   every report before the snapshots), best of ``--runs``; and every bank's statement computed once;
2. the close of December (``services.periods.close_period``, November being closed already, as when a fund closes
   month by month): it computes and stores the month's snapshot rows in its transaction — timed;
3. the same data read back (``monthly_report_data`` and every bank's ``bank_statement_data``: one row each), best
   of ``--runs``, checked equal to what step 1 computed; and the size of the rows;
4. for 10x the loans: the monthly row with its appendix (the month's loans, the only part that grows with the
   books) repeated 10 times, decoded.

    .venv/bin/python bench/bench_report.py --loans 100000                # ≈ 400 MB scratch database
    .venv/bin/python bench/bench_report.py --loans 1000000 --keep        # the issue's size (≈ 4 GB, ~1 h to load)

Loopback PostgreSQL only; the scratch database is dropped at the end (``--keep`` keeps it, ``--reuse`` skips the
load when it exists).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load_scale  # noqa: E402
from bench.load_scale import _loopback  # noqa: E402
from bridgefund.db import make_engine  # noqa: E402
from bridgefund.migrate import upgrade  # noqa: E402
from bridgefund.models import Bank, ClosedPeriod, MonthSnapshot  # noqa: E402
from bridgefund.services import month_snapshots, periods  # noqa: E402
from bridgefund.services.actor import SYSTEM  # noqa: E402
from bridgefund.services.report_data import (  # noqa: E402
    bank_statement_data,
    compute_bank_statement_data,
    compute_monthly_report_data,
    monthly_report_data,
)

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PERIOD = "2020-12"
TODAY = dt.date(2021, 1, 15)


def best(fn: Any, runs: int) -> tuple[float, Any]:
    took, out = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        took = min(took, time.perf_counter() - t)
    return took, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=100_000, help="bridge loans, and as many pool loans")
    ap.add_argument("--installments", type=int, default=10)
    ap.add_argument("--database", default="bench_report")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reuse", action="store_true", help="use the database if it exists (no load)")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()
    url = make_url(SERVER).set(database=args.database).render_as_string(hide_password=False)
    _loopback(url)
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.database}).scalar()
        if exists and not args.reuse:
            conn.execute(text(f'DROP DATABASE "{args.database}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    try:
        if not exists:
            print(f"loading {args.loans:,} bridge loans and {args.loans:,} pool loans into {args.database}",
                  flush=True)
            t = time.perf_counter()
            upgrade(url)
            load_scale.load(url, args.loans, args.installments, echo=False)
            load_scale.summarise(url, echo=False)
            print(f"  loaded in {time.perf_counter() - t:.0f} s", flush=True)
        else:
            load_scale.bring_up_to_date(url)
        run(url, args.runs)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, runs: int) -> None:
    eng = make_engine(url)
    with Session(eng) as s, s.begin():  # a rerun starts again from "November closed, December open"
        s.execute(delete(MonthSnapshot))
        s.execute(delete(ClosedPeriod))
        s.add(ClosedPeriod(period="2020-11", last_day=dt.date(2020, 11, 30)))
    with eng.connect() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in (  # noqa: S608
            "bridge_loans", "fund_ledger_entries", "pool_loans", "pool_installments", "banks")}
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)

    with Session(eng) as s:
        bank_list = list(s.scalars(select(Bank).order_by(Bank.id)))
        took, computed = best(lambda: compute_monthly_report_data(s, PERIOD), runs)
        print(f"1. monthly report data from the books (open month): {took:.2f} s (best of {runs})", flush=True)
        t = time.perf_counter()
        statements = {b.id: compute_bank_statement_data(s, b, PERIOD) for b in bank_list}
        print(f"   {len(bank_list)} bank statements from the books: {time.perf_counter() - t:.2f} s", flush=True)

    with Session(eng) as s, s.begin():
        t = time.perf_counter()
        periods.close_period(s, SYSTEM, PERIOD, today=TODAY)
        s.flush()
    print(f"2. close {PERIOD} (computes and stores its snapshot rows, committed): "
          f"{time.perf_counter() - t:.2f} s", flush=True)

    with Session(eng) as s:
        size, rows = s.execute(select(func.sum(func.length(MonthSnapshot.data)), func.count())).one()
        took, read = best(lambda: monthly_report_data(s, PERIOD), runs)
        print(f"3. monthly report data of the closed month (its snapshot): {took * 1000:.1f} ms (best of {runs}); "
              f"equal to the books: {read == computed}", flush=True)
        took_s, read_s = best(lambda: {b.id: bank_statement_data(s, b, PERIOD) for b in bank_list}, runs)
        print(f"   {len(bank_list)} bank statements of the closed month: {took_s * 1000:.1f} ms; "
              f"equal to the books: {read_s == statements}", flush=True)
        print(f"   snapshot rows: {rows}, {size / 1e6:.1f} MB of JSON "
              f"(appendix {len(computed['appendix']['bridge_loans']):,} bridge + "
              f"{len(computed['appendix']['pool_loans']):,} pool loans)", flush=True)
    # At 10x the loans only the appendix grows (the month's loans; the lists are capped, the rest is per bank or
    # per month): the same data with the appendix 10x, decoded as a snapshot read decodes it.
    scale = 10
    bigger = {**computed, "appendix": {k: v * scale for k, v in computed["appendix"].items()}}
    text_big = month_snapshots.encode(bigger)
    took_big, _ = best(lambda: month_snapshots.decode(text_big), runs)
    print(f"4. the monthly row with the appendix x{scale} ({len(text_big) / 1e6:.1f} MB): decoded in "
          f"{took_big * 1000:.0f} ms (best of {runs}; plus fetching the row)", flush=True)
    eng.dispose()


if __name__ == "__main__":
    main()
