"""Report figures as plain data: SQL aggregates → dicts of Decimal, int, str and date (no rendering here).

* :func:`monthly_report_data` — the monthly fund report (月度运行报告) of a ``YYYY-MM`` period;
* :func:`bank_statement_data` — one partner bank's month;
* :func:`approval_form_data` — one bridge loan's approval form (审批表).

**Same figures as the API.** The cumulative fund figures *are* ``fund_position(session, last_day)`` — the
function behind ``GET /fund?as_of=`` — and the pool's *are* ``services.pool.position`` — behind
``GET /pool?as_of=``; month figures are differences of two such positions (the month's last day minus the day
before its first), so the report and the API cannot disagree.

**As of the period's last day.** Every figure uses only ledger entries, repayments and recoveries with a value
date on or before the last day, loans by their own dates (disbursed, due, repaid, defaulted, written off,
started), claims by their filing and payment dates. Closing the month forbids new entries dated in it, so a
closed month's figures never change. A bank's name, status, quota and share are the terms in force on the last
day (services.bank_terms: effective-dated, never changed inside a closed month), and a bank that became a partner
after it has no row. What is read as it is *now* (master data): enterprise names and the pool's
``claim_after_days_overdue`` setting that defines non-performing (``GET /pool`` reads it the same way).

**Scale.** A constant number of aggregate queries, whatever the number of loans (DOMAIN.md: 10⁶ bridge loans,
10⁶ pool loans); Python loops only over the rows a report displays — banks, the 12 months, the month's loans
and the overdue lists (capped at :data:`LIST_LIMIT` rows, with the full count and amount from SQL).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text, type_coerce
from sqlalchemy.orm import Session, aliased

from bridgefund.db import Money, money_sum
from bridgefund.errors import RuleViolation
from bridgefund.figures.fund import fund_figures, fund_position
from bridgefund.figures.pool import bank_pool_figures, ledger_totals, non_performing, ratio
from bridgefund.figures.trend import TREND_MONTHS as TREND_MONTHS  # re-exported: months in the trend
from bridgefund.figures.trend import trend as summary_trend
from bridgefund.finance import ratio as finance_ratio
from bridgefund.finance.bridge import is_overdue
from bridgefund.finance.money import ZERO
from bridgefund.models import (
    Bank,
    BankStatus,
    BridgeLoan,
    BridgeRepayment,
    Claim,
    Enterprise,
    FundLedgerEntry,
    Guarantor,
    LedgerKind,
    PoolInstallment,
    PoolLoan,
    PoolRecovery,
    PoolRepayment,
    PoolSettings,
    SnapshotKind,
    User,
)
from bridgefund.services import bank_terms, month_snapshots
from bridgefund.services import pool as pool_service
from bridgefund.services.actor import SYSTEM

#: Overdue, default and non-performing lists show at most this many rows (oldest due first); the totals
#: above them always cover every loan.
LIST_LIMIT = 200
_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")

K = LedgerKind
E = FundLedgerEntry


# --------------------------------------------------------------------------------------------- periods


def parse_period(text: Any, field: str = "period") -> tuple[dt.date, dt.date]:
    """``"YYYY-MM"`` → (first day, last day); anything else → 422 naming ``field`` (never a 500)."""
    m = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise RuleViolation.on(field, "must be a month as YYYY-MM, e.g. 2020-03")
    year, month = int(m.group(1)), int(m.group(2))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def without_jit(session: Session) -> None:
    """On PostgreSQL, tune the rest of this transaction for the report's big aggregates: JIT off, work_mem up.

    * The correlated per-loan subqueries look expensive to the planner, so PostgreSQL compiles them with LLVM,
      which costs more than running them (6.9 s → 1.6 s at 2·10⁴ loans of each kind).
    * "Non-performing" (``figures.pool.non_performing``) is an EXISTS on the installments inside an OR; with the
      default 4 MB of work_mem PostgreSQL cannot hash it and probes the installments once per loan — 174 s at
      10⁶ pool loans (10⁷ installments) against 27 s hashed with 64 MB.

    Measurements: bench/bench_reports.py, docs/benchmarks.md ("Reports"). ``SET LOCAL`` ends with the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def _share(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator to four decimals (None when there is no denominator: shown as "—")."""
    if denominator <= 0:
        return None
    return finance_ratio(numerator, denominator, 4)


def type_money(expr: Any, name: str) -> Any:
    """An SQL expression over fen columns, read back as Decimal yuan (``Money``) under ``name``."""
    return type_coerce(expr, Money()).label(name)


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------- bridge loan state


def bridge_status_on(loan: Any, as_of: dt.date, principal_outstanding: Decimal) -> str:
    """A bridge loan's state on ``as_of`` from its own dates (not its current status): a past month's report
    shows the loan as it was then. ``loan`` needs disbursed_on, due_date, repaid_on, defaulted_on,
    written_off_on; ``principal_outstanding`` is its principal outstanding on ``as_of`` (overdue is
    finance.bridge.is_overdue, the one rule)."""
    if loan.written_off_on is not None and loan.written_off_on <= as_of:
        return "written_off"
    if loan.repaid_on is not None and loan.repaid_on <= as_of:
        return "repaid"
    if loan.defaulted_on is not None and loan.defaulted_on <= as_of:
        return "defaulted"
    if loan.disbursed_on is None or loan.disbursed_on > as_of:
        return "not_disbursed"
    if loan.due_date is not None and is_overdue(loan.due_date, as_of, principal_outstanding):
        return "overdue"
    return "outstanding"


def _repaid_by(as_of: dt.date) -> Any:
    """Principal repaid per loan by ``as_of`` (a subquery over the ledger)."""
    return (select(E.bridge_loan_id, func.sum(E.amount).label("repaid"))
            .where(E.kind == K.principal_repaid.value, E.value_date <= as_of)
            .group_by(E.bridge_loan_id).subquery())


# ------------------------------------------------------------------------------------ the monthly report


def monthly_report_data(session: Session, period: str) -> dict[str, Any]:
    """Every figure of the monthly fund report of ``period`` (``YYYY-MM``), as of its last day: a closed month's
    snapshot (a few rows, :func:`snapshot_month`) when it has one, else computed from the books."""
    parse_period(period)
    stored = month_snapshots.stored(session, period, SnapshotKind.monthly)
    return stored if stored is not None else compute_monthly_report_data(session, period)


def compute_monthly_report_data(session: Session, period: str) -> dict[str, Any]:
    """The monthly report's data computed from the books (what a snapshot stores; an open month's answer)."""
    first, last = parse_period(period)
    without_jit(session)
    before = first - dt.timedelta(days=1)
    fund = fund_figures(session, last)  # GET /fund's figures, every one
    fund_before = fund_position(session, before)
    pool_now = pool_service.position(session, SYSTEM, last)
    pool_before = ledger_totals(session, before)
    settings = pool_service.current_settings(session)

    month = _fund_month(session, first, last, fund, fund_before)
    banks = _bank_rows(session, first, last, settings.claim_after_days_overdue)
    pool = _pool_section(session, first, last, pool_now, pool_before, banks)
    overdue, defaults = _bridge_problem_lists(session, last)
    return {
        "period": period,
        "first_day": first,
        "as_of": last,
        "fund": fund,
        "month": month,
        "banks": banks["rows"],
        "bank_totals": banks["totals"],
        "pool": pool,
        "overdue": overdue,
        "defaults": defaults,
        "pool_npl": _pool_npl_list(session, last, settings.claim_after_days_overdue),
        "trend": trend(session, last),
        "appendix": {"bridge_loans": _month_bridge_loans(session, first, last),
                     "pool_loans": _month_pool_loans(session, first, last)},
    }


def _fund_month(session: Session, first: dt.date, last: dt.date, now: dict[str, Any],
                before: dict[str, Any]) -> dict[str, Any]:
    """The month's movements: differences of the two positions, plus what a difference cannot give
    (distinct enterprises in the month, loans repaid in the month)."""
    loan = BridgeLoan
    enterprises, repaid_loans = session.execute(
        select(
            func.count(func.distinct(case((loan.disbursed_on.between(first, last), loan.enterprise_id)))),
            func.count(case((loan.repaid_on.between(first, last), loan.id))),
        ).where(or_(loan.disbursed_on.between(first, last), loan.repaid_on.between(first, last)))
    ).one()

    def diff(key: str) -> Any:
        return now[key] - before[key]

    return {
        "disbursed_count": diff("cumulative_disbursed_count"),
        "disbursed_amount": diff("cumulative_disbursed_amount"),
        "enterprises": int(enterprises),
        "principal_repaid": diff("principal_repaid"),
        "repaid_loans": int(repaid_loans),
        "fee_income": diff("fee_income"),
        "penalty_income": diff("penalty_income"),
        "income": diff("fee_income") + diff("penalty_income"),
        "capital_in": diff("capital_in"),
        "capital_out": diff("capital_out"),
        "losses": diff("losses"),
        "recoveries": diff("recoveries"),
        "outstanding_change": diff("outstanding_principal"),
        "cash_change": diff("cash_balance"),
    }


def _bank_rows(session: Session, first: dt.date, last: dt.date, claim_after_days: int) -> dict[str, Any]:
    """A row per partner bank: bridge loans, pool loans, quota used, NPL ratio, claims, status (7 queries)."""
    bridge = _bridge_by_bank(session, first, last)
    overdue = _bridge_overdue_by_bank(session, last)
    pool_loans = _pool_loans_by_bank(session, first, last)
    claims = _claims_by_bank(session, last)
    figures = bank_pool_figures(session, last, None, claim_after_days)
    renewals = renewal_record_by_bank(session, last)
    dated = bank_terms.terms_on(session, None, last)  # the partners on the last day, with their terms then
    banks = session.execute(select(Bank.id, Bank.code).where(Bank.id.in_(list(dated))).order_by(Bank.id)).all()
    rows = [_bank_row(bank, dated[bank.id], bridge.get(bank.id), overdue.get(bank.id, (0, ZERO)),
                      pool_loans.get(bank.id), claims.get(bank.id), figures.get(bank.id)) for bank in banks]
    for row in rows:
        row.update(renewals.get(row["id"], NO_RENEWALS))
    return {"rows": rows, "totals": _bank_totals(rows)}


#: A bank with no bridge loan disbursed yet: nothing committed.
NO_RENEWALS = {"renewal_committed": 0, "renewal_on_time": 0, "renewal_late": 0, "renewal_failed": 0}


def renewal_record_by_bank(session: Session, last: dt.date, bank_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per bank, whether it kept its renewal commitments, as of ``last`` (one aggregate query; DOMAIN.md "The
    renewal loop"): ``committed`` — bridge loans the fund disbursed on its commitment by then; ``on_time`` — renewals
    disbursed by then on or before the committed date; ``late`` — disbursed by then, after it; ``failed`` — loans
    defaulted by then. Every date is a business date, and a closed month takes no new one (the renewal endpoints
    refuse them), so a closed month's record never changes."""
    renewed = and_(BridgeLoan.renewal_disbursed_on.is_not(None), BridgeLoan.renewal_disbursed_on <= last)
    stmt = (select(
        BridgeLoan.bank_id,
        func.count(BridgeLoan.id).label("committed"),
        func.count(case((and_(renewed, BridgeLoan.renewal_disbursed_on <= BridgeLoan.renewal_expected_date),
                         BridgeLoan.id))).label("on_time"),
        func.count(case((and_(renewed, BridgeLoan.renewal_disbursed_on > BridgeLoan.renewal_expected_date),
                         BridgeLoan.id))).label("late"),
        func.count(case((and_(BridgeLoan.defaulted_on.is_not(None), BridgeLoan.defaulted_on <= last),
                         BridgeLoan.id))).label("failed"),
    ).where(BridgeLoan.disbursed_on.is_not(None), BridgeLoan.disbursed_on <= last).group_by(BridgeLoan.bank_id))
    if bank_id is not None:
        stmt = stmt.where(BridgeLoan.bank_id == bank_id)
    return {r.bank_id: {"renewal_committed": int(r.committed), "renewal_on_time": int(r.on_time),
                        "renewal_late": int(r.late), "renewal_failed": int(r.failed)} for r in session.execute(stmt)}


