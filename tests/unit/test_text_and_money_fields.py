"""The input field types of schemas/common.py: money strings are ASCII with two decimals, text is clean (issue 11,
items 8 and 9). Properties over generated input: what is accepted round-trips exactly; anything else is refused."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from marshmallow import ValidationError

from bridgefund.schemas.common import MAX_MONEY, Money, Text
from bridgefund.text import BLANK_LOOKING

money_field = Money()
text_field = Text(200, required=True)


@given(st.decimals(min_value=Decimal(0), max_value=MAX_MONEY, places=2))
def test_every_two_decimal_ascii_amount_round_trips(x: Decimal) -> None:
    text = f"{x:f}"
    assert money_field.deserialize(text) == x
    assert money_field._serialize(x, None, None) == text


@given(st.decimals(min_value=Decimal(0), max_value=MAX_MONEY, places=2),
       st.sampled_from(["０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯"]), st.data())
def test_an_amount_with_any_non_ascii_digit_is_refused(x: Decimal, digits: str, data: st.DataObject) -> None:
    text = f"{x:f}"
    i = data.draw(st.sampled_from([k for k, c in enumerate(text) if c.isdigit()]))
    bad = text[:i] + digits[int(text[i])] + text[i + 1:]
    with pytest.raises(ValidationError):
        money_field.deserialize(bad)


@pytest.mark.parametrize("text", ["100", "100.0", "100.000", " 100.00", "100.00 ", "1e3", "+1.00", "1,000.00",
                                  "0x10", "NaN", "Infinity", "-0.001"])
def test_amounts_not_written_as_plain_ascii_with_two_decimals_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        money_field.deserialize(text)


_visible = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))


#: What the text rule accepts: visible characters that are neither blank-looking nor noncharacters (both refused by
#: design, tested below). Hypothesis found U+1FFFE in the wider alphabet: the test, not the rule, was wrong.
_acceptable = _visible.filter(lambda c: c not in BLANK_LOOKING and not (0xFDD0 <= ord(c) <= 0xFDEF
                                                                      or ord(c) & 0xFFFE == 0xFFFE))


@given(st.text(_acceptable, min_size=1, max_size=50).filter(lambda s: s.strip()))
@example("\U0001fffd x")  # the neighbour of a plane's noncharacter is accepted
def test_clean_text_comes_back_trimmed_and_nfc(s: str) -> None:
    expected = unicodedata.normalize("NFC", s.strip())
    if len(expected) > 200 or any(unicodedata.category(c) in ("Cc", "Cf") for c in expected):
        return  # normalisation may not be closed over the alphabet; such input is refused, tested below
    assert text_field.deserialize(f" {s}\t") == expected


@pytest.mark.parametrize("ch", ["\U0001fffe", "\U0001ffff", "\ufdd0", "\ufdef", "\uffff", "\u3164", "\u2800"])
def test_noncharacters_and_blank_looking_letters_are_refused(ch: str) -> None:
    with pytest.raises(ValidationError):
        text_field.deserialize(f"公司{ch}名")


@given(st.text(_visible, max_size=20), st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp")),
       st.text(_visible, max_size=20))
def test_any_control_or_format_character_inside_is_refused(a: str, bad: str, b: str) -> None:
    with pytest.raises(ValidationError):
        text_field.deserialize(f"x{a}{bad}{b}x")
