"""Benchmark of the monthly fund report at scale (docs/benchmarks.md, "Reports").

(a) **Data gathering** — ``monthly_report_data`` for December 2020 over 10⁶ bridge loans (3·10⁶ fund ledger
    entries) and 10⁶ pool loans (10⁷ installments, 3·10⁶ repayments, 10⁴ claims) in PostgreSQL, loaded into a
    scratch database by ``bench/load_scale.py`` (the books in SQL, then their summaries), then timed with and
    without the report indexes of migration ``0005_reports`` (``bridgefund.models.report.REPORT_INDEXES``),
    printing the slowest statements.
(b) **Rendering** — the December report with 1,000 bridge loans in the appendix, timed end to end
    (``documents.monthly_report_pdf``: Jinja, SVG charts, WeasyPrint) and, in the same run, WeasyPrint alone on
    the very same HTML with the same fonts and URL fetcher. The ratio is what the project adds.

Loopback PostgreSQL only; bounded sizes; the scratch database is dropped at the end (``--keep`` keeps it,
``--reuse`` skips the load when it exists).

    .venv/bin/python bench/bench_reports.py                      # both parts
    .venv/bin/python bench/bench_reports.py --loans 100000       # smaller (quick look)
    .venv/bin/python bench/bench_reports.py --render-only        # part (b) only, no database needed
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load_scale  # noqa: E402
from bench.load_scale import _loopback  # noqa: E402
from bridgefund.db import make_engine  # noqa: E402
from bridgefund.migrate import upgrade  # noqa: E402
from bridgefund.models.report import REPORT_INDEXES  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB_NAME = "bench_scale"
PERIOD = "2020-12"


def load(url: str, loans: int, installments: int) -> None:
    """Fill an empty, migrated database (``bench/load_scale.py``: the books in SQL, then their summaries)."""
    load_scale.load(url, loans, installments, echo=False)
    load_scale.summarise(url, echo=False)


def _timed_queries(eng: Any) -> tuple[Any, Any]:
    stats: dict[str, list[float]] = defaultdict(list)

    def before(conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        started = conn.info["bench_started"].pop()
        stats[" ".join(statement.split())[:150]].append(time.perf_counter() - started)

    event.listen(eng, "before_cursor_execute", before)
    event.listen(eng, "after_cursor_execute", after)
    return stats, lambda: (event.remove(eng, "before_cursor_execute", before),
                           event.remove(eng, "after_cursor_execute", after))


def gather(url: str, runs: int = 3, jit: bool = True) -> tuple[float, dict[str, Any], list[tuple[float, str]]]:
    """Best of ``runs`` timings of monthly_report_data(PERIOD); the data; the slowest statements of the best run."""
    from bridgefund.services import report_data
    from bridgefund.services.report_data import monthly_report_data

    eng = make_engine(url)
    saved = report_data.without_jit
    if jit:  # the server's defaults: JIT on, 4 MB work_mem
        report_data.without_jit = lambda _session: None
    best, data, slowest = float("inf"), {}, []
    for _ in range(runs):
        stats, stop = _timed_queries(eng)
        with Session(eng) as session:
            t = time.perf_counter()
            data = monthly_report_data(session, PERIOD)
            took = time.perf_counter() - t
        stop()
        report_data.without_jit = saved
        if took < best:
            best = took
            slowest = sorted(((sum(v), k) for k, v in stats.items()), reverse=True)[:5]
    eng.dispose()
    return best, data, slowest


def set_report_indexes(url: str, present: bool) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        for index in REPORT_INDEXES:
            if present:
                index.create(conn, checkfirst=True)
            else:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
        conn.exec_driver_sql("ANALYZE")
    eng.dispose()


def part_a(args: argparse.Namespace) -> dict[str, Any] | None:
    url = str(make_url(SERVER).set(database=DB_NAME).render_as_string(hide_password=False))
    _loopback(url)
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}).scalar()
        if exists and not args.reuse:
            conn.execute(text(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    try:
        if not exists:
            print(f"(a) loading {args.loans:,} bridge loans and {args.loans:,} pool loans "
                  f"({args.loans * args.installments:,} installments) into {DB_NAME}", flush=True)
            t = time.perf_counter()
            upgrade(url)
            load(url, args.loans, args.installments)
            print(f"  loaded in {time.perf_counter() - t:.0f} s", flush=True)
        else:
            load_scale.bring_up_to_date(url)
        eng = make_engine(url)
        with eng.connect() as conn:
            counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in (
                "bridge_loans", "fund_ledger_entries", "pool_loans", "pool_installments", "pool_repayments",
                "pool_claims")}
        eng.dispose()
        print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        results = {}
        configs = (("as shipped (JIT off, work_mem 64MB, report indexes)", True, False),
                   ("as shipped without the report indexes", False, False),
                   ("server defaults (JIT on, work_mem 4MB), report indexes", True, True))
        for label, present, jit in configs[:1] if args.quick else configs:
            set_report_indexes(url, present)
            took, data, slowest = gather(url, runs=args.runs, jit=jit)
            results[label] = took
            print(f"  monthly_report_data({PERIOD}) {label}: {took:.2f} s (best of {args.runs})", flush=True)
            for seconds, sql in slowest:
                print(f"      {seconds:6.2f} s  {sql}")
        values = list(results.values())
        if len(values) == 3:
            print(f"  tuning: {values[2] / values[0]:.1f}x faster than the server defaults; report indexes: "
                  f"{values[1] / values[0]:.1f}x")
        print(f"  appendix rows {len(data['appendix']['bridge_loans']):,} bridge + "
              f"{len(data['appendix']['pool_loans']):,} pool")
        return data
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()


def sample_data() -> dict[str, Any]:
    """Report data without a database (for --render-only): the shape monthly_report_data returns."""
    from decimal import Decimal as D

    banks = [{"id": i, "code": f"B{i}", "name": f"测试合作银行郑州高新技术开发区第{i}支行", "status": "active",
              "bridge_count": 100 * i, "bridge_amount": D(i * 10_000_000), "bridge_outstanding": D(i * 1_000_000),
              "bridge_month_count": i, "bridge_month_amount": D(i * 100_000), "bridge_overdue_count": 0,
              "bridge_overdue_amount": D(0), "pool_live_count": 10 * i, "pool_month_count": i,
              "pool_month_amount": D(i * 1_000_000), "pool_outstanding": D(i * 9_000_000), "pool_quota": D(10**8),
              "quota_used": D("0.09") * i, "npl_principal": D(0), "npl_ratio": D(0), "claims_filed": 0,
              "claims_paid_count": 0, "claims_paid_amount": D(0)} for i in range(1, 13)]
    fund = {k: D("1000000.00") for k in ("capital", "capital_in", "capital_out", "cash_balance",
                                           "outstanding_principal", "available", "fee_income", "penalty_income",
                                           "losses", "recoveries", "principal_repaid", "cumulative_disbursed_amount",
                                           "overdue_amount")}
    fund.update(utilization=D("0.5"), turnover=D("4.1"), average_days_used=D("8.5"), cumulative_disbursed_count=10,
                enterprises_served=10, repaid_count=9, overdue_count=0, as_of=dt.date(2020, 12, 31))
    month = {k: D("1000.00") for k in ("disbursed_amount", "principal_repaid", "fee_income", "penalty_income",
                                        "income", "capital_in", "capital_out", "losses", "recoveries",
                                        "outstanding_change", "cash_change")}
    month.update(disbursed_count=1, enterprises=1, repaid_loans=1)
    position = {"as_of": dt.date(2020, 12, 31), "capital": D(10**8), "balance": D(10**8), "contributions": D(10**8),
                "claims_paid": D(0), "recoveries": D(0), "total_quota": D(10**9), "guaranteed_outstanding": D(10**8),
                "leverage_used": D(1), "npl_ratio": D(0), "suspended": False}
    empty = {"rows": [], "count": 0, "amount": D(0)}
    return {
        "period": PERIOD, "first_day": dt.date(2020, 12, 1), "as_of": dt.date(2020, 12, 31), "fund": fund,
        "month": month, "banks": banks, "bank_totals": {**banks[0], "suspended": 0}, "overdue": empty,
        "defaults": empty, "pool_npl": empty,
        "pool": {"position": position, "month": {"contributions": D(0), "claims_paid": D(0), "recoveries": D(0),
                                                 "new_loans": 1, "new_amount": D(1), "claims_filed": 0,
                                                 "claims_filed_amount": D(0)},
                 "cumulative_loans": 1, "cumulative_amount": D(1), "enterprises": 1, "live_loans": 1,
                 "claims_pending": 0, "claims_pending_amount": D(0), "quota_used": D("0.1")},
        "trend": [{"month": f"2020-{m:02d}", "year": 2020, "month_number": m, "bridge_count": m,
                   "bridge_amount": D(m * 10**7), "bridge_outstanding": D(m * 10**6), "pool_count": m,
                   "pool_amount": D(m * 10**7), "pool_outstanding": D(m * 10**8)} for m in range(1, 13)],
        "appendix": {"bridge_loans": [
            {"reference": f"BL-2020-{i:06d}", "enterprise": f"郑州市高新区第{i}号智能装备科技有限公司",
             "bank": banks[i % 12]["name"], "amount": D(1_000_000 + i * 10_000), "term_days": 7 + i % 4,
             "disbursed_on": dt.date(2020, 12, 1 + i % 28), "due_date": dt.date(2020, 12, 1 + i % 28),
             "outstanding": D(0), "status": "repaid"} for i in range(1200)], "pool_loans": []},
    }


def part_b(data: dict[str, Any], appendix: int, runs: int) -> None:
    from weasyprint import HTML

    from bridgefund.reports import documents
    from bridgefund.reports.render import TEMPLATES_DIR, ReportURLFetcher, cjk_font_bytes, render_html

    data = dict(data)
    data["appendix"] = {"bridge_loans": list(data["appendix"]["bridge_loans"])[:appendix], "pool_loans": []}
    n = len(data["appendix"]["bridge_loans"])
    generated_at = dt.datetime(2021, 1, 4, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    for weight in ("regular", "bold"):
        cjk_font_bytes(weight)  # cut the font once, outside both timings (as in a running server)
    base_url = TEMPLATES_DIR.resolve().as_uri() + "/"

    def ours() -> bytes:
        return documents.monthly_report_pdf(data, lang="zh", version=1, generated_at=generated_at)

    ctx = documents.monthly_report_html_context(data, lang="zh", version=1, generated_at=generated_at)
    html = render_html("monthly_report.html", ctx, lang="zh")

    def weasyprint_alone() -> bytes:
        return HTML(string=html, base_url=base_url, url_fetcher=ReportURLFetcher()).write_pdf(pdf_identifier=True)

    print(f"(b) rendering the monthly report with {n:,} loans in the appendix (zh), best of {runs}", flush=True)
    timings: dict[str, list[float]] = {"project": [], "weasyprint": []}
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        for name, fn in (("weasyprint", weasyprint_alone), ("project", ours)):
            t = time.perf_counter()
            pdf = fn()
            timings[name].append(time.perf_counter() - t)
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    t = time.perf_counter()
    render_html("monthly_report.html", ctx, lang="zh")
    jinja = time.perf_counter() - t
    p, w = min(timings["project"]), min(timings["weasyprint"])
    mp, mw = statistics.median(timings["project"]), statistics.median(timings["weasyprint"])
    print(f"  project (data → Jinja → SVG → WeasyPrint): {p:.2f} s (median {mp:.2f})")
    print(f"  WeasyPrint alone on the same HTML:        {w:.2f} s (median {mw:.2f})")
    print(f"  Jinja + charts alone: {jinja * 1000:.0f} ms; ratio project / WeasyPrint = {p / w:.3f}; "
          f"{len(pdf) / 1024:.0f} KiB, {pages} pages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=1_000_000, help="bridge loans, and as many pool loans")
    parser.add_argument("--installments", type=int, default=10, help="installments per pool loan")
    parser.add_argument("--appendix", type=int, default=1000, help="loans in the rendered appendix")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="reuse the scratch database if it exists")
    parser.add_argument("--quick", action="store_true", help="time only the shipped configuration")
    args = parser.parse_args()
    if not 1_000 <= args.loans <= 2_000_000 or not 1 <= args.installments <= 24:
        raise SystemExit("--loans must be 1,000 … 2,000,000 and --installments 1 … 24")
    started = time.perf_counter()
    data = None if args.render_only else part_a(args)
    part_b(data or sample_data(), args.appendix, args.runs)
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
