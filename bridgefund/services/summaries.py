"""Keeping the summary tables (``models.summary``) in step with the books, in the same transaction.

How it stays right whatever code path changes the books:

* **Capture** (``before_flush``): every new fund ledger entry adds its amount to the day's pending deltas; the
  first time a transaction changes a fact a loan's figures depend on (``_BRIDGE_FACTS``, ``_POOL_FACTS``: the
  loan's dates and amounts, a principal repayment, an installment's due or settlement date, a recovery, a
  claim's filing or rejection date), the loan's *current* dated contribution is read from the database — before
  the change reaches it — and kept as "before". New loans have an empty "before". Other changes (an approval,
  a status, an accrued penalty) are not looked at.
* **Apply** (``before_commit``): after the last flush, each captured loan's contribution is read again
  ("after"); ``after − before`` (``finance.profiles.difference``) joins the pending deltas, which are added to
  the day rows by one executemany upsert per table, **in a fixed order** (fund days by date, then pool days and
  months by bank and date) as the transaction's last statements — so two transactions never wait for each
  other's rows in opposite orders, and the row locks are held only for the commit.
* **Read** (:func:`fund_totals`, :func:`pool_bank_totals`, …): the committed rows plus this transaction's
  pending deltas (computed, not written), so a figure read in the middle of a change sees the change.
* A rolled-back transaction drops what it captured.

The loan contributions are pure functions (``finance.profiles``); the whole-history definitions stay in
``fund_figures`` / ``pool_figures`` (``*_direct``), and ``bridgefund summaries check`` compares the two.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Connection, delete, event, func, inspect, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bridgefund.db import Money, money_sum
from bridgefund.finance.money import ZERO
from bridgefund.finance.profiles import (
    BridgeDay,
    BridgeLoanDates,
    PoolDay,
    PoolLoanDates,
    bridge_deltas,
    difference,
    pool_deltas,
)
from bridgefund.models import (
    BridgeLoan,
    Claim,
    FundDay,
    FundLedgerEntry,
    LedgerKind,
    PoolBankDay,
    PoolBankMonth,
    PoolInstallment,
    PoolLoan,
    PoolRecovery,
    PoolRepayment,
    PoolSettings,
    SummaryState,
)

FUND, POOL = "fund", "pool"
#: Loans read per query when contributions are loaded in bulk.
CHUNK = 500
#: The default of ``claim_after_days_overdue`` when no pool settings row exists (services.pool.DEFAULTS).
DEFAULT_CLAIM_AFTER_DAYS = 90

MONEY_COLUMNS = ("capital_in", "capital_out", "disbursement", "principal_repaid", "fee", "penalty", "write_off",
                 "recovery", "cash_delta", "overdue_amount")
COUNT_COLUMNS = ("entry_count", "disbursed_count", "new_enterprises", "repaid_count", "days_used", "overdue_count")
FUND_COLUMNS = MONEY_COLUMNS + COUNT_COLUMNS

_KEY = "bridgefund.summaries"


class _Tx:
    """What one transaction has captured (kept in ``session.info``)."""

    def __init__(self) -> None:
        #: fund deltas from ledger entries, per date and column
        self.fund: dict[dt.date, dict[str, Any]] = defaultdict(dict)
        #: loan id → its contribution before this transaction touched it
        self.bridge_before: dict[int, dict[dt.date, BridgeDay]] = {}
        self.pool_before: dict[int, tuple[int, dict[dt.date, PoolDay]]] = {}
        #: enterprise id → the date of its first disbursement before this transaction (enterprises whose loans
        #: had a disbursement date set or changed)
        self.first_before: dict[int, dt.date | None] = {}
        #: new loans, whose ids are known only after their flush
        self.new_bridge: list[BridgeLoan] = []
        self.new_pool: list[PoolLoan] = []
        #: ``claim_after_days_overdue`` changed: every loan's non-performing dates move, rebuild the pool summary
        self.rebuild_pool = False
        #: the contributions of pool loans inserted in bulk (:func:`add_new_pool_loans`), per bank and date
        self.pool_added: dict[tuple[int, dt.date], PoolDay] = {}

    def __bool__(self) -> bool:
        return bool(self.fund or self.bridge_before or self.pool_before or self.new_bridge or self.new_pool
                    or self.first_before or self.rebuild_pool or self.pool_added)


def _tx(session: Session) -> _Tx:
    tx = session.info.get(_KEY)
    if tx is None:
        tx = session.info[_KEY] = _Tx()
    return tx


def _add(target: dict[str, Any], column: str, value: Any) -> None:
    target[column] = target.get(column, 0) + value


def _add_entries(day: dict[str, Any], kind: str, amount: Decimal, count: int) -> None:
    """``count`` ledger entries of ``kind`` totalling ``amount`` on one value date."""
    _add(day, kind, amount)
    _add(day, "cash_delta", amount * LedgerKind(kind).sign)
    _add(day, "entry_count", count)
    if kind == LedgerKind.disbursement.value:
        _add(day, "disbursed_count", count)


def _add_figures(day: dict[str, Any], change: BridgeDay) -> None:
    """A change of a bridge loan's dated figures (the :class:`BridgeDay` fields are ``fund_days`` columns)."""
    for f in fields(change):
        _add(day, f.name, getattr(change, f.name))


