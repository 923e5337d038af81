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


def _queues(actor: Any, *queues: tuple[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    # An officer's queues are one bank's: their totals come with the page (one scan of the rows, not two). The
    # staff's span every bank: with the count in the page's statement PostgreSQL walked all 10⁶ loans in id order
    # for one queue (257 ms); counted apart, each total is an index range.
    return bridge_loans.list_queues(session(), actor, QUEUE_ROWS, queues, today=today(),
                                    total_with_page=actor.is_officer)


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
        (_, due_soon), (_, overdue) = _queues(actor, ("due_soon", {"due_from": t, "due_to": t + dt.timedelta(days=7)}),
                                              ("overdue", {"overdue": True}))
        context.update(
            bank=bank, quota_used=used, npl_ratio=npl,
            by_status=bridge_loans.count_by_status(session(), actor),
            due_soon=due_soon, overdue=overdue,
            claim_eligible=pool_loans.claim_eligible_count(session(), actor, t),
            claimable=pool_loans.claim_eligible_loans(session(), actor, t, limit=QUEUE_ROWS),
        )
        return page("console/home_officer.html", **context)
    if may(actor, bridge_loans.approve):
        queues = _queues(actor, ("first_approval", {"awaiting": "first_approval"}),
                         ("second_approval", {"awaiting": "second_approval"}), ("to_disburse", {"status": "approved"}),
                         ("to_be_repaid", {"due_from": t}), ("overdue", {"overdue": True}))
        filed = claims.list_claims(session(), actor, 1, QUEUE_ROWS, status="filed")
        return page("console/home_manager.html", queues=queues, claims=filed, **context)
    return page("console/home_staff.html", **context)
