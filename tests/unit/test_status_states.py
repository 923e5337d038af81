"""Pool loans, claims and banks: the same state-machine pattern as bridge loans (tests/unit/test_bridge_states.py).

Each table is exactly the documented lifecycle, and ``check`` allows or refuses every from→to pair, naming the
current state; ``move_to`` on the model checks before it sets.
"""

from __future__ import annotations

import pytest

from bridgefund.errors import InvalidTransition
from bridgefund.models import BankStatus, Claim, ClaimStatus, PoolLoan, PoolLoanStatus
from bridgefund.models.bank import BANK_TRANSITIONS
from bridgefund.models.pool import CLAIM_TRANSITIONS, POOL_LOAN_TRANSITIONS
from bridgefund.models.states import sources

POOL_LOAN_LIFECYCLE = {("active", "repaid"), ("active", "claimed"), ("active", "written_off"),
                       ("claimed", "written_off")}
CLAIM_LIFECYCLE = {("filed", "approved"), ("filed", "rejected"), ("approved", "paid")}
BANK_LIFECYCLE = {("active", "suspended"), ("suspended", "active")}

MACHINES = [
    (PoolLoanStatus, POOL_LOAN_TRANSITIONS, POOL_LOAN_LIFECYCLE, "pool loan"),
    (ClaimStatus, CLAIM_TRANSITIONS, CLAIM_LIFECYCLE, "claim"),
    (BankStatus, BANK_TRANSITIONS, BANK_LIFECYCLE, "bank"),
]
MACHINES_BY_NOUN = {noun: table for _, table, _, noun in MACHINES}
PAIRS = [(enum_, lifecycle, noun, a, b) for enum_, _, lifecycle, noun in MACHINES for a in enum_ for b in enum_]


@pytest.mark.parametrize("enum_,table,lifecycle,noun", MACHINES, ids=[m[3] for m in MACHINES])
def test_the_transitions_are_exactly_the_documented_lifecycle(enum_, table, lifecycle, noun):  # noqa: ANN001
    assert {(a.value, b.value) for a, targets in table.items() for b in targets} == lifecycle
    assert set(table) == set(enum_)
    assert all(s.next_states == table[s] for s in enum_)


@pytest.mark.parametrize("enum_,lifecycle,noun,current,target", PAIRS,
                         ids=[f"{p[2]}:{p[3].value}->{p[4].value}" for p in PAIRS])
def test_check_allows_or_refuses_naming_the_state(enum_, lifecycle, noun, current, target):  # noqa: ANN001
    if (current.value, target.value) in lifecycle:
        current.check(target, "act")
        return
    with pytest.raises(InvalidTransition) as info:
        current.check(target, "act")
    err = info.value
    assert err.status == 409 and err.detail == f"cannot act a {noun} that is {current.value}"
    assert err.extra["current_status"] == current.value
    needs = " or ".join(sorted(s.value for s in sources(MACHINES_BY_NOUN[noun], target))) or "nothing"
    assert err.errors == {"status": [f"is {current.value}; act needs {needs}"]}


def test_a_service_may_word_the_refusal_but_the_table_decides():
    with pytest.raises(InvalidTransition) as info:
        ClaimStatus.paid.check(ClaimStatus.approved, "approve", detail="claim CL-1 is paid; it cannot become approved")
    assert (info.value.detail, info.value.errors, info.value.extra) == (
        "claim CL-1 is paid; it cannot become approved", {}, {})
    ClaimStatus.filed.check(ClaimStatus.approved, "approve", detail="never raised")  # allowed: no refusal


@pytest.mark.parametrize("model,enum_", [(PoolLoan, PoolLoanStatus), (Claim, ClaimStatus)])
def test_move_to_checks_then_sets(model, enum_):  # noqa: ANN001
    table = MACHINES_BY_NOUN["pool loan" if model is PoolLoan else "claim"]
    for current in enum_:
        for target in enum_:
            row = model(status=current.value)
            if target in table[current]:
                row.move_to(target, "act")
                assert row.status == target.value and row.state is target
            else:
                with pytest.raises(InvalidTransition):
                    row.move_to(target, "act")
                assert row.status == current.value  # a refused move changes nothing


def test_terminal_states_go_nowhere():
    assert PoolLoanStatus.repaid.next_states == PoolLoanStatus.written_off.next_states == frozenset()
    assert ClaimStatus.rejected.next_states == ClaimStatus.paid.next_states == frozenset()
    assert sources(POOL_LOAN_TRANSITIONS, PoolLoanStatus.written_off) == {PoolLoanStatus.active,
                                                                          PoolLoanStatus.claimed}
