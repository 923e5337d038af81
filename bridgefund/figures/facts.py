"""Loading loans' dated facts (``finance.profiles.BridgeLoanDates`` / ``PoolLoanDates``) from the books,
in bulk: the input of every contribution the summaries add up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from bridgefund.finance.profiles import (
    BridgeLoanDates,
    PoolLoanDates,
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

#: Loans read per query when contributions are loaded in bulk.
CHUNK = 500
#: The default of ``claim_after_days_overdue`` when no pool settings row exists (services.pool.DEFAULTS).
DEFAULT_CLAIM_AFTER_DAYS = 90


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
                                       loan.repaid_on, loan.written_off_on, loan.financing_cost_saved)
                                .where(loan.id.in_(chunk))):
            out[row.id] = (row.enterprise_id, bridge_dates(row, paid.get(row.id, ())))
    return out


def first_disbursements(conn: Connection, enterprise_ids: Sequence[int]) -> dict[int, dt.date | None]:
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
            out[row.id] = pool_dates(row, {name: by_loan.get(row.id, ()) for name, by_loan in facts.items()})
    return out


def pool_fact_queries() -> dict[str, Any]:
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
    for name, stmt in pool_fact_queries().items():
        facts[name] = defaultdict(list)
        for loan_id, *rest in conn.execute(stmt.where(stmt.selected_columns[0].in_(ids))):
            facts[name][loan_id].append(tuple(rest))
    return facts


def bridge_dates(row: Any, paid: Iterable[tuple[dt.date, Decimal]]) -> BridgeLoanDates:
    """A bridge loan row (amount, dates, financing cost saved) and its principal repayments as
    :class:`BridgeLoanDates`."""
    return BridgeLoanDates(row.amount, row.disbursed_on, row.due_date, row.repaid_on, row.written_off_on, tuple(paid),
                           row.financing_cost_saved)


def pool_dates(row: Any, facts: dict[str, Iterable[tuple[Any, ...]]]) -> PoolLoanDates:
    """A pool loan row and its facts (``inst``, ``paid``, ``rec``, ``claims`` rows) as :class:`PoolLoanDates`."""
    return PoolLoanDates(
        bank_id=row.bank_id, principal=row.principal, start_date=row.start_date,
        installments=tuple(facts["inst"]), principal_paid=tuple(facts["paid"]), recovered=tuple(facts["rec"]),
        claims=tuple(facts["claims"]),
        written_off=((row.written_off_on, row.written_off_principal),) if row.written_off_on is not None else ())


def claim_after_days(conn: Connection) -> int:
    value = conn.scalar(select(PoolSettings.__table__.c.claim_after_days_overdue))
    return DEFAULT_CLAIM_AFTER_DAYS if value is None else int(value)
