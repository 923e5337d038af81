"""A bank's terms in force on a date: the read side of ``bank_terms`` (DOMAIN.md "Dated terms").

Everything that computes a figure or applies a rule as of a date D reads :func:`terms_on` (Python) or
:func:`in_force` (a subquery for SQL joins) on D — the pool-loan quota and share, the sum of quotas, the
suspension checks, the report's bank rows and names. So a closed month's figures and reports never change.
Changing terms (``services.bank_terms``) sits above, with the rules of who and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bridgefund.models import Bank, BankStatus, BankTerms


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
    return sum((t.pool_quota for t in terms_on(session, None, on).values()), Decimal("0.00"))


def quota_change_dates(session: Session, since: dt.date | None = None) -> list[dt.date]:
    """The dates (≥ ``since``) on which some bank's terms change: Σ quotas is constant between them."""
    stmt = select(BankTerms.effective_from).distinct()
    if since is not None:
        stmt = stmt.where(BankTerms.effective_from >= since)
    return sorted(session.scalars(stmt))


def history(session: Session, bank_id: int) -> list[BankTerms]:
    return list(session.scalars(select(BankTerms).where(BankTerms.bank_id == bank_id)
                                .order_by(BankTerms.effective_from)))
