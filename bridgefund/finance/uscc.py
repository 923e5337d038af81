"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Eighteen characters from :data:`ALPHABET`: registration authority (1), entity type (1), administrative
division (6), organisation code (9, itself ending in a GB 11714 check character) and a check character:

    check = (31 − Σ value(cᵢ)·wᵢ mod 31) mod 31,   wᵢ = 3^(i−1) mod 31.

Validation is strict: upper case only, no spaces. Input from people goes through :func:`normalize_uscc`
first (trim, upper-case), which is what the service layer does before validating and storing, so the stored
code is always canonical. Only the GB 32100 check character is verified: it is the one the standard
defines for the whole code; the organisation code's own check character is left to the issuing authority.
"""

from __future__ import annotations

#: The 31 characters a code may use (I, O, S, V and Z are excluded).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1–17.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
USCC_LENGTH = 18

_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def normalize_uscc(code: str) -> str:
    """Trim surrounding whitespace and upper-case: the canonical form to validate and store."""
    return code.strip().upper()


def uscc_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a code."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    bad = _bad_chars(first17)
    if bad:
        raise ValueError(f"characters not allowed in a unified social credit code: {bad}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str | None:
    """Return why ``code`` is not a valid unified social credit code, or ``None`` when it is."""
    if not isinstance(code, str):
        return "must be a string"
    if len(code) != USCC_LENGTH:
        return f"must be {USCC_LENGTH} characters, got {len(code)}"
    bad = _bad_chars(code)
    if bad:
        hint = " (use upper case)" if code.upper() != code and not _bad_chars(code.upper()) else ""
        return f"characters not allowed: {bad}{hint}"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, expected {expected!r}"
    return None


def is_valid_uscc(code: str) -> bool:
    """Tell whether ``code`` is a valid unified social credit code (strict: canonical upper case)."""
    return validate_uscc(code) is None


def make_uscc(seed17: str) -> str:
    """Append the check character to 17 characters, giving a valid code."""
    return seed17 + uscc_check_char(seed17)


def demo_uscc(serial: int, region: str = "410100", *, authority: str = "9", entity_type: str = "1") -> str:
    """Build a realistic, valid code for demo data: ``91`` + region + 8-digit serial + both check characters.

    ``region`` is a 6-digit administrative division code (410100 is Zhengzhou). The 8-digit serial and its
    GB 11714 check character form the organisation code, as in real codes.
    """
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError(f"region must be 6 digits: {region!r}")
    if not 0 <= serial < 10**8:
        raise ValueError(f"serial must be 0..99999999: {serial}")
    body = f"{serial:08d}"
    org = body + _org_check_char(body)
    return make_uscc(authority + entity_type + region + org)


def _org_check_char(body8: str) -> str:
    """GB 11714 organisation-code check character for 8 digits: 11 − Σ dᵢ·wᵢ mod 11, 10 → X, 11 → 0."""
    c = 11 - sum(int(d) * w for d, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def _bad_chars(text: str) -> str:
    return "".join(sorted({c for c in text if c not in _VALUE}))
