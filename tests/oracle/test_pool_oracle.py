"""The service's pool-loan figures, through the HTTP API, against the independent oracle (tests/oracle/money.py).

Hypothesis draws a loan and a history of repayments (instalments paid, short-paid, prepaid, all principal
prepaid with part of the interest accrued, paid off; on due dates, between them, late) and compares every
figure the API shows: each schedule row, the split of each repayment, ``payoff_amount``, ``amount_due``,
``principal_outstanding``, ``days_past_due`` and the classification, also re-read on past dates.
``BRIDGEFUND_ORACLE_EXAMPLES`` sets the number of loans (default 30); ``BRIDGEFUND_ORACLE_STATS`` names a file
that receives the count of loans and figures compared (for docs/reliability.md).
"""

from __future__ import annotations

import copy
import json
import os
from datetime import date, timedelta
from fractions import Fraction as F

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.oracle.money import PoolLoan, classify, text, to_fen
from tests.pool_support import PoolWorld

EXAMPLES = int(os.environ.get("BRIDGEFUND_ORACLE_EXAMPLES", "30"))
STATS = {"loans": 0, "repayments": 0, "views": 0, "figures": 0}

principals = st.one_of(st.integers(min_value=1, max_value=2 * 10**8),
                       st.integers(min_value=1, max_value=2 * 10**5).map(lambda k: k * 1000))
rates = st.one_of(st.sampled_from(["0.0385", "0.0415", "0.0435", "0.0475", "0.0405", "0.06525", "0"]),
                  st.integers(min_value=0, max_value=65250).map(lambda n: f"0.{n:06d}"))
events = st.lists(st.tuples(st.integers(min_value=0, max_value=75),
                            st.sampled_from(["due", "short", "prepay", "all_principal", "payoff", "view", "view"]),
                            st.fractions(min_value=0, max_value=1)), max_size=6)


def compare(tally: dict, want: object, got: object, what: str) -> None:
    tally["figures"] += 1
    assert got == want, f"{what}: service {got!r}, oracle {want!r}"


def compare_loan(tally: dict, oracle: PoolLoan, body: dict, on: date) -> None:
    compare(tally, on.isoformat(), body["as_of"], "as_of")
    rows = body["schedule"]
    compare(tally, len(oracle.rows), len(rows), "installments")
    for r, g in zip(oracle.rows, rows, strict=True):
        compare(tally, r.due.isoformat(), g["due_date"], f"#{r.seq} due_date")
        if r.cancelled:
            compare(tally, "cancelled", g["status"], f"#{r.seq} status")
            continue
        for name in ("principal", "interest", "principal_paid", "interest_paid", "penalty_paid"):
            compare(tally, text(getattr(r, name)), g[name], f"#{r.seq} {name}")
        compare(tally, text(oracle.penalty_view(r, on)), g["penalty_charged"], f"#{r.seq} penalty_charged")
    compare(tally, text(sum(to_fen(g["principal"]) for g in rows)), text(oracle.principal), "Σ principal")
    compare(tally, text(oracle.outstanding()), body["principal_outstanding"], "principal_outstanding")
    compare(tally, text(oracle.payoff(on)), body["payoff_amount"], "payoff_amount")
    compare(tally, text(oracle.amount_due(on)), body["amount_due"], "amount_due")
    dpd = oracle.days_past_due(on)
    compare(tally, dpd, body["days_past_due"], "days_past_due")
    compare(tally, classify(dpd), body["classification"], "classification")


