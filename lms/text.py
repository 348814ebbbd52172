"""Characters that are never meant in typed text (pure: shared by forms, imports, scoring)."""

from __future__ import annotations

import re
import unicodedata

# Characters that reorder text on screen: "Invoice \u202etxt.exe" reads "Invoice exe.txt".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CONTROLS = frozenset("\n\r\t")


def _unwanted(ch: str, multiline: bool) -> bool:
    """The definition, one character at a time (the patterns below are its fast form)."""
    if ch in BIDI_CONTROLS:
        return True
    category = unicodedata.category(ch)
    return category == "Cs" or (category == "Cc" and not (multiline and ch in LINE_CONTROLS))


# Category Cc is exactly U+0000-U+001F and U+007F-U+009F, Cs exactly U+D800-U+DFFF (both
# fixed by Unicode's stability policy); a regex scans in C, where a loop over _unwanted
# took seconds for a large CSV import. tests/test_text.py checks them on every code point.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
UNWANTED = re.compile(f"[\x00-\x1f\x7f-\x9f{_SURROGATES}{_BIDI}]")
UNWANTED_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_SURROGATES}{_BIDI}]")


def has_control_characters(text: str, multiline: bool = False) -> bool:
    """Control characters (escape, NUL...), lone surrogates or bidirectional overrides;
    line breaks and tabs are allowed in multi-line text."""
    return (UNWANTED_MULTILINE if multiline else UNWANTED).search(text) is not None


def strip_controls(text: str) -> str:
    """The text without any of those characters (one-line text, such as a quiz answer)."""
    return UNWANTED.sub("", text)
