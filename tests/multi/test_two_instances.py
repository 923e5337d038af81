"""Two instances that share nothing but the database, behind a real balancer.

Two gunicorn instances of the app on loopback ports, against one PostgreSQL database (a scratch database on the
server of ``BRIDGEFUND_TEST_DATABASE_URL``, migrated and seeded as ``tests/crash`` does), and
Debian's HAProxy in front running the shipped ``deploy/haproxy.cfg`` (round robin, health checks on ``/healthz``,
``retry-on conn-failure empty-response response-timeout`` with ``option redispatch``).

- a monthly report generated through one instance downloads through the other;
- under ``bench/bench_load.py``'s mixed load through the balancer (an officer submits, a manager approves and
  disburses, the officer repays; auditors read lists and ``GET /fund`` in between), one instance is SIGKILLed midway:
  every request the balancer acknowledged (2xx) is in the books exactly once; the requests that were in flight on the
  killed instance, or sent to it before its health check failed, were retried by the balancer on the survivor; what
  still failed was reported to the client (5xx or no answer), which retries it with the same ``Idempotency-Key`` —
  replayed when it had committed, done now when it had not, never twice;
- afterwards the fund ledger balances, ``GET /fund`` agrees with it, and ``bridgefund summaries check`` finds no
  difference.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import os
import secrets
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bridgefund import create_app
from bridgefund.models import AuditEvent, BridgeLoan, BridgeRepayment, FundLedgerEntry
from tests.bridge_support import check_invariants
from tests.crash import harness
from tests.documents_support import PDF
from tests.multi.balancer import HAPROXY, Balancer

pytestmark = pytest.mark.postgres
PG_URL = os.environ.get("BRIDGEFUND_TEST_DATABASE_URL", "")
#: The mixed load's length and when, from its start, one instance is killed.
LOAD_SECONDS = 8.0
KILL_AFTER = 3.0
CLIENTS = 8
#: How long an instance (or the balancer) may take to come up: a ceiling for a busy machine, not a goal.
START_TIMEOUT = 120.0
#: Answers a client retries with the same key: the balancer's own (502, 503, 504), a failed commit (500), and the
#: same key still in flight (409); no answer at all is retried too.
RETRYABLE = (409, 500, 502, 503, 504)


@dataclass
class Cluster:
    url: str
    world: harness.World
    a: harness.Server
    b: harness.Server
    lb: Balancer
    folder: Path


def _server(url: str, folder: Path, name: str) -> harness.Server:
    """One instance: its own log and a reports folder of its own (archived reports and documents live in the
    database: nothing an instance writes on its disk is another's to read)."""
    reports = folder / f"reports-{name}"
    reports.mkdir(exist_ok=True)
    return harness.Server(url, workers=2, log_path=folder / f"gunicorn-{name}.log",
                          extra_env={"BRIDGEFUND_REPORTS_DIR": str(reports)})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):  # noqa: ANN001, ANN201
    if not PG_URL.startswith("postgresql"):
        pytest.skip("the multi-instance test needs PostgreSQL (BRIDGEFUND_TEST_DATABASE_URL)")
    if not Path(HAPROXY).exists():
        pytest.fail("haproxy is not installed: `make system-deps` installs Debian's package")
    folder = tmp_path_factory.mktemp("multi")
    url = harness.create_scratch_db(PG_URL, f"{harness.make_url_name(PG_URL)}_multi_{os.getpid()}")
    servers: list[Any] = []
    try:
        world = harness.seed(url, approved=0, disbursed=0, capital="50000000000.00", enterprises=50)
        a, b = _server(url, folder, "a"), _server(url, folder, "b")
        servers += [a, b]
        with ThreadPoolExecutor(2) as pool:  # both at once: each spends seconds importing the app
            list(pool.map(lambda server: server.start(timeout=START_TIMEOUT), (a, b)))
        lb = Balancer([a.port, b.port], folder).start(timeout=START_TIMEOUT)
        servers.append(lb)
        yield Cluster(url, world, a, b, lb, folder)
    finally:
        for s in reversed(servers):
            s.stop()
        harness.drop_scratch_db(url)


# ------------------------------------------------------------------------------------------ (a) reports