# --- capture --------------------------------------------------------------------------------------------


#: The attributes a loan's dated figures depend on (finance.profiles); a change of anything else (status,
#: approvals, accrued penalty, notes …) leaves its contribution as it was and is not looked at.
_BRIDGE_FACTS = ("amount", "disbursed_on", "due_date", "repaid_on", "written_off_on")
_POOL_FACTS = {PoolLoan: ("principal", "start_date", "written_off_on", "written_off_principal"),
               PoolInstallment: ("due_date", "settled_on"), PoolRepayment: ("principal", "value_date"),
               PoolRecovery: ("amount", "value_date"),
               Claim: ("filed_on", "rejected_on")}


def _changed(obj: Any, attrs: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in attrs)


@event.listens_for(Session, "before_flush")
def _capture(session: Session, _context: Any, _instances: Any) -> None:
    tx = _tx(session)
    _resolve_new(tx)
    bridge_ids: set[int] = set()
    pool_ids: set[int] = set()
    enterprises: set[int] = set()
    for obj in session.new:
        if isinstance(obj, FundLedgerEntry):
            _add_entries(tx.fund[obj.value_date], obj.kind, obj.amount, 1)
            if obj.kind == LedgerKind.principal_repaid.value and obj.bridge_loan_id is not None:
                bridge_ids.add(obj.bridge_loan_id)  # the loan's principal outstanding changes
        elif isinstance(obj, BridgeLoan) and obj.disbursed_on is not None:
            # (an application has no dated figures until it is disbursed — then it is a dirty loan, read before)
            tx.new_bridge.append(obj)
            enterprise = obj.enterprise_id if obj.enterprise_id is not None else getattr(
                obj.__dict__.get("enterprise"), "id", None)
            if enterprise is not None:
                enterprises.add(enterprise)
        elif isinstance(obj, PoolLoan):
            tx.new_pool.append(obj)
        elif isinstance(obj, (PoolInstallment, PoolRepayment, PoolRecovery, Claim)) and obj.loan_id is not None:
            pool_ids.add(obj.loan_id)
    for obj in session.dirty:
        if isinstance(obj, BridgeLoan) and obj.id is not None and _changed(obj, _BRIDGE_FACTS):
            bridge_ids.add(obj.id)
            if _changed(obj, ("disbursed_on",)):
                enterprises.add(obj.enterprise_id)
        elif type(obj) in _POOL_FACTS and _changed(obj, _POOL_FACTS[type(obj)]):
            loan_id = obj.id if isinstance(obj, PoolLoan) else obj.loan_id
            if loan_id is not None:
                pool_ids.add(loan_id)
        elif isinstance(obj, PoolSettings) and not tx.rebuild_pool \
                and obj.claim_after_days_overdue != claim_after_days(session.connection()):
            tx.rebuild_pool = True
    conn = session.connection()
    if enterprises - tx.first_before.keys():  # read before this flush writes the new dates
        tx.first_before.update(_first_disbursements(conn, sorted(enterprises - tx.first_before.keys())))
    new_bridge = bridge_ids - tx.bridge_before.keys()
    if new_bridge:
        states = load_bridge(conn, sorted(new_bridge))
        for loan_id in new_bridge:
            tx.bridge_before[loan_id] = bridge_deltas(states[loan_id][1]) if loan_id in states else {}
    new_pool = pool_ids - tx.pool_before.keys()
    if new_pool:
        after_days = claim_after_days(conn)
        for loan_id, dates in load_pool(conn, sorted(new_pool)).items():
            tx.pool_before[loan_id] = (dates.bank_id, pool_deltas(dates, after_days))


