"""Migration 0014 on an SQLite database that already holds bridge loans: each loan repaid before it gets its financing
cost saved from the default market rate (0.001 a day, the one in force until then), in exact integer fen, and
the fund settings row gets ``market_bridge_daily_rate`` 0.001."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from bridgefund.db import make_engine
from bridgefund.finance import financing_cost_saved
from bridgefund.migrate import downgrade, upgrade

NOW = "2020-01-01 00:00:00"


def _loan(conn, n: int, status: str, amount_fen: int, disbursed: str | None, repaid: str | None,  # noqa: ANN001
          fee_fen: int, penalty_fen: int) -> None:
    conn.execute(text(
        "INSERT INTO bridge_loans (id, reference, reference_year, reference_no, status, enterprise_id, bank_id, "
        "submitted_on, maturing_contract_no, maturing_amount, maturing_due_date, amount, term_days, renewal_amount, "
        "renewal_expected_date, principal_repaid, fee_paid, penalty_paid, written_off_amount, recovered, "
        "disbursed_on, due_date, repaid_on, approved_at, fee_tiers, penalty_daily_rate, default_after_days, "
        "required_approvals, created_at, updated_at) VALUES "
        f"({n}, 'BL-2020-00000{n}', 2020, {n}, '{status}', 1, 1, '2020-03-01', 'HT', {amount_fen}, '2020-03-02', "
        f"{amount_fen}, 10, {amount_fen * 2}, '2020-03-12', {amount_fen if repaid else 0}, {fee_fen}, "
        f"{penalty_fen}, 0, 0, {repr(disbursed) if disbursed else 'NULL'}, "
        f"{repr('2020-03-12') if disbursed else 'NULL'}, {repr(repaid) if repaid else 'NULL'}, "
        f"'{NOW}', '[]', 50000, 30, 1, '{NOW}', '{NOW}')"))


def test_0014_gives_repaid_loans_their_financing_cost_saved(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'with-loans.sqlite3'}"
    upgrade(url, "0011_pool_money")
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO banks (id, code, name, status, pool_quota, pool_share, created_at) "
                          f"VALUES (1, 'B1', '银行', 'active', 100000000, 50000000, '{NOW}')"))
        conn.execute(text("INSERT INTO enterprises (id, uscc, name, size, in_zone, created_at) "
                          f"VALUES (1, '91350200776049653A', '企业', 'small', 1, '{NOW}')"))
        conn.execute(text(
            "INSERT INTO fund_settings (id, fee_tiers, penalty_daily_rate, max_term_days, per_enterprise_cap, "
            "max_share_of_renewal, dual_approval_threshold, default_after_days, updated_at) VALUES "
            f"(1, '[]', 50000, 10, 1000000000, 95000000, 500000000, 30, '{NOW}')"))
        # 1,000,000.00 for 10 days, 3,000.00 fee: 10,000.00 − 3,000.00
        _loan(conn, 1, "repaid", 100_000_000, "2020-03-02", "2020-03-12", 300_000, 0)
        # 333.35 for 3 days, fee 0.20 and penalty 0.05: 333.35 × 3 × 0.001 = 1.00005 → 1.00; − 0.25 = 0.75
        _loan(conn, 2, "repaid", 33_335, "2020-03-02", "2020-03-05", 20, 5)
        _loan(conn, 3, "disbursed", 50_000_000, "2020-03-02", None, 0, 0)
        _loan(conn, 4, "approved", 50_000_000, None, None, 0, 0)
    eng.dispose()
    upgrade(url, "0014_fund_forecast")
    eng = make_engine(url)
    with eng.connect() as conn:
        saved = dict(conn.execute(text("SELECT id, financing_cost_saved FROM bridge_loans")).all())
        rate = conn.execute(text("SELECT market_bridge_daily_rate FROM fund_settings")).scalar()
    eng.dispose()
    assert saved == {1: 700_000, 2: 75, 3: None, 4: None}
    assert rate == 100_000  # 0.001 at 10⁸
    assert Decimal(saved[2]) / 100 == financing_cost_saved(Decimal("333.35"), 3, Decimal("0.001"), Decimal("0.20"),
                                                           Decimal("0.05"))
    downgrade(url, "0011_pool_money")
    upgrade(url, "0014_fund_forecast")
