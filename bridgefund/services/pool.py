"""The pool itself: settings, contributions, the lock row, the quota rule, bank suspension, the position.

Rules chosen where DOMAIN.md is silent (also in the module docstrings of pool_loans and claims):

* **Quota total.** Σ bank quotas ≤ leverage × contributions is enforced on every quota *increase*
  (bank create/patch) and on every leverage decrease, once the pool has received a contribution. Before
  the first contribution quotas are planning figures — the pool takes no loans then anyway (a loan needs
  contributions on its start date), which is how the demo's banks get quotas before the 2019 money.
* **Suspension (熔断)** is evaluated as of the operation's value date after every pool operation that
  changes a bank's books (loan, repayment, claim, recovery) and by :func:`sweep_suspensions` (CLI
  ``bridgefund pool-sweep``). A bank whose NPL ratio exceeds the threshold gets a dated terms row
  ``suspended`` from that date (services.bank_terms); new loans dated while that status is in force answer 409
  (and so do its bridge loans, which read the same dated status). A new loan is also refused when the ratio
  on its start date exceeds the threshold, even before any evaluation stored it.
* **Reinstatement** (PATCH /banks, admin, with a reason and ``effective_from``, a dated ``active`` row) overrides
  the ratio: a reinstated bank keeps its
  ``status_reason`` and is not suspended again until an evaluation finds its ratio back within the
  threshold (the override then lapses) and a later one finds it breached again — a circuit breaker with
  a reset, so an admin's decision is not undone by the very next repayment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.db import money_sum
from bridgefund.errors import PeriodClosed, QuotaExceeded, RuleViolation
from bridgefund.figures.pool import (
    PoolPosition,
    bank_pool_figures,
    ledger_totals,
    pool_position,
    pool_position_read,
    ratio,
)
from bridgefund.finance.money import ZERO
from bridgefund.messages import money, percent
from bridgefund.models import (
    Bank,
    BankStatus,
    PoolAccount,
    PoolEntryKind,
    PoolInstallment,
    PoolLedgerEntry,
    PoolSettings,
    Role,
)
from bridgefund.services import audit, bank_terms
from bridgefund.services.actor import Actor
from bridgefund.services.common import check_value_date, last_closed_day, paginate
from bridgefund.services.documents import check_kinds

#: The rules before an admin first saves settings.
DEFAULTS: dict[str, Any] = {
    "leverage": Decimal("10"),
    "default_pool_share": Decimal("0.50"),
    "claim_after_days_overdue": 90,
    "bank_npl_threshold": Decimal("0.05"),
    "pool_loss_threshold": Decimal("0.30"),
    "max_loan_amount": Decimal("50000000.00"),
    #: 1.5 × the 4.35% one-year benchmark rate.
    "max_annual_rate": Decimal("0.06525"),
    "penalty_rate_markup": Decimal("0.50"),
    #: Overdue interest bears penalty interest (复利, DOMAIN.md).
    "compound_overdue_interest": True,
}

POOL_ENTITY_ID = 1


# --- settings --------------------------------------------------------------------------------------


#: ``session.info`` key: the transaction in which ``pool_settings`` was found to have no row yet. A later read in
#: that transaction answers the defaults without asking again — as a stored row is answered from the session's
#: identity map (a page reads the settings up to three times); ``put_settings``, the row's only writer, forgets it.
_NO_ROW = "bridgefund.pool_settings_absent"


def current_settings(session: Session) -> PoolSettings:
    """The stored settings, or a transient row with the defaults (never added to the session)."""
    transaction = session.get_transaction()
    row = None if transaction is not None and session.info.get(_NO_ROW) is transaction \
        else session.get(PoolSettings, 1)
    if row is None:
        session.info[_NO_ROW] = session.get_transaction()
        return PoolSettings(id=1, **DEFAULTS)
    return row


@allows(Role.admin, Role.fund_manager, Role.auditor)
def get_settings(session: Session, actor: Actor) -> PoolSettings:
    return current_settings(session)


@allows(Role.admin)
def put_settings(session: Session, actor: Actor, values: dict[str, Any]) -> PoolSettings:
    """Replace the pool's rules (admin). Lowering leverage below what the quotas need → 409."""
    lock_pool(session)
    session.info.pop(_NO_ROW, None)
    row = session.get(PoolSettings, 1)
    before = row.snapshot() if row is not None else {k: _plain(v) for k, v in DEFAULTS.items()}
    if row is None:
        row = PoolSettings(id=1, **DEFAULTS)
        session.add(row)
    if values["default_pool_share"] > 1:
        raise RuleViolation.on("default_pool_share", "must be at most 1")
    for key in PoolSettings.FIELDS:
        if key in values:  # every field is required but compound_overdue_interest (absent: kept as it is)
            setattr(row, key, values[key])
    if "claim_required_documents" in values:  # absent: kept as it is (null: the defaults)
        row.claim_required_documents = check_kinds(values["claim_required_documents"], "claim_required_documents")
    row.updated_by = actor.id
    _keep_closed_months(session, before, row)
    contributions = ledger_totals(session).contributions
    quotas = _total_quota(session)  # the largest Σ of any day: the settings are not dated
    if contributions > 0 and quotas > row.leverage * contributions:
        raise QuotaExceeded(
            f"the banks' quotas total {money(quotas)}, more than leverage {row.leverage.normalize():f} × "
            f"contributions {money(contributions)}",
            {"leverage": ["too low for the quotas already granted"]},
        )
    session.flush()
    audit.record_update(session, actor, "pool", POOL_ENTITY_ID, before, row.snapshot(), action="update_settings")
    return row


