"""BridgeFund's hot paths against a bare Flask + SQLAlchemy app on the same gunicorn and PostgreSQL (issue 16).

Run: ``.venv/bin/python bench/bench_ratio.py [--seconds 10] [--rounds 2] [--clients 16] [--workers 4]``
(``make bench`` runs it first). Needs ``wrk`` (Debian package ``wrk``; ``make bench-deps`` installs it).

It (re)creates a scratch database ``bench_ratio`` on the loopback server (``--admin-url``), migrates and seeds it
(``tests/crash/harness.py``: a bank, a user and token per role, capital, 200 enterprises, and ``--loans`` approved
and disbursed loans so the lists and ``GET /fund`` have something to show), creates the bare app's one table in the
same database, and starts two gunicorns on free 127.0.0.1 ports with the same settings (``--workers`` sync workers,
``--preload``, the same timeout): the service (``wsgi:app``) and the bare app (``bench/bare_app.py``). Then, in
``--rounds`` alternating rounds (so a change of the machine's load hits both sides alike), wrk runs each pair for
``--seconds`` with ``--clients`` connections on 2 threads:

* ``POST /api/v1/bridge-loans`` (the officer, 200 enterprises round-robin, unique contract numbers) vs bare ``POST
  /insert`` (one row, commit);
* ``GET /api/v1/bridge-loans?page_size=50`` (auditor; and with ``view=brief``), ``GET /api/v1/fund``,
  ``GET /api/v1/pool`` vs bare ``GET /hello`` (measured once per round, between them).

It prints requests/s, p50 and p99 and non-2xx answers per phase (medians of the rounds) and the ratios of the issue.
Then, in process (the Flask test client, SQLite, the demo's data; no HTTP), the median of 20 runs of the list pages and
figures the issue lists, with their response sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.crash import harness  # noqa: E402

#: wrk's Lua side: every request of a thread from ``request()``, the summary printed as one JSON line by ``done()``.
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p99_us": %d}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""

WRK_GET = """
local token = os.getenv("WRK_TOKEN")
request = function()
  if token then return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. token}) end
  return wrk.format("GET")
