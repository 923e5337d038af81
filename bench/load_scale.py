"""A fast bulk loader for scale benchmarks: N bridge loans with their ledger and repayments, N pool loans with
K installments each, their repayments, claims and the pool ledger, and one audit event per bridge loan — in SQL
only (``INSERT … SELECT generate_series``), into a migrated, empty PostgreSQL database.

    .venv/bin/python bench/load_scale.py --database bench_scale_1e5 --loans 100000        # create, migrate, load
    .venv/bin/python bench/load_scale.py --database bench_scale_1e6 --loans 1000000 --installments 10

The shape follows DOMAIN.md's "Scale to design for" (50 banks, 10⁵ enterprises, five years of business from
2016): most bridge loans repaid after 7–10 days (every 7th two days late, with a penalty), every 500th
defaulted; pool loans of ``--installments`` monthly installments, every 100th claimed and paid. Figures are
plausible, not a story: the loader is for timing queries, not for checking books. (The same approach as the
loader inside ``bench/bench_reports.py``, with more tables; a library function, :func:`load`, for
``bench/bench_scale.py``.)

Loopback only: a non-loopback host is refused.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIRST_DAY = "2016-01-04"
DAYS = 1820
BANKS = 50
ENTERPRISES = 100_000
END = "2020-12-28"


def _loopback(url: str) -> None:
    host = make_url(url).host or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a non-loopback database host: {host}")


def steps(n: int, k: int, columns: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """The load, statement by statement; ``columns``: the bridge_loans columns and the tables of the migrated
    schema."""
    ents = min(ENTERPRISES, max(100, n // 10))
    # Newer schemas split the reference into year and number; fill them when they are there.
    ref_cols, ref_vals = ("reference_year, reference_no, ", "extract(year FROM d - 1)::int, i, ") \
        if "reference_no" in columns else ("", "")
    return [
        ("banks", f"""INSERT INTO banks (code, name, status, pool_quota, pool_share, created_at)
            SELECT 'B' || b, '规模测试银行' || b || '号支行', 'active', 200000000000000, 50000000, now()
            FROM generate_series(1, {BANKS}) b"""),
        # (schemas with dated bank terms: each bank a partner from the fund's default established date)
        *([("bank_terms", """INSERT INTO bank_terms (bank_id, effective_from, name, status, pool_quota, pool_share,
                changed_fields, created_at)
            SELECT id, DATE '2000-01-01', name, status, pool_quota, pool_share, 'name,status,pool_quota,pool_share',
                now() FROM banks""")] if "bank_terms" in columns else []),
        ("users", """INSERT INTO users (username, password_hash, role, active, created_at, updated_at)
            VALUES ('scale-manager', 'x', 'fund_manager', true, now(), now())"""),
        ("enterprises", f"""INSERT INTO enterprises (uscc, name, size, industry, in_zone, created_at)
            SELECT lpad(e::text, 18, '0'), '规模企业' || e || '有限公司', 'small', '制造业', true, now()
            FROM generate_series(1, {ents}) e"""),
        ("bridge_loans", f"""INSERT INTO bridge_loans (id, reference, {ref_cols}status, enterprise_id, bank_id,
                submitted_on,
                maturing_contract_no, maturing_amount, maturing_due_date, amount, term_days, renewal_amount,
                renewal_expected_date, fee_tiers, penalty_daily_rate, default_after_days, required_approvals,
                approved_at, disbursed_on, due_date, repaid_on, defaulted_on, principal_repaid, fee_paid,
                penalty_paid, written_off_amount, recovered, created_at, updated_at)
            SELECT i, 'BL-S-' || i, {ref_vals}
                   CASE WHEN i % 500 = 0 THEN 'defaulted' WHEN d + t >= date '{END}' THEN 'disbursed'
                        ELSE 'repaid' END,
                   1 + (i * 7) % {ents}, 1 + i % {BANKS}, d - 1, 'M-' || i, a, d, a, t, a * 11 / 10, d + t,
                   '[{{"from_day": 1, "daily_rate": "0.0002"}}]', 100000, 30, 1, now(), d, d + t,
                   CASE WHEN i % 500 = 0 OR d + t >= date '{END}' THEN NULL
                        WHEN i % 7 = 0 THEN d + t + 2 ELSE d + t END,
                   CASE WHEN i % 500 = 0 THEN d + t + 31 END,
                   CASE WHEN i % 500 = 0 OR d + t >= date '{END}' THEN 0 ELSE a END,
                   CASE WHEN i % 500 = 0 OR d + t >= date '{END}' THEN 0 ELSE a * 2 * t / 10000 END,
                   CASE WHEN i % 7 = 0 AND i % 500 <> 0 AND d + t < date '{END}' THEN a * 2 / 1000 ELSE 0 END,
                   0, 0, now(), now()
            FROM (SELECT i, date '{FIRST_DAY}' + (i % {DAYS}) AS d, 7 + i % 4 AS t,
                         (100 + i % 900)::bigint * 1000000 AS a
                  FROM generate_series(1, {n}) i) s"""),
        ("bridge_repayments", """INSERT INTO bridge_repayments (bridge_loan_id, bank_id, external_ref, amount,
                value_date, penalty, fee, principal, created_at)
            SELECT id, bank_id, 'RR-' || id, principal_repaid + fee_paid + penalty_paid, repaid_on, penalty_paid,
                   fee_paid, principal_repaid, now()
            FROM bridge_loans WHERE repaid_on IS NOT NULL"""),
        ("fund capital", f"""INSERT INTO fund_ledger_entries (value_date, kind, amount, cash_delta, created_at)
            VALUES (date '{FIRST_DAY}' - 3, 'capital_in', 2000000000000, 2000000000000, now())"""),
        ("fund ledger: disbursements", """INSERT INTO fund_ledger_entries
                (value_date, kind, amount, cash_delta, bridge_loan_id, created_at)
            SELECT disbursed_on, 'disbursement', amount, -amount, id, now() FROM bridge_loans"""),
        ("fund ledger: repayments", """INSERT INTO fund_ledger_entries
                (value_date, kind, amount, cash_delta, bridge_loan_id, created_at)
            SELECT repaid_on, x.kind, x.amount, x.amount, id, now()
            FROM bridge_loans CROSS JOIN LATERAL (VALUES ('principal_repaid', principal_repaid), ('fee', fee_paid),
                                                         ('penalty', penalty_paid)) x(kind, amount)
            WHERE repaid_on IS NOT NULL AND x.amount > 0"""),
        ("audit events", """INSERT INTO audit_events (at, actor_id, actor_role, action, entity_type, entity_id,
                before, after)
            SELECT disbursed_on::timestamp AT TIME ZONE 'UTC', 1, 'fund_manager', 'disburse', 'bridge_loan', id,
                   '{"status": "approved"}', '{"status": "disbursed"}'
            FROM bridge_loans"""),
        ("pool contributions", f"""INSERT INTO pool_ledger_entries (value_date, kind, amount, created_at)
            SELECT date '{FIRST_DAY}' + y * 365, 'contribution', 10000000000000, now() FROM generate_series(0, 4) y"""),
        ("pool_loans", f"""INSERT INTO pool_loans (id, reference, bank_id, enterprise_id, contract_no, principal,
                annual_rate, start_date, term_months, repayment_method, pool_share, guarantor_share,
                penalty_rate_markup, maturity_date, status, principal_repaid, interest_repaid, penalty_repaid,
                last_repayment_on, repaid_on, created_at)
            SELECT i, 'PL-S-' || i, 1 + i % {BANKS}, 1 + (i * 13) % {ents}, 'C-' || i, p, 4350000, s, {k},
                   'equal_principal', 50000000, 0, 50000000, s + interval '{k} months',
                   CASE WHEN i % 100 = 0 THEN 'claimed' WHEN s + interval '{k} months' <= date '{END}'
                        THEN 'repaid' ELSE 'active' END,
                   0, 0, 0, NULL,
                   CASE WHEN i % 100 <> 0 AND s + interval '{k} months' <= date '{END}'
                        THEN (s + interval '{k} months')::date END, now()
            FROM (SELECT i, date '{FIRST_DAY}' + (i % {DAYS}) AS s, (50 + i % 450)::bigint * 1000000 AS p
                  FROM generate_series(1, {n}) i) g"""),
        ("pool_installments", f"""INSERT INTO pool_installments (loan_id, seq, due_date, principal, interest,
                principal_paid, interest_paid, penalty_charged, penalty_paid, settled_on)
            SELECT l.id, q, (l.start_date + q * interval '1 month')::date, l.principal / {k}, l.principal / 2400,
                   CASE WHEN paid THEN l.principal / {k} ELSE 0 END, CASE WHEN paid THEN l.principal / 2400 ELSE 0 END,
                   0, 0, CASE WHEN paid THEN (l.start_date + q * interval '1 month')::date END
            FROM pool_loans l CROSS JOIN generate_series(1, {k}) q
            CROSS JOIN LATERAL (
                SELECT (l.id % 100 <> 0 OR q <= 3)
                       AND (l.start_date + q * interval '1 month')::date <= date '{END}' AS paid) x"""),
        ("pool_repayments", """INSERT INTO pool_repayments (loan_id, bank_id, amount, value_date, external_ref,
                penalty, interest, principal, prepaid_principal, allocation, created_at)
            SELECT loan_id, l.bank_id, sum(i.principal_paid + i.interest_paid), max(i.settled_on),
                   'R-' || loan_id || '-' || (i.seq - 1) / 4, 0, sum(i.interest_paid), sum(i.principal_paid), 0,
                   '[]', now()
            FROM pool_installments i JOIN pool_loans l ON l.id = i.loan_id
            WHERE i.settled_on IS NOT NULL GROUP BY loan_id, l.bank_id, (i.seq - 1) / 4"""),
        ("pool loan totals", """UPDATE pool_loans l SET principal_repaid = r.p, interest_repaid = r.i,
                last_repayment_on = r.d
            FROM (SELECT loan_id, sum(principal) p, sum(interest) i, max(value_date) d FROM pool_repayments
                  GROUP BY loan_id) r WHERE r.loan_id = l.id"""),
        # (schemas that keep each pool loan's oldest unsettled installment: from the installments just written)
        *([("pool loan oldest unpaid", """UPDATE pool_loans l SET oldest_unpaid_due = u.d
            FROM (SELECT loan_id, min(due_date) d FROM pool_installments WHERE settled_on IS NULL GROUP BY loan_id) u
            WHERE u.loan_id = l.id""")] if "oldest_unpaid_due" in columns else []),
        ("claims", f"""INSERT INTO pool_claims (reference, loan_id, bank_id, status, filed_on, days_past_due,
                unpaid_principal, pool_share, amount, approved_by, approved_at, paid_on, created_at)
            SELECT 'CL-S-' || l.id, l.id, l.bank_id, CASE WHEN l.id % 300 = 0 THEN 'filed' ELSE 'paid' END,
                   (l.start_date + interval '4 months')::date + 95, 95, l.principal * {max(k - 3, 1)} / {k}, 50000000,
                   l.principal * {max(k - 3, 1)} / {k} / 2, (SELECT id FROM users LIMIT 1), now(),
                   CASE WHEN l.id % 300 <> 0 THEN (l.start_date + interval '4 months')::date + 110 END, now()
            FROM pool_loans l WHERE l.id % 100 = 0"""),
        ("claim payouts", """INSERT INTO pool_ledger_entries (value_date, kind, amount, claim_id, created_at)
            SELECT paid_on, 'claim_payout', amount, id, now() FROM pool_claims WHERE paid_on IS NOT NULL"""),
        ("sequences", """SELECT setval(pg_get_serial_sequence('bridge_loans', 'id'),
                                       (SELECT max(id) FROM bridge_loans)),
                                setval(pg_get_serial_sequence('pool_loans', 'id'),
                                       (SELECT max(id) FROM pool_loans))"""),
        # (schemas with reference counters: the services number on from the highest loaded reference)
        *([("reference counters", """INSERT INTO reference_counters (series, year, last_no)
            SELECT 'BL', reference_year, max(reference_no) FROM bridge_loans GROUP BY reference_year
            UNION ALL SELECT 'PL', substr(reference, 4, 4)::int, max(substr(reference, 9)::int) FROM pool_loans
            WHERE reference LIKE 'PL-____-%' GROUP BY substr(reference, 4, 4)::int""")]
          if "reference_counters" in columns and "reference_no" in columns else []),
        ("vacuum analyze", "VACUUM ANALYZE"),
    ]


def load(url: str, loans: int, installments: int = 10, echo: bool = True) -> float:
    """Fill an empty, migrated database; returns the seconds it took."""
    from sqlalchemy import create_engine

    _loopback(url)
    eng = create_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM cannot run inside a transaction
    started = time.perf_counter()
    with eng.connect() as conn:
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        conn.exec_driver_sql("SET work_mem = '128MB'")
        # The rows are consistent by construction: skip the foreign-key triggers (superuser on a scratch database).
        conn.exec_driver_sql("SET session_replication_role = replica")
        columns = set(conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'bridge_loans'").scalars())
        columns |= set(conn.exec_driver_sql(  # pool_loans columns that only newer schemas have
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'pool_loans' "
            "AND column_name = 'oldest_unpaid_due'").scalars())
        columns |= set(conn.exec_driver_sql(  # and the tables, for schemas that added one (bank_terms)
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").scalars())
        for name, sql in steps(loans, installments, columns):
            t = time.perf_counter()
            conn.exec_driver_sql(sql.replace("%", "%%"))  # no parameters: % is the modulo operator
            if echo:
                print(f"  load {name:<28} {time.perf_counter() - t:7.1f} s", flush=True)
    eng.dispose()
    return time.perf_counter() - started


def summarise(url: str, echo: bool = True) -> dict[str, float]:
    """Build the per-day summary tables from the loaded books (``bridgefund summaries rebuild``); seconds per set.

    The loader writes the books in SQL behind the services' back, so the summaries the services keep change by
    change are built here at once, by the same code a stale database is rebuilt with.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from bridgefund.figures.rebuild import rebuild

    eng = create_engine(url)
    with Session(eng) as session, session.begin():
        took = rebuild(session, echo=print if echo else None)
    # the tables just filled get their statistics, as the load's own VACUUM ANALYZE gave the books theirs (what
    # autovacuum's ANALYZE does on a live database once a table has changed by a tenth)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("fund_days", "pool_bank_days", "pool_bank_months"):
            conn.exec_driver_sql(f"ANALYZE {table}")
    eng.dispose()
    return took


