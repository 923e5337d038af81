"""Whether to *show* an action to a user: the one place the console asks "may this user do that?".

The console never writes a role list. Until the services publish one declaration per operation (the "roles" work),
the authority asked here is the declaration the JSON API makes for the same operation (``web.access`` on the API
view named by ``operation``, e.g. ``"bridge_loans.approve"``). It only decides which buttons a page shows: the
service itself still checks the role and the bank on every call, so a hidden button is a courtesy, never the guard.
Point :func:`may` at the services' declarations when they land; nothing else in the console changes.
"""

from __future__ import annotations

from flask import current_app

from bridgefund.services.actor import Actor
from bridgefund.web import ANY, PUBLIC, access_rule


def may(actor: Actor | None, operation: str) -> bool:
    """True when ``actor``'s role may call ``operation`` (an API endpoint name such as ``"bridge_loans.repay"``)."""
    if actor is None:
        return False
    view = current_app.view_functions.get(operation)
    if view is None:
        raise KeyError(f"unknown operation {operation!r}")
    rule = access_rule(view) or ()
    return PUBLIC in rule or ANY in rule or actor.role in rule