def test_a_report_generated_on_one_instance_downloads_from_the_other(cluster: Cluster) -> None:
    h = cluster.world.headers
    made = harness.request(cluster.a.port, "POST", "/api/v1/reports/monthly", {"period": "2020-11", "lang": "en"},
                           h["fund_manager"] | {"Idempotency-Key": "multi-report-1"}, timeout=60)
    assert made.status == 201, made.body
    report = made.body
    for port in (cluster.b.port, cluster.lb.port, cluster.lb.port):  # B directly, then twice round robin
        got = harness.request(port, "GET", f"/api/v1/reports/{report['id']}/pdf", None, h["auditor"], timeout=30)
        assert got.status == 200, got.body
        assert got.headers["content-type"] == "application/pdf"
        assert hashlib.sha256(got.body).hexdigest() == report["sha256"]
        assert got.body.startswith(b"%PDF")
    # the record is the same through either instance
    assert harness.request(cluster.b.port, "GET", f"/api/v1/reports/{report['id']}", None, h["auditor"]).body == report


# ------------------------------------------------------------------------------------------ (a') documents


def _raw(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> harness.Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        return harness.Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(raw) if raw else None)
    finally:
        conn.close()


def _multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_document_uploaded_through_one_instance_downloads_from_the_other(cluster: Cluster) -> None:
    h = cluster.world.headers
    loan = harness.request(cluster.a.port, "POST", "/api/v1/bridge-loans", {
        "enterprise_id": cluster.world.enterprise_ids[0], "amount": "100000.00", "term_days": 10,
        "maturing_loan": {"contract_no": "DOC-1", "amount": "100000.00", "due_date": "2020-12-31"},
        "renewal": {"amount": "200000.00", "expected_date": "2020-12-31"}},
        h["bank_officer"] | {"Idempotency-Key": "multi-doc-loan"})
    assert loan.status == 201, loan.body
    body, content_type = _multipart({"kind": "renewal_commitment"}, "续贷承诺函.pdf", PDF)
    up = _raw(cluster.a.port, "POST", f"/api/v1/bridge-loans/{loan.body['id']}/documents", body,
              h["bank_officer"] | {"Content-Type": content_type, "Idempotency-Key": "multi-doc-1"})
    assert up.status == 201, up.body
    for port, role in ((cluster.b.port, "bank_officer"), (cluster.lb.port, "auditor"), (cluster.lb.port, "auditor")):
        got = harness.request(port, "GET", up.body["download_url"], None, h[role], timeout=30)
        assert got.status == 200, got.body
        assert got.body == PDF and hashlib.sha256(got.body).hexdigest() == up.body["sha256"]


# ------------------------------------------------------------------------------------------ (b) the kill


