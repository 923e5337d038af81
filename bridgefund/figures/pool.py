"""The pool's figures as of any date, from SQL aggregates (reports reuse these).

Every figure is a sum over immutable dated rows with ``value_date ≤ as_of`` (loans by ``start_date``), so
a past date always gives the same answer. Nothing here loops over loans in Python: each function runs a
constant number of queries whatever the number of banks, loans or installments.

* **Outstanding principal** of a bank on D = Σ principal of its loans started by D − Σ principal repaid by
  D − Σ recovered by D − Σ written off by D.
* A loan is **non-performing** on D when it has an installment due on or before D − ``claim_after_days``
  that was not settled by D (``settled_on`` null or later), or a claim filed by D and not rejected by D.
  Principal written off by D counts as non-performing too (it left the outstanding principal).
* **NPL ratio** = non-performing outstanding principal ÷ outstanding principal (0 when nothing is out).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, bindparam, case, exists, func, or_, select, true, type_coerce, union_all
from sqlalchemy.orm import Session

from bridgefund.db import Money, money_sum
from bridgefund.figures.capture import current
from bridgefund.figures.read import (
    is_fresh,
    pending_pool_days,
    pool_bank_days,
    pool_bank_totals,
    pool_summary_serves,
)
from bridgefund.figures.store import POOL
from bridgefund.figures.terms import in_force
from bridgefund.finance import ratio as finance_ratio
from bridgefund.finance.money import ZERO
from bridgefund.models import (
    Claim,
    PoolBankDay,
    PoolBankMonth,
    PoolEntryKind,
    PoolInstallment,
    PoolLedgerEntry,
    PoolLoan,
    PoolRecovery,
    PoolRepayment,
    PoolSettings,
    SummaryState,
)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The pool's ratios (NPL, leverage used) carry eight decimals, like the ``Rate`` columns."""
    return finance_ratio(numerator, denominator, 8)


@dataclass(frozen=True)
class BankPoolFigures:
    outstanding: Decimal
    npl_principal: Decimal

    @property
    def npl_ratio(self) -> Decimal:
        return ratio(self.npl_principal, self.outstanding)

    def breaches(self, threshold: Decimal) -> bool:
        """Exact comparison, no rounding: NPL ÷ outstanding > threshold."""
        return self.outstanding > 0 and self.npl_principal > threshold * self.outstanding


def _repaid_by(as_of: dt.date):  # noqa: ANN202 - a correlated scalar subquery
    return (select(money_sum(PoolRepayment.principal))
            .where(PoolRepayment.loan_id == PoolLoan.id, PoolRepayment.value_date <= as_of)
            .correlate(PoolLoan).scalar_subquery())


def _recovered_by(as_of: dt.date):  # noqa: ANN202
    return (select(money_sum(PoolRecovery.amount))
            .where(PoolRecovery.loan_id == PoolLoan.id, PoolRecovery.value_date <= as_of)
            .correlate(PoolLoan).scalar_subquery())


def _written_off_by(as_of: dt.date):  # noqa: ANN202 - the loan's principal written off by as_of (a SQL value)
    return case((PoolLoan.written_off_on <= as_of, PoolLoan.written_off_principal), else_=0)


def non_performing(as_of: dt.date, claim_after_days: int):  # noqa: ANN201 - a SQL condition on PoolLoan
    """Condition: the loan is ≥ ``claim_after_days`` past due on ``as_of``, or has a live claim filed by then."""
    cutoff = as_of - dt.timedelta(days=claim_after_days)
    overdue = exists().where(
        PoolInstallment.loan_id == PoolLoan.id,
        PoolInstallment.due_date <= cutoff,
        or_(PoolInstallment.settled_on.is_(None), PoolInstallment.settled_on > as_of),
    )
    claimed = exists().where(
        Claim.loan_id == PoolLoan.id, Claim.filed_on <= as_of,
        or_(Claim.rejected_on.is_(None), Claim.rejected_on > as_of),
    )
    return or_(overdue, claimed)


def _by_bank(session: Session, stmt) -> dict[int, Decimal]:  # noqa: ANN001
    return {bank_id: Decimal(total) for bank_id, total in session.execute(stmt).all()}


