"""What the authorization matrix (``test_access_matrix``) sends: path resources of later modules, a valid body
for every operation that takes one, and the state each action's resource must be in to succeed."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bridgefund.api.docs import EXAMPLES
from bridgefund.finance.uscc import demo_uscc
from tests.api_support import Resource


def _bridge_loan(f: Any, bank: Any) -> Resource:
    """A submitted bridge loan of ``bank``."""
    from bridgefund.services import bridge_loans
    from bridgefund.services.actor import SYSTEM

    ent = f.make_enterprise()
    d = dt.date(2020, 2, 8)
    loan = bridge_loans.submit(
        f.session, SYSTEM, enterprise_id=ent.id, bank_id=bank.id, amount=Decimal("1000000.00"), term_days=7,
        maturing_loan={"contract_no": "HT-M", "amount": Decimal("1000000.00"), "due_date": d},
        renewal={"amount": Decimal("2000000.00"), "expected_date": d}, today=d, submitted_on=d,
    )
    f.session.commit()
    return Resource(loan.id, bank.id)


def _pool_loan(f: Any, bank: Any) -> Resource:
    """A pool loan of ``bank`` started 2020-01-15 that never pays (the pool funded, the bank given quota)."""
    from bridgefund.figures.pool import ledger_totals
    from bridgefund.services import bank_terms, pool, pool_loans
    from bridgefund.services.actor import SYSTEM

    today = dt.date(2020, 12, 31)
    if ledger_totals(f.session).contributions == 0:
        pool.contribute(f.session, SYSTEM, today, amount=Decimal("100000000.00"), value_date=dt.date(2019, 6, 28))
    terms = bank_terms.bank_terms_on(f.session, bank, dt.date(2020, 1, 15))
    raised = {"pool_quota": terms.pool_quota + Decimal("10000000.00")}
    bank_terms.change(f.session, None, bank, terms.effective_from, raised, check_dates=False)
    loan = pool_loans.create_pool_loan(
        f.session, SYSTEM, today, enterprise_id=f.make_enterprise().id, bank_id=bank.id,
        contract_no=f"PM-{f._next()}", principal=Decimal("1000000.00"), annual_rate=Decimal("0.0435"),
        start_date=dt.date(2020, 1, 15), term_months=12, repayment_method="equal_principal")
    f.session.commit()
    return Resource(loan.id, bank.id)


def _claim(f: Any, bank: Any) -> Resource:
    """A filed claim on a pool loan of ``bank``."""
    from bridgefund.services import claims
    from bridgefund.services.actor import SYSTEM

    loan = _pool_loan(f, bank)
    claim = claims.file_claim(f.session, SYSTEM, dt.date(2020, 12, 31), loan.value, claimed_on=dt.date(2020, 6, 1))
    f.session.commit()
    return Resource(claim.id, bank.id)


def _report(f: Any, bank: Any) -> Resource:
    """An archived monthly report record (its file was never written: downloads answer 410)."""
    from bridgefund.models import Report

    report = Report(kind="monthly", period="2019-12", lang="zh", version=f._next(), sha256="0" * 64,
                    path="monthly/2019-12/missing.pdf", byte_size=1)
    f.session.add(report)
    f.session.commit()
    return Resource(report.id, None)


def _job(f: Any, bank: Any) -> Resource:
    """A queued import job started by an officer of ``bank`` (its bank's officers see it, other banks' do not)."""
    from bridgefund.models import JobKind
    from bridgefund.services import jobs
    from bridgefund.services.actor import Actor

    officer = f.make_user("bank_officer", bank)
    job = jobs.create(f.session, Actor(id=officer.id, username=officer.username, role="bank_officer",
                                       bank_id=bank.id), JobKind.pool_import, {"today": "2020-12-31"})
    f.session.commit()
    return Resource(job.id, bank.id)


def _calendar_day(f: Any, bank: Any) -> Resource:
    """A weekday of 2031 onwards made a holiday (every call a fresh one): PUT changes it, DELETE removes it."""
    from bridgefund.models import CalendarDay

    day = dt.date(2031, 1, 6) + dt.timedelta(weeks=f._next())  # a Monday
    f.session.merge(CalendarDay(day=day, kind="holiday", name="matrix", source="admin"))
    f.session.commit()
    return Resource(day.isoformat(), None)


def _notification(f: Any, bank: Any) -> Resource:
    """A notification of a third user about ``bank``: each user reads only their own, so every caller gets 404."""
    from bridgefund.models import Notification, NotificationEvent

    owner = f.make_user("fund_manager")
    event = NotificationEvent(kind="bridge_overdue", subject_type="bridge_loan", subject_id=f._next(),
                              business_date=dt.date(2020, 12, 31), bank_id=bank.id, params={})
    f.session.add(event)
    f.session.flush()
    note = Notification(event_id=event.id, user_id=owner.id, kind=event.kind, subject_type=event.subject_type,
                        subject_id=event.subject_id, business_date=event.business_date, title="t", body="b",
                        link="/console")
    f.session.add(note)
    f.session.commit()
    return Resource(note.id, None)


def _document(f: Any, bank: Any) -> Resource:
    """A document (a PDF) attached to a submitted bridge loan of ``bank``."""
    from bridgefund.services import documents
    from bridgefund.services.actor import SYSTEM
    from tests.documents_support import PDF

    loan = _bridge_loan(f, bank)
    doc = documents.upload(f.session, SYSTEM, "bridge_loan", loan.value, kind="other", file=io.BytesIO(PDF),
                           filename="matrix.pdf")
    f.session.commit()
    return Resource(doc.id, bank.id)


PROVIDERS: dict[str, Callable[[Any, Any], Resource]] = {
    "document_id": _document,
    "loan_id": _bridge_loan,
    "pool_loan_id": _pool_loan,
    "claim_id": _claim,
    "report_id": _report,
    "job_id": _job,
    "year": lambda f, bank: Resource(2020, None),
    "date": _calendar_day,
    "notification_id": _notification,
}


# --- valid request bodies ------------------------------------------------------------------------------------------
#
# The matrix sends every operation a body its schema accepts (the test loads each through the view's own schema), so
# a refusal comes from the operation's declared permission (``bridgefund.authority``), never from a 422 of the body.
# Each starts from the operation's documented example (``bridgefund.api.docs.EXAMPLES``) with what must be unique or
# must name the test's own rows filled in. ``bank`` is the bank whose resources the request touches, ``role`` the
# caller's role.

Body = Callable[[Any, Any, str], dict[str, Any]]


def _unique(f: Any, prefix: str) -> str:
    return f"{prefix}{f._next()}x{secrets.token_hex(3)}"


def _bridge_submit(f: Any, bank: Any, role: str) -> dict[str, Any]:
    body = {"enterprise_id": f.make_enterprise().id, "amount": "1000000.00", "term_days": 7,
            "maturing_loan": {"contract_no": _unique(f, "HT-"), "amount": "1000000.00", "due_date": "2020-12-30"},
            "renewal": {"amount": "2000000.00", "expected_date": "2020-12-30"}}
    return body if role == "bank_officer" else {**body, "bank_id": bank.id}


def _pool_submit(f: Any, bank: Any, role: str) -> dict[str, Any]:
    body = {"enterprise_id": f.make_enterprise().id, "contract_no": _unique(f, "PL-"), "principal": "100000.00",
            "annual_rate": "0.0435", "start_date": "2020-03-02", "term_months": 12,
            "repayment_method": "equal_installment"}
    return body if role == "bank_officer" else {**body, "bank_id": bank.id}


BODIES: dict[str, Body] = {
    "POST /api/v1/auth/token": lambda f, bank, role: {"username": f.make_user("auditor").username,
                                                      "password": "Test-pass-123"},
    "POST /api/v1/users": lambda f, bank, role: {"username": _unique(f, "mx"), "password": "Matrix-2020-ok",
                                                 "role": "bank_officer", "bank_id": bank.id},
    "PATCH /api/v1/users/<int:user_id>": lambda f, bank, role: {"active": False},
    "POST /api/v1/banks": lambda f, bank, role: {"code": _unique(f, "MX"), "name": _unique(f, "矩阵银行"),
                                                 "pool_quota": "0.00", "pool_share": "0.50"},
    "PATCH /api/v1/banks/<int:bank_id>": lambda f, bank, role: {"pool_share": "0.40"},
    "POST /api/v1/guarantors": lambda f, bank, role: {"name": _unique(f, "矩阵担保"), "guarantee_share": "0.30"},
    "PATCH /api/v1/guarantors/<int:guarantor_id>": lambda f, bank, role: {"guarantee_share": "0.25"},
    "POST /api/v1/enterprises": lambda f, bank, role: {
        "uscc": demo_uscc(20_000_000 + f._next() * 101 + secrets.randbelow(100)), "name": _unique(f, "矩阵企业"),
        "size": "small", "in_zone": True},
    "PATCH /api/v1/enterprises/<int:enterprise_id>": lambda f, bank, role: {"size": "medium"},
    "POST /api/v1/fund/capital": lambda f, bank, role: {"amount": "1000.00", "value_date": "2020-03-02",
                                                        "direction": "in", "note": "matrix"},
    "PUT /api/v1/fund/settings": lambda f, bank, role: dict(EXAMPLES["PUT /api/v1/fund/settings"]),
    "POST /api/v1/bridge-loans": _bridge_submit,
    "POST /api/v1/bridge-loans/<int:loan_id>/approve": lambda f, bank, role: {"comment": "matrix"},
    "POST /api/v1/bridge-loans/<int:loan_id>/reject": lambda f, bank, role: {"reason": "matrix"},
    "POST /api/v1/bridge-loans/<int:loan_id>/withdraw": lambda f, bank, role: {"reason": "matrix"},
    "POST /api/v1/bridge-loans/<int:loan_id>/cancel": lambda f, bank, role: {"reason": "matrix"},
    "POST /api/v1/bridge-loans/<int:loan_id>/disburse": lambda f, bank, role: {"value_date": "2020-02-09"},
    "POST /api/v1/bridge-loans/<int:loan_id>/repayments": lambda f, bank, role: {
        "amount": "1000.00", "value_date": "2020-02-10", "external_ref": _unique(f, "RP-")},
    "POST /api/v1/bridge-loans/<int:loan_id>/default": lambda f, bank, role: {"value_date": "2020-05-15"},
    "POST /api/v1/bridge-loans/<int:loan_id>/write-off": lambda f, bank, role: {"reason": "matrix",
                                                                                "value_date": "2020-06-30"},
    "POST /api/v1/bridge-loans/<int:loan_id>/recoveries": lambda f, bank, role: {
        "amount": "1000.00", "value_date": "2020-09-30", "note": "matrix"},
    "PUT /api/v1/pool/settings": lambda f, bank, role: dict(EXAMPLES["PUT /api/v1/pool/settings"]),
    "POST /api/v1/pool/contributions": lambda f, bank, role: {"amount": "1000.00", "value_date": "2020-03-02",
                                                              "note": "matrix"},
    "POST /api/v1/pool-loans": _pool_submit,
    "POST /api/v1/pool-loans/<int:pool_loan_id>/repayments": lambda f, bank, role: {
        "amount": "1000.00", "value_date": "2020-03-02", "external_ref": _unique(f, "PR-")},
    "POST /api/v1/pool-loans/<int:pool_loan_id>/claims": lambda f, bank, role: {"claimed_on": "2020-06-01"},
    "POST /api/v1/pool-loans/<int:pool_loan_id>/recoveries": lambda f, bank, role: {
        "amount": "1000.00", "value_date": "2020-09-30", "external_ref": _unique(f, "PV-")},
    "POST /api/v1/pool-loans/<int:pool_loan_id>/write-off": lambda f, bank, role: {"value_date": "2020-09-30",
                                                                                    "reason": "matrix"},
    "POST /api/v1/claims/<int:claim_id>/approve": lambda f, bank, role: {"comment": "matrix"},
    "POST /api/v1/claims/<int:claim_id>/reject": lambda f, bank, role: {"reason": "matrix"},
    "POST /api/v1/claims/<int:claim_id>/pay": lambda f, bank, role: {"value_date": "2020-06-02"},
    "POST /api/v1/reports/monthly": lambda f, bank, role: {"period": "2020-03", "lang": "zh"},
    "PUT /api/v1/calendar/days/<string:date>": lambda f, bank, role: {"kind": "holiday", "name": "matrix"},
    "PUT /api/v1/me/notification-settings": lambda f, bank, role: {
        "email": f"{_unique(f, 'mx')}@example.cn", "lang": "en",
        "channels": {"in_app": True, "email": True, "wecom": False}},
    "POST /api/v1/bridge-loans/<int:loan_id>/renewal/approved": lambda f, bank, role: {
        "decided_on": "2020-02-08", "amount": "2000000.00"},
    "POST /api/v1/bridge-loans/<int:loan_id>/renewal/disbursed": lambda f, bank, role: {
        "value_date": "2020-02-12", "amount": "2000000.00", "contract_no": _unique(f, "RN-")},
}


def multipart_import(f: Any, bank: Any, role: str) -> dict[str, Any]:
    """The pool-loan import's multipart form: one CSV row for an enterprise of the test (and the bank for managers)."""
    ent = f.make_enterprise()
    csv = ("企业信用代码,合同编号,本金,年利率,起始日,期限(月),还款方式,担保机构,补偿比例\n"
           f"{ent.uscc},{_unique(f, 'IM-')},100000.00,0.0435,2020-03-02,12,等额本息,,0.50\n").encode()
    form: dict[str, Any] = {"file": (io.BytesIO(csv), "loans.csv")}
    if role != "bank_officer":
        form["bank_id"] = str(bank.id)
    return form