@dataclass
class Op:
    """One write of the mixed load, and what became of it."""

    kind: str  # submit | approve | disburse | repay
    n: int
    role: str
    path: str
    body: dict[str, Any]
    key: str
    loan_id: int | None = None
    statuses: list[int | str] = field(default_factory=list)  # every attempt: a status, or the exception's name
    replayed: bool = False
    answer: Any = None
    acknowledged_at: float | None = None

    @property
    def status(self) -> int | str | None:
        return self.statuses[-1] if self.statuses else None

    @property
    def acknowledged(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


@dataclass
class Load:
    ops: list[Op] = field(default_factory=list)
    reads: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    killed_at: float | None = None
    started: float = 0.0


def _attempt(port: int, headers: dict[str, str], op: Op) -> None:
    try:
        a = harness.request(port, "POST", op.path, op.body, headers | {"Idempotency-Key": op.key}, timeout=60)
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, or cut off mid-answer
        op.statuses.append(type(exc).__name__)
        return
    op.statuses.append(a.status)
    if 200 <= a.status < 300:
        op.answer = a.body
        op.replayed = op.replayed or a.headers.get("idempotent-replayed") == "true"
        op.acknowledged_at = time.monotonic()


def _send(port: int, world: harness.World, op: Op, tries: int = 3) -> bool:
    """What a careful client does: the request with its key, again with the same key while the answer is unclear."""
    for i in range(tries):
        if i:
            time.sleep(0.2)
        _attempt(port, world.headers[op.role], op)
        if op.acknowledged or (isinstance(op.status, int) and op.status not in RETRYABLE):
            break
    return op.acknowledged


def _mixed_load(port: int, world: harness.World, load: Load, seconds: float) -> None:
    """``bench/bench_load.py``'s mixed phase through ``port``, every write with an Idempotency-Key."""
    counter = itertools.count()
    stop = time.monotonic() + seconds
    h = world.headers

    def read(kind: str, path: str) -> None:
        try:
            status: int | str = harness.request(port, "GET", path, None, h["auditor"], timeout=60).status
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
        with load.lock:
            load.reads[f"{kind} {status}"] += 1

    def op(kind: str, n: int, role: str, path: str, body: dict[str, Any], loan_id: int | None = None) -> Op:
        o = Op(kind, n, role, path, body, f"multi-{kind}-{n}", loan_id)
        with load.lock:
            load.ops.append(o)
        _send(port, world, o)
        return o

    def client() -> None:
        while time.monotonic() < stop:
            n = next(counter)
            ent = world.enterprise_ids[n % len(world.enterprise_ids)]
            sub = op("submit", n, "bank_officer", "/api/v1/bridge-loans", {
                "enterprise_id": ent, "amount": "100000.00", "term_days": 10,
                "maturing_loan": {"contract_no": f"MX-{n}", "amount": "100000.00", "due_date": "2020-12-31"},
                "renewal": {"amount": "200000.00", "expected_date": "2020-12-31"}})
            read("list loans", "/api/v1/bridge-loans?page_size=20")
            if not sub.acknowledged:
                continue
            loan = sub.answer["id"]
            if not op("approve", n, "fund_manager", f"/api/v1/bridge-loans/{loan}/approve", {}, loan).acknowledged:
                continue
            read("fund", "/api/v1/fund")
            if not op("disburse", n, "fund_manager", f"/api/v1/bridge-loans/{loan}/disburse",
                      {"value_date": "2020-12-31"}, loan).acknowledged:
                continue
            read("ledger", "/api/v1/fund/ledger?page_size=20")
            op("repay", n, "bank_officer", f"/api/v1/bridge-loans/{loan}/repayments",
               {"amount": "100000.00", "value_date": "2020-12-31", "external_ref": f"LR-{n}"}, loan)

    with ThreadPoolExecutor(CLIENTS) as pool:
        for f in [pool.submit(client) for _ in range(CLIENTS)]:
            f.result()


def _traces(s: Session, op: Op) -> int:
    """How many times ``op``'s effect is in the books (0 or 1 when all is well)."""
    if op.kind == "submit":
        return s.scalar(select(func.count()).select_from(BridgeLoan)
                        .where(BridgeLoan.maturing_contract_no == f"MX-{op.n}")) or 0
    if op.kind == "approve":
        return s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == "bridge_loan", AuditEvent.entity_id == op.loan_id,
            AuditEvent.action == "approve")) or 0
    if op.kind == "disburse":
        return s.scalar(select(func.count()).select_from(FundLedgerEntry).where(
            FundLedgerEntry.bridge_loan_id == op.loan_id, FundLedgerEntry.kind == "disbursement")) or 0
    return s.scalar(select(func.count()).select_from(BridgeRepayment)
                    .where(BridgeRepayment.external_ref == f"LR-{op.n}")) or 0


