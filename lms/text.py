"""Characters that are never meant in typed text (pure: shared by forms, imports, scoring)."""

from __future__ import annotations

import unicodedata

# Characters that reorder text on screen: "Invoice \u202etxt.exe" reads "Invoice exe.txt".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CONTROLS = frozenset("\n\r\t")


def _unwanted(ch: str, multiline: bool) -> bool:
    if ch in BIDI_CONTROLS:
        return True
    category = unicodedata.category(ch)
    return category == "Cs" or (category == "Cc" and not (multiline and ch in LINE_CONTROLS))


def has_control_characters(text: str, multiline: bool = False) -> bool:
    """Control characters (escape, NUL...), lone surrogates or bidirectional overrides;
    line breaks and tabs are allowed in multi-line text."""
    return any(_unwanted(ch, multiline) for ch in text)


def strip_controls(text: str) -> str:
    """The text without any of those characters (one-line text, such as a quiz answer)."""
    return "".join(ch for ch in text if not _unwanted(ch, multiline=False))
