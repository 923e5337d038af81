"""The one way error messages print figures: money with two decimals, shares as percentages (issue 11, item 11)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from bridgefund.messages import money, percent


def test_money_has_two_decimals_and_no_exponent() -> None:
    assert money(Decimal("0E-10")) == "0.00"
    assert money(Decimal("-0E-10")) == "0.00"
    assert money(Decimal("2000000000.0000000000")) == "2000000000.00"
    assert money(Decimal("1E+3")) == "1000.00"
    assert money(Decimal("7654321")) == "7654321.00"
    assert money(Decimal("0.005")) == "0.01"


def test_shares_read_as_percentages() -> None:
    assert percent(Decimal("0.95000000")) == "95%"
    assert percent(Decimal("0.0435")) == "4.35%"
    assert percent(Decimal("0.00035")) == "0.035%"
    assert percent(Decimal("1")) == "100%"
    assert percent(Decimal("0E-8")) == "0%"
    assert percent(Decimal("0.05")) == "5%"


@given(st.decimals(min_value=Decimal("-1000000000000"), max_value=Decimal("1000000000000"), places=10))
def test_money_is_the_fen_rounded_amount(x: Decimal) -> None:
    text = money(x)
    assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", text)
    assert Decimal(text) == x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("10"), places=8))
def test_percent_is_the_share_times_100(x: Decimal) -> None:
    text = percent(x)
    assert re.fullmatch(r"[0-9]+(\.[0-9]{1,4})?%", text)
    assert Decimal(text[:-1]) == (x * 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