@pytest.fixture(scope="module")
def killed(cluster: Cluster) -> dict[str, Any]:
    """The mixed load through the balancer, instance A SIGKILLed ``KILL_AFTER`` seconds in; then the books."""
    load = Load(started=time.monotonic())
    before = cluster.lb.counters()

    def killer() -> None:
        time.sleep(KILL_AFTER)
        cluster.a.kill()
        load.killed_at = time.monotonic()

    k = threading.Thread(target=killer)
    k.start()
    _mixed_load(cluster.lb.port, cluster.world, load, LOAD_SECONDS)
    k.join()
    after = cluster.lb.counters()
    balancer = {k: after[k] - before[k] for k in after}
    states = cluster.lb.states()

    eng = create_engine(cluster.url)
    tally: Counter = Counter()
    try:
        with Session(eng) as s:
            for op in load.ops:
                n = _traces(s, op)
                tally["sent"] += 1
                tally["attempts"] += len(op.statuses)
                tally["retried by the client"] += len(op.statuses) - 1
                tally["replayed"] += op.replayed
                assert n <= 1, f"{op.kind} {op.key} is in the books {n} times"
                if op.acknowledged:
                    tally["acknowledged"] += 1
                    assert n == 1, f"{op.kind} {op.key} was acknowledged {op.statuses} but is in the books {n} times"
                    tally["verified"] += 1
                    tally["acknowledged after the kill"] += op.acknowledged_at > (load.killed_at or float("inf"))
                elif isinstance(op.status, int) and op.status < 500 and op.status != 409:
                    tally[f"refused {op.status}"] += 1
                    assert n == 0, f"{op.kind} {op.key} was refused {op.statuses} but left {n} traces"
                else:
                    tally["reported failed to the client"] += 1
                    tally["  …of which had committed"] += n

        # the client, told nothing clear, tries again later with the same key: through the survivor now
        unclear = [op for op in load.ops if not op.acknowledged and not (
            isinstance(op.status, int) and op.status < 500 and op.status != 409)]
        for op in unclear:
            with Session(eng) as s:
                committed = _traces(s, op)
            op.replayed = False
            assert _send(cluster.lb.port, cluster.world, op), f"retry of {op.kind} {op.key}: {op.statuses}"
            if committed:
                assert op.replayed, f"the retry of {op.key}, which had committed, was performed again"
            tally["retried later: replayed" if op.replayed else "retried later: done now"] += 1
        with Session(eng) as s:
            for op in load.ops:
                assert _traces(s, op) == (1 if op.acknowledged else 0), f"{op.kind} {op.key} after the retries"
            sums = check_invariants(s)
    finally:
        eng.dispose()
    return {"tally": tally, "balancer": balancer, "states": states, "reads": load.reads, "sums": sums,
            "load": load}


def test_b_sigkill_of_one_instance_loses_and_duplicates_nothing(cluster: Cluster, killed: dict[str, Any]) -> None:
    tally, balancer = killed["tally"], killed["balancer"]
    print(f"\ntwo instances behind HAProxy, A SIGKILLed {KILL_AFTER:.0f} s into {LOAD_SECONDS:.0f} s of mixed load "
          f"({CLIENTS} clients):\n  writes {dict(tally)}\n  reads {dict(killed['reads'])}\n  balancer "
          f"{balancer}\n  servers {killed['states']}")
    print(f"counts: sent {tally['sent']}, acknowledged {tally['acknowledged']}, verified {tally['verified']}, "
          f"retried {balancer['wretr']} by the balancer ({balancer['wredis']} redispatched to the survivor) and "
          f"{tally['retried by the client']} by the clients")
    assert killed["load"].killed_at is not None
    assert killed["states"]["web1"].startswith("DOWN") and killed["states"]["web2"] == "UP"
    assert tally["verified"] == tally["acknowledged"] > 0
    # the kill landed mid-load: the survivor went on acknowledging, and the balancer had requests to send again
    assert tally["acknowledged after the kill"] > 0
    assert balancer["wretr"] + balancer["wredis"] > 0, balancer


def test_c_books_balance_after_the_kill(cluster: Cluster, killed: dict[str, Any]) -> None:
    sums = killed["sums"]  # check_invariants: the ledger's identities and every loan against its entries
    fund = harness.request(cluster.lb.port, "GET", "/api/v1/fund", None, cluster.world.headers["auditor"])
    assert fund.status == 200, fund.body
    assert Decimal(fund.body["cash_balance"]) == sums["cash"]
    assert Decimal(fund.body["outstanding_principal"]) == (sums["disbursement"] - sums["principal_repaid"]
                                                           - sums["write_off"])
    app = create_app({"database_url": cluster.url, "secret_key": harness.SECRET, "today": harness.TODAY,
                      "instance_dir": str(cluster.folder / "instance")})
    try:  # the CLI command, in this process (a subprocess would spend seconds importing the app again)
        check = app.test_cli_runner().invoke(args=["summaries", "check"])
    finally:
        app.extensions["bridgefund.db"].engine.dispose()
    assert check.exit_code == 0, check.output
    assert ": 0 differences" in check.stdout


def test_haproxy_is_on_the_system_package_list() -> None:
    """``make test`` installs what this module runs (Makefile ``SYSTEM_PACKAGES``)."""
    makefile = (harness.ROOT / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if x.startswith("SYSTEM_PACKAGES"))
    assert "haproxy" in line.split()
    assert shutil.which("haproxy") is not None

