"""The bridge-loan path over HTTP on gunicorn + PostgreSQL, against a bare one-row-insert baseline.

Run: ``.venv/bin/python bench/bench_bridge_path.py [--loans 300] [--clients 8] [--workers 4]``

It (re)creates a scratch PostgreSQL database ``bench_fund`` (``--admin-url`` names the server, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), migrates it, seeds a bank, its officer, two fund
managers and capital, starts gunicorn itself on a free loopback port, then runs — with the same client
concurrency — two bounded phases:

* **path**: each loan is ``POST /bridge-loans`` → ``/approve`` → ``/disburse`` → ``/repayments`` (four requests,
  each an authenticated, validated, audited transaction; disburse and repay lock the fund row);
* **baseline**: ``POST /enterprises``: authentication, validation (credit-code check), one row inserted (plus
  its audit event) and committed — the cheapest write the API has, on exactly the same stack.

It prints requests per second for both and their ratio (goal in issue 3: path ≥ 0.5 × baseline), then stops
gunicorn and drops the scratch database. Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2020-03-31"
PASSWORD = "Bench-pass-2020"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(admin_url: str, name: str) -> str:
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, name: str) -> None:
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, clients: int) -> dict:
    """Users, a bank, one enterprise per client, capital; returns ids. Runs in-process through the services."""
    from bridgefund import create_app
    from bridgefund.finance.uscc import demo_uscc
    from bridgefund.migrate import upgrade
    from bridgefund.services import fund, registry
    from bridgefund.services.actor import SYSTEM

    upgrade(url)
    app = create_app({"database_url": url, "secret_key": "bench-secret"})
    cfg = app.extensions["bridgefund.auth"]
    with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        bank = registry.create_bank(s, SYSTEM, code="BENCH", name="基准银行")
        users = {
            "officer": registry.create_user(s, SYSTEM, cfg, username="bench-officer", password=PASSWORD,
                                            role="bank_officer", bank_id=bank.id),
            "li": registry.create_user(s, SYSTEM, cfg, username="bench-li", password=PASSWORD, role="fund_manager"),
            "wang": registry.create_user(s, SYSTEM, cfg, username="bench-wang", password=PASSWORD,
                                         role="fund_manager"),
            "admin": registry.create_user(s, SYSTEM, cfg, username="bench-admin", password=PASSWORD, role="admin"),
        }
        firms = [registry.create_enterprise(s, SYSTEM, uscc=demo_uscc(80_000_000 + i * 17), name=f"基准企业{i}",
                                            size="small", in_zone=True).id for i in range(clients)]
        fund.move_capital(s, SYSTEM, amount=Decimal("100000000000.00"), value_date=dt.date(2020, 2, 7),
                          direction="in", note="bench", today=dt.date.fromisoformat(TODAY))
    return {"bank": bank.id, "firms": firms, "users": {k: u.username for k, u in users.items()}}


class Client:
    """One keep-nothing HTTP client (gunicorn's sync workers close each connection)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token

    def call(self, method: str, path: str, body: dict | None = None, prefix: str = "/api/v1") -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn.request(method, prefix + path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, (json.loads(data) if data else {})


def login(port: int, username: str) -> str:
    status, body = Client(port).call("POST", "/auth/token", {"username": username, "password": PASSWORD})
    assert status == 200, body
    return body["token"]


def run_phase(clients: int, work: list, job) -> float:  # noqa: ANN001
    """Split ``work`` over ``clients`` threads, each calling ``job(item, n)``; return the elapsed seconds."""
    chunks = [work[i::clients] for i in range(clients)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def run(n: int) -> None:
        barrier.wait()
        try:
            for item in chunks[n]:
                job(item, n)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=300, help="loans taken through the whole path (4 requests each)")
    ap.add_argument("--baseline", type=int, default=1200, help="baseline requests")
    ap.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--rounds", type=int, default=3, help="alternating path/baseline rounds")
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="bench_fund")
    args = ap.parse_args()

    url = recreate_database(args.admin_url, args.database)
    ids = seed(url, args.clients)
    port = free_port()
    env = dict(os.environ, BRIDGEFUND_DATABASE_URL=url, BRIDGEFUND_SECRET_KEY="bench-secret",
               BRIDGEFUND_TODAY=TODAY, BRIDGEFUND_LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                if Client(port).call("GET", "/healthz", prefix="")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        tokens = {k: login(port, u) for k, u in ids["users"].items()}
        officer, li, admin = Client(port, tokens["officer"]), Client(port, tokens["li"]), Client(port, tokens["admin"])

        def one_loan(i: int, n: int) -> None:
            amount = "1000000.00"
            s, loan = officer.call("POST", "/bridge-loans", {
                "enterprise_id": ids["firms"][n], "amount": amount, "term_days": 10,
                "maturing_loan": {"contract_no": f"B-{i}", "amount": amount, "due_date": "2020-02-10"},
                "renewal": {"amount": "2000000.00", "expected_date": "2020-02-20"}, "submitted_on": "2020-02-09"})
            assert s == 201, loan
            s, body = li.call("POST", f"/bridge-loans/{loan['id']}/approve", {"decided_on": "2020-02-09"})
            assert s == 200 and body["status"] == "approved", body
            s, body = li.call("POST", f"/bridge-loans/{loan['id']}/disburse", {"value_date": "2020-02-10"})
            assert s == 200, body
            s, body = officer.call("POST", f"/bridge-loans/{loan['id']}/repayments",
                                   {"amount": "1003000.00", "value_date": "2020-02-20", "external_ref": f"R-{i}"})
            assert s == 201 and body["loan"]["status"] == "repaid", body

        def one_enterprise(i: int, n: int) -> None:
            from bridgefund.finance.uscc import demo_uscc

            s, body = admin.call("POST", "/enterprises", {"uscc": demo_uscc(90_000_000 + i), "name": f"基线企业{i}",
                                                           "size": "small", "in_zone": True})
            assert s == 201, body

        one_loan(-1, 0)  # warm every worker's code path once (not timed)
        one_enterprise(-1, 0)
        # Alternate the phases in rounds so that a change in machine load hits both alike.
        path_s = base_s = 0.0
        for r in range(args.rounds):
            path_s += run_phase(args.clients, list(range(args.loans))[r::args.rounds], one_loan)
            base_s += run_phase(args.clients, list(range(args.baseline))[r::args.rounds], one_enterprise)
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_database(args.admin_url, args.database)

    path_rps = 4 * args.loans / path_s
    base_rps = args.baseline / base_s
    print(f"gunicorn {args.workers} workers, {args.clients} clients, PostgreSQL; {os.cpu_count()} CPUs")
    print(f"path     {args.loans} loans × 4 requests in {path_s:.1f} s: {path_rps:,.0f} requests/s "
          f"({args.loans / path_s:,.1f} loans/s)")
    print(f"baseline {args.baseline} × POST /enterprises in {base_s:.1f} s: {base_rps:,.0f} requests/s")
    print(f"ratio path/baseline = {path_rps / base_rps:.2f} (goal ≥ 0.50)")


if __name__ == "__main__":
    sys.exit(main())
