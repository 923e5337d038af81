"""Mixed API load on gunicorn + PostgreSQL, against bare baselines measured in the same run.

Run: ``.venv/bin/python bench/bench_load.py [--clients 8] [--workers 4] [--threads 1] [--seconds 20] [--rounds 3]``

It (re)creates a scratch database ``bench_load`` on the loopback server (``--admin-url``), migrates and seeds it
(``tests/crash/harness.py``: a bank, a user and token per role, capital, approved loans), starts gunicorn on a
free 127.0.0.1 port and runs, with the same number of concurrent clients, alternating timed phases:

* **mixed**: each client loops over the roles' real work — the officer submits an application, a manager
  approves and disburses it, the officer repays it in full; in between auditors list bridge loans, the ledger
  and read ``GET /fund`` (so about 4 writes to 3 reads, every request authenticated, validated and audited);
* **bare**: ``GET /healthz`` — no auth, one ``SELECT 1`` on the request's session: the stack's floor;
* **write baseline**: ``POST /enterprises`` — the cheapest authenticated, audited write (the baseline of
  ``bench/bench_bridge_path.py``).

It prints throughput (requests/s) and p50/p95/p99 latency per phase and per request kind, and the ratios
mixed ÷ bare and mixed ÷ write baseline (goal in issue 6: mixed ≥ 0.5 × the bare baseline's rate), and where the
CPU went per request in each phase: the gunicorn processes, this database's PostgreSQL backends (from ``/proc``;
the server's shared WAL writer and checkpointer are not counted) and the load generator itself (this process). On a
machine shared with other work those milliseconds move much less than requests/s with what else runs; their ratio
(bare ms ÷ mixed ms) is what mixed ÷ bare would be if CPU were the only limit.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.crash import harness  # noqa: E402

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds the processes ``pids`` have used so far (ones that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / _TICK


class CpuMeter:
    """Where the CPU goes: the gunicorn master and workers, the database's backends, this load generator."""

    def __init__(self, server: harness.Server, db_url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.master = server.proc.pid  # type: ignore[union-attr]
        self.db = harness.make_url_name(db_url)
        self.admin = create_engine(db_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def _workers(self) -> list[int]:
        try:
            with open(f"/proc/{self.master}/task/{self.master}/children") as f:
                return [self.master, *map(int, f.read().split())]
        except OSError:
            return [self.master]

    def _backends(self) -> list[int]:
        from sqlalchemy import text

        with self.admin.connect() as c:
            return list(c.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> "
                                       "pg_backend_pid()"), {"d": self.db}))

    def read(self) -> dict[str, float]:
        return {"server": cpu_of(self._workers()), "database": cpu_of(self._backends()),
                "client": time.process_time()}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


class Recorder:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def call(self, port: int, kind: str, method: str, path: str, body: dict | None, headers: dict,
             ok: tuple[int, ...] = (200, 201)) -> harness.Answer | None:
        t = time.perf_counter()
        try:
            a = harness.request(port, method, path, body, headers)
        except OSError:
            a = None
        took = time.perf_counter() - t
        with self.lock:
            self.lat[kind].append(took)
            if a is None or a.status not in ok:
                self.errors[f"{kind} {a.status if a else 'no answer'}"] += 1
        return a


def run_phase(name: str, port: int, world: harness.World, clients: int, seconds: float,
              counter: itertools.count, meter: CpuMeter | None = None) -> Recorder:
    rec = Recorder()
    stop = time.monotonic() + seconds
    h = world.headers

    def mixed(i: int) -> None:
        while time.monotonic() < stop:
            n = next(counter)
            ent = world.enterprise_ids[n % len(world.enterprise_ids)]
            a = rec.call(port, "submit", "POST", "/api/v1/bridge-loans", {
                "enterprise_id": ent, "amount": "100000.00", "term_days": 10,
                "maturing_loan": {"contract_no": f"M-{n}", "amount": "100000.00", "due_date": "2020-12-31"},
                "renewal": {"amount": "200000.00", "expected_date": "2020-12-31"}}, h["bank_officer"])
            rec.call(port, "list loans", "GET", "/api/v1/bridge-loans?page_size=20", None, h["auditor"])
            if a is None or a.status != 201:
                continue
            loan = a.body["id"]
            rec.call(port, "approve", "POST", f"/api/v1/bridge-loans/{loan}/approve", {}, h["fund_manager"])
            rec.call(port, "fund", "GET", "/api/v1/fund", None, h["auditor"])
            rec.call(port, "disburse", "POST", f"/api/v1/bridge-loans/{loan}/disburse",
                     {"value_date": "2020-12-31"}, h["fund_manager"])
            rec.call(port, "ledger", "GET", "/api/v1/fund/ledger?page_size=20", None, h["auditor"])
            rec.call(port, "repay", "POST", f"/api/v1/bridge-loans/{loan}/repayments",
                     {"amount": "100000.00", "value_date": "2020-12-31", "external_ref": f"LR-{n}"},
                     h["bank_officer"])

    def bare(i: int) -> None:
        while time.monotonic() < stop:
            rec.call(port, "healthz", "GET", "/healthz", None, {})

    def write(i: int) -> None:
        from bridgefund.finance.uscc import demo_uscc

        while time.monotonic() < stop:
            n = next(counter)
            rec.call(port, "enterprise", "POST", "/api/v1/enterprises", {
                "uscc": demo_uscc(40_000_000 + n), "name": f"基准企业{n}", "size": "small", "in_zone": True},
                h["fund_manager"], ok=(201,))

    target = {"mixed": mixed, "bare": bare, "write": write}[name]
    threads = [threading.Thread(target=target, args=(i,)) for i in range(clients)]
    before = meter.read() if meter else {}
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    rec.elapsed = time.perf_counter() - t  # type: ignore[attr-defined]
    after = meter.read() if meter else {}
    rec.cpu = {k: after[k] - before[k] for k in after}  # type: ignore[attr-defined]
    return rec


