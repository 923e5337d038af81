"""The fixed cost of a request, in process (issue 16): the bare app's ``/hello`` against the service's cheapest pages.

Run: ``.venv/bin/python bench/bench_overhead.py [--db sqlite|postgresql|both] [--runs 300] [--profile me]``

No HTTP, no gunicorn: the Flask test client calls both apps in one process, so what is measured is what the
application adds per request (hooks, authentication, argument parsing, dumps, the database round trips), not the
machine's network stack. Both apps run on the same database: a SQLite file in a temporary directory, and/or the
PostgreSQL database ``bench_perf16`` (``--pg-url``; (re)created, migrated and loaded with the demo). The bare app
(``bench/bare_app.py``) answers ``GET /hello`` with a constant; the service is asked, in **interleaved rounds**
(one request of each case per round, so a change of the machine's load hits every case alike):

* ``GET /healthz`` (no token; ``SELECT 1``), ``GET /api/v1/me`` (the floor: token lookup, one row, a small dump),
  ``GET /api/v1/fund``, ``GET /api/v1/bridge-loans?page_size=50`` (default item, and ``view=brief``) as the auditor;
* ``POST /api/v1/bridge-loans`` as a bank officer (the demo's bank, 200 fresh enterprises round-robin).

It prints, per case, the wall-clock median and p95 and the **CPU time** median of this process (``time.thread_time``:
on a loaded machine the wall clock mostly measures the scheduler, CPU time what the code costs), each as a ratio to
the bare ``/hello`` (the issue's "× bare hello"), the SQL statements a request runs (SQLAlchemy's count) and, on
PostgreSQL, the commands psycopg sends — each a round trip: the statements plus BEGIN, COMMIT and any pool ping.
``--profile me`` (or any case name) then profiles that case with cProfile over ``--profile-runs`` requests and
prints the top entries by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf16"
TODAY = "2020-06-30"


def _setup(url: str, tmp: str) -> dict[str, Any]:
    """Migrate and load the demo into ``url``; a token for an auditor and a bank officer; 200 enterprises."""
    from sqlalchemy import event, select

    from bench import bare_app
    from bridgefund import create_app
    from bridgefund.demo import load_demo
    from bridgefund.finance.uscc import demo_uscc
    from bridgefund.migrate import upgrade
    from bridgefund.models import ApiToken, Bank, User
    from bridgefund.services import registry
    from bridgefund.services.actor import SYSTEM
    from bridgefund.services.auth import token_hash

    upgrade(url)
    app = create_app({"database_url": url, "secret_key": "bench", "today": TODAY, "instance_dir": tmp,
                      "argon2_time_cost": 1, "argon2_memory_cost": 1024})
    load_demo(app, echo=lambda _: None)
    cfg = app.extensions["bridgefund.auth"]
    headers = {}
    with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        bank_id = s.scalar(select(Bank.id).order_by(Bank.id).limit(1))
        now = dt.datetime.now(dt.UTC)
        for role in ("auditor", "bank_officer"):
            user = User(username=f"bench-{role}", password_hash="x", role=role, active=True,
                        bank_id=bank_id if role == "bank_officer" else None)
            s.add(user)
            s.flush()
            tok = secrets.token_urlsafe(24)
            s.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, tok), created_at=now,
                           expires_at=now + dt.timedelta(hours=4)))
            headers[role] = {"Authorization": f"Bearer {tok}"}
        ents = [registry.create_enterprise(s, SYSTEM, uscc=demo_uscc(30_000_000 + i * 7), name=f"基准企业{i}有限公司",
                                           size="small", in_zone=True).id for i in range(200)]
    bare_app.create_table(url)
    bare = bare_app.create_app(url)
    counter = [0, 0]  # SQL statements (SQLAlchemy's), commands on the wire (PostgreSQL: with BEGIN, COMMIT, pings)
    event.listen(app.extensions["bridgefund.db"].engine, "before_cursor_execute",
                 lambda *_a, **_k: counter.__setitem__(0, counter[0] + 1))
    if url.startswith("postgresql"):
        _count_wire_commands(counter)
    return {"app": app, "bare": bare, "headers": headers, "enterprises": ents, "statements": counter}


def _count_wire_commands(counter: list[int]) -> None:
    """Count what psycopg sends (each a round trip): queries, including a pool's ping, and BEGIN/COMMIT/ROLLBACK."""
    import psycopg
    from psycopg import _connection_base

    command, execute = _connection_base.BaseConnection._exec_command, psycopg.Cursor.execute

    def counted_command(self: Any, *a: Any, **k: Any) -> Any:
        counter[1] += 1
        return command(self, *a, **k)

    def counted_execute(self: Any, *a: Any, **k: Any) -> Any:
        counter[1] += 1
        return execute(self, *a, **k)

    _connection_base.BaseConnection._exec_command = counted_command
    psycopg.Cursor.execute = counted_execute