def run(world: PoolWorld, principal: int, rate: str, start: date, n: int, method: str, history: list,
        penalty: tuple[str, bool] = ("0.50", True)) -> None:
    tally = {"figures": 0, "repayments": 0, "views": 0}
    markup, compound = penalty
    body = {k: v for k, v in world.get("/pool/settings").get_json().items() if k != "updated_at"}
    if (body["penalty_rate_markup"], body["compound_overdue_interest"]) != penalty:  # a loan keeps its own
        r = world.client.put("/api/v1/pool/settings", json={**body, "penalty_rate_markup": markup,
                                                            "compound_overdue_interest": compound}, headers=world.admin)
        assert r.status_code == 200, r.get_json()
    loan = world.loan(principal=text(principal), annual_rate=rate, start_date=start.isoformat(), term_months=n,
                      repayment_method=method)
    oracle = PoolLoan(principal, F(rate), start, n, method, markup=F(markup), compound=compound)
    snapshots = [(start, copy.deepcopy(oracle))]  # the books after each repayment day, to re-read the past
    compare_loan(tally, oracle, loan, date.fromisoformat(loan["as_of"]))
    on = start
    for gap, kind, part in history:
        on = on + timedelta(days=gap)
        if on > date(2026, 12, 1):
            break
        if kind == "view":
            r = world.get(f"/pool-loans/{loan['id']}", as_of=on.isoformat())
            assert r.status_code == 200, r.get_json()
            compare_loan(tally, oracle, r.get_json(), on)
            tally["views"] += 1
            continue
        due, balance, payoff = oracle.amount_due(on), oracle.balance_after(on), oracle.payoff(on)
        if payoff == 0:
            continue
        if kind == "due":
            amount = due
        elif kind == "short":
            amount = int(due * part)
        elif kind == "prepay":
            amount = due + int((balance - 1) * part) if balance > 1 else due
        elif kind == "all_principal":  # all principal and part of the interest accrued to this day
            amount = due + balance + int((payoff - due - balance) * part)
        else:
            amount = payoff
        if amount <= 0:
            continue
        r = world.repay(loan["id"], text(amount), on.isoformat())
        assert r.status_code == 201, (text(amount), on, r.get_json())
        split = oracle.repay(amount, on)
        got = r.get_json()["repayment"]
        for name in ("penalty", "interest", "principal", "prepaid_principal"):
            compare(tally, text(split[name]), got[name], f"repayment on {on} {name}")
        compare(tally, [[s, text(p), text(i), text(c)] for s, p, i, c in split["allocation"]],
                [[a["seq"], a["penalty"], a["interest"], a["principal"]] for a in got["allocation"]],
                f"allocation on {on}")
        compare_loan(tally, oracle, r.get_json()["loan"], on)
        tally["repayments"] += 1
        if snapshots[-1][0] == on:
            snapshots.pop()
        snapshots.append((on, copy.deepcopy(oracle)))
        # one fen more than the payoff is refused
        r = world.repay(loan["id"], text(oracle.payoff(on) + 1), on.isoformat())
        compare(tally, True, r.status_code in ((422,) if oracle.payoff(on) else (409, 422)), f"overpayment on {on}")
    # any past date re-evaluates to what it was: the day before each later repayment day
    for (_day, book), (nxt, _b) in zip(snapshots, snapshots[1:], strict=False):
        past = nxt - timedelta(days=1)
        if past >= _day:
            r = world.get(f"/pool-loans/{loan['id']}", as_of=past.isoformat())
            compare_loan(tally, book, r.get_json(), past)
            tally["views"] += 1
    later = on + timedelta(days=400)
    r = world.get(f"/pool-loans/{loan['id']}", as_of=min(later, date(2026, 12, 1)).isoformat())
    compare_loan(tally, oracle, r.get_json(), min(later, date(2026, 12, 1)))
    STATS["loans"] += 1
    for k in ("figures", "repayments", "views"):
        STATS[k] += tally[k]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(principals, rates, st.dates(min_value=date(2019, 7, 1), max_value=date(2024, 12, 31)),
       st.integers(min_value=1, max_value=36), st.sampled_from(["equal_installment", "equal_principal",
                                                                "interest_only", "bullet"]), events,
       st.tuples(st.sampled_from(["0.50", "0.30", "0.00", "0.45"]), st.booleans()))
@example(100000000, "0.0435", date(2020, 1, 15), 12, "equal_installment", [(1, "prepay", F(1, 2)), (30, "view", 0)],
         ("0.50", True))
@example(100000000, "0.0435", date(2020, 1, 15), 12, "bullet", [(1, "payoff", 0)], ("0.50", True))
@example(156000, "0.0385", date(2020, 4, 20), 1, "interest_only", [(30, "view", 0)], ("0.50", True))
@example(120000000, "0.06", date(2020, 1, 15), 12, "interest_only", [(121, "view", 0), (0, "due", 0)],
         ("0.50", True))
@example(500607, "0.0385", date(2022, 1, 3), 24, "equal_installment",
         [(63, "due", 0), (54, "due", 0), (29, "due", 0), (75, "due", 0), (33, "all_principal", F(1605, 15646)),
          (0, "payoff", 0)], ("0.50", False))  # all principal, then the rest of the interest the same day
def test_pool_loans_match_the_oracle(world, principal, rate, start, n, method, history, penalty):  # noqa: ANN001
    try:
        run(world, principal, rate, start, n, method, history, penalty)
    except AssertionError as e:
        raise AssertionError(f"{e}\n  loan: {(principal, rate, start, n, method, history, penalty)!r}") from None


def teardown_module() -> None:
    path = os.environ.get("BRIDGEFUND_ORACLE_STATS")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({"test": "pool", **STATS}) + "\n")
