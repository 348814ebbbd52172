"""The fast patterns of lms.text agree with its one-character definition on every code point."""

from __future__ import annotations

import pytest

from lms.text import _unwanted, has_control_characters, strip_controls

EVERY_CODE_POINT = [chr(n) for n in range(0x110000)]


@pytest.mark.parametrize("multiline", [False, True])
def test_the_patterns_match_the_definition_on_every_code_point(multiline):
    differ = [f"U+{ord(ch):04X}" for ch in EVERY_CODE_POINT
              if has_control_characters(ch, multiline) != _unwanted(ch, multiline)]
    assert differ == []


@pytest.mark.parametrize(("text", "multiline", "expected"), [
    ("株式会社サクラ", False, False), ("a\tb", False, True), ("a\tb", True, False),
    ("line\nnext", True, False), ("esc\x1b[31m", True, True), ("bidi \u202e txt", False, True),
    ("nul\x00", True, True), ("c1 \x85", True, True), ("", False, False),
])
def test_has_control_characters(text, multiline, expected):
    assert has_control_characters(text, multiline) is expected


def test_strip_controls_keeps_everything_else():
    assert strip_controls("a\x00b\tc\u202ed 株\ud800") == "abcd 株"
