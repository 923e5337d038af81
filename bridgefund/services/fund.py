"""The bridge-loan fund's books: settings, capital in and out, the ledger and its money-out rule.

Every money movement out goes through :func:`lock_fund` (the single :class:`FundAccount` row, ``FOR UPDATE``
on PostgreSQL; SQLite already serialises writers), then checks what it must against the ledger, then appends
entries with :func:`post`. A money-out entry dated D is admitted only if the balance stays ≥ 0 on every date
from D on (:func:`cash_headroom`), so a back-dated payout can never overdraw a later day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, func, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.db import Money as MoneyType
from bridgefund.db import money_sum
from bridgefund.errors import Conflict, InsufficientFunds, RuleViolation
from bridgefund.figures.fund import fund_figures, yuan
from bridgefund.figures.read import cash_before, fund_days, fund_totals, is_fresh
from bridgefund.figures.store import FUND
from bridgefund.finance import FeeTier, validate_fee_tiers
from bridgefund.finance.money import ZERO
from bridgefund.messages import money
from bridgefund.models import (
    Bank,
    BankTerms,
    BridgeLoan,
    ClosedPeriod,
    FundAccount,
    FundDay,
    FundLedgerEntry,
    FundSettings,
    LedgerKind,
    PoolLedgerEntry,
    PoolLoan,
    Role,
)
from bridgefund.models import document as document_model
from bridgefund.models.document import DEFAULT_BRIDGE_REQUIRED
from bridgefund.models.fund import DEFAULT_ESTABLISHED_ON, DEFAULT_MARKET_BRIDGE_DAILY_RATE, FUND_ID
from bridgefund.services import audit
from bridgefund.services.actor import Actor
from bridgefund.services.common import (
    Page,
    check_established,
    check_not_future,
    check_period_open,
    established_on_subquery,
    paginate,
)
from bridgefund.services.documents import check_kinds

#: The settings in force until an admin first saves some (DOMAIN.md: 0.2‰ days 1–5 then 0.4‰; ≤ 10 days;
#: ≤ 10 million per enterprise; ≤ 95% of the renewal).
DEFAULT_SETTINGS: dict[str, Any] = {
    "fee_tiers": [{"from_day": 1, "daily_rate": "0.0002"}, {"from_day": 6, "daily_rate": "0.0004"}],
    "penalty_daily_rate": Decimal("0.0005"),
    "max_term_days": 10,
    "per_enterprise_cap": Decimal("10000000.00"),
    "max_share_of_renewal": Decimal("0.95"),
    "dual_approval_threshold": Decimal("5000000.00"),
    "default_after_days": 30,
    "established_on": DEFAULT_ESTABLISHED_ON,
    "market_bridge_daily_rate": DEFAULT_MARKET_BRIDGE_DAILY_RATE,
    "roll_due_date_to_working_day": True,
}
SETTING_KEYS = tuple(DEFAULT_SETTINGS)


# --- settings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The fund's rules as plain values (what approval snapshots onto a loan)."""

    fee_tiers: tuple[FeeTier, ...]
    penalty_daily_rate: Decimal
    max_term_days: int
    per_enterprise_cap: Decimal
    max_share_of_renewal: Decimal
    dual_approval_threshold: Decimal
    default_after_days: int
    #: The day the fund began: the earliest business date it accepts.
    established_on: dt.date = DEFAULT_ESTABLISHED_ON
    #: The private bridge-lending rate a day (financing cost saved).
    market_bridge_daily_rate: Decimal = DEFAULT_MARKET_BRIDGE_DAILY_RATE
    #: A due date on a non-working day moves to the next working day (the calendar, services.calendar).
    roll_due_date_to_working_day: bool = True
    #: The document kinds a bridge loan needs before approval.
    required_documents: tuple[str, ...] = DEFAULT_BRIDGE_REQUIRED

    def as_dict(self) -> dict[str, Any]:
        return {
            "fee_tiers": tiers_to_json(self.fee_tiers),
            **{k: getattr(self, k) for k in SETTING_KEYS if k != "fee_tiers"},
            "required_documents": list(self.required_documents),
        }


