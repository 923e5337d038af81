"""A 10,000-row pool-loan import end to end (``POST /pool-loans/import``: request in → 201 out), against a bare
Core insert of as many rows in the same run, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/bench_import.py`` (options: ``--rows``, ``--rounds``, ``--pg-url``, ``--no-sqlite``,
``--no-postgres``, ``--profile``, ``--async``: through a background job). For each database the script

* builds a scratch database (SQLite: a temporary file; PostgreSQL: ``bench_importer_run`` on the server of
  ``--pg-url``, dropped at the end), migrates it and seeds a minimal world through the services: the pool's
  contribution, one bank with room for every round, 200 eligible enterprises, an officer and their token;
* generates a ``--rows`` XLSX (the Chinese template headers, all four repayment methods in Chinese, terms of
  6/12/18 months — 12 installments a loan on average, so ``--rows`` loans bring 12 × as many installments)
  and the same rows as CSV (not timed);
* times, in rounds (so a change of the shared machine's load hits every measure alike): the XLSX import and
  the CSV import through the Flask test client — authentication, parsing, every rule of ``POST /pool-loans``
  per row, schedules, loans, installments, audit events, summaries and the commit — and the **baseline**: a
  bare SQLAlchemy Core ``executemany`` INSERT of ``--rows`` rows + 12 × ``--rows`` installment-like rows into
  two scratch tables (plain integer/date/text columns, values prepared beforehand), committed.

It prints rows/s by the wall clock and by CPU time (this process, plus on PostgreSQL the server process of its
connection, read from /proc) and the ratios import ÷ baseline; on a machine shared with other work the ratios
and the CPU figures are what to compare across runs.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import BigInteger, Column, Date, Integer, MetaData, String, Table, create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridgefund import create_app  # noqa: E402
from bridgefund.finance.uscc import demo_uscc  # noqa: E402
from bridgefund.migrate import upgrade  # noqa: E402
from bridgefund.models import ApiToken  # noqa: E402
from bridgefund.parsing import pool_file  # noqa: E402
from bridgefund.services import pool, registry  # noqa: E402
from bridgefund.services.actor import SYSTEM  # noqa: E402
from bridgefund.services.auth import token_hash  # noqa: E402

TODAY = "2020-12-31"
METHODS = ["等额本息", "等额本金", "按月付息到期还本", "到期一次还本付息"]
TERMS = (6, 12, 18)
PG_DB = "bench_importer_run"


def rows_of(n: int, usccs: list[str], prefix: str) -> list[list]:
    return [[usccs[i % len(usccs)], f"{prefix}-{i:05d}", 100000 + (i % 50) * 10000, 0.0435,
             dt.date(2020, 1, 2 + i % 27), TERMS[i % 3], METHODS[i % 4], None, None] for i in range(n)]


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(pool_file.TEMPLATE_HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_of(rows: list[list]) -> bytes:
    lines = [",".join(pool_file.TEMPLATE_HEADERS[:7])]
    lines += [f"{r[0]},{r[1]},{r[2]}.00,{r[3]},{r[4].isoformat()},{r[5]},{r[6]}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def backend_pids(url: str) -> list[int]:
    """PostgreSQL: the server processes connected to the scratch database (their CPU is read from /proc)."""
    if not url.startswith("postgresql"):
        return []
    engine = create_engine(url)
    with engine.connect() as c:
        own = c.scalar(text("SELECT pg_backend_pid()"))
        pids = [p for p in c.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
                if p != own]
    engine.dispose()
    return pids


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` have used; 0 where /proc cannot tell."""
    import os

    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class World:
    """A migrated scratch database with a bank, enterprises, pool money and an officer's token."""

    def __init__(self, url: str, rows: int, rounds: int, *, asynchronous: bool = False) -> None:
        upgrade(url)
        # --async: the request stores the file in a job (202) and the job runs inline (Huey's immediate mode),
        # right after the request's commit, in its own transaction — the consumer's code path, minus the queue hop
        self.asynchronous = asynchronous
        self.app = create_app({"database_url": url, "secret_key": "bench", "today": TODAY,
                               "argon2_time_cost": 1, "argon2_memory_cost": 1024, "huey_immediate": asynchronous})
        self.db = self.app.extensions["bridgefund.db"]
        self.url = url
        need = Decimal(rows) * Decimal("600000.00") * 2 * (rounds + 1)  # every round's XLSX and CSV loans
        with self.db.sessionmaker() as s:
            pool.contribute(s, SYSTEM, dt.date(2020, 12, 31), amount=need, value_date=dt.date(2019, 6, 28))
            bank = registry.create_bank(s, SYSTEM, code="BENCH", name="基准银行", pool_quota=need,
                                        effective_from=dt.date(2019, 6, 28))
            self.bank_id = bank.id
            self.usccs = [registry.create_enterprise(s, SYSTEM, uscc=demo_uscc(70_000_000 + i * 13, "410100"),
                                                     name=f"基准企业{i}", size="small", in_zone=True).uscc
                          for i in range(200)]
            user = registry.create_user(s, SYSTEM, self.app.extensions["bridgefund.auth"], username="bench-officer",
                                        password="Bench-pass-2020", role="bank_officer", bank_id=bank.id)
            token = secrets.token_urlsafe(24)
            now = dt.datetime.now(dt.UTC)
            s.add(ApiToken(user_id=user.id, token_hash=token_hash(self.app.extensions["bridgefund.auth"], token),
                           created_at=now, expires_at=now + dt.timedelta(days=1)))
            s.commit()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client = self.app.test_client()

    def post(self, data: bytes, name: str) -> float:
        """Seconds for one import request (asserting its 201)."""
        started = time.perf_counter()
        prefer = {"Prefer": "respond-async"} if self.asynchronous else {}
        r = self.client.post("/api/v1/pool-loans/import", data={"file": (io.BytesIO(data), name)},
                             headers={**self.headers, **prefer}, content_type="multipart/form-data")
        if self.asynchronous:
            if r.status_code != 202:
                raise SystemExit(f"import answered {r.status_code}: {str(r.get_json())[:2000]}")
            job = self.client.get(r.headers["Location"], headers=self.headers).get_json()
            elapsed = time.perf_counter() - started
            if job["status"] != "succeeded":
                raise SystemExit(f"the import job {job['status']}: {str(job.get('error'))[:2000]}")
            return elapsed
        elapsed = time.perf_counter() - started
        if r.status_code != 201:
            raise SystemExit(f"import answered {r.status_code}: {str(r.get_json())[:2000]}")
        return elapsed


