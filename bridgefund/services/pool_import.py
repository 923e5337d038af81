"""Bulk import of pool loans from CSV or XLSX: all rows or none.

A bank officer reports loans in batches. The file is read and its cells parsed by
:mod:`bridgefund.parsing.pool_file` (the columns, the guards, the template); each row then goes through the same
checks as ``POST /pool-loans`` (``services.pool_loans.plan_pool_loan``: quota, suspension and caps are judged row
by row, in file order, as of each row's start date, each row seeing the rows before it); only when every row
passes are the loans, their schedules, audit events and summaries stored, in bulk (``store_pool_loans``). Any
bad row makes the whole import a 422 whose ``errors`` are keyed ``row N.field`` — N is the row number as
the spreadsheet shows it (the header is row 1) — and the caller's transaction is rolled back, so nothing
is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.authority import SIGNED_IN, allows
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.models import Enterprise, Guarantor, Role
from bridgefund.parsing import pool_file
from bridgefund.services.actor import Actor
from bridgefund.services.pool_loan_checks import Batch
from bridgefund.services.pool_loans import PlannedLoan, plan_pool_loan, store_pool_loans


@dataclass
class ImportResult:
    created: int = 0
    references: list[str] = field(default_factory=list)




@allows(Role.bank_officer, Role.fund_manager)
def import_pool_loans(
    session: Session, actor: Actor, today: dt.date, data: bytes, *, filename: str | None = None,
    bank_id: int | None = None, progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create every loan of the file or none (raise 422 with all row errors; the caller rolls back).

    ``progress`` (a background job's) is told the per cent done: rows checked make 0–90, storing the rest."""
    sheet = pool_file.read_sheet(data, filename)
    enterprises = _enterprises(session, sheet.usccs())
    guarantors = {g.name: g.id for g in session.scalars(select(Guarantor))}

    # Every row is checked first, in file order, against figures read once (services.pool_loans.Batch); then
    # all the loans are stored at once (store_pool_loans: Core bulk INSERTs) — or none.
    errors: dict[str, list[str]] = {}
    batch = Batch(session, contract_nos=sheet.contract_nos())
    planned: list[PlannedLoan] = []
    for done, (number, cells) in enumerate(sheet.rows):
        if progress is not None and done % 500 == 0:
            progress(done * 90 // len(sheet.rows))
        values, row_errors = pool_file.parse_row(sheet, cells, enterprises, guarantors)
        for key, message in row_errors.items():
            errors.setdefault(f"row {number}.{key}", []).append(message)
        if row_errors:
            continue
        try:
            planned.append(plan_pool_loan(session, actor, today, bank_id=bank_id, checks=batch, **values))
        except DomainError as exc:
            for key, messages in (exc.errors or {"body": [exc.detail]}).items():
                errors.setdefault(f"row {number}.{key}", []).extend(messages)
    if errors:
        bad = len({k.split(".", 1)[0] for k in errors})
        raise RuleViolation(f"{bad} of {len(sheet.rows)} rows are invalid; nothing was imported", errors)
    if progress is not None:
        progress(90)
    stored = store_pool_loans(session, actor, planned)
    return ImportResult(created=len(stored), references=[reference for _, reference in stored])


def _enterprises(session: Session, usccs: set[str]) -> dict[str, Enterprise]:
    """The registered enterprises of ``usccs`` by credit code, read 500 at a time."""
    enterprises: dict[str, Enterprise] = {}
    listed = sorted(usccs)
    for start in range(0, len(listed), 500):
        for ent in session.scalars(select(Enterprise).where(Enterprise.uscc.in_(listed[start:start + 500]))):
            enterprises[ent.uscc] = ent
    return enterprises


@allows(SIGNED_IN)
def template_xlsx() -> bytes:
    """The import template (:func:`bridgefund.parsing.pool_file.template_xlsx`), for whoever is signed in."""
    return pool_file.template_xlsx()