def tiers_from_json(raw: list[dict[str, Any]]) -> tuple[FeeTier, ...]:
    return tuple(FeeTier(int(t["from_day"]), Decimal(str(t["daily_rate"]))) for t in raw)


def tiers_to_json(tiers: tuple[FeeTier, ...] | list[FeeTier]) -> list[dict[str, Any]]:
    """Rates as decimal strings (exact in JSON), normalised so equal rates store equal text."""
    out = []
    for t in tiers:
        rate = t.daily_rate.normalize()
        out.append({"from_day": t.from_day, "daily_rate": f"{rate:f}"})
    return out


@allows(Role.admin, Role.fund_manager, Role.auditor)
def position(session: Session, actor: Actor, as_of: dt.date) -> dict[str, Any]:
    """``GET /fund``: :func:`~bridgefund.figures.fund.fund_figures` for the roles that see the fund's figures
    (officers do not)."""
    return fund_figures(session, as_of)


def current_settings(session: Session) -> Settings:
    return settings_of(session.get(FundSettings, FUND_ID))


def settings_of(row: FundSettings | None) -> Settings:
    """The fund's :class:`Settings` from its stored row (None: the defaults), read by the caller."""
    data = DEFAULT_SETTINGS if row is None else {k: getattr(row, k) for k in SETTING_KEYS}
    if data["established_on"] is None:  # a row written before the column had its default
        data = {**data, "established_on": DEFAULT_ESTABLISHED_ON}
    if data["roll_due_date_to_working_day"] is None:
        data = {**data, "roll_due_date_to_working_day": True}
    required = None if row is None else row.required_documents
    return Settings(fee_tiers=tiers_from_json(data["fee_tiers"]),
                    **{k: data[k] for k in SETTING_KEYS if k != "fee_tiers"},
                    required_documents=tuple(document_model.DEFAULT_BRIDGE_REQUIRED if required is None else required))


def settings_bank_and_closed_day(
    session: Session, bank_id: int,
) -> tuple[Settings, Bank, dt.date | None, list[BankTerms]] | None:
    """The fund's settings, bank ``bank_id``, the last closed day and the bank's dated terms (in date order, as
    ``bank_terms.require_partner`` takes them) in one round trip (a submission read them in four; issue 16); None
    when there is no such bank."""
    closed = select(func.max(ClosedPeriod.last_day)).scalar_subquery()
    rows = session.execute(select(Bank, FundSettings, closed, BankTerms).select_from(Bank)
                           .outerjoin(FundSettings, FundSettings.id == FUND_ID)
                           .outerjoin(BankTerms, BankTerms.bank_id == Bank.id)
                           .where(Bank.id == bank_id).order_by(BankTerms.effective_from)).all()
    if not rows:
        return None
    bank, settings_row, closed_day, _ = rows[0]
    return settings_of(settings_row), bank, closed_day, [r[3] for r in rows if r[3] is not None]


@allows(Role.admin, Role.fund_manager, Role.auditor)
def get_settings(session: Session, actor: Actor) -> Settings:
    return current_settings(session)


@allows(Role.admin)
def put_settings(session: Session, actor: Actor, values: dict[str, Any]) -> Settings:
    """Replace the fund's settings (admin). Loans approved earlier keep their snapshot."""
    tiers = tuple(FeeTier(t["from_day"], t["daily_rate"]) for t in values["fee_tiers"])
    problems = validate_fee_tiers(tiers)
    if problems:
        raise RuleViolation("fee_tiers: " + "; ".join(problems), {"fee_tiers": problems})
    row = session.get(FundSettings, FUND_ID, with_for_update=True)
    current = current_settings(session)
    before = _jsonable(current.as_dict())
    values = {**values, "established_on": values.get("established_on") or current.established_on}
    if values.get("market_bridge_daily_rate") is None:  # a PUT without it keeps the current rate
        values["market_bridge_daily_rate"] = current.market_bridge_daily_rate
    if values.get("roll_due_date_to_working_day") is None:  # a PUT without it keeps the current choice
        values["roll_due_date_to_working_day"] = current.roll_due_date_to_working_day
    if values["established_on"] != current.established_on:
        _check_established_on(session, values["established_on"])
    if row is None:
        row = FundSettings(id=FUND_ID)
        session.add(row)
    row.fee_tiers = tiers_to_json(tiers)
    row.required_documents = check_kinds(values.get("required_documents", current.required_documents),
                                         "required_documents")
    for key in SETTING_KEYS:
        if key != "fee_tiers":
            setattr(row, key, values[key])
    row.updated_by = actor.id
    session.flush()
    after = current_settings(session)
    b, a = audit.changes(before, _jsonable(after.as_dict()))
    audit.record(session, actor, "update_settings", "fund", FUND_ID, before=b, after=a)
    return after


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in d.items()}


