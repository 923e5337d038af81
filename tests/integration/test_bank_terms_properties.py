"""Properties of dated bank terms against a reference model written here (DOMAIN.md "Dated terms").

Hypothesis draws a sequence of dated changes (quota, share, name; any date order, repeats of a date, changes
that set the value already in force) and applies them through ``registry.update_bank``. The reference: a field's
value on D is the value of its latest change dated on or before D (among changes of the same date, the last one
made), else the bank's first terms; a change that sets the value already in force on its date is no change. On
every day around the changes the service's terms equal the reference's, and the Σ of quotas as of D is the
reference's quota — so a change never moves a date before its ``effective_from``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridgefund.services import bank_terms, registry
from bridgefund.services.actor import SYSTEM

D = Decimal
SINCE = dt.date(2019, 6, 20)
DATES = [SINCE + dt.timedelta(days=n) for n in (0, 1, 30, 31, 90, 200, 201)]
FIRST = {"name": "初始银行", "pool_quota": D("1000000.00"), "pool_share": D("0.50")}

changes = st.lists(
    st.tuples(
        st.sampled_from(DATES),
        st.sampled_from(["pool_quota", "pool_share", "name"]),
        st.integers(0, 3),
    ),
    min_size=1, max_size=8,
)


def _value(field: str, n: int) -> Any:
    return {"pool_quota": D(1_000_000 + n * 250_000).quantize(D("0.01")), "pool_share": D("0.50") - D(n) / 10,
            "name": f"银行{n}"}[field] if n else FIRST[field]


def reference(made: list[tuple[dt.date, int, str, Any]], field: str, on: dt.date) -> Any:
    dated = [(d, seq, v) for d, seq, f, v in made if f == field and d <= on]
    return max(dated, key=lambda c: (c[0], c[1]))[2] if dated else FIRST[field]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=changes)
def test_dated_terms_follow_the_reference(db, factory, steps):  # noqa: ANN001
    try:
        with db.begin_nested() as outer:
            _run(db, factory, steps)
            outer.rollback()
    finally:
        db.expunge_all()


def _run(db, factory, steps: list[tuple[dt.date, str, int]]) -> None:  # noqa: ANN001
    n = factory._next()
    bank = registry.create_bank(db, SYSTEM, code=f"T{n}", name=FIRST["name"], pool_quota=FIRST["pool_quota"],
                                pool_share=FIRST["pool_share"], effective_from=SINCE)
    made: list[tuple[dt.date, int, str, Any]] = []
    for seq, (on, field, k) in enumerate(steps):
        value = _value(field, k)
        if reference(made, field, on) != value:
            made.append((on, seq, field, value))
        registry.update_bank(db, SYSTEM, bank.id, {field: value, "effective_from": on})
    days = sorted({d + dt.timedelta(days=delta) for d in DATES for delta in (-1, 0, 1)})
    for on in days:
        terms = bank_terms.terms_on(db, [bank.id], on).get(bank.id)
        if on < SINCE:
            assert terms is None, f"terms before the partnership on {on}"
            continue
        for field in FIRST:
            assert getattr(terms, field) == reference(made, field, on), (on, field, made)
        assert bank_terms.total_quota(db, on) == reference(made, "pool_quota", on)
    rows = bank_terms.history(db, bank.id)
    assert [r.effective_from for r in rows] == sorted({r.effective_from for r in rows})
    newest = bank_terms.terms_on(db, [bank.id], rows[-1].effective_from)[bank.id]
    assert (bank.latest_name, bank.latest_pool_quota, bank.latest_pool_share) == (
        newest.name, newest.pool_quota, newest.pool_share)