def bank_pool_figures(
    session: Session, as_of: dt.date, bank_ids: Iterable[int] | None, claim_after_days: int,
    *, max_loan_id: int | None = None, include_pending: bool = True,
) -> dict[int, BankPoolFigures]:
    """Outstanding and non-performing principal per bank on ``as_of`` (all banks when ``bank_ids`` is None).

    From the per-bank summary: two grouped sums over at most a row per month and per day of ``as_of``'s month
    for each bank. A bulk import, which accounts for its own new loans in memory, leaves them out: its loans
    are all this transaction's, so it reads the summary without this transaction's changes
    (``include_pending=False``) and, while the summary awaits a rebuild (or for another ``claim_after_days``
    than the settings') — when :func:`bank_pool_figures_direct` answers — the loans above ``max_loan_id``.
    """
    if pool_summary_serves(session, claim_after_days):
        totals = pool_bank_totals(session, as_of, bank_ids, include_pending=include_pending)
        keys = set(bank_ids) if bank_ids is not None else set(totals)
        return {b: BankPoolFigures(_money(totals[b].outstanding), _money(totals[b].npl_principal))
                if b in totals else BankPoolFigures(ZERO, ZERO) for b in keys}
    return bank_pool_figures_direct(session, as_of, bank_ids, claim_after_days, max_loan_id=max_loan_id)


def bank_pool_figures_direct(
    session: Session, as_of: dt.date, bank_ids: Iterable[int] | None, claim_after_days: int,
    *, max_loan_id: int | None = None,
) -> dict[int, BankPoolFigures]:
    """:func:`bank_pool_figures` from the whole history: four aggregate queries, whatever the number of banks
    (the definition the summary is checked against)."""
    ids = None if bank_ids is None else list(bank_ids)

    def scoped(stmt, column):  # noqa: ANN001, ANN202
        stmt = stmt if ids is None else stmt.where(column.in_(ids))
        if max_loan_id is not None and column is PoolLoan.bank_id:
            stmt = stmt.where(PoolLoan.id <= max_loan_id)
        return stmt

    lent = _by_bank(session, scoped(
        select(PoolLoan.bank_id, func.sum(PoolLoan.principal)).where(PoolLoan.start_date <= as_of)
        .group_by(PoolLoan.bank_id), PoolLoan.bank_id))
    repaid = _by_bank(session, scoped(
        select(PoolRepayment.bank_id, func.sum(PoolRepayment.principal)).where(PoolRepayment.value_date <= as_of)
        .group_by(PoolRepayment.bank_id), PoolRepayment.bank_id))
    recovered = _by_bank(session, scoped(
        select(PoolRecovery.bank_id, func.sum(PoolRecovery.amount)).where(PoolRecovery.value_date <= as_of)
        .group_by(PoolRecovery.bank_id), PoolRecovery.bank_id))
    written_off = _by_bank(session, scoped(
        select(PoolLoan.bank_id, func.sum(type_coerce(PoolLoan.written_off_principal, Money())))
        .where(PoolLoan.start_date <= as_of, PoolLoan.written_off_on <= as_of)
        .group_by(PoolLoan.bank_id), PoolLoan.bank_id))
    npl = _by_bank(session, scoped(
        select(PoolLoan.bank_id,
               func.sum(type_coerce(PoolLoan.principal - _repaid_by(as_of) - _recovered_by(as_of)
                                    - _written_off_by(as_of), Money())))
        .where(PoolLoan.start_date <= as_of, non_performing(as_of, claim_after_days))
        .group_by(PoolLoan.bank_id), PoolLoan.bank_id))
    keys = set(ids) if ids is not None else set(lent) | set(npl) | set(written_off)
    out = {}
    for bank_id in keys:
        gone = written_off.get(bank_id, ZERO)
        outstanding = lent.get(bank_id, ZERO) - repaid.get(bank_id, ZERO) - recovered.get(bank_id, ZERO) - gone
        out[bank_id] = BankPoolFigures(_money(outstanding), _money(npl.get(bank_id, ZERO) + gone))
    return out


def _money(x: Decimal) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"))


def _outstanding_deltas(bank_id: int):  # noqa: ANN202 - a Subquery of (d, delta)
    """Every change of the bank's outstanding pool principal: loans up on their start date, repayments,
    recoveries and write-offs down on their value date."""
    return union_all(
        select(PoolLoan.start_date.label("d"), PoolLoan.principal.label("delta")).where(PoolLoan.bank_id == bank_id),
        select(PoolRepayment.value_date, -PoolRepayment.principal)
        .where(PoolRepayment.bank_id == bank_id, PoolRepayment.principal > 0),
        select(PoolRecovery.value_date, -PoolRecovery.amount).where(PoolRecovery.bank_id == bank_id),
        select(PoolLoan.written_off_on, -PoolLoan.written_off_principal)
        .where(PoolLoan.bank_id == bank_id, PoolLoan.written_off_on.is_not(None)),
    ).subquery()