def _check_established_on(session: Session, established: dt.date) -> None:
    """409 when a business date already booked falls before the new ``established_on`` (the books would break it)."""
    earliest = [d for d in (
        session.scalar(select(func.min(FundLedgerEntry.value_date))),
        session.scalar(select(func.min(BridgeLoan.submitted_on))),
        session.scalar(select(func.min(PoolLoan.start_date))),
        session.scalar(select(func.min(PoolLedgerEntry.value_date))),
    ) if d is not None]
    if earliest and min(earliest) < established:
        raise Conflict(f"the books already hold business dates from {min(earliest)}, before {established}",
                       {"established_on": [f"must not be after {min(earliest)}, the earliest date booked"]})


# --- the lock and the money-out rule --------------------------------------------------------------------


def lock_fund(session: Session, value_date: dt.date, today: dt.date, field: str = "value_date", *,
              lock: bool = True) -> None:
    """Check a money movement's value date and take the fund's lock for this transaction.

    The value date is never in the future nor in a closed month (``check_value_date``); the closed-period
    boundary is read in the same round trip as the lock. The lock row is created on first use (e.g. after a
    wiped test database). Money coming in (repayments) passes ``lock=False``: it can never overdraw the fund,
    so it checks the date without queueing behind payouts.
    """
    check_not_future(value_date, today, field)
    stmt = (select(FundAccount.id, select(func.max(ClosedPeriod.last_day)).scalar_subquery(),
                   established_on_subquery())
            .where(FundAccount.id == FUND_ID))
    if lock:
        stmt = stmt.with_for_update(of=FundAccount)
    row = session.execute(stmt).one_or_none()
    if row is None:
        session.add(FundAccount(id=FUND_ID))
        session.flush()
        row = session.execute(stmt).one()
    check_established(value_date, row[2], field)
    check_period_open(value_date, row[1], field)


def cash_balance(session: Session, as_of: dt.date) -> Decimal:
    """Cash on ``as_of``: the sum of signed entries dated on or before it."""
    if is_fresh(session, FUND):
        return yuan(fund_totals(session, as_of)["cash_delta"])
    return yuan(session.scalar(
        select(money_sum(FundLedgerEntry.cash_delta)).where(FundLedgerEntry.value_date <= as_of)))


def cash_headroom(session: Session, from_date: dt.date) -> tuple[Decimal, dt.date]:
    """The most that may go out on ``from_date``: min over every date d ≥ ``from_date`` of the balance on d.

    Returns the amount and the date where the minimum is reached: a running sum over the per-day cash
    changes of the summary (one row per business day with entries, whatever the number of loans).
    """
    if not is_fresh(session, FUND):
        return _cash_headroom_direct(session, from_date)
    balance, base = ZERO, ZERO
    low: tuple[Decimal, dt.date] | None = None
    for day, delta in fund_days(session):
        balance += delta
        if day <= from_date:
            base = balance
        elif low is None or balance < low[0]:
            low = (balance, day)
    base = yuan(base)
    if low is not None and yuan(low[0]) < base:
        return yuan(low[0]), low[1]
    return base, from_date


