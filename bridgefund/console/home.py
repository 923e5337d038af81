"""The home page of each role: an officer's bank at a glance, a manager's work queue, the admin's and the
auditor's starting points. Every number comes from the services the API answers with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridgefund.console.base import bp, current_actor, page
from bridgefund.console.may import may
from bridgefund.services import bridge_loans, claims, pool_loans, registry
from bridgefund.web import access, session, today

#: How many rows of each queue the home page lists (the queue's link shows them all).
QUEUE_ROWS = 5


def _loans(actor: Any, **filters: Any) -> Any:
    return bridge_loans.list_loans(session(), actor, 1, QUEUE_ROWS, today=today(), **filters)


@bp.get("/")
@access(registry.get_user_self)
def home() -> Any:
    """The signed-in user's home: what needs doing, and the figures of their part of the books."""
    actor = current_actor()
    assert actor is not None
    t = today()
    context: dict[str, Any] = {"as_of": t, "user": registry.get_user_self(session(), actor)}
    if actor.is_officer:
        bank = registry.get_bank(session(), actor, actor.bank_id)
        used, npl = registry.bank_figures(session(), [bank.id], t)[bank.id]
        context.update(
            bank=bank, quota_used=used, npl_ratio=npl,
            by_status=bridge_loans.count_by_status(session(), actor),
            due_soon=_loans(actor, due_from=t, due_to=t + dt.timedelta(days=7)),
            overdue=_loans(actor, overdue=True),
            claim_eligible=pool_loans.claim_eligible_count(session(), actor, t),
            claimable=pool_loans.claim_eligible_loans(session(), actor, t, limit=QUEUE_ROWS),
        )
        return page("console/home_officer.html", **context)
    if may(actor, bridge_loans.approve):
        queues = [
            ("first_approval", _loans(actor, awaiting="first_approval")),
            ("second_approval", _loans(actor, awaiting="second_approval")),
            ("to_disburse", _loans(actor, status="approved")),
            ("to_be_repaid", _loans(actor, due_from=t)),
            ("overdue", _loans(actor, overdue=True)),
        ]
        filed = claims.list_claims(session(), actor, 1, QUEUE_ROWS, status="filed")
        return page("console/home_manager.html", queues=queues, claims=filed, **context)
    return page("console/home_staff.html", **context)