def _keep_closed_months(session: Session, before: dict[str, Any], row: PoolSettings) -> None:
    """409 when the new rules would change a figure as of a day of a closed month (DOMAIN.md "Ledgers and
    invariants": the settings are not dated, so a change that rewrites a closed month is refused).

    * ``claim_after_days_overdue`` t → t': a loan is non-performing on D from ``due + t`` until the installment is
      settled, so the two rules differ on some D ≤ the last closed day iff an installment due on or before
      ``closed − min(t, t')`` was still unsettled on ``due + min(t, t')``.
    * ``pool_loss_threshold`` τ → τ': the pool is stopped on D when claims paid > τ × contributions; the rules
      differ on a closed day iff on some ledger date ≤ it claims paid lie between τ × and τ' × contributions.
    """
    closed = last_closed_day(session)
    if closed is None:
        return
    old_days, new_days = int(before["claim_after_days_overdue"]), row.claim_after_days_overdue
    if new_days != old_days:
        after = dt.timedelta(days=min(old_days, new_days))
        rows = session.execute(select(PoolInstallment.due_date, PoolInstallment.settled_on).where(
            PoolInstallment.due_date <= closed - after,
            or_(PoolInstallment.settled_on.is_(None), PoolInstallment.settled_on > PoolInstallment.due_date)))
        if any(settled is None or settled > due + after for due, settled in rows):
            raise PeriodClosed(
                f"claim_after_days_overdue {new_days} would change the non-performing loans of closed months "
                f"(closed up to {closed:%Y-%m})", {"claim_after_days_overdue": ["changes a closed month's figures"]})
    old_limit, new_limit = Decimal(before["pool_loss_threshold"]), row.pool_loss_threshold
    if new_limit != old_limit:
        low, high = sorted((old_limit, new_limit))
        contributions = claims_paid = ZERO
        days: dict[dt.date, dict[str, Decimal]] = {}
        for day, kind, amount in session.execute(
                select(PoolLedgerEntry.value_date, PoolLedgerEntry.kind, func.sum(PoolLedgerEntry.amount))
                .where(PoolLedgerEntry.value_date <= closed,
                       PoolLedgerEntry.kind.in_([PoolEntryKind.contribution.value, PoolEntryKind.claim_payout.value]))
                .group_by(PoolLedgerEntry.value_date, PoolLedgerEntry.kind)):
            days.setdefault(day, {})[kind] = Decimal(amount)
        for day in sorted(days):  # the flag of each day, on that day's totals
            contributions += days[day].get(PoolEntryKind.contribution.value, ZERO)
            claims_paid += days[day].get(PoolEntryKind.claim_payout.value, ZERO)
            if low * contributions < claims_paid <= high * contributions:
                raise PeriodClosed(
                    f"pool_loss_threshold {new_limit.normalize():f} would change whether the pool took loans in "
                    f"closed months (closed up to {closed:%Y-%m})",
                    {"pool_loss_threshold": ["changes a closed month's figures"]})