def summary(rec: Recorder) -> tuple[float, list[float]]:
    every = [x for v in rec.lat.values() for x in v]
    return len(every) / rec.elapsed, every  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (> 1: the gthread worker)")
    ap.add_argument("--seconds", type=float, default=15.0, help="length of each timed phase")
    ap.add_argument("--rounds", type=int, default=3, help="alternating mixed/bare/write rounds")
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="bench_load")
    args = ap.parse_args()

    url = harness.create_scratch_db(args.admin_url, args.database)
    server = meter = None
    try:
        print(f"seeding {args.database} …", flush=True)
        world = harness.seed(url, approved=0, disbursed=0, capital="50000000000.00", enterprises=200)
        server = harness.Server(url, workers=args.workers, threads=args.threads,
                                log_path=Path("/tmp/bench_load_gunicorn.log")).start()
        meter = CpuMeter(server, url)
        counter = itertools.count()
        run_phase("mixed", server.port, world, args.clients, 3, counter)  # warm-up
        results: dict[str, list[Recorder]] = defaultdict(list)
        for r in range(args.rounds):
            for name in ("mixed", "bare", "write"):
                rec = run_phase(name, server.port, world, args.clients, args.seconds, counter, meter)
                rate, _ = summary(rec)
                results[name].append(rec)
                print(f"  round {r + 1} {name:<6} {rate:8.1f} req/s  errors {dict(rec.errors) or 0}", flush=True)
    finally:
        if meter is not None:
            meter.admin.dispose()
        if server is not None:
            server.stop()
        harness.drop_scratch_db(url)

    print(f"\n{args.clients} clients, gunicorn {args.workers} workers × {args.threads} threads, {args.rounds} × "
          f"{args.seconds:.0f} s per phase, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rates = {}
    for name, recs in results.items():
        per = [summary(rec)[0] for rec in recs]
        rates[name] = statistics.median(per)
        every = [x for rec in recs for x in summary(rec)[1]]
        print(f"{name:<6} {rates[name]:8.1f} req/s (median of rounds)  p50 {pct(every, 50):6.1f} ms  "
              f"p95 {pct(every, 95):6.1f} ms  p99 {pct(every, 99):6.1f} ms  n={len(every)}")
    print("\nCPU ms per request (all rounds): server = gunicorn, database = its PostgreSQL backends, client = this "
          "load generator")
    cpu_total = {}
    for name, recs in results.items():
        n = sum(len(summary(rec)[1]) for rec in recs)
        per = {k: sum(rec.cpu[k] for rec in recs) / n * 1000 for k in recs[0].cpu}
        cpu_total[name] = sum(per.values())
        print(f"{name:<6} " + "  ".join(f"{k} {v:5.2f}" for k, v in per.items()) + f"  total {cpu_total[name]:5.2f}")
    print("\nmixed load by request kind:")
    kinds: dict[str, list[float]] = defaultdict(list)
    for rec in results["mixed"]:
        for k, v in rec.lat.items():
            kinds[k] += v
    for k, v in sorted(kinds.items()):
        print(f"  {k:<12} p50 {pct(v, 50):6.1f} ms  p95 {pct(v, 95):6.1f} ms  p99 {pct(v, 99):6.1f} ms  n={len(v)}")
    errors = sum(sum(rec.errors.values()) for recs in results.values() for rec in recs)
    print(f"\nratio mixed ÷ bare (GET /healthz)          {rates['mixed'] / rates['bare']:.2f}  (goal ≥ 0.50)")
    print(f"ratio mixed ÷ write (POST /enterprises)    {rates['mixed'] / rates['write']:.2f}")
    print(f"by CPU per request: bare ÷ mixed {cpu_total['bare'] / cpu_total['mixed']:.2f}, "
          f"write ÷ mixed {cpu_total['write'] / cpu_total['mixed']:.2f}")
    print(f"errors: {errors}")


if __name__ == "__main__":
    main()
