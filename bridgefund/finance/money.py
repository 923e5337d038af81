"""Money primitives: yuan as ``Decimal`` with two places, stored by the app as integer fen.

Every amount that leaves the finance package has been through :func:`round_fen` (half-up to 0.01 yuan).
Intermediate figures (accruals, annuity factors) are exact or carried at :data:`WIDE` precision and are
rounded once, where the domain rules say a charge happens.

Two decimal contexts are used instead of the process-wide one, so no caller can change the answers:

* :data:`EXACT` traps ``Inexact``: products of amounts, rates and day counts must not be rounded silently.
* :data:`WIDE` carries 50 significant digits for divisions and powers (annuity factors, actual/360).

Both trap ``FloatOperation``, so a binary float mixed into money math fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    FloatOperation,
    Inexact,
    InvalidOperation,
    Overflow,
)

#: One fen, the smallest unit of money (0.01 yuan).
FEN = Decimal("0.01")
#: Zero yuan, with the two places every amount carries.
ZERO = Decimal("0.00")

_STRICT_TRAPS = [InvalidOperation, DivisionByZero, Overflow, FloatOperation]

#: Context for arithmetic that must be exact (fee and penalty accrual); any rounding raises ``Inexact``.
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[*_STRICT_TRAPS, Inexact])
#: Context for arithmetic that cannot be exact (annuities, /360): 50 digits, far below a fen's worth of error.
WIDE = Context(prec=50, rounding=ROUND_HALF_EVEN, traps=_STRICT_TRAPS)
_ROUNDING = Context(prec=60, rounding=ROUND_HALF_UP, traps=_STRICT_TRAPS)


def round_fen(x: Decimal) -> Decimal:
    """Round ``x`` half-up to the fen: ``round_fen(Decimal("0.005")) == Decimal("0.01")``."""
    _require_decimal("amount", x)
    return x.quantize(FEN, rounding=ROUND_HALF_UP, context=_ROUNDING)


def round_fen_exact(numerator: Decimal, denominator: int) -> Decimal:
    """``numerator ÷ denominator`` rounded half-up to the fen from its exact value (integer arithmetic).

    Interest is ``balance × rate ÷ 12`` or ``balance × rate × days ÷ 360``: the product is exact, and the one
    division is done here without any intermediate rounding, so 5.005 becomes 5.01 and never 5.00 because a
    quotient was carried to a finite number of digits first.
    """
    _require_decimal("numerator", numerator)
    if isinstance(denominator, bool) or not isinstance(denominator, int) or denominator <= 0:
        raise ValueError(f"denominator must be a positive integer: {denominator!r}")
    num, den = numerator.as_integer_ratio()
    num *= 100
    den *= denominator
    quotient, rest = divmod(abs(num), den)
    if 2 * rest >= den:
        quotient += 1
    fen = -quotient if num < 0 else quotient
    return Decimal(fen).scaleb(-2, context=_ROUNDING)


def ratio(numerator: Decimal, denominator: Decimal, places: int) -> Decimal:
    """``numerator ÷ denominator`` rounded half-up to ``places`` decimals; zero when the denominator is not positive.

    Every share, utilization, turnover, leverage and NPL ratio of the fund and the pool goes through here.
    """
    _require_decimal("numerator", numerator)
    _require_decimal("denominator", denominator)
    quantum = Decimal(1).scaleb(-places)
    if denominator <= 0:
        return Decimal(0).quantize(quantum)
    return (numerator / denominator).quantize(quantum, rounding=ROUND_HALF_UP, context=WIDE)


def is_fen_amount(x: Decimal) -> bool:
    """Tell whether ``x`` is a finite whole number of fen (at most two significant decimals)."""
    return isinstance(x, Decimal) and x.is_finite() and round_fen(x) == x


def to_fen_int(x: Decimal) -> int:
    """Convert yuan to integer fen for storage; refuse amounts that are not a whole number of fen.

    Rounding is a business decision made where a charge happens, never silently on the way to the database.
    """
    _require_decimal("amount", x)
    if not is_fen_amount(x):
        raise ValueError(f"not a whole number of fen: {x!r}")
    return int(x.scaleb(2, context=_ROUNDING))


def from_fen_int(n: int) -> Decimal:
    """Convert integer fen from storage to yuan with two places: ``from_fen_int(150) == Decimal("1.50")``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"fen must be an int, got {type(n).__name__}")
    return Decimal(n).scaleb(-2, context=_ROUNDING)


def checked_amount(name: str, x: Decimal, *, positive: bool = False) -> Decimal:
    """Return ``x`` with two places; raise unless it is a non-negative (or positive) whole number of fen."""
    _require_decimal(name, x)
    if not is_fen_amount(x):
        raise ValueError(f"{name} must have at most two decimals: {x}")
    if x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}: {x}")
    return round_fen(x)


def require_rate(name: str, x: Decimal) -> None:
    """Raise unless ``x`` is a finite, non-negative ``Decimal`` rate."""
    _require_decimal(name, x)
    if x < 0:
        raise ValueError(f"{name} must be non-negative: {x}")


def _require_decimal(name: str, x: object) -> None:
    if not isinstance(x, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(x).__name__}")
    if not x.is_finite():
        raise ValueError(f"{name} must be finite: {x}")


class Overpayment(ValueError):
    """A repayment larger than everything that may be paid on its value date; none of it is applied."""

    def __init__(self, due: Decimal, index: int | None = None) -> None:
        #: The most that could have been accepted on that value date.
        self.due = due
        #: Position (0-based) of the offending repayment in the sequence replayed, when known.
        self.index = index
        where = "" if index is None else f" (repayment {index + 1})"
        super().__init__(f"payment exceeds the amount due of {due}{where}")


@dataclass(frozen=True)
class Repayment:
    """Money received for a loan on a value date: a positive whole number of fen."""

    value_date: date
    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", checked_amount("amount", self.amount, positive=True))
