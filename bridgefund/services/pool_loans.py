"""Pool loans: reporting a loan (with every check of API.md), its schedule, repayments and as-of views.

The money rules are :mod:`bridgefund.finance.schedule` and :mod:`bridgefund.finance.pool`; this module
only loads installment rows into ``InstallmentState`` values, calls them, and writes the answers back.

Rules chosen where the docs are silent:

* **Eligible enterprise**: micro, small or medium and registered in the zone (the same firms the fund
  serves) — 422 on ``enterprise_id`` otherwise.
* **Pool share**: the request's, else the bank's ``pool_share``. A guarantor's ``guarantee_share`` is
  added; pool + guarantor ≤ 1 (the bank bears the rest).
* **Order of repayments**: one loan's repayments are applied in value-date order (a repayment dated
  before the loan's latest one → 422), so the stored installments are always the replay of its
  repayments. Views as of an earlier date replay the repayments dated up to then.
* **After a claim**: once a claim is filed (and not rejected) the loan takes no more repayments — money
  recovered from the borrower is reported as a recovery after the claim is paid.
* **Penalty in views** is charged through ``as_of`` for display but stored only when a repayment charges it.
* **Interest, payoff, settlement** follow :mod:`bridgefund.finance.pool` (its docstring): ``payoff_amount`` of a
  view is what settles the loan on ``as_of`` (less what was recovered after a claim); an installment's
  ``settled_on`` is set and cleared by ``finance.pool.is_settled`` alone, so SQL figures and finance agree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.errors import (
    BankSuspended,
    Conflict,
    Duplicate,
    InvalidTransition,
    NotFound,
    QuotaExceeded,
    RuleViolation,
)
from bridgefund.figures.capture import add_new_pool_loans
from bridgefund.figures.pool import (
    PoolLedgerTotals,
    is_stopped,
)
from bridgefund.finance.money import ZERO, Overpayment, Repayment
from bridgefund.finance.pool import (
    CLASSIFICATION_BANDS,
    Classification,
    InstallmentState,
    allocate_pool_repayment,
    charge_penalties,
    classify,
    days_past_due,
    installment_status,
    is_settled,
    payoff_amount,
    principal_outstanding,
    replay_pool_repayments,
)
from bridgefund.finance.profiles import PoolLoanDates
from bridgefund.finance.schedule import RepaymentMethod, build_schedule
from bridgefund.messages import money, percent
from bridgefund.models import (
    Bank,
    Claim,
    ClaimStatus,
    Enterprise,
    Guarantor,
    PoolInstallment,
    PoolLoan,
    PoolLoanStatus,
    PoolRecovery,
    PoolRepayment,
    PoolSettings,
    Role,
)
from bridgefund.services import audit, bank_terms, bulk, references
from bridgefund.services.actor import Actor
from bridgefund.services.common import Page, bank_scoped, check_value_date, paginate
from bridgefund.services.pool import current_settings as pool_settings
from bridgefund.services.pool import evaluate_bank
from bridgefund.services.pool_loan_checks import LoanChecks, PlannedLoan

MAX_TERM_MONTHS = 360


# --- creating --------------------------------------------------------------------------------------


@allows(Role.bank_officer, Role.fund_manager)
def create_pool_loan(
    session: Session, actor: Actor, today: dt.date, *, enterprise_id: int | None = None,
    enterprise: Enterprise | None = None, bank_id: int | None = None, contract_no: str, principal: Decimal,
    annual_rate: Decimal, start_date: dt.date, term_months: int, repayment_method: str,
    guarantor_id: int | None = None, pool_share: Decimal | None = None,
) -> PoolLoan:
    """Report a bank loan under the pool's cover; its schedule is built and stored with it."""
    planned = plan_pool_loan(
        session, actor, today, enterprise_id=enterprise_id, enterprise=enterprise, bank_id=bank_id,
        contract_no=contract_no, principal=principal, annual_rate=annual_rate, start_date=start_date,
        term_months=term_months, repayment_method=repayment_method, guarantor_id=guarantor_id,
        pool_share=pool_share)
    start_date = planned.values["start_date"]
    loan = PoolLoan(reference=references.next_reference(session, "PL", start_date.year), **planned.values)
    session.add(loan)
    session.flush()
    session.execute(PoolInstallment.__table__.insert(), _installment_rows(loan.id, planned))
    audit.record(session, actor, "create", "pool_loan", loan.id, after=loan.snapshot())
    return loan