def _bridge_by_bank(session: Session, first: dt.date, last: dt.date) -> dict[int, Any]:
    """Per bank, from the ledger up to the last day: loans disbursed (count, amount), principal repaid or written
    off, and the month's disbursements."""
    in_month = and_(E.kind == K.disbursement.value, E.value_date >= first)
    return {r.bank_id: r for r in session.execute(
        select(
            BridgeLoan.bank_id,
            func.count(case((E.kind == K.disbursement.value, E.id))).label("count"),
            money_sum(case((E.kind == K.disbursement.value, E.amount), else_=0)).label("disbursed"),
            money_sum(case((E.kind.in_([K.principal_repaid.value, K.write_off.value]), E.amount), else_=0))
            .label("reduced"),
            func.count(case((in_month, E.id))).label("month_count"),
            money_sum(case((in_month, E.amount), else_=0)).label("month_amount"),
        ).select_from(E).join(BridgeLoan, BridgeLoan.id == E.bridge_loan_id)
        .where(E.value_date <= last).group_by(BridgeLoan.bank_id)
    )}


def _bridge_overdue_by_bank(session: Session, last: dt.date) -> dict[int, tuple[int, Decimal]]:
    """Per bank: (count, unpaid principal) of the bridge loans overdue on the last day (BridgeLoan.overdue_on)."""
    repaid = _repaid_by(last)
    return {bank_id: (int(n), _money(amount)) for bank_id, n, amount in session.execute(
        select(BridgeLoan.bank_id, func.count(BridgeLoan.id),
               money_sum(BridgeLoan.amount - func.coalesce(repaid.c.repaid, 0)))
        .select_from(BridgeLoan).outerjoin(repaid, repaid.c.bridge_loan_id == BridgeLoan.id)
        .where(BridgeLoan.overdue_on(last, repaid.c.repaid)).group_by(BridgeLoan.bank_id)
    )}