def _cases(env: dict[str, Any]) -> list[tuple[str, Any]]:
    app, bare = env["app"].test_client(), env["bare"].test_client()
    auditor, officer = env["headers"]["auditor"], env["headers"]["bank_officer"]
    ents = env["enterprises"]
    n = [0]
    tag = secrets.token_hex(3)

    def submit() -> Any:
        n[0] += 1
        return app.post("/api/v1/bridge-loans", headers=officer, json={
            "enterprise_id": ents[n[0] % len(ents)], "amount": "100000.00", "term_days": 10,
            "maturing_loan": {"contract_no": f"OV-{tag}-{n[0]}", "amount": "100000.00", "due_date": TODAY},
            "renewal": {"amount": "200000.00", "expected_date": TODAY}})

    return [
        ("hello", lambda: bare.get("/hello")),
        ("healthz", lambda: app.get("/healthz")),
        ("me", lambda: app.get("/api/v1/me", headers=auditor)),
        ("fund", lambda: app.get("/api/v1/fund", headers=auditor)),
        ("list50", lambda: app.get("/api/v1/bridge-loans?page_size=50", headers=auditor)),
        ("brief50", lambda: app.get("/api/v1/bridge-loans?page_size=50&view=brief", headers=auditor)),
        ("submit", submit),
    ]


def _measure(env: dict[str, Any], runs: int) -> list[tuple[str, float, float, float, int, int, int]]:
    cases = _cases(env)
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
    stmts: dict[str, int] = {}
    trips: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for name, call in cases:  # warm-up, and the statements of one request
        for _ in range(6):  # psycopg prepares a statement on its 5th use: count the steady state
            env["statements"][:] = [0, 0]
            r = call()
            assert r.status_code in (200, 201), (name, r.status_code, r.get_data(as_text=True)[:300])
        stmts[name] = env["statements"][0] if name != "hello" else 0
        trips[name] = env["statements"][1] if name != "hello" else 0
        sizes[name] = len(r.get_data())
    for _ in range(runs):  # interleaved: one request of each case per round
        for name, call in cases:
            c, t = time.thread_time(), time.perf_counter()
            r = call()
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.thread_time() - c)
            if r.status_code >= 300:
                raise SystemExit(f"{name}: {r.status_code} {r.get_data(as_text=True)[:300]}")
    out = []
    for name, _ in cases:
        ts = sorted(times[name])
        out.append((name, statistics.median(ts) * 1000, ts[int(len(ts) * 0.95) - 1] * 1000,
                    statistics.median(cpu[name]) * 1000, stmts[name], trips[name], sizes[name]))
    return out


def _profile(env: dict[str, Any], case: str, runs: int, top: int) -> str:
    call = dict(_cases(env))[case]
    for _ in range(20):
        call()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        call()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    buf.write(f"=== {case}: {runs} requests, by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(top)
    buf.write(f"=== {case}: by own time ===\n")
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def run(db: str, url: str, runs: int, profile: list[str], profile_runs: int, top: int) -> None:
    tmp = tempfile.mkdtemp(prefix="bench_overhead_")
    try:
        if db == "postgresql":
            from sqlalchemy.engine import make_url

            from tests.crash.harness import create_scratch_db
            url = create_scratch_db(url, make_url(url).database)
        else:
            url = f"sqlite:///{tmp}/demo.db"
        env = _setup(url, tmp)
        rows = _measure(env, runs)
        hello, hello_cpu = rows[0][1], rows[0][3]
        print(f"\n{db}: {runs} interleaved rounds, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print("| case | wall median ms | wall p95 ms | × hello (wall) | CPU median ms | × hello (CPU) | SQL | wire "
              "| bytes |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, med, p95, cpu, n, wire, size in rows:
            print(f"| {name} | {med:.2f} | {p95:.2f} | {hello / med:.3f} | {cpu:.2f} | {hello_cpu / cpu:.3f} | {n} | "
                  f"{wire if db == 'postgresql' else '—'} | {size} |")
        for case in profile:
            print(_profile(env, case, profile_runs, top))
        env["app"].extensions["bridgefund.db"].engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg-url", default=DEFAULT_PG, help="(re)created: a bench database of its own")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--profile", action="append", default=[], help="a case to profile (repeatable): me, list50 …")
    ap.add_argument("--profile-runs", type=int, default=1000)
    ap.add_argument("--top", type=int, default=35)
    args = ap.parse_args()
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        run(db, args.pg_url, args.runs, args.profile, args.profile_runs, args.top)


if __name__ == "__main__":
    main()