def plan_pool_loan(
    session: Session, actor: Actor, today: dt.date, *, enterprise_id: int | None = None,
    enterprise: Enterprise | None = None, bank_id: int | None = None, contract_no: str, principal: Decimal,
    annual_rate: Decimal, start_date: dt.date, term_months: int, repayment_method: str,
    guarantor_id: int | None = None, pool_share: Decimal | None = None, checks: LoanChecks | None = None,
) -> PlannedLoan:
    """Every check of reporting a pool loan, in order, and its schedule; nothing is written but the locks.

    ``checks`` answers the checks' reads: per request by default; a :class:`~pool_loan_checks.Batch` makes the loan
    join the batch's figures (the next loan is judged as if this one were stored), and :func:`store_pool_loans`
    stores the batch's loans.
    """
    checks = checks or LoanChecks(session)
    bank = _reporting_bank(checks, actor.acting_bank(bank_id))
    enterprise = _eligible_enterprise(session, enterprise, enterprise_id)
    checks.check_start_date(start_date, today)
    s = checks.settings()
    _check_terms(s, principal, annual_rate, term_months, repayment_method)
    contract_no = contract_no.strip()
    if not contract_no:
        raise RuleViolation.on("contract_no", "must not be blank")
    guarantor_share = _guarantor_share(session, guarantor_id)
    terms = bank_terms.require_partner(session, bank, start_date, "start_date", checks.terms_history(bank))
    share = terms.pool_share if pool_share is None else pool_share
    if share > 1 or share + guarantor_share > 1:
        raise RuleViolation.on("pool_share", f"pool share {percent(share)} + guarantor share "
                                             f"{percent(guarantor_share)} exceeds 100%")
    checks.check_new_contract(bank.id, contract_no)
    checks.lock_pool()
    _check_pool_open(checks.ledger(start_date), s, start_date)
    check_bank_capacity(checks, s, bank, terms, start_date, principal)

    schedule = build_schedule(principal, annual_rate, start_date, term_months, repayment_method)
    unsettled = [i.due_date for i in schedule if not is_settled(InstallmentState.from_installment(i))]
    planned = PlannedLoan(values=dict(
        bank_id=bank.id, enterprise_id=enterprise.id, contract_no=contract_no, principal=principal,
        annual_rate=annual_rate, start_date=start_date, term_months=term_months, repayment_method=repayment_method,
        guarantor_id=guarantor_id, pool_share=share, guarantor_share=guarantor_share,
        penalty_rate_markup=s.penalty_rate_markup, compound_overdue_interest=s.compound_overdue_interest,
        maturity_date=schedule[-1].due_date, oldest_unpaid_due=min(unsettled, default=None),
        status=PoolLoanStatus.active.value, created_by=actor.id,
    ), schedule=schedule)
    checks.add(planned)
    return planned


def _reporting_bank(checks: LoanChecks, bank_id: int) -> Bank:
    """The reporting bank, locked (422 on ``bank_id`` when it does not exist)."""
    bank = checks.locked_bank(bank_id)
    if bank is None:
        raise RuleViolation.on("bank_id", f"bank {bank_id} does not exist")
    return bank


def _eligible_enterprise(session: Session, enterprise: Enterprise | None, enterprise_id: int | None) -> Enterprise:
    """The borrower (given, or by id): micro, small or medium and registered in the zone, else 422."""
    if enterprise is None:
        enterprise = session.get(Enterprise, enterprise_id) if enterprise_id is not None else None
        if enterprise is None:
            raise RuleViolation.on("enterprise_id", f"enterprise {enterprise_id} does not exist")
    if enterprise.size == "large" or not enterprise.in_zone:
        why = "is a large enterprise" if enterprise.size == "large" else "is not registered in the zone"
        raise RuleViolation.on("enterprise_id", f"{enterprise.name} {why}: not eligible for the pool")
    return enterprise


def _guarantor_share(session: Session, guarantor_id: int | None) -> Decimal:
    """The guarantee institution's share of the loss (zero without one; 422 when it does not exist)."""
    if guarantor_id is None:
        return Decimal("0")
    guarantor = session.get(Guarantor, guarantor_id)
    if guarantor is None:
        raise RuleViolation.on("guarantor_id", f"guarantor {guarantor_id} does not exist")
    return guarantor.guarantee_share