def baseline(url: str, rows: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its PostgreSQL server process) for a bare Core
    executemany of ``rows`` loan-like rows and 12 × ``rows`` installment-like rows."""
    md = MetaData()
    loans = Table("bench_baseline_loans", md, Column("id", Integer, primary_key=True),
                  Column("reference", String(20)), Column("bank_id", Integer), Column("enterprise_id", Integer),
                  Column("contract_no", String(64)), Column("principal", BigInteger), Column("annual_rate", BigInteger),
                  Column("start_date", Date), Column("term_months", Integer), Column("repayment_method", String(20)),
                  Column("pool_share", BigInteger), Column("maturity_date", Date), Column("status", String(10)))
    inst = Table("bench_baseline_installments", md, Column("id", Integer, primary_key=True),
                 Column("loan_id", Integer), Column("seq", Integer), Column("due_date", Date),
                 Column("principal", BigInteger), Column("interest", BigInteger), Column("principal_paid", BigInteger),
                 Column("interest_paid", BigInteger), Column("penalty_charged", BigInteger),
                 Column("penalty_paid", BigInteger), Column("settled_on", Date))
    engine = create_engine(url)
    md.drop_all(engine)
    md.create_all(engine)
    day = dt.date(2020, 1, 2)
    loan_rows = [{"reference": f"PL-2020-{i:06d}", "bank_id": 1, "enterprise_id": 1 + i % 200,
                  "contract_no": f"B-{i:05d}", "principal": 10_000_000 + i, "annual_rate": 4_350_000,
                  "start_date": day, "term_months": 12, "repayment_method": "equal_principal",
                  "pool_share": 50_000_000, "maturity_date": day, "status": "active"} for i in range(rows)]
    inst_rows = [{"loan_id": 1 + i // 12, "seq": 1 + i % 12, "due_date": day, "principal": 833_333,
                  "interest": 36_250, "principal_paid": 0, "interest_paid": 0, "penalty_charged": 0,
                  "penalty_paid": 0, "settled_on": None} for i in range(rows * 12)]
    started, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        pids = [conn.scalar(text("SELECT pg_backend_pid()"))] if engine.dialect.name == "postgresql" else []
        server = cpu_of(pids)
        conn.execute(loans.insert(), loan_rows)
        conn.execute(inst.insert(), inst_rows)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu + cpu_of(pids) - server
    md.drop_all(engine)
    engine.dispose()
    return elapsed, cpu


def bench(label: str, url: str, args: argparse.Namespace) -> None:
    world = World(url, args.rows, args.rounds, asynchronous=args.asynchronous)
    label += " — async (Prefer: respond-async → job)" if args.asynchronous else ""
    world.post(xlsx(rows_of(10, world.usccs, "WARM")), "warm.xlsx")  # opens the pool's connection
    pids = backend_pids(url)
    times: dict[str, list[float]] = {"xlsx": [], "csv": [], "baseline": []}
    cpu: dict[str, list[float]] = {"xlsx": [], "csv": [], "baseline": []}
    for r in range(args.rounds):
        rows = rows_of(args.rows, world.usccs, f"R{r}")
        files = {"xlsx": (xlsx(rows), "bench.xlsx"),
                 "csv": (csv_of([[*row[:1], row[1].replace("R", "C", 1), *row[2:]] for row in rows]), "bench.csv")}
        for kind, (data, name) in files.items():
            c, server = time.process_time(), cpu_of(pids)
            if args.profile and r == 0 and kind == "xlsx":
                prof = cProfile.Profile()
                times[kind].append(prof.runcall(world.post, data, name))
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            else:
                times[kind].append(world.post(data, name))
            cpu[kind].append(time.process_time() - c + cpu_of(pids) - server)
        wall, used = baseline(url, args.rows)
        times["baseline"].append(wall)
        cpu["baseline"].append(used)
    base, base_cpu = statistics.median(times["baseline"]), statistics.median(cpu["baseline"])
    who = "this process + its PostgreSQL backend" if pids else "this process"
    print(f"\n{label}: {args.rows:,} rows ({args.rows * 12:,} installments), {args.rounds} rounds, medians; "
          f"CPU = {who}")
    print(f"  baseline Core executemany: {base:6.2f} s = {args.rows / base:7,.0f} rows/s wall; "
          f"{base_cpu:6.2f} s CPU = {args.rows / base_cpu:7,.0f} rows/s")
    for kind in ("xlsx", "csv"):
        t, c = statistics.median(times[kind]), statistics.median(cpu[kind])
        print(f"  import {kind:4}:              {t:6.2f} s = {args.rows / t:7,.0f} rows/s wall; "
              f"{c:6.2f} s CPU = {args.rows / c:7,.0f} rows/s; "
              f"× baseline: wall {t / base:5.2f}, CPU {c / base_cpu:5.2f}"
              f"  (runs: {', '.join(f'{x:.1f}' for x in times[kind])} s)")
    world.db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="any database URL of the PostgreSQL server (a scratch database is created on it)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the first XLSX import of each database")
    parser.add_argument("--async", dest="asynchronous", action="store_true",
                        help="import through a background job (202 + GET /jobs/{id}), run inline")
    args = parser.parse_args()
    pool_file.MAX_ROWS = max(pool_file.MAX_ROWS, args.rows)
    if not args.no_sqlite:
        bench("SQLite (file)", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3", args)
    if not args.no_postgres:
        admin_url = make_url(args.pg_url).set(database="postgres")
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
        try:
            bench("PostgreSQL", admin_url.set(database=PG_DB).render_as_string(hide_password=False), args)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