def outstanding_events(session: Session, bank_id: int, *, include_pending: bool = True) -> dict[dt.date, Decimal]:
    """The bank's net change of outstanding principal per date (loans up, repayments and recoveries down).

    ``include_pending=False`` leaves out this transaction's own changes (a bulk import adds its loans itself).
    """
    if is_fresh(session, POOL):
        return pool_bank_days(session, bank_id, include_pending=include_pending)
    events = _outstanding_deltas(bank_id)
    rows = session.execute(select(events.c.d, func.sum(events.c.delta)).group_by(events.c.d)).all()
    return {day: _money(delta) for day, delta in rows}


def max_outstanding_from(session: Session, bank_id: int, as_of: dt.date) -> Decimal:
    """The bank's highest outstanding principal on ``as_of`` or any later date (for the dated quota rule).

    Outstanding only changes on loan start dates (up) and repayment/recovery dates (down): a running sum
    over the bank's per-day changes (the summary; two aggregate queries over the history while it is stale).
    """
    if is_fresh(session, POOL):
        running, at, later = ZERO, ZERO, None
        for day, delta in sorted(pool_bank_days(session, bank_id).items()):
            running += delta
            if day <= as_of:
                at = running
            else:
                later = running if later is None else max(later, running)
        return _money(max(at, later if later is not None else at))
    events = _outstanding_deltas(bank_id)
    at = session.scalar(select(money_sum(events.c.delta)).where(events.c.d <= as_of))
    daily = select(events.c.d, func.sum(events.c.delta).label("delta")).group_by(events.c.d).subquery()
    running = select(daily.c.d, func.sum(daily.c.delta).over(order_by=daily.c.d).label("running")).subquery()
    later = session.scalar(select(func.max(running.c.running)).where(running.c.d > as_of))
    return _money(max(Decimal(at or 0), Decimal(later or 0)))


@dataclass(frozen=True)
class PoolLedgerTotals:
    contributions: Decimal
    claims_paid: Decimal
    recoveries: Decimal

    @property
    def balance(self) -> Decimal:
        return self.contributions - self.claims_paid + self.recoveries


def ledger_totals(session: Session, as_of: dt.date | None = None) -> PoolLedgerTotals:
    """Sums of the pool ledger by kind, up to ``as_of`` (everything when None)."""
    stmt = select(PoolLedgerEntry.kind, func.sum(PoolLedgerEntry.amount)).group_by(PoolLedgerEntry.kind)
    if as_of is not None:
        stmt = stmt.where(PoolLedgerEntry.value_date <= as_of)
    sums = {kind: _money(total) for kind, total in session.execute(stmt).all()}
    return PoolLedgerTotals(
        contributions=sums.get(PoolEntryKind.contribution.value, ZERO),
        claims_paid=sums.get(PoolEntryKind.claim_payout.value, ZERO),
        recoveries=sums.get(PoolEntryKind.recovery_share.value, ZERO),
    )


def lowest_balance_from(session: Session, value_date: dt.date) -> Decimal:
    """The pool's lowest balance on ``value_date`` or any later date (for the dated money-out rule).

    One query: the ledger's net movement per date; the running balance is checked from the date on.
    """
    sign = case((PoolLedgerEntry.kind == PoolEntryKind.claim_payout.value, -1), else_=1)
    rows = session.execute(
        select(PoolLedgerEntry.value_date, func.sum(type_coerce(PoolLedgerEntry.amount * sign, Money())))
        .group_by(PoolLedgerEntry.value_date).order_by(PoolLedgerEntry.value_date)
    ).all()
    balance = ZERO
    later: list[Decimal] = []
    for day, delta in rows:
        balance += _money(delta)
        if day > value_date:
            later.append(balance)
    on_the_day = balance if not later else later[0] - _money(rows[len(rows) - len(later)][1])
    return min([on_the_day, *later])


@dataclass(frozen=True)
class PoolPosition:
    as_of: dt.date
    capital: Decimal
    balance: Decimal
    contributions: Decimal
    claims_paid: Decimal
    recoveries: Decimal
    total_quota: Decimal
    guaranteed_outstanding: Decimal
    leverage_used: Decimal
    npl_ratio: Decimal
    suspended: bool


