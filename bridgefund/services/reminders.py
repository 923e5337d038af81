"""The reminders of the 08:30 working-day run (DOMAIN.md, "Working days, reminders …, the renewal loop").

On business date D (a working day; W1, W2, W3 are the 1st, 2nd and 3rd working days after D):

===========================  ==========================================================  ======================
kind                         fires on D when                                             told
===========================  ==========================================================  ======================
``bridge_due_in_3``          a lent bridge loan's due date is in (W2, W3]                 its bank's officers,
``bridge_due_tomorrow``      … in (D, W1] (the next working day, or a day off before it)  fund managers
``bridge_due_today``         … is D
``bridge_fee_step_up``       a higher fee tier starts in (D, W1], on or before the due date
``bridge_renewal_late``      the renewal's expected date is before D, the loan not repaid
``bridge_overdue``           the due date is before D, principal outstanding
``bridge_default_soon``      due + ``default_after_days`` − 5 days is in [D, W1)
``renewal_unpaid``           the bank disbursed the renewal on R, W1(R) < D, the loan
                             still not repaid (the renewal loop's alarm)
``pool_claim_eligible``      an installment unpaid ≥ ``claim_after_days_overdue`` days, no   its bank's officers,
                             live claim                                                   fund managers
``pool_npl_near_threshold``  the bank's NPL ratio ≥ ``bank_npl_threshold`` − 1 point
``pool_quota_high``          the bank's pool loans outstanding ≥ 90 % of its quota
``fund_cash_short``          on a day of D … D+14 the cash forecast (``GET /fund/forecast``)  fund managers, admins
                             is below zero: cash today + loans falling due by then < the
                             approved-but-not-disbursed loans due by then
===========================  ==========================================================  ======================

The windows reach to the next working day, so a due date, a fee step or a default date that falls on a day off
is announced on the working day before it. Each reminder is one event per (subject, kind, D) — a unique key
(``services.notifications``) — so running the reminders of D twice, or a retried job, tells nobody twice; a
condition that still holds on the next working day is reminded again then. Officers only ever receive reminders
about their own bank's loans and figures.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.db import Money
from bridgefund.errors import DomainError
from bridgefund.figures.pool import bank_pool_figures
from bridgefund.messages import money, percent
from bridgefund.models import (
    Bank,
    BridgeLoan,
    BridgeLoanStatus,
    BridgeRepayment,
    Claim,
    Enterprise,
    PoolInstallment,
    PoolLoan,
    PoolLoanStatus,
    PoolRepayment,
    Role,
    User,
)
from bridgefund.services import bank_terms, calendar, fund_outlook, notifications, pool
from bridgefund.services.actor import SYSTEM, Actor

log = logging.getLogger("bridgefund.reminders")

#: Days ahead the cash forecast looks (DOMAIN.md: "any of the next 14 days").
FORECAST_DAYS = 14
#: A bank's quota is nearly used at this share.
QUOTA_WARNING = Decimal("0.90")
#: "Within 1 percentage point" of the NPL threshold.
NPL_MARGIN = Decimal("0.01")
#: Days before the default date the last warning goes out.
DEFAULT_WARNING_DAYS = 5
#: Who is told of a bank's reminders besides its officers; of the fund's.
BANK_ROLES = (Role.fund_manager,)
FUND_ROLES = (Role.fund_manager, Role.admin)


@dataclass(frozen=True)
class Reminder:
    kind: str
    subject_type: str
    subject_id: int
    link: str
    params: dict[str, Any]
    bank_id: int | None = None
    roles: tuple[str, ...] = field(default=BANK_ROLES)


def job_key(business_date: dt.date) -> str:
    """The unique key of one business date's reminder run."""
    return f"reminders:{business_date.isoformat()}"


@allows(Role.admin)
def send_reminders(session: Session, actor: Actor, business_date: dt.date) -> dict[str, Any]:
    """Raise every reminder due on ``business_date``; answer how many were raised now (not before)."""
    found = due_reminders(session, business_date)
    raised: Counter[str] = Counter()
    told: dict[tuple[int | None, tuple[str, ...]], list[User]] = {}
    for r in found:
        key = (r.bank_id, r.roles)
        if key not in told:
            told[key] = notifications.recipients(session, bank_id=r.bank_id, roles=r.roles)
        event = notifications.raise_event(
            session, actor, r.kind, subject_type=r.subject_type, subject_id=r.subject_id,
            business_date=business_date, params=r.params, link=r.link, to=told[key], bank_id=r.bank_id)
        if event is not None:
            raised[r.kind] += 1
    for loan, disbursed_on in renewals_unpaid(session, business_date):
        if renewal_unpaid(session, actor, loan, disbursed_on=disbursed_on, business_date=business_date):
            raised["renewal_unpaid"] += 1
    log.info("reminders of %s: %d found, %d raised %s", business_date, len(found), sum(raised.values()),
             dict(raised))
    return {"business_date": business_date.isoformat(), "reminders": sum(raised.values())}