def _cash_headroom_direct(session: Session, from_date: dt.date) -> tuple[Decimal, dt.date]:
    """:func:`cash_headroom` from the whole ledger (while the summary awaits a rebuild)."""
    e = FundLedgerEntry
    on_day = select(money_sum(e.cash_delta)).where(e.value_date <= from_date).scalar_subquery()
    daily = select(e.value_date.label("d"), func.sum(e.cash_delta).label("delta")).group_by(e.value_date).subquery()
    running = select(daily.c.d, type_coerce(func.sum(daily.c.delta).over(order_by=daily.c.d), MoneyType())
                     .label("bal")).subquery()
    later = (select(running.c.d, running.c.bal).where(running.c.d > from_date)
             .order_by(running.c.bal, running.c.d).limit(1).subquery())
    row = session.execute(select(on_day, select(later.c.bal).scalar_subquery(),
                                 select(later.c.d).scalar_subquery())).one()
    base = yuan(row[0])
    if row[1] is not None and yuan(row[1]) < base:
        return yuan(row[1]), row[2]
    return base, from_date


def require_cash(session: Session, amount: Decimal, value_date: dt.date, field: str = "amount") -> None:
    """Refuse (409) a money-out of ``amount`` dated ``value_date`` that would overdraw any day from then on."""
    headroom, on = cash_headroom(session, value_date)
    if amount > headroom:
        where = "" if on == value_date else f" (the balance on {on} would go negative)"
        raise InsufficientFunds(
            f"the fund can pay out at most {money(headroom)} yuan on {value_date}{where}; {money(amount)} was asked",
            {field: [f"exceeds the fund's available cash of {money(headroom)} on {value_date}{where}"]},
            available=money(headroom),
        )


def post(session: Session, kind: LedgerKind, amount: Decimal, value_date: dt.date, actor: Actor, *,
         bridge_loan_id: int | None = None, note: str | None = None) -> FundLedgerEntry:
    """Append one ledger entry (callers hold the fund lock and have checked the money-out rule)."""
    entry = FundLedgerEntry.make(kind, amount, value_date, bridge_loan_id=bridge_loan_id, note=note,
                                 created_by=actor.id)
    session.add(entry)
    return entry


# --- capital ----------------------------------------------------------------------------------------------


@allows(Role.admin)
def move_capital(session: Session, actor: Actor, *, amount: Decimal, value_date: dt.date, direction: str,
                 today: dt.date, note: str | None = None) -> FundLedgerEntry:
    """Put capital into the fund or take it out (admin); out beyond the cash on any later day → 409."""
    if amount <= 0:
        raise RuleViolation.on("amount", "must be greater than 0")
    lock_fund(session, value_date, today)
    kind = LedgerKind.capital_in if direction == "in" else LedgerKind.capital_out
    if kind is LedgerKind.capital_out:
        require_cash(session, amount, value_date)
    entry = post(session, kind, amount, value_date, actor, note=note)
    session.flush()
    audit.record(session, actor, kind.value, "fund", FUND_ID,
                 after={"ledger_entry_id": entry.id, "amount": f"{amount:f}", "value_date": value_date.isoformat(),
                        "note": note})
    return entry


# --- the ledger -----------------------------------------------------------------------------------------

LEDGER_SORTS = {
    "-value_date": lambda e: (e.c.value_date.desc(), e.c.id.desc()),
    "value_date": lambda e: (e.c.value_date.asc(), e.c.id.asc()),
    "-id": lambda e: (e.c.id.desc(),),
    "id": lambda e: (e.c.id.asc(),),
}


def ledger_with_balance():  # noqa: ANN201 - a Subquery
    """Every entry with ``balance_after`` from a window over the whole ledger (while the summary is stale)."""
    e = FundLedgerEntry
    return select(
        *_ENTRY_COLUMNS,
        type_coerce(func.sum(e.cash_delta).over(order_by=(e.value_date, e.id)), MoneyType()).label("balance_after"),
    ).subquery("ledger")


_ENTRY_COLUMNS = (FundLedgerEntry.id, FundLedgerEntry.value_date, FundLedgerEntry.kind, FundLedgerEntry.amount,
                  FundLedgerEntry.cash_delta, FundLedgerEntry.bridge_loan_id, FundLedgerEntry.note,
                  FundLedgerEntry.created_at, FundLedgerEntry.created_by)


