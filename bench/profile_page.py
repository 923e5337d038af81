"""Where one page's server time goes: its SQL statements (each timed, slowest first) and a cProfile of the rest.

    .venv/bin/python bench/profile_page.py --database bc_1000000 --role fund_manager /        # the work queue
    .venv/bin/python bench/profile_page.py --database bc_100000 --role bank_officer / --runs 50 --top 25
    .venv/bin/python bench/profile_page.py --database bc_100000 --bearer "/api/v1/bridge-loans?page_size=50&view=brief"

Against a database loaded by ``bench/bench_console.py`` (or ``bench/load_scale.py``), in process through the Flask
test client, signed in as a console session of ``--role`` (``bench_console.sessions``). Prints the page's median
time, the statements of one request with their time and the first line of their SQL, their total, and the
functions with the most cumulative time over ``--runs`` requests (``--sort tottime`` for self time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_console import sessions  # noqa: E402
from tests.crash import harness  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="the page, e.g. / or /dashboard?as_of=2018-06-30")
    ap.add_argument("--database", required=True, help="a loaded scratch database on --server")
    ap.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--role", default="fund_manager",
                    choices=["admin", "auditor", "fund_manager", "bank_officer"])
    ap.add_argument("--bearer", action="store_true", help="send the role's API token (for /api/v1/… pages)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    ap.add_argument("--explain", type=float, default=None, metavar="MS",
                    help="print EXPLAIN (ANALYZE, BUFFERS) of each statement that took at least MS ms")
    args = ap.parse_args()

    from bridgefund import create_app

    app = create_app({"database_url": f"{args.server}/{args.database}", "secret_key": harness.SECRET,
                      "today": "2020-12-31", "log_level": "WARNING"})
    signed_in = sessions(app)
    client = signed_in[args.role]
    headers = signed_in[f"{args.role} bearer"] if args.bearer else {}
    engine = app.extensions["bridgefund.db"].engine
    for _ in range(3):  # warm caches
        assert client.get(args.url, headers=headers).status_code == 200

    statements: list[tuple[float, str]] = []
    captured: list[tuple[float, str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202, ARG001
        conn.info["bench_t"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202, ARG001
        ms = (time.perf_counter() - conn.info.pop("bench_t")) * 1000
        statements.append((ms, " ".join(statement.split())))
        captured.append((ms, statement, parameters))

    t = time.perf_counter()
    r = client.get(args.url, headers=headers)
    took = (time.perf_counter() - t) * 1000
    assert r.status_code == 200, r.status_code
    print(f"{args.url} as {args.role}: one request {took:.1f} ms, {len(statements)} statements, "
          f"{sum(s for s, _ in statements):.1f} ms of SQL, {len(r.data):,} bytes")
    for ms, sql in sorted(statements, reverse=True):
        print(f"  {ms:7.2f} ms  {sql[:150]}")
    event.remove(engine, "before_cursor_execute", _before)
    event.remove(engine, "after_cursor_execute", _after)
    if args.explain is not None:
        raw = engine.raw_connection()
        try:
            for ms, sql, params in sorted(captured, key=lambda c: -c[0]):
                if ms < args.explain:
                    break
                cur = raw.cursor()
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print(f"\n--- {ms:.2f} ms: {' '.join(sql.split())[:300]}")
                print("\n".join(row[0] for row in cur.fetchall()))
                cur.close()
            raw.rollback()
        finally:
            raw.close()

    times = []
    profile = cProfile.Profile()
    for _ in range(args.runs):
        t = time.perf_counter()
        profile.enable()
        client.get(args.url, headers=headers)
        profile.disable()
        times.append((time.perf_counter() - t) * 1000)
    print(f"\n{args.runs} runs under cProfile: median {statistics.median(times):.1f} ms")
    pstats.Stats(profile).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    engine.dispose()


if __name__ == "__main__":
    main()