def bring_up_to_date(url: str, echo: bool = False) -> None:
    """A database loaded by an older version: migrate it to the newest schema and fill the summaries a migration
    left stale (``bridgefund db upgrade`` does the same for a deployment)."""
    from sqlalchemy import create_engine, text

    from bridgefund.migrate import upgrade

    upgrade(url)
    eng = create_engine(url)
    with eng.connect() as conn:
        stale = conn.execute(text("SELECT count(*) FROM summary_state")).scalar()
    eng.dispose()
    if stale:
        summarise(url, echo=echo)


def main() -> None:
    from bridgefund.migrate import upgrade
    from tests.crash.harness import create_scratch_db

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000, help="bridge loans, and as many pool loans")
    ap.add_argument("--installments", type=int, default=10, help="installments per pool loan")
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="bench_scale")
    ap.add_argument("--summaries-only", action="store_true",
                    help="migrate an already loaded database to the newest schema and (re)build its summaries")
    args = ap.parse_args()
    _loopback(args.admin_url)
    if args.summaries_only:
        url = str(make_url(args.admin_url).set(database=args.database).render_as_string(hide_password=False))
        upgrade(url)
        summarise(url)
        return
    url = create_scratch_db(args.admin_url, args.database)
    upgrade(url)
    took = load(url, args.loans, args.installments)
    summarised = summarise(url)
    rows = args.loans * (2 + args.installments)
    print(f"loaded {args.loans:,} bridge + {args.loans:,} pool loans, {args.loans * args.installments:,} installments "
          f"in {took:.0f} s ({rows / took:,.0f} loan/installment rows a second) into {args.database}; summaries "
          f"built in {sum(summarised.values()):.0f} s")


if __name__ == "__main__":
    main()