def multipart_document(f: Any, bank: Any, role: str) -> dict[str, Any]:
    """A document upload: a small PDF of kind ``other``."""
    from tests.documents_support import PDF

    return {"file": (io.BytesIO(PDF), "matrix.pdf"), "kind": "other", "note": "matrix"}


MULTIPART: dict[str, Body] = {
    "POST /api/v1/pool-loans/import": multipart_import,
    **{f"POST /api/v1/{path}/documents": multipart_document for path in (
        "bridge-loans/<int:loan_id>", "pool-loans/<int:pool_loan_id>", "claims/<int:claim_id>",
        "enterprises/<int:enterprise_id>")},
}


# --- the state each action needs ----------------------------------------------------------------------------------
#
# A provider makes a loan submitted, a pool loan active and unpaid, a claim filed. An action that needs a later state
# gets its resource moved there first (through the services, as the fund's staff would), so an allowed role's valid
# request succeeds rather than meeting a 409 of the wrong state.

_FIRST = dt.date(2020, 2, 8)  # the provider's bridge loans are submitted (and here disbursed) on this day
_TODAY = dt.date(2020, 12, 31)


def _fund_cash(f: Any) -> None:
    from bridgefund.services import fund
    from bridgefund.services.actor import SYSTEM

    if fund.cash_balance(f.session, _FIRST) < Decimal("10000000.00"):
        fund.move_capital(f.session, SYSTEM, amount=Decimal("100000000.00"), value_date=dt.date(2020, 1, 2),
                          direction="in", today=_TODAY, note="matrix")