def _check_pool_open(totals: PoolLedgerTotals, s: PoolSettings, on: dt.date) -> None:
    """409 when the pool takes no new loans dated ``on``: nothing contributed yet, or stopped by its losses."""
    if totals.contributions <= 0:
        raise Conflict(f"the pool had received no contributions by {on}", {"start_date": ["pool not open"]})
    if is_stopped(totals, s.pool_loss_threshold):
        # No figures: the claims paid are other banks' business too, and an officer may be asking.
        raise Conflict(
            f"the pool is stopped on {on}: the claims it has paid exceed "
            f"{percent(s.pool_loss_threshold)} of its contributions", {"start_date": ["pool stopped"]})


def check_bank_capacity(
    checks: LoanChecks, s: PoolSettings, bank: Bank, terms: bank_terms.Terms, on: dt.date, principal: Decimal,
) -> None:
    """The bank's side of a new loan dated ``on`` under its ``terms`` in force that day: not suspended (409), and
    ``principal`` fits its quota headroom from that day on (409). Every read of the bank's standing for a new loan
    is here."""
    _check_bank_open(checks, s, bank, terms, on)
    headroom = terms.pool_quota - checks.max_outstanding_from(bank.id, on)
    if principal > headroom:
        raise QuotaExceeded(
            f"bank {bank.code}'s quota {money(terms.pool_quota)} leaves {money(max(headroom, ZERO))} from "
            f"{on}; {money(principal)} does not fit",
            {"principal": [f"exceeds the quota headroom of {money(max(headroom, ZERO))}"]})


def _installment_rows(loan_id: int, planned: PlannedLoan) -> list[dict[str, Any]]:
    start_date = planned.values["start_date"]
    return [
        {"loan_id": loan_id, "seq": i.seq, "due_date": i.due_date, "principal": i.principal,
         "interest": i.interest, "principal_paid": ZERO, "interest_paid": ZERO, "penalty_charged": ZERO,
         "penalty_paid": ZERO,
         "settled_on": start_date if is_settled(InstallmentState.from_installment(i)) else None}
        for i in planned.schedule
    ]


