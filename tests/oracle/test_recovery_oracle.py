"""Claims and recoveries through the HTTP API against the oracle: claim = unpaid principal × pool share, and
the pool's share of recoveries taken on the cumulative amount (DOMAIN.md, "Recoveries")."""

from __future__ import annotations

import os
from datetime import date, timedelta
from fractions import Fraction as F

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.oracle.money import claim_amount, recovery_shares, text
from tests.pool_support import PoolWorld

EXAMPLES = int(os.environ.get("BRIDGEFUND_ORACLE_EXAMPLES", "30")) // 2 or 1


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(st.integers(min_value=10000, max_value=10**9), st.integers(min_value=1, max_value=100),
       st.lists(st.integers(min_value=1, max_value=999), min_size=1, max_size=6),
       st.sampled_from(["equal_installment", "equal_principal", "interest_only", "bullet"]))
@example(120000000, 50, [1, 1, 1], "equal_principal")
def test_claims_and_recoveries_match_the_oracle(world: PoolWorld, principal, share, recoveries, method):  # noqa: ANN001
    loan = world.loan(principal=text(principal), pool_share=text(share),
                      start_date="2020-01-15", term_months=3, repayment_method=method)
    r = world.post(f"/pool-loans/{loan['id']}/claims", {"claimed_on": "2020-08-01"}, world.officer)
    assert r.status_code == 201, r.get_json()
    claim = r.get_json()
    assert claim["amount"] == text(claim_amount(principal, F(share, 100))), (claim, principal, share)
    assert world.post(f"/claims/{claim['id']}/approve", {"decided_on": "2020-08-02"},
                      world.manager).status_code == 200
    r = world.post(f"/claims/{claim['id']}/pay", {"value_date": "2020-08-03"}, world.manager2)
    assert r.status_code == 200, r.get_json()
    want = recovery_shares(recoveries, F(share, 100))
    got = []
    for n, amount in enumerate(recoveries):
        r = world.post(f"/pool-loans/{loan['id']}/recoveries",
                       {"amount": text(amount), "value_date": (date(2020, 9, 1) + timedelta(days=n)).isoformat(),
                        "external_ref": f"REC-{loan['id']}-{n}"}, world.officer)
        assert r.status_code == 201, r.get_json()
        got.append(r.get_json()["pool_amount"])
    assert got == [text(x) for x in want], (principal, share, recoveries)
