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
from decimal import Decimal
from typing import Any

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




#: How many rows a preview lists besides every invalid row (a file of 10,000 rows is summarised, not printed).
PREVIEW_ROWS = 50
#: The most invalid rows a preview lists (all of their errors are counted; a file this wrong is fixed at source).
PREVIEW_BAD_ROWS = 1000


def _check_rows(
    session: Session, actor: Actor, today: dt.date, data: bytes, filename: str | None, bank_id: int | None,
    progress: Callable[[int], None] | None,
) -> tuple[pool_file.Sheet, list[tuple[int, dict[str, Any]]], list[PlannedLoan], dict[str, list[str]]]:
    """Every row of the file checked, in file order, against figures read once (``Batch``): the sheet, each row's
    parsed values, the planned loans of the valid rows, and the errors keyed ``row N.field``. Writes nothing."""
    sheet = pool_file.read_sheet(data, filename)
    enterprises = _enterprises(session, sheet.usccs())
    guarantors = {g.name: g.id for g in session.scalars(select(Guarantor))}
    errors: dict[str, list[str]] = {}
    batch = Batch(session, contract_nos=sheet.contract_nos())
    parsed: list[tuple[int, dict[str, Any]]] = []
    planned: list[PlannedLoan] = []
    for done, (number, cells) in enumerate(sheet.rows):
        if progress is not None and done % 500 == 0:
            progress(done * 90 // len(sheet.rows))
        values, row_errors = pool_file.parse_row(sheet, cells, enterprises, guarantors)
        parsed.append((number, values))
        for key, message in row_errors.items():
            errors.setdefault(f"row {number}.{key}", []).append(message)
        if row_errors:
            continue
        try:
            planned.append(plan_pool_loan(session, actor, today, bank_id=bank_id, checks=batch, **values))
        except DomainError as exc:
            for key, messages in (exc.errors or {"body": [exc.detail]}).items():
                errors.setdefault(f"row {number}.{key}", []).extend(messages)
    return sheet, parsed, planned, errors


@allows(Role.bank_officer, Role.fund_manager)
def import_pool_loans(
    session: Session, actor: Actor, today: dt.date, data: bytes, *, filename: str | None = None,
    bank_id: int | None = None, progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create every loan of the file or none (raise 422 with all row errors; the caller rolls back).

    ``progress`` (a background job's) is told the per cent done: rows checked make 0–90, storing the rest."""
    # Every row is checked first, in file order, against figures read once (services.pool_loans.Batch); then
    # all the loans are stored at once (store_pool_loans: Core bulk INSERTs) — or none.
    sheet, _parsed, planned, errors = _check_rows(session, actor, today, data, filename, bank_id, progress)
    if errors:
        bad = len({k.split(".", 1)[0] for k in errors})
        raise RuleViolation(f"{bad} of {len(sheet.rows)} rows are invalid; nothing was imported", errors)
    if progress is not None:
        progress(90)
    stored = store_pool_loans(session, actor, planned)
    return ImportResult(created=len(stored), references=[reference for _, reference in stored])


@allows(Role.bank_officer, Role.fund_manager)
def preview_pool_import(
    session: Session, actor: Actor, today: dt.date, data: bytes, *, filename: str | None = None,
    bank_id: int | None = None, progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """What :func:`import_pool_loans` would do with the file — the same reading and the same checks — without
    storing anything: the row count, the valid rows' total principal, every error keyed ``row N.field`` and a
    table of rows (every invalid one, up to :data:`PREVIEW_BAD_ROWS`, and the first :data:`PREVIEW_ROWS`), each
    with its errors. A file that cannot be read at all is a 422 naming ``file``, as for the import."""
    sheet, parsed, planned, errors = _check_rows(session, actor, today, data, filename, bank_id, progress)
    by_row: dict[int, list[dict[str, str]]] = {}
    for key, messages in errors.items():
        row, _, fld = key.partition(".")
        by_row.setdefault(int(row.split(" ", 1)[1]), []).extend({"field": fld, "message": m} for m in messages)
    rows: list[dict[str, Any]] = []
    bad_listed = 0
    for i, (number, values) in enumerate(parsed):
        row_errors = by_row.get(number, [])
        if row_errors:
            bad_listed += 1
        if not (i < PREVIEW_ROWS or (row_errors and bad_listed <= PREVIEW_BAD_ROWS)):
            continue
        enterprise = values.get("enterprise")
        rows.append({
            "row": number, "errors": row_errors,
            "contract_no": values.get("contract_no"),
            "enterprise": enterprise.name if enterprise is not None else None,
            "principal": str(values["principal"]) if values.get("principal") is not None else None,
            "annual_rate": str(values["annual_rate"]) if values.get("annual_rate") is not None else None,
            "start_date": values["start_date"].isoformat() if values.get("start_date") else None,
            "term_months": values.get("term_months"), "repayment_method": values.get("repayment_method"),
        })
    total = sum((p.values["principal"] for p in planned), Decimal("0.00"))
    return {"preview": True, "rows": len(sheet.rows), "valid": len(planned), "invalid": len(by_row),
            "total_principal": str(total), "errors": errors, "listed": rows}


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
