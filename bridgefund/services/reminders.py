"""Reminders of the 08:30 working-day run (DOMAIN.md, "Reminders"): the hook the scheduler calls.

The reminders themselves — bridge loans due in 3 working days / tomorrow / today, fee tier steps, renewals late,
overdue and near default; pool claims eligible, NPL near the threshold, quota ≥ 90 %; the fund's cash forecast —
and their outbox come with the notifications (a later part of issue 14). What holds already: the run of one business
date is one job with the unique key ``reminders:<date>`` (``bridgefund.jobs``), so running it twice sends nothing
twice; each reminder will add its own unique (subject, kind, business date) key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from bridgefund.authority import allows
from bridgefund.models import Role
from bridgefund.services.actor import Actor


def job_key(business_date: dt.date) -> str:
    """The unique key of one business date's reminder run."""
    return f"reminders:{business_date.isoformat()}"


@allows(Role.admin)
def send_reminders(session: Session, actor: Actor, business_date: dt.date) -> dict[str, Any]:
    """Write the reminders due on ``business_date`` (none yet: the kinds arrive with the notifications)."""
    return {"business_date": business_date.isoformat(), "reminders": 0}
