"""Demo chapter 2: the emergency bridge-loan fund in spring 2020.

The fund's first tranche of 100 million yuan arrives on 7 February 2020 (a second of 50 million on 21 February
as demand outruns it). 74 enterprises across the 12 partner banks apply for bridge loans worth exactly
620,450,000.00 yuan; officers submit, managers approve (two of them at or above the dual-approval threshold)
and disburse between 10 February and late March; most loans are repaid by the bank's renewal on their due
date, a few late with penalties, a few are still open on 31 March, and one is declared in default.

The money revolves: 620 million is lent out of 150 million of capital because each loan is back within about
ten days. Everything goes through the services with realistic actors, so the ledger, the audit log and every
figure of ``GET /fund?as_of=2020-03-31`` agree.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy.orm import Session

from bridgefund.demo import papers
from bridgefund.finance import Repayment, position
from bridgefund.services import bridge_loans, documents, fund
from bridgefund.services.actor import Actor

D = Decimal
TOTAL = D("620450000.00")
LOAN_COUNT = 74
FIRST_TRANCHE = (dt.date(2020, 2, 7), D("100000000.00"))
SECOND_TRANCHE = (dt.date(2020, 2, 21), D("50000000.00"))
FIRST_DISBURSEMENT = dt.date(2020, 2, 10)
#: Loans still open on 31 March are disbursed from this day on (due in April).
OPEN_FROM = dt.date(2020, 3, 25)
#: Loans per bank, largest partners first (sums to 74).
LOANS_PER_BANK = [10, 9, 8, 7, 6, 6, 6, 5, 5, 5, 4, 3]

SETTINGS: dict[str, Any] = {
    "fee_tiers": [{"from_day": 1, "daily_rate": D("0.0002")}, {"from_day": 6, "daily_rate": D("0.0004")}],
    "penalty_daily_rate": D("0.001"),
    "max_term_days": 10,
    "per_enterprise_cap": D("10000000.00"),
    "max_share_of_renewal": D("0.95"),
    "dual_approval_threshold": D("5000000.00"),
    "default_after_days": 30,
}


@dataclass
class Plan:
    """One loan of the story: who, how much, and how it ends."""

    n: int
    bank_code: str
    enterprise: Any
    amount: Decimal
    term_days: int
    #: ``on_time``, ``late`` (``late_days`` after due), ``open`` (still out on 31 March), ``default``.
    fate: str
    late_days: int = 0
    disbursed_on: dt.date | None = None


def amounts() -> list[Decimal]:
    """74 amounts, multiples of 10,000 yuan, ten small ones, the rest under the 10 million cap, summing to TOTAL."""
    small = [D(2_000_000 + 250_000 * (i % 6)) for i in range(10)]
    rest = LOAN_COUNT - len(small)
    base = ((TOTAL - sum(small)) / rest).quantize(D("10000"), rounding=ROUND_DOWN)
    large = [base] * rest
    for i in range(rest // 2):  # pairwise variation keeps the sum
        delta = D(((i * 7919) % 13 - 6) * 100_000)
        large[2 * i] += delta
        large[2 * i + 1] -= delta
    large[-1] += TOTAL - sum(small) - sum(large)
    out = []
    for i in range(LOAN_COUNT):  # interleave the small ones
        out.append(small.pop() if i % 7 == 3 and small else large.pop())
    out.extend(small + large)
    out = [a.quantize(D("0.01")) for a in out]
    assert sum(out) == TOTAL and len(out) == LOAN_COUNT and max(out) <= SETTINGS["per_enterprise_cap"]
    return out


def plans(story: dict[str, Any]) -> list[Plan]:
    eligible = [e for e in story["enterprises"] if e.size != "large" and e.in_zone][:LOAN_COUNT]
    codes = [code for code, count in zip(story["banks"], LOANS_PER_BANK, strict=True) for _ in range(count)]
    out = []
    for n, amount in enumerate(amounts()):
        fate, late = "on_time", 0
        if n in (9, 23, 41, 57, 66):
            fate, late = "late", 2 + n % 5
        elif n == 5:
            fate = "default"
        elif n >= LOAN_COUNT - 4:
            fate = "open"
        bank_code = codes[(n * 29) % LOAN_COUNT]  # spread each bank's loans over the weeks
        out.append(Plan(n, bank_code, eligible[n], amount, 7 + n % 4, fate, late))
    return out


def schedule(loans: list[Plan]) -> None:
    """Give each loan a disbursement date: first come, first served, whenever the fund's cash allows."""
    cash, day = D(0), FIRST_TRANCHE[0]
    tranches = {FIRST_TRANCHE[0]: FIRST_TRANCHE[1], SECOND_TRANCHE[0]: SECOND_TRANCHE[1]}
    returns: list[tuple[dt.date, int, Decimal]] = []  # (date, n, principal back) — fees only add to cash
    queue = list(loans)
    while queue:
        cash += tranches.get(day, D(0))
        while returns and returns[0][0] <= day:
            cash += heapq.heappop(returns)[2]
        while queue and day >= FIRST_DISBURSEMENT and queue[0].amount <= cash:
            p = queue[0]
            if p.fate == "open" and day < OPEN_FROM:
                break
            queue.pop(0)
            p.disbursed_on = day
            cash -= p.amount
            if p.fate in ("on_time", "late"):
                back = day + dt.timedelta(days=p.term_days + p.late_days)
                heapq.heappush(returns, (back, p.n, p.amount))
        day += dt.timedelta(days=1)
        if day > dt.date(2020, 3, 28):
            raise RuntimeError("demo: the bridge-loan story does not fit before the end of March")


