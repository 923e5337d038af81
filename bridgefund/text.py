"""Free text as the service accepts it, from JSON (``schemas.common.CleanText``) or from an imported file.

Trimmed and NFC-normalised; refused when it holds characters that do not print as what they are: control characters
(NUL, BEL, ESC, DEL, C1 …; line feed and tab allowed in ``multiline`` text), format characters (zero-width spaces and
joiners, bidi overrides and isolates — U+202E shows "RTL公司" as "司公LTR" — the BOM), lone surrogates (they cannot
be stored), line and paragraph separators, fillers that print as blank space (U+3164 …) and noncharacters.
"""

from __future__ import annotations

import unicodedata

#: Letters and symbols to Unicode that print as blank space: Hangul fillers (U+115F, U+1160, U+3164, U+FFA0)
#: and the blank braille pattern (U+2800). A name made of them looks empty; inside a name they hide a gap.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _noncharacter(ch: str) -> bool:
    """U+FDD0–U+FDEF and the last two code points of every plane: reserved, never text to interchange."""
    cp = ord(ch)
    return 0xFDD0 <= cp <= 0xFDEF or cp & 0xFFFE == 0xFFFE


class BadText(ValueError):
    """The message says what is wrong, ready for a field's error list."""


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` trimmed and NFC-normalised; :class:`BadText` if it holds a character listed above."""
    out = unicodedata.normalize("NFC", text.strip())
    for ch in out:
        if multiline and ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or category in ("Zl", "Zp"):
            raise BadText(f"Must not contain control characters (U+{ord(ch):04X}).")
        if category == "Cf":
            raise BadText(f"Must not contain invisible formatting characters such as zero-width or bidi controls "
                          f"(U+{ord(ch):04X}).")
        if category == "Cs":
            raise BadText("Must not contain lone surrogates (not valid Unicode text).")
        if ch in BLANK_LOOKING:
            raise BadText(f"Must not contain characters that print as blank space (U+{ord(ch):04X}).")
        if _noncharacter(ch):
            raise BadText(f"Must not contain Unicode noncharacters (U+{ord(ch):04X}).")
    return out
