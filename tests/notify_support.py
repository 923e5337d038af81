"""Helpers of the notification tests: loans built at chosen dates, a flaky SMTP server, a WeCom robot stand-in."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.models import BridgeApproval, BridgeLoan, Notification, NotificationEvent

TIERS = [{"from_day": 1, "daily_rate": "0.0002"}, {"from_day": 6, "daily_rate": "0.0004"}]
_numbers = iter(range(900_000, 999_999))


def bridge_loan(db: Session, bank: Any, enterprise: Any, *, status: str = "disbursed", amount: str = "1000000.00",
                disbursed_on: dt.date | None = None, due_date: dt.date | None = None,
                renewal_expected: dt.date, maturing_due: dt.date | None = None,
                default_after_days: int = 30, approved_on: dt.date | None = None) -> BridgeLoan:
    """A bridge loan written directly in ``status`` with exactly these dates (the services would roll a due date
    and judge the dates against today; the reminders read what is stored)."""
    no = next(_numbers)
    start = disbursed_on or maturing_due or renewal_expected
    approved_on = approved_on or start - dt.timedelta(days=1)
    loan = BridgeLoan(
        reference=f"BL-2020-{no:06d}", reference_year=2020, reference_no=no, status=status,
        enterprise_id=enterprise.id, bank_id=bank.id, submitted_on=start - dt.timedelta(days=3),
        maturing_contract_no=f"HT-{no}", maturing_amount=Decimal(amount), maturing_due_date=maturing_due or start,
        amount=Decimal(amount), term_days=((due_date - disbursed_on).days if due_date and disbursed_on else 10),
        renewal_amount=Decimal(amount) * 2, renewal_expected_date=renewal_expected, fee_tiers=TIERS,
        penalty_daily_rate=Decimal("0.0005"), default_after_days=default_after_days, required_approvals=1,
        approved_at=dt.datetime.combine(approved_on, dt.time(9), tzinfo=dt.UTC), disbursed_on=disbursed_on,
        due_date=due_date)
    db.add(loan)
    db.flush()
    # its manager's approval, as the services record it (the cash forecast counts a loan from its approval date)
    db.add(BridgeApproval(bridge_loan_id=loan.id, manager_id=None, decided_on=approved_on))
    db.commit()
    return loan


def events_on(db: Session, day: dt.date) -> set[tuple[str, str, int]]:
    """(kind, subject_type, subject_id) of every event raised for business date ``day``."""
    rows = db.execute(select(NotificationEvent.kind, NotificationEvent.subject_type, NotificationEvent.subject_id)
                      .where(NotificationEvent.business_date == day))
    return {tuple(r) for r in rows}


def notes_of(db: Session, user: Any) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FlakySmtp:
    """An aiosmtpd handler that answers 451 to the first ``failures`` messages, then accepts."""

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.tries = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.tries += 1
        if self.tries <= self.failures:
            return "451 4.3.0 Temporary failure, try again later"
        self.accepted.append(envelope.content)
        return "250 2.0.0 OK"


@contextmanager
def smtp_server(handler: FlakySmtp) -> Iterator[int]:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class Robot:
    """What a WeCom group robot stand-in received."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()


@contextmanager
def wecom_robot() -> Iterator[tuple[str, Robot]]:
    """A local HTTP server answering like a WeCom robot; yields its webhook prefix and what it received."""
    robot = Robot()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with robot.lock:
                robot.messages.append({"path": self.path, "json": json.loads(body),
                                       "content_type": self.headers["Content-Type"]})
            answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=", robot
    finally:
        server.shutdown()
        server.server_close()
