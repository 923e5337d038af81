"""A real server for crash tests and load benchmarks: a scratch PostgreSQL database, gunicorn on a loopback port
(started in its own process group so master and workers die together), seeding, and a tiny HTTP client.

Used by ``tests/crash`` and ``bench/bench_load.py``. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET = "crash-test-secret"
TODAY = "2020-12-31"


# --- scratch databases -----------------------------------------------------------------------------------


def create_scratch_db(base_url: str, name: str) -> str:
    """(Re)create database ``name`` on the server of ``base_url``; return its URL."""
    url = make_url(base_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def make_url_name(url: str) -> str:
    return make_url(url).database or "bridgefund"


def drop_scratch_db(url: str) -> None:
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server ------------------------------------------------------------------------------------------


@dataclass
class Server:
    """gunicorn serving ``wsgi:app`` against ``db_url``; ``kill()`` is SIGKILL to master and workers at once."""

    db_url: str
    port: int = field(default_factory=free_port)
    workers: int = 2
    log_path: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    threads: int = 1
    #: the WSGI application gunicorn serves (``bench/bench_ratio.py`` also serves ``bench.bare_app:app``)
    app: str = "wsgi:app"
    health_path: str = "/healthz"

    def start(self, timeout: float = 60.0) -> Server:
        env = {**os.environ, "BRIDGEFUND_DATABASE_URL": self.db_url, "BRIDGEFUND_SECRET_KEY": SECRET,
               "BRIDGEFUND_TODAY": TODAY, "BRIDGEFUND_LOG_LEVEL": "WARNING", "BRIDGEFUND_ENV": "development",
               **self.extra_env}
        log = open(self.log_path or os.devnull, "ab")  # noqa: SIM115 - handed to the child
        args = [GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                "--threads", str(self.threads), "--timeout", "30", "--graceful-timeout", "2", "--preload", self.app]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode} (log: {self.log_path})")
            try:
                if request(self.port, "GET", self.health_path, timeout=1).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not become healthy")

    def kill(self) -> None:
        """SIGKILL the whole process group: the master and every worker, mid-request."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.proc = None


# --- HTTP ---------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def request(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
            timeout: float = 10.0) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers={**h, **(headers or {})})
        r = conn.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, parsed)
    finally:
        conn.close()


# --- seeding ------------------------------------------------------------------------------------------------


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    bank_id: int
    enterprise_ids: list[int]
    approved: list[int]
    disbursed: list[int]


def seed(db_url: str, *, approved: int, disbursed: int, capital: str = "500000000.00",
         enterprises: int = 20) -> World:
    """Migrate ``db_url`` and load a bank, a user and a token per role, capital and loans ready to move money."""
    from bridgefund import create_app
    from bridgefund.finance.uscc import demo_uscc
    from bridgefund.migrate import upgrade
    from bridgefund.models import ApiToken
    from bridgefund.services import bridge_loans, fund, registry
    from bridgefund.services.actor import SYSTEM, Actor
    from bridgefund.services.auth import token_hash

    upgrade(db_url)
    app = create_app({"database_url": db_url, "secret_key": SECRET, "argon2_time_cost": 1,
                      "argon2_memory_cost": 1024, "instance_dir": str(ROOT / "instance")})
    cfg = app.extensions["bridgefund.auth"]
    db = app.extensions["bridgefund.db"]
    today = dt.date.fromisoformat(TODAY)
    headers: dict[str, dict[str, str]] = {}
    with db.sessionmaker() as s, s.begin():
        bank = registry.create_bank(s, SYSTEM, code="CRASH", name="压力测试银行", effective_from=dt.date(2000, 1, 1))
        users = {}
        for role in ("admin", "fund_manager", "bank_officer", "auditor"):
            users[role] = registry.create_user(s, SYSTEM, cfg, username=f"{role}-{secrets.token_hex(3)}",
                                               password="Crash-test-pass-1", role=role,
                                               bank_id=bank.id if role == "bank_officer" else None)
        now = dt.datetime.now(dt.UTC)
        for role, user in users.items():
            token = secrets.token_urlsafe(24)
            s.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, token), created_at=now,
                           expires_at=now + dt.timedelta(hours=4)))
            headers[role] = {"Authorization": f"Bearer {token}"}
        ents = [registry.create_enterprise(s, SYSTEM, uscc=demo_uscc(20_000_000 + i * 7), name=f"压测企业{i}有限公司",
                                           size="small", in_zone=True) for i in range(enterprises)]
        fund.move_capital(s, SYSTEM, amount=Decimal(capital), value_date=dt.date(2020, 2, 1), direction="in",
                          note="seed", today=today)
        mgr = Actor(id=users["fund_manager"].id, username="m", role="fund_manager")
        # The load approves loans through a server of its own (the shipped settings): this fund asks no papers.
        rules = fund.current_settings(s)
        fund.put_settings(s, SYSTEM, {**rules.as_dict(), "required_documents": [], "fee_tiers": [
            {"from_day": t.from_day, "daily_rate": t.daily_rate} for t in rules.fee_tiers]})
        ids = []
        for i in range(approved + disbursed):
            d = dt.date(2020, 2, 10)
            loan = bridge_loans.submit(
                s, SYSTEM, enterprise_id=ents[i % len(ents)].id, bank_id=bank.id, amount=Decimal("100000.00"),
                term_days=10, maturing_loan={"contract_no": f"HT-{i}", "amount": Decimal("100000.00"),
                                             "due_date": d},
                renewal={"amount": Decimal("200000.00"), "expected_date": d}, today=today, submitted_on=d)
            s.flush()
            bridge_loans.approve(s, mgr, loan.id)
            ids.append(loan.id)
        for loan_id in ids[approved:]:
            bridge_loans.disburse(s, mgr, loan_id, value_date=dt.date(2020, 2, 11), today=today)
        bank_id = bank.id
        ent_ids = [e.id for e in ents]
    db.engine.dispose()
    return World(headers=headers, bank_id=bank_id, enterprise_ids=ent_ids, approved=ids[:approved],
                 disbursed=ids[approved:])