def balances_after(session: Session, entries: list[tuple[int, dt.date]]) -> dict[int, Decimal]:
    """``balance_after`` of the given entries: the cash after each, in (value_date, id) order.

    The summary gives the balance at the end of the day before each of the page's days; a window over the
    entries of those days adds the same-day entries up to each one. Cost: the page's days, whatever the size.
    (While the summary awaits a rebuild: a window over the whole ledger.)
    """
    if not entries:
        return {}
    wanted = [i for i, _ in entries]
    if not is_fresh(session, FUND):
        led = ledger_with_balance()
        return dict(session.execute(select(led.c.id, led.c.balance_after).where(led.c.id.in_(wanted))).all())
    days = sorted({d for _, d in entries})
    before = cash_before(session, days)
    e = FundLedgerEntry
    same_day = select(e.id, e.value_date, type_coerce(
        func.sum(e.cash_delta).over(partition_by=e.value_date, order_by=e.id), MoneyType()).label("run")
    ).where(e.value_date.in_(days)).subquery()
    rows = session.execute(select(same_day.c.id, same_day.c.value_date, same_day.c.run)
                           .where(same_day.c.id.in_(wanted))).all()
    return {entry_id: yuan(before[day] + run) for entry_id, day, run in rows}


def _with_balances(session: Session, entries: list[FundLedgerEntry]) -> list[dict[str, Any]]:
    """The entries as the ledger shows them: their columns and ``balance_after``."""
    balances = balances_after(session, [(e.id, e.value_date) for e in entries])
    return [{c.key: getattr(e, c.key) for c in _ENTRY_COLUMNS} | {"balance_after": balances[e.id]} for e in entries]


@allows(Role.admin, Role.fund_manager, Role.auditor)
def list_ledger(session: Session, actor: Actor, page: int, page_size: int, *, sort: str = "-value_date",
                kind: str | None = None, bridge_loan_id: int | None = None, from_: dt.date | None = None,
                to: dt.date | None = None, after_id: int | None = None,
                count_limit: int | None = None) -> Page[Any]:
    """Ledger entries with their running balance: a count, one page query and the page's balances.

    By ``page`` (OFFSET) or by keyset: ``after_id`` is an entry, and the page is the entries that follow it in
    ``sort`` order (an index range on ``(value_date, id)``, as fast at the end of the ledger as at its start).
    ``total``: from the daily entry counts when only dates filter; otherwise counted up to ``count_limit``.
    """
    e = FundLedgerEntry
    stmt = select(e).order_by(*LEDGER_SORTS[sort](e.__table__))
    if kind:
        stmt = stmt.where(e.kind == kind)
    if bridge_loan_id is not None:
        stmt = stmt.where(e.bridge_loan_id == bridge_loan_id)
    if from_ is not None:
        stmt = stmt.where(e.value_date >= from_)
    if to is not None:
        stmt = stmt.where(e.value_date <= to)
    known_total = None
    if kind is None and bridge_loan_id is None and is_fresh(session, FUND):
        day = FundDay.__table__.c
        count = select(type_coerce(func.coalesce(func.sum(day.entry_count), 0), BigInteger()))
        count = count.where(day.value_date >= from_) if from_ is not None else count
        count = count.where(day.value_date <= to) if to is not None else count
        known_total = (session.scalar(count) or 0, True)
    after = None
    if after_id is not None:
        anchor = session.scalar(select(e.value_date).where(e.id == after_id))
        if anchor is None:
            raise RuleViolation.on("after_id", f"no ledger entry {after_id}")
        after = _after(sort, anchor, after_id)
    result = paginate(session, stmt, page, page_size, key=e.id, after_id=after_id, after=after,
                      count_limit=count_limit, known_total=known_total)
    return replace(result, items=_with_balances(session, result.items))


def _after(sort: str, anchor: dt.date, after_id: int) -> Any:
    """The entries after ``(anchor, after_id)`` in ``sort`` order (a row comparison on the (value_date, id) index)."""
    e = FundLedgerEntry
    return {
        "-value_date": tuple_(e.value_date, e.id) < tuple_(anchor, after_id),
        "value_date": tuple_(e.value_date, e.id) > tuple_(anchor, after_id),
        "-id": e.id < after_id,
        "id": e.id > after_id,
    }[sort]


def ledger_entry(session: Session, entry_id: int) -> dict[str, Any]:
    """One entry with its ``balance_after`` (as the ledger list shows it)."""
    return _with_balances(session, [session.get_one(FundLedgerEntry, entry_id)])[0]
