"""How numbers read in error messages: money with two decimals, shares and ratios as percentages.

Every message that prints a figure goes through these two functions, so a client never reads ``0E-10``,
``2000000000.0000000000`` or ``0.95000000 of the renewal amount``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_FEN = Decimal("0.01")


def money(value: Any) -> str:
    """Yuan with exactly two decimals, no exponent: ``Decimal("0E-10")`` → ``"0.00"``."""
    d = Decimal(value).quantize(_FEN, rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # never "-0.00"
    return f"{d:f}"


def percent(value: Any, places: int = 4) -> str:
    """A share or ratio as a percentage with the decimals it needs: ``Decimal("0.95000000")`` → ``"95%"``."""
    d = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text) + "%"
