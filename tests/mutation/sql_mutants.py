"""Hand-written mutants of the rules mutmut cannot reach: the SQL predicates behind lists, filters and figures
(five-grade classification, overdue, non-performing) and the rule comparisons in the services.

mutmut mutates Python operators in ``bridgefund/finance/`` only; the predicates here are SQLAlchemy expressions
(a ``<`` builds SQL, it is not evaluated in Python) and service rules outside finance/. Each mutant below is one
off-by-one of a boundary: the script copies the tree to a scratch directory, applies one mutant at a time and
runs the boundary tests on SQLite. A mutant is *killed* when the tests fail, *survived* when they pass
(*equivalent* when the list says why no test can tell it apart), and *not applicable* when its original text is
no longer in the file exactly once (the code changed: update the list).
Run: ``python -m tests.mutation.sql_mutants`` (``make mutate``); ``--strict`` exits 1 on a survivor or an
inapplicable mutant; ``-k TEXT`` runs only the mutants whose name contains TEXT.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPY = ("bridgefund", "tests", "migrations", "templates", "reports", "setup.cfg", "pyproject.toml")
TESTS = ("tests/api/test_boundaries.py",)


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    #: Why no test can kill it (it changes nothing any caller can observe), or "" for a real mutant.
    equivalent: str = ""


POOL_LOANS = "bridgefund/services/pool_loans.py"
POOL_FIGURES = "bridgefund/figures/pool.py"
BRIDGE = "bridgefund/services/bridge_loans.py"
#: The one table of the five grades (issue 12): classify() and the SQL filter both read it.
GRADE_TABLE = "bridgefund/finance/pool.py"
#: The one SQL definition of "bridge loan overdue on D" (the list filter, /fund, the reports).
BRIDGE_MODEL = "bridgefund/models/bridge_loan.py"


def _grade(name: str, value: str, bounds: str, mutated: str) -> Mutant:
    return Mutant(f"grade {name} {bounds} -> {mutated}", GRADE_TABLE,
                  f"Classification.{value}: {bounds},", f"Classification.{value}: {mutated},")


MUTANTS: tuple[Mutant, ...] = (
    # --- the SQL five-grade classification (GET /pool-loans?classification=) ---
    _grade("special_mention", "SPECIAL_MENTION", "(1, 90)", "(2, 90)"),
    _grade("special_mention", "SPECIAL_MENTION", "(1, 90)", "(1, 89)"),
    _grade("special_mention", "SPECIAL_MENTION", "(1, 90)", "(1, 91)"),
    _grade("substandard", "SUBSTANDARD", "(91, 270)", "(90, 270)"),
    _grade("substandard", "SUBSTANDARD", "(91, 270)", "(92, 270)"),
    _grade("substandard", "SUBSTANDARD", "(91, 270)", "(91, 269)"),
    _grade("substandard", "SUBSTANDARD", "(91, 270)", "(91, 271)"),
    _grade("substandard", "SUBSTANDARD", "(91, 270)", "(91, 275)"),  # issue 10's surviving mutant
    _grade("doubtful", "DOUBTFUL", "(271, 360)", "(270, 360)"),
    _grade("doubtful", "DOUBTFUL", "(271, 360)", "(272, 360)"),
    _grade("doubtful", "DOUBTFUL", "(271, 360)", "(271, 359)"),
    _grade("doubtful", "DOUBTFUL", "(271, 360)", "(271, 361)"),
    _grade("loss", "LOSS", "(361, None)", "(360, None)"),
    _grade("loss", "LOSS", "(361, None)", "(362, None)"),
    Mutant("SQL grade: unpaid installment due_date < as_of -> <=", POOL_LOANS,
           "PoolInstallment.due_date < as_of,", "PoolInstallment.due_date <= as_of,"),
    Mutant("SQL grade: unpaid installment settled_on > as_of -> >=", POOL_LOANS,
           "PoolInstallment.settled_on > as_of))", "PoolInstallment.settled_on >= as_of))"),
    Mutant("SQL grade: oldest <= as_of - low -> <", POOL_LOANS,
           "cond = oldest <= as_of -", "cond = oldest < as_of -"),
    Mutant("SQL grade: oldest >= as_of - high -> >", POOL_LOANS,
           "cond = and_(cond, oldest >= as_of -", "cond = and_(cond, oldest > as_of -"),
    # --- BridgeLoan.overdue_on: GET /bridge-loans?overdue=, and the whole-history figures (summaries check) ---
    Mutant("SQL overdue: due_date < on -> <=", BRIDGE_MODEL, "cls.due_date < on)", "cls.due_date <= on)"),
    Mutant("SQL overdue: repaid_on > on -> >=", BRIDGE_MODEL,
           "and_(cls.repaid_on > on,", "and_(cls.repaid_on >= on,"),
    Mutant("SQL overdue: written_off_on > on -> >=", BRIDGE_MODEL,
           "and_(cls.written_off_on > on,", "and_(cls.written_off_on >= on,"),
    Mutant("SQL overdue: the still-open half forgets written_off_on", BRIDGE_MODEL,
           "still_open = and_(cls.repaid_on.is_(None), cls.written_off_on.is_(None), *lent)",
           "still_open = and_(cls.repaid_on.is_(None), *lent)"),
    # --- the whole-history figures (summaries check compares them with the summary tables) ---
    Mutant("SQL pool NPL: due_date <= cutoff -> <", POOL_FIGURES,
           "PoolInstallment.due_date <= cutoff,", "PoolInstallment.due_date < cutoff,"),
    Mutant("SQL pool NPL: settled_on > as_of -> >=", POOL_FIGURES,
           "PoolInstallment.settled_on > as_of),\n    )", "PoolInstallment.settled_on >= as_of),\n    )"),
    Mutant("SQL pool NPL: cutoff as_of - claim_after_days -> - (claim_after_days + 1)", POOL_FIGURES,
           "cutoff = as_of - dt.timedelta(days=claim_after_days)\n    overdue",
           "cutoff = as_of - dt.timedelta(days=claim_after_days + 1)\n    overdue"),
    # --- service rules at their thresholds ---
    Mutant("rule dual approval: amount >= threshold -> >", BRIDGE,
           "loan.amount >= rules.dual_approval_threshold", "loan.amount > rules.dual_approval_threshold"),
    Mutant("rule per-enterprise cap: > cap -> >=", BRIDGE,
           "if amount + open_amount > rules.per_enterprise_cap:",
           "if amount + open_amount >= rules.per_enterprise_cap:"),
    Mutant("rule renewal share: amount > limit -> >=", BRIDGE, "if amount > limit:", "if amount >= limit:"),
    Mutant("rule max_term_days: term <= max -> <", BRIDGE,
           "if not 1 <= term_days <= rules.max_term_days:", "if not 1 <= term_days < rules.max_term_days:"),
    Mutant("rule max_term_days: 1 <= term -> 0 <=", BRIDGE,
           "if not 1 <= term_days <= rules.max_term_days:", "if not 0 <= term_days <= rules.max_term_days:",
           equivalent="through the API the request schema refuses term_days < 1 (Range(min=1)) before the service "
                      "rule runs; the service bound only guards direct callers (demo data)"),
    Mutant("rule default_after_days: days_overdue < n -> <=", BRIDGE,
           "if pos.days_overdue < loan.default_after_days:", "if pos.days_overdue <= loan.default_after_days:"),
    Mutant("rule claim_after_days_overdue: dpd < n -> <=", "bridgefund/services/claims.py",
           "if v.days_past_due < s.claim_after_days_overdue:", "if v.days_past_due <= s.claim_after_days_overdue:"),
    Mutant("rule closed period: value_date <= closed -> <", "bridgefund/services/common.py",
           "if closed is not None and value_date <= closed:", "if closed is not None and value_date < closed:"),
)


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.sqlite3")
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def _run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[int, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "BRIDGEFUND_TEST_DATABASE_URL": "", "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],  # noqa: S603
                          cwd=tree, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only the mutants whose name contains this text")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a mutant survives or does not apply")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if args.k in m.name]
    with tempfile.TemporaryDirectory(prefix="bridgefund-sql-mutants-") as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        code, seconds = _run_tests(tree, TESTS)
        if code != 0:
            print(f"the boundary tests fail on the unmutated tree (exit {code}): fix that first")
            return 2
        print(f"clean run: passed in {seconds:.0f} s; {len(mutants)} mutants of {', '.join(TESTS)}", flush=True)
        results: dict[str, list[str]] = {"killed": [], "survived": [], "not applicable": []}
        for m in mutants:
            target = tree / m.path
            original = target.read_text(encoding="utf-8")
            if original.count(m.old) != 1:
                outcome = "not applicable"
            else:
                target.write_text(original.replace(m.old, m.new), encoding="utf-8")
                try:
                    code, seconds = _run_tests(tree, TESTS)
                finally:
                    target.write_text(original, encoding="utf-8")
                outcome = "killed" if code == 1 else "survived" if code == 0 else f"error (exit {code})"
            if outcome == "survived" and m.equivalent:
                outcome = "equivalent"
            results.setdefault(outcome, []).append(m.name)
            print(f"{outcome:>15}  {m.name}  [{m.path}]" + (f"  ({m.equivalent})" if outcome == "equivalent" else ""),
                  flush=True)
    equivalent = results.get("equivalent", [])
    total = len(mutants) - len(results["not applicable"])
    print(f"\nSQL and rule mutants: killed {len(results['killed'])} / {total}"
          + (f", {len(equivalent)} equivalent" if equivalent else "")
          + (f" ({len(results['not applicable'])} not applicable)" if results["not applicable"] else ""))
    for name in results["survived"]:
        print(f"SURVIVED: {name}")
    bad = total - len(results["killed"]) - len(equivalent) + len(results["not applicable"])
    return 1 if args.strict and bad else 0


if __name__ == "__main__":
    sys.exit(main())