def _resolve_new(tx: _Tx) -> None:
    """New loans that have been flushed get an id: from now on they are captured loans with nothing before."""
    for loan in [x for x in tx.new_bridge if x.id is not None]:
        tx.bridge_before.setdefault(loan.id, {})
        tx.new_bridge.remove(loan)
    for loan in [x for x in tx.new_pool if x.id is not None]:
        tx.pool_before.setdefault(loan.id, (loan.bank_id, {}))
        tx.new_pool.remove(loan)


def add_new_pool_loans(session: Session, loans: Iterable[PoolLoanDates]) -> None:
    """Pool loans this transaction inserted without the ORM (a bulk import's Core ``INSERT``), which the flush
    capture does not see: their whole contribution (nothing before) joins the pending deltas. A later change
    to one of them in the same transaction is captured as usual, with the stored loan as its "before"."""
    tx = _tx(session)
    after_days = claim_after_days(session.connection())
    added = tx.pool_added
    for dates in loans:
        for day, change in pool_deltas(dates, after_days).items():
            key = (dates.bank_id, day)
            added[key] = added[key] + change if key in added else change


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_KEY, None)


# --- apply ----------------------------------------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _apply(session: Session) -> None:
    session.flush()  # the commit would flush after this hook: capture the last changes now (a no-op when clean)
    tx = session.info.pop(_KEY, None)
    if not tx:
        return
    fund, pool = _pending(session, tx)
    conn = session.connection()
    _upsert_fund(conn, fund)
    if tx.rebuild_pool:
        rebuild(session, [POOL])
    else:
        _upsert_pool(conn, pool)


def _pending(session: Session, tx: _Tx) -> tuple[dict[dt.date, dict[str, Any]], dict[tuple[int, dt.date], PoolDay]]:
    """This transaction's changes to the summaries: ledger deltas plus each touched loan's after − before."""
    _resolve_new(tx)
    conn = session.connection()
    fund: dict[dt.date, dict[str, Any]] = defaultdict(dict)
    for day, cols in tx.fund.items():
        fund[day].update(cols)
    if tx.bridge_before:
        states = load_bridge(conn, sorted(tx.bridge_before))
        for loan_id, before in tx.bridge_before.items():
            for day, change in difference(bridge_deltas(states[loan_id][1]), before).items():
                _add_figures(fund[day], change)
    after = _first_disbursements(conn, sorted(tx.first_before)) if tx.first_before else {}
    for enterprise, before_first in tx.first_before.items():
        after_first = after[enterprise]
        if before_first != after_first:
            if before_first is not None:
                _add(fund[before_first], "new_enterprises", -1)
            if after_first is not None:
                _add(fund[after_first], "new_enterprises", 1)
    pool: dict[tuple[int, dt.date], PoolDay] = {}
    if not tx.rebuild_pool:
        pool.update(tx.pool_added)
    if tx.pool_before and not tx.rebuild_pool:
        after_days = claim_after_days(conn)
        states = load_pool(conn, sorted(tx.pool_before))
        for loan_id, (bank_id, before) in tx.pool_before.items():
            for day, change in difference(pool_deltas(states[loan_id], after_days), before).items():
                pool[(bank_id, day)] = pool.get((bank_id, day), PoolDay()) + change
    return {d: c for d, c in fund.items() if any(c.values())}, {k: v for k, v in pool.items() if v}


def _insert_for(conn: Connection):  # noqa: ANN202 - the dialect's INSERT with ON CONFLICT
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _upsert(conn: Connection, table: Any, keys: Sequence[str], columns: Sequence[str],
            rows: list[dict[str, Any]]) -> None:
    """Add ``rows`` to ``table`` (insert, or add to the existing row with the same keys), in the given order:
    one executemany, so the rows are locked in that order."""
    if not rows:
        return
    stmt = _insert_for(conn)(table)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys], set_={c: table.c[c] + stmt.excluded[c] for c in columns}), rows)


def _upsert_fund(conn: Connection, fund: dict[dt.date, dict[str, Any]]) -> None:
    rows = [{"value_date": day, **{c: fund[day].get(c, 0) for c in FUND_COLUMNS}} for day in sorted(fund)]
    _upsert(conn, FundDay.__table__, ["value_date"], FUND_COLUMNS, rows)


