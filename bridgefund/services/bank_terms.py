"""A bank's effective-dated terms: name, partner status, pool quota and pool share (DOMAIN.md "Dated terms").

* **Rows.** ``bank_terms`` holds one complete set of terms per bank and ``effective_from``; a row is in force from
  its date until the next row's. The first row's date is the day the bank became a partner: before it the bank
  has no terms, takes no loans and appears in no figure or report.
* **Reading.** Everything that computes a figure or applies a rule as of a date D reads :func:`terms_on` (Python)
  or :func:`in_force` (a subquery for SQL joins) on D — the pool-loan quota and share, the sum of quotas, the
  suspension checks, the report's bank rows and names. So a closed month's figures and reports never change.
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
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bridgefund.errors import BankSuspended, Conflict, RuleViolation
from bridgefund.finance.money import ZERO
from bridgefund.models import Bank, BankStatus, BankTerms
from bridgefund.services.actor import Actor
from bridgefund.services.common import check_period_open, last_closed_day

#: The dated fields, in the order the history lists them.
FIELDS = ("name", "status", "pool_quota", "pool_share")


@dataclass(frozen=True)
class Terms:
    """A bank's terms in force on a date."""

    bank_id: int
    effective_from: dt.date
    name: str
    status: str
    pool_quota: Decimal
    pool_share: Decimal
    #: The first row's date: the day the bank became a partner.
    partner_since: dt.date
    #: First day of the suspension in force (None while active).
    suspended_on: dt.date | None
    #: The reason recorded with the status change that began the status in force (None: since the partnership).
    status_reason: str | None = None
    #: No later row changes the status: the bank's current ``status_reason`` (which also carries the
    #: reinstatement override) is the one to show.
    newest_status: bool = True

    @property
    def suspended(self) -> bool:
        return self.status == BankStatus.suspended


def check_open(bank: Bank, terms: Terms, consequence: str) -> None:
    """409 when ``terms`` (the bank's terms in force on a new loan's date) say suspended: the one check of
    "bank suspended on D" for new business (bridge and pool loans); ``consequence`` ends the message."""
    if terms.suspended:
        raise BankSuspended(f"bank {bank.code} is suspended since {terms.suspended_on}: {consequence}",
                            {"bank_id": ["bank suspended"]})


def _rows(session: Session, bank_ids: Iterable[int] | None) -> dict[int, list[BankTerms]]:
    stmt = select(BankTerms).order_by(BankTerms.bank_id, BankTerms.effective_from)
    if bank_ids is not None:
        ids = list(bank_ids)
        if not ids:
            return {}
        stmt = stmt.where(BankTerms.bank_id.in_(ids))
    out: dict[int, list[BankTerms]] = {}
    for row in session.scalars(stmt):
        out.setdefault(row.bank_id, []).append(row)
    return out


def resolve(rows: list[BankTerms], on: dt.date) -> Terms | None:
    """The terms in force on ``on`` from one bank's rows (ordered by date); None before the first row."""
    at = None
    for i, row in enumerate(rows):
        if row.effective_from > on:
            break
        at = i
    if at is None:
        return None
    row = rows[at]
    start = at  # the first row of the status in force
    while start > 0 and rows[start - 1].status == row.status:
        start -= 1
    suspended_on = rows[start].effective_from if row.status == BankStatus.suspended else None
    return Terms(bank_id=row.bank_id, effective_from=row.effective_from, name=row.name, status=row.status,
                 pool_quota=row.pool_quota, pool_share=row.pool_share, partner_since=rows[0].effective_from,
                 suspended_on=suspended_on, status_reason=rows[start].reason if start > 0 else None,
                 newest_status=all(r.status == row.status for r in rows[at + 1:]))


def terms_on(session: Session, bank_ids: Iterable[int] | None, on: dt.date) -> dict[int, Terms]:
    """``{bank_id: Terms}`` in force on ``on`` for the banks that were partners then (all banks when None)."""
    out = {}
    for bank_id, rows in _rows(session, bank_ids).items():
        terms = resolve(rows, on)
        if terms is not None:
            out[bank_id] = terms
    return out


def bank_terms_on(session: Session, bank: Bank, on: dt.date) -> Terms | None:
    return terms_on(session, [bank.id], on).get(bank.id)


def shown_terms(session: Session, bank_ids: Iterable[int], on: dt.date) -> dict[int, Terms]:
    """The terms a bank's record shows on ``on``: those in force, else (not a partner yet) its first terms."""
    out = {}
    for bank_id, rows in _rows(session, bank_ids).items():
        out[bank_id] = resolve(rows, on) or resolve(rows, rows[0].effective_from)
    return out


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


def in_force(on: dt.date):  # noqa: ANN201 - a Subquery of (bank_id, effective_from, name, status, pool_quota, pool_share)
    """The terms row in force on ``on`` of each bank that was a partner then, for SQL joins."""
    later = aliased(BankTerms)
    newest = (select(func.max(later.effective_from)).where(later.bank_id == BankTerms.bank_id,
                                                            later.effective_from <= on).scalar_subquery())
    return (select(BankTerms.bank_id, BankTerms.effective_from, BankTerms.name, BankTerms.status,
                   BankTerms.pool_quota, BankTerms.pool_share)
            .where(BankTerms.effective_from == newest).subquery("terms"))


def total_quota(session: Session, on: dt.date) -> Decimal:
    """Σ of the quotas in force on ``on``."""
    return sum((t.pool_quota for t in terms_on(session, None, on).values()), ZERO)


def quota_change_dates(session: Session, since: dt.date | None = None) -> list[dt.date]:
    """The dates (≥ ``since``) on which some bank's terms change: Σ quotas is constant between them."""
    stmt = select(BankTerms.effective_from).distinct()
    if since is not None:
        stmt = stmt.where(BankTerms.effective_from >= since)
    return sorted(session.scalars(stmt))


def history(session: Session, bank_id: int) -> list[BankTerms]:
    return list(session.scalars(select(BankTerms).where(BankTerms.bank_id == bank_id)
                                .order_by(BankTerms.effective_from)))


def check_effective_from(session: Session, effective_from: dt.date, field: str = "effective_from") -> None:
    """Never inside a closed month (409); never before the fund's ``established_on`` when that setting exists."""
    check_period_open(effective_from, last_closed_day(session), field)
    from bridgefund.services import fund

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
