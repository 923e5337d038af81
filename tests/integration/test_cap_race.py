"""The per-enterprise cap across banks is judged at approval (issue 11, item 1): two managers approving two banks'
applications for one enterprise at once cannot both slip under the cap (the enterprise row is locked)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridgefund.models import BridgeLoan
from bridgefund.services import bridge_loans
from bridgefund.services.actor import SYSTEM
from tests.conftest import Factory
from tests.race_support import actor_of, race

D = Decimal
DAY = dt.date(2020, 2, 10)


@pytest.fixture
def world(real_db, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    session = real_db.extensions["bridgefund.db"].sessionmaker()
    f = Factory(real_db, session)
    yield {"app": real_db, "session": session, "factory": f}
    session.close()


def _submit(s, bank_id: int, ent_id: int, amount: str) -> int:  # noqa: ANN001
    loan = bridge_loans.submit(
        s, SYSTEM, enterprise_id=ent_id, bank_id=bank_id, amount=D(amount), term_days=10,
        maturing_loan={"contract_no": f"HT-{bank_id}", "amount": D(amount), "due_date": DAY},
        renewal={"amount": D(amount) * 2, "expected_date": DAY}, today=DAY, submitted_on=DAY)
    s.commit()
    return loan.id


def test_two_banks_approvals_for_one_enterprise_race_only_one_fits_the_cap(world):  # noqa: ANN001
    s, f = world["session"], world["factory"]
    banks = [f.make_bank() for _ in range(3)]
    ent = f.make_enterprise()
    li, wang = f.make_user("fund_manager"), f.make_user("fund_manager")
    first = _submit(s, banks[0].id, ent.id, "2000000.00")
    bridge_loans.approve(s, actor_of(li), first)
    s.commit()
    a = _submit(s, banks[1].id, ent.id, "4500000.00")  # each fits alone (2 + 4.5 ≤ 10), not both (11)
    b = _submit(s, banks[2].id, ent.id, "4500000.00")
    results = race(world, [(f"/bridge-loans/{a}/approve", {}, li), (f"/bridge-loans/{b}/approve", {}, wang)])
    assert sorted(results) == [200, 409]
    s.expire_all()
    committed = s.scalar(select(func.sum(BridgeLoan.amount)).where(
        BridgeLoan.enterprise_id == ent.id, BridgeLoan.status == "approved"))
    assert D(committed) == D("6500000.00")