def _upsert_pool(conn: Connection, pool: dict[tuple[int, dt.date], PoolDay]) -> None:
    months: dict[tuple[int, dt.date], PoolDay] = {}
    for (bank_id, day), change in pool.items():
        key = (bank_id, day.replace(day=1))
        months[key] = months.get(key, PoolDay()) + change
    for table, changes, date_column in ((PoolBankDay.__table__, pool, "value_date"),
                                        (PoolBankMonth.__table__, months, "month")):
        rows = [{"bank_id": bank_id, date_column: day, "outstanding": changes[(bank_id, day)].outstanding,
                 "npl_principal": changes[(bank_id, day)].npl_principal} for bank_id, day in sorted(changes)]
        _upsert(conn, table, ["bank_id", date_column], ["outstanding", "npl_principal"], rows)


# --- loading loans' dated facts -------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def load_bridge(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[int, BridgeLoanDates]]:
    """loan id → (enterprise id, its dated facts), a constant number of queries per :data:`CHUNK` loans."""
    out: dict[int, tuple[int, BridgeLoanDates]] = {}
    loan, e = BridgeLoan.__table__.c, FundLedgerEntry.__table__.c
    for chunk in _chunks(ids):
        paid: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for loan_id, day, amount in conn.execute(
                select(e.bridge_loan_id, e.value_date, e.amount)
                .where(e.bridge_loan_id.in_(chunk), e.kind == LedgerKind.principal_repaid.value)):
            paid[loan_id].append((day, amount))
        for row in conn.execute(select(loan.id, loan.enterprise_id, loan.amount, loan.disbursed_on, loan.due_date,
                                       loan.repaid_on, loan.written_off_on).where(loan.id.in_(chunk))):
            out[row.id] = (row.enterprise_id, _bridge_dates(row, paid.get(row.id, ())))
    return out


def _first_disbursements(conn: Connection, enterprise_ids: Sequence[int]) -> dict[int, dt.date | None]:
    """enterprise id → the date of its first disbursement (None: never lent to), one query per :data:`CHUNK`."""
    loan = BridgeLoan.__table__.c
    out: dict[int, dt.date | None] = dict.fromkeys(enterprise_ids)
    for chunk in _chunks(enterprise_ids):
        out.update(conn.execute(select(loan.enterprise_id, func.min(loan.disbursed_on))
                                .where(loan.enterprise_id.in_(chunk)).group_by(loan.enterprise_id)).all())
    return out


def load_pool(conn: Connection, ids: Sequence[int]) -> dict[int, PoolLoanDates]:
    """loan id → its dated facts (installments, repayments, recoveries, live claims): five queries per chunk."""
    out: dict[int, PoolLoanDates] = {}
    for chunk in _chunks(ids):
        facts = _pool_facts(conn, chunk)
        loan = PoolLoan.__table__.c
        for row in conn.execute(select(loan.id, loan.bank_id, loan.principal, loan.start_date, loan.written_off_on,
                                       loan.written_off_principal).where(loan.id.in_(chunk))):
            out[row.id] = _pool_dates(row, {name: by_loan.get(row.id, ()) for name, by_loan in facts.items()})
    return out


def _pool_fact_queries() -> dict[str, Any]:
    """The facts of pool loans a contribution depends on, as ``(loan_id, …)`` selects (filter or order them)."""
    inst, rep, rec, claim = (PoolInstallment.__table__.c, PoolRepayment.__table__.c, PoolRecovery.__table__.c,
                             Claim.__table__.c)
    return {
        "inst": select(inst.loan_id, inst.due_date, inst.settled_on),
        "paid": select(rep.loan_id, rep.value_date, rep.principal).where(rep.principal > 0),
        "rec": select(rec.loan_id, rec.value_date, rec.amount),
        "claims": select(claim.loan_id, claim.filed_on, claim.rejected_on),
    }


def _pool_facts(conn: Connection, ids: Sequence[int]) -> dict[str, dict[int, list[Any]]]:
    facts: dict[str, dict[int, list[Any]]] = {}
    for name, stmt in _pool_fact_queries().items():
        facts[name] = defaultdict(list)
        for loan_id, *rest in conn.execute(stmt.where(stmt.selected_columns[0].in_(ids))):
            facts[name][loan_id].append(tuple(rest))
    return facts


