"""Migration 0010 on an SQLite database that already holds a pool loan with installments (the stairway test runs on
empty databases): ``pool_loans`` is referenced by other tables' foreign keys, so the migration must change it in
place — a copy-and-rename of the table fails ``FOREIGN KEY constraint failed`` as soon as it has children."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bridgefund.db import make_engine
from bridgefund.migrate import downgrade, upgrade

NOW = "2020-01-01 00:00:00"


def _seed(url: str) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO banks (id, code, name, status, pool_quota, pool_share, created_at) "
                          f"VALUES (1, 'B1', '银行', 'active', 100000000, 50000000, '{NOW}')"))
        conn.execute(text("INSERT INTO enterprises (id, uscc, name, size, in_zone, created_at) "
                          f"VALUES (1, '91350200776049653A', '企业', 'small', 1, '{NOW}')"))
        conn.execute(text(
            "INSERT INTO pool_loans (id, reference, bank_id, enterprise_id, contract_no, principal, annual_rate, "
            "start_date, term_months, repayment_method, pool_share, guarantor_share, penalty_rate_markup, "
            "maturity_date, status, principal_repaid, interest_repaid, penalty_repaid, created_at) VALUES "
            "(1, 'PL-2020-000001', 1, 1, 'HT-1', 100000, 4350000, '2020-01-15', 1, 'bullet', 50000000, 0, "
            f"50000000, '2020-02-15', 'active', 0, 0, 0, '{NOW}')"))
        conn.execute(text(
            "INSERT INTO pool_installments (id, loan_id, seq, due_date, principal, interest, principal_paid, "
            "interest_paid, penalty_charged, penalty_paid) VALUES (1, 1, 1, '2020-02-15', 100000, 375, 0, 0, 0, 0)"))
    eng.dispose()


def test_0010_up_down_up_keeps_pool_loans_and_their_children(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'with-loans.sqlite3'}"
    upgrade(url, "0009_bank_terms")
    _seed(url)
    upgrade(url, "0010_decisions")
    eng = make_engine(url)
    with eng.begin() as conn:
        assert conn.execute(text("SELECT status, written_off_principal FROM pool_loans")).one() == ("active", 0)
        conn.execute(text("UPDATE pool_loans SET status = 'written_off', written_off_on = '2020-06-30', "
                          "written_off_principal = 100000"))
    with eng.begin() as conn, pytest.raises(Exception, match="CHECK constraint failed"):
        conn.execute(text("UPDATE pool_loans SET status = 'written_off', written_off_on = NULL"))
    eng.dispose()
    downgrade(url, "0009_bank_terms")
    upgrade(url, "0010_decisions")
    eng = make_engine(url)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT status FROM pool_loans")).scalar() == "active"  # no paid claim
        assert conn.execute(text("SELECT count(*) FROM pool_installments")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    eng.dispose()
