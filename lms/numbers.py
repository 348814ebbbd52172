"""Numbers in the reader's format: Flask-Babel's `format_decimal`, at a fraction of its cost.

A report page writes hundreds of numbers. Flask-Babel looks up the request's locale and
parses the locale's number pattern again for each one (about 7 µs); here the pattern and the
symbols are read once per locale (`number_format`) and whole numbers, nearly every figure the
portal shows, are written by Python's own grouping when the locale groups by threes with the
usual minus sign and Babel agrees on a few probes (English and Japanese do): `decimal` gives
the same text as Babel for every value, which tests/test_numbers.py checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    NumberPattern,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context

DEFAULT_LOCALE = Locale("en")


@dataclass(frozen=True)
class NumberFormat:
    """What writing a number in one locale with one pattern needs, read once."""

    locale: Locale
    pattern: NumberPattern
    group: str
    simple_integers: bool  # whole numbers may be written with f"{n:,}"

    def apply(self, value: int | float | Decimal) -> str:
        if self.simple_integers and type(value) is int:
            text = f"{value:,}"
            return text if self.group == "," else text.replace(",", self.group)
        return self.pattern.apply(value, self.locale)


_PROBES = (0, 7, -7, 1_000, -1_234, 10_000, 123_456, 1_000_000, -12_345_678, 10**15)


@lru_cache(maxsize=64)
def number_format(locale: str | Locale, pattern: str | None = None) -> NumberFormat:
    """The format of `locale` ("ja" or a babel Locale), its decimal pattern by default."""
    parsed_locale = Locale.parse(locale)
    text = pattern or parsed_locale.decimal_formats[None].pattern
    parsed = parse_pattern(text)
    group = get_group_symbol(parsed_locale)
    # Python's grouping where it writes what the pattern writes: groups of three, a plain
    # minus sign, no forced decimals, and the same text for a few numbers of every size
    # (some locales leave a thousand or a million ungrouped).
    simple = (parsed.grouping == (3, 3) and parsed.int_prec[0] == 1
              and parsed.frac_prec[0] == 0 and not parsed.prefix[0] and not parsed.suffix[0]
              and parsed.prefix[1] == "-" and not parsed.suffix[1]
              and get_minus_sign_symbol(parsed_locale) == "-"
              and all(parsed.apply(n, parsed_locale) == f"{n:,}".replace(",", group)
                      for n in _PROBES))
    return NumberFormat(parsed_locale, parsed, group, simple)


def decimal(value: int | float | Decimal, locale: str | Locale, pattern: str | None = None
            ) -> str:
    """`value` as Babel's format_decimal writes it in `locale` (pure)."""
    return number_format(locale, pattern).apply(value)


def format_decimal(value: int | float | Decimal, format: str | None = None) -> str:
    """Flask-Babel's format_decimal (same arguments, same text) in the request's locale."""
    return number_format(get_locale() or DEFAULT_LOCALE, format).apply(value)


def formatter(format: str | None = None) -> Callable[[int | float | Decimal], str]:
    """format_decimal for many numbers: the request's locale looked up once."""
    return number_format(get_locale() or DEFAULT_LOCALE, format).apply


@pass_context
def decimal_filter(context: Context, value: int | float | Decimal,
                   format: str | None = None) -> str:
    """The `format_decimal` filter: the locale the page is rendered in (`current_locale`,
    set once per page by the layout's context) rather than a lookup per number."""
    locale = context.get("current_locale")
    return number_format(locale, format).apply(value) if locale else \
        format_decimal(value, format)


def format_amount(value: int, currency: str) -> str:
    """An amount of money as messages write it: "1,500,000 JPY"."""
    return f"{format_decimal(value)} {currency}"