end
""" + WRK_DONE

#: Submissions: enterprises round-robin per thread, a contract number unique across threads, rounds and runs.
WRK_SUBMIT = """
local token = os.getenv("WRK_TOKEN")
local ents = {}
for id in string.gmatch(os.getenv("WRK_ENTERPRISES"), "%d+") do ents[#ents + 1] = id end
local counter = 0
local tag = os.getenv("WRK_TAG")
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", threads) end
request = function()
  counter = counter + 1
  local ent = ents[(counter * 7 + (tid or 0)) % #ents + 1]
  local body = string.format('{"enterprise_id": %s, "amount": "100000.00", "term_days": 10, '
    .. '"maturing_loan": {"contract_no": "W-%s-%s-%d", "amount": "100000.00", "due_date": "2020-12-31"}, '
    .. '"renewal": {"amount": "200000.00", "expected_date": "2020-12-31"}}', ent, tag, tostring(tid), counter)
  return wrk.format("POST", nil, {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"},
    body)
end
""" + WRK_DONE

#: The same submissions dated in five different years (2016–2020 in turn; the bench's today is 2020-12-31): five
#: reference-counter rows instead of one, so two concurrent submissions seldom wait on the same row. Compared with
#: ``submit`` it measures how much the per-year numbering (services.references: gapless, the row locked until the
#: commit) queues the submissions.
WRK_SUBMIT_YEARS = WRK_SUBMIT.replace(
    "'\"renewal\": {\"amount\": \"200000.00\", \"expected_date\": \"2020-12-31\"}}', ent, tag, tostring(tid), counter)",
    "'\"renewal\": {\"amount\": \"200000.00\", \"expected_date\": \"2020-12-31\"}, '\n"
    "    .. '\"submitted_on\": \"%d-06-15\"}', ent, tag, tostring(tid), counter, 2016 + (counter + (tid or 0)) % 5)")
assert WRK_SUBMIT_YEARS != WRK_SUBMIT

WRK_INSERT = """
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    string.format('{"n": %d, "note": "row %d"}', counter, counter))
end
""" + WRK_DONE


def wrk(url: str, script: str, seconds: float, clients: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
                              "-s", f.name, url], capture_output=True, text=True, env={**os.environ, **env},
                             check=True).stdout
    finally:
        os.unlink(f.name)
    line = next(ln for ln in out.splitlines() if ln.startswith('{"requests"'))
    r = json.loads(line)
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p50": r["p50_us"] / 1000, "p99": r["p99_us"] / 1000,
            "errors": r["non2xx"] + r["socket_errors"], "n": r["requests"]}


class BackendStates:
    """Samples the scratch database's client backends (``pg_stat_activity``) every 20 ms while a phase runs: how
    many wait on a lock (``Lock``, by the waiting statement: the reference counter's UPDATE, the enterprise's
    SELECT … FOR UPDATE), run a statement
    (``active``), wait for the app inside a transaction (``idle in transaction``: Python between statements) or
    sit outside one. Mean backends in each state over the phase."""

    def __init__(self, url: str) -> None:
        import threading

        from sqlalchemy import create_engine

        self.engine = create_engine(url.replace("/" + url.rsplit("/", 1)[1], "/postgres"))
        self.db = url.rsplit("/", 1)[1]
        self.counts: dict[str, int] = {}
        self.locks: dict[str, int] = {}
        self.samples = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from sqlalchemy import text

        q = text("SELECT state, wait_event_type, query FROM pg_stat_activity WHERE datname = :db "
                 "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        with self.engine.connect() as c:
            while not self.stop.wait(0.02):
                rows = c.execute(q, {"db": self.db}).all()
                c.rollback()
                self.samples += 1
                for state, wtype, query in rows:
                    key = "lock wait" if wtype == "Lock" else (state or "?")
                    self.counts[key] = self.counts.get(key, 0) + 1
                    if wtype == "Lock":  # by the statement that waits: the counter's UPDATE, the enterprise's lock
                        what = " ".join((query or "?").split()[:4])[:48]
                        self.locks[what] = self.locks.get(what, 0) + 1

    def __enter__(self) -> BackendStates:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()

    def summary(self) -> str:
        n = max(self.samples, 1)
        states = ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1]))
        locks = ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(self.locks.items(), key=lambda kv: -kv[1]))
        return f"backends (mean of {self.samples} samples): {states}" + (f"; lock waits on {locks}" if locks else "")


def in_process(reps: int = 20) -> list[tuple[str, float, int]]:
    """Median ms and response bytes of the issue's in-process requests on the demo's data (SQLite file)."""
    import datetime as dt
    import secrets

    from bridgefund import create_app
    from bridgefund.demo import load_demo
    from bridgefund.migrate import upgrade
    from bridgefund.models import ApiToken, User
    from bridgefund.services.auth import token_hash

    tmp = tempfile.mkdtemp(prefix="bench_ratio_")
    url = f"sqlite:///{tmp}/demo.db"
    try:
        upgrade(url)
        app = create_app({"database_url": url, "secret_key": "bench", "today": "2020-06-30", "instance_dir": tmp,
                          "argon2_time_cost": 1, "argon2_memory_cost": 1024})
        load_demo(app, echo=lambda _: None)
        cfg = app.extensions["bridgefund.auth"]
        with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
            user = User(username="bench-auditor", password_hash="x", role="auditor", active=True)
            s.add(user)
            s.flush()
            tok = secrets.token_urlsafe(24)
            now = dt.datetime.now(dt.UTC)
            s.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, tok), created_at=now,
                           expires_at=now + dt.timedelta(hours=1)))
        h = {"Authorization": f"Bearer {tok}"}
        client = app.test_client()
        out = []
        for path in ("/api/v1/bridge-loans?page_size=50", "/api/v1/bridge-loans?page_size=50&view=brief",
                     "/api/v1/pool-loans?page_size=50", "/api/v1/pool-loans?page_size=50&view=brief", "/api/v1/banks",
                     "/api/v1/fund/ledger", "/api/v1/fund", "/api/v1/pool", "/api/v1/me"):
            r = client.get(path, headers=h)
            assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                r = client.get(path, headers=h)
                times.append(time.perf_counter() - t)
            out.append((path.removeprefix("/api/v1"), statistics.median(times) * 1000, len(r.get_data())))
        app.extensions["bridgefund.db"].engine.dispose()
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


PHASES = (  # (name, side, path, script, token role)
    ("submit", "app", "/api/v1/bridge-loans", WRK_SUBMIT, "bank_officer"),
    ("submit5y", "app", "/api/v1/bridge-loans", WRK_SUBMIT_YEARS, "bank_officer"),
    ("insert", "bare", "/insert", WRK_INSERT, None),
    ("list", "app", "/api/v1/bridge-loans?page_size=50", WRK_GET, "auditor"),
    ("brief", "app", "/api/v1/bridge-loans?page_size=50&view=brief", WRK_GET, "auditor"),
    ("hello", "bare", "/hello", WRK_GET, None),
    ("me", "app", "/api/v1/me", WRK_GET, "auditor"),
    ("fund", "app", "/api/v1/fund", WRK_GET, "auditor"),
    ("pool", "app", "/api/v1/pool", WRK_GET, "auditor"),
)

RATIOS = (  # (label, numerator, denominator, goal)
    ("POST /bridge-loans ÷ bare POST /insert", "submit", "insert", 0.5),
    ("GET /bridge-loans?page_size=50 ÷ bare GET /hello", "list", "hello", 0.1),
    ("POST /bridge-loans over 5 years ÷ bare insert", "submit5y", "insert", 0.5),
    ("GET /bridge-loans?page_size=50&view=brief ÷ hello", "brief", "hello", 0.1),
    ("GET /me (floor: token lookup, one row) ÷ hello", "me", "hello", 0.25),
    ("GET /fund ÷ bare GET /hello", "fund", "hello", 0.25),
    ("GET /pool ÷ bare GET /hello", "pool", "hello", 0.25),
)


def profile(master_pid: int, name: str, run: Any) -> None:
    """``run()`` (a wrk phase) under py-spy sampling the gunicorn master's workers: a flame graph in docs/ and the
    collapsed stacks in /tmp (``summarise_folded`` reads them)."""
    spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    out = {}
    for fmt, path in (("flamegraph", ROOT / "docs" / f"flame-{name}.svg"),
                      ("raw", Path(f"/tmp/bench_ratio_{name}.folded"))):
        rec = subprocess.Popen([spy, "record", "--pid", str(master_pid), "--subprocesses", "--rate", "100",
                                "--format", fmt, "--output", str(path), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        res = run()
        rec.send_signal(signal.SIGINT)
        rec.wait(timeout=60)
        out[fmt] = res
        print(f"  profiled {name:<7} {res['rps']:8.1f} req/s under py-spy ({fmt}) → {path}", flush=True)
    summarise_folded(Path(f"/tmp/bench_ratio_{name}.folded"), name)


#: Where a sample's stack is, by the first of these found in it (outermost test first: a wait inside the ORM is
#: a wait). The labels are what docs/benchmarks.md reports.
BUCKETS = (
    ("waiting for PostgreSQL (psycopg wait)", ("wait (psycopg", "wait_conn", "connection.py:wait")),
    ("JSON encoding of the response", ("json/encoder", "(json/__init__", "dumps (flask")),
    ("the response's dump (marshmallow, brief_items)", ("marshmallow", "brief_items")),
    ("ORM: building objects from rows", ("orm/loading", "orm/strategies")),
    ("SQLAlchemy: statements, compile, cache keys, results", ("sqlalchemy",)),
    ("the services' own Python", ("bridgefund/services", "bridgefund/figures", "bridgefund/finance")),
    ("Flask, Werkzeug and gunicorn (HTTP, routing, contexts)", ("flask", "werkzeug", "gunicorn")),
)


def summarise_folded(path: Path, name: str) -> None:
    """Print the share of the workers' busy samples per :data:`BUCKETS` (idle samples — a worker waiting for a
    connection in ``select``/``accept`` — left out)."""
    counts: dict[str, int] = {}
    busy = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        if ("(selectors.py)" in stack or "select (" in stack) and "bridgefund" not in stack and "bare_app" not in stack:
            continue  # a sync worker between requests
        busy += int(n)
        label = next((lab for lab, keys in BUCKETS if any(k in stack for k in keys)), "other")
        counts[label] = counts.get(label, 0) + int(n)
    print(f"  {name}: {busy} busy samples")
    for label, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"    {100 * n / max(busy, 1):5.1f} %  {label}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--loans", type=int, default=100, help="approved + disbursed loans seeded (half each)")
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="bench_ratio")
    ap.add_argument("--no-in-process", action="store_true", help="skip the in-process timings on the demo data")
    ap.add_argument("--profile", nargs="*", default=[], metavar="PHASE",
                    help="after the rounds, run each PHASE again under py-spy (all gunicorn workers) and write "
                         "docs/flame-<PHASE>.svg and /tmp/bench_ratio_<PHASE>.folded (collapsed stacks)")
    args = ap.parse_args()
    unknown = set(args.profile) - {name for name, *_ in PHASES}
    if unknown:
        raise SystemExit(f"unknown phase(s) {sorted(unknown)}: one of {[name for name, *_ in PHASES]}")
    if args.profile and shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}") is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy (bench only)")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench-deps` (Debian package wrk)")

    url = harness.create_scratch_db(args.admin_url, args.database)
    servers: list[harness.Server] = []
    results: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in PHASES}
    load: list[float] = []
    try:
        print(f"seeding {args.database} …", flush=True)
        world = harness.seed(url, approved=args.loans // 2, disbursed=args.loans - args.loans // 2,
                             capital="50000000000.00", enterprises=200)
        from bench import bare_app

        bare_app.create_table(url)
        app_server = harness.Server(url, workers=args.workers, log_path=Path("/tmp/bench_ratio_app.log")).start()
        servers.append(app_server)
        bare_server = harness.Server(url, workers=args.workers, app="bench.bare_app:app", health_path="/hello",
                                     extra_env={"BENCH_BARE_DATABASE_URL": url},
                                     log_path=Path("/tmp/bench_ratio_bare.log")).start()
        servers.append(bare_server)
        port = {"app": app_server.port, "bare": bare_server.port}
        tokens = {role: h["Authorization"].removeprefix("Bearer ") for role, h in world.headers.items()}
        env_common = {"WRK_ENTERPRISES": ",".join(map(str, world.enterprise_ids))}
        for _name, side, path, script, role in PHASES:  # warm-up: every worker imports, connects, caches
            wrk(f"http://127.0.0.1:{port[side]}{path}", script, 2, args.clients,
                {**env_common, "WRK_TAG": f"warm-{time.time_ns()}", **({"WRK_TOKEN": tokens[role]} if role else {})})
        for r in range(args.rounds):
            for name, side, path, script, role in PHASES:
                env = {**env_common, "WRK_TAG": f"{r}-{time.time_ns()}",
                       **({"WRK_TOKEN": tokens[role]} if role else {})}
                if name.startswith("submit"):  # where the 16 transactions wait (printed per round)
                    with BackendStates(url) as states:
                        res = wrk(f"http://127.0.0.1:{port[side]}{path}", script, args.seconds, args.clients, env)
                    print(f"  round {r + 1} {name:<8} {states.summary()}", flush=True)
                else:
                    res = wrk(f"http://127.0.0.1:{port[side]}{path}", script, args.seconds, args.clients, env)
                results[name].append(res)
                load.append(os.getloadavg()[0])
                print(f"  round {r + 1} {name:<7} {res['rps']:8.1f} req/s  p50 {res['p50']:6.1f} ms  "
                      f"p99 {res['p99']:6.1f} ms  errors {res['errors']:.0f}", flush=True)
        for name, side, path, script, role in PHASES:
            if name in args.profile:
                env = {**env_common, "WRK_TAG": f"profile-{time.time_ns()}",
                       **({"WRK_TOKEN": tokens[role]} if role else {})}
                server = app_server if side == "app" else bare_server
                profile(server.proc.pid, name, lambda p=path, sc=script, e=env, sd=side:  # noqa: B008
                        wrk(f"http://127.0.0.1:{port[sd]}{p}", sc, args.seconds, args.clients, e))
    finally:
        for s in servers:
            s.stop()
        harness.drop_scratch_db(url)

    print(f"\nwrk: 2 threads, {args.clients} connections, {args.seconds:g} s per run, {args.rounds} rounds; gunicorn "
          f"{args.workers} sync workers each; load average during the runs {min(load):.1f}–{max(load):.1f} "
          f"({os.cpu_count()} CPUs)")
    med = {}
    for name, *_ in PHASES:
        rs = results[name]
        med[name] = statistics.median(x["rps"] for x in rs)
        print(f"{name:<7} {med[name]:8.1f} req/s (median of rounds)  p50 {statistics.median(x['p50'] for x in rs):6.1f}"
              f" ms  p99 {statistics.median(x['p99'] for x in rs):6.1f} ms  errors {sum(x['errors'] for x in rs):.0f}")
    print()
    for label, num, den, goal in RATIOS:
        ratio = med[num] / med[den]
        print(f"{label:<50} {ratio:5.2f}  (goal ≥ {goal})")
    if not args.no_in_process:
        print("\nin process (Flask test client, SQLite, demo data), median of 20:")
        for path, ms, size in in_process():
            print(f"  GET {path:<47} {ms:7.2f} ms  {size / 1024:6.1f} KB")


if __name__ == "__main__":
    main()