def _actor(user: Any) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)


def load(session: Session, story: dict[str, Any]) -> None:
    app = story["app"]
    s = app.config["BRIDGEFUND"]
    today = s.business_date()
    users = story["users"]
    admin, li, wang = _actor(users["admin"]), _actor(users["manager-li"]), _actor(users["manager-wang"])
    fund.put_settings(session, admin, SETTINGS)

    loans = plans(story)
    schedule(loans)
    # Every step as (value date, phase, n, action); phases order a day: money back first, then new business.
    events: list[tuple[dt.date, int, int, str]] = []
    for date, amount in (FIRST_TRANCHE, SECOND_TRANCHE):
        events.append((date, 0, -1, f"capital:{amount}"))
    for p in loans:
        assert p.disbursed_on is not None
        events.append((max(p.disbursed_on - dt.timedelta(days=1 + p.n % 2), dt.date(2020, 2, 8)), 2, p.n, "submit"))
        events.append((p.disbursed_on, 3, p.n, "disburse"))
        due = p.disbursed_on + dt.timedelta(days=p.term_days)
        if p.fate in ("on_time", "late"):
            events.append((due + dt.timedelta(days=p.late_days), 1, p.n, "repay"))
        elif p.fate == "default":
            events.append((due + dt.timedelta(days=14), 1, p.n, "repay_part"))
            events.append((due + dt.timedelta(days=SETTINGS["default_after_days"] + 2), 4, p.n, "default"))
    events.sort()

    by_n = {p.n: p for p in loans}
    required = documents.bridge_required(session)  # the papers each approval needs: the officer uploads them
    ids: dict[int, int] = {}
    for date, _phase, n, action in events:
        if action.startswith("capital:"):
            fund.move_capital(session, admin, amount=D(action.split(":")[1]), value_date=date, direction="in",
                              note="郑开管〔2020〕5号 应急转贷资金", today=today)
            continue
        p = by_n[n]
        officer = _actor(users["officer-" + p.bank_code.lower()])
        if action == "submit":
            loan = bridge_loans.submit(
                session, officer, enterprise_id=p.enterprise.id, amount=p.amount, term_days=p.term_days,
                maturing_loan={"contract_no": f"{p.bank_code}-2019-{1000 + n}", "amount": p.amount,
                               "due_date": p.disbursed_on},
                renewal={"amount": (p.amount * D("1.10")).quantize(D("0.01")),
                         "expected_date": p.disbursed_on + dt.timedelta(days=p.term_days)},
                purpose="到期贷款续贷过桥", submitted_on=date, today=today,
            )
            ids[n] = loan.id
            papers.attach_required(session, officer, "bridge_loan", loan.id, loan.reference or str(loan.id),
                                   required)
            # decided in 2020 (business dates), the review on the application's day, a second one the next day
            bridge_loans.approve(session, li, loan.id, comment="材料齐全，同意", today=today, decided_on=date)
            if loan.status == "submitted":
                bridge_loans.approve(session, wang, loan.id, comment="复核同意", today=today,
                                     decided_on=min(date + dt.timedelta(days=1), p.disbursed_on))
        elif action == "disburse":
            bridge_loans.disburse(session, li, ids[n], value_date=date, today=today)
        elif action in ("repay", "repay_part"):
            loan = bridge_loans.get(session, li, ids[n], as_of=date)
            terms = bridge_loans.terms_of(loan)
            due = position(terms, [Repayment(r.value_date, r.amount) for r in loan.repayments], date).amount_due
            amount = due if action == "repay" else D("1000000.00")
            bridge_loans.repay(session, officer, ids[n], amount=amount, value_date=date,
                               external_ref=f"RN-{p.bank_code}-{n:03d}", today=today)
        elif action == "default":
            bridge_loans.declare_default(session, wang, ids[n], value_date=date, today=today)
    story["bridge_loans"] = [ids[p.n] for p in loans]
