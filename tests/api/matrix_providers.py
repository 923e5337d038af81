"""Path parameters of later modules for the authorization matrix (``test_access_matrix``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

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
    from bridgefund.services import pool, pool_loans
    from bridgefund.services.actor import SYSTEM
    from bridgefund.services.pool_figures import ledger_totals

    today = dt.date(2020, 12, 31)
    if ledger_totals(f.session).contributions == 0:
        pool.contribute(f.session, SYSTEM, today, amount=Decimal("100000000.00"), value_date=dt.date(2019, 6, 28))
    bank.pool_quota += Decimal("10000000.00")
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


PROVIDERS: dict[str, Callable[[Any, Any], Resource]] = {
    "loan_id": _bridge_loan,
    "pool_loan_id": _pool_loan,
    "claim_id": _claim,
    "report_id": _report,
}
