"""The one pattern for a status: a transition table per status enum, ``check`` before a change, ``move_to`` to make it.

:class:`~bridgefund.models.bridge_loan.BridgeLoanStatus` was the first; pool loans, claims and banks follow it:
each status enum has a table ``{status: statuses it may become}`` and a ``check(target, action)`` that raises
:class:`InvalidTransition` (409) naming the current status unless the move is in the table; each model's
``move_to`` checks, then sets. A service may word its refusal for its context (``detail``/``errors``/extra fields):
the decision is still the table's.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

from bridgefund.errors import InvalidTransition

E = TypeVar("E", bound=enum.StrEnum)


def sources(transitions: Mapping[E, frozenset[E]], target: E) -> frozenset[E]:
    """The statuses ``target`` can be reached from."""
    return frozenset(s for s, targets in transitions.items() if target in targets)


def check(transitions: Mapping[E, frozenset[E]], current: E, target: E, action: str, noun: str, *,
          detail: str | None = None, errors: dict[str, list[str]] | None = None, **extra: Any) -> None:
    """Raise :class:`InvalidTransition` unless ``current → target`` is in ``transitions``.

    By default the problem says ``cannot {action} a {noun} that is {current}``, names what ``action`` needs under
    ``status`` and carries ``current_status``; a caller giving ``detail`` words it itself (``errors`` and extra
    fields exactly as given)."""
    if target in transitions[current]:
        return
    if detail is not None:
        raise InvalidTransition(detail, errors, **extra)
    needs = " or ".join(sorted(s.value for s in sources(transitions, target))) or "nothing"
    raise InvalidTransition(f"cannot {action} a {noun} that is {current.value}",
                            {"status": [f"is {current.value}; {action} needs {needs}"]},
                            current_status=current.value)