def _pool_loans_by_bank(session: Session, first: dt.date, last: dt.date) -> dict[int, Any]:
    """Per bank: pool loans live on the last day (neither repaid nor written off by then) and the month's new
    loans (count, principal)."""
    started = and_(PoolLoan.start_date >= first, PoolLoan.start_date <= last)
    live = and_(or_(PoolLoan.repaid_on.is_(None), PoolLoan.repaid_on > last),
                or_(PoolLoan.written_off_on.is_(None), PoolLoan.written_off_on > last))
    return {r.bank_id: r for r in session.execute(
        select(
            PoolLoan.bank_id,
            func.count(case((live, PoolLoan.id))).label("live"),
            func.count(case((started, PoolLoan.id))).label("month_count"),
            money_sum(case((started, PoolLoan.principal), else_=0)).label("month_amount"),
        ).where(PoolLoan.start_date <= last).group_by(PoolLoan.bank_id)
    )}


def _claims_by_bank(session: Session, last: dt.date) -> dict[int, Any]:
    """Per bank: claims filed by the last day, and those paid by then (count, amount)."""
    paid = and_(Claim.paid_on.is_not(None), Claim.paid_on <= last)
    return {r.bank_id: r for r in session.execute(
        select(
            Claim.bank_id,
            func.count(Claim.id).label("filed"),
            func.count(case((paid, Claim.id))).label("paid_count"),
            money_sum(case((paid, Claim.amount), else_=0)).label("paid_amount"),
        ).where(Claim.filed_on <= last).group_by(Claim.bank_id)
    )}


def _bank_row(bank: Any, terms: bank_terms.Terms, b: Any, overdue: tuple[int, Decimal], p: Any, c: Any,
              f: Any) -> dict[str, Any]:
    """One bank's row from its aggregates (``b`` bridge, ``p`` pool loans, ``c`` claims, ``f`` pool figures;
    None when the bank has none) and its terms on the last day."""
    pool_out = f.outstanding if f else ZERO
    od_count, od_amount = overdue
    disbursed = b.disbursed if b else ZERO
    return {
        "id": bank.id, "code": bank.code, "name": terms.name,
        "status": BankStatus(terms.status).value,
        "bridge_count": int(b.count) if b else 0,
        "bridge_amount": disbursed,
        "bridge_outstanding": disbursed - (b.reduced if b else ZERO),
        "bridge_month_count": int(b.month_count) if b else 0,
        "bridge_month_amount": b.month_amount if b else ZERO,
        "bridge_overdue_count": od_count,
        "bridge_overdue_amount": od_amount,
        "pool_live_count": int(p.live) if p else 0,
        "pool_month_count": int(p.month_count) if p else 0,
        "pool_month_amount": p.month_amount if p else ZERO,
        "pool_outstanding": pool_out,
        "pool_quota": terms.pool_quota,
        "quota_used": _share(pool_out, terms.pool_quota),
        "npl_principal": f.npl_principal if f else ZERO,
        "npl_ratio": f.npl_ratio if f else Decimal("0"),
        "claims_filed": int(c.filed) if c else 0,
        "claims_paid_count": int(c.paid_count) if c else 0,
        "claims_paid_amount": c.paid_amount if c else ZERO,
    }