def _manager(f: Any) -> Any:
    """A fund manager (a real user: approvals name who approved), made once per test."""
    from bridgefund.services.actor import Actor

    if getattr(f, "_matrix_manager", None) is None:
        user = f.make_user("fund_manager")
        f._matrix_manager = Actor(id=user.id, username=user.username, role=user.role)
    return f._matrix_manager


def _approved(f: Any, loan_id: int) -> None:
    from bridgefund.services import bridge_loans

    bridge_loans.approve(f.session, _manager(f), loan_id)
    f.session.commit()


def _disbursed(f: Any, loan_id: int) -> None:
    from bridgefund.services import bridge_loans

    _approved(f, loan_id)
    _fund_cash(f)
    bridge_loans.disburse(f.session, _manager(f), loan_id, value_date=_FIRST, today=_TODAY)
    f.session.commit()


def _defaulted(f: Any, loan_id: int) -> None:
    from bridgefund.services import bridge_loans

    _disbursed(f, loan_id)
    bridge_loans.declare_default(f.session, _manager(f), loan_id, value_date=dt.date(2020, 5, 15), today=_TODAY)
    f.session.commit()


def _written_off(f: Any, loan_id: int) -> None:
    from bridgefund.services import bridge_loans

    _defaulted(f, loan_id)
    bridge_loans.write_off(f.session, _manager(f), loan_id, reason="matrix", value_date=dt.date(2020, 6, 30),
                           today=_TODAY)
    f.session.commit()


