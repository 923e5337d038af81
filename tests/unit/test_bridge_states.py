"""The bridge-loan state machine: exactly API.md's lifecycle, and refusals that name the current state."""

from __future__ import annotations

import pytest

from bridgefund.errors import InvalidTransition
from bridgefund.models.bridge_loan import SOURCES, TRANSITIONS, BridgeLoanStatus

S = BridgeLoanStatus

LIFECYCLE = {
    ("submitted", "approved"), ("submitted", "rejected"), ("submitted", "withdrawn"),
    ("approved", "disbursed"), ("approved", "cancelled"),
    ("disbursed", "repaid"), ("disbursed", "defaulted"),
    ("defaulted", "repaid"), ("defaulted", "written_off"),
}


def test_the_transitions_are_exactly_the_documented_lifecycle():
    allowed = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert allowed == LIFECYCLE
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_check_allows_or_refuses_naming_the_state(current, target):  # noqa: ANN001
    if (current.value, target.value) in LIFECYCLE:
        current.check(target, "act")
        return
    with pytest.raises(InvalidTransition) as info:
        current.check(target, "act")
    err = info.value
    assert err.status == 409 and current.value in err.detail and err.extra["current_status"] == current.value
    assert "status" in err.errors


def test_terminal_states_go_nowhere():
    for s in (S.rejected, S.withdrawn, S.cancelled, S.repaid, S.written_off):
        assert s.next_states == frozenset()
    assert SOURCES[S.repaid] == {S.disbursed, S.defaulted}