def _bridge_dates(row: Any, paid: Iterable[tuple[dt.date, Decimal]]) -> BridgeLoanDates:
    """A bridge loan row (amount and dates) and its principal repayments as :class:`BridgeLoanDates`."""
    return BridgeLoanDates(row.amount, row.disbursed_on, row.due_date, row.repaid_on, row.written_off_on, tuple(paid))


def _pool_dates(row: Any, facts: dict[str, Iterable[tuple[Any, ...]]]) -> PoolLoanDates:
    """A pool loan row and its facts (``inst``, ``paid``, ``rec``, ``claims`` rows) as :class:`PoolLoanDates`."""
    return PoolLoanDates(
        bank_id=row.bank_id, principal=row.principal, start_date=row.start_date,
        installments=tuple(facts["inst"]), principal_paid=tuple(facts["paid"]), recovered=tuple(facts["rec"]),
        claims=tuple(facts["claims"]),
        written_off=((row.written_off_on, row.written_off_principal),) if row.written_off_on is not None else ())


def claim_after_days(conn: Connection) -> int:
    value = conn.scalar(select(PoolSettings.__table__.c.claim_after_days_overdue))
    return DEFAULT_CLAIM_AFTER_DAYS if value is None else int(value)


# --- reading --------------------------------------------------------------------------------------------


def is_fresh(session: Session, name: str) -> bool:
    """False while the summary set ``name`` awaits a rebuild (figures then use the whole-history queries),
    or — for the pool — while this transaction changed ``claim_after_days_overdue`` (rebuilt at its commit)."""
    session.flush()
    tx = session.info.get(_KEY)
    if name == POOL and tx is not None and tx.rebuild_pool:
        return False
    return session.get(SummaryState, name) is None


def _pending_for_read(session: Session) -> tuple[dict[dt.date, dict[str, Any]], dict[tuple[int, dt.date], PoolDay]]:
    if _KEY not in session.info:
        return {}, {}
    session.flush()
    tx = session.info.get(_KEY)
    return _pending(session, tx) if tx else ({}, {})


