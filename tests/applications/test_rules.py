"""The corporate number's check digit (pure): numbers the National Tax Agency publishes, every
single mistyped digit caught, and what people type around the digits."""

from __future__ import annotations

import pytest

from lms.applications.rules import check_digit, corporate_number_problem, normalize_corporate_number

# Published corporate numbers: the National Tax Agency itself, and Toyota Motor Corporation.
NTA = "7000012050002"
TOYOTA = "1180301018771"


@pytest.mark.parametrize("number", [NTA, TOYOTA])
def test_published_numbers_are_valid(number):
    assert check_digit(number[1:]) == int(number[0])
    assert corporate_number_problem(number) is None


def test_the_check_digit_by_hand():
    # 000012050002 from its last digit: 2*1 + 5*1 (5th) + 2*1 (7th) + 1*2 (8th) = 11;
    # 11 mod 9 = 2; 9 - 2 = 7.
    assert check_digit("000012050002") == 7
    assert check_digit("000000000000") == 9  # 9 - 0


@pytest.mark.parametrize("number", [NTA, TOYOTA])
def test_every_mistyped_digit_is_caught_but_a_0_for_a_9(number):
    for position in range(13):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1:]
            # A 0 and a 9 of the base weigh the same modulo 9: the one slip it cannot see.
            blind = position > 0 and {digit, number[position]} == {"0", "9"}
            assert corporate_number_problem(typo) == (None if blind else "check"), typo


@pytest.mark.parametrize(("typed", "digits"), [
    ("7000-01-205-0002", NTA),
    ("７０００ ０１２０ ５０００２", NTA),  # full-width digits and an ideographic space
    ("1-1803-0101-8771", TOYOTA),
    (" 1180301018771\n", TOYOTA),
    ("1180301018771ー", TOYOTA),  # the long vowel mark typed for a dash
])
def test_spaces_dashes_and_full_width_digits_are_folded(typed, digits):
    assert normalize_corporate_number(typed) == digits


@pytest.mark.parametrize(("number", "problem"), [
    ("700001205000", "length"),
    ("70000120500021", "length"),
    ("7000O12050002", "digits"),  # a letter O
    ("٧٠٠٠٠١٢٠٥٠٠٠٢", "digits"),  # Arabic-Indic digits are digits, not ASCII ones
    ("", "digits"),
    ("7000012050003", "check"),
])
def test_problems(number, problem):
    assert corporate_number_problem(number) == problem


@pytest.mark.parametrize("base", ["", "12345678901", "1234567890123", "12345678901a"])
def test_a_base_number_is_twelve_ascii_digits(base):
    with pytest.raises(ValueError, match="12 digits"):
        check_digit(base)