def due_reminders(session: Session, day: dt.date) -> list[Reminder]:
    """Every reminder whose condition holds on ``day`` (whether raised already or not)."""
    w1, w2, w3 = (calendar.add_working_days(session, day, n) for n in (1, 2, 3))
    return [*bridge_reminders(session, day, w1, w2, w3), *pool_reminders(session, day), *fund_reminders(session, day)]


# ------------------------------------------------------------------------------------------------ bridge loans


def _lent_on(day: dt.date) -> Any:
    """Lent out on ``day``: disbursed by then and not repaid, defaulted or written off by then."""
    return and_(BridgeLoan.disbursed_on.is_not(None), BridgeLoan.disbursed_on <= day,
                or_(BridgeLoan.repaid_on.is_(None), BridgeLoan.repaid_on > day),
                or_(BridgeLoan.defaulted_on.is_(None), BridgeLoan.defaulted_on > day),
                or_(BridgeLoan.written_off_on.is_(None), BridgeLoan.written_off_on > day),
                BridgeLoan.status.in_([BridgeLoanStatus.disbursed, BridgeLoanStatus.repaid,
                                       BridgeLoanStatus.defaulted, BridgeLoanStatus.written_off]))


def _bridge_repaid_by(day: dt.date) -> Any:
    """The loan's principal repaid with value dates up to ``day`` (a correlated SQL value, yuan)."""
    return (select(type_coerce(func.coalesce(func.sum(BridgeRepayment.principal), 0), Money()))
            .where(BridgeRepayment.bridge_loan_id == BridgeLoan.id, BridgeRepayment.value_date <= day)
            .scalar_subquery())


def _pool_repaid_by(day: dt.date) -> Any:
    """The pool loan's principal repaid with value dates up to ``day`` (a correlated SQL value, yuan)."""
    return (select(type_coerce(func.coalesce(func.sum(PoolRepayment.principal), 0), Money()))
            .where(PoolRepayment.loan_id == PoolLoan.id, PoolRepayment.value_date <= day)
            .scalar_subquery())


def bridge_reminders(session: Session, day: dt.date, w1: dt.date, w2: dt.date, w3: dt.date) -> list[Reminder]:
    rows = session.execute(
        select(BridgeLoan, Enterprise.name, Bank.latest_name, _bridge_repaid_by(day))
        .join(Enterprise, Enterprise.id == BridgeLoan.enterprise_id).join(Bank, Bank.id == BridgeLoan.bank_id)
        .where(_lent_on(day)).order_by(BridgeLoan.id))
    out: list[Reminder] = []
    for loan, enterprise, bank, repaid in rows:
        due: dt.date = loan.due_date
        outstanding = loan.amount - Decimal(repaid or 0)
        facts = {"reference": loan.reference, "enterprise": enterprise, "bank": bank, "amount": money(outstanding),
                 "due_date": due.isoformat()}

        def add(kind: str, loan: BridgeLoan = loan, facts: dict[str, Any] = facts, **more: Any) -> None:
            out.append(Reminder(kind, "bridge_loan", loan.id, f"/bridge-loans/{loan.id}",
                                {**facts, **more}, bank_id=loan.bank_id))

        if due == day:
            add("bridge_due_today")
        elif day < due <= w1:
            add("bridge_due_tomorrow")
        elif w2 < due <= w3:
            add("bridge_due_in_3")
        step = _fee_step(loan, day, w1)
        if step is not None:
            add("bridge_fee_step_up", step_date=step[0].isoformat(), rate_before=percent(step[1]),
                rate_after=percent(step[2]))
        if loan.renewal_expected_date < day:
            add("bridge_renewal_late", expected_date=loan.renewal_expected_date.isoformat(),
                renewal_amount=money(loan.renewal_amount))
        if due < day:
            add("bridge_overdue", days_overdue=(day - due).days)
            if loan.default_after_days is not None:
                default_date = due + dt.timedelta(days=loan.default_after_days)
                if day <= default_date - dt.timedelta(days=DEFAULT_WARNING_DAYS) < w1:
                    add("bridge_default_soon", default_date=default_date.isoformat(),
                        default_after_days=loan.default_after_days)
    return out