def fund_totals(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Σ of every :class:`FundDay` column over the days ≤ ``as_of``, this transaction's changes included."""
    table = FundDay.__table__
    row = session.connection().execute(
        select(*(_sum(table.c[c]).label(c) for c in FUND_COLUMNS)).where(table.c.value_date <= as_of)).one()._mapping
    totals: dict[str, Any] = dict(row)
    for day, cols in _pending_for_read(session)[0].items():
        if day <= as_of:
            for c, v in cols.items():
                totals[c] += v
    return totals


def _sum(column: Any) -> Any:
    """``COALESCE(SUM(column), 0)`` typed like the column: yuan for money (stored as fen), int for counts."""
    if column.name in MONEY_COLUMNS + ("outstanding", "npl_principal"):
        return money_sum(column)
    return type_coerce(func.coalesce(func.sum(column), 0), BigInteger())


def fund_days(session: Session) -> list[tuple[dt.date, Decimal]]:
    """(date, Σ of the day's signed entries) for every date with ledger entries, oldest first (pending included)."""
    table = FundDay.__table__
    days = {d: v for d, v in session.connection().execute(
        select(table.c.value_date, table.c.cash_delta).where(table.c.entry_count != 0))}
    for day, cols in _pending_for_read(session)[0].items():
        if "cash_delta" in cols or "entry_count" in cols:
            days[day] = days.get(day, ZERO) + cols.get("cash_delta", ZERO)
    return sorted(days.items())


def cash_before(session: Session, days: Sequence[dt.date]) -> dict[dt.date, Decimal]:
    """The fund's cash at the end of the day before each of ``days``: one sum up to the earliest of them and the
    few day rows between the earliest and the latest (pending changes included)."""
    if not days:
        return {}
    days = sorted(set(days))
    table = FundDay.__table__.c
    conn = session.connection()
    base = conn.scalar(select(_sum(table.cash_delta)).where(table.value_date < days[0]))
    between = list(conn.execute(select(table.value_date, table.cash_delta)
                                .where(table.value_date >= days[0], table.value_date < days[-1])))
    for day, cols in _pending_for_read(session)[0].items():
        if "cash_delta" in cols:
            if day < days[0]:
                base += cols["cash_delta"]
            elif day < days[-1]:
                between.append((day, cols["cash_delta"]))
    return {d: base + sum((v for day, v in between if day < d), ZERO) for d in days}


def pool_bank_totals(session: Session, as_of: dt.date, bank_ids: Iterable[int] | None, *,
                     include_pending: bool = True) -> dict[int, PoolDay]:
    """Each bank's outstanding and non-performing principal on ``as_of``: Σ of the months before ``as_of``'s
    month plus the days of its month up to ``as_of`` (≤ 60 + 31 rows a bank for five years of business)."""
    days, months = PoolBankDay.__table__.c, PoolBankMonth.__table__.c
    first = as_of.replace(day=1)
    ids = None if bank_ids is None else list(bank_ids)
    parts = [
        select(months.bank_id, _sum(months.outstanding), _sum(months.npl_principal))
        .where(months.month < first).group_by(months.bank_id),
        select(days.bank_id, _sum(days.outstanding), _sum(days.npl_principal))
        .where(days.value_date >= first, days.value_date <= as_of).group_by(days.bank_id),
    ]
    out: dict[int, PoolDay] = {}
    for stmt, bank_column in zip(parts, (months.bank_id, days.bank_id), strict=True):
        if ids is not None:
            stmt = stmt.where(bank_column.in_(ids))
        for bank_id, outstanding, npl in session.connection().execute(stmt):
            out[bank_id] = out.get(bank_id, PoolDay()) + PoolDay(outstanding, npl)
    if include_pending:
        for (bank_id, day), change in _pending_for_read(session)[1].items():
            if day <= as_of and (ids is None or bank_id in ids):
                out[bank_id] = out.get(bank_id, PoolDay()) + change
    return out


def pool_bank_days(session: Session, bank_id: int, *, include_pending: bool = True) -> dict[dt.date, Decimal]:
    """The bank's change of outstanding principal per date (dates with no change left out)."""
    days = PoolBankDay.__table__.c
    out = {d: v for d, v in session.connection().execute(
        select(days.value_date, days.outstanding).where(days.bank_id == bank_id, days.outstanding != 0))}
    if include_pending:
        for (bank, day), change in _pending_for_read(session)[1].items():
            if bank == bank_id and change.outstanding:
                out[day] = out.get(day, ZERO) + change.outstanding
    return {d: v.quantize(Decimal("0.01")) for d, v in out.items() if v}


# --- rebuilding -----------------------------------------------------------------------------------------


def stale(session: Session) -> list[str]:
    """The summary sets awaiting a rebuild."""
    return list(session.scalars(select(SummaryState.name).order_by(SummaryState.name)))


def mark_stale(session: Session, name: str, reason: str) -> None:
    if session.get(SummaryState, name) is None:
        session.add(SummaryState(name=name, reason=reason[:200]))
        session.flush()


def rebuild(session: Session, names: Iterable[str] = (FUND, POOL), *, echo: Any = None) -> dict[str, float]:
    """Recompute the summary sets from the books, in this transaction; returns seconds per set.

    On PostgreSQL the summary tables are locked (``EXCLUSIVE``: reads go on, writers wait for the commit), so
    a change committed meanwhile is either in what the rebuild reads or added after it, never lost or doubled.
    Loans are streamed in id order; memory stays bounded by the per-date totals.
    """
    session.flush()
    session.info.pop(_KEY, None)
    conn = session.connection()
    timings: dict[str, float] = {}
    for name in names:
        started = time.perf_counter()
        tables = [FundDay.__table__] if name == FUND else [PoolBankDay.__table__, PoolBankMonth.__table__]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"LOCK TABLE {', '.join(t.name for t in tables)} IN EXCLUSIVE MODE")
        for table in tables:
            conn.execute(delete(table))
        if name == FUND:
            _upsert_fund(conn, _rebuild_fund(conn))
        else:
            _upsert_pool(conn, _rebuild_pool(conn))
        conn.execute(delete(SummaryState.__table__).where(SummaryState.__table__.c.name == name))
        timings[name] = time.perf_counter() - started
        if echo:
            echo(f"rebuilt the {name} summary in {timings[name]:.1f} s")
    session.expire_all()
    return timings


def _stream(conn: Connection, stmt: Any) -> Iterator[Any]:
    """Rows in batches through a server-side cursor (the options go on the statement, not the connection)."""
    return conn.execute(stmt.execution_options(stream_results=True, yield_per=5000))


