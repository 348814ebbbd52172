"""lms.numbers: the same text as Babel's format_decimal, from a format read once per locale."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_decimal as babel_format_decimal
from flask import render_template_string
from flask_babel import force_locale

from lms.numbers import decimal, format_decimal, formatter, number_format

LOCALES = ("en", "ja", "de", "fr", "de_CH", "hi", "ar", "fa", "en_IN")
EDGES = (0, 1, -1, 999, 1000, -1000, 999_999, 1_000_000, -1_234_567, 10**15, -(10**15))


@pytest.mark.parametrize("locale", LOCALES)
def test_whole_numbers_are_written_as_babel_writes_them(locale):
    numbers = list(EDGES) + random.Random(7).sample(range(-10**12, 10**12), 500)
    assert [decimal(n, locale) for n in numbers] == \
        [babel_format_decimal(n, locale=locale) for n in numbers]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("pattern", [None, "#,##0.#", "#,##0.##", "0", "#,##0"])
def test_fractions_and_patterns_are_written_as_babel_writes_them(locale, pattern):
    values = [0.5, -2.25, 1536 / 1024, 12345.678, Decimal("1234.5"), 7, -42_000]
    assert [decimal(v, locale, pattern) for v in values] == \
        [babel_format_decimal(v, format=pattern, locale=locale) for v in values]


def test_only_locales_grouping_by_threes_with_a_plain_minus_take_the_short_way():
    assert number_format("en").simple_integers
    assert number_format("ja").simple_integers
    assert number_format("de").group == "."
    assert not number_format("hi").simple_integers  # 12,34,567
    assert not number_format("ar").simple_integers  # its own minus sign
    assert not number_format("en", "#,##0.00").simple_integers  # forced decimals
    assert not number_format("de_CH").simple_integers  # 1'000 but 1000000


def test_the_request_locale_is_followed(app):
    with app.test_request_context("/"):
        assert format_decimal(1234567) == "1,234,567"
        with force_locale("de"):
            assert format_decimal(1234567) == "1.234.567"
            assert formatter("#,##0.#")(1.25) == "1,2"


def test_templates_write_numbers_in_the_page_locale(app):
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert render_template_string("{{ 1234567|format_decimal }}") == "1,234,567"
        with force_locale("de"):
            assert render_template_string(
                "{{ 1234567|format_decimal }} {{ 2.5|format_decimal('#,##0.0') }}") \
                == "1.234.567 2,5"