def _plain(v: Any) -> Any:
    return v if isinstance(v, int) else str(v)


def default_pool_share(session: Session) -> Decimal:
    return current_settings(session).default_pool_share


# --- the lock row and contributions ----------------------------------------------------------------


def lock_pool(session: Session) -> PoolAccount:
    """Lock the pool's row ``FOR UPDATE`` (created on first use): serialises payouts, loans, quota changes."""
    account = session.get(PoolAccount, 1, with_for_update=True)
    if account is None:
        account = PoolAccount(id=1)
        session.add(account)
        session.flush()
    return account


@allows(Role.admin)
def contribute(
    session: Session, actor: Actor, today: dt.date, *, amount: Decimal, value_date: dt.date, note: str | None = None,
) -> PoolLedgerEntry:
    """Book fiscal money paid into the pool (admin)."""
    if amount <= 0:
        raise RuleViolation.on("amount", "must be greater than 0")
    check_value_date(session, value_date, today)
    lock_pool(session)
    entry = PoolLedgerEntry(value_date=value_date, kind=PoolEntryKind.contribution.value, amount=amount,
                            note=(note or "").strip() or None, created_by=actor.id)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "contribute", "pool", POOL_ENTITY_ID,
                 after={"entry_id": entry.id, "amount": str(amount), "value_date": value_date.isoformat(),
                        "note": entry.note})
    return entry


def balance_after(session: Session, entry: PoolLedgerEntry) -> Decimal:
    """The pool's balance right after ``entry`` in value-date order (as the ledger list shows it)."""
    return _balance_before(session, entry) + entry.signed_amount


def _balance_before(session: Session, first: PoolLedgerEntry) -> Decimal:
    """Σ of the entries before ``first`` in (value date, id) order."""
    sign = case((PoolLedgerEntry.kind == PoolEntryKind.claim_payout.value, -1), else_=1)
    before = session.scalar(
        select(money_sum(PoolLedgerEntry.amount * sign)).where(
            (PoolLedgerEntry.value_date < first.value_date)
            | ((PoolLedgerEntry.value_date == first.value_date) & (PoolLedgerEntry.id < first.id))))
    return Decimal(before or 0).quantize(Decimal("0.01"))


@allows(Role.admin, Role.fund_manager, Role.auditor)
def list_ledger(session: Session, actor: Actor, page: int, page_size: int, *, count_limit: int | None = None) -> Any:
    """The pool ledger, newest first, each entry with the balance after it (in value-date order)."""
    result = paginate(session, select(PoolLedgerEntry).order_by(PoolLedgerEntry.value_date.desc(),
                                                                 PoolLedgerEntry.id.desc()), page, page_size,
                      count_limit=count_limit)
    if result.items:
        balance = _balance_before(session, result.items[-1])
        for entry in reversed(result.items):
            balance += entry.signed_amount
            entry.balance_after = balance  # type: ignore[attr-defined]
    return result


# --- quotas ----------------------------------------------------------------------------------------


def _total_quota(session: Session, since: dt.date | None = None) -> Decimal:
    """The largest Σ of the quotas in force on any day from ``since`` on (all history when None): Σ only moves
    on the days some bank's terms change (services.bank_terms)."""
    totals = [bank_terms.total_quota(session, day) for day in bank_terms.quota_change_dates(session, since)]
    if since is not None:
        totals.append(bank_terms.total_quota(session, since))
    return max(totals, default=ZERO)