def _claim_approved(f: Any, claim_id: int) -> None:
    from bridgefund.services import claims

    claims.approve_claim(f.session, _manager(f), claim_id)
    f.session.commit()


def _claim_paid(f: Any, pool_loan_id: int) -> None:
    from bridgefund.services import claims
    from bridgefund.services.actor import SYSTEM

    claim = claims.file_claim(f.session, SYSTEM, _TODAY, pool_loan_id, claimed_on=dt.date(2020, 6, 1))
    f.session.commit()
    _claim_approved(f, claim.id)
    claims.pay_claim(f.session, _manager(f), _TODAY, claim.id, value_date=dt.date(2020, 6, 2))
    f.session.commit()


def _renewal_approved(f: Any, loan_id: int) -> None:
    from bridgefund.services import bridge_loans
    from bridgefund.services.actor import SYSTEM

    _disbursed(f, loan_id)
    bridge_loans.record_renewal_approved(f.session, SYSTEM, loan_id, decided_on=_FIRST, amount=Decimal("2000000.00"),
                                         today=_TODAY)
    f.session.commit()


#: Operation → how to move its path resource (the value of its one id parameter) into the state it acts on.
PREPARE: dict[str, Callable[[Any, Any], None]] = {
    "POST /api/v1/bridge-loans/<int:loan_id>/cancel": _approved,
    "POST /api/v1/bridge-loans/<int:loan_id>/renewal/approved": _approved,
    "POST /api/v1/bridge-loans/<int:loan_id>/renewal/disbursed": _renewal_approved,
    "POST /api/v1/bridge-loans/<int:loan_id>/disburse": _approved,
    "POST /api/v1/bridge-loans/<int:loan_id>/repayments": _disbursed,
    "POST /api/v1/bridge-loans/<int:loan_id>/default": _disbursed,
    "POST /api/v1/bridge-loans/<int:loan_id>/write-off": _defaulted,
    "POST /api/v1/bridge-loans/<int:loan_id>/recoveries": _written_off,
    "POST /api/v1/claims/<int:claim_id>/pay": _claim_approved,
    "POST /api/v1/pool-loans/<int:pool_loan_id>/recoveries": _claim_paid,
}

