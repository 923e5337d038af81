"""Capture: what a transaction changes in the summaries, recorded at each flush.

Every new fund ledger entry adds its amount to the day's pending deltas; the first time a transaction changes a
fact a loan's figures depend on (``_BRIDGE_FACTS``, ``_POOL_FACTS``: the loan's dates and amounts, a principal
repayment, an installment's due or settlement date, a recovery, a claim's filing or rejection date), the loan's
*current* dated contribution is read from the database — before the change reaches it — and kept as "before".
New loans have an empty "before". Other changes (an approval, a status, an accrued penalty) are not looked at.
:func:`pending` turns what was captured into the transaction's deltas (each loan's after − before). A rolled-back
transaction drops what it captured (:func:`forget`).

The hooks (:func:`on_flush`, :func:`forget`) are registered on the app's sessions by
``services.unit_of_work``, never on the global ``Session`` class.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from bridgefund.figures.facts import claim_after_days, first_disbursements, load_bridge, load_pool
from bridgefund.figures.store import add, add_entries, add_figures
from bridgefund.finance.profiles import (
    BridgeDay,
    PoolDay,
    PoolLoanDates,
    bridge_deltas,
    difference,
    pool_deltas,
)
from bridgefund.models import (
    BridgeLoan,
    Claim,
    FundLedgerEntry,
    LedgerKind,
    PoolInstallment,
    PoolLoan,
    PoolRecovery,
    PoolRepayment,
    PoolSettings,
)

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


#: The attributes a loan's dated figures depend on (finance.profiles); a change of anything else (status,
#: approvals, accrued penalty, notes …) leaves its contribution as it was and is not looked at.
_BRIDGE_FACTS = ("amount", "disbursed_on", "due_date", "repaid_on", "written_off_on", "financing_cost_saved")
_POOL_FACTS = {PoolLoan: ("principal", "start_date", "written_off_on", "written_off_principal"),
               PoolInstallment: ("due_date", "settled_on"), PoolRepayment: ("principal", "value_date"),
               PoolRecovery: ("amount", "value_date"),
               Claim: ("filed_on", "rejected_on")}


def _changed(obj: Any, attrs: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[a].history.has_changes() for a in attrs)


def on_flush(session: Session, _context: Any = None, _instances: Any = None) -> None:
    """``before_flush``: record what this flush changes (and each touched loan's "before")."""
    tx = _tx(session)
    _resolve_new(tx)
    bridge_ids: set[int] = set()
    pool_ids: set[int] = set()
    enterprises: set[int] = set()
    for obj in session.new:
        if isinstance(obj, FundLedgerEntry):
            add_entries(tx.fund[obj.value_date], obj.kind, obj.amount, 1)
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
        tx.first_before.update(first_disbursements(conn, sorted(enterprises - tx.first_before.keys())))
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


def forget(session: Session, _previous: Any = None) -> None:
    """``after_soft_rollback`` (and a rebuild): drop what this transaction captured."""
    session.info.pop(_KEY, None)


def current(session: Session) -> _Tx | None:
    """What this transaction has captured so far (None: nothing yet)."""
    return session.info.get(_KEY)


def take(session: Session) -> _Tx | None:
    """What this transaction captured, removed from the session (at its commit)."""
    return session.info.pop(_KEY, None)


def pending(session: Session, tx: _Tx) -> tuple[dict[dt.date, dict[str, Any]], dict[tuple[int, dt.date], PoolDay]]:
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
                add_figures(fund[day], change)
    after = first_disbursements(conn, sorted(tx.first_before)) if tx.first_before else {}
    for enterprise, before_first in tx.first_before.items():
        after_first = after[enterprise]
        if before_first != after_first:
            if before_first is not None:
                add(fund[before_first], "new_enterprises", -1)
            if after_first is not None:
                add(fund[after_first], "new_enterprises", 1)
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