@functools.cache
def _position_statement() -> Any:
    """:func:`pool_position_read` in one round trip, built once (dates as bound parameters): the ledger's sums by
    kind, the quotas in force, the stored loss threshold, whether the pool summary awaits a rebuild (it is built
    for the stored claim threshold, the one ``GET /pool`` uses), and every bank's outstanding and non-performing
    principal summed — the months before ``as_of``'s month and the days of it up to ``as_of`` (what
    :func:`~bridgefund.figures.read.pool_bank_totals` sums per bank). Selecting ORM attributes makes it an ORM
    statement: the session's autoflush runs first."""
    as_of, month_start = bindparam("as_of", type_=Date()), bindparam("month_start", type_=Date())
    e = PoolLedgerEntry
    ledger = select(*(money_sum(case((e.kind == k.value, e.amount), else_=0)).label(k.value) for k in (
        PoolEntryKind.contribution, PoolEntryKind.claim_payout, PoolEntryKind.recovery_share))
    ).where(e.value_date <= as_of).subquery("ledger")
    terms = in_force(as_of)
    days, months = PoolBankDay.__table__.c, PoolBankMonth.__table__.c
    before = select(money_sum(months.outstanding).label("m_out"), money_sum(months.npl_principal).label("m_npl")
                    ).where(months.month < month_start).subquery("before")
    month = select(money_sum(days.outstanding).label("d_out"), money_sum(days.npl_principal).label("d_npl")
                   ).where(days.value_date >= month_start, days.value_date <= as_of).subquery("month")
    settings = select(PoolSettings).where(PoolSettings.id == 1)
    return select(
        ledger, before, month,
        select(money_sum(terms.c.pool_quota)).scalar_subquery().label("quota"),
        select(SummaryState.name).where(SummaryState.name == POOL).scalar_subquery().label("stale"),
        settings.with_only_columns(PoolSettings.pool_loss_threshold).scalar_subquery().label("loss_threshold"),
    ).select_from(ledger.join(before, true()).join(month, true()))


def pool_position_read(session: Session, as_of: dt.date, default_loss_threshold: Decimal) -> PoolPosition | None:
    """``GET /pool``'s figures on ``as_of`` in one statement (five before; issue 16) while the pool summary serves
    them as it is: None — the caller then takes :func:`pool_position` with the settings — while the summary awaits
    a rebuild or this transaction holds pool changes not yet in it. ``default_loss_threshold``: the pool's loss
    threshold before an admin first saves settings."""
    tx = current(session)
    if tx is not None and (tx.rebuild_pool or pending_pool_days(session)):
        return None
    row = session.execute(_position_statement(), {"as_of": as_of, "month_start": as_of.replace(day=1)}).one()
    if row.stale is not None:
        return None
    totals = PoolLedgerTotals(contributions=_money(row.contribution), claims_paid=_money(row.claim_payout),
                              recoveries=_money(row.recovery_share))
    outstanding, npl = _money(row.m_out + row.d_out), _money(row.m_npl + row.d_npl)
    threshold = default_loss_threshold if row.loss_threshold is None else row.loss_threshold
    return _position(as_of, totals, _money(row.quota), outstanding, npl, threshold)


def _position(as_of: dt.date, totals: PoolLedgerTotals, total_quota: Decimal, outstanding: Decimal, npl: Decimal,
              loss_threshold: Decimal) -> PoolPosition:
    return PoolPosition(
        as_of=as_of,
        capital=totals.contributions,
        balance=totals.balance,
        contributions=totals.contributions,
        claims_paid=totals.claims_paid,
        recoveries=totals.recoveries,
        total_quota=total_quota,
        guaranteed_outstanding=outstanding,
        leverage_used=ratio(outstanding, totals.contributions),
        npl_ratio=ratio(npl, outstanding),
        suspended=is_stopped(totals, loss_threshold),
    )


def pool_position(session: Session, as_of: dt.date, claim_after_days: int, loss_threshold: Decimal) -> PoolPosition:
    """The figures of ``GET /pool`` on ``as_of``."""
    e = PoolLedgerEntry
    terms = in_force(as_of)  # the quotas in force on as_of (DOMAIN.md "Dated terms")
    # the ledger's sums by kind and the quotas in one round trip (two before; issue 16)
    contributions, claims_paid, recoveries, quota = session.execute(
        select(*(money_sum(case((e.kind == k.value, e.amount), else_=0)) for k in (
            PoolEntryKind.contribution, PoolEntryKind.claim_payout, PoolEntryKind.recovery_share)),
               select(money_sum(terms.c.pool_quota)).scalar_subquery())
        .where(e.value_date <= as_of)).one()
    totals = PoolLedgerTotals(contributions=_money(contributions or 0), claims_paid=_money(claims_paid or 0),
                              recoveries=_money(recoveries or 0))
    total_quota = _money(quota or 0)
    banks = bank_pool_figures(session, as_of, None, claim_after_days)
    outstanding = sum((f.outstanding for f in banks.values()), ZERO)
    npl = sum((f.npl_principal for f in banks.values()), ZERO)
    return _position(as_of, totals, total_quota, outstanding, npl, loss_threshold)


def is_stopped(totals: PoolLedgerTotals, loss_threshold: Decimal) -> bool:
    """The pool stops taking loans when paid claims exceed ``loss_threshold`` × contributions."""
    return totals.claims_paid > loss_threshold * totals.contributions