#: GET query arguments an operation requires.
QUERIES: dict[str, str] = {
    "GET /api/v1/banks/<int:bank_id>/statement.pdf": "period=2020-03",
}

#: The one answer other than a success that an allowed role's valid request gets, and why.
EXPECTED: dict[str, int] = {
    "GET /api/v1/reports/<int:report_id>/pdf": 410,  # the provider's report record has no file
    "POST /api/v1/notifications/<int:notification_id>/read": 404,  # another user's: each reads only their own
}


# --- operations no route performs -----------------------------------------------------------------------------------
#
# A declared operation the API does not expose (the command line calls it) is called here directly, as each role, so
# that its permission is exercised like every routed one's (``test_routes_and_declarations_match`` keeps this list
# exactly the declared operations without a route).


def _sweep_suspensions(f: Any, actor: Any) -> Any:
    from bridgefund.services import pool

    return pool.sweep_suspensions(f.session, actor, _TODAY)


def _send_reminders(f: Any, actor: Any) -> Any:
    from bridgefund.services import reminders

    return reminders.send_reminders(f.session, actor, _TODAY)


def _a_bank_id(f: Any) -> int:
    """A bank of the matrix's books (staff name the bank they act on)."""
    from sqlalchemy import select

    from bridgefund.models import Bank

    return f.session.scalars(select(Bank.id).order_by(Bank.id).limit(1)).one()


def _archive_bank_statement(f: Any, actor: Any) -> Any:
    """The 07:00 run's statement of one bank (an officer's own bank: the permission, not the scoping, refuses)."""
    from bridgefund.reports import service

    bank_id = actor.bank_id if actor.bank_id is not None else _a_bank_id(f)
    return service.archive_bank_statement(f.session, actor, bank_id, period="2020-03", lang="zh", today=_TODAY,
                                          tz=dt.timezone(dt.timedelta(hours=8)))


def _start_monthly_report(f: Any, actor: Any) -> Any:
    from bridgefund.reports import service

    return service.start_monthly_report(f.session, actor, period="2020-03", lang="zh", today=_TODAY)


def _start_close_period(f: Any, actor: Any) -> Any:
    """The queued month close (``Prefer: respond-async``): only the job is recorded here."""
    from bridgefund.services import periods

    return periods.start_close_period(f.session, actor, "2020-03", today=_TODAY)