#: The columns of the bank table that add up to the totals row.
_SUMMED = ("bridge_count", "bridge_amount", "bridge_outstanding", "bridge_month_count", "bridge_month_amount",
           "bridge_overdue_count", "bridge_overdue_amount", "pool_live_count", "pool_month_count",
           "pool_month_amount", "pool_outstanding", "pool_quota", "npl_principal", "claims_filed",
           "claims_paid_count", "claims_paid_amount", "renewal_committed", "renewal_on_time", "renewal_late",
           "renewal_failed")


def _bank_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals row: the sums, the ratios of the sums (not sums of ratios), the number of suspended banks."""

    def total(key: str) -> Any:
        return sum((r[key] for r in rows), ZERO if isinstance(rows[0][key], Decimal) else 0) if rows else 0

    totals: dict[str, Any] = {key: total(key) for key in _SUMMED}
    totals["quota_used"] = _share(totals["pool_outstanding"] or ZERO, totals["pool_quota"] or ZERO)
    totals["npl_ratio"] = ratio(totals["npl_principal"] or ZERO, totals["pool_outstanding"] or ZERO)
    totals["suspended"] = sum(1 for r in rows if r["status"] == "suspended")
    return totals


def _pool_section(session: Session, first: dt.date, last: dt.date, now: Any, before: Any,
                  banks: dict[str, Any]) -> dict[str, Any]:
    """The pool: ``GET /pool``'s figures on the last day, the month's movements and lending."""
    lent = session.execute(
        select(func.count(PoolLoan.id), money_sum(PoolLoan.principal),
               func.count(func.distinct(PoolLoan.enterprise_id)))
        .where(PoolLoan.start_date <= last)
    ).one()
    claims_month = session.execute(
        select(func.count(Claim.id), money_sum(Claim.amount)).where(Claim.filed_on.between(first, last))
    ).one()
    pending = session.execute(
        select(func.count(Claim.id), money_sum(Claim.amount)).where(
            Claim.filed_on <= last, or_(Claim.paid_on.is_(None), Claim.paid_on > last),
            or_(Claim.rejected_on.is_(None), Claim.rejected_on > last))
    ).one()
    totals = banks["totals"]
    return {
        "position": {
            "as_of": now.as_of, "capital": now.capital, "balance": now.balance, "contributions": now.contributions,
            "claims_paid": now.claims_paid, "recoveries": now.recoveries, "total_quota": now.total_quota,
            "guaranteed_outstanding": now.guaranteed_outstanding, "leverage_used": now.leverage_used,
            "npl_ratio": now.npl_ratio, "suspended": now.suspended,
        },
        "month": {
            "contributions": now.contributions - before.contributions,
            "claims_paid": now.claims_paid - before.claims_paid,
            "recoveries": now.recoveries - before.recoveries,
            "new_loans": totals["pool_month_count"],
            "new_amount": totals["pool_month_amount"],
            "claims_filed": int(claims_month[0]),
            "claims_filed_amount": _money(claims_month[1]),
        },
        "cumulative_loans": int(lent[0]),
        "cumulative_amount": _money(lent[1]),
        "enterprises": int(lent[2]),
        "live_loans": totals["pool_live_count"],
        "claims_pending": int(pending[0]),
        "claims_pending_amount": _money(pending[1]),
        "quota_used": _share(now.guaranteed_outstanding, now.total_quota),
    }


def _bridge_problem_lists(session: Session, last: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """Overdue bridge loans on ``last`` (not in default) and loans in default by then, oldest due first."""
    loan, ent, bank = BridgeLoan, Enterprise, bank_terms.in_force(last)
    repaid = _repaid_by(last)
    outstanding = type_money(loan.amount - func.coalesce(repaid.c.repaid, 0), "outstanding")
    defaulted = and_(loan.defaulted_on.is_not(None), loan.defaulted_on <= last)
    columns = (loan.id, loan.reference, ent.name.label("enterprise"), bank.c.name.label("bank"), loan.amount,
               loan.disbursed_on, loan.due_date, loan.repaid_on, loan.defaulted_on, loan.written_off_on,
               loan.written_off_amount, outstanding)

    def listed(condition: Any) -> tuple[list[dict[str, Any]], int, Decimal]:
        base = (select(*columns).select_from(loan).join(ent, ent.id == loan.enterprise_id)
                .outerjoin(bank, bank.c.bank_id == loan.bank_id).outerjoin(repaid, repaid.c.bridge_loan_id == loan.id)
                .where(condition))
        sub = base.subquery()
        count, amount = session.execute(select(func.count(), money_sum(sub.c.outstanding)).select_from(sub)).one()
        rows = []
        for r in session.execute(base.order_by(loan.due_date, loan.id).limit(LIST_LIMIT)):
            state = bridge_status_on(r, last, _money(r.outstanding))
            rows.append({
                "reference": r.reference, "enterprise": r.enterprise, "bank": r.bank, "amount": r.amount,
                "disbursed_on": r.disbursed_on, "due_date": r.due_date,
                "defaulted_on": r.defaulted_on if r.defaulted_on is not None and r.defaulted_on <= last else None,
                "days_overdue": (last - r.due_date).days if r.due_date and r.due_date < last else 0,
                "outstanding": ZERO if state == "written_off" else _money(r.outstanding),
                "written_off": r.written_off_amount if state == "written_off" else ZERO,
                "status": state,
            })
        return rows, int(count), _money(amount)

    od_rows, od_count, od_amount = listed(and_(BridgeLoan.overdue_on(last, repaid.c.repaid), ~defaulted))
    df_rows, df_count, df_amount = listed(defaulted)
    return ({"rows": od_rows, "count": od_count, "amount": od_amount},
            {"rows": df_rows, "count": df_count, "amount": df_amount})


def _pool_npl_list(session: Session, last: dt.date, claim_after_days: int) -> dict[str, Any]:
    """Non-performing pool loans on ``last`` (the NPL ratio's numerator), most days past due first."""
    repaid = (select(money_sum(PoolRepayment.principal))
              .where(PoolRepayment.loan_id == PoolLoan.id, PoolRepayment.value_date <= last)
              .correlate(PoolLoan).scalar_subquery())
    recovered = (select(money_sum(PoolRecovery.amount))
                 .where(PoolRecovery.loan_id == PoolLoan.id, PoolRecovery.value_date <= last)
                 .correlate(PoolLoan).scalar_subquery())
    oldest_unpaid = (select(func.min(PoolInstallment.due_date))
                     .where(PoolInstallment.loan_id == PoolLoan.id, PoolInstallment.due_date <= last,
                            or_(PoolInstallment.settled_on.is_(None), PoolInstallment.settled_on > last))
                     .correlate(PoolLoan).scalar_subquery())
    # Aliases: non_performing() correlates on Claim itself, so the claims here must not be "Claim".
    claim, shown = aliased(Claim), aliased(Claim)
    latest_claim = (select(claim.id).where(claim.loan_id == PoolLoan.id, claim.filed_on <= last)
                    .order_by(claim.id.desc()).limit(1).correlate(PoolLoan).scalar_subquery())
    # Written-off principal counts as non-performing (DOMAIN.md "Pool write-off"); a written-off loan takes no
    # money after its write-off, so principal − repaid − recovered is then exactly its written-off principal.
    condition = and_(PoolLoan.start_date <= last,
                     or_(non_performing(last, claim_after_days), PoolLoan.written_off_on <= last))
    outstanding = type_money(PoolLoan.principal - repaid - recovered, "outstanding")
    count, amount = session.execute(
        select(func.count(), money_sum(outstanding)).select_from(PoolLoan).where(condition)).one()
    terms = bank_terms.in_force(last)
    stmt = (
        select(PoolLoan.reference, Enterprise.name.label("enterprise"), terms.c.name.label("bank"), PoolLoan.principal,
               PoolLoan.start_date, outstanding, oldest_unpaid.label("oldest_unpaid"),
               shown.reference.label("claim"), shown.rejected_on, shown.paid_on, shown.amount)
        .select_from(PoolLoan).join(Enterprise, Enterprise.id == PoolLoan.enterprise_id)
        .outerjoin(terms, terms.c.bank_id == PoolLoan.bank_id).outerjoin(shown, shown.id == latest_claim)
        .where(condition).order_by(oldest_unpaid, PoolLoan.id).limit(LIST_LIMIT)
    )
    rows = []
    for r in session.execute(stmt):
        claim_state = None
        if r.claim is not None:
            claim_state = "paid" if r.paid_on is not None and r.paid_on <= last else (
                "rejected" if r.rejected_on is not None and r.rejected_on <= last else "filed")
        rows.append({
            "reference": r.reference, "enterprise": r.enterprise, "bank": r.bank, "principal": r.principal,
            "start_date": r.start_date, "outstanding": _money(r.outstanding),
            "days_past_due": (last - r.oldest_unpaid).days if r.oldest_unpaid else 0,
            "claim": r.claim, "claim_status": claim_state,
            "claim_amount": r.amount if r.claim is not None else None,
        })
    return {"rows": rows, "count": int(count), "amount": _money(amount)}


def trend(session: Session, last: dt.date) -> list[dict[str, Any]]:
    """The 12 months ending with ``last``'s month, as the monthly report's trend chart and table show them (the
    staff console's dashboard draws the same): ``figures.trend`` — from the summaries, the whole-history
    definition while they await a rebuild."""
    return summary_trend(session, last)


def _month_bridge_loans(session: Session, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Bridge loans disbursed in the month, in disbursement order, with their state on the last day."""
    loan = BridgeLoan
    repaid = _repaid_by(last)
    terms = bank_terms.in_force(last)
    rows = session.execute(
        select(loan.id, loan.reference, Enterprise.name.label("enterprise"), terms.c.name.label("bank"), loan.amount,
               loan.term_days, loan.disbursed_on, loan.due_date, loan.repaid_on, loan.defaulted_on,
               loan.written_off_on, type_money(loan.amount - func.coalesce(repaid.c.repaid, 0), "out"))
        .join(Enterprise, Enterprise.id == loan.enterprise_id).outerjoin(terms, terms.c.bank_id == loan.bank_id)
        .outerjoin(repaid, repaid.c.bridge_loan_id == loan.id)
        .where(loan.disbursed_on >= first, loan.disbursed_on <= last)
        .order_by(loan.disbursed_on, loan.id)
    )
    out = []
    for r in rows:
        state = bridge_status_on(r, last, _money(r.out))
        out.append({"reference": r.reference, "enterprise": r.enterprise, "bank": r.bank, "amount": r.amount,
                    "term_days": r.term_days, "disbursed_on": r.disbursed_on, "due_date": r.due_date,
                    "outstanding": ZERO if state == "written_off" else _money(r.out), "status": state})
    return out


def _month_pool_loans(session: Session, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Pool loans started in the month, in start order."""
    terms = bank_terms.in_force(last)
    rows = session.execute(
        select(PoolLoan.reference, Enterprise.name.label("enterprise"), terms.c.name.label("bank"), PoolLoan.principal,
               PoolLoan.annual_rate, PoolLoan.start_date, PoolLoan.term_months, PoolLoan.repayment_method,
               PoolLoan.pool_share, PoolLoan.guarantor_share)
        .join(Enterprise, Enterprise.id == PoolLoan.enterprise_id).outerjoin(terms, terms.c.bank_id == PoolLoan.bank_id)
        .where(PoolLoan.start_date >= first, PoolLoan.start_date <= last)
        .order_by(PoolLoan.start_date, PoolLoan.id)
    )
    return [dict(r._mapping) for r in rows]


# -------------------------------------------------------------------------------------- bank statement


def bank_statement_data(session: Session, bank: Bank, period: str) -> dict[str, Any]:
    """One bank's month: its bridge loans and their repayments, its pool loans, repayments, quota, claims — the
    closed month's snapshot when it has one; else computed from the books, with the pool settings the month's
    close recorded (a bank added after the close) or, for an open month, today's."""
    parse_period(period)
    stored = month_snapshots.stored(session, period, SnapshotKind.bank_statement, bank.id)
    if stored is not None:
        return stored
    return compute_bank_statement_data(session, bank, period, month_snapshots.settings_closing(session, period))


def compute_bank_statement_data(session: Session, bank: Bank, period: str,
                                settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """One bank's statement computed from the books, under ``settings`` (the pool settings' values by name; None:
    today's)."""
    first, last = parse_period(period)
    without_jit(session)
    if settings is None:
        settings = pool_settings_now(session)
    # The terms in force on the last day (before the bank became a partner: its first terms, quota included).
    terms = bank_terms.shown_terms(session, [bank.id], last)[bank.id]
    return {
        "period": period, "first_day": first, "as_of": last,
        "bank": {"id": bank.id, "code": bank.code, "name": terms.name, "pool_share": terms.pool_share,
                 "status": BankStatus(terms.status).value, "suspended_on": terms.suspended_on},
        "bridge": _statement_bridge(session, bank.id, first, last),
        "renewals": renewal_record_by_bank(session, last, bank.id).get(bank.id, NO_RENEWALS),
        "pool": _statement_pool(session, bank.id, first, last, terms, settings),
    }


def _statement_bridge(session: Session, bank_id: int, first: dt.date, last: dt.date) -> dict[str, Any]:
    """The statement's bridge-loan part: the bank's loans live in the month, the month's repayments, totals."""
    loans = _statement_bridge_loans(session, bank_id, first, last)
    repayments = _rows(session, select(
        BridgeLoan.reference, BridgeRepayment.value_date, BridgeRepayment.external_ref, BridgeRepayment.amount,
        BridgeRepayment.principal, BridgeRepayment.fee, BridgeRepayment.penalty)
        .join(BridgeLoan, BridgeLoan.id == BridgeRepayment.bridge_loan_id)
        .where(BridgeRepayment.bank_id == bank_id, BridgeRepayment.value_date.between(first, last))
        .order_by(BridgeRepayment.value_date, BridgeRepayment.id))
    return {
        "loans": loans,
        "repayments": repayments,
        "disbursed_count": sum(1 for r in loans if r["disbursed_in_month"]),
        "disbursed_amount": _total(r["amount"] for r in loans if r["disbursed_in_month"]),
        "month_principal": _total(r["month_principal"] for r in loans),
        "month_income": _total(r["month_income"] for r in loans),
        "outstanding": _total(r["outstanding"] for r in loans),
        "repaid_total": _total(r["amount"] for r in repayments),
    }


def _statement_bridge_loans(session: Session, bank_id: int, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The bank's bridge loans lent by the last day and not closed before the first: each with its month's
    principal and income and its state on the last day (one query, the ledger summed per loan)."""
    loan = BridgeLoan
    live = and_(loan.bank_id == bank_id, loan.disbursed_on <= last,
                or_(loan.repaid_on.is_(None), loan.repaid_on >= first),
                or_(loan.written_off_on.is_(None), loan.written_off_on >= first))
    in_month = E.value_date >= first
    per_loan = (
        select(E.bridge_loan_id,
               func.sum(case((E.kind == K.principal_repaid.value, E.amount), else_=0)).label("repaid"),
               func.sum(case((and_(in_month, E.kind == K.principal_repaid.value), E.amount), else_=0))
               .label("month_principal"),
               func.sum(case((and_(in_month, E.kind.in_([K.fee.value, K.penalty.value])), E.amount), else_=0))
               .label("month_income"),
               func.sum(case((E.kind == K.write_off.value, E.amount), else_=0)).label("written_off"))
        .join(loan, loan.id == E.bridge_loan_id).where(live, E.value_date <= last)
        .group_by(E.bridge_loan_id).subquery()
    )
    return [{
        "reference": r.reference, "enterprise": r.enterprise, "amount": r.amount, "term_days": r.term_days,
        "disbursed_on": r.disbursed_on, "due_date": r.due_date,
        "disbursed_in_month": first <= r.disbursed_on <= last,
        "month_principal": _money(r.month_principal), "month_income": _money(r.month_income),
        "outstanding": r.amount - _money(r.repaid) - _money(r.written_off),
        "status": bridge_status_on(r, last, r.amount - _money(r.repaid) - _money(r.written_off)),
    } for r in session.execute(
        select(loan.id, loan.reference, Enterprise.name.label("enterprise"), loan.amount, loan.term_days,
               loan.disbursed_on, loan.due_date, loan.repaid_on, loan.defaulted_on, loan.written_off_on,
               type_money(func.coalesce(per_loan.c.repaid, 0), "repaid"),
               type_money(func.coalesce(per_loan.c.month_principal, 0), "month_principal"),
               type_money(func.coalesce(per_loan.c.month_income, 0), "month_income"),
               type_money(func.coalesce(per_loan.c.written_off, 0), "written_off"))
        .join(Enterprise, Enterprise.id == loan.enterprise_id)
        .outerjoin(per_loan, per_loan.c.bridge_loan_id == loan.id)
        .where(live).order_by(loan.disbursed_on, loan.id)
    )]


def _statement_pool(session: Session, bank_id: int, first: dt.date, last: dt.date,
                    terms: bank_terms.Terms, settings: dict[str, Any]) -> dict[str, Any]:
    """The statement's pool part: quota and NPL figures at both ends of the month, the month's new loans,
    repayments, claims and recoveries, with their totals."""
    after_days = settings["claim_after_days_overdue"]
    fig = bank_pool_figures(session, last, [bank_id], after_days)[bank_id]
    fig_before = bank_pool_figures(session, first - dt.timedelta(days=1), [bank_id], after_days)[bank_id]
    live_pool = session.scalar(select(func.count(PoolLoan.id)).where(
        PoolLoan.bank_id == bank_id, PoolLoan.start_date <= last,
        or_(PoolLoan.repaid_on.is_(None), PoolLoan.repaid_on > last)))
    new_pool = _rows(session, select(
        PoolLoan.reference, Enterprise.name.label("enterprise"), PoolLoan.principal, PoolLoan.annual_rate,
        PoolLoan.start_date, PoolLoan.term_months, PoolLoan.repayment_method, PoolLoan.pool_share,
        Guarantor.name.label("guarantor"))
        .join(Enterprise, Enterprise.id == PoolLoan.enterprise_id)
        .outerjoin(Guarantor, Guarantor.id == PoolLoan.guarantor_id)
        .where(PoolLoan.bank_id == bank_id, PoolLoan.start_date.between(first, last))
        .order_by(PoolLoan.start_date, PoolLoan.id))
    repayments = _rows(session, select(
        PoolLoan.reference, PoolRepayment.value_date, PoolRepayment.external_ref, PoolRepayment.amount,
        PoolRepayment.principal, PoolRepayment.interest, PoolRepayment.penalty)
        .join(PoolLoan, PoolLoan.id == PoolRepayment.loan_id)
        .where(PoolRepayment.bank_id == bank_id, PoolRepayment.value_date.between(first, last))
        .order_by(PoolRepayment.value_date, PoolRepayment.id))
    claims = _statement_claims(session, bank_id, first, last)
    recoveries = _rows(session, select(
        PoolLoan.reference, PoolRecovery.value_date, PoolRecovery.external_ref, PoolRecovery.amount,
        PoolRecovery.pool_amount)
        .join(PoolLoan, PoolLoan.id == PoolRecovery.loan_id)
        .where(PoolRecovery.bank_id == bank_id, PoolRecovery.value_date.between(first, last))
        .order_by(PoolRecovery.value_date, PoolRecovery.id))
    return {
        "quota": terms.pool_quota,
        "outstanding_start": fig_before.outstanding,
        "outstanding": fig.outstanding,
        "quota_used": _share(fig.outstanding, terms.pool_quota),
        "quota_available": max(terms.pool_quota - fig.outstanding, ZERO),
        "npl_principal": fig.npl_principal,
        "npl_ratio": fig.npl_ratio,
        "npl_threshold": settings["bank_npl_threshold"],
        "live_loans": int(live_pool or 0),
        "new_loans": new_pool,
        "new_amount": _total(r["principal"] for r in new_pool),
        "repayments": repayments,
        "repaid_principal": _total(r["principal"] for r in repayments),
        "repaid_interest": _total(r["interest"] for r in repayments),
        "repaid_penalty": _total(r["penalty"] for r in repayments),
        "repaid_total": _total(r["amount"] for r in repayments),
        "claims": claims,
        "recoveries": recoveries,
        "recovered_total": _total(r["amount"] for r in recoveries),
    }


def _statement_claims(session: Session, bank_id: int, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The bank's claims filed in the month or still unpaid at its start, each as it stood on the last day
    (paid, rejected or filed; a payment after the last day is not shown)."""
    claims = []
    for r in session.execute(
        select(Claim.reference, PoolLoan.reference.label("loan"), Claim.filed_on, Claim.days_past_due,
               Claim.unpaid_principal, Claim.pool_share, Claim.amount, Claim.rejected_on, Claim.paid_on)
        .join(PoolLoan, PoolLoan.id == Claim.loan_id)
        .where(Claim.bank_id == bank_id, Claim.filed_on <= last,
               or_(Claim.filed_on >= first, Claim.paid_on.is_(None), Claim.paid_on >= first))
        .order_by(Claim.filed_on, Claim.id)
    ):
        row = dict(r._mapping)
        paid = r.paid_on is not None and r.paid_on <= last
        row["status"] = "paid" if paid else (
            "rejected" if r.rejected_on is not None and r.rejected_on <= last else "filed")
        del row["rejected_on"]
        row["paid_on"] = r.paid_on if paid else None
        claims.append(row)
    return claims


def _rows(session: Session, stmt: Any) -> list[dict[str, Any]]:
    """The statement's rows as plain dicts, keyed by the selected columns' labels."""
    return [dict(r._mapping) for r in session.execute(stmt)]


def _total(values: Iterable[Decimal]) -> Decimal:
    """The sum of money values (0.00 for none)."""
    return sum(values, ZERO)


# ------------------------------------------------------------------------------------- month snapshots

#: The pool settings a snapshot records (every setting; ``updated_at``/``updated_by`` are not settings).
SETTINGS_RECORDED = ("leverage", "default_pool_share", "claim_after_days_overdue", "bank_npl_threshold",
                     "pool_loss_threshold", "max_loan_amount", "max_annual_rate", "penalty_rate_markup",
                     "compound_overdue_interest")


def pool_settings_now(session: Session) -> dict[str, Any]:
    """Today's pool settings, by name (what a month's close records)."""
    row: PoolSettings = pool_service.current_settings(session)
    return {name: getattr(row, name) for name in SETTINGS_RECORDED}


def snapshot_month(session: Session, period: str) -> None:
    """Compute and store ``period``'s snapshot rows: the monthly report's data, every bank's statement data and
    the pool settings in force now (the month's close: in its transaction, after the close row is written)."""
    settings = pool_settings_now(session)
    month_snapshots.store(session, period, SnapshotKind.settings, settings)
    month_snapshots.store(session, period, SnapshotKind.monthly, compute_monthly_report_data(session, period))
    for bank in session.scalars(select(Bank).order_by(Bank.id)):
        month_snapshots.store(session, period, SnapshotKind.bank_statement,
                              compute_bank_statement_data(session, bank, period, settings), bank.id)
    session.flush()


# ---------------------------------------------------------------------------------------- approval form


def approval_form_data(session: Session, loan: BridgeLoan) -> dict[str, Any]:
    """One bridge loan for the file: the application, the bank's commitment, the fee settings approved,
    every approval, the disbursement and every repayment. ``loan`` has its enterprise, approvals and
    repayments loaded (``services.bridge_loans`` loads it scoped to the actor)."""
    disbursement = session.execute(
        select(E.value_date, E.created_by, E.created_at)
        .where(E.bridge_loan_id == loan.id, E.kind == K.disbursement.value)).first()
    user_ids = {loan.submitted_by, *(a.manager_id for a in loan.approvals),
                disbursement.created_by if disbursement else None} - {None}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    bank = session.get(Bank, loan.bank_id)
    # The bank's name on the application date (its terms then; its first terms if it was not a partner yet).
    terms = bank_terms.shown_terms(session, [loan.bank_id], loan.submitted_on).get(loan.bank_id)
    ent = loan.enterprise
    repayments = [{"value_date": r.value_date, "external_ref": r.external_ref, "amount": r.amount,
                   "penalty": r.penalty, "fee": r.fee, "principal": r.principal} for r in loan.repayments]
    tiers = sorted(loan.fee_tiers or [], key=lambda t: int(t["from_day"]))
    return {
        "loan": {
            "id": loan.id, "reference": loan.reference, "status": loan.status, "amount": loan.amount,
            "term_days": loan.term_days, "purpose": loan.purpose, "submitted_on": loan.submitted_on,
            "submitted_by": names.get(loan.submitted_by), "status_reason": loan.status_reason,
            "disbursed_on": loan.disbursed_on, "due_date": loan.due_date, "repaid_on": loan.repaid_on,
            "defaulted_on": loan.defaulted_on, "written_off_on": loan.written_off_on,
            "principal_repaid": loan.principal_repaid, "fee_paid": loan.fee_paid, "penalty_paid": loan.penalty_paid,
            "written_off_amount": loan.written_off_amount, "recovered": loan.recovered,
            "outstanding": loan.principal_outstanding_now,
        },
        "enterprise": {"name": ent.name, "uscc": ent.uscc, "size": ent.size, "industry": ent.industry,
                       "in_zone": ent.in_zone},
        "bank": {"name": terms.name if terms else "", "code": bank.code if bank else ""},
        "maturing_loan": {"contract_no": loan.maturing_contract_no, "amount": loan.maturing_amount,
                          "due_date": loan.maturing_due_date},
        "renewal": {"amount": loan.renewal_amount, "expected_date": loan.renewal_expected_date,
                    "share": _share(loan.amount, loan.renewal_amount)},
        "settings": None if loan.approved_at is None else {
            "fee_tiers": [{"from_day": int(t["from_day"]), "daily_rate": Decimal(str(t["daily_rate"]))}
                          for t in tiers],
            "penalty_daily_rate": loan.penalty_daily_rate,
            "default_after_days": loan.default_after_days,
            "required_approvals": loan.required_approvals,
        },
        "approvals": [{"manager": names.get(a.manager_id), "decided_on": a.decided_on, "at": a.at,
                       "comment": a.comment} for a in loan.approvals],
        "approved_at": loan.approved_at,
        "disbursement": None if disbursement is None else {
            "value_date": disbursement.value_date, "by": names.get(disbursement.created_by),
            "at": disbursement.created_at},
        "repayments": repayments,
        "repaid_total": sum((r["amount"] for r in repayments), ZERO),
    }
