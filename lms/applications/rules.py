"""Pure rules of partner applications: the Japanese corporate number (法人番号).

A corporate number is 13 digits: a check digit, then the 12-digit base number. The National
Tax Agency defines the check digit as 9 - (sum of P_n * Q_n for n = 1..12) mod 9, where P_n is
the base number's n-th digit counted from its last one and Q_n is 1 for odd n and 2 for even
n. It catches a mistyped digit unless a 0 was typed for a 9 or a 9 for a 0 (they differ by
the modulus), and most swapped neighbours.
"""

from __future__ import annotations

import re
import unicodedata

# What people type between the digits: spaces and hyphens, in either width (NFKC folds
# full-width digits and the full-width hyphen; the long vowel mark and minus sign are kept
# here since NFKC leaves them).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー−]")


def normalize_corporate_number(text: str) -> str:
    """The digits of a corporate number as typed: full-width folded, separators dropped."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))


def check_digit(base: str) -> int:
    """The check digit of a 12-digit base number."""
    if len(base) != 12 or not base.isascii() or not base.isdigit():
        raise ValueError("a base number is 12 digits")
    total = sum(int(digit) * (1 if n % 2 else 2)
                for n, digit in enumerate(reversed(base), start=1))
    return 9 - total % 9


def corporate_number_problem(number: str) -> str | None:
    """What is wrong with a normalized corporate number ("length", "digits", "check"), or
    None when it is valid."""
    if not number.isascii() or not number.isdigit():
        return "digits"
    if len(number) != 13:
        return "length"
    if int(number[0]) != check_digit(number[1:]):
        return "check"
    return None