def _check_close(f: Any, actor: Any) -> Any:
    """The console's confirmation asks whether the close would be accepted (nothing written)."""
    from bridgefund.services import periods

    return periods.check_close(f.session, actor, "2020-03", today=_TODAY)


def _start_pool_import(f: Any, actor: Any) -> Any:
    from bridgefund.services import jobs

    bank_id = actor.bank_id if actor.bank_id is not None else _a_bank_id(f)
    return jobs.start_pool_import(f.session, actor, today=_TODAY, data=b"contract_no\n", filename="matrix.csv",
                                  bank_id=bank_id)


# The staff console's operations (bridgefund/console performs them; the API has no route for them).


def _active_bank(f: Any, actor: Any) -> Any:
    """The officer's own bank; for the other roles the test's first bank, a partner since before the provider's loans
    (a new one could not start in a period the matrix has closed)."""
    from sqlalchemy import select

    from bridgefund.models import Bank

    if actor.bank_id:
        return f.session.get(Bank, actor.bank_id)
    return f.session.scalars(select(Bank).order_by(Bank.id)).first()


def _loan_of(f: Any, actor: Any) -> int:
    """A submitted bridge loan the actor sees (of the officer's own bank)."""
    return _bridge_loan(f, _active_bank(f, actor)).value


def _change_password(f: Any, actor: Any) -> Any:
    from bridgefund.services import auth

    return auth.change_password(f.app.extensions["bridgefund.auth"], f.session, actor,
                                current_password="Test-pass-123", new_password="Changed-pass-456",
                                keep_token_id=None, now=dt.datetime.now(dt.UTC))