def _rebuild_fund(conn: Connection) -> dict[dt.date, dict[str, Any]]:
    fund: dict[dt.date, dict[str, Any]] = defaultdict(dict)
    e = FundLedgerEntry.__table__.c
    for day, kind, amount, count in conn.execute(
            select(e.value_date, e.kind, type_coerce(func.sum(e.amount), Money()), func.count())
            .group_by(e.value_date, e.kind)):
        _add_entries(fund[day], kind, amount, int(count))
    loan = BridgeLoan.__table__.c
    firsts = (select(func.min(loan.disbursed_on).label("d")).where(loan.disbursed_on.is_not(None))
              .group_by(loan.enterprise_id).subquery())
    for day, count in conn.execute(select(firsts.c.d, func.count()).group_by(firsts.c.d)):
        _add(fund[day], "new_enterprises", int(count))
    # Every loan's contribution, streamed in id order next to its principal repayments (also in loan id order).
    paid_rows = _stream(conn, select(e.bridge_loan_id, e.value_date, e.amount)
                        .where(e.kind == LedgerKind.principal_repaid.value).order_by(e.bridge_loan_id))
    paid = _grouped(paid_rows)
    loans = _stream(conn, select(loan.id, loan.amount, loan.disbursed_on, loan.due_date, loan.repaid_on,
                                 loan.written_off_on).where(loan.disbursed_on.is_not(None)).order_by(loan.id))
    for row in loans:
        for day, change in bridge_deltas(_bridge_dates(row, paid.take(row.id))).items():
            _add_figures(fund[day], change)
    return {d: c for d, c in fund.items() if any(c.values())}


def _rebuild_pool(conn: Connection) -> dict[tuple[int, dt.date], PoolDay]:
    after_days = claim_after_days(conn)
    streams = {name: _grouped(_stream(conn, stmt.order_by(stmt.selected_columns[0])))
               for name, stmt in _pool_fact_queries().items()}
    loan = PoolLoan.__table__.c
    pool: dict[tuple[int, dt.date], PoolDay] = {}
    for row in _stream(conn, select(loan.id, loan.bank_id, loan.principal, loan.start_date, loan.written_off_on,
                                    loan.written_off_principal).order_by(loan.id)):
        dates = _pool_dates(row, {name: stream.take(row.id) for name, stream in streams.items()})
        for day, change in pool_deltas(dates, after_days).items():
            pool[(row.bank_id, day)] = pool.get((row.bank_id, day), PoolDay()) + change
    return {k: v for k, v in pool.items() if v}


class _grouped:  # noqa: N801 - used like a function
    """Rows ``(loan_id, *rest)`` ordered by loan id, handed out one loan at a time as the loans stream by."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, loan_id: int) -> list[tuple[Any, ...]]:
        out = []
        while self._next is not None and self._next[0] <= loan_id:
            if self._next[0] == loan_id:
                out.append(tuple(self._next[1:]))
            self._next = next(self._rows, None)
        return out


# --- checking -------------------------------------------------------------------------------------------


def check(session: Session, dates: Iterable[dt.date]) -> list[str]:
    """Differences between the summaries and the whole-history definitions on ``dates`` (empty: they agree)."""
    from bridgefund.services import fund_figures, pool_figures

    problems = []
    after_days = claim_after_days(session.connection())
    for day in dates:
        fast, slow = fund_figures.fund_position(session, day), fund_figures.fund_position_direct(session, day)
        problems += [f"{day} fund {k}: summary {fast[k]} != books {slow[k]}" for k in slow if fast[k] != slow[k]]
        fast_b = pool_figures.bank_pool_figures(session, day, None, after_days)
        slow_b = pool_figures.bank_pool_figures_direct(session, day, None, after_days)
        for bank_id in fast_b.keys() | slow_b.keys():
            f = fast_b.get(bank_id, pool_figures.BankPoolFigures(ZERO, ZERO))
            s = slow_b.get(bank_id, pool_figures.BankPoolFigures(ZERO, ZERO))
            if f != s:
                problems.append(f"{day} pool bank {bank_id}: summary {f} != books {s}")
    return problems


def check_dates(session: Session, today: dt.date) -> list[dt.date]:
    """Every month end from the first dated row of the books to today, and today (for ``summaries check``)."""
    first = min((d for d in (session.scalar(select(func.min(FundLedgerEntry.value_date))),
                             session.scalar(select(func.min(PoolLoan.start_date)))) if d is not None),
                default=None)
    if first is None:
        return [today]
    out, month = [], first.replace(day=1)
    while month <= today:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        out.append(following - dt.timedelta(days=1))
        month = following
    return [*out, today]
