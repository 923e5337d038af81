"""Unified social credit code (GB 32100-2015) check character."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgefund.finance.uscc import (
    ALPHABET,
    WEIGHTS,
    demo_uscc,
    is_valid_uscc,
    make_uscc,
    normalize_uscc,
    uscc_check_char,
    validate_uscc,
)

#: Codes published by registered enterprises, each checked by hand against the algorithm.
PUBLISHED_CODES = [
    "91350200776049653A",
    "9144030071526726XG",
    "91330100716105852F",
    "914403001922038216",
    "91110000802100433B",
    "91310000MA1FL1MMXL",
]

seeds = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(ALPHABET) == 31 and not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_valid(code):
    assert validate_uscc(code) is None
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


def test_check_char_worked_by_hand():
    # 9·1 + 1·3 + 3·9 + 5·27 + 0·19 + 2·26 + 0·16 + 0·17 + 7·20 + 7·29 + 6·25 + 0·13 + 4·8 + 9·24 + 6·10
    # + 5·30 + 3·28 = 1261; 1261 mod 31 = 21; 31 − 21 = 10 → "A"
    assert uscc_check_char("91350200776049653") == "A"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "must be 18 characters, got 0"),
        ("91350200776049653", "must be 18 characters, got 17"),
        ("91350200776049653AA", "must be 18 characters, got 19"),
        ("91350200776049653I", "characters not allowed: I"),
        ("9135020077604965-A", "characters not allowed: -"),
        ("9144030071526726xg", "(use upper case)"),
        ("91350200776049653B", "check character is 'B', expected 'A'"),
    ],
)
def test_invalid_codes_say_why(code, message):
    error = validate_uscc(code)
    assert error is not None and message in error
    assert not is_valid_uscc(code)


def test_lowercase_is_accepted_only_after_normalising():
    assert not is_valid_uscc("9144030071526726xg")
    assert normalize_uscc("  9144030071526726xg\n") == "9144030071526726XG"
    assert is_valid_uscc(normalize_uscc("9144030071526726xg"))


def test_non_string_is_rejected():
    assert validate_uscc(91350200776049653) == "must be a string"  # type: ignore[arg-type]


def test_check_char_input_errors():
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_char("9135")
    with pytest.raises(ValueError, match="not allowed"):
        uscc_check_char("9135020077604965O")


def test_demo_codes_rebuild_a_real_code_and_are_distinct():
    # the organisation code 77604965-3 carries its own GB 11714 check character, rebuilt here
    assert demo_uscc(77604965, "350200") == "91350200776049653A"
    codes = {demo_uscc(n) for n in range(200)}
    assert len(codes) == 200 and all(is_valid_uscc(c) and c.startswith("91410100") for c in codes)
    with pytest.raises(ValueError):
        demo_uscc(1, region="4101")
    with pytest.raises(ValueError):
        demo_uscc(10**8)


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_every_single_character_corruption_is_rejected(seed):
    code = make_uscc(seed)
    assert is_valid_uscc(code)
    for i, original in enumerate(code):
        for replacement in ALPHABET:
            if replacement != original:
                assert not is_valid_uscc(code[:i] + replacement + code[i + 1 :])


@settings(max_examples=100, deadline=None)
@given(seeds)
def test_every_adjacent_transposition_is_rejected(seed):
    code = make_uscc(seed)
    for i in range(17):
        if code[i] != code[i + 1]:
            assert not is_valid_uscc(code[:i] + code[i + 1] + code[i] + code[i + 2 :])