def _approval_context(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    return bridge_loans.approval_context(f.session, actor, _loan_of(f, actor), on=_FIRST)


def _preview_repayment(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    loan_id = _loan_of(f, actor)
    _disbursed(f, loan_id)
    return bridge_loans.preview_repayment(f.session, actor, loan_id, amount=Decimal("100.00"),
                                          value_date=_FIRST + dt.timedelta(days=1))


def _history(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    return bridge_loans.history(f.session, actor, _loan_of(f, actor))


def _count_by_status(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    return bridge_loans.count_by_status(f.session, actor)


def _due_on(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    return bridge_loans.due_on(f.session, _FIRST, 7)


def _quote_fee(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    return bridge_loans.quote_fee(f.session, amount=Decimal("1000000.00"), term_days=7, value_date=_FIRST)


def _claim_eligible_count(f: Any, actor: Any) -> Any:
    from bridgefund.services import pool_loans

    return pool_loans.claim_eligible_count(f.session, actor, _TODAY)


def _bank_rows(f: Any, actor: Any) -> Any:
    from bridgefund.services import registry

    return registry.bank_rows(f.session, [_active_bank(f, actor)], _TODAY)


def _trend(f: Any, actor: Any) -> Any:
    from bridgefund.reports import service

    return service.trend(f.session, actor, _TODAY)


def _audit_actors(f: Any, actor: Any) -> Any:
    from bridgefund.services import audit

    return audit.actors(f.session, actor)


def _raise_event(f: Any, actor: Any) -> Any:
    from bridgefund.services import notifications

    return notifications.raise_event(f.session, actor, "summaries_differ", subject_type="summaries", subject_id=0,
                                     business_date=_TODAY, params={"count": 0, "first": "—", "date": "2020-03-20"},
                                     link="/console/audit", to=[])


def _renewal_unpaid(f: Any, actor: Any) -> Any:
    from bridgefund.models import Bank, BridgeLoan
    from bridgefund.services import reminders

    loan = f.session.get(BridgeLoan, _bridge_loan(f, f.session.get(Bank, _a_bank_id(f))).value)
    return reminders.renewal_unpaid(f.session, actor, loan, disbursed_on=_TODAY, business_date=_TODAY)


def _reports_ready(f: Any, actor: Any) -> Any:
    from bridgefund.services import reminders

    return reminders.reports_ready(f.session, actor, "2020-03", 0, _TODAY)


def _summaries_differ(f: Any, actor: Any) -> Any:
    from bridgefund.services import reminders

    return reminders.summaries_differ(f.session, actor, _TODAY, ["matrix"])


def _quote_claim(f: Any, actor: Any) -> Any:
    from bridgefund.services import claims

    loan = _pool_loan(f, _active_bank(f, actor))
    return claims.quote_claim(f.session, actor, _TODAY, loan.value, claimed_on=dt.date(2020, 6, 1))


def _quote_recovery(f: Any, actor: Any) -> Any:
    from bridgefund.services import claims

    loan = _pool_loan(f, _active_bank(f, actor))
    _claim_paid(f, loan.value)
    return claims.quote_recovery(f.session, actor, _TODAY, loan.value, amount=Decimal("100.00"),
                                 value_date=dt.date(2020, 6, 3), external_ref="matrix")


_IMPORT_CSV = b"enterprise_uscc,contract_no,principal,annual_rate,start_date,term_months,repayment_method\n" \
    b"NOSUCHUSCC,MATRIX-1,abc,0.05,2020-06-01,12,bullet\n"


def _preview_pool_import(f: Any, actor: Any) -> Any:
    from bridgefund.services import pool_import

    bank_id = actor.bank_id if actor.bank_id is not None else _a_bank_id(f)
    return pool_import.preview_pool_import(f.session, actor, _TODAY, _IMPORT_CSV, filename="matrix.csv",
                                           bank_id=bank_id)


def _confirm_pool_import(f: Any, actor: Any) -> Any:
    from bridgefund import authority
    from bridgefund.db import utcnow
    from bridgefund.services import jobs

    uploader = actor if authority.may(actor, jobs.start_pool_import) else _manager(f)
    bank_id = uploader.bank_id if uploader.bank_id is not None else _a_bank_id(f)
    preview = jobs.start_pool_import(f.session, uploader, today=_TODAY, data=_IMPORT_CSV, filename="matrix.csv",
                                     bank_id=bank_id, preview=True)
    preview.status, preview.finished_at, preview.result = "succeeded", utcnow(), {"preview": True, "invalid": 0}
    f.session.flush()
    return jobs.confirm_pool_import(f.session, actor, preview.id, today=_TODAY)


def _claim_eligible_loans(f: Any, actor: Any) -> Any:
    from bridgefund.services import pool_loans

    return pool_loans.claim_eligible_loans(f.session, actor, _TODAY)


def _list_queues(f: Any, actor: Any) -> Any:
    from bridgefund.services import bridge_loans

    return bridge_loans.list_queues(f.session, actor, 5, [("overdue", {"overdue": True}), ("approved", {
        "status": "approved"})], today=_TODAY, total_with_page=actor.is_officer)


#: Operation name (``bridgefund.authority``) → how to call it as ``actor``. The ``start_*`` operations are reached
#: through their synchronous routes' ``Prefer: respond-async`` (the route names the synchronous operation); the
#: scheduled work (reminders, the bank statements of the 1st) runs as the system.
UNROUTED: dict[str, Callable[[Any, Any], Any]] = {
    "pool.sweep_suspensions": _sweep_suspensions,
    "reminders.send_reminders": _send_reminders,
    "reports.service.archive_bank_statement": _archive_bank_statement,
    "reports.service.start_monthly_report": _start_monthly_report,
    "jobs.start_pool_import": _start_pool_import,
    "periods.start_close_period": _start_close_period,
    "periods.check_close": _check_close,
    "auth.change_password": _change_password,
    "bridge_loans.approval_context": _approval_context,
    "bridge_loans.preview_repayment": _preview_repayment,
    "bridge_loans.history": _history,
    "bridge_loans.count_by_status": _count_by_status,
    "bridge_loans.list_queues": _list_queues,
    "bridge_loans.due_on": _due_on,
    "bridge_loans.quote_fee": _quote_fee,
    "pool_loans.claim_eligible_count": _claim_eligible_count,
    "pool_loans.claim_eligible_loans": _claim_eligible_loans,
    "claims.quote_claim": _quote_claim,
    "claims.quote_recovery": _quote_recovery,
    "pool_import.preview_pool_import": _preview_pool_import,
    "jobs.confirm_pool_import": _confirm_pool_import,
    "registry.bank_rows": _bank_rows,
    "reports.service.trend": _trend,
    "audit.actors": _audit_actors,  # the console's audit log: names for its actor filter and its events
    "notifications.raise_event": _raise_event,
    "reminders.renewal_unpaid": _renewal_unpaid,
    "reminders.reports_ready": _reports_ready,
    "reminders.summaries_differ": _summaries_differ,
}