def renewals_unpaid(session: Session, day: dt.date) -> list[tuple[BridgeLoan, dt.date]]:
    """The renewal loop's alarm (DOMAIN.md): loans still lent on ``day`` whose renewal the bank disbursed more than
    one working day before it — the renewal was meant to repay the fund by the next working day. (loan, the
    renewal's value date) pairs."""
    rows = session.execute(select(BridgeLoan, BridgeLoan.renewal_disbursed_on).where(
        _lent_on(day), BridgeLoan.renewal_disbursed_on.is_not(None), BridgeLoan.renewal_disbursed_on < day)
        .order_by(BridgeLoan.id)).all()
    return [(loan, on) for loan, on in rows if calendar.add_working_days(session, on, 1) < day]


def _fee_step(loan: BridgeLoan, day: dt.date, w1: dt.date) -> tuple[dt.date, Decimal, Decimal] | None:
    """The first higher fee tier whose first day is in (day, w1] and on or before the due date: (its date, the
    daily rate before, the rate after). Loan day k is the date ``disbursed_on + k``."""
    tiers = sorted(loan.fee_tiers or [], key=lambda t: int(t["from_day"]))
    for before, after in zip(tiers, tiers[1:], strict=False):
        starts = loan.disbursed_on + dt.timedelta(days=int(after["from_day"]))
        rate_before, rate_after = Decimal(str(before["daily_rate"])), Decimal(str(after["daily_rate"]))
        if day < starts <= w1 and starts <= loan.due_date and rate_after > rate_before:
            return starts, rate_before, rate_after
    return None


# ------------------------------------------------------------------------------------------------ the pool


def pool_reminders(session: Session, day: dt.date) -> list[Reminder]:
    s = pool.current_settings(session)
    out = _claims_eligible(session, day, s.claim_after_days_overdue)
    terms = bank_terms.terms_on(session, None, day)
    if not terms:
        return out
    figures = bank_pool_figures(session, day, list(terms), s.claim_after_days_overdue)
    for bank_id, t in sorted(terms.items()):
        f = figures.get(bank_id)
        if f is None or f.outstanding <= 0:
            continue
        link = f"/pool-loans?bank_id={bank_id}"
        facts = {"bank": t.name, "date": day.isoformat(), "outstanding": money(f.outstanding)}
        if f.npl_principal >= (s.bank_npl_threshold - NPL_MARGIN) * f.outstanding:
            out.append(Reminder("pool_npl_near_threshold", "bank", bank_id, link, {
                **facts, "npl_ratio": percent(f.npl_ratio, 2), "npl_principal": money(f.npl_principal),
                "threshold": percent(s.bank_npl_threshold, 2)}, bank_id=bank_id))
        if t.pool_quota > 0 and f.outstanding >= QUOTA_WARNING * t.pool_quota:
            out.append(Reminder("pool_quota_high", "bank", bank_id, link, {
                **facts, "quota": money(t.pool_quota), "used_share": percent(f.outstanding / t.pool_quota, 2)},
                bank_id=bank_id))
    return out


def _claims_eligible(session: Session, day: dt.date, claim_after_days: int) -> list[Reminder]:
    """Pool loans with an installment unpaid for ``claim_after_days`` or more on ``day`` and no live claim."""
    cutoff = day - dt.timedelta(days=claim_after_days)
    late = (select(PoolInstallment.loan_id, func.min(PoolInstallment.seq).label("seq"),
                   func.min(PoolInstallment.due_date).label("due_date"))
            .where(PoolInstallment.due_date <= cutoff,
                   or_(PoolInstallment.settled_on.is_(None), PoolInstallment.settled_on > day))
            .group_by(PoolInstallment.loan_id).subquery())
    live_claim = exists().where(Claim.loan_id == PoolLoan.id, Claim.filed_on <= day,
                                or_(Claim.rejected_on.is_(None), Claim.rejected_on > day))
    rows = session.execute(
        select(PoolLoan, late.c.seq, late.c.due_date, Enterprise.name, Bank.latest_name, _pool_repaid_by(day))
        .join(late, late.c.loan_id == PoolLoan.id)
        .join(Enterprise, Enterprise.id == PoolLoan.enterprise_id).join(Bank, Bank.id == PoolLoan.bank_id)
        .where(PoolLoan.start_date <= day, ~live_claim,
               PoolLoan.status.in_([PoolLoanStatus.active, PoolLoanStatus.repaid]),
               or_(PoolLoan.repaid_on.is_(None), PoolLoan.repaid_on > day))
        .order_by(PoolLoan.id))
    return [Reminder("pool_claim_eligible", "pool_loan", loan.id, f"/pool-loans/{loan.id}", {
        "reference": loan.reference, "contract_no": loan.contract_no, "enterprise": enterprise, "bank": bank,
        "seq": seq, "due_date": due.isoformat(), "days_overdue": (day - due).days,
        "amount": money(loan.principal - Decimal(repaid or 0))}, bank_id=loan.bank_id)
        for loan, seq, due, enterprise, bank, repaid in rows]


