"""A bank's effective-dated terms: name, partner status, pool quota and pool share (DOMAIN.md "Dated terms").

* **Rows.** ``bank_terms`` holds one complete set of terms per bank and ``effective_from``; a row is in force from
  its date until the next row's. The first row's date is the day the bank became a partner: before it the bank
  has no terms, takes no loans and appears in no figure or report.
* **Reading** (``figures.terms``, re-exported here). Everything that computes a figure or applies a rule as of a
  date D reads :func:`terms_on` (Python) or :func:`in_force` (a subquery for SQL joins) on D — the pool-loan quota
  and share, the sum of quotas, the suspension checks, the report's bank rows and names. So a closed month's
  figures and reports never change.
* **Changing.** :func:`change` applies a change (name, status, quota, share) from ``effective_from``: the row of
  that date is created (copying the terms then in force) or edited, and each changed field is carried into the
  later rows up to the first later row that sets that field itself (``changed_fields``) — a change is "from D
  until the next change of that field", so a back-dated quota raise does not undo a rename dated later, nor a
  later quota change, and vice versa.
  ``effective_from`` is never inside a closed month (409) nor before the fund's ``established_on`` when that
  setting exists (422). The ``banks.latest_*`` columns mirror the newest row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridgefund.errors import BankSuspended, Conflict, RuleViolation
from bridgefund.figures.terms import (  # the reads, here for the services that change and check terms
    Terms,
    bank_terms_on,
    history,
    in_force,
    quota_change_dates,
    resolve,
    shown_terms,
    terms_on,
    total_quota,
)
from bridgefund.models import Bank, BankStatus, BankTerms
from bridgefund.services import fund
from bridgefund.services.actor import Actor
from bridgefund.services.common import check_period_open, last_closed_day

#: The dated fields, in the order the history lists them.
FIELDS = ("name", "status", "pool_quota", "pool_share")


def check_open(bank: Bank, terms: Terms, consequence: str) -> None:
    """409 when ``terms`` (the bank's terms in force on a new loan's date) say suspended: the one check of
    "bank suspended on D" for new business (bridge and pool loans); ``consequence`` ends the message."""
    if terms.suspended:
        raise BankSuspended(f"bank {bank.code} is suspended since {terms.suspended_on}: {consequence}",
                            {"bank_id": ["bank suspended"]})




def require_partner(session: Session, bank: Bank, on: dt.date, field: str,
                    rows: list[BankTerms] | None = None) -> Terms:
    """The bank's terms on ``on`` (from ``rows`` when the caller has read them); 409 naming ``field`` when the
    bank was not a partner yet on that date."""
    terms = resolve(rows, on) if rows is not None else bank_terms_on(session, bank, on)
    if terms is None:
        since = session.scalar(select(func.min(BankTerms.effective_from)).where(BankTerms.bank_id == bank.id))
        raise Conflict(f"bank {bank.code} became a partner on {since}: it has no terms on {on}",
                       {field: [f"before the bank's partnership ({since})"]})
    return terms




def check_effective_from(session: Session, effective_from: dt.date, field: str = "effective_from") -> None:
    """Never inside a closed month (409); never before the fund's ``established_on`` when that setting exists."""
    check_period_open(effective_from, last_closed_day(session), field)
    established = getattr(fund.current_settings(session), "established_on", None)  # once the setting exists
    if established is not None and effective_from < established:
        raise RuleViolation.on(field, f"{effective_from} is before the fund's established date {established}")


def start(session: Session, actor: Actor, bank: Bank, effective_from: dt.date, *, name: str, pool_quota: Decimal,
          pool_share: Decimal) -> BankTerms:
    """The first terms of a new bank: the day it became a partner."""
    check_effective_from(session, effective_from)
    row = BankTerms(bank_id=bank.id, effective_from=effective_from, name=name, status=BankStatus.active.value,
                    pool_quota=pool_quota, pool_share=pool_share, changed_fields=",".join(FIELDS),
                    changed_by=actor.id)
    session.add(row)
    session.flush()
    _mirror(bank, [row])
    return row


def change(session: Session, actor: Actor | None, bank: Bank, effective_from: dt.date, changes: dict[str, Any],
           reason: str | None = None, *, check_dates: bool = True) -> BankTerms:
    """Apply ``changes`` (a subset of :data:`FIELDS`) from ``effective_from`` (see the module docstring)."""
    if check_dates:
        check_effective_from(session, effective_from)
    rows = history(session, bank.id)
    before = resolve(rows, effective_from)
    if before is None:
        since = rows[0].effective_from
        raise Conflict(f"bank {bank.code} became a partner on {since}: no terms to change on {effective_from}",
                       {"effective_from": [f"before the bank's partnership ({since})"]})
    if "status" in changes:  # the bank's status moves through its state machine (models.bank.BANK_TRANSITIONS)
        target = BankStatus(changes["status"])
        BankStatus(before.status).check(target, "suspend" if target == BankStatus.suspended else "reinstate")
    row = next((r for r in rows if r.effective_from == effective_from), None)
    if row is None:
        row = BankTerms(bank_id=bank.id, effective_from=effective_from, name=before.name, status=before.status,
                        pool_quota=before.pool_quota, pool_share=before.pool_share, changed_fields="")
        session.add(row)
    later = [r for r in rows if r.effective_from > effective_from]
    for key, value in changes.items():
        setattr(row, key, value)
        for r in later:  # carried forward up to the next row that sets this field itself
            if key in r.changed:
                break
            setattr(r, key, value)
    row.changed_fields = ",".join(f for f in FIELDS if f in row.changed or f in changes)
    row.changed_by = actor.id if actor is not None else None
    row.reason = reason
    session.flush()
    _mirror(bank, history(session, bank.id))
    return row


def _mirror(bank: Bank, rows: list[BankTerms]) -> None:
    newest = resolve(rows, rows[-1].effective_from)
    assert newest is not None  # noqa: S101 - resolve on the last row's own date always finds it
    bank.latest_name, bank.latest_status = newest.name, newest.status
    bank.latest_pool_quota, bank.latest_pool_share = newest.pool_quota, newest.pool_share
    bank.latest_suspended_on = newest.suspended_on


__all__ = ["FIELDS", "Terms", "bank_terms_on", "change", "check_effective_from", "check_open", "history", "in_force",
           "quota_change_dates", "require_partner", "resolve", "shown_terms", "start", "terms_on", "total_quota"]