def check_quota_total(session: Session, since: dt.date) -> None:
    """Refuse (409) quotas that take Σ quotas beyond leverage × contributions on any day from ``since`` on.

    Called by the registry after a quota is created or raised from ``since`` (the change is already applied in
    the transaction, which the error rolls back). Not enforced before the first contribution.
    """
    lock_pool(session)
    contributions = ledger_totals(session).contributions
    if contributions <= 0:
        return
    leverage = current_settings(session).leverage
    total = _total_quota(session, since)
    capacity = leverage * contributions
    if total > capacity:
        raise QuotaExceeded(
            f"quotas would total {money(total)}, beyond leverage {leverage.normalize():f} × contributions "
            f"{money(contributions)} = {money(capacity)}",
            {"pool_quota": [f"exceeds the pool's capacity by {money(total - capacity)}"]},
        )


# --- suspension ------------------------------------------------------------------------------------


def evaluate_bank(session: Session, actor: Actor, bank: Bank, as_of: dt.date) -> None:
    """Suspend the bank from ``as_of`` (a dated terms row) if its NPL ratio that day exceeds the threshold
    (see the module docstring); the status read is the one in force on ``as_of``."""
    terms = bank_terms.bank_terms_on(session, bank, as_of)
    if terms is None or terms.suspended:
        return
    closed = last_closed_day(session)
    if closed is not None and as_of <= closed:
        return  # a closed month's status stays as reported (a sweep dated in it changes nothing)
    s = current_settings(session)
    figures = bank_pool_figures(session, as_of, [bank.id], s.claim_after_days_overdue)[bank.id]
    breached = figures.breaches(s.bank_npl_threshold)
    overridden = bank.npl_override
    if breached and not overridden:
        before = {"status": terms.status, "status_reason": bank.status_reason}
        reason = (f"NPL ratio {percent(figures.npl_ratio, 2)} on {as_of} exceeds the threshold "
                  f"{percent(s.bank_npl_threshold, 2)}")[:500]
        bank.status_reason = reason
        bank_terms.change(session, None, bank, as_of, {"status": BankStatus.suspended.value}, reason,
                          check_dates=False)
        after = {"status": BankStatus.suspended.value, "status_reason": reason, "effective_from": as_of.isoformat()}
        audit.record_update(session, actor, "bank", bank.id, before, after, action="suspend")
    elif not breached and overridden:
        before = bank.snapshot()
        bank.status_reason = None  # the reinstatement override lapses: the rule applies again
        session.flush()
        audit.record_update(session, actor, "bank", bank.id, before, bank.snapshot(), action="override_lapsed")


@allows(Role.admin)
def sweep_suspensions(session: Session, actor: Actor, as_of: dt.date) -> list[Bank]:
    """Evaluate every bank active on ``as_of`` (daily job); returns the banks suspended now."""
    active = [b for b, t in bank_terms.terms_on(session, None, as_of).items() if not t.suspended]
    banks = list(session.scalars(select(Bank).where(Bank.id.in_(active)).order_by(Bank.id).with_for_update()))
    suspended = []
    for bank in banks:
        evaluate_bank(session, actor, bank, as_of)
        terms = bank_terms.bank_terms_on(session, bank, as_of)
        if terms is not None and terms.suspended:
            suspended.append(bank)
    return suspended


# --- figures ---------------------------------------------------------------------------------------


@allows(Role.admin, Role.fund_manager, Role.auditor)
def position(session: Session, actor: Actor, as_of: dt.date) -> PoolPosition:
    fast = pool_position_read(session, as_of, DEFAULTS["pool_loss_threshold"])
    if fast is not None:
        return fast
    s = current_settings(session)
    return pool_position(session, as_of, s.claim_after_days_overdue, s.pool_loss_threshold)


def bank_figures(session: Session, bank_ids: list[int], as_of: dt.date) -> dict[int, tuple[Decimal, Decimal]]:
    """``{bank_id: (pool_quota_used, npl_ratio)}`` on ``as_of`` in a constant number of queries."""
    s = current_settings(session)
    figures = bank_pool_figures(session, as_of, bank_ids, s.claim_after_days_overdue)
    return {b: (figures[b].outstanding, ratio(figures[b].npl_principal, figures[b].outstanding)) for b in bank_ids}