# ------------------------------------------------------------------------------------------------ the fund


def fund_reminders(session: Session, day: dt.date) -> list[Reminder]:
    """The cash forecast of ``day`` … ``day + 14`` — :func:`services.fund_outlook.forecast`, the very figures of
    ``GET /fund/forecast?from=day&days=15`` — fires on the first day whose forecast cash is below zero: the cash
    today plus what open loans bring back by then (principal + fee, on their due dates) is below the approved
    loans to disburse by then (on their maturing loans' due dates; any earlier one counts from today)."""
    try:
        outlook = fund_outlook.forecast(session, SYSTEM, start=day, days=FORECAST_DAYS + 1, today=day)
    except DomainError:  # a day before the fund was established: nothing to forecast
        return []
    pipeline = Decimal("0")
    for item in outlook["items"]:
        pipeline += item["expected_out"]
        if item["cash"] < 0:
            cash = item["cash"] + pipeline  # the cash expected then, before the approved loans go out
            return [Reminder("fund_cash_short", "fund", 1, "/dashboard", {
                "date": item["date"].isoformat(), "cash": money(cash), "cash_today": money(outlook["opening_cash"]),
                "pipeline": money(pipeline), "shortfall": money(-item["cash"])}, roles=FUND_ROLES)]
    return []


# ------------------------------------------------------------------------------------------------ other events


@allows(Role.admin)
def renewal_unpaid(session: Session, actor: Actor, loan: BridgeLoan, *, disbursed_on: dt.date,
                   business_date: dt.date) -> bool:
    """Hook of the renewal loop (DOMAIN.md): the renewal was disbursed on ``disbursed_on`` and the fund is still not
    repaid one working day later. Tell the bank's officers and the managers (once per loan and business date)."""
    enterprise = session.get(Enterprise, loan.enterprise_id)
    bank = session.get(Bank, loan.bank_id)
    facts = {"reference": loan.reference, "enterprise": enterprise.name if enterprise else "—",
             "bank": bank.latest_name if bank else "—", "disbursed_on": disbursed_on.isoformat(),
             "amount": money(loan.amount - loan.principal_repaid - loan.written_off_amount)}
    event = notifications.raise_event(
        session, actor, "renewal_unpaid", subject_type="bridge_loan", subject_id=loan.id,
        business_date=business_date, params=facts, link=f"/bridge-loans/{loan.id}",
        to=notifications.recipients(session, bank_id=loan.bank_id, roles=BANK_ROLES), bank_id=loan.bank_id)
    return event is not None


@allows(Role.admin)
def reports_ready(session: Session, actor: Actor, period: str, statements: int, business_date: dt.date) -> bool:
    """The 07:00 run on the 1st archived the month's report and ``statements`` bank statements: tell the managers."""
    year, month = (int(x) for x in period.split("-"))
    event = notifications.raise_event(
        session, actor, "monthly_report_ready", subject_type="report_period", subject_id=year * 100 + month,
        business_date=business_date, params={"period": period, "statements": statements,
                                             "date": business_date.isoformat()},
        link=f"/reports?period={period}",
        to=notifications.recipients(session, bank_id=None, roles=(Role.fund_manager,)))
    return event is not None


@allows(Role.admin)
def summaries_differ(session: Session, actor: Actor, business_date: dt.date, problems: list[str]) -> bool:
    """The nightly summaries check found differences: tell the admins."""
    event = notifications.raise_event(
        session, actor, "summaries_differ", subject_type="summaries", subject_id=0, business_date=business_date,
        params={"count": len(problems), "first": (problems[0] if problems else "—")[:300],
                "date": business_date.isoformat()},
        link="/audit", to=notifications.recipients(session, bank_id=None, roles=(Role.admin,)))
    return event is not None