def _insert_returning_ids(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT ``rows`` into ``table`` (an id primary key and a unique ``reference``) at once; their ids, in order.

    PostgreSQL: the ids are drawn from the table's sequence first (one query) and the rows go in with them
    (:func:`bulk.insert_rows`). SQLite: ``INSERT … RETURNING`` (insertmanyvalues), matched by reference
    (``sort_by_parameter_order`` would insert one row per statement on SQLite).
    """
    if conn.dialect.name == "postgresql":
        sequence = conn.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        ids = sorted(conn.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
        bulk.insert_rows(conn, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        return ids
    by_reference = dict(iter(conn.execute(table.insert().returning(table.c.reference, table.c.id), rows)))
    return [by_reference[row["reference"]] for row in rows]


def store_pool_loans(session: Session, actor: Actor, planned: Sequence[PlannedLoan]) -> list[tuple[int, str]]:
    """Store checked loans in bulk, in order: (id, reference) of each.

    The same rows as :func:`create_pool_loan` one by one — loan, installments, one audit event each, the
    summaries — written with one Core ``INSERT`` executemany per table (:func:`_insert_returning_ids` for the
    loans, whose ids the installments and events need) instead of a unit-of-work flush per loan.
    """
    if not planned:
        return []
    session.flush()  # what the ORM holds goes first
    conn = session.connection()
    rows, numbers = [], []
    years = Counter(p.values["start_date"].year for p in planned)
    taken = {year: references.reserve(session, "PL", year, n) for year, n in sorted(years.items())}
    for p in planned:
        year = p.values["start_date"].year
        reference = references.format_reference("PL", year, taken[year])
        taken[year] += 1
        numbers.append(reference)
        # the columns a new loan takes from the model's defaults, so the bulk rows equal what create_pool_loan stores
        rows.append({"reference": reference, "written_off_on": None, "written_off_principal": ZERO,
                     "write_off_reason": None, **p.values})
    ids = _insert_returning_ids(conn, PoolLoan.__table__, rows)
    installments = [_installment_rows(loan_id, p) for loan_id, p in zip(ids, planned, strict=True)]
    bulk.insert_rows(conn, PoolInstallment.__table__, [row for loan in installments for row in loan])
    audit.record_many(session, actor, "create", "pool_loan", [
        (loan_id, None, PoolLoan.snapshot(SimpleNamespace(**row))) for loan_id, row in zip(ids, rows, strict=True)])
    add_new_pool_loans(session, [
        PoolLoanDates(bank_id=p.values["bank_id"], principal=p.values["principal"], start_date=p.values["start_date"],
                      installments=tuple((i["due_date"], i["settled_on"]) for i in loan))
        for p, loan in zip(planned, installments, strict=True)])
    return list(zip(ids, numbers, strict=True))


def _check_terms(s: PoolSettings, principal: Decimal, annual_rate: Decimal, term_months: int, method: str) -> None:
    if principal <= 0:
        raise RuleViolation.on("principal", "must be greater than 0")
    if principal > s.max_loan_amount:
        raise RuleViolation.on("principal", f"exceeds the pool's maximum loan of {money(s.max_loan_amount)}")
    if annual_rate > s.max_annual_rate:
        raise RuleViolation.on("annual_rate", f"exceeds the pool's rate cap of {percent(s.max_annual_rate)}")
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise RuleViolation.on("term_months", f"must be 1 to {MAX_TERM_MONTHS}")
    if method not in RepaymentMethod.__members__.values():
        raise RuleViolation.on("repayment_method", "must be one of " + ", ".join(m.value for m in RepaymentMethod))


def _check_bank_open(checks: LoanChecks, s: PoolSettings, bank: Bank, terms: bank_terms.Terms, on: dt.date) -> None:
    """409 when the bank is suspended on ``on``: by the terms in force that day, or by its NPL ratio that day."""
    bank_terms.check_open(bank, terms, "no new loans dated from then")
    if bank.npl_override:
        return  # reinstated by an admin: the override holds (services.pool docstring)
    breached, npl_ratio = checks.npl(bank.id, on, s)
    if breached:
        raise BankSuspended(
            f"bank {bank.code}'s NPL ratio on {on} is {percent(npl_ratio)}, above {percent(s.bank_npl_threshold)}",
            {"bank_id": ["bank suspended by its NPL ratio"]})


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class LoanView:
    """A loan evaluated on a date: installments (penalty charged through it) and the derived figures."""

    loan: PoolLoan
    as_of: dt.date
    states: list[InstallmentState]
    principal_outstanding: Decimal
    days_past_due: int
    classification: Classification
    recovered: Decimal
    #: The repayments dated by ``as_of`` (None on a list item, which does not show them: see :class:`Rows`).
    repayments: list[PoolRepayment] | None
    #: What settles the loan on ``as_of`` (finance.pool.payoff_amount, less recoveries; zero once written off).
    payoff_amount: Decimal = ZERO
    #: Principal the bank wrote off by ``as_of`` (no longer in ``principal_outstanding``).
    written_off_principal: Decimal = ZERO

    def __getattr__(self, name: str) -> Any:  # the loan's own columns read through
        return getattr(self.loan, name)

    @property
    def schedule(self) -> list[dict[str, Any]]:
        return [{"seq": st.seq, "due_date": st.due_date, "principal": st.principal, "interest": st.interest,
                 "principal_paid": st.principal_paid, "interest_paid": st.interest_paid,
                 "penalty_charged": st.penalty_charged, "penalty_paid": st.penalty_paid,
                 "status": installment_status(st, self.as_of).value} for st in self.states]

    @property
    def amount_due(self) -> Decimal:
        if self.written_off_principal:  # written off by as_of: it takes no repayments, nothing is due to the pool
            return ZERO
        return sum((st.unpaid for st in self.states if st.due_date <= self.as_of), ZERO)

    @property
    def penalty_accrued(self) -> Decimal:
        return sum((st.penalty_unpaid for st in self.states), ZERO)

    @property
    def claims(self) -> list[Claim]:
        return [c for c in self.loan.claims if c.filed_on <= self.as_of]


def states_of(rows: Iterable[PoolInstallment], start_date: dt.date) -> list[InstallmentState]:
    """The installment rows as finance sees them; the first installment's interest period starts on the loan's
    start date."""
    return [InstallmentState(row.seq, row.due_date, row.principal, row.interest, row.principal_paid,
                             row.interest_paid, row.penalty_charged, row.penalty_paid, row.penalty_accrued_to,
                             row.accrual_basis, start_date if row.seq == 1 else None) for row in rows]


@dataclass(frozen=True)
class Rows:
    """A loan's installments, recoveries and (when read) repayments as plain rows read apart from the loan — a list
    page reads them for its 50 loans at once (:func:`list_pool_loans`) instead of as ORM objects through the
    relationships. ``repayments`` is None when not read: the list reads them only for a loan ``as_of`` needs to
    replay (a date before its latest repayment), and the list item does not show them."""

    installments: list[Any]
    recoveries: list[Any]
    repayments: list[Any] | None


def view(loan: PoolLoan, as_of: dt.date, rows: Rows | None = None) -> LoanView:
    """Evaluate a loan on ``as_of`` — from its relationships (installments, repayments, recoveries and claims must
    be loaded), or from ``rows`` read apart (the same columns, the same order)."""
    if rows is None:
        rows = Rows(installments=loan.installments, recoveries=loan.recoveries, repayments=loan.repayments)
    replay = loan.last_repayment_on is not None and as_of < loan.last_repayment_on
    if replay and rows.repayments is None:
        raise ValueError(f"pool loan {loan.id} on {as_of} replays its repayments: they must be read")
    repayments = None if rows.repayments is None else [r for r in rows.repayments if r.value_date <= as_of]
    if not replay:
        states = states_of(rows.installments, loan.start_date)
    else:
        schedule = build_schedule(loan.principal, loan.annual_rate, loan.start_date, loan.term_months,
                                  loan.repayment_method)
        states, _ = replay_pool_repayments(
            schedule, [Repayment(r.value_date, r.amount) for r in repayments], annual_rate=loan.annual_rate,
            penalty_markup=loan.penalty_rate_markup, method=loan.repayment_method,
            compound=loan.compound_overdue_interest)
    written_off = loan.written_off_principal if written_off_by(loan, as_of) else ZERO
    payoff = ZERO
    if as_of >= loan.start_date:
        # a written-off loan stops accruing: penalty interest runs to its write-off date, never beyond
        states = charge_penalties(states, loan.written_off_on if written_off else as_of,
                                  annual_rate=loan.annual_rate, penalty_markup=loan.penalty_rate_markup,
                                  compound=loan.compound_overdue_interest)
        if not written_off:
            payoff = payoff_amount(states, as_of, annual_rate=loan.annual_rate)
    recovered = sum((r.amount for r in rows.recoveries if r.value_date <= as_of), ZERO)
    dpd = days_past_due(states, as_of)
    return LoanView(loan=loan, as_of=as_of, states=states,
                    principal_outstanding=principal_outstanding(states) - recovered - written_off, days_past_due=dpd,
                    classification=classify(dpd), recovered=recovered, repayments=repayments,
                    payoff_amount=max(payoff - recovered, ZERO), written_off_principal=written_off)


#: :func:`view` under a name that :func:`list_pool_loans`'s ``view`` argument (the list item's shape) does not hide.
_evaluate = view


def written_off_by(loan: PoolLoan, as_of: dt.date) -> bool:
    """The bank had written the loan off on or before ``as_of``."""
    return loan.written_off_on is not None and loan.written_off_on <= as_of


_LOADS = (selectinload(PoolLoan.installments), selectinload(PoolLoan.repayments),
          selectinload(PoolLoan.recoveries), selectinload(PoolLoan.claims))


def visible_loan(session: Session, actor: Actor, loan_id: int, *, for_update: bool = False) -> PoolLoan:
    """The loan, if the actor may see it (another bank's loan is simply not found)."""
    loan = session.get(PoolLoan, loan_id, with_for_update=for_update or None)
    if loan is None or not actor.sees_bank(loan.bank_id):
        raise NotFound(f"pool loan {loan_id} does not exist")
    return loan


@allows(SIGNED_IN)
def get_pool_loan(session: Session, actor: Actor, loan_id: int, as_of: dt.date) -> LoanView:
    visible_loan(session, actor, loan_id)
    loan = session.scalars(select(PoolLoan).where(PoolLoan.id == loan_id).options(*_LOADS)
                           .execution_options(populate_existing=True)).one()
    return view(loan, as_of)


def _classification_filter(grade: str, as_of: dt.date):  # noqa: ANN202 - a SQL condition on PoolLoan
    """Loans of ``grade`` on ``as_of``: the oldest installment unpaid then is due between two dates — the band of
    finance.pool.CLASSIFICATION_BANDS, so SQL and :func:`classify` cannot disagree."""
    low, high = CLASSIFICATION_BANDS[Classification(grade)]
    unpaid = and_(PoolInstallment.loan_id == PoolLoan.id, PoolInstallment.due_date < as_of,
                  or_(PoolInstallment.settled_on.is_(None), PoolInstallment.settled_on > as_of))
    if low == 0:
        return ~exists().where(unpaid)
    oldest = select(func.min(PoolInstallment.due_date)).where(unpaid).correlate(PoolLoan).scalar_subquery()
    cond = oldest <= as_of - dt.timedelta(days=low)
    if high is not None:
        cond = and_(cond, oldest >= as_of - dt.timedelta(days=high))
    return cond


@allows(SIGNED_IN)
def list_pool_loans(
    session: Session, actor: Actor, as_of: dt.date, page: int, page_size: int, *, status: str | None = None,
    bank_id: int | None = None, classification: str | None = None, enterprise_id: int | None = None,
    after_id: int | None = None, count_limit: int | None = None, view: str = "full",
) -> Page[LoanView] | Page[PoolLoan]:
    """Loans newest first, each evaluated on ``as_of``; a constant number of queries per page.

    ``view="brief"``: the loans' own rows only (one query for the page: no installments, repayments, recoveries or
    claims loaded, no schedule, penalty or classification computed per row; ``classification`` still filters, in
    SQL); ``"full"``: each loan evaluated on ``as_of`` (:class:`LoanView`)."""
    query = select(PoolLoan).order_by(PoolLoan.id.desc())
    stmt = bank_scoped(query, PoolLoan.bank_id, actor, bank_id)
    if status:
        stmt = stmt.where(PoolLoan.status == status)
    if enterprise_id is not None:
        stmt = stmt.where(PoolLoan.enterprise_id == enterprise_id)
    if classification:
        stmt = stmt.where(PoolLoan.start_date <= as_of, _classification_filter(classification, as_of))
    result = paginate(session, stmt, page, page_size, key=PoolLoan.id, after_id=after_id, count_limit=count_limit)
    if view == "brief":
        return result
    rows = _list_rows(session, result.items, as_of)
    return replace(result, items=[_evaluate(loan, as_of, rows[loan.id]) for loan in result.items])


def _list_rows(session: Session, loans: list[PoolLoan], as_of: dt.date) -> dict[int, Rows]:
    """What evaluating ``loans`` on ``as_of`` reads besides the loans, as plain rows in two or three statements for
    the page (the installments and recoveries; the repayments of the loans ``as_of`` replays). Building ORM objects
    for the ≈ 500 installments of a page of 50 was half of a full list page's time at 10⁶ loans (issue 16); a list
    item shows no claim and no repayment, so neither is read for it."""
    ids = [loan.id for loan in loans]
    out = {i: Rows(installments=[], recoveries=[], repayments=None) for i in ids}
    if not ids:
        return out
    inst, rec, rep = PoolInstallment.__table__.c, PoolRecovery.__table__.c, PoolRepayment.__table__.c
    for row in session.execute(select(PoolInstallment.__table__).where(inst.loan_id.in_(ids))
                               .order_by(inst.loan_id, inst.seq)):
        out[row.loan_id].installments.append(row)
    for row in session.execute(select(rec.loan_id, rec.amount, rec.value_date).where(rec.loan_id.in_(ids))
                               .order_by(rec.loan_id, rec.value_date, rec.id)):
        out[row.loan_id].recoveries.append(row)
    replays = [loan.id for loan in loans if loan.last_repayment_on is not None and as_of < loan.last_repayment_on]
    if replays:
        for i in replays:
            out[i] = replace(out[i], repayments=[])
        for row in session.execute(select(PoolRepayment.__table__).where(rep.loan_id.in_(replays))
                                   .order_by(rep.loan_id, rep.value_date, rep.id)):
            out[row.loan_id].repayments.append(row)
    return out


@allows(SIGNED_IN)
def claim_eligible_count(session: Session, actor: Actor, as_of: dt.date, *, bank_id: int | None = None) -> int:
    """Active pool loans (an officer: their bank's) with an installment unpaid ``claim_after_days_overdue`` days or
    more on ``as_of`` and no live claim: those the bank may claim on (API.md ``POST /pool-loans/{id}/claims``)."""
    stmt = bank_scoped(select(func.count()).select_from(PoolLoan), PoolLoan.bank_id, actor, bank_id)
    return session.scalar(_where_claim_eligible(session, stmt, as_of)) or 0


@allows(SIGNED_IN)
def claim_eligible_loans(session: Session, actor: Actor, as_of: dt.date, *, limit: int = 10,
                         bank_id: int | None = None) -> list[PoolLoan]:
    """The first ``limit`` loans :func:`claim_eligible_count` counts, oldest first (the officer's home lists them,
    each with its "file a claim")."""
    # The eligible ids first, as a materialised CTE (PostgreSQL would otherwise walk the bank's loans in id order
    # for the first few matches — every active loan when there are none; 214 ms at 10⁶), then their rows in order.
    ids = bank_scoped(select(PoolLoan.id), PoolLoan.bank_id, actor, bank_id)
    eligible = _where_claim_eligible(session, ids, as_of).cte("eligible").prefix_with(
        "MATERIALIZED", dialect="postgresql")
    return list(session.scalars(select(PoolLoan).where(PoolLoan.id.in_(select(eligible.c.id)))
                                .order_by(PoolLoan.id).limit(limit)))


def _where_claim_eligible(session: Session, stmt: Any, as_of: dt.date) -> Any:
    """Active loans started by ``as_of`` with an installment due on or before the cutoff and unpaid on ``as_of``
    (unsettled, or settled after it), and no live claim.

    The installment part is read from the loans' kept dates, equal to the ``EXISTS`` over every active loan's
    installments it replaces (a test compares them on every day of a year), so it is two partial-index ranges
    (``BitmapOr``) instead of a probe of each active loan's installments:

    * unsettled today: the loan's unsettled installments are due on or after its ``oldest_unpaid_due``, so "one of
      them is due by the cutoff" is ``oldest_unpaid_due <= cutoff``;
    * settled after ``as_of``: an installment is settled on a repayment's value date (or, for a zero one, on the
      loan's start date, after ``as_of`` only for a loan not started then, which is excluded anyway), so its loan's
      ``last_repayment_on`` is after ``as_of`` — none for today, nothing being value-dated in the future — and
      only those loans' installments are looked at."""
    days = pool_settings(session).claim_after_days_overdue
    cutoff = as_of - dt.timedelta(days=days)
    settled_later = and_(PoolLoan.last_repayment_on > as_of, exists().where(
        PoolInstallment.loan_id == PoolLoan.id, PoolInstallment.due_date <= cutoff, PoolInstallment.settled_on > as_of))
    overdue = or_(PoolLoan.oldest_unpaid_due <= cutoff, settled_later)
    live_claim = exists().where(Claim.loan_id == PoolLoan.id, Claim.filed_on <= as_of,
                                or_(Claim.rejected_on.is_(None), Claim.rejected_on > as_of))
    return stmt.where(PoolLoan.status == PoolLoanStatus.active.value, PoolLoan.start_date <= as_of, overdue,
                      ~live_claim)


# --- repayments ------------------------------------------------------------------------------------


@allows(Role.bank_officer, Role.fund_manager)
def record_repayment(
    session: Session, actor: Actor, today: dt.date, loan_id: int, *, amount: Decimal, value_date: dt.date,
    external_ref: str,
) -> tuple[PoolRepayment, LoanView]:
    """Apply a repayment: oldest installment first, penalty → interest → principal; the rest prepays."""
    loan = visible_loan(session, actor, loan_id, for_update=True)
    external_ref = external_ref.strip()
    if not external_ref:
        raise RuleViolation.on("external_ref", "must not be blank")
    _check_external_ref(session, loan.bank_id, external_ref)
    check_value_date(session, value_date, today)
    if value_date < loan.start_date:
        raise RuleViolation.on("value_date", f"before the loan's start date {loan.start_date}")
    if loan.last_repayment_on is not None and value_date < loan.last_repayment_on:
        raise RuleViolation.on("value_date", f"repayments are applied in date order; the latest is dated "
                                             f"{loan.last_repayment_on}")
    loan.state.check(PoolLoanStatus.repaid, "repay",
                     detail=f"pool loan {loan.reference} is {loan.status}: it takes no repayments")
    open_claim = session.scalar(select(Claim.reference).where(
        Claim.loan_id == loan.id, Claim.status.in_([ClaimStatus.filed.value, ClaimStatus.approved.value])))
    if open_claim is not None:
        raise InvalidTransition(f"claim {open_claim} is open on {loan.reference}: reject it before repayments")
    rows = list(session.scalars(select(PoolInstallment).where(PoolInstallment.loan_id == loan.id)
                                .order_by(PoolInstallment.seq)))
    try:
        result = allocate_pool_repayment(
            states_of(rows, loan.start_date), amount, value_date, annual_rate=loan.annual_rate,
            penalty_markup=loan.penalty_rate_markup, method=loan.repayment_method,
            compound=loan.compound_overdue_interest)
    except Overpayment as exc:
        raise RuleViolation.on("amount",
                               f"exceeds the most that can be paid on {value_date}: {money(exc.due)}") from None
    for row, state in zip(rows, result.installments, strict=True):
        _write_state(row, state, value_date)
    loan.oldest_unpaid_due = oldest_unpaid_due(rows)
    repayment = PoolRepayment(
        loan_id=loan.id, bank_id=loan.bank_id, amount=amount, value_date=value_date, external_ref=external_ref,
        penalty=result.penalty, interest=result.interest, principal=result.principal,
        prepaid_principal=result.prepaid_principal, created_by=actor.id,
        allocation=[{"seq": a.seq, "penalty": str(a.penalty), "interest": str(a.interest),
                     "principal": str(a.principal)} for a in result.allocations],
    )
    session.add(repayment)
    loan.principal_repaid += result.principal
    loan.interest_repaid += result.interest
    loan.penalty_repaid += result.penalty
    loan.last_repayment_on = value_date
    if all(r.settled_on is not None and r.penalty_paid == r.penalty_charged for r in rows):
        loan.move_to(PoolLoanStatus.repaid, "repay")
        loan.repaid_on = value_date
    session.flush()
    audit.record(session, actor, "repay", "pool_loan", loan.id, after={
        "repayment_id": repayment.id, "amount": str(amount), "value_date": value_date.isoformat(),
        "external_ref": external_ref, "penalty": str(result.penalty), "interest": str(result.interest),
        "principal": str(result.principal), "prepaid_principal": str(result.prepaid_principal),
        "status": loan.status})
    evaluate_bank(session, actor, session.get(Bank, loan.bank_id, with_for_update=True), value_date)
    return repayment, get_pool_loan(session, actor, loan.id, value_date)


def _check_external_ref(session: Session, bank_id: int, external_ref: str) -> None:
    for model in (PoolRepayment, PoolRecovery):
        found = session.scalar(select(model.id).where(model.bank_id == bank_id, model.external_ref == external_ref))
        if found is not None:
            raise Duplicate(f"external_ref {external_ref} is already booked for this bank",
                            {"external_ref": ["already used by this bank"]}, existing_id=found)


def oldest_unpaid_due(rows: Iterable[PoolInstallment]) -> dt.date | None:
    """What ``PoolLoan.oldest_unpaid_due`` holds for a loan with these installments: the earliest due date of those
    not settled (None when all are)."""
    return min((row.due_date for row in rows if row.settled_on is None), default=None)


def _write_state(row: PoolInstallment, state: InstallmentState, value_date: dt.date) -> None:
    for name in ("principal", "interest", "principal_paid", "interest_paid", "penalty_charged", "penalty_paid",
                 "penalty_accrued_to", "accrual_basis"):
        new = getattr(state, name)
        if getattr(row, name) != new:
            setattr(row, name, new)
    # One rule for settlement (finance.pool.is_settled): set on the day it becomes true, cleared when a
    # prepayment moves principal into a zero installment settled at creation (it is not yet due, so the
    # figures of every earlier date stay as they were).
    if not is_settled(state):
        if row.settled_on is not None:
            row.settled_on = None
    elif row.settled_on is None:
        row.settled_on = value_date
