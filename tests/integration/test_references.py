"""Reference numbers (services.references): one rule for BL, PL and CL — per prefix and year, counted in the
transaction, starting again from the database in a new transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bridgefund.services import references
from tests.pool_support import PoolWorld


def test_each_prefix_and_year_is_its_own_series(db: Session) -> None:
    assert references.next_reference(db, "PL", 2020) == "PL-2020-000001"
    assert references.next_reference(db, "PL", 2020) == "PL-2020-000002"
    assert references.next_reference(db, "PL", 2021) == "PL-2021-000001"
    assert references.next_reference(db, "CL", 2020) == "CL-2020-000001"
    assert references.next_number(db, "BL", 2020) == 1
    assert references.next_number(db, "BL", 2020) == 2
    assert references.format_reference("BL", 2020, 2) == "BL-2020-000002"


def test_a_new_transaction_counts_from_the_database(db: Session) -> None:
    assert references.next_reference(db, "CL", 2020) == "CL-2020-000001"
    db.rollback()  # nothing was stored under that number: the next transaction hands it out again
    assert references.next_reference(db, "CL", 2020) == "CL-2020-000001"


def test_numbers_continue_after_the_stored_ones(client, factory, db: Session) -> None:  # noqa: ANN001
    world = PoolWorld(client, factory)
    first = world.loan()
    assert first["reference"].startswith("PL-")
    year = int(first["reference"].split("-")[1])
    stored = int(first["reference"].split("-")[2])
    db.rollback()
    assert references.next_reference(db, "PL", year) == references.format_reference("PL", year, stored + 1)
