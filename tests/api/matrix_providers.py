"""Path parameters of later modules for the authorization matrix (``test_access_matrix``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.api.test_access_matrix import Resource


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


PROVIDERS: dict[str, Callable[[Any, Any], Resource]] = {
    "loan_id": _bridge_loan,
}
