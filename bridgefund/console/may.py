"""Whether to *show* an action to a user: the one place the console asks "may this user do that?".

The console never writes a role list: it asks the authority (:func:`bridgefund.authority.may`) about the service
operation a button leads to, by the function or its name (``"bridge_loans.approve"``, ``"fund.position"``) — the
same declaration that the operation enforces and that the API's ``x-roles`` states. It only decides which buttons a
page shows: the view's own ``web.access`` declaration and the service itself still check the role (and the service
the bank) on every call, so a hidden button is a courtesy, never the guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridgefund import authority
from bridgefund.services.actor import Actor


def may(actor: Actor | None, operation: Callable[..., Any] | str) -> bool:
    """True when ``actor`` may call ``operation``; an operation nobody declared is an error (KeyError), never a
    silent no."""
    return authority.may(actor, operation)
