"""Money primitives: half-up rounding to the fen, integer-fen conversions, strict contexts, no floats."""

import ast
from datetime import date
from decimal import Decimal, FloatOperation, Inexact, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgefund.finance.money import (
    EXACT,
    FEN,
    ZERO,
    Overpayment,
    Repayment,
    checked_amount,
    from_fen_int,
    is_fen_amount,
    round_fen,
    to_fen_int,
)

FINANCE_DIR = Path(__file__).resolve().parents[2] / "bridgefund" / "finance"


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.0049999", "0.00"),
        ("2.675", "2.68"),  # a binary float would give 2.67
        ("1.004", "1.00"),
        ("12540", "12540.00"),
        ("-0.005", "-0.01"),  # half-up rounds away from zero
    ],
)
def test_round_fen_is_half_up(raw, rounded):
    result = round_fen(Decimal(raw))
    assert result == Decimal(rounded)
    assert result.as_tuple().exponent == -2


def test_constants():
    assert FEN == Decimal("0.01")
    assert ZERO == 0 and str(ZERO) == "0.00"


def test_fen_int_conversions():
    assert to_fen_int(Decimal("1500000.00")) == 150_000_000
    assert to_fen_int(Decimal("0.01")) == 1
    assert to_fen_int(Decimal("-3.5")) == -350
    assert from_fen_int(150) == Decimal("1.50") and str(from_fen_int(150)) == "1.50"
    assert str(from_fen_int(0)) == "0.00"
    assert str(from_fen_int(-7)) == "-0.07"


def test_to_fen_int_refuses_fractions_of_a_fen_and_floats():
    with pytest.raises(ValueError, match="whole number of fen"):
        to_fen_int(Decimal("0.001"))
    with pytest.raises(ValueError):
        to_fen_int(Decimal("NaN"))
    with pytest.raises(TypeError):
        to_fen_int(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1.5, True, "150", Decimal("150")])
def test_from_fen_int_needs_an_int(bad):
    with pytest.raises(TypeError):
        from_fen_int(bad)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_fen_round_trip(n):
    assert to_fen_int(from_fen_int(n)) == n
    assert is_fen_amount(from_fen_int(n))


def test_checked_amount():
    assert str(checked_amount("amount", Decimal("5"))) == "5.00"
    assert checked_amount("amount", ZERO) == 0
    with pytest.raises(ValueError, match="positive"):
        checked_amount("amount", ZERO, positive=True)
    with pytest.raises(ValueError, match="non-negative"):
        checked_amount("amount", Decimal("-1"))
    with pytest.raises(ValueError, match="two decimals"):
        checked_amount("amount", Decimal("1.001"))
    with pytest.raises(TypeError):
        checked_amount("amount", 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        checked_amount("amount", 1)  # type: ignore[arg-type]


def test_repayment_validates_and_normalises_amount():
    assert str(Repayment(date(2020, 3, 1), Decimal("7")).amount) == "7.00"
    with pytest.raises(ValueError):
        Repayment(date(2020, 3, 1), Decimal("0"))
    with pytest.raises(ValueError):
        Repayment(date(2020, 3, 1), Decimal("0.001"))


def test_overpayment_is_a_value_error_carrying_the_due_amount():
    exc = Overpayment(Decimal("10.00"), index=2)
    assert isinstance(exc, ValueError)
    assert exc.due == Decimal("10.00") and exc.index == 2
    assert "10.00" in str(exc) and "repayment 3" in str(exc)


def test_exact_context_refuses_to_round_silently_and_refuses_floats():
    with localcontext(EXACT), pytest.raises(Inexact):
        Decimal(1) / Decimal(3)
    with localcontext(EXACT), pytest.raises(FloatOperation):
        Decimal(0.1)


def test_no_float_anywhere_in_the_finance_package():
    for path in FINANCE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), where
            assert not (isinstance(node, ast.Name) and node.id == "float"), where


def test_finance_imports_no_web_or_database_code():
    allowed = {"__future__", "calendar", "collections", "dataclasses", "datetime", "decimal", "enum"}
    allowed.add("itertools")
    for path in FINANCE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_ratio_rounds_half_up_to_the_places_asked_and_is_zero_without_a_denominator():
    from decimal import Decimal

    from bridgefund.finance import ratio

    assert ratio(Decimal("45650660.00"), Decimal("150000000.00"), 4) == Decimal("0.3043")
    assert ratio(Decimal("1"), Decimal("8"), 2) == Decimal("0.13")  # 0.125 → half-up
    assert ratio(Decimal("1"), Decimal("3"), 8) == Decimal("0.33333333")
    assert ratio(Decimal("5"), Decimal("0"), 4) == Decimal("0.0000")
    assert ratio(Decimal("5"), Decimal("-1"), 8) == 0
