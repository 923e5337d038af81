"""Schedule generation for a 360-month loan, per call, against a plain Decimal loop in the same run.

Run: ``.venv/bin/python bench/bench_schedule.py``. Prints µs per call for every method and the ratio to
the baseline (a bare 等额本息 loop with ``Decimal`` and no due dates, checks or rounding rules).
"""

from __future__ import annotations

import datetime as dt
import time
import timeit
from decimal import ROUND_HALF_UP, Decimal, localcontext

from bridgefund.finance.schedule import RepaymentMethod, build_schedule

P, RATE, START, TERM = Decimal("1000000.00"), Decimal("0.0435"), dt.date(2020, 1, 31), 360


def baseline() -> list[tuple[Decimal, Decimal]]:
    """The textbook loop: annuity payment, interest on the balance, half-up to the fen."""
    fen = Decimal("0.01")
    with localcontext() as ctx:
        ctx.prec = 50
        r = RATE / 12
        growth = (1 + r) ** TERM
        pay = (P * r * growth / (growth - 1)).quantize(fen, ROUND_HALF_UP)
        out, balance = [], P
        for n in range(TERM):
            interest = (balance * r).quantize(fen, ROUND_HALF_UP)
            part = balance if n == TERM - 1 else pay - interest
            out.append((part, interest))
            balance -= part
    return out


def per_call(fn, number: int = 200) -> float:  # noqa: ANN001
    """Best of 7 runs, in CPU time of this process (the machine may be shared)."""
    return min(timeit.repeat(fn, timer=time.process_time, number=number, repeat=7)) / number


def main() -> None:
    base = per_call(baseline)
    print(f"baseline Decimal loop (360 months):     {base * 1e6:8.1f} µs/call")
    for method in RepaymentMethod:
        t = per_call(lambda m=method: build_schedule(P, RATE, START, TERM, m))
        print(f"build_schedule {method.value:<18} {t * 1e6:8.1f} µs/call  ({t / base:4.2f}× baseline)")


if __name__ == "__main__":
    main()
